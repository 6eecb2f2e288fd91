/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "cg-format.h"
#include "cg-plan.h"
#include "fileio.h"

void cg_plan_done(CgPlan *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->writes[i].value);
        free(p->writes);
        *p = (CgPlan) {};
}

static int plan_add(CgPlan *p, CgController c, const char *key, const char *file,
                    const char *value, bool set) {
        CgWrite *w;
        char *v = strdup(value);

        if (!v)
                return -ENOMEM;
        w = realloc(p->writes, (p->n + 1) * sizeof(CgWrite));
        if (!w) {
                free(v);
                return -ENOMEM;
        }
        p->writes = w;
        p->writes[p->n++] = (CgWrite) { c, key, file, v, set };
        return 0;
}

/* A ResourceLimit key: written when set, its default when asked for. */
static int plan_limit(CgPlan *p, CgController c, const char *key, const char *file,
                      const ResourceLimit *l, uint64_t total, const char *def, bool defaults) {
        char buf[32];

        if (l->kind == LIMIT_UNSET)
                return defaults ? plan_add(p, c, key, file, def, false) : 0;
        (void) cg_format_limit(l, total, buf, sizeof(buf));
        return plan_add(p, c, key, file, buf, true);
}

static int plan_memory(CgPlan *p, const ResourceConfig *rc, CgServiceFlags flags,
                       const CgSystem *sys, bool defaults) {
        uint64_t ram = sys->memory_total;
        int r;

        /* min and low before high and max: a protection never exceeds a limit
         * for a moment while the values change. */
        r = plan_limit(p, CG_CTRL_MEMORY, "MemoryMin=", "memory.min", &rc->memory_min, ram, "0", defaults);
        if (r >= 0)
                r = plan_limit(p, CG_CTRL_MEMORY, "MemoryLow=", "memory.low", &rc->memory_low, ram, "0", defaults);
        if (r >= 0)
                r = plan_limit(p, CG_CTRL_MEMORY, "MemoryHigh=", "memory.high", &rc->memory_high, ram, "max", defaults);
        if (r >= 0)
                r = plan_limit(p, CG_CTRL_MEMORY, "MemoryMax=", "memory.max", &rc->memory_max, ram, "max", defaults);
        if (r >= 0)
                r = plan_limit(p, CG_CTRL_MEMORY, "MemorySwapMax=", "memory.swap.max", &rc->memory_swap_max,
                               ram, "max", defaults);
        if (r >= 0 && (flags & CG_SERVICE_OOM_GROUP))
                r = plan_add(p, CG_CTRL_MEMORY, "OOMPolicy=", "memory.oom.group", "1", true);
        else if (r >= 0 && defaults)
                r = plan_add(p, CG_CTRL_MEMORY, "OOMPolicy=", "memory.oom.group", "0", false);
        return r;
}

static int plan_cpu(CgPlan *p, const ResourceConfig *rc, bool defaults) {
        char buf[64];
        int r = 0;

        if (rc->cpu_quota_per_sec_usec != USEC_INFINITY || defaults) {
                cg_format_cpu_max(rc->cpu_quota_per_sec_usec, rc->cpu_quota_period_usec, buf, sizeof(buf));
                r = plan_add(p, CG_CTRL_CPU, "CPUQuota=", "cpu.max", buf,
                             rc->cpu_quota_per_sec_usec != USEC_INFINITY);
        }
        /* cpu.idle (Linux 5.15) before cpu.weight, and no weight when idle:
         * the kernel refuses a weight write (EINVAL) while a group is idle. */
        if (r >= 0 && (rc->cpu_idle || defaults))
                r = plan_add(p, CG_CTRL_CPU, "CPUWeight=", "cpu.idle", rc->cpu_idle ? "1" : "0", rc->cpu_idle);
        if (r >= 0 && !rc->cpu_idle && (rc->cpu_weight > 0 || defaults)) {
                (void) snprintf(buf, sizeof(buf), "%" PRIu64, rc->cpu_weight > 0 ? rc->cpu_weight : 100);
                r = plan_add(p, CG_CTRL_CPU, "CPUWeight=", "cpu.weight", buf, rc->cpu_weight > 0);
        }
        return r;
}

