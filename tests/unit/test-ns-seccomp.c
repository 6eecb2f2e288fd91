/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ns_seccomp_build()'s grouping: how many programs a unit gets, and what
 * they answer together, evaluated here as the kernel evaluates stacked
 * filters (every program runs, the strictest action wins, among equal
 * actions the newest program's data). Covers what the kernel test
 * (test-launch-seccomp) cannot reach from inside a service: x32 calls, the
 * errno of a deny-listed call that libc needs (mmap). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <cmocka.h>

#include "ns-seccomp.h"
#include "unit-load-internal.h"

static UnitConfig *load(const char *keys) {
        char text[2048];
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s\n", keys);
        assert_int_equal(unit_load_text("s", "s.service", text, &u, &d), 0);
        assert_int_equal(d.n_errors, 0);
        unit_diagnostics_done(&d);
        assert_non_null(u);
        return u;
}

static NsSeccomp *build(const char *keys) {
        UnitConfig *u = load(keys);
        NsSeccomp *s = NULL;
        CrlError e = {};

        assert_int_equal(ns_seccomp_build(u, &s, &e), 0);
        unit_config_free(u);
        return s;
}

static size_t n_programs(const char *keys) {
        NsSeccomp *s = build(keys);
        size_t n = s ? s->n : 0;

        ns_seccomp_free(s);
        return n;
}

/* Classic BPF as libseccomp emits it; any other instruction fails. */
static uint32_t run_prog(const struct sock_fprog *p, const struct seccomp_data *d) {
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};

        for (size_t pc = 0; pc < p->len; pc++) {
                const struct sock_filter *f = &p->filter[pc];
                uint32_t k = f->k, w;

                switch (f->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        assert_true(k % 4 == 0 && k + 4 <= sizeof(*d));
                        memcpy(&a, (const char *) d + k, 4);
                        break;
                case BPF_LD | BPF_MEM:
                        a = mem[k];
                        break;
                case BPF_LDX | BPF_MEM:
                        x = mem[k];
                        break;
                case BPF_ST:
                        mem[k] = a;
                        break;
                case BPF_STX:
                        mem[k] = x;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        a &= k;
                        break;
                case BPF_MISC | BPF_TAX:
                        x = a;
                        break;
                case BPF_MISC | BPF_TXA:
                        a = x;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                case BPF_JMP | BPF_JGT | BPF_K:
                case BPF_JMP | BPF_JGE | BPF_K:
                case BPF_JMP | BPF_JSET | BPF_K:
                        w = BPF_OP(f->code) == BPF_JEQ ? a == k :
                            BPF_OP(f->code) == BPF_JGT ? a > k :
                            BPF_OP(f->code) == BPF_JGE ? a >= k : (a & k) != 0;
                        pc += w ? f->jt : f->jf;
                        break;
                case BPF_RET | BPF_K:
                        return k;
                case BPF_RET | BPF_A:
                        return a;
                default:
                        fail_msg("instruction %zu: code 0x%x", pc, f->code);
                }
        }
        fail_msg("ran off the end of the program");
        return 0;
}

/* seccomp_run_filters(): newest first, a strictly stricter action replaces. */
static uint32_t run_all(const NsSeccomp *s, uint32_t arch, int nr, uint64_t a0, uint64_t a1, uint64_t a2) {
        struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2 } };
        uint32_t ret = SECCOMP_RET_ALLOW;

        for (size_t i = s->n; i-- > 0;) {
                uint32_t r = run_prog(&s->progs[i], &d);

                if ((int32_t) (r & SECCOMP_RET_ACTION_FULL) < (int32_t) (ret & SECCOMP_RET_ACTION_FULL))
                        ret = r;
        }
        return ret;
}

#define ERRNO(e) (SECCOMP_RET_ERRNO | (e))

