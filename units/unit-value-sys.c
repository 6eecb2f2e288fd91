/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsers for process attributes: CPU sets, signals, exit statuses, rlimits,
 * user names, capabilities, output targets. */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "strv.h"
#include "unit-value-internal.h"

/* ---- CPU sets ---- */

#define CPU_SET_MAX 8192        /* indexes 0..8191, as systemd's parse_cpu_set() */

static int cpu_set_item(const char *w, uint8_t *bits, CrlError *reterr) {
        const char *p = w;
        uint64_t a, b;
        int r;

        r = value_parse_digits(&p, &a);
        b = a;
        if (r == 0 && *p == '-') {
                p++;
                r = value_parse_digits(&p, &b);
        }
        if (r == -EINVAL || (r == 0 && *p != '\0'))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a CPU number or range (e.g. 0-3,5)", w);
        if (r == -ERANGE || a >= CPU_SET_MAX || b >= CPU_SET_MAX)
                return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (CPU numbers are 0-%d)", w, CPU_SET_MAX - 1);
        if (b < a)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a valid range (it ends before it starts)", w);
        for (uint64_t i = a; i <= b; i++)
                bits[i / 8] |= (uint8_t) (1u << (i % 8));
        return 0;
}

static bool bit_is_set(const uint8_t *bits, size_t i) {
        return i < CPU_SET_MAX && (bits[i / 8] & (1u << (i % 8)));
}

static int cpu_set_format(const uint8_t *bits, char **ret) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < CPU_SET_MAX; i++) {
                size_t j = i;

                if (!bit_is_set(bits, i))
                        continue;
                while (bit_is_set(bits, j + 1))
                        j++;
                if (j == i)
                        fprintf(f, "%s%zu", ftell(f) > 0 ? "," : "", i);
                else
                        fprintf(f, "%s%zu-%zu", ftell(f) > 0 ? "," : "", i, j);
                i = j;
        }
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        *ret = buf;
        return 0;
}

int parse_cpu_set(const char *v, char **ret_normalized, CrlError *reterr) {
        _cleanup_free_ uint8_t *bits = calloc(CPU_SET_MAX / 8, 1);
        _cleanup_free_ char *s = strdup(v);
        char *save = NULL;
        bool any = false;
        int r;

        if (!bits || !s)
                return -ENOMEM;
        for (char *w = strtok_r(s, WHITESPACE ",", &save); w; w = strtok_r(NULL, WHITESPACE ",", &save)) {
                r = cpu_set_item(w, bits, reterr);
                if (r < 0)
                        return r;
                any = true;
        }
        if (!any)
                return crl_error_set(reterr, EINVAL, "empty CPU list (use numbers and ranges, e.g. 0-3,5)");
        return cpu_set_format(bits, ret_normalized);
}

/* ---- signals ---- */

static int signal_from_name(const char *s) {
        const char *n = strneq(s, "SIG", 3) ? s + 3 : s;
        const char *p;
        uint64_t k = 0;

        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && streq(abbrev, n))
                        return sig;
        }
        if (strneq(n, "RTMIN", 5) || strneq(n, "RTMAX", 5)) {
                bool max = n[3] == 'A';

                p = n + 5;
                if (*p != '\0') {
                        if (*p++ != (max ? '-' : '+') || value_parse_digits(&p, &k) < 0 || *p != '\0')
                                return -EINVAL;
                }
                if (k > (uint64_t) (SIGRTMAX - SIGRTMIN))
                        return -ERANGE;
                return max ? SIGRTMAX - (int) k : SIGRTMIN + (int) k;
        }
        return -EINVAL;
}

