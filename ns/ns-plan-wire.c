/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plan on the wire: what corral-executor reads instead of the
 * parent's memory. One flat buffer in a memfd: a header, the NsPlan with
 * every pointer replaced by its offset in the buffer (0 stays NULL), then
 * what the pointers point to, each 8-byte aligned. The executor maps it
 * privately and turns the offsets back into pointers; nothing is copied. */

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"
#include "ns-plan.h"

#define WIRE_MAGIC 0x434e5350u  /* "PSNC" */

typedef struct WireHeader {
        uint32_t magic;
        uint32_t plan_size;     /* sizeof(NsPlan): the same build on both sides */
        uint64_t size;          /* of the whole buffer */
} WireHeader;

typedef struct Wire {
        char *buf;
        size_t size, alloc;
        bool oom;
} Wire;

#define ALIGN8(n) (((n) + 7) & ~(size_t) 7)
#define AS_PTR(off) ((void *) (uintptr_t) (off))

/* Room for n bytes (zeroed), 8-aligned; its offset, 0 on ENOMEM. */
static size_t wire_reserve(Wire *w, size_t n) {
        size_t off = ALIGN8(w->size), end = off + n;

        if (w->oom)
                return 0;
        if (end > w->alloc) {
                size_t a = end > w->alloc * 2 ? end : w->alloc * 2;
                char *b = realloc(w->buf, a);

                if (!b) {
                        w->oom = true;
                        return 0;
                }
                w->buf = b;
                w->alloc = a;
        }
        memset(w->buf + w->size, 0, end - w->size);
        w->size = end;
        return off;
}

static size_t wire_put(Wire *w, const void *data, size_t n) {
        size_t off;

        if (!data)
                return 0;
        off = wire_reserve(w, n);
        if (off && n)
                memcpy(w->buf + off, data, n);
        return off;
}

static void *wire_str(Wire *w, const char *s) {
        return AS_PTR(s ? wire_put(w, s, strlen(s) + 1) : 0);
}

static void *wire_strv(Wire *w, char *const *v) {
        size_t n = 0, off;

        if (!v)
                return NULL;
        while (v[n])
                n++;
        off = wire_reserve(w, (n + 1) * sizeof(char *));
        for (size_t i = 0; off && i < n; i++) {
                void *s = wire_str(w, v[i]);

                if (!w->oom)
                        memcpy(w->buf + off + i * sizeof(char *), &s, sizeof(s));
        }
        return AS_PTR(off);
}

static void *wire_seccomp(Wire *w, const NsSeccomp *s) {
        NsSeccomp c;
        size_t off;

        if (!s)
                return NULL;
        c = *s;
        for (size_t i = 0; i < c.n && i < NS_SECCOMP_FILTERS_MAX; i++)
                c.progs[i].filter = AS_PTR(wire_put(w, s->progs[i].filter,
                                                    s->progs[i].len * sizeof(struct sock_filter)));
        off = wire_put(w, &c, sizeof(c));
        return AS_PTR(off);
}

