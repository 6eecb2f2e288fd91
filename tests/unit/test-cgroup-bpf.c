/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure half of cgroup BPF: device rules from DevicePolicy=/DeviceAllow=,
 * the instruction arrays, LPM keys; and what cg_service_create() does when
 * the programs cannot be attached (a tmpdir is no cgroup: the attach always
 * fails there, as on a host without cgroup BPF). */
#include "cg-fake.h"
#include "cg-bpf.h"

#include <arpa/inet.h>
#include <sys/sysmacros.h>

static const char proc_devices[] =
        "Character devices:\n  1 mem\n  4 tty\n  5 /dev/tty\n136 pts\n248 rtc\n\n"
        "Block devices:\n  7 loop\n  8 sd\n259 blkext\n";

static int fake_stat(const char *path, struct stat *ret) {
        *ret = (struct stat) { .st_mode = S_IFCHR | 0666 };
        if (streq(path, "/dev/null"))
                ret->st_rdev = makedev(1, 3);
        else if (streq(path, "/dev/sda"))
                *ret = (struct stat) { .st_mode = S_IFBLK | 0660, .st_rdev = makedev(8, 0) };
        else if (streq(path, "/dev/shm"))
                ret->st_mode = S_IFDIR | 01777;
        else if (streq(path, "/dev/missing"))
                return -ENOENT;
        else
                ret->st_rdev = makedev(1, 9);
        return 0;
}

static void add(ResourceConfig *rc, const char *path, DeviceAccess a) {
        rc->device_allow = realloc(rc->device_allow, (rc->n_device_allow + 1) * sizeof(DeviceAllow));
        rc->device_allow[rc->n_device_allow++] = (DeviceAllow) { strdup(path), a };
}

static void clear(ResourceConfig *rc) {
        for (size_t i = 0; i < rc->n_device_allow; i++)
                free(rc->device_allow[i].path);
        free(rc->device_allow);
        rc->device_allow = NULL;
        rc->n_device_allow = 0;
}

static void test_device_rules(void **state) {
        ResourceConfig rc = config_unset();
        CgDevRule *r = NULL;
        size_t n = 99;

        /* auto without entries: no program */
        assert_int_equal(cg_bpf_device_rules(&rc, proc_devices, fake_stat, &r, &n), 0);
        assert_null(r);
        assert_int_equal(n, 0);

        /* strict: the entries only; missing paths and non-devices skipped */
        rc.device_policy = DEVICE_POLICY_STRICT;
        add(&rc, "/dev/null", DEVICE_ACCESS_READ);
        add(&rc, "/dev/sda", DEVICE_ACCESS_READ | DEVICE_ACCESS_WRITE);
        add(&rc, "/dev/missing", DEVICE_ACCESS_ALL);
        add(&rc, "/dev/shm", DEVICE_ACCESS_ALL);
        add(&rc, "char-rtc", DEVICE_ACCESS_READ);
        add(&rc, "block-*", DEVICE_ACCESS_MKNOD);
        add(&rc, "char-nosuch", DEVICE_ACCESS_ALL);
        assert_int_equal(cg_bpf_device_rules(&rc, proc_devices, fake_stat, &r, &n), 0);
        assert_int_equal(n, 6);
        assert_true(r[0].type == BPF_DEVCG_DEV_CHAR && r[0].major == 1 && r[0].minor == 3 &&
                    r[0].access == BPF_DEVCG_ACC_READ);
        assert_true(r[1].type == BPF_DEVCG_DEV_BLOCK && r[1].major == 8 && r[1].minor == 0 &&
                    r[1].access == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE));
        assert_true(r[2].type == BPF_DEVCG_DEV_CHAR && r[2].major == 248 && r[2].minor == -1);
        /* a glob over the block section only */
        assert_true(r[3].type == BPF_DEVCG_DEV_BLOCK && r[3].major == 7 && r[3].access == BPF_DEVCG_ACC_MKNOD);
        assert_true(r[4].major == 8 && r[5].major == 259);
        free(r);

        /* closed: systemd's seven standard nodes and char-pts rw first */
        rc.device_policy = DEVICE_POLICY_CLOSED;
        clear(&rc);
        assert_int_equal(cg_bpf_device_rules(&rc, proc_devices, fake_stat, &r, &n), 0);
        assert_int_equal(n, 8);
        assert_true(r[7].major == 136 && r[7].minor == -1 &&
                    r[7].access == (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE));
        free(r);

        /* auto with an entry acts as closed */
        rc.device_policy = DEVICE_POLICY_AUTO;
        add(&rc, "/dev/sda", DEVICE_ACCESS_READ);
        assert_int_equal(cg_bpf_device_rules(&rc, proc_devices, fake_stat, &r, &n), 0);
        assert_int_equal(n, 9);
        free(r);
        clear(&rc);
}

