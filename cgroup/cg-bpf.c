/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Load corral's cgroup BPF programs with libbpf and attach them. */
#include <bpf/bpf.h>
#include <bpf/libbpf_version.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-bpf.h"
#include "dl-util.h"
#include "fd-util.h"
#include "fileio.h"

static int stat_path(const char *path, struct stat *ret) {
        return stat(path, ret) < 0 ? -errno : 0;
}

/* libbpf, dlopen()ed by the first program set: a daemon whose units ask
 * for no device or IP program never maps it, and it and its libraries
 * (libelf, libz) are 0.29 MB of corrald's resident memory
 * (docs/benchmarks.md, "Scale"). Each set holds a reference of its own:
 * the dynamic loader counts them, so the library stays mapped while a set
 * does, and a second dlopen() only looks the functions up again. */
#define BPF_LIBRARY "libbpf.so.1"
_Static_assert(LIBBPF_MAJOR_VERSION == 1, "the soname above is libbpf 1.x's");

typedef struct BpfLib {
        void *dl;                       /* owned: dlopen() handle, NULL: not loaded */
        typeof(bpf_prog_load) *prog_load;
        typeof(bpf_prog_attach) *prog_attach;
        typeof(bpf_prog_detach2) *prog_detach2;
        typeof(bpf_map_create) *map_create;
        typeof(bpf_map_update_elem) *map_update_elem;
} BpfLib;

static int bpf_lib_load(BpfLib *l, CrlError *reterr) {
        const CrlDlSym syms[] = {
                { "bpf_prog_load", (void **) &l->prog_load },
                { "bpf_prog_attach", (void **) &l->prog_attach },
                { "bpf_prog_detach2", (void **) &l->prog_detach2 },
                { "bpf_map_create", (void **) &l->map_create },
                { "bpf_map_update_elem", (void **) &l->map_update_elem },
        };

        return crl_dlopen_syms(BPF_LIBRARY, syms, ELEMENTSOF(syms), &l->dl, reterr);
}

static void bpf_lib_done(BpfLib *l) {
        if (l->dl)
                (void) dlclose(l->dl);
        *l = (BpfLib) {};
}

typedef struct Attached {
        int prog_fd;
        enum bpf_attach_type type;
} Attached;

static int load_prog(const BpfLib *l, enum bpf_prog_type type, const char *name, const struct bpf_insn *insns,
                     size_t n, CrlError *reterr) {
        int fd = l->prog_load(type, name, "GPL", insns, n, NULL);

        if (fd < 0)
                return crl_error_set(reterr, -fd, "cannot load the %s BPF program: %s", name, strerror(-fd));
        return fd;
}

static int attach(const BpfLib *l, int cgroup_fd, int prog_fd, enum bpf_attach_type type, const char *what,
                  Attached *done, size_t *n_done, CrlError *reterr) {
        int r = l->prog_attach(prog_fd, cgroup_fd, type, BPF_F_ALLOW_MULTI);

        if (r < 0)
                return crl_error_set(reterr, -r, "cannot attach the %s BPF program to the cgroup: %s",
                                     what, strerror(-r));
        done[(*n_done)++] = (Attached) { prog_fd, type };
        return 0;
}

static int load_devices(const BpfLib *l, const ResourceConfig *rc, CrlError *reterr) {
        _cleanup_free_ char *proc_devices = NULL;
        _cleanup_free_ struct bpf_insn *insns = NULL;
        _cleanup_free_ CgDevRule *rules = NULL;
        size_t n_rules = 0, n = 0;
        int r;

        /* missing (no /proc): char-NAME entries then match nothing */
        (void) read_file_at(AT_FDCWD, "/proc/devices", &proc_devices, NULL);
        r = cg_bpf_device_rules(rc, proc_devices, stat_path, &rules, &n_rules);
        if (r >= 0)
                r = cg_bpf_device_insns(rules, n_rules, &insns, &n);
        if (r < 0)
                return crl_error_set(reterr, -r, "cannot build the device program: %s", strerror(-r));
        return load_prog(l, BPF_PROG_TYPE_CGROUP_DEVICE, "corral_devices", insns, n, reterr);
}

static int fill_map(const BpfLib *l, const IPPrefix *list, size_t n, int family, int *ret_fd,
                    CrlError *reterr) {
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
        size_t count = 0;
        int fd;

        for (size_t i = 0; i < n; i++)
                count += list[i].family == family;
        *ret_fd = -EBADF;
        if (count == 0)
                return 0;
        fd = l->map_create(BPF_MAP_TYPE_LPM_TRIE, "corral_ip", family == AF_INET ? 8 : 20, sizeof(uint64_t),
                            count, &opts);
        if (fd < 0)
                return crl_error_set(reterr, -fd, "cannot create an LPM-trie BPF map: %s", strerror(-fd));
        for (size_t i = 0; i < n; i++) {
                uint8_t key[20];
                uint64_t one = 1;
                int r;

                if (list[i].family != family)
                        continue;
                (void) cg_bpf_lpm_key(&list[i], key);
                r = l->map_update_elem(fd, key, &one, BPF_ANY);
                if (r < 0) {
                        safe_close(fd);
                        return crl_error_set(reterr, -r, "cannot fill an LPM-trie BPF map: %s", strerror(-r));
                }
        }
        *ret_fd = fd;
        return 0;
}

