/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp keys: SystemCallFilter=, SystemCallErrorNumber=,
 * SystemCallArchitectures=, RestrictAddressFamilies=, RestrictNamespaces=
 * and the four booleans. Lines merge as in systemd 252 (src/core/
 * load-fragment.c): the first line of a list decides allow or deny, later
 * lines of the same sign add and of the other sign remove. Unlike systemd,
 * a bad word (errno, group, family, architecture, namespace type) refuses
 * the line instead of being skipped with a warning: a typo in a deny-list
 * would silently allow what it meant to deny. A system call name that
 * systemd 252 does not know is skipped with a warning, as systemd skips a
 * name libseccomp cannot resolve (a newer kernel's call in an old
 * corral). A refused line changes nothing. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "strv.h"
#include "unit-load-internal.h"
#include "unit-seccomp.h"
#include "unit-value.h"

static int name_cmp(const void *key, const void *elem) {
        return strcmp(key, *(const char *const *) elem);
}

static long syscall_index(const char *name) {
        const char *const *p = bsearch(name, syscall_names, syscall_names_n, sizeof(char *), name_cmp);

        return p ? p - syscall_names : -1;
}

size_t unit_syscall_count(void) {
        return syscall_names_n;
}

const char *unit_syscall_name(size_t i) {
        return i < syscall_names_n ? syscall_names[i] : NULL;
}

static const SyscallGroup *group_find(const char *name) {
        for (size_t i = 0; i < syscall_groups_n; i++)
                if (streq(syscall_groups[i].name, name))
                        return &syscall_groups[i];
        return NULL;
}

int unit_syscall_group_apply(const char *name, int16_t *set, int16_t action) {
        const SyscallGroup *g = group_find(name);

        if (!g)
                return -ENOENT;
        for (const char *const *m = g->members; *m; m++) {
                long i;

                /* the table is ours: every member is a group or a name of it */
                if ((*m)[0] == '@')
                        (void) unit_syscall_group_apply(*m, set, action);
                else if ((i = syscall_index(*m)) >= 0)
                        set[i] = action;
        }
        return 0;
}

/* "EPERM", "1", or "kill" (SECCOMP_ERRNO_KILL), as systemd's
 * seccomp_parse_errno_or_action(): numbers 0..4095. */
static int parse_errno_or_kill(const char *v, bool kill_ok, int *ret, CrlError *e) {
        CrlError ignored = {};
        long n;

        if (kill_ok && streq(v, "kill")) {
                *ret = SECCOMP_ERRNO_KILL;
                return 0;
        }
        if (parse_int_range(v, 0, 4095, &n, &ignored) >= 0) {
                *ret = (int) n;
                return 0;
        }
        for (int i = 1; i < 4096; i++) {
                const char *s = strerrorname_np(i);

                if (s && streq(s, v)) {
                        *ret = i;
                        return 0;
                }
        }
        return crl_error_set(e, EINVAL, "\"%s\" is not an errno name or number (0-4095)%s", v,
                             kill_ok ? ", or kill" : "");
}

/* One word of SystemCallFilter=: NAME or @GROUP, with :ERRNO in a deny
 * line. Fills *ret_error; ret_name points into word (cut at ':'). */
static int filter_word(char *word, bool invert, char **ret_name, int *ret_error, CrlError *e) {
        char *colon = strchr(word, ':');
        int error = SECCOMP_ERRNO_DEFAULT;

        if (colon) {
                *colon = 0;
                if (!invert)
                        return crl_error_set(e, EINVAL, "\"%s:%s\": an allow-listed system call takes no "
                                             "error number (only a deny-list, \"~...\", does)", word, colon + 1);
                if (parse_errno_or_kill(colon + 1, true, &error, e) < 0)
                        return -EINVAL;
        }
        if (!*word)
                return crl_error_set(e, EINVAL, "empty system call name before \":\"");
        if (word[0] == '@' && !group_find(word))
                return crl_error_set(e, EINVAL, "unknown system call group \"%s\" (systemd 252's groups: "
                                     "systemd-analyze syscall-filter)", word);
        *ret_name = word;
        *ret_error = error;
        return 0;
}

static int16_t *syscall_set_new(void) {
        int16_t *s = malloc(syscall_names_n * sizeof(int16_t));

        if (s)
                for (size_t i = 0; i < syscall_names_n; i++)
                        s[i] = SYSCALL_FILTER_ABSENT;
        return s;
}

