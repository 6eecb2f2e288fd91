/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One inotify fd for the cgroup.events and memory.events of every service
 * below a root: corrald's loop has one io source for all of them. An fd a
 * service (cg_service_event_fd) is an inotify instance each, and
 * fs.inotify.max_user_instances is 128 by default, shared by every process
 * of the user: too few for 1000 services. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "cg-internal.h"

/* Index of wd in root->watches, or where it would go. */
static size_t watch_index(const CgRoot *root, int wd) {
        size_t lo = 0, hi = root->n_watches;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (root->watches[mid].wd < wd)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static CgService *watch_find(const CgRoot *root, int wd) {
        size_t i = watch_index(root, wd);

        return i < root->n_watches && root->watches[i].wd == wd ? root->watches[i].service : NULL;
}

static void watch_drop_at(CgRoot *root, size_t i) {
        memmove(root->watches + i, root->watches + i + 1, (root->n_watches - i - 1) * sizeof(CgWatch));
        root->n_watches--;
}

static int watch_add(CgRoot *root, CgService *s, const char *file) {
        size_t i;
        CgWatch *w;
        int wd;

        wd = cg_watch_file(root->event_fd, s->dir_fd, file);
        if (wd < 0)
                return wd;
        i = watch_index(root, wd);
        if (i < root->n_watches && root->watches[i].wd == wd)
                return 0;       /* the same file again: the same watch */
        w = realloc(root->watches, (root->n_watches + 1) * sizeof(CgWatch));
        if (!w) {
                (void) inotify_rm_watch(root->event_fd, wd);    /* undo; ENOMEM is what counts */
                return -ENOMEM;
        }
        root->watches = w;
        memmove(w + i + 1, w + i, (root->n_watches - i) * sizeof(CgWatch));
        w[i] = (CgWatch) { .wd = wd, .service = s };
        root->n_watches++;
        return 0;
}

int cg_root_watch_service(CgRoot *root, CgService *s, bool memory_only) {
        int r = 0;

        if (root->event_fd < 0)
                return 0;
        if (!memory_only)
                r = watch_add(root, s, "cgroup.events");
        if (r >= 0) {
                r = watch_add(root, s, "memory.events");   /* with the memory controller only */
                if (r == -ENOENT)
                        r = 0;
        }
        return r;
}

int cg_root_event_fd(CgRoot *root) {
        int r;

        if (root->event_fd >= 0)
                return root->event_fd;
        root->event_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (root->event_fd < 0)
                return -errno;
        for (CgService *s = root->services; s; s = s->next) {
                r = cg_root_watch_service(root, s, false);
                if (r < 0) {
                        root->event_fd = safe_close(root->event_fd);
                        root->n_watches = 0;
                        return r;
                }
        }
        return root->event_fd;
}

static int mark_pending(CgRoot *root, CgService *s) {
        CgService **p;

        if (!s || s->pending)
                return 0;
        p = realloc(root->pending, (root->n_pending + 1) * sizeof(CgService *));
        if (!p)
                return -ENOMEM;
        root->pending = p;
        p[root->n_pending++] = s;
        s->pending = true;
        return 0;
}

static int handle_one(CgRoot *root, const struct inotify_event *e) {
        int r = 0;

        if (e->mask & IN_Q_OVERFLOW) {  /* events lost: every service may have news */
                for (size_t i = 0; i < root->n_watches && r >= 0; i++)
                        r = mark_pending(root, root->watches[i].service);
                return r;
        }
        if (e->mask & IN_IGNORED) {     /* the cgroup went (rmdir), or the watch was removed */
                size_t i = watch_index(root, e->wd);

                if (i < root->n_watches && root->watches[i].wd == e->wd)
                        watch_drop_at(root, i);
                return 0;
        }
        return mark_pending(root, watch_find(root, e->wd));
}

/* Read what the kernel queued; each service with news goes on the pending
 * list once. */
static int drain(CgRoot *root) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(root->event_fd, buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return errno == EAGAIN ? 0 : -errno;
                if (n == 0)
                        return 0;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        int r = handle_one(root, e);

                        if (r < 0)
                                return r;
                        p += sizeof(struct inotify_event) + e->len;
                }
        }
}

int cg_root_process_events(CgRoot *root, CgService **ret_service, CgEvents *ret) {
        int r;

        if (root->event_fd >= 0) {
                r = drain(root);
                if (r < 0)
                        return r;
        }
        while (root->pending_head < root->n_pending) {
                CgService *s = root->pending[root->pending_head++];
                CgEvents ev = {};

                if (!s)
                        continue;       /* freed meanwhile */
                s->pending = false;
                r = cg_service_process_events(s, &ev);
                if (r == -ENOENT || r == -ENODEV || (r >= 0 && ev.mask == 0))
                        continue;       /* its cgroup is gone (destroyed), or no news */
                *ret_service = s;
                if (r < 0)
                        return r;
                *ret = ev;
                return 1;
        }
        root->n_pending = root->pending_head = 0;
        return 0;
}

void cg_root_forget_service(CgRoot *root, CgService *s) {
        if (!s->linked)
                return;
        for (size_t i = root->n_watches; i > 0; i--)
                if (root->watches[i - 1].service == s) {
                        /* fails once the cgroup is gone (the watch with it) */
                        (void) inotify_rm_watch(root->event_fd, root->watches[i - 1].wd);
                        watch_drop_at(root, i - 1);
                }
        for (size_t i = root->pending_head; s->pending && i < root->n_pending; i++)
                if (root->pending[i] == s)
                        root->pending[i] = NULL;
        s->pending = false;
        if (s->prev)
                s->prev->next = s->next;
        else if (root->services == s)
                root->services = s->next;
        if (s->next)
                s->next->prev = s->prev;
        s->prev = s->next = NULL;
        s->linked = false;
}

void cg_root_link_service(CgRoot *root, CgService *s) {
        assert(!s->linked);
        s->linked = true;
        s->next = root->services;
        if (s->next)
                s->next->prev = s;
        root->services = s;
}
