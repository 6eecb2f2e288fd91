/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cgroup BPF keys: DevicePolicy=, DeviceAllow=, IPAddressAllow=,
 * IPAddressDeny= (systemd.resource-control(5) of systemd 252). Values
 * only; cgroup/cg-bpf.c turns them into programs. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-value-internal.h"

static const char *startswith(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static bool endswith(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && streq(s + n - m, suffix);
}

static const char *const device_policy_names[_DEVICE_POLICY_MAX] = {
        [DEVICE_POLICY_AUTO] = "auto",
        [DEVICE_POLICY_CLOSED] = "closed",
        [DEVICE_POLICY_STRICT] = "strict",
};

DevicePolicy device_policy_from_string(const char *v, CrlError *reterr) {
        for (size_t i = 0; i < _DEVICE_POLICY_MAX; i++)
                if (streq(v, device_policy_names[i]))
                        return (DevicePolicy) i;
        return crl_error_set(reterr, EINVAL, "\"%s\" is not a device policy (use auto, closed or strict)", v);
}

const char *device_policy_to_string(DevicePolicy p) {
        return p >= 0 && p < _DEVICE_POLICY_MAX ? device_policy_names[p] : NULL;
}

/* systemd's valid_device_node_path(): normalized, below /dev/. */
static bool device_path_valid(const char *p) {
        if (!startswith(p, "/dev/") || !p[5] || endswith(p, "/"))
                return false;
        for (const char *c = p; *c; c++)
                if (c[0] == '/' && (c[1] == '/' || (c[1] == '.' && (c[2] == '/' || !c[2] ||
                                                                      (c[2] == '.' && (c[3] == '/' || !c[3]))))))
                        return false;
        return true;
}

int parse_device_access(const char *v, DeviceAccess *ret, CrlError *reterr) {
        DeviceAccess a = 0;

        for (const char *c = v; *c; c++) {
                DeviceAccess bit = *c == 'r' ? DEVICE_ACCESS_READ : *c == 'w' ? DEVICE_ACCESS_WRITE :
                                   *c == 'm' ? DEVICE_ACCESS_MKNOD : 0;

                if (!bit)
                        return crl_error_set(reterr, EINVAL, "\"%s\" are not device rights (use letters of r, w, m)", v);
                a |= bit;
        }
        *ret = a ?: DEVICE_ACCESS_ALL;
        return 0;
}

int parse_device_allow(const char *v, DeviceAllow *ret, CrlError *reterr) {
        _cleanup_strv_free_ char **w = NULL;
        DeviceAccess access = DEVICE_ACCESS_ALL;
        const char *p;
        int r;

        r = split_quoted_full(v, 0, &w, reterr);
        if (r < 0)
                return r;
        if (strv_length(w) == 0 || strv_length(w) > 2)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not \"PATH [rwm]\" (PATH a /dev/ node, "
                                     "char-NAME or block-NAME)", v);
        p = w[0];
        if (startswith(p, "char-") || startswith(p, "block-")) {
                if (!p[strcspn(p, "-") + 1])
                        return crl_error_set(reterr, EINVAL, "\"%s\" names no driver (char-NAME or block-NAME "
                                             "as /proc/devices lists them)", p);
        } else if (!device_path_valid(p))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a device node path below /dev/, "
                                     "char-NAME or block-NAME", p);
        if (w[1] && parse_device_access(w[1], &access, reterr) < 0)
                return -EINVAL;
        ret->path = strdup(p);
        if (!ret->path)
                return -ENOMEM;
        ret->access = access;
        return 0;
}

static int prefix_add(IPPrefix **list, size_t *n, int family, const void *addr, unsigned prefixlen) {
        IPPrefix p = { .family = family, .prefixlen = prefixlen };
        size_t len = family == AF_INET ? 4 : 16;

        memcpy(p.addr, addr, len);
        /* clear host bits, as systemd's in_addr_prefix_nomalize() */
        for (size_t i = 0; i < len; i++) {
                unsigned bits = prefixlen > i * 8 ? prefixlen - i * 8 : 0;

                if (bits < 8)
                        p.addr[i] &= (uint8_t) (0xff00u >> bits);
        }
        for (size_t i = 0; i < *n; i++)
                if (memcmp(&(*list)[i], &p, sizeof(p)) == 0)
                        return 0;
        return array_append(list, n, sizeof(p), &p);
}

