/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses, ports, device values and filesystem paths. */
#include <arpa/inet.h>
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"
#include "unit-value-internal.h"

/* ---- paths ---- */

int value_path_normalize(const char *v, const char *what, char **ret, CrlError *reterr) {
        int r;

        if (v[0] != '/')
                return crl_error_set(reterr, EINVAL, "%s \"%s\" is not an absolute path", what, v);
        if (strlen(v) >= PATH_MAX)
                return crl_error_set(reterr, EINVAL, "%s \"%.64s...\" is longer than PATH_MAX", what, v);
        r = value_path_simplify(v, ret);
        if (r == -EINVAL)
                return crl_error_set(reterr, EINVAL, "%s \"%s\" contains \"..\" (give a normalized absolute path)",
                                     what, v);
        return r;
}

int parse_path_spec(const char *v, PathSpec *ret, CrlError *reterr) {
        bool optional = v[0] == '-';
        const char *p = v + optional;
        char *path = NULL;
        int r;

        if (*p == '+')
                return crl_error_set(reterr, EINVAL, "\"%s\": the '+' prefix is not supported (supported: '-')", v);
        r = value_path_normalize(p, "path", &path, reterr);
        if (r < 0)
                return r;
        *ret = (PathSpec) { .path = path, .ignore_missing = optional };
        return 0;
}

static int bind_options(const char *v, const char *opt, bool *recursive, CrlError *reterr) {
        if (streq(opt, "rbind"))
                *recursive = true;
        else if (streq(opt, "norbind"))
                *recursive = false;
        else
                return crl_error_set(reterr, EINVAL, "\"%s\": \"%s\" is not a bind option (use rbind or norbind)", v, opt);
        return 0;
}

/* Length of the raw text at s up to an unquoted, unescaped character of
 * stop (quotes and escapes stay in; as systemd's extract_first_word() sees
 * separators); -EINVAL for an unterminated quote. */
static int raw_span(const char *s, const char *stop, size_t *ret) {
        char quote = 0;
        size_t i = 0;

        while (s[i] != '\0') {
                if (s[i] == '\\' && s[i + 1] != '\0') {
                        i += 2;
                        continue;
                }
                if (quote && s[i] == quote)
                        quote = 0;
                else if (!quote && (s[i] == '"' || s[i] == '\''))
                        quote = s[i];
                else if (!quote && strchr(stop, s[i]))
                        break;
                i++;
        }
        if (quote)
                return -EINVAL;
        *ret = i;
        return 0;
}

/* Quotes of one raw component removed and "\X" read as X (systemd's
 * EXTRACT_UNQUOTE without C escapes), so "\:" is a ':'. */
static int bind_component(const char *raw, size_t n, char **ret, CrlError *reterr) {
        _cleanup_free_ char *c = strndup(raw, n);
        const char *p = c;
        int r;

        if (!c)
                return -ENOMEM;
        r = value_extract_word_full(&p, 0, ret, reterr);
        if (r == 0)
                *ret = strdup("");
        return r < 0 ? r : *ret ? 0 : -ENOMEM;
}