int parse_signal(const char *v, int *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        const char *p;
        uint64_t n;
        int sig;

        if (!s)
                return -ENOMEM;
        p = s;
        if (value_parse_digits(&p, &n) == 0 && *p == '\0') {
                if (n < 1 || n > (uint64_t) SIGRTMAX)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (signals are 1-%d)", v, SIGRTMAX);
                *ret = (int) n;
                return 0;
        }
        sig = signal_from_name(s);
        if (sig == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is beyond the real-time signals (SIGRTMIN+0 to SIGRTMIN+%d)",
                                     v, SIGRTMAX - SIGRTMIN);
        if (sig < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a signal (e.g. SIGTERM, TERM, 15 or SIGRTMIN+3)", v);
        *ret = sig;
        return 0;
}

/* ---- SuccessExitStatus= ---- */

static int int_array_append(int **a, size_t *n, const int *add, size_t n_add) {
        int *c;

        if (n_add == 0)
                return 0;
        c = realloc(*a, sizeof(int) * (*n + n_add));
        if (!c)
                return -ENOMEM;
        memcpy(c + *n, add, sizeof(int) * n_add);
        *a = c;
        *n += n_add;
        return 0;
}

/* systemd 252's exit-status table (src/basic/exit-status.c, as
 * `systemd-analyze exit-status` lists it): libc, LSB, BSD <sysexits.h> and
 * systemd's own codes. SuccessExitStatus= takes these names, case-sensitive. */
static const struct {
        const char *name;
        uint8_t code;
} exit_status_names[] = {
        { "SUCCESS", 0 }, { "FAILURE", 1 },
        { "INVALIDARGUMENT", 2 }, { "NOTIMPLEMENTED", 3 }, { "NOPERMISSION", 4 }, { "NOTINSTALLED", 5 },
        { "NOTCONFIGURED", 6 }, { "NOTRUNNING", 7 },
        { "USAGE", 64 }, { "DATAERR", 65 }, { "NOINPUT", 66 }, { "NOUSER", 67 }, { "NOHOST", 68 },
        { "UNAVAILABLE", 69 }, { "SOFTWARE", 70 }, { "OSERR", 71 }, { "OSFILE", 72 }, { "CANTCREAT", 73 },
        { "IOERR", 74 }, { "TEMPFAIL", 75 }, { "PROTOCOL", 76 }, { "NOPERM", 77 }, { "CONFIG", 78 },
        { "CHDIR", 200 }, { "NICE", 201 }, { "FDS", 202 }, { "EXEC", 203 }, { "MEMORY", 204 }, { "LIMITS", 205 },
        { "OOM_ADJUST", 206 }, { "SIGNAL_MASK", 207 }, { "STDIN", 208 }, { "STDOUT", 209 }, { "CHROOT", 210 },
        { "IOPRIO", 211 }, { "TIMERSLACK", 212 }, { "SECUREBITS", 213 }, { "SETSCHEDULER", 214 },
        { "CPUAFFINITY", 215 }, { "GROUP", 216 }, { "USER", 217 }, { "CAPABILITIES", 218 }, { "CGROUP", 219 },
        { "SETSID", 220 }, { "CONFIRM", 221 }, { "STDERR", 222 }, { "PAM", 224 }, { "NETWORK", 225 },
        { "NAMESPACE", 226 }, { "NO_NEW_PRIVILEGES", 227 }, { "SECCOMP", 228 }, { "SELINUX_CONTEXT", 229 },
        { "PERSONALITY", 230 }, { "APPARMOR", 231 }, { "ADDRESS_FAMILIES", 232 }, { "RUNTIME_DIRECTORY", 233 },
        { "CHOWN", 235 }, { "SMACK_PROCESS_LABEL", 236 }, { "KEYRING", 237 }, { "STATE_DIRECTORY", 238 },
        { "CACHE_DIRECTORY", 239 }, { "LOGS_DIRECTORY", 240 }, { "CONFIGURATION_DIRECTORY", 241 },
        { "NUMA_POLICY", 242 }, { "CREDENTIALS", 243 }, { "BPF", 244 }, { "EXCEPTION", 255 },
};

static int exit_status_from_name(const char *w) {
        for (size_t i = 0; i < ELEMENTSOF(exit_status_names); i++)
                if (streq(w, exit_status_names[i].name))
                        return exit_status_names[i].code;
        return -EINVAL;
}

static int exit_status_word(const char *w, int *codes, size_t *nc, int *sigs, size_t *ns, CrlError *reterr) {
        const char *p = w;
        uint64_t n;
        int sig, code;

        if (value_parse_digits(&p, &n) == 0 && *p == '\0') {
                if (n > 255)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (exit codes are 0-255)", w);
                codes[(*nc)++] = (int) n;
                return 0;
        }
        code = exit_status_from_name(w);
        if (code >= 0) {
                codes[(*nc)++] = code;
                return 0;
        }
        sig = signal_from_name(w);
        if (sig < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is neither an exit code (0-255 or a name such as "
                                     "DATAERR) nor a signal name (e.g. SIGUSR1)", w);
        sigs[(*ns)++] = sig;
        return 0;
}

int parse_exit_status_list(const char *v, int **codes, size_t *n_codes,
                           int **signals, size_t *n_signals, CrlError *reterr) {
        _cleanup_free_ char *s = strdup(v);
        _cleanup_free_ int *c = NULL, *g = NULL;
        size_t nc = 0, ng = 0, words;
        char *save = NULL;
        int r;

        if (!s)
                return -ENOMEM;
        words = strlen(s) / 2 + 1;
        c = calloc(words, sizeof(int));
        g = calloc(words, sizeof(int));
        if (!c || !g)
                return -ENOMEM;
        for (char *w = strtok_r(s, WHITESPACE, &save); w; w = strtok_r(NULL, WHITESPACE, &save)) {
                r = exit_status_word(w, c, &nc, g, &ng, reterr);
                if (r < 0)
                        return r;
        }
        if (nc + ng == 0)
                return crl_error_set(reterr, EINVAL, "no exit code or signal given (e.g. 75 SIGUSR1)");
        r = int_array_append(codes, n_codes, c, nc);
        if (r < 0)
                return r;
        return int_array_append(signals, n_signals, g, ng);
}

/* ---- rlimits ---- */

static int rlimit_value(const char *s, bool bytes, rlim_t *ret) {
        const char *p = s;
        uint64_t n;
        int r;

        if (streq(s, "infinity")) {
                *ret = RLIM_INFINITY;
                return 0;
        }
        if (bytes)
                r = value_parse_size_base(s, 1024, &n);
        else {
                r = value_parse_digits(&p, &n);
                if (r == 0 && *p != '\0')
                        r = -EINVAL;
        }
        if (r == 0 && n == RLIM_INFINITY)
                r = -ERANGE;
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}

static int parse_rlimit_full(const char *v, bool bytes, struct rlimit *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        struct rlimit rl;
        char *colon;
        int r;

        if (!s)
                return -ENOMEM;
        colon = strchr(s, ':');
        if (colon)
                *colon = '\0';
        r = rlimit_value(s, bytes, &rl.rlim_cur);
        if (r >= 0)
                r = colon ? rlimit_value(colon + 1, bytes, &rl.rlim_max) : 0;
        if (r >= 0 && !colon)
                rl.rlim_max = rl.rlim_cur;
        if (r == -ERANGE)
                return crl_error_set(reterr, EINVAL, "\"%s\" is too large (use infinity for no limit)", v);
        if (r < 0)
                return crl_error_set(reterr, EINVAL, "\"%s\" is not a limit (use %s, SOFT:HARD, or infinity)",
                                     v, bytes ? "a size with K, M, G, T" : "a number");
        if (rl.rlim_cur > rl.rlim_max)
                return crl_error_set(reterr, EINVAL, "\"%s\": the soft limit is above the hard limit", v);
        *ret = rl;
        return 0;
}

int parse_rlimit(const char *v, struct rlimit *ret, CrlError *reterr) {
        return parse_rlimit_full(v, false, ret, reterr);
}

int parse_rlimit_size(const char *v, struct rlimit *ret, CrlError *reterr) {
        return parse_rlimit_full(v, true, ret, reterr);
}

/* ---- users and groups ---- */

/* systemd's valid_user_group_name() with VALID_USER_RELAX, which User=,
 * Group= and SupplementaryGroups= use: only what would break /etc/passwd or
 * a home directory path is refused (no length limit). The value is valid
 * UTF-8 already (the reader checks every line). */
static bool valid_name_relaxed(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f || *p == ':' || *p == '/')
                        return false;
        if (strspn(s, "0123456789") == n || (s[0] == '-' && strspn(s + 1, "0123456789") == n - 1))
                return false;
        return !streq(s, ".") && !streq(s, "..");
}

int parse_user_or_group_name(const char *v, CrlError *reterr) {
        const char *p = v;
        uint64_t id;

        if (value_parse_digits(&p, &id) == 0 && *p == '\0') {
                /* (uid_t) -1 and 65535 (16-bit -1) are never valid ids */
                if (id >= UINT32_MAX || id == 65535)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is not a valid numeric id (0-4294967294, not 65535)", v);
                return 0;
        }
        if (!utf8_is_valid(v))
                return crl_error_set(reterr, EINVAL, "a user or group name must be valid UTF-8");
        if (!valid_name_relaxed(v))
                return crl_error_set(reterr, EINVAL,
                                     "\"%s\" is not a valid user or group name (no ':', '/', control characters or "
                                     "surrounding spaces, not \".\", \"..\" or all digits; or a numeric id "
                                     "0-4294967294 other than 65535)", v);
        return 0;
}

/* ---- capabilities ---- */

static const char *const capability_names[] = {
        "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
        "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
        "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
        "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
        "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
        "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

uint64_t capability_all_mask(void) {
        return (UINT64_C(1) << ELEMENTSOF(capability_names)) - 1;
}

const char *capability_to_name(unsigned cap) {
        return cap < ELEMENTSOF(capability_names) ? capability_names[cap] : NULL;
}

static int capability_from_name(const char *w) {
        const char *p = w;
        uint64_t n;

        if (value_parse_digits(&p, &n) == 0 && *p == '\0')
                return n < ELEMENTSOF(capability_names) ? (int) n : -ERANGE;
        if (strncasecmp(w, "cap_", 4) != 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(capability_names); i++)
                if (strcasecmp(w + 4, capability_names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

int parse_capability_set(const char *v, uint64_t *ret, CrlError *reterr) {
        _cleanup_free_ char *s = value_strip_dup(v);
        char *save = NULL, *list;
        uint64_t set = 0;
        bool invert;

        if (!s)
                return -ENOMEM;
        invert = s[0] == '~';
        list = s + invert;
        for (char *w = strtok_r(list, WHITESPACE, &save); w; w = strtok_r(NULL, WHITESPACE, &save)) {
                int cap = capability_from_name(w);

                if (cap == -ERANGE)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is out of range (capabilities are 0-%zu)",
                                             w, ELEMENTSOF(capability_names) - 1);
                if (cap < 0)
                        return crl_error_set(reterr, EINVAL, "\"%s\" is not a capability (e.g. CAP_NET_ADMIN; see capabilities(7))", w);
                set |= UINT64_C(1) << cap;
        }
        if (set == 0 && !invert)
                return crl_error_set(reterr, EINVAL, "no capability given (e.g. CAP_NET_ADMIN, or ~ for all)");
        *ret = invert ? ~set & capability_all_mask() : set;
        return 0;
}

/* ---- StandardOutput= / StandardError= ---- */

static int output_path(const char *v, const char *arg, OutputKind kind, OutputSpec *ret, CrlError *reterr) {
        char *path = NULL;
        int r;

        r = value_path_normalize(arg, "path", &path, reterr);
        if (r < 0)
                return r;
        free(ret->path);
        *ret = (OutputSpec) { .kind = kind, .path = path };
        return 0;
}

int parse_output_spec(const char *v, OutputSpec *ret, CrlError *reterr) {
        static const struct { const char *name; OutputKind kind; } simple[] = {
                { "log", OUTPUT_LOG }, { "journal", OUTPUT_JOURNAL }, { "null", OUTPUT_NULL },
                { "inherit", OUTPUT_INHERIT },
        };
        _cleanup_free_ char *s = value_strip_dup(v);

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(simple); i++)
                if (streq(s, simple[i].name)) {
                        free(ret->path);
                        *ret = (OutputSpec) { .kind = simple[i].kind };
                        return 0;
                }
        if (strneq(s, "file:", 5))
                return output_path(v, s + 5, OUTPUT_FILE, ret, reterr);
        if (strneq(s, "truncate:", 9))
                return output_path(v, s + 9, OUTPUT_FILE, ret, reterr);
        if (strneq(s, "append:", 7))
                return output_path(v, s + 7, OUTPUT_APPEND, ret, reterr);
        if (streq(s, "kmsg") || streq(s, "tty") || streq(s, "socket") || strneq(s, "fd:", 3) ||
            streq(s, "journal+console") || streq(s, "kmsg+console"))
                return crl_error_set(reterr, EINVAL, "\"%s\" is not supported (use log, journal, null, inherit, "
                                     "file:PATH, or append:PATH)", v);
        return crl_error_set(reterr, EINVAL, "\"%s\" is not an output (use log, journal, null, inherit, "
                             "file:PATH, or append:PATH)", v);
}
