/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The instructions of corral's cgroup BPF programs, built as plain arrays
 * (as systemd 252's bpf-devices.c and bpf-firewall.c do). */
#include <arpa/inet.h>
#include <fnmatch.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-bpf.h"
#include "macros.h"

/* The instruction macros of the kernel's include/linux/filter.h (not uapi). */
#define INSN(c, d, s, o, i) ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o)          INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i)           INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define ALU32_IMM(op, d, i)     INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU64_IMM(op, d, i)     INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV64_REG(d, s)         INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32_REG(d, s)         INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i)         INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JMP_IMM(op, d, i, o)    INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define CALL(f)                 INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT()                  INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* two instructions: a map fd the kernel replaces with the map */
#define LD_MAP_FD(d, fd)        INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd), INSN(0, 0, 0, 0, 0)

typedef struct Prog {
        struct bpf_insn *insns;
        size_t n;
} Prog;

static int emit(Prog *p, const struct bpf_insn *insns, size_t n) {
        struct bpf_insn *a = realloc(p->insns, (p->n + n) * sizeof(*a));

        if (!a)
                return -ENOMEM;
        memcpy(a + p->n, insns, n * sizeof(*a));
        p->insns = a;
        p->n += n;
        return 0;
}
#define EMIT(p, ...) emit(p, (const struct bpf_insn[]) { __VA_ARGS__ }, \
                          sizeof((const struct bpf_insn[]) { __VA_ARGS__ }) / sizeof(struct bpf_insn))

static int finish(Prog *p, int r, struct bpf_insn **ret, size_t *ret_n) {
        if (r < 0) {
                free(p->insns);
                return r;
        }
        *ret = p->insns;
        *ret_n = p->n;
        return 0;
}

/* ---- devices ---- */

