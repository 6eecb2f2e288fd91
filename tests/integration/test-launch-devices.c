/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PrivateDevices= against a root service: no device node of its own
 * anywhere it can write (/dev, /tmp, /dev/shm, a writable BindPaths=), and
 * so no way to /dev/mem (c 1 1), while the nodes it is given still work. In
 * the VM: a pure cgroup2 host has no v1 devices controller to refuse the
 * open for us. Nodes that slip through are named per test run and removed. */
#include "launch-util.h"

#include <linux/capability.h>

static char dir[] = "/tmp/corral-dev-XXXXXX";

static void test_no_device_nodes(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("devices");
        char script[1024], rw[128], name[64], cmd[256];
        unsigned long long bnd = 0;
        const char *caps;
        Run run;

        (void) snprintf(rw, sizeof(rw), "%s/rw", dir);
        (void) snprintf(name, sizeof(name), "corral-mem-%d", (int) getpid());
        CHECK(mkdir(rw, 0755) == 0, "mkdir %s: %m", rw);
        u->private_devices = true;
        unit_add_bind(u, rw, "/rw", false, false);
        (void) snprintf(script, sizeof(script),
                        "for d in /dev /tmp /dev/shm /rw; do "
                        "if mknod $d/%s c 1 1 2>/dev/null; then "
                        "head -c 1 $d/%s >/dev/null 2>&1 && echo $d:read || echo $d:node; rm -f $d/%s; "
                        "else echo $d:no; fi; done; "
                        "echo x > /dev/null && head -c 4 /dev/zero | wc -c; "
                        "exec 3<>/dev/ptmx && test -c /dev/pts/0 && echo pty; "
                        "awk '/^CapBnd/ {print $2}' /proc/self/status",
                        name, name, name);
        run_sh(u, script, &run);
        caps = strrchr(chomp(&run), '\n');
        if (caps)
                bnd = strtoull(caps + 1, NULL, 16);
        CHECK(run.r == 0 && strneq(run.out, "/dev:no\n/tmp:no\n/dev/shm:no\n/rw:no\n4\npty\n", 40),
              "r=%d %s '%s'", run.r, run.error.message, run.out);
        CHECK(bnd != 0 && !(bnd & (1ULL << CAP_MKNOD)) && !(bnd & (1ULL << CAP_SYS_RAWIO)) &&
              (bnd & (1ULL << CAP_SYS_ADMIN)), "CapBnd %llx", bnd);
        (void) snprintf(cmd, sizeof(cmd), "rm -f /tmp/%s", name);
        (void) !system(cmd);
}

/* The /dev tmpfs itself is nodev (its nodes are binds of the host's, each
 * its own mount), devpts is not: ptys are nodes on it. The last mount at a
 * path in mountinfo is the visible one. */
static void test_dev_nodev(void) {
        _cleanup_(unit_config_freep) UnitConfig *u = unit_new("nodev");
        Run run;

        u->private_devices = true;
        run_sh(u, "awk '$5 == \"/dev\" { d = $6 } $5 == \"/dev/pts\" { p = $6 } "
                  "END { print (d ~ /nodev/) ? \"nodev\" : \"dev\", (p ~ /nodev/) ? \"nodev\" : \"dev\" }' "
                  "/proc/self/mountinfo", &run);
        CHECK(run.r == 0 && streq(chomp(&run), "nodev dev"), "r=%d %s '%s'", run.r, run.error.message, run.out);
}

int main(void) {
        char cmd[128];

        require_root();
        if (!mkdtemp(dir))
                return 1;
        test_no_device_nodes();
        test_dev_nodev();
        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) !system(cmd);
        return finish("test-launch-devices");
}