static void test_program_count(void **state) {
        assert_int_equal(n_programs(""), 0);
        assert_int_equal(n_programs("SystemCallArchitectures=native"), 1);
        assert_int_equal(n_programs("SystemCallFilter=@system-service"), 1);
        assert_int_equal(n_programs("SystemCallFilter=~@mount\nSystemCallArchitectures=native\n"
                                    "RestrictAddressFamilies=AF_UNIX\nRestrictNamespaces=yes\n"
                                    "MemoryDenyWriteExecute=yes\nLockPersonality=yes\nProtectClock=yes"),
                         1);
        assert_int_equal(n_programs("SystemCallFilter=@system-service\nSystemCallArchitectures=native\n"
                                    "RestrictAddressFamilies=AF_UNIX\nRestrictNamespaces=yes\n"
                                    "MemoryDenyWriteExecute=yes\nLockPersonality=yes\nProtectClock=yes"),
                         2);
}

#if defined(__x86_64__)
/* x32 calls are x86_64's with bit 30 set: blocked with the other foreign
 * architectures, allowed without SystemCallArchitectures=. */
static void test_x32(void **state) {
        NsSeccomp *s = build("SystemCallArchitectures=native\nLockPersonality=yes");

        assert_int_equal(s->n, 1);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_getpid, 0, 0, 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, 0x40000000 | 39, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 20, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
        ns_seccomp_free(s);
        s = build("LockPersonality=yes");
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, 0x40000000 | 39, 0, 0, 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 20, 0, 0, 0), SECCOMP_RET_ALLOW);
        ns_seccomp_free(s);
}

/* A deny-listed call answers with the deny-list's action in every case,
 * also where MemoryDenyWriteExecute= would have allowed it or denied it
 * with its own errno. */
static void test_deny_list_decides(void **state) {
        NsSeccomp *s = build("SystemCallFilter=~mmap:EXDEV\nSystemCallFilter=~mprotect\n"
                             "MemoryDenyWriteExecute=yes\nSystemCallArchitectures=native x86");
        const uint64_t wx = PROT_WRITE | PROT_EXEC;

        assert_int_equal(s->n, 1);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_mmap, 0, 4096, wx), ERRNO(EXDEV));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_mmap, 0, 4096, PROT_READ), ERRNO(EXDEV));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_mprotect, 0, 4096, PROT_READ), SECCOMP_RET_KILL_PROCESS);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_pkey_mprotect, 0, 4096, PROT_EXEC), ERRNO(EPERM));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_pkey_mprotect, 0, 4096, PROT_READ), SECCOMP_RET_ALLOW);
        /* i386: mmap is old_mmap (90), denied whole by MDWE, and the deny-list
         * names it too; mmap2 (192) keeps its argument rule */
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 90, 0, 0, 0), ERRNO(EXDEV));
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 192, 0, 4096, wx), ERRNO(EPERM));
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 192, 0, 4096, PROT_READ), SECCOMP_RET_ALLOW);
        ns_seccomp_free(s);
}

/* An allow-list: what it allows, the argument rules still filter; what it
 * denies, its action decides (the newer program's errno). */
static void test_allow_list_with_rules(void **state) {
        NsSeccomp *s = build("SystemCallFilter=@system-service\nSystemCallFilter=~@network-io\n"
                             "SystemCallErrorNumber=EACCES\nRestrictNamespaces=yes\n"
                             "RestrictAddressFamilies=AF_UNIX\nSystemCallArchitectures=native");

        assert_int_equal(s->n, 2);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_clone, 0x11 /* SIGCHLD */, 0, 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_clone, 0x10000000 | 0x11 /* CLONE_NEWUSER */, 0, 0),
                         ERRNO(EPERM));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_clone3, 0, 0, 0), ERRNO(ENOSYS));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_socket, 1 /* AF_UNIX */, 0, 0), ERRNO(EACCES));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_socket, 17 /* AF_PACKET */, 0, 0), ERRNO(EACCES));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_mount, 0, 0, 0), ERRNO(EACCES));
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, __NR_read, 0, 0, 0), SECCOMP_RET_ALLOW);
        assert_int_equal(run_all(s, AUDIT_ARCH_X86_64, 1000, 0, 0, 0), ERRNO(EACCES));
        assert_int_equal(run_all(s, AUDIT_ARCH_I386, 20, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
        ns_seccomp_free(s);
}
#endif

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_program_count),
#if defined(__x86_64__)
                cmocka_unit_test(test_x32),
                cmocka_unit_test(test_deny_list_decides),
                cmocka_unit_test(test_allow_list_with_rules),
#endif
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
