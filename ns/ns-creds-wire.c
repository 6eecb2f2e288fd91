/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The resolver's record: written by the resolver process, checked field by
 * field by the parent before anything of it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "ns-creds-wire.h"

static void wire_error(NsCredsWire *w, int error, const char *message) {
        w->error = error < 0 ? -error : error;
        (void) snprintf(w->message, sizeof(w->message), "%s", message);
}

void ns_creds_wire_encode(NsCredsWire *w, int r, const NsCreds *c, const CrlError *e) {
        size_t len[3], total = 0;
        const char *s[3];

        memset(w, 0, sizeof(*w));
        w->magic = NS_CREDS_WIRE_MAGIC;
        if (r < 0) {
                /* As the caller sees it in-process: errno, and the message if one was set. */
                wire_error(w, crl_error_isset(e) ? e->error : r, crl_error_isset(e) ? e->message : "");
                return;
        }
        w->uid = c->uid;
        w->gid = c->gid;
        w->set_ids = c->set_ids;
        w->set_groups = c->set_groups;
        w->n_groups = (uint32_t) c->n_groups;
        for (size_t i = 0; i < c->n_groups && i < NS_CREDS_GROUPS_MAX; i++)
                w->groups[i] = c->groups[i];
        if (!c->user_name)
                return;
        s[0] = c->user_name, s[1] = c->home, s[2] = c->shell;
        for (size_t i = 0; i < 3; i++)
                total += (len[i] = strlen(s[i])) + 1;
        if (total > sizeof(w->strings) || c->n_groups > NS_CREDS_GROUPS_MAX) {
                /* Not reached: both came out of buffers of these sizes. */
                wire_error(w, E2BIG, "step 'uid': the passwd entry or group list does not fit the resolver's record");
                return;
        }
        w->has_user = 1;
        w->name_len = (uint32_t) len[0], w->home_len = (uint32_t) len[1], w->shell_len = (uint32_t) len[2];
        memcpy(w->strings, s[0], len[0] + 1);
        memcpy(w->strings + len[0] + 1, s[1], len[1] + 1);
        memcpy(w->strings + len[0] + 1 + len[1] + 1, s[2], len[2] + 1);
}

/* A string of exactly len bytes at *pos, NUL-terminated, within end. */
static int wire_string(const char **pos, const char *end, uint32_t len, char **ret) {
        const char *s = *pos;

        if ((size_t) (end - s) < (size_t) len + 1 || s[len] != 0 || strlen(s) != len)
                return -EBADMSG;
        *ret = strdup(s);
        if (!*ret)
                return -ENOMEM;
        *pos = s + len + 1;
        return 0;
}

static int wire_strings(const NsCredsWire *w, NsCreds *c) {
        const char *pos = w->strings, *end = w->strings + sizeof(w->strings);
        int r;

        if (w->has_user > 1 || (!w->has_user && (w->name_len || w->home_len || w->shell_len)))
                return -EBADMSG;
        if (!w->has_user)
                return 0;
        if ((r = wire_string(&pos, end, w->name_len, &c->user_name)) < 0 ||
            (r = wire_string(&pos, end, w->home_len, &c->home)) < 0 ||
            (r = wire_string(&pos, end, w->shell_len, &c->shell)) < 0)
                return r;
        return 0;
}

static int wire_failure(const NsCredsWire *w, CrlError *reterr) {
        if (w->error <= 0 || w->error >= 4096 || !memchr(w->message, 0, sizeof(w->message)))
                return -EBADMSG;
        if (w->message[0])
                return crl_error_set(reterr, w->error, "%s", w->message);
        return -w->error;
}

int ns_creds_wire_decode(const void *buf, size_t n, NsCreds **ret, CrlError *reterr) {
        _cleanup_(ns_creds_freep) NsCreds *c = NULL;
        NsCredsWire w;
        int r;

        /* A copy: buf need not be aligned for the struct. */
        if (n != sizeof(w))
                return -EBADMSG;
        memcpy(&w, buf, sizeof(w));
        if (w.magic != NS_CREDS_WIRE_MAGIC)
                return -EBADMSG;
        if (w.error != 0)
                return wire_failure(&w, reterr);
        if (w.n_groups > NS_CREDS_GROUPS_MAX || w.set_ids > 1 || w.set_groups > 1 || w.reserved != 0)
                return -EBADMSG;
        c = calloc(1, sizeof(NsCreds));
        if (!c)
                return -ENOMEM;
        if ((r = wire_strings(&w, c)) < 0)
                return r;
        if (w.n_groups > 0) {
                c->groups = malloc(w.n_groups * sizeof(gid_t));
                if (!c->groups)
                        return -ENOMEM;
                for (uint32_t i = 0; i < w.n_groups; i++)
                        c->groups[i] = w.groups[i];
        }
        c->n_groups = w.n_groups;
        c->uid = w.uid, c->gid = w.gid;
        c->set_ids = w.set_ids, c->set_groups = w.set_groups;
        *ret = TAKE_PTR(c);
        return 0;
}
