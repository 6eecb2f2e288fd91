/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the cgroup/ files; not for the supervisor. */

#include "cgroup.h"

/* Write through root->ops (tests record and inject failures there). */
int cg_write(const CgRoot *root, int dir_fd, const char *file, const char *value);
int cg_mkdir(const CgRoot *root, int dir_fd, const char *name);
int cg_rmdir(const CgRoot *root, int dir_fd, const char *name);

/* Make every controller of mask usable in children of the root: enabled in
 * each cgroup.subtree_control from the mount (or, for a delegated root, from
 * the root itself) down. Returns the controllers that are usable; for the
 * others, root->reason[c] says why. */
CgMask cg_root_enable(CgRoot *root, CgMask mask);

/* fn(dir_fd, sub_fd, name, userdata) for each sub-cgroup of dir_fd, until
 * one returns < 0. sub_fd is borrowed; a directory that vanished meanwhile
 * is skipped, and nothing but a directory is followed (O_NOFOLLOW). The
 * caller bounds the depth when fn recurses. */
int cg_for_each_child(int dir_fd, int (*fn)(int dir_fd, int sub_fd, const char *name, void *userdata),
                      void *userdata);

/* Read cgroup.events' populated/frozen of a cgroup dir. */
int cg_read_events(int dir_fd, bool *ret_populated, bool *ret_frozen);

/* CLOCK_MONOTONIC now, for cg_deadline_usec(). */
usec_t cg_now_usec(void);

/* Wait until cgroup.events shows key ("populated" / "frozen") == want, woken
 * by inotify; -ETIME once deadline (cg_deadline_usec(): USEC_INFINITY for
 * none, now to look just once) has passed. Blocks: the supervisor waits for
 * the CgEvents on its event loop instead. */
int cg_wait_events(int dir_fd, const char *key, bool want, usec_t deadline);


/* Add memory.events to the service's event fd (it appears with the memory
 * controller); -ENOENT while it does not exist. */
int cg_service_watch_memory_events(CgService *s);
