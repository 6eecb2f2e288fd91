/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp filters of a unit (SeccompConfig, and the syscall halves of
 * ProtectClock=, ProtectKernelModules=, ProtectKernelLogs=), built with
 * libseccomp in the parent and exported as classic BPF, once per loaded
 * unit; the child loads them with the raw seccomp() syscall as its last
 * step before execve, allocating nothing (seccomp_load() would).
 *
 * The rules are systemd 252's (src/shared/seccomp-util.c), but grouped
 * into at most two filters instead of one per feature and architecture,
 * since each filter costs the start one more seccomp() (the kernel checks,
 * converts and JITs it, then runs it once per call number for its action
 * cache; docs/design.md "Seccomp filters: two programs"):
 *
 * 1. default ALLOW: SystemCallArchitectures= (bad architecture: kill), the
 *    families of RestrictAddressFamilies=, the rest (RestrictNamespaces=,
 *    MemoryDenyWriteExecute=, ...) and a SystemCallFilter= deny-list;
 * 2. a SystemCallFilter= allow-list (default: SystemCallErrorNumber='s
 *    action), loaded last as in systemd, since it may deny seccomp().
 *
 * The kernel runs every filter on every call and keeps the strictest
 * action; among equal ones (two errnos) the newest filter's. So the
 * features combine as systemd's stacked filters do: the families and the
 * rest touch disjoint calls (socket() against the others); a deny-list
 * entry, once its own newest filter, decided its call alone (kill or its
 * errno beat any errno of the rest), so in filter 1 it replaces the other
 * rules for that call (deny_listed()) instead of meeting them in
 * libseccomp's per-argument tree. An allow-list stays apart: "allowed,
 * unless clone()'s flags say otherwise" in one context would need the
 * negation of each argument rule (libseccomp falls through to the default
 * action, the deny one, and has no negated masked compare).
 *
 * Each filter holds one libseccomp context per architecture, merged
 * (seccomp_merge), so a rule can differ per architecture (i386's mmap2,
 * socketcall) as in systemd; architectures SystemCallArchitectures= blocks
 * are left out (they meet the bad-architecture action). Integer arguments
 * (socket families, scheduling policies, personality) are compared on
 * their low 32 bits, as the kernel reads them: systemd's 64-bit
 * comparisons let a caller with junk in the
 * high half past a deny-list. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "ns-seccomp.h"

#define NAMESPACE_FLAGS_ALL \
        (CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWUTS)

/* The architectures a process of ours can call in, native last (systemd's
 * seccomp_local_archs). */
static const uint32_t local_archs[] = {
#if defined(__x86_64__) && !defined(__ILP32__)
        SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_X86_64,
#elif defined(__aarch64__)
        SCMP_ARCH_ARM, SCMP_ARCH_AARCH64,
#else
        SCMP_ARCH_NATIVE,
#endif
};

static uint32_t arch_of(SeccompArch a) {
        static const uint32_t map[_SECCOMP_ARCH_MAX] = {
                [SECCOMP_ARCH_NATIVE] = SCMP_ARCH_NATIVE,       [SECCOMP_ARCH_X86] = SCMP_ARCH_X86,
                [SECCOMP_ARCH_X86_64] = SCMP_ARCH_X86_64,       [SECCOMP_ARCH_X32] = SCMP_ARCH_X32,
                [SECCOMP_ARCH_ARM] = SCMP_ARCH_ARM,             [SECCOMP_ARCH_ARM64] = SCMP_ARCH_AARCH64,
                [SECCOMP_ARCH_MIPS] = SCMP_ARCH_MIPS,           [SECCOMP_ARCH_MIPS64] = SCMP_ARCH_MIPS64,
                [SECCOMP_ARCH_MIPS64_N32] = SCMP_ARCH_MIPS64N32, [SECCOMP_ARCH_MIPS_LE] = SCMP_ARCH_MIPSEL,
                [SECCOMP_ARCH_MIPS64_LE] = SCMP_ARCH_MIPSEL64,  [SECCOMP_ARCH_MIPS64_LE_N32] = SCMP_ARCH_MIPSEL64N32,
                [SECCOMP_ARCH_PPC] = SCMP_ARCH_PPC,             [SECCOMP_ARCH_PPC64] = SCMP_ARCH_PPC64,
                [SECCOMP_ARCH_PPC64_LE] = SCMP_ARCH_PPC64LE,    [SECCOMP_ARCH_RISCV64] = SCMP_ARCH_RISCV64,
                [SECCOMP_ARCH_S390] = SCMP_ARCH_S390,           [SECCOMP_ARCH_S390X] = SCMP_ARCH_S390X,
        };
        uint32_t r = map[a];

        return r == SCMP_ARCH_NATIVE ? seccomp_arch_native() : r;
}

