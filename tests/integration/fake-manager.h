/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A stand-in for corrald's core (manager.h) so the bus can be tested on
 * its own: a few in-memory services whose jobs finish on sd-event timers.
 *
 *   web       inactive; start/stop take 300 ms; MainPID is the daemon itself
 *   web-1     active (pid and net namespaces, hostname, address)
 *   worker@3  inactive, MemoryMax=1M TasksMax=100 in its unit
 *   broken    every start fails after 100 ms with an exec error; its
 *             description and error message hold Latin-1 bytes
 *
 * AdminGroup is gid 4242. Transient units run 100 ms, write one line to
 * their stdout fd, end, and go once a client read their result. A property
 * "Bogus=" is refused as an unknown key. Reload adds the service "added". */

#include "bus.h"
#include "manager.h"

#define FAKE_ADMIN_GID 4242

int fake_manager_new(sd_event *e, const char *runtime_dir, Manager **ret);
void fake_manager_set_bus(Manager *m, Bus *b);
/* Cancels pending jobs (done with -ECANCELED), frees everything. */
Manager *fake_manager_free(Manager *m);