static uint32_t devcg_access(DeviceAccess a) {
        return ((a & DEVICE_ACCESS_READ) ? BPF_DEVCG_ACC_READ : 0) |
               ((a & DEVICE_ACCESS_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
               ((a & DEVICE_ACCESS_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0);
}

static int rule_add(CgDevRule **rules, size_t *n, CgDevRule r) {
        CgDevRule *a = realloc(*rules, (*n + 1) * sizeof(CgDevRule));

        if (!a)
                return -ENOMEM;
        a[(*n)++] = r;
        *rules = a;
        return 0;
}

/* char-NAME / block-NAME: every major of that section of /proc/devices
 * whose name matches (a glob, as systemd's fnmatch()). */
static int rules_from_major(const char *spec, uint32_t access, const char *proc_devices,
                            CgDevRule **rules, size_t *n) {
        bool block = spec[0] == 'b';
        const char *name = strchr(spec, '-') + 1;
        bool in_section = false;
        int r = 0;

        for (const char *l = proc_devices ?: ""; *l && r >= 0; ) {
                size_t len = strcspn(l, "\n");
                char line[256], dname[128];
                unsigned major;

                (void) snprintf(line, sizeof(line), "%.*s", (int) (len < sizeof(line) - 1 ? len : sizeof(line) - 1), l);
                l += len + (l[len] == '\n');
                if (strncmp(line, "Character devices:", 18) == 0 || strncmp(line, "Block devices:", 14) == 0) {
                        in_section = (line[0] == 'B') == block;
                        continue;
                }
                if (!in_section || sscanf(line, "%u %127s", &major, dname) != 2 || fnmatch(name, dname, 0) != 0)
                        continue;
                r = rule_add(rules, n, (CgDevRule) {
                        block ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, major, -1, access });
        }
        return r;
}

static int rules_from_entry(const char *path, DeviceAccess a, const char *proc_devices, CgDevStat stat_fn,
                            CgDevRule **rules, size_t *n) {
        struct stat st;

        if (path[0] != '/')
                return rules_from_major(path, devcg_access(a), proc_devices, rules, n);
        if (stat_fn(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
                return 0;       /* systemd: "Couldn't stat device", ignoring */
        return rule_add(rules, n, (CgDevRule) { S_ISCHR(st.st_mode) ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                                                major(st.st_rdev), minor(st.st_rdev), devcg_access(a) });
}

int cg_bpf_device_rules(const ResourceConfig *rc, const char *proc_devices, CgDevStat stat_fn,
                        CgDevRule **ret, size_t *ret_n) {
        /* systemd 252 cgroup.c cgroup_apply_devices(): auto_devices, then pts */
        static const char *const standard[] = {
                "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx",
        };
        CgDevRule *rules = NULL;
        size_t n = 0;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (!resource_config_wants_devices(rc))
                return 0;
        if (rc->device_policy != DEVICE_POLICY_STRICT) {
                for (size_t i = 0; i < ELEMENTSOF(standard) && r >= 0; i++)
                        r = rules_from_entry(standard[i], DEVICE_ACCESS_ALL, proc_devices, stat_fn, &rules, &n);
                if (r >= 0)
                        r = rules_from_entry("char-pts", DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE, proc_devices,
                                             stat_fn, &rules, &n);
        }
        for (size_t i = 0; i < rc->n_device_allow && r >= 0; i++)
                r = rules_from_entry(rc->device_allow[i].path, rc->device_allow[i].access, proc_devices, stat_fn,
                                     &rules, &n);
        if (r < 0) {
                free(rules);
                return r;
        }
        *ret = rules;
        *ret_n = n;
        return 0;
}

/* ctx is struct bpf_cgroup_dev_ctx: access_type (access << 16 | type),
 * major, minor. r2 type, r3 access, r4 major, r5 minor. */
int cg_bpf_device_insns(const CgDevRule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n) {
        Prog p = {};
        int r;

        r = EMIT(&p, LDX_W(BPF_REG_2, BPF_REG_1, 0), ALU32_IMM(BPF_AND, BPF_REG_2, 0xFFFF),
                 LDX_W(BPF_REG_3, BPF_REG_1, 0), ALU32_IMM(BPF_RSH, BPF_REG_3, 16),
                 LDX_W(BPF_REG_4, BPF_REG_1, 4), LDX_W(BPF_REG_5, BPF_REG_1, 8));
        for (size_t i = 0; i < n && r >= 0; i++) {
                bool any = rules[i].minor < 0;
                short skip = any ? 6 : 7;       /* instructions after the first jump */

                r = EMIT(&p, JMP_IMM(BPF_JNE, BPF_REG_2, (int32_t) rules[i].type, skip),
                         /* every access asked for must be allowed */
                         MOV32_REG(BPF_REG_1, BPF_REG_3),
                         ALU32_IMM(BPF_AND, BPF_REG_1, (int32_t) ~rules[i].access),
                         JMP_IMM(BPF_JNE, BPF_REG_1, 0, skip - 3),
                         JMP_IMM(BPF_JNE, BPF_REG_4, (int32_t) rules[i].major, skip - 4));
                if (r >= 0 && !any)
                        r = EMIT(&p, JMP_IMM(BPF_JNE, BPF_REG_5, (int32_t) rules[i].minor, 2));
                if (r >= 0)
                        r = EMIT(&p, MOV64_IMM(BPF_REG_0, 1), EXIT());
        }
        if (r >= 0)
                r = EMIT(&p, MOV64_IMM(BPF_REG_0, 0), EXIT());
        return finish(&p, r, ret, ret_n);
}

/* ---- IP ---- */

enum { VERDICT_ALLOW = 1, VERDICT_DENY = 2 };

/* Look the remote address up in one map and OR verdict into r8 on a hit.
 * r6 ctx, r7 skb->protocol (big endian), r10 the stack: the LPM key is
 * built at r10 - 4 - size (prefix length) and r10 - size (address). */
static int emit_lookup(Prog *p, int map_fd, bool v6, bool ingress, int verdict) {
        int size = v6 ? 16 : 4;
        int off = v6 ? (ingress ? (int) offsetof(struct ip6_hdr, ip6_src) : (int) offsetof(struct ip6_hdr, ip6_dst))
                     : (ingress ? (int) offsetof(struct iphdr, saddr) : (int) offsetof(struct iphdr, daddr));

        return EMIT(p, JMP_IMM(BPF_JNE, BPF_REG_7, htons(v6 ? ETH_P_IPV6 : ETH_P_IP), 14),
                    MOV64_REG(BPF_REG_1, BPF_REG_6),
                    INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, off),
                    MOV64_REG(BPF_REG_3, BPF_REG_10),
                    ALU64_IMM(BPF_ADD, BPF_REG_3, -size),
                    INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, size),
                    CALL(BPF_FUNC_skb_load_bytes),
                    LD_MAP_FD(BPF_REG_1, map_fd),
                    MOV64_REG(BPF_REG_2, BPF_REG_10),
                    ALU64_IMM(BPF_ADD, BPF_REG_2, -size - 4),
                    ST_W(BPF_REG_2, 0, size * 8),
                    CALL(BPF_FUNC_map_lookup_elem),
                    JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 1),
                    ALU32_IMM(BPF_OR, BPF_REG_8, verdict));
}

int cg_bpf_ip_insns(const int map_fds[_CG_IP_MAP_MAX], bool ingress, struct bpf_insn **ret, size_t *ret_n) {
        Prog p = {};
        int r;

        r = EMIT(&p, MOV64_REG(BPF_REG_6, BPF_REG_1),
                 LDX_W(BPF_REG_7, BPF_REG_6, offsetof(struct __sk_buff, protocol)),
                 MOV64_IMM(BPF_REG_8, 0));
        for (CgIPMap m = 0; m < _CG_IP_MAP_MAX && r >= 0; m++)
                if (map_fds[m] >= 0)
                        r = emit_lookup(&p, map_fds[m], m >= CG_IP_MAP_ALLOW6, ingress,
                                        m == CG_IP_MAP_ALLOW4 || m == CG_IP_MAP_ALLOW6 ? VERDICT_ALLOW : VERDICT_DENY);
        /* allowed: pass; else denied: drop; else pass */
        if (r >= 0)
                r = EMIT(&p, MOV64_IMM(BPF_REG_0, 1),
                         JMP_IMM(BPF_JSET, BPF_REG_8, VERDICT_ALLOW, 4),
                         MOV64_REG(BPF_REG_1, BPF_REG_8),
                         ALU64_IMM(BPF_AND, BPF_REG_1, VERDICT_DENY),
                         JMP_IMM(BPF_JEQ, BPF_REG_1, 0, 1),
                         MOV64_IMM(BPF_REG_0, 0),
                         EXIT());
        return finish(&p, r, ret, ret_n);
}

size_t cg_bpf_lpm_key(const IPPrefix *p, uint8_t key[20]) {
        uint32_t len = p->prefixlen;
        size_t size = p->family == AF_INET6 ? 16 : 4;

        memcpy(key, &len, sizeof(len));
        memcpy(key + 4, p->addr, size);
        return 4 + size;
}