/* systemd's in_addr_prefixes special words (systemd 252 in-addr-prefix-util.c) */
static int prefix_special(const char *w, IPPrefix **list, size_t *n) {
        static const struct {
                const char *name;
                const char *v4, *v6;
                unsigned len4, len6;
        } table[] = {
                { "any", "0.0.0.0", "::", 0, 0 },
                { "localhost", "127.0.0.0", "::1", 8, 128 },
                { "link-local", "169.254.0.0", "fe80::", 16, 64 },
                { "multicast", "224.0.0.0", "ff00::", 4, 8 },
        };

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                uint8_t a4[4], a6[16];
                int r;

                if (!streq(w, table[i].name))
                        continue;
                if (inet_pton(AF_INET, table[i].v4, a4) != 1 || inet_pton(AF_INET6, table[i].v6, a6) != 1)
                        return -EINVAL;
                r = prefix_add(list, n, AF_INET, a4, table[i].len4);
                return r < 0 ? r : prefix_add(list, n, AF_INET6, a6, table[i].len6);
        }
        return 0;
}

static int prefix_parse_one(const char *w, IPPrefix **list, size_t *n, CrlError *reterr) {
        char addr[INET6_ADDRSTRLEN + 1];
        const char *slash = strchr(w, '/');
        size_t alen = slash ? (size_t) (slash - w) : strlen(w);
        uint8_t buf[16];
        int family;
        long len;

        if (alen >= sizeof(addr))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an address prefix", w);
        memcpy(addr, w, alen);
        addr[alen] = 0;
        family = inet_pton(AF_INET, addr, buf) == 1 ? AF_INET : inet_pton(AF_INET6, addr, buf) == 1 ? AF_INET6 : 0;
        if (!family)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an address prefix (ADDRESS[/LEN], any, "
                                     "localhost, link-local or multicast)", w);
        len = family == AF_INET ? 32 : 128;
        if (slash) {
                char *end;
                long max = len;

                errno = 0;
                len = strtol(slash + 1, &end, 10);
                if (!slash[1] || *end || errno || len < 0 || len > max || slash[1] == '+' || slash[1] == '-')
                        return crl_error_set(reterr, EINVAL, "\"%s\" has a bad prefix length (0..%ld)", w, max);
        }
        return prefix_add(list, n, family, buf, (unsigned) len);
}

int parse_ip_prefixes(const char *v, IPPrefix **list, size_t *n, CrlError *reterr) {
        _cleanup_strv_free_ char **w = NULL;
        IPPrefix *add = NULL;
        size_t n_add = 0;
        int r;

        r = split_quoted_full(v, 0, &w, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(i, w) {
                size_t before = n_add;

                r = prefix_special(*i, &add, &n_add);
                if (r >= 0 && before == n_add && !strv_contains((char **) (const char *const[]) {
                                "any", "localhost", "link-local", "multicast", NULL }, *i))
                        r = prefix_parse_one(*i, &add, &n_add, reterr);
                if (r < 0) {
                        free(add);
                        return r;
                }
        }
        /* all or nothing: merge only once every word parsed */
        for (size_t i = 0; i < n_add && r >= 0; i++)
                r = prefix_add(list, n, add[i].family, add[i].addr, add[i].prefixlen);
        free(add);
        return r < 0 ? r : 0;
}

/* ---- the keys ---- */

int key_device_policy(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        DevicePolicy p = DEVICE_POLICY_AUTO;

        if (*v) {
                p = device_policy_from_string(v, e);
                if (p < 0)
                        return p;
        }
        l->unit->resources.device_policy = p;
        return 0;
}

int key_device_allow(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        ResourceConfig *rc = &l->unit->resources;
        DeviceAllow d = {};
        struct stat st;
        int r;

        if (!*v) {
                for (size_t i = 0; i < rc->n_device_allow; i++)
                        free(rc->device_allow[i].path);
                rc->device_allow = mfree(rc->device_allow);
                rc->n_device_allow = 0;
                return 0;
        }
        r = parse_device_allow(v, &d, e);
        if (r < 0)
                return r;
        r = array_append(&rc->device_allow, &rc->n_device_allow, sizeof(d), &d);
        if (r < 0) {
                free(d.path);
                return r;
        }
        /* systemd skips such an entry when it builds the program; say so now */
        if (d.path[0] == '/' && stat(d.path, &st) < 0)
                r = diag_add(l->diags, false, l->file, l->line, k->name,
                             "\"%s\" does not exist on this host (%s); the entry allows nothing, ignoring",
                             d.path, strerror(errno));
        else if (d.path[0] == '/' && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
                r = diag_add(l->diags, false, l->file, l->line, k->name,
                             "\"%s\" is not a device node; the entry allows nothing, ignoring", d.path);
        return r < 0 ? r : 0;
}

int key_ip_address(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        IPPrefix **list = FIELD(l, k, IPPrefix *);
        size_t *n = FIELD_N(l, k);

        if (!*v) {
                *list = mfree(*list);
                *n = 0;
                return 0;
        }
        return parse_ip_prefixes(v, list, n, e);
}
