/* TEMPORARY stubs until the values branch lands; deleted at the merge. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "strv.h"
#include "unit-value.h"

int parse_boolean(const char *v, CrlError *e) {
        if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1")) return 1;
        if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0")) return 0;
        return crl_error_set(e, EINVAL, "\"%s\" is not a boolean (use yes or no)", v);
}
int parse_size(const char *v, bool p, bool inf, ResourceLimit *ret, CrlError *e) {
        char *end; unsigned long long n;
        if (inf && !strcmp(v, "infinity")) { *ret = (ResourceLimit){LIMIT_INFINITY, 0}; return 0; }
        n = strtoull(v, &end, 10);
        if (end == v) goto bad;
        if (p && !strcmp(end, "%")) { *ret = (ResourceLimit){LIMIT_PERCENT, n * 100}; return 0; }
        if (!*end) { *ret = (ResourceLimit){LIMIT_VALUE, n}; return 0; }
        if (end[1]) goto bad;
        switch (*end) { case 'K': n <<= 10; break; case 'M': n <<= 20; break; case 'G': n <<= 30; break; case 'T': n <<= 40; break; default: goto bad; }
        *ret = (ResourceLimit){LIMIT_VALUE, n}; return 0;
bad:
        return crl_error_set(e, EINVAL, "\"%s\" is not a size (use K, M, G, T, a percentage, or infinity)", v);
}
int parse_tasks_max(const char *v, ResourceLimit *ret, CrlError *e) { return parse_size(v, true, true, ret, e); }
int parse_time_span(const char *v, usec_t *ret, CrlError *e) {
        char *end; unsigned long long n;
        if (!strcmp(v, "infinity")) { *ret = USEC_INFINITY; return 0; }
        n = strtoull(v, &end, 10);
        if (end == v) goto bad;
        if (!*end || !strcmp(end, "s")) *ret = n * USEC_PER_SEC;
        else if (!strcmp(end, "ms")) *ret = n * USEC_PER_MSEC;
        else if (!strcmp(end, "us")) *ret = n;
        else if (!strcmp(end, "min")) *ret = n * 60 * USEC_PER_SEC;
        else if (!strcmp(end, "h")) *ret = n * 3600 * USEC_PER_SEC;
        else goto bad;
        return 0;
bad:
        return crl_error_set(e, EINVAL, "\"%s\" is not a time span (use us, ms, s, min, h)", v);
}
int parse_time_span_signed(const char *v, int64_t *ret, CrlError *e) {
        usec_t t; bool neg = v[0] == '-';
        if (parse_time_span(v + neg, &t, e) < 0) return -EINVAL;
        *ret = neg ? -(int64_t) t : (int64_t) t; return 0;
}
int parse_percent(const char *v, uint64_t *ret, CrlError *e) {
        char *end; unsigned long n = strtoul(v, &end, 10);
        if (end == v || strcmp(end, "%")) return crl_error_set(e, EINVAL, "\"%s\" is not a percentage", v);
        *ret = n * 100; return 0;
}
int parse_cpu_set(const char *v, char **ret, CrlError *e) { *ret = strdup(v); return *ret ? 0 : -ENOMEM; }
int parse_signal(const char *v, int *ret, CrlError *e) {
        if (!strcmp(v, "SIGTERM")) { *ret = SIGTERM; return 0; }
        if (!strcmp(v, "SIGINT")) { *ret = SIGINT; return 0; }
        if (!strcmp(v, "SIGKILL")) { *ret = SIGKILL; return 0; }
        if (!strcmp(v, "SIGHUP")) { *ret = SIGHUP; return 0; }
        return crl_error_set(e, EINVAL, "\"%s\" is not a signal", v);
}
int parse_exit_status_list(const char *v, int **c, size_t *nc, int **s, size_t *ns, CrlError *e) {
        int *x = realloc(*c, (*nc + 1) * sizeof(int)); if (!x) return -ENOMEM;
        x[(*nc)++] = atoi(v); *c = x; return 0;
}
int split_quoted(const char *v, char ***ret, CrlError *e) {
        char **l = NULL; const char *p = v;
        while (*p) {
                while (*p == ' ') p++;
                if (!*p) break;
                const char *s = p; while (*p && *p != ' ') p++;
                char *w = strndup(s, p - s); strv_push(&l, w);
        }
        *ret = l; return 0;
}
int parse_command_line(const char *v, ExecCommand *ret, CrlError *e) {
        char **w; bool ign = v[0] == '-';
        split_quoted(v + ign, &w, e);
        if (!w) return crl_error_set(e, EINVAL, "empty command");
        ret->path = strdup(w[0]); ret->argv = w; ret->ignore_failure = ign; return 0;
}
int parse_environment(const char *v, char ***env, CrlError *e) {
        if (!strchr(v, '=')) return crl_error_set(e, EINVAL, "\"%s\" is not KEY=VALUE", v);
        return strv_extend(env, v);
}
int parse_environment_file_text(const char *t, char ***env, CrlError *e) { return 0; }
int expand_variables(const char *s, char *const *env, char **ret) { *ret = strdup(s); return 0; }
int parse_ipv4_cidr(const char *v, struct in_addr *a, uint8_t *len, CrlError *e) {
        char buf[64]; const char *sl = strchr(v, '/');
        if (!sl || (size_t)(sl - v) >= sizeof(buf)) return crl_error_set(e, EINVAL, "\"%s\" is not A.B.C.D/N", v);
        memcpy(buf, v, sl - v); buf[sl - v] = 0;
        if (inet_pton(AF_INET, buf, a) != 1) return crl_error_set(e, EINVAL, "\"%s\" is not A.B.C.D/N", v);
        *len = atoi(sl + 1); return 0;
}
int parse_ipv4_address(const char *v, struct in_addr *a, CrlError *e) {
        if (inet_pton(AF_INET, v, a) != 1) return crl_error_set(e, EINVAL, "\"%s\" is not an IPv4 address", v);
        return 0;
}
int parse_port_forward(const char *v, PortForward *r, CrlError *e) {
        r->protocol = IPPROTO_TCP; r->host_port = r->service_port = atoi(v); return 0;
}
int parse_io_device_value(const char *v, IOValueKind k, IODeviceValue *r, CrlError *e) {
        const char *sp = strchr(v, ' ');
        if (!sp || v[0] != '/') return crl_error_set(e, EINVAL, "\"%s\" is not PATH VALUE", v);
        r->path = strndup(v, sp - v); r->value = strtoull(sp + 1, NULL, 10); return 0;
}
int parse_bind_path(const char *v, bool ro, BindMount *r, CrlError *e) {
        bool ign = v[0] == '-';
        if (v[ign] != '/') return crl_error_set(e, EINVAL, "\"%s\" is not an absolute path", v);
        r->source = strdup(v + ign); r->destination = strdup(v + ign); r->read_only = ro; r->ignore_missing = ign; r->recursive = true; return 0;
}
int parse_path_spec(const char *v, PathSpec *r, CrlError *e) {
        bool ign = v[0] == '-';
        if (v[ign] != '/') return crl_error_set(e, EINVAL, "\"%s\" is not an absolute path", v);
        r->path = strdup(v + ign); r->ignore_missing = ign; return 0;
}
int parse_tmpfs_spec(const char *v, TmpfsMount *r, CrlError *e) {
        if (v[0] != '/') return crl_error_set(e, EINVAL, "\"%s\" is not an absolute path", v);
        r->path = strdup(v); r->options = NULL; return 0;
}
int parse_user_or_group_name(const char *v, CrlError *e) {
        if (!*v || strchr(v, ' ') || strchr(v, ':')) return crl_error_set(e, EINVAL, "\"%s\" is not a user or group name", v);
        return 0;
}
int parse_capability_set(const char *v, uint64_t *r, CrlError *e) { *r = 1; return 0; }
int parse_rlimit(const char *v, struct rlimit *r, CrlError *e) { r->rlim_cur = r->rlim_max = atoi(v); return 0; }
int parse_output_spec(const char *v, OutputSpec *r, CrlError *e) {
        if (!strcmp(v, "null")) { r->kind = OUTPUT_NULL; return 0; }
        if (!strcmp(v, "log")) { r->kind = OUTPUT_LOG; return 0; }
        if (!strcmp(v, "journal")) { r->kind = OUTPUT_JOURNAL; return 0; }
        return crl_error_set(e, EINVAL, "\"%s\" is not an output", v);
}
int parse_umask(const char *v, int *r, CrlError *e) { *r = strtol(v, NULL, 8); return 0; }
int parse_int_range(const char *v, long min, long max, long *r, CrlError *e) {
        char *end; long n = strtol(v, &end, 10);
        if (end == v || *end || n < min || n > max) return crl_error_set(e, EINVAL, "\"%s\" is not a number between %ld and %ld", v, min, max);
        *r = n; return 0;
}
#define ENUMP(fn, type, ...) type fn(const char *v, CrlError *e) { static const char *const t[] = { __VA_ARGS__ }; \
        for (size_t i = 0; i < ELEMENTSOF(t); i++) if (!strcmp(t[i], v)) return (type) i; \
        crl_error_set(e, EINVAL, "\"%s\" is not valid", v); return (type) -EINVAL; }
ENUMP(service_type_from_string, ServiceType, "simple", "exec", "notify", "oneshot")
ENUMP(restart_policy_from_string, RestartPolicy, "no", "on-success", "on-failure", "on-abnormal", "on-abort", "always")
ENUMP(oom_policy_from_string, OOMPolicy, "stop", "continue", "kill")
ENUMP(private_users_from_string, PrivateUsers, "no", "self", "identity", "pick")
ENUMP(protect_control_groups_from_string, ProtectControlGroups, "no", "yes", "private", "strict")
ENUMP(protect_system_from_string, ProtectSystem, "no", "yes", "full", "strict")
ENUMP(protect_home_from_string, ProtectHome, "no", "yes", "read-only", "tmpfs")
int unit_name_normalize(const char *name, char **ret) {
        size_t n = strlen(name);
        char *s;
        if (n > 8 && !strcmp(name + n - 8, ".service")) n -= 8;
        if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-') return -EINVAL;
        for (size_t i = 0; i < n; i++) if (!isalnum((unsigned char) name[i]) && !strchr("_.-@", name[i])) return -EINVAL;
        if (!ret) return 0;
        s = strndup(name, n); if (!s) return -ENOMEM; *ret = s; return 0;
}
int unit_exec_expand(const ExecCommand *cmd, char *const *env, char ***ret_argv) { return -ENOSYS; }