typedef struct Build {
        const UnitConfig *u;
        uint32_t archs[ELEMENTSOF(local_archs)];        /* the allowed ones */
        size_t n_archs;
        uint32_t deny;                                  /* SystemCallErrorNumber='s action */
} Build;

typedef int (*AddRules)(const Build *b, scmp_filter_ctx ctx, uint32_t arch);

static void ctx_releasep(scmp_filter_ctx *c) {
        if (*c)
                seccomp_release(*c);
}

/* A context for one architecture only. */
static int ctx_for_arch(uint32_t arch, uint32_t def, uint32_t badarch, scmp_filter_ctx *ret) {
        _cleanup_(ctx_releasep) scmp_filter_ctx c = seccomp_init(def);
        int r;

        if (!c)
                return -ENOMEM;
        if (arch != seccomp_arch_native()) {
                r = seccomp_arch_remove(c, SCMP_ARCH_NATIVE);
                if (r >= 0)
                        r = seccomp_arch_add(c, arch);
                if (r < 0)
                        return r;
        }
        r = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, badarch);
        if (r >= 0)
                r = seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
        /* a binary search over the call numbers, not a linear chain: the
         * kernel runs each new filter once per call number for its action
         * cache, so @system-service's chain took ~0.37 ms of every start,
         * the tree ~0.14 ms (docs/benchmarks.md) */
        if (r >= 0)
                r = seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        if (r < 0)
                return r;
        *ret = c;
        c = NULL;
        return 0;
}

/* The BPF of ctx into prog (a buffer of its own). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *prog) {
        _cleanup_close_ int fd = memfd_create("corral-seccomp", MFD_CLOEXEC);
        struct stat st;
        void *buf;
        int r;

        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
            st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -E2BIG;
        buf = malloc(st.st_size);
        if (!buf)
                return -ENOMEM;
        if (pread(fd, buf, st.st_size, 0) != st.st_size) {
                free(buf);
                return -EIO;
        }
        prog->filter = buf;
        prog->len = (unsigned short) (st.st_size / sizeof(struct sock_filter));
        return 0;
}

/* One filter over archs (every one that fn skips by returning 0 without
 * rules still gets def), appended to s. */
static int add_filter(const Build *b, const uint32_t *archs, size_t n, uint32_t def, uint32_t badarch,
                      AddRules fn, NsSeccomp *s) {
        _cleanup_(ctx_releasep) scmp_filter_ctx acc = NULL;
        int r;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                _cleanup_(ctx_releasep) scmp_filter_ctx c = NULL;

                r = ctx_for_arch(archs[i], def, badarch, &c);
                if (r >= 0 && fn)
                        r = fn(b, c, archs[i]);
                if (r < 0)
                        return r;
                if (!acc) {
                        acc = c;
                        c = NULL;
                        continue;
                }
                r = seccomp_merge(acc, c);
                if (r < 0)
                        return r;
                c = NULL;       /* merged: acc owns it */
        }
        assert(s->n < NS_SECCOMP_FILTERS_MAX);
        r = export_bpf(acc, &s->progs[s->n]);
        if (r < 0)
                return r;
        s->n++;
        return 0;
}

/* The index of name in unit_syscall_name()'s sorted table, -1: absent. */
static ssize_t syscall_index(const char *name) {
        size_t lo = 0, hi = unit_syscall_count();

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(name, unit_syscall_name(mid));

                if (c == 0)
                        return (ssize_t) mid;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return -1;
}

/* Whether a SystemCallFilter= deny-list names call i (and libseccomp
 * knows it): then it decides the call alone (the header comment) and no
 * other rule of filter 1 may. */
