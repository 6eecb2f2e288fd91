/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* User=, Group= and SupplementaryGroups= resolved to numbers through NSS:
 * in this process (ns_creds_resolve()), or in a short-lived resolver process
 * whose end the caller's event loop waits for (ns_creds_resolve_start()). */
#include <assert.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "macros.h"
#include "ns-creds-wire.h"
#include "ns-creds.h"
#include "strv.h"

NsCreds *ns_creds_free(NsCreds *c) {
        if (!c)
                return NULL;
        free(c->groups);
        free(c->user_name);
        free(c->home);
        free(c->shell);
        free(c);
        return NULL;
}

static int parse_id(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v >= (uid_t) -1)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

bool ns_creds_need_lookup(const UnitConfig *u) {
        unsigned id;

        if (u->user || (u->group && parse_id(u->group, &id) < 0))
                return true;
        STRV_FOREACH(g, u->supplementary_groups)
                if (parse_id(*g, &id) < 0)
                        return true;
        return false;
}

static int resolve_user(const char *user, NsCreds *c, CrlError *reterr) {
        struct passwd pw, *res = NULL;
        char buf[NS_CREDS_STRINGS_SIZE];
        unsigned id;
        int r;

        if (parse_id(user, &id) >= 0)
                r = getpwuid_r(id, &pw, buf, sizeof(buf), &res);
        else
                r = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
        if (!res && parse_id(user, &id) >= 0) {
                /* A numeric id without a passwd entry is fine, as in systemd. */
                c->uid = id;
                c->gid = id;
                return 0;
        }
        if (!res)
                return crl_error_set(reterr, r > 0 ? r : ESRCH, "step 'uid': User='%s': %s", user,
                                     r > 0 ? strerror(r) : "no such user");
        c->uid = pw.pw_uid;
        c->gid = pw.pw_gid;
        c->user_name = strdup(pw.pw_name);
        c->home = strdup(pw.pw_dir);
        c->shell = strdup(pw.pw_shell);
        return c->user_name && c->home && c->shell ? 0 : -ENOMEM;
}

static int resolve_group(const char *group, gid_t *ret, CrlError *reterr) {
        struct group gr, *res = NULL;
        char buf[4096];
        unsigned id;
        int r;

        if (parse_id(group, &id) >= 0) {
                *ret = id;
                return 0;
        }
        r = getgrnam_r(group, &gr, buf, sizeof(buf), &res);
        if (!res)
                return crl_error_set(reterr, r > 0 ? r : ESRCH, "step 'gid': group '%s': %s", group,
                                     r > 0 ? strerror(r) : "no such group");
        *ret = gr.gr_gid;
        return 0;
}

static int add_group(NsCreds *c, gid_t g, CrlError *reterr) {
        gid_t *n;

        for (size_t i = 0; i < c->n_groups; i++)
                if (c->groups[i] == g)
                        return 0;
        if (c->n_groups >= NS_CREDS_GROUPS_MAX)
                return crl_error_set(reterr, E2BIG, "step 'groups': more than %d supplementary groups",
                                     NS_CREDS_GROUPS_MAX);
        n = realloc(c->groups, (c->n_groups + 1) * sizeof(gid_t));
        if (!n)
                return -ENOMEM;
        c->groups = n;
        c->groups[c->n_groups++] = g;
        return 0;
}

static int resolve_groups(const UnitConfig *u, NsCreds *c, CrlError *reterr) {
        int r;

        if (c->user_name) {
                gid_t list[256];
                int n = ELEMENTSOF(list);

                if (getgrouplist(c->user_name, c->gid, list, &n) < 0)
                        return crl_error_set(reterr, E2BIG, "step 'groups': user '%s' is in too many groups",
                                             c->user_name);
                for (int i = 0; i < n; i++)
                        if ((r = add_group(c, list[i], reterr)) < 0)
                                return r;
        }
        STRV_FOREACH(g, u->supplementary_groups) {
                gid_t gid;

                r = resolve_group(*g, &gid, reterr);
                if (r < 0)
                        return r;
                if ((r = add_group(c, gid, reterr)) < 0)
                        return r;
        }
        /* Whenever ids are set, also the groups: Group= alone must not keep
         * the launcher's supplementary groups. */
        c->set_groups = c->set_ids || u->supplementary_groups;
        return 0;
}

int ns_creds_resolve(const UnitConfig *u, NsCreds **ret, CrlError *reterr) {
        _cleanup_(ns_creds_freep) NsCreds *c = calloc(1, sizeof(NsCreds));
        int r;

        if (!c)
                return -ENOMEM;
        if (u->user && (r = resolve_user(u->user, c, reterr)) < 0)
                return r;
        if (u->group && (r = resolve_group(u->group, &c->gid, reterr)) < 0)
                return r;
        c->set_ids = u->user || u->group;
        if (!c->set_ids && u->private_users != PRIVATE_USERS_NO) {
                /* Become the namespace's root: with PrivateUsers=pick the host's
                 * root we were cloned as is not mapped at all. */
                c->set_ids = true;
                c->uid = 0;
                c->gid = 0;
        }
        if ((r = resolve_groups(u, c, reterr)) < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
