/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the cgroup/ files; not for the supervisor. */

#include "cgroup.h"

typedef struct CgWatch {
        int wd;                 /* on root->event_fd */
        CgService *service;     /* borrowed */
} CgWatch;

struct CgRoot {
        int mount_fd;           /* owned: the cgroup2 mount */
        int dir_fd;             /* owned: the subtree root */
        char *mount;            /* "/sys/fs/cgroup" */
        char *path;             /* relative to the mount, leading '/': "/corral" */
        bool delegated;         /* corrald's own delegated cgroup; corrald moved to PATH/corrald */
        bool created;           /* this call made the root directory */
        CgProbe probe;          /* copy: controller availability and reasons */
        CgMask enabled;         /* known enabled in every subtree_control down to the root */
        char reason[_CG_CTRL_MAX][320]; /* why a controller is not usable, once found out */
        CgSystem system;
        CgFsOps ops;
        int event_fd;           /* owned: inotify for every service's files; -EBADF until asked */
        CgWatch *watches;       /* sorted by wd */
        size_t n_watches;
        CgService **pending;    /* services with news, oldest first; NULL: freed meanwhile */
        size_t n_pending, pending_head;
        CgService *services;    /* every CgService of this root (prev/next) */
};

struct CgService {
        CgRoot *root;           /* borrowed */
        char *name;             /* "web" */
        char *dir_name;         /* "web.service" */
        int dir_fd;             /* owned: the service cgroup; for CLONE_INTO_CGROUP */
        int event_fd;           /* owned: inotify on cgroup.events, memory.events; -EBADF until asked */
        CgMask enabled;         /* controllers enabled for this cgroup */
        CgServiceFlags flags;
        uint64_t peak_tracked;  /* memory.peak stand-in on kernels without it */
        bool populated;         /* last cgroup.events populated seen */
        bool frozen;            /* last cgroup.events frozen seen */
        bool freeze_wanted;     /* to stay frozen when a walk ends: Freeze, or found frozen */
        unsigned n_walks;       /* signal walks holding the cgroup frozen (CgSignalOp) */
        uint64_t oom, oom_kill; /* last memory.events counters seen */
        bool linked;            /* in root->services; false once the root is freed */
        CgService *prev, *next;
        bool pending;           /* on root->pending */
        void *userdata;
};

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

/* A walk over a service's cgroup tree: pre(dir_fd) for each cgroup before
 * its sub-cgroups, post(parent_fd, name) for each sub-cgroup after its own
 * (either may be NULL), until one returns < 0. At most
 * CG_SERVICE_MAX_DEPTH levels below the starting cgroup (-ELOOP beyond):
 * the walk holds two fds a level, and a service may make its own
 * sub-cgroups. Start with depth 0. */
typedef struct CgTreeWalk {
        int (*pre)(int dir_fd, void *userdata);
        int (*post)(int parent_fd, const char *name, void *userdata);
        void *userdata;
        unsigned depth;
} CgTreeWalk;

int cg_walk_tree(int dir_fd, CgTreeWalk *w);

/* Read cgroup.events' populated/frozen of a cgroup dir. */
int cg_read_events(int dir_fd, bool *ret_populated, bool *ret_frozen);

/* CLOCK_MONOTONIC now, for cg_deadline_usec(). */
usec_t cg_now_usec(void);

/* Wait until cgroup.events shows key ("populated" / "frozen") == want, woken
 * by inotify; -ETIME once deadline (cg_deadline_usec(): USEC_INFINITY for
 * none, now to look just once) has passed. Blocks: the supervisor waits for
 * the CgEvents on its event loop instead. */
int cg_wait_events(int dir_fd, const char *key, bool want, usec_t deadline);


/* inotify_add_watch() of FILE in dir_fd: the wd, or -errno. */
int cg_watch_file(int inotify_fd, int dir_fd, const char *file);

/* The root's registry of services and their watches on root->event_fd
 * (cg-root-events.c). link at creation; watch once the dir fd is open
 * (memory_only: memory.events, which appears with the controller);
 * forget at free. */
void cg_root_link_service(CgRoot *root, CgService *s);
int cg_root_watch_service(CgRoot *root, CgService *s, bool memory_only);
void cg_root_forget_service(CgRoot *root, CgService *s);

/* Add memory.events to the service's event fd (it appears with the memory
 * controller); -ENOENT while it does not exist. */
int cg_service_watch_memory_events(CgService *s);