int split_bind_paths(const char *v, char ***ret, CrlError *reterr) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        const char *p = value_skip_ws(v);

        if (!l)
                return -ENOMEM;
        while (*p != '\0') {
                char *w;
                size_t n;

                if (raw_span(p, WHITESPACE, &n) < 0)
                        return crl_error_set(reterr, EINVAL, "unterminated quote in \"%s\"", p);
                w = strndup(p, n);
                if (!w || strv_push(&l, w) < 0) {
                        free(w);
                        return -ENOMEM;
                }
                p = value_skip_ws(p + n);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

typedef struct BindParts {
        char *part[3];          /* SOURCE, DESTINATION, OPTIONS; NULL when absent */
} BindParts;

static void bind_parts_done(BindParts *b) {
        for (size_t i = 0; i < ELEMENTSOF(b->part); i++)
                free(b->part[i]);
}

int parse_bind_path(const char *v, bool read_only, BindMount *ret, CrlError *reterr) {
        _cleanup_(bind_parts_done) BindParts parts = {};
        _cleanup_free_ char *src = NULL, *dst = NULL;
        char **part = parts.part;
        bool optional = v[0] == '-', recursive = true;
        const char *p = v + optional;
        size_t n_parts = 0;
        int r;

        for (;;) {
                size_t n;

                if (raw_span(p, ":", &n) < 0)
                        return crl_error_set(reterr, EINVAL, "unterminated quote in \"%s\"", v);
                if (n_parts == 3)
                        return crl_error_set(reterr, EINVAL, "\"%s\" has too many ':' (use [-]SOURCE[:DESTINATION[:OPTIONS]]; "
                                             "write a ':' in a path as \\:)", v);
                r = bind_component(p, n, &part[n_parts++], reterr);
                if (r < 0)
                        return r;
                if (p[n] != ':')
                        break;
                p += n + 1;
        }
        r = value_path_normalize(part[0], "source", &src, reterr);
        if (r >= 0)
                r = value_path_normalize(part[1] ?: part[0], "destination", &dst, reterr);
        if (r >= 0 && part[2])
                r = bind_options(v, part[2], &recursive, reterr);
        if (r < 0)
                return r;
        *ret = (BindMount) {
                .source = TAKE_PTR(src),
                .destination = TAKE_PTR(dst),
                .read_only = read_only,
                .ignore_missing = optional,
                .recursive = recursive,
        };
        return 0;
}

int parse_tmpfs_spec(const char *v, TmpfsMount *ret, CrlError *reterr) {
        _cleanup_free_ char *copy = strdup(v), *path = NULL, *options = NULL;
        char *colon;
        int r;

        if (!copy)
                return -ENOMEM;
        colon = strchr(copy, ':');
        if (colon) {
                *colon = '\0';
                if (colon[1] == '\0')
                        return crl_error_set(reterr, EINVAL, "\"%s\": empty mount options after ':' "
                                             "(e.g. /run/x:size=10M,mode=0755)", v);
                options = strdup(colon + 1);
                if (!options)
                        return -ENOMEM;
        }
        r = value_path_normalize(copy, "path", &path, reterr);
        if (r < 0)
                return r;
        *ret = (TmpfsMount) { .path = TAKE_PTR(path), .options = TAKE_PTR(options) };
        return 0;
}

/* ---- IPv4 ---- */

int parse_ipv4_address(const char *v, struct in_addr *ret, CrlError *reterr) {
        struct in_addr a;

        /* inet_pton() takes only the dotted quad: no octal, no short forms */
        if (inet_pton(AF_INET, v, &a) != 1)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an IPv4 address (e.g. 10.89.0.5)", v);
        *ret = a;
        return 0;
}

int parse_ipv4_cidr(const char *v, struct in_addr *ret_addr, uint8_t *ret_prefixlen, CrlError *reterr) {
        _cleanup_free_ char *copy = strdup(v);
        const char *p;
        struct in_addr a;
        uint64_t len;
        char *slash;

        if (!copy)
                return -ENOMEM;
        slash = strchr(copy, '/');
        if (!slash)
                return crl_error_set(reterr, EINVAL, "\"%s\" has no prefix length (e.g. 10.89.0.5/24)", v);
        *slash = '\0';
        if (inet_pton(AF_INET, copy, &a) != 1)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not an IPv4 address with prefix length (e.g. 10.89.0.5/24)", v);
        p = slash + 1;
        if (value_parse_digits(&p, &len) < 0 || *p != '\0' || len > 32)
                return crl_error_set(reterr, EINVAL, "\"%s\": the prefix length must be a number from 0 to 32", v);
        *ret_addr = a;
        *ret_prefixlen = (uint8_t) len;
        return 0;
}

/* ---- Port= ---- */

static int parse_port(const char *v, const char *s, uint16_t *ret, CrlError *reterr) {
        const char *p = s;
        uint64_t n;
        int r;

        r = value_parse_digits(&p, &n);
        if ((r == -EINVAL || (r == 0 && *p != '\0')) && streq(v, s))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a port number (1-65535)", s);
        if (r == -EINVAL || (r == 0 && *p != '\0'))
                return crl_error_set(reterr, EINVAL, "\"%s\": \"%s\" is not a port number (1-65535)", v, s);
        if (r == -ERANGE || n < 1 || n > 65535)
                return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (1-65535)", s);
        *ret = (uint16_t) n;
        return 0;
}

int parse_port_forward(const char *v, PortForward *ret, CrlError *reterr) {
        _cleanup_free_ char *copy = strdup(v);
        PortForward pf = { .protocol = IPPROTO_TCP };
        char *host, *service;
        int r;

        if (!copy)
                return -ENOMEM;
        host = copy;
        if (strneq(host, "tcp:", 4) || strneq(host, "udp:", 4)) {
                pf.protocol = host[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
                host += 4;
        } else if (host[0] != '\0' && !strchr("0123456789", host[0]) && strchr(host, ':')) {
                *strchr(host, ':') = '\0';
                return crl_error_set(reterr, EINVAL, "\"%s\": \"%s\" is not a protocol (use tcp or udp)", v, host);
        }
        service = strchr(host, ':');
        if (service)
                *service++ = '\0';
        r = parse_port(v, host, &pf.host_port, reterr);
        if (r < 0)
                return r;
        pf.service_port = pf.host_port;
        if (service) {
                r = parse_port(v, service, &pf.service_port, reterr);
                if (r < 0)
                        return r;
        }
        *ret = pf;
        return 0;
}

/* ---- IODeviceWeight= and io.max values ---- */

static int io_value(const char *v, const char *s, IOValueKind kind, uint64_t *ret, CrlError *reterr) {
        long w;
        int r;

        if (kind == IO_VALUE_WEIGHT) {
                r = parse_int_range(s, 1, 10000, &w, reterr);
                if (r >= 0)
                        *ret = (uint64_t) w;
                return r;
        }
        if (streq(s, "infinity")) {
                *ret = UINT64_MAX;
                return 0;
        }
        /* systemd: bandwidths and IOPS take K, M, G, T to the base of 1000 */
        r = value_parse_size_base(s, 1000, ret);
        if (r == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (use infinity for no limit)", s);
        if (r < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not %s (use a number with K, M, G, T (base 1000), or infinity)",
                                     s, kind == IO_VALUE_BYTES ? "a bandwidth" : "an IOPS count");
        if (*ret == 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not allowed: the limit must be above 0", s);
        return 0;
}

int parse_io_device_value(const char *v, IOValueKind kind, IODeviceValue *ret, CrlError *reterr) {
        _cleanup_free_ char *word = NULL, *path = NULL, *value = NULL;
        const char *p = v;
        uint64_t n;
        int r;

        assert(kind >= 0 && kind < _IO_VALUE_KIND_MAX);
        r = value_extract_word(&p, &word, reterr);
        if (r < 0)
                return r;
        if (r == 0)
                return crl_error_set(reterr, EINVAL, "no device given (use PATH VALUE, e.g. /dev/sda 10M)");
        value = value_strip_dup(p);
        if (!value)
                return -ENOMEM;
        if (value[0] == '\0')
                return crl_error_set(reterr, EINVAL, "\"%s\": no value after the path (use PATH VALUE, e.g. /dev/sda %s)",
                                     v, kind == IO_VALUE_WEIGHT ? "200" : kind == IO_VALUE_BYTES ? "10M" : "1000");
        r = value_path_normalize(word, "device path", &path, reterr);
        if (r >= 0)
                r = io_value(v, value, kind, &n, reterr);
        if (r < 0)
                return r;
        *ret = (IODeviceValue) { .path = TAKE_PTR(path), .value = n };
        return 0;
}
