/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* cgroup BPF for DevicePolicy=/DeviceAllow= (a BPF_PROG_TYPE_CGROUP_DEVICE
 * program) and IPAddressAllow=/IPAddressDeny= (BPF_PROG_TYPE_CGROUP_SKB
 * ingress and egress programs over LPM-trie maps). The instructions are
 * written here in C (no object file, no clang at build time); cg-bpf-prog.c
 * builds them as pure code, cg-bpf.c loads and attaches them with libbpf. */

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "error.h"
#include "macros.h"
#include "unit.h"

/* One allowed device (or major) for the device program. */
typedef struct CgDevRule {
        uint32_t type;          /* BPF_DEVCG_DEV_CHAR or BPF_DEVCG_DEV_BLOCK */
        uint32_t major;
        int64_t minor;          /* -1: any minor */
        uint32_t access;        /* BPF_DEVCG_ACC_* bits */
} CgDevRule;

/* stat() for device paths (tests replace it): -errno or 0. */
typedef int (*CgDevStat)(const char *path, struct stat *ret);

/* The rules rc means: DeviceAllow= entries plus, for closed (and for auto
 * with entries), systemd 252's standard devices and char-pts rw. A path
 * that does not exist or is no device node is skipped (as systemd; verify
 * warns), so is a char-NAME that /proc/devices (its text) lacks. *ret is
 * NULL and *ret_n 0 when rc asks for no device program at all. */
int cg_bpf_device_rules(const ResourceConfig *rc, const char *proc_devices, CgDevStat stat_fn,
                        CgDevRule **ret, size_t *ret_n);

/* The device program for rules: allow what a rule covers, deny the rest. */
int cg_bpf_device_insns(const CgDevRule *rules, size_t n, struct bpf_insn **ret, size_t *ret_n);

/* The IP maps, by family and verdict: fd < 0 for a list that is empty. */
typedef enum CgIPMap {
        CG_IP_MAP_ALLOW4,
        CG_IP_MAP_DENY4,
        CG_IP_MAP_ALLOW6,
        CG_IP_MAP_DENY6,
        _CG_IP_MAP_MAX,
} CgIPMap;

/* The skb program: a packet whose remote address (ingress: source, egress:
 * destination) is in an allow map passes; else one in a deny map is
 * dropped; else it passes (systemd: allow wins). */
int cg_bpf_ip_insns(const int map_fds[_CG_IP_MAP_MAX], bool ingress, struct bpf_insn **ret, size_t *ret_n);

/* The LPM-trie key of p: u32 prefix length (host order), then the address
 * bytes. Returns the key's size (8 or 20). */
size_t cg_bpf_lpm_key(const IPPrefix *p, uint8_t key[20]);

/* The programs one unit's rc asks for (device, IP ingress, IP egress),
 * loaded, so verified by the kernel, once per loaded unit and attached to
 * each new cgroup of the unit: loading costs 0.6-0.8 ms a start, attaching
 * microseconds (docs/benchmarks.md, issue 14). The device rules are read
 * (/proc/devices, stat of DeviceAllow= paths) at the load, the IP maps
 * filled then: a later unit load sees later devices. */
typedef struct CgBpfPrograms CgBpfPrograms;

typedef enum CgBpfProg {
        CG_BPF_PROG_DEVICE,
        CG_BPF_PROG_IP_IN,
        CG_BPF_PROG_IP_OUT,
        _CG_BPF_PROG_MAX,
} CgBpfProg;

/* Load the programs rc asks for (none at all: an empty set). */
int cg_bpf_programs_new(const ResourceConfig *rc, CgBpfPrograms **ret, CrlError *reterr);
CgBpfPrograms *cg_bpf_programs_free(CgBpfPrograms *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgBpfPrograms *, cg_bpf_programs_free);

/* How many programs p holds (for a log line); 0 for NULL. */
size_t cg_bpf_programs_count(const CgBpfPrograms *p);

/* Attach p's programs (BPF_F_ALLOW_MULTI, so a service's own sub-cgroups
 * can only add to them) to cgroup_fd; the attachment holds them too, and
 * they go with the cgroup. On failure nothing stays attached. */
int cg_bpf_programs_attach(const CgBpfPrograms *p, int cgroup_fd, CrlError *reterr);

/* Load the programs rc asks for, attach them to cgroup_fd and drop the
 * fds: a set for one cgroup (the launcher tests). */
int cg_bpf_attach(int cgroup_fd, const ResourceConfig *rc, CrlError *reterr);