static bool deny_listed(const Build *b, ssize_t i) {
        const SeccompConfig *sc = &b->u->seccomp;

        return i >= 0 && sc->syscall_filter && !sc->syscall_allow_list &&
               sc->syscall_filter[i] != SYSCALL_FILTER_ABSENT &&
               seccomp_syscall_resolve_name(unit_syscall_name((size_t) i)) != __NR_SCMP_ERROR;
}

/* A rule whose system call this architecture lacks is skipped, as systemd
 * skips it; so is one for a call the deny-list decides. */
#define RULE(b, ctx, act, name, ...)                                                       \
        do {                                                                               \
                if (!deny_listed(b, syscall_index(#name)))                                 \
                        (void) seccomp_rule_add_exact(ctx, act, SCMP_SYS(name), __VA_ARGS__); \
        } while (0)

static int rules_syscall_filter(const Build *b, scmp_filter_ctx ctx, uint32_t arch) {
        const SeccompConfig *sc = &b->u->seccomp;

        for (size_t i = 0; i < unit_syscall_count(); i++) {
                int16_t a = sc->syscall_filter[i];
                uint32_t act;
                int nr;

                if (a == SYSCALL_FILTER_ABSENT)
                        continue;
                /* libseccomp numbers calls as the native architecture does (a
                 * negative pseudo number for one it lacks) and translates */
                nr = seccomp_syscall_resolve_name(unit_syscall_name(i));
                if (nr == __NR_SCMP_ERROR)
                        continue;
                act = sc->syscall_allow_list ? SCMP_ACT_ALLOW :
                      a == SECCOMP_ERRNO_DEFAULT ? b->deny :
                      a == SECCOMP_ERRNO_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO((uint16_t) a);
                (void) seccomp_rule_add_exact(ctx, act, nr, 0);
        }
        return 0;
}

static void rules_address_families(const Build *b, scmp_filter_ctx ctx) {
        const SeccompConfig *sc = &b->u->seccomp;
        const uint32_t deny = SCMP_ACT_ERRNO(EAFNOSUPPORT);
        int first = 0, last = 0;

        for (int af = 1; af < 64; af++)
                if (sc->address_families & (UINT64_C(1) << af)) {
                        first = first ?: af;
                        last = af;
                }
        if (!sc->address_families_allow_list) {
                for (int af = 0; af < 64; af++)
                        if (sc->address_families & (UINT64_C(1) << af))
                                RULE(b, ctx, deny, socket, 1, SCMP_A0_32(SCMP_CMP_EQ, af));
                return;
        }
        if (first == 0) {
                RULE(b, ctx, deny, socket, 0);
                return;
        }
        RULE(b, ctx, deny, socket, 1, SCMP_A0_32(SCMP_CMP_LT, first));
        RULE(b, ctx, deny, socket, 1, SCMP_A0_32(SCMP_CMP_GT, last));
        for (int af = first + 1; af < last; af++)
                if (!(sc->address_families & (UINT64_C(1) << af)))
                        RULE(b, ctx, deny, socket, 1, SCMP_A0_32(SCMP_CMP_EQ, af));
}

static void rules_namespaces(const Build *b, scmp_filter_ctx ctx, unsigned long allowed) {
        static const unsigned long types[] = {
                CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS,
        };
        const uint32_t deny = SCMP_ACT_ERRNO(EPERM);

        /* clone3() passes its flags in memory, out of a filter's sight:
         * ENOSYS makes glibc fall back to clone(), as in systemd */
        RULE(b, ctx, SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
        if ((allowed & NAMESPACE_FLAGS_ALL) == 0)
                RULE(b, ctx, deny, setns, 0);
        else
                RULE(b, ctx, deny, setns, 1, SCMP_A1(SCMP_CMP_EQ, 0));
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                unsigned long f = types[i];

                if (allowed & f)
                        continue;
                RULE(b, ctx, deny, unshare, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
                RULE(b, ctx, deny, clone, 1, SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
                if (allowed & NAMESPACE_FLAGS_ALL)
                        RULE(b, ctx, deny, setns, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, f, f));
        }
}

static void rules_write_execute(const Build *b, scmp_filter_ctx ctx, uint32_t arch) {
        const uint32_t deny = SCMP_ACT_ERRNO(EPERM);

        if (arch == SCMP_ARCH_X86) {
                /* old mmap() takes its arguments in memory; shmat() is ipc() */
                RULE(b, ctx, deny, mmap2, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE));
                RULE(b, ctx, deny, mmap, 0);
        } else {
                RULE(b, ctx, deny, mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC | PROT_WRITE, PROT_EXEC | PROT_WRITE));
                RULE(b, ctx, deny, shmat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC));
        }
        RULE(b, ctx, deny, mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
        RULE(b, ctx, deny, pkey_mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
}

static void rules_suid_sgid(const Build *b, scmp_filter_ctx ctx) {
        const uint32_t deny = SCMP_ACT_ERRNO(EPERM);

        for (mode_t m = S_ISGID; m <= S_ISUID; m <<= 1) {
                RULE(b, ctx, deny, chmod, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, m, m));
                RULE(b, ctx, deny, fchmod, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, m, m));
                RULE(b, ctx, deny, fchmodat, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, m, m));
                RULE(b, ctx, deny, open, 2, SCMP_A1(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
                     SCMP_A2(SCMP_CMP_MASKED_EQ, m, m));
                RULE(b, ctx, deny, openat, 2, SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT),
                     SCMP_A3(SCMP_CMP_MASKED_EQ, m, m));
                RULE(b, ctx, deny, creat, 1, SCMP_A1(SCMP_CMP_MASKED_EQ, m, m));
        }
        /* its flags and mode are in memory */
        RULE(b, ctx, SCMP_ACT_ERRNO(ENOSYS), openat2, 0);
}