int key_syscall_filter(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        SeccompConfig *sc = &l->unit->seccomp;
        _cleanup_strv_free_ char **words = NULL;
        bool invert = v[0] == '~';
        int *errors;
        int r = 0;

        if (!*v) {
                sc->syscall_filter = mfree(sc->syscall_filter);
                sc->syscall_allow_list = false;
                return 0;
        }
        if (split_quoted(v + invert, &words, e) < 0)
                return -EINVAL;
        errors = calloc(strv_length(words) + 1, sizeof(int));
        if (!errors)
                return -ENOMEM;
        /* every word checked before the model changes */
        for (size_t i = 0; r >= 0 && words[i]; i++) {
                char *name;

                r = filter_word(words[i], invert, &name, &errors[i], e);
        }
        if (r >= 0 && !sc->syscall_filter) {
                sc->syscall_filter = syscall_set_new();
                if (!sc->syscall_filter)
                        r = -ENOMEM;
                else {
                        /* allow-list: systemd allows @default too */
                        sc->syscall_allow_list = !invert;
                        if (!invert)
                                (void) unit_syscall_group_apply("@default", sc->syscall_filter, SECCOMP_ERRNO_DEFAULT);
                }
        }
        for (size_t i = 0; r >= 0 && words[i]; i++) {
                /* the same sign as the list adds, the other removes */
                int16_t action = invert != sc->syscall_allow_list ? (int16_t) errors[i] : SYSCALL_FILTER_ABSENT;
                long idx;

                if (words[i][0] == '@')
                        (void) unit_syscall_group_apply(words[i], sc->syscall_filter, action);
                else if ((idx = syscall_index(words[i])) >= 0)
                        sc->syscall_filter[idx] = action;
                else
                        r = diag_add(l->diags, false, l->file, l->line, k->name,
                                     "unknown system call \"%s\" (not in systemd 252's @known), ignoring", words[i]);
        }
        free(errors);
        return r;
}

int key_syscall_error_number(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        int n = SECCOMP_ERRNO_KILL;

        if (*v && parse_errno_or_kill(v, true, &n, e) < 0)
                return -EINVAL;
        l->unit->seccomp.syscall_error_number = n;
        return 0;
}

static const char *const seccomp_arch_names[_SECCOMP_ARCH_MAX] = {
        [SECCOMP_ARCH_NATIVE] = "native",
        [SECCOMP_ARCH_X86] = "x86",
        [SECCOMP_ARCH_X86_64] = "x86-64",
        [SECCOMP_ARCH_X32] = "x32",
        [SECCOMP_ARCH_ARM] = "arm",
        [SECCOMP_ARCH_ARM64] = "arm64",
        [SECCOMP_ARCH_MIPS] = "mips",
        [SECCOMP_ARCH_MIPS64] = "mips64",
        [SECCOMP_ARCH_MIPS64_N32] = "mips64-n32",
        [SECCOMP_ARCH_MIPS_LE] = "mips-le",
        [SECCOMP_ARCH_MIPS64_LE] = "mips64-le",
        [SECCOMP_ARCH_MIPS64_LE_N32] = "mips64-le-n32",
        [SECCOMP_ARCH_PPC] = "ppc",
        [SECCOMP_ARCH_PPC64] = "ppc64",
        [SECCOMP_ARCH_PPC64_LE] = "ppc64-le",
        [SECCOMP_ARCH_RISCV64] = "riscv64",
        [SECCOMP_ARCH_S390] = "s390",
        [SECCOMP_ARCH_S390X] = "s390x",
};

const char *unit_seccomp_arch_to_string(SeccompArch a) {
        return a >= 0 && a < _SECCOMP_ARCH_MAX ? seccomp_arch_names[a] : NULL;
}

static int name_lookup(const char *const *names, size_t n, const char *v) {
        for (size_t i = 0; i < n; i++)
                if (names[i] && streq(names[i], v))
                        return (int) i;
        return -1;
}

/* Words of v mapped through lookup into the bits of *ret; the first word
 * lookup refuses fails the whole value. */
static int words_to_mask(const char *v, int (*lookup)(const char *), uint64_t *ret,
                         const char *what, CrlError *e) {
        _cleanup_strv_free_ char **words = NULL;
        uint64_t mask = 0;

        if (split_quoted(v, &words, e) < 0)
                return -EINVAL;
        STRV_FOREACH(w, words) {
                int b = lookup(*w);

                if (b < 0)
                        return crl_error_set(e, EINVAL, "\"%s\" is not %s", *w, what);
                mask |= UINT64_C(1) << b;
        }
        *ret = mask;
        return 0;
}

static int arch_lookup(const char *v) {
        return name_lookup(seccomp_arch_names, _SECCOMP_ARCH_MAX, v);
}

int key_syscall_architectures(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        uint64_t mask = 0;

        if (*v && words_to_mask(v, arch_lookup, &mask,
                                "an architecture (native, x86, x86-64, x32, arm, arm64, ...)", e) < 0)
                return -EINVAL;
        /* systemd adds to the set; only an empty assignment resets it */
        l->unit->seccomp.architectures = *v ? l->unit->seccomp.architectures | (uint32_t) mask : 0;
        return 0;
}