static void test_device_insns(void **state) {
        CgDevRule rules[] = {
                { BPF_DEVCG_DEV_CHAR, 1, 3, BPF_DEVCG_ACC_READ },
                { BPF_DEVCG_DEV_CHAR, 136, -1, BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE },
        };
        struct bpf_insn *p = NULL;
        size_t n = 0;

        assert_int_equal(cg_bpf_device_insns(rules, 2, &p, &n), 0);
        /* 6 loads, 8 + 7 for the rules, 2 to deny */
        assert_int_equal(n, 6 + 8 + 7 + 2);
        /* rule 1: a type mismatch jumps past its 7 instructions */
        assert_int_equal(p[6].code, BPF_JMP | BPF_JNE | BPF_K);
        assert_int_equal(p[6].imm, BPF_DEVCG_DEV_CHAR);
        assert_int_equal(p[6].off, 7);
        /* the access check: bits outside READ */
        assert_int_equal(p[8].imm, (int32_t) ~BPF_DEVCG_ACC_READ);
        assert_int_equal(p[10].imm, 1);                 /* major */
        assert_int_equal(p[10].off, 3);
        assert_int_equal(p[11].imm, 3);                 /* minor */
        assert_int_equal(p[11].off, 2);
        assert_int_equal(p[12].imm, 1);                 /* allow */
        /* rule 2 (any minor): 6 after its first jump */
        assert_int_equal(p[14].off, 6);
        assert_int_equal(p[18].imm, 136);
        assert_int_equal(p[18].off, 2);
        /* deny at the end */
        assert_int_equal(p[n - 2].code, BPF_ALU64 | BPF_MOV | BPF_K);
        assert_int_equal(p[n - 2].imm, 0);
        assert_int_equal(p[n - 1].code, BPF_JMP | BPF_EXIT);
        free(p);
}

static void test_ip_insns(void **state) {
        int maps[_CG_IP_MAP_MAX] = { 11, -1, -1, 14 };
        struct bpf_insn *p = NULL;
        size_t n = 0;

        assert_int_equal(cg_bpf_ip_insns(maps, true, &p, &n), 0);
        /* 3 set-up, 15 per map, 7 for the verdict */
        assert_int_equal(n, 3 + 2 * 15 + 7);
        assert_int_equal(p[3].imm, htons(0x0800));      /* IPv4 block */
        assert_int_equal(p[3].off, 14);
        assert_int_equal(p[5].imm, 12);                 /* iphdr saddr: ingress */
        assert_int_equal(p[10].src_reg, BPF_PSEUDO_MAP_FD);
        assert_int_equal(p[10].imm, 11);
        assert_int_equal(p[17].imm, 1);                 /* allow bit */
        assert_int_equal(p[18].imm, htons(0x86DD));     /* IPv6 block */
        assert_int_equal(p[20].imm, 8);                 /* ip6 source */
        assert_int_equal(p[25].imm, 14);
        assert_int_equal(p[29].imm, 128);               /* full-length lookup */
        assert_int_equal(p[32].imm, 2);                 /* deny bit */
        free(p);
        assert_int_equal(cg_bpf_ip_insns(maps, false, &p, &n), 0);
        assert_int_equal(p[5].imm, 16);                 /* daddr: egress */
        assert_int_equal(p[20].imm, 24);
        free(p);
}

static void test_lpm_key(void **state) {
        IPPrefix v4 = { .family = AF_INET, .addr = { 10, 1, 0, 0 }, .prefixlen = 16 };
        IPPrefix v6 = { .family = AF_INET6, .prefixlen = 64 };
        uint8_t key[20];
        uint32_t len;

        assert_int_equal(cg_bpf_lpm_key(&v4, key), 8);
        memcpy(&len, key, 4);
        assert_int_equal(len, 16);
        assert_memory_equal(key + 4, v4.addr, 4);
        assert_int_equal(inet_pton(AF_INET6, "fe80::", v6.addr), 1);
        assert_int_equal(cg_bpf_lpm_key(&v6, key), 20);
        memcpy(&len, key, 4);
        assert_int_equal(len, 64);
        assert_memory_equal(key + 4, v6.addr, 16);
}

/* A tmpdir takes no program: refused without leaving the cgroup, or a
 * warning under UnenforceableLimits=warn; an implied policy only warns. */
static void test_unenforceable(void **state) {
        CgProbe p = probe_all();
        CgRoot *root = open_root(&p, "/corral");
        ResourceConfig rc = config_unset();
        CgService *s = NULL;
        char **warnings = NULL;
        CrlError err = {};
        struct stat st;

        rc.device_policy = DEVICE_POLICY_CLOSED;
        assert_true(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err) < 0);
        assert_non_null(strstr(err.message, "cannot enforce DevicePolicy=/DeviceAllow=: "));
        assert_int_equal(fstatat(fake.mount_fd, "corral/web.service", &st, 0), -1);
        assert_null(warnings);

        assert_int_equal(cg_service_create(root, "web", &rc, CG_SERVICE_UNENFORCEABLE_WARN, &s, &warnings, &err), 0);
        assert_int_equal(strv_length(warnings), 1);
        assert_non_null(strstr(warnings[0], "DevicePolicy=/DeviceAllow= not enforced: "));
        warnings = strv_free(warnings);
        assert_int_equal(cg_service_destroy(s, &err), 0);
        s = cg_service_free(s);

        rc.device_implied = true;
        assert_int_equal(cg_service_create(root, "web", &rc, 0, &s, &warnings, &err), 0);
        assert_int_equal(strv_length(warnings), 1);
        assert_non_null(strstr(warnings[0], "PrivateDevices= not enforced: "));
        warnings = strv_free(warnings);
        assert_int_equal(cg_service_destroy(s, &err), 0);
        s = cg_service_free(s);
        cg_root_free(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_device_rules),
                cmocka_unit_test(test_device_insns),
                cmocka_unit_test(test_ip_insns),
                cmocka_unit_test(test_lpm_key),
                cmocka_unit_test_setup_teardown(test_unenforceable, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