static void rules_group(const Build *b, scmp_filter_ctx ctx, const char *group) {
        int16_t set[unit_syscall_count()];

        for (size_t i = 0; i < ELEMENTSOF(set); i++)
                set[i] = SYSCALL_FILTER_ABSENT;
        (void) unit_syscall_group_apply(group, set, 1);
        for (size_t i = 0; i < ELEMENTSOF(set); i++) {
                int nr = set[i] == 1 && !deny_listed(b, (ssize_t) i) ?
                                 seccomp_syscall_resolve_name(unit_syscall_name(i)) : __NR_SCMP_ERROR;

                if (nr != __NR_SCMP_ERROR)
                        (void) seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        }
}

static void rules_misc(const Build *b, scmp_filter_ctx ctx, uint32_t arch) {
        const UnitConfig *u = b->u;
        const SeccompConfig *sc = &u->seccomp;

        if (sc->restrict_namespaces_set && (sc->restrict_namespaces & NAMESPACE_FLAGS_ALL) != NAMESPACE_FLAGS_ALL)
                rules_namespaces(b, ctx, sc->restrict_namespaces);
        if (sc->memory_deny_write_execute)
                rules_write_execute(b, ctx, arch);
        if (sc->lock_personality) {
                int p = personality(0xffffffff);
                unsigned long keep = p >= 0 && (p & 0xffff) == PER_LINUX32 ? PER_LINUX32 : PER_LINUX;

                /* systemd's opinionated_personality() */
                RULE(b, ctx, SCMP_ACT_ERRNO(EPERM), personality, 1, SCMP_A0_32(SCMP_CMP_NE, keep));
        }
        if (sc->restrict_realtime) {
                /* SCHED_OTHER (0), SCHED_BATCH (3) and SCHED_IDLE (5) only */
                for (int p = 1; p < SCHED_IDLE; p++)
                        if (p != SCHED_BATCH)
                                RULE(b, ctx, SCMP_ACT_ERRNO(EPERM), sched_setscheduler, 1, SCMP_A1_32(SCMP_CMP_EQ, p));
                RULE(b, ctx, SCMP_ACT_ERRNO(EPERM), sched_setscheduler, 1, SCMP_A1_32(SCMP_CMP_GT, SCHED_IDLE));
        }
        if (sc->restrict_suid_sgid)
                rules_suid_sgid(b, ctx);
        if (u->protect_clock)
                rules_group(b, ctx, "@clock");
        if (u->protect_kernel_modules)
                rules_group(b, ctx, "@module");
        if (u->protect_kernel_logs)
                RULE(b, ctx, SCMP_ACT_ERRNO(EPERM), syslog, 0);
}