static int plan_cpuset(CgPlan *p, const ResourceConfig *rc, bool defaults) {
        int r = 0;

        /* An empty cpuset.cpus/mems means "the parent's": that is the default.
         * A lone newline is how an empty value is written (a 0-byte write
         * never reaches the kernel's handler). */
        if (rc->allowed_cpus || defaults)
                r = plan_add(p, CG_CTRL_CPUSET, "AllowedCPUs=", "cpuset.cpus",
                             rc->allowed_cpus ?: "\n", !!rc->allowed_cpus);
        if (r >= 0 && (rc->allowed_memory_nodes || defaults))
                r = plan_add(p, CG_CTRL_CPUSET, "AllowedMemoryNodes=", "cpuset.mems",
                             rc->allowed_memory_nodes ?: "\n", !!rc->allowed_memory_nodes);
        return r;
}

static int resolve_one(CgDeviceResolver resolve, const char *key, const IODeviceValue *v,
                       dev_t *ret, CrlError *reterr) {
        int r = resolve(v->path, ret, reterr);

        if (r < 0)
                crl_error_prefix(reterr, "%s%s: ", key, v->path);
        return r;
}

static CgIOMax *io_max_entry(CgIOMax **devs, size_t *n, dev_t dev) {
        CgIOMax *d;

        for (size_t i = 0; i < *n; i++)
                if ((*devs)[i].dev == dev)
                        return &(*devs)[i];
        d = realloc(*devs, (*n + 1) * sizeof(CgIOMax));
        if (!d)
                return NULL;
        *devs = d;
        d[*n] = (CgIOMax) { dev, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
        return &d[(*n)++];
}

/* Merge the four per-device lists into one io.max line per device. */
static int collect_io_max(const ResourceConfig *rc, CgDeviceResolver resolve,
                          CgIOMax **ret, size_t *ret_n, CrlError *reterr) {
        const struct {
                const char *key;
                const IODeviceValue *v;
                size_t n;
                size_t offset;
        } lists[] = {
                { "IOReadBandwidthMax=", rc->io_read_bandwidth_max, rc->n_io_read_bandwidth_max, offsetof(CgIOMax, rbps) },
                { "IOWriteBandwidthMax=", rc->io_write_bandwidth_max, rc->n_io_write_bandwidth_max, offsetof(CgIOMax, wbps) },
                { "IOReadIOPSMax=", rc->io_read_iops_max, rc->n_io_read_iops_max, offsetof(CgIOMax, riops) },
                { "IOWriteIOPSMax=", rc->io_write_iops_max, rc->n_io_write_iops_max, offsetof(CgIOMax, wiops) },
        };
        _cleanup_free_ CgIOMax *devs = NULL;
        size_t n = 0;

        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                for (size_t i = 0; i < lists[l].n; i++) {
                        CgIOMax *d;
                        dev_t dev;
                        int r = resolve_one(resolve, lists[l].key, &lists[l].v[i], &dev, reterr);

                        if (r < 0)
                                return r;
                        d = io_max_entry(&devs, &n, dev);
                        if (!d)
                                return -ENOMEM;
                        *(uint64_t *) ((char *) d + lists[l].offset) = lists[l].v[i].value;
                }
        *ret = TAKE_PTR(devs);
        *ret_n = n;
        return 0;
}

static int plan_io(CgPlan *p, const ResourceConfig *rc, bool defaults, CgDeviceResolver resolve,
                   CrlError *reterr) {
        _cleanup_free_ CgIOMax *devs = NULL;
        size_t n = 0;
        char buf[128];
        int r = 0;

        if (rc->io_weight > 0 || defaults) {
                (void) snprintf(buf, sizeof(buf), "default %" PRIu64, rc->io_weight > 0 ? rc->io_weight : 100);
                r = plan_add(p, CG_CTRL_IO, "IOWeight=", "io.weight", buf, rc->io_weight > 0);
        }
        for (size_t i = 0; r >= 0 && i < rc->n_io_device_weight; i++) {
                dev_t dev;

                r = resolve_one(resolve, "IODeviceWeight=", &rc->io_device_weight[i], &dev, reterr);
                if (r < 0)
                        return r;
                (void) snprintf(buf, sizeof(buf), "%u:%u %" PRIu64, major(dev), minor(dev),
                                rc->io_device_weight[i].value);
                r = plan_add(p, CG_CTRL_IO, "IODeviceWeight=", "io.weight", buf, true);
        }
        if (r >= 0)
                r = collect_io_max(rc, resolve, &devs, &n, reterr);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                cg_format_io_max(&devs[i], buf, sizeof(buf));
                r = plan_add(p, CG_CTRL_IO, "IO*Max=", "io.max", buf, true);
        }
        return r;
}

