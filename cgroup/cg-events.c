/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>

#include "cg-format.h"
#include "cg-internal.h"
#include "fileio.h"

int cg_read_events(int dir_fd, bool *ret_populated, bool *ret_frozen) {
        _cleanup_free_ char *text = NULL;
        uint64_t populated, frozen = 0;
        int r;

        r = read_file_at(dir_fd, "cgroup.events", &text, NULL);
        if (r < 0)
                return r;
        r = cg_parse_keyed(text, "populated", &populated);
        if (r < 0)
                return r;
        (void) cg_parse_keyed(text, "frozen", &frozen);  /* absent before Linux 5.2 */
        if (ret_populated)
                *ret_populated = populated != 0;
        if (ret_frozen)
                *ret_frozen = frozen != 0;
        return 0;
}

/* inotify_add_watch() takes a path, not a dir fd: reach the file through
 * our own fd table, which works for the kernel's cgroupfs and a tmpdir alike. */
int cg_watch_file(int inotify_fd, int dir_fd, const char *file) {
        char path[64 + 256];

        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dir_fd, file);
        return RET_NERRNO(inotify_add_watch(inotify_fd, path, IN_MODIFY | IN_DONT_FOLLOW));
}

static void drain(int fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        while (read(fd, buf, sizeof(buf)) > 0)
                ;
}

usec_t cg_now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

int cg_wait_events(int dir_fd, const char *key, bool want, usec_t deadline) {
        _cleanup_close_ int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        int r;

        if (fd < 0)
                return -errno;
        /* Watch before reading, so a change between the two is not missed. */
        r = cg_watch_file(fd, dir_fd, "cgroup.events");
        if (r < 0)
                return r;
        for (;;) {
                bool populated, frozen;
                usec_t left;

                r = cg_read_events(dir_fd, &populated, &frozen);
                if (r < 0)
                        return r;
                if ((streq(key, "frozen") ? frozen : populated) == want)
                        return 0;
                left = cg_left_usec(cg_now_usec(), deadline);
                if (left == 0)
                        return -ETIME;
                if (poll(&(struct pollfd) { .fd = fd, .events = POLLIN }, 1, cg_poll_timeout_msec(left)) < 0 &&
                    errno != EINTR)
                        return -errno;
                drain(fd);
        }
}

int cg_service_event_fd(CgService *s) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (s->event_fd >= 0)
                return s->event_fd;
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = cg_watch_file(fd, s->dir_fd, "cgroup.events");
        if (r < 0)
                return r;
        s->event_fd = TAKE_FD(fd);
        r = cg_watch_file(s->event_fd, s->dir_fd, "memory.events");
        if (r < 0 && r != -ENOENT) {
                s->event_fd = safe_close(s->event_fd);
                return r;
        }
        return s->event_fd;
}

int cg_service_watch_memory_events(CgService *s) {
        int r = 0;

        /* memory.events exists only with the memory controller enabled;
         * watching the same file again is harmless (same watch). */
        if (s->event_fd >= 0)
                r = cg_watch_file(s->event_fd, s->dir_fd, "memory.events");
        if (r >= 0 || r == -ENOENT)
                r = cg_root_watch_service(s->root, s, true);
        return r;
}

static void diff_memory_events(CgService *s, CgEvents *ev) {
        _cleanup_free_ char *text = NULL;
        uint64_t oom = s->oom, kill = s->oom_kill;

        if (read_file_at(s->dir_fd, "memory.events", &text, NULL) < 0)
                return;
        (void) cg_parse_keyed(text, "oom", &oom);       /* keeps the last value when absent */
        (void) cg_parse_keyed(text, "oom_kill", &kill);
        if (oom > s->oom)
                ev->mask |= CG_EVENT_OOM;
        if (kill > s->oom_kill)
                ev->mask |= CG_EVENT_OOM_KILL;
        s->oom = oom;
        s->oom_kill = kill;
        ev->oom_kills = kill;
}

int cg_service_process_events(CgService *s, CgEvents *ret) {
        CgEvents ev = {};
        bool populated, frozen;
        int r;

        if (s->event_fd >= 0)
                drain(s->event_fd);
        r = cg_read_events(s->dir_fd, &populated, &frozen);
        if (r < 0)
                return r;
        if (populated != s->populated)
                ev.mask |= populated ? CG_EVENT_POPULATED : CG_EVENT_EMPTY;
        if (frozen != s->frozen)
                ev.mask |= frozen ? CG_EVENT_FROZEN : CG_EVENT_THAWED;
        s->populated = populated;
        s->frozen = frozen;
        diff_memory_events(s, &ev);
        *ret = ev;
        return 0;
}

bool cg_service_frozen(CgService *s) {
        return s->frozen;
}

int cg_service_is_populated(CgService *s) {
        bool populated;
        int r = cg_read_events(s->dir_fd, &populated, NULL);

        return r < 0 ? r : populated;
}

static int set_frozen(CgService *s, bool freeze, usec_t timeout_usec, CrlError *reterr) {
        const char *what = freeze ? "freeze" : "thaw";
        int r;

        /* A thaw while a signal walk holds the cgroup frozen happens when
         * the last walk ends (walk_thaw), so the walk stays complete. */
        r = !freeze && s->n_walks > 0 ? 0 : cg_write(s->root, s->dir_fd, "cgroup.freeze", freeze ? "1" : "0");
        if (r < 0)
                return crl_error_set(reterr, r, "cannot %s %s%s/%s: cgroup.freeze: %s%s", what, s->root->mount,
                                     s->root->path, s->dir_name, strerror(-r),
                                     r == -ENOENT ? " (kernel older than 5.2)" : "");
        s->freeze_wanted = freeze;
        if (timeout_usec == 0)
                return 0;
        r = cg_wait_events(s->dir_fd, "frozen", freeze, cg_deadline_usec(cg_now_usec(), timeout_usec));
        if (r < 0)
                return crl_error_set(reterr, r, "cannot %s %s%s/%s: cgroup.events: %s", what, s->root->mount,
                                     s->root->path, s->dir_name,
                                     r == -ETIME ? "did not change in time" : strerror(-r));
        return 0;
}

int cg_service_freeze(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        return set_frozen(s, true, timeout_usec, reterr);
}

int cg_service_thaw(CgService *s, usec_t timeout_usec, CrlError *reterr) {
        return set_frozen(s, false, timeout_usec, reterr);
}