static int load_ip(const BpfLib *l, const ResourceConfig *rc, int *ret_in, int *ret_out, CrlError *reterr) {
        int maps[_CG_IP_MAP_MAX] = { -EBADF, -EBADF, -EBADF, -EBADF }, r;
        struct bpf_insn *insns = NULL;
        size_t n = 0;

        *ret_in = *ret_out = -EBADF;
        r = fill_map(l, rc->ip_address_allow, rc->n_ip_address_allow, AF_INET, &maps[CG_IP_MAP_ALLOW4], reterr);
        if (r >= 0)
                r = fill_map(l, rc->ip_address_deny, rc->n_ip_address_deny, AF_INET, &maps[CG_IP_MAP_DENY4], reterr);
        if (r >= 0)
                r = fill_map(l, rc->ip_address_allow, rc->n_ip_address_allow, AF_INET6, &maps[CG_IP_MAP_ALLOW6],
                             reterr);
        if (r >= 0)
                r = fill_map(l, rc->ip_address_deny, rc->n_ip_address_deny, AF_INET6, &maps[CG_IP_MAP_DENY6],
                             reterr);
        for (int dir = 0; dir < 2 && r >= 0; dir++) {
                r = cg_bpf_ip_insns(maps, dir == 0, &insns, &n);
                if (r < 0) {
                        r = crl_error_set(reterr, -r, "cannot build the IP program: %s", strerror(-r));
                        break;
                }
                r = load_prog(l, BPF_PROG_TYPE_CGROUP_SKB, dir == 0 ? "corral_ip_in" : "corral_ip_out", insns, n, reterr);
                free(insns);
                if (r >= 0)
                        *(dir == 0 ? ret_in : ret_out) = r;
        }
        /* the programs hold the maps */
        for (CgIPMap m = 0; m < _CG_IP_MAP_MAX; m++)
                safe_close(maps[m]);
        if (r < 0) {
                *ret_in = safe_close(*ret_in);
                *ret_out = safe_close(*ret_out);
        }
        return r < 0 ? r : 0;
}

struct CgBpfPrograms {
        int fd[_CG_BPF_PROG_MAX];       /* owned; -EBADF: rc asks for no such program */
        BpfLib lib;                     /* loaded when one is there */
};

static const struct {
        enum bpf_attach_type type;
        const char *what;
} prog_attach[_CG_BPF_PROG_MAX] = {
        [CG_BPF_PROG_DEVICE] = { BPF_CGROUP_DEVICE, "device" },
        [CG_BPF_PROG_IP_IN] = { BPF_CGROUP_INET_INGRESS, "IP ingress" },
        [CG_BPF_PROG_IP_OUT] = { BPF_CGROUP_INET_EGRESS, "IP egress" },
};

CgBpfPrograms *cg_bpf_programs_free(CgBpfPrograms *p) {
        if (!p)
                return NULL;
        for (CgBpfProg i = 0; i < _CG_BPF_PROG_MAX; i++)
                safe_close(p->fd[i]);
        bpf_lib_done(&p->lib);
        free(p);
        return NULL;
}

int cg_bpf_programs_new(const ResourceConfig *rc, CgBpfPrograms **ret, CrlError *reterr) {
        _cleanup_(cg_bpf_programs_freep) CgBpfPrograms *p = NULL;
        int r = 0;

        p = calloc(1, sizeof(*p));
        if (!p)
                return crl_error_set(reterr, ENOMEM, "out of memory");
        for (CgBpfProg i = 0; i < _CG_BPF_PROG_MAX; i++)
                p->fd[i] = -EBADF;
        if (resource_config_wants_devices(rc) || resource_config_wants_ip(rc))
                r = bpf_lib_load(&p->lib, reterr);
        if (r >= 0 && resource_config_wants_devices(rc))
                r = p->fd[CG_BPF_PROG_DEVICE] = load_devices(&p->lib, rc, reterr);
        if (r >= 0 && resource_config_wants_ip(rc))
                r = load_ip(&p->lib, rc, &p->fd[CG_BPF_PROG_IP_IN], &p->fd[CG_BPF_PROG_IP_OUT], reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(p);
        return 0;
}

size_t cg_bpf_programs_count(const CgBpfPrograms *p) {
        size_t n = 0;

        for (CgBpfProg i = 0; p && i < _CG_BPF_PROG_MAX; i++)
                n += p->fd[i] >= 0;
        return n;
}

int cg_bpf_programs_attach(const CgBpfPrograms *p, int cgroup_fd, CrlError *reterr) {
        Attached done[_CG_BPF_PROG_MAX];
        size_t n_done = 0;
        int r = 0;

        for (CgBpfProg i = 0; i < _CG_BPF_PROG_MAX && r >= 0; i++)
                if (p->fd[i] >= 0)
                        r = attach(&p->lib, cgroup_fd, p->fd[i], prog_attach[i].type, prog_attach[i].what, done, &n_done,
                                   reterr);
        if (r < 0)
                for (size_t i = 0; i < n_done; i++)
                        (void) p->lib.prog_detach2(done[i].prog_fd, cgroup_fd, done[i].type); /* undo; the first error stands */
        return r < 0 ? r : 0;
}

int cg_bpf_attach(int cgroup_fd, const ResourceConfig *rc, CrlError *reterr) {
        _cleanup_(cg_bpf_programs_freep) CgBpfPrograms *p = NULL;
        int r;

        r = cg_bpf_programs_new(rc, &p, reterr);
        if (r < 0)
                return r;
        return cg_bpf_programs_attach(p, cgroup_fd, reterr);
}