#define AF(x) [x] = #x
static const char *const af_names[] = {
        AF(AF_UNIX), AF(AF_INET), AF(AF_AX25), AF(AF_IPX), AF(AF_APPLETALK), AF(AF_NETROM),
        AF(AF_BRIDGE), AF(AF_ATMPVC), AF(AF_X25), AF(AF_INET6), AF(AF_ROSE), AF(AF_DECnet),
        AF(AF_NETBEUI), AF(AF_SECURITY), AF(AF_KEY), AF(AF_NETLINK), AF(AF_PACKET), AF(AF_ASH),
        AF(AF_ECONET), AF(AF_ATMSVC), AF(AF_RDS), AF(AF_SNA), AF(AF_IRDA), AF(AF_PPPOX),
        AF(AF_WANPIPE), AF(AF_LLC), AF(AF_IB), AF(AF_MPLS), AF(AF_CAN), AF(AF_TIPC),
        AF(AF_BLUETOOTH), AF(AF_IUCV), AF(AF_RXRPC), AF(AF_ISDN), AF(AF_PHONET),
        AF(AF_IEEE802154), AF(AF_CAIF), AF(AF_ALG), AF(AF_NFC), AF(AF_VSOCK), AF(AF_KCM),
        AF(AF_QIPCRTR), AF(AF_SMC), AF(AF_XDP), AF(AF_MCTP),
};
#undef AF
_Static_assert(ELEMENTSOF(af_names) <= 64, "address families fit in a uint64_t");

static int af_lookup(const char *v) {
        /* AF_LOCAL and AF_FILE are AF_UNIX's other names */
        if (streq(v, "AF_LOCAL") || streq(v, "AF_FILE"))
                return AF_UNIX;
        return name_lookup(af_names, ELEMENTSOF(af_names), v);
}

int key_restrict_address_families(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        SeccompConfig *sc = &l->unit->seccomp;
        bool invert = v[0] == '~';
        uint64_t mask = 0;

        if (!*v || streq(v, "none")) {
                /* empty: no filter; none: an empty allow-list */
                sc->address_families = 0;
                sc->address_families_set = false;
                sc->address_families_allow_list = *v;
                return 0;
        }
        if (words_to_mask(v + invert, af_lookup, &mask, "an address family (AF_INET, AF_UNIX, ...)", e) < 0)
                return -EINVAL;
        if (!sc->address_families_set) {
                sc->address_families_set = true;
                sc->address_families_allow_list = !invert;
        }
        if (invert != sc->address_families_allow_list)
                sc->address_families |= mask;
        else
                sc->address_families &= ~mask;
        return 0;
}

static const struct {
        const char *name;
        unsigned long flag;
} namespace_types[] = {
        { "cgroup", CLONE_NEWCGROUP },
        { "ipc", CLONE_NEWIPC },
        { "net", CLONE_NEWNET },
        { "mnt", CLONE_NEWNS },
        { "pid", CLONE_NEWPID },
        { "user", CLONE_NEWUSER },
        { "uts", CLONE_NEWUTS },
};

#define NAMESPACE_FLAGS_ALL \
        (CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS)

static int namespace_lookup(const char *v) {
        for (size_t i = 0; i < ELEMENTSOF(namespace_types); i++)
                if (streq(namespace_types[i].name, v))
                        return (int) i;
        return -1;
}

int key_restrict_namespaces(UnitLoader *l, const UnitKey *k, const char *v, CrlError *e) {
        SeccompConfig *sc = &l->unit->seccomp;
        unsigned long *rn = &sc->restrict_namespaces, flags = 0;
        bool invert = v[0] == '~';
        CrlError ignored = {};
        uint64_t mask = 0;
        int b;

        if (!*v) {
                sc->restrict_namespaces_set = false;
                *rn = 0;
                return 0;
        }
        /* a boolean replaces what earlier lines said */
        b = parse_boolean(v, &ignored);
        if (b >= 0) {
                sc->restrict_namespaces_set = true;
                *rn = b ? 0 : NAMESPACE_FLAGS_ALL;
                return 0;
        }
        if (words_to_mask(v + invert, namespace_lookup, &mask,
                          "a namespace type (cgroup, ipc, net, mnt, pid, user, uts) or a boolean", e) < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(namespace_types); i++)
                if (mask & (UINT64_C(1) << i))
                        flags |= namespace_types[i].flag;
        if (!sc->restrict_namespaces_set)
                *rn = invert ? ~flags & NAMESPACE_FLAGS_ALL : flags;
        else if (invert)
                *rn &= ~flags;
        else
                *rn |= flags;
        sc->restrict_namespaces_set = true;
        return 0;
}

bool unit_seccomp_wanted(const UnitConfig *u) {
        const SeccompConfig *sc = &u->seccomp;

        return sc->syscall_filter || sc->architectures || sc->address_families_allow_list ||
               sc->address_families || (sc->restrict_namespaces_set && sc->restrict_namespaces != NAMESPACE_FLAGS_ALL) ||
               sc->memory_deny_write_execute || sc->lock_personality || sc->restrict_realtime ||
               sc->restrict_suid_sgid || u->protect_clock || u->protect_kernel_modules ||
               u->protect_kernel_logs;
}