static bool misc_wanted(const UnitConfig *u) {
        const SeccompConfig *sc = &u->seccomp;

        return (sc->restrict_namespaces_set &&
                (sc->restrict_namespaces & NAMESPACE_FLAGS_ALL) != NAMESPACE_FLAGS_ALL) ||
               sc->memory_deny_write_execute || sc->lock_personality || sc->restrict_realtime ||
               sc->restrict_suid_sgid || u->protect_clock || u->protect_kernel_modules || u->protect_kernel_logs;
}

static void build_archs(const UnitConfig *u, Build *b) {
        uint32_t want = u->seccomp.architectures;

        for (size_t i = 0; i < ELEMENTSOF(local_archs); i++) {
                uint32_t a = local_archs[i] == SCMP_ARCH_NATIVE ? seccomp_arch_native() : local_archs[i];
                bool allowed = !want || a == seccomp_arch_native();     /* native is never blocked, as systemd */

                for (int k = 0; !allowed && k < _SECCOMP_ARCH_MAX; k++)
                        allowed = (want & (1U << k)) && arch_of(k) == a;
                if (allowed)
                        b->archs[b->n_archs++] = a;
        }
}

/* Filter 1 for one architecture: the families, the misc rules, a
 * deny-list. i386 has socket() behind socketcall() too, out of a filter's
 * reach: as systemd, no family rules there. */
static int rules_allowing(const Build *b, scmp_filter_ctx ctx, uint32_t arch) {
        const SeccompConfig *sc = &b->u->seccomp;

        if ((sc->address_families_allow_list || sc->address_families) && arch != SCMP_ARCH_X86)
                rules_address_families(b, ctx);
        if (misc_wanted(b->u))
                rules_misc(b, ctx, arch);
        if (sc->syscall_filter && !sc->syscall_allow_list)
                return rules_syscall_filter(b, ctx, arch);
        return 0;
}

static int build_all(const Build *b, NsSeccomp *s) {
        const SeccompConfig *sc = &b->u->seccomp;
        bool allow_list = sc->syscall_filter && sc->syscall_allow_list;
        int r = 0;

        /* the two filters of the header comment */
        if (sc->architectures || sc->address_families_allow_list || sc->address_families ||
            misc_wanted(b->u) || (sc->syscall_filter && !allow_list))
                r = add_filter(b, b->archs, b->n_archs, SCMP_ACT_ALLOW,
                               sc->architectures ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ALLOW, rules_allowing, s);
        /* last: it may deny seccomp() itself */
        if (r >= 0 && allow_list)
                r = add_filter(b, b->archs, b->n_archs, b->deny, SCMP_ACT_ALLOW, rules_syscall_filter, s);
        return r;
}

NsSeccomp *ns_seccomp_free(NsSeccomp *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n; i++)
                free(s->progs[i].filter);
        free(s);
        return NULL;
}

int ns_seccomp_build(const UnitConfig *u, NsSeccomp **ret, CrlError *reterr) {
        NsSeccomp *s;
        Build b = { .u = u };
        int r;

        *ret = NULL;
        if (!unit_seccomp_wanted(u))
                return 0;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        build_archs(u, &b);
        b.deny = u->seccomp.syscall_error_number == SECCOMP_ERRNO_KILL ? SCMP_ACT_KILL_PROCESS :
                 SCMP_ACT_ERRNO((uint16_t) u->seccomp.syscall_error_number);
        r = build_all(&b, s);
        if (r < 0) {
                ns_seccomp_free(s);
                return crl_error_set(reterr, -r, "step 'seccomp': building the filter: %s", strerror(-r));
        }
        *ret = s;
        return 0;
}

/* In the child: no allocation, no libseccomp. Without CAP_SYS_ADMIN the
 * kernel wants no_new_privs first: set it then, as systemd implies
 * NoNewPrivileges= for a filter. */
int ns_seccomp_apply(const NsSeccomp *s) {
        if (!s)
                return 0;
        for (size_t i = 0; i < s->n; i++) {
                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->progs[i]) >= 0)
                        continue;
                if (errno != EACCES)
                        return -errno;
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
                    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &s->progs[i]) < 0)
                        return -errno;
        }
        return 0;
}