int ns_plan_wire_write(const NsPlan *plan, int *ret_fd) {
        _cleanup_free_ char *keep = NULL;
        Wire w = {};
        NsPlan p = *plan;
        size_t at, mounts = 0, creds = 0;
        int fd;

        at = wire_reserve(&w, sizeof(WireHeader));
        at = wire_reserve(&w, sizeof(NsPlan));
        p.name = wire_str(&w, plan->name);
        p.hostname = wire_str(&w, plan->hostname);
        p.root = wire_str(&w, plan->root);
        p.working_directory = wire_str(&w, plan->working_directory);
        p.path_env = wire_str(&w, plan->path_env);
        p.exec_path = wire_str(&w, plan->exec_path);
        p.exec_user = wire_str(&w, plan->exec_user);
        p.argv = wire_strv(&w, plan->argv);
        p.envp = wire_strv(&w, plan->envp);
        p.groups = AS_PTR(wire_put(&w, plan->groups, plan->n_groups * sizeof(gid_t)));
        p.seccomp = wire_seccomp(&w, plan->seccomp);
        p.own_seccomp = NULL;
        if (plan->n_mounts)
                mounts = wire_reserve(&w, plan->n_mounts * sizeof(NsMountOp));
        for (size_t i = 0; mounts && i < plan->n_mounts; i++) {
                NsMountOp op = plan->mounts[i];

                op.source = wire_str(&w, op.source);
                op.target = wire_str(&w, op.target);
                op.options = wire_str(&w, op.options);
                op.real = NULL;         /* the executor's own buffer */
                if (!w.oom)
                        memcpy(w.buf + mounts + i * sizeof(op), &op, sizeof(op));
        }
        p.mounts = AS_PTR(mounts);
        if (plan->n_credentials)
                creds = wire_reserve(&w, plan->n_credentials * sizeof(NsCredential));
        for (size_t i = 0; creds && i < plan->n_credentials; i++) {
                NsCredential c = plan->credentials[i];

                c.id = wire_str(&w, c.id);
                c.data = AS_PTR(c.size ? wire_put(&w, c.data, c.size) : 0);
                if (!w.oom)
                        memcpy(w.buf + creds + i * sizeof(c), &c, sizeof(c));
        }
        p.credentials = AS_PTR(creds);
        keep = w.buf;
        if (w.oom)
                return -ENOMEM;
        memcpy(w.buf + at, &p, sizeof(p));
        memcpy(w.buf, &(WireHeader) { .magic = WIRE_MAGIC, .plan_size = sizeof(NsPlan), .size = w.size },
               sizeof(WireHeader));

        fd = memfd_create("corral-plan", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (size_t done = 0; done < w.size;) {
                ssize_t n = write(fd, w.buf + done, w.size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int r = n < 0 ? -errno : -EIO;

                        safe_close(fd);
                        return r;
                }
                done += (size_t) n;
        }
        *ret_fd = fd;
        return 0;
}

/* ---- the executor's side ---- */

typedef struct Mapped {
        char *base;
        size_t size;
        bool bad;
} Mapped;

/* The pointer for an offset of n bytes, NULL for 0; marks m bad when it
 * does not lie in the buffer. */
static void *fix(Mapped *m, const void *field, size_t n) {
        uintptr_t off = (uintptr_t) field;

        if (!off)
                return NULL;
        if (off < sizeof(WireHeader) || off > m->size || n > m->size - off) {
                m->bad = true;
                return NULL;
        }
        return m->base + off;
}

static char *fix_str(Mapped *m, const char *field) {
        char *s = fix(m, field, 1);

        if (s && !memchr(s, 0, m->size - (size_t) (s - m->base))) {
                m->bad = true;
                return NULL;
        }
        return s;
}

static char **fix_strv(Mapped *m, char **field) {
        char **v = fix(m, field, sizeof(char *));

        for (size_t i = 0; v && !m->bad; i++) {
                if ((size_t) ((char *) (v + i) - m->base) + sizeof(char *) > m->size) {
                        m->bad = true;
                        break;
                }
                if (!v[i])
                        break;
                v[i] = fix_str(m, v[i]);
        }
        return v;
}

int ns_plan_wire_read(int fd, NsPlan **ret) {
        WireHeader h;
        Mapped m = {};
        struct stat st;
        NsPlan *p;

        if (fstat(fd, &st) < 0)
                return -errno;
        if ((size_t) st.st_size < sizeof(WireHeader) + sizeof(NsPlan))
                return -EBADMSG;
        m.size = (size_t) st.st_size;
        m.base = mmap(NULL, m.size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (m.base == MAP_FAILED)
                return -errno;
        memcpy(&h, m.base, sizeof(h));
        if (h.magic != WIRE_MAGIC || h.plan_size != sizeof(NsPlan) || h.size != m.size)
                goto bad;
        p = (NsPlan *) (m.base + ALIGN8(sizeof(WireHeader)));
        p->name = fix_str(&m, p->name);
        p->hostname = fix_str(&m, p->hostname);
        p->root = fix_str(&m, p->root);
        p->working_directory = fix_str(&m, p->working_directory);
        p->path_env = fix_str(&m, p->path_env);
        p->exec_path = fix_str(&m, p->exec_path);
        p->exec_user = fix_str(&m, p->exec_user);
        p->argv = fix_strv(&m, p->argv);
        p->envp = fix_strv(&m, p->envp);
        p->groups = fix(&m, p->groups, p->n_groups * sizeof(gid_t));
        p->own_seccomp = NULL;
        if (p->seccomp) {
                NsSeccomp *s = fix(&m, p->seccomp, sizeof(NsSeccomp));

                if (s && s->n > NS_SECCOMP_FILTERS_MAX)
                        m.bad = true;
                for (size_t i = 0; s && !m.bad && i < s->n; i++)
                        s->progs[i].filter = fix(&m, s->progs[i].filter,
                                                 s->progs[i].len * sizeof(struct sock_filter));
                p->seccomp = s;
        }
        p->mounts = fix(&m, p->mounts, p->n_mounts * sizeof(NsMountOp));
        for (size_t i = 0; p->mounts && !m.bad && i < p->n_mounts; i++) {
                NsMountOp *op = &p->mounts[i];

                op->source = fix_str(&m, op->source);
                op->target = fix_str(&m, op->target);
                op->options = fix_str(&m, op->options);
                op->real = NULL;
        }
        p->credentials = fix(&m, p->credentials, p->n_credentials * sizeof(NsCredential));
        for (size_t i = 0; p->credentials && !m.bad && i < p->n_credentials; i++) {
                NsCredential *c = &p->credentials[i];

                c->id = fix_str(&m, c->id);
                c->data = fix(&m, c->data, c->size);
        }
        if (m.bad || (p->n_mounts && !p->mounts) || (p->n_credentials && !p->credentials) ||
            (p->n_groups && !p->groups))
                goto bad;
        /* Last, when nothing can be refused any more: the child's own buffers */
        for (size_t i = 0; i < p->n_mounts; i++) {
                p->mounts[i].real = calloc(1, PATH_MAX);
                if (!p->mounts[i].real) {
                        ns_plan_wire_release(p);
                        return -ENOMEM;
                }
        }
        *ret = p;
        return 0;
bad:
        (void) munmap(m.base, m.size);
        return -EBADMSG;
}

void ns_plan_wire_release(NsPlan *p) {
        char *base;
        WireHeader h;

        if (!p)
                return;
        base = (char *) p - ALIGN8(sizeof(WireHeader));
        memcpy(&h, base, sizeof(h));
        for (size_t i = 0; i < p->n_mounts; i++)
                free(p->mounts[i].real);
        (void) munmap(base, h.size);
}