int cg_plan_build(const ResourceConfig *rc, CgServiceFlags flags, const CgSystem *system,
                  bool defaults, CgDeviceResolver resolve, CgPlan *ret, CrlError *reterr) {
        CgPlan p = {};
        char buf[32];
        int r;

        r = plan_memory(&p, rc, flags, system, defaults);
        if (r >= 0)
                r = plan_cpu(&p, rc, defaults);
        if (r >= 0)
                r = plan_cpuset(&p, rc, defaults);
        if (r >= 0 && (rc->tasks_max.kind != LIMIT_UNSET || defaults)) {
                bool set = rc->tasks_max.kind != LIMIT_UNSET;

                if (set)
                        (void) cg_format_limit(&rc->tasks_max, system->pid_max, buf, sizeof(buf));
                r = plan_add(&p, CG_CTRL_PIDS, "TasksMax=", "pids.max", set ? buf : "max", set);
        }
        if (r >= 0)
                r = plan_io(&p, rc, defaults, resolve ?: cg_device_resolve, reterr);
        if (r < 0) {
                cg_plan_done(&p);
                return r == -ENOMEM ? crl_error_set(reterr, ENOMEM, "out of memory") : r;
        }
        *ret = p;
        return 0;
}

static bool plan_has_io_max(const CgPlan *p, const char *dev, size_t len) {
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->writes[i].file, "io.max") && strneq(p->writes[i].value, dev, len) &&
                    p->writes[i].value[len] == ' ')
                        return true;
        return false;
}

int cg_plan_clear_io_max(CgPlan *p, const char *current_io_max) {
        for (const char *l = current_io_max; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
                size_t len = strcspn(l, " \n");
                unsigned ma, mi;
                char buf[128];
                int r;

                if (len == 0 || len > 32 || sscanf(l, "%u:%u", &ma, &mi) != 2 || plan_has_io_max(p, l, len))
                        continue;
                cg_format_io_max(&(CgIOMax) { makedev(ma, mi), UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
                                 buf, sizeof(buf));
                r = plan_add(p, CG_CTRL_IO, "IO*Max=", "io.max", buf, false);
                if (r < 0)
                        return r;
        }
        return 0;
}

CgMask cg_plan_needs(const CgPlan *p) {
        CgMask m = 0;

        for (size_t i = 0; i < p->n; i++)
                if (p->writes[i].set)
                        m |= CG_MASK(p->writes[i].controller);
        return m;
}

int cg_plan_keys(const CgPlan *p, CgController c, char **ret) {
        char buf[256] = "";

        for (size_t i = 0; i < p->n; i++) {
                const CgWrite *w = &p->writes[i];
                size_t l = strlen(buf);

                if (!w->set || w->controller != c || strstr(buf, w->key))
                        continue;
                (void) snprintf(buf + l, sizeof(buf) - l, "%s%s", l ? ", " : "", w->key);
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/* The whole disk behind dev, through sysfs: a partition's "dev" sits
 * one level below its disk's. */
int cg_device_whole_disk_at(int sys_dev_block_fd, dev_t dev, dev_t *ret) {
        _cleanup_free_ char *line = NULL;
        char path[64];
        unsigned ma, mi;
        int r;

        (void) snprintf(path, sizeof(path), "%u:%u/partition", major(dev), minor(dev));
        if (faccessat(sys_dev_block_fd, path, F_OK, 0) < 0) {
                if (errno != ENOENT)
                        return -errno;
                (void) snprintf(path, sizeof(path), "%u:%u", major(dev), minor(dev));
                if (faccessat(sys_dev_block_fd, path, F_OK, 0) < 0)
                        return -errno;  /* not a block device the kernel lists */
                *ret = dev;
                return 0;
        }
        (void) snprintf(path, sizeof(path), "%u:%u/../dev", major(dev), minor(dev));
        r = read_line_at(sys_dev_block_fd, path, &line);
        if (r < 0)
                return r;
        if (sscanf(line, "%u:%u", &ma, &mi) != 2)
                return -EINVAL;
        *ret = makedev(ma, mi);
        return 0;
}

int cg_device_resolve(const char *path, dev_t *ret, CrlError *reterr) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        dev_t dev;
        int r;

        if (stat(path, &st) < 0)
                return crl_error_set(reterr, errno, "cannot stat: %s", strerror(errno));
        dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
        if (major(dev) == 0)
                return crl_error_set(reterr, ENODEV, "not on a block device (device %u:%u)",
                                     major(dev), minor(dev));
        fd = open("/sys/dev/block", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return crl_error_set(reterr, errno, "cannot open /sys/dev/block: %s", strerror(errno));
        r = cg_device_whole_disk_at(fd, dev, ret);
        if (r < 0)
                return crl_error_set(reterr, r, "device %u:%u: no whole disk in /sys/dev/block: %s",
                                     major(dev), minor(dev), strerror(-r));
        return 0;
}
