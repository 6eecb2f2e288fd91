/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unit loader: every key lands in its field, lists append and reset,
 * drop-ins, templates and specifiers, line handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <linux/capability.h>
#include <inttypes.h>
#include <signal.h>

#include "units-test-util.h"

static void dump(const UnitDiagnostics *d) {
        STRV_FOREACH(e, d->errors)
                fprintf(stderr, "error: %s\n", *e);
        STRV_FOREACH(w, d->warnings)
                fprintf(stderr, "warning: %s\n", *w);
}

static UnitConfig *load_ok(const char *dir, const char *file, const char *text) {
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, file, text, &d);

        dump(&d);
        assert_non_null(u);
        assert_null(d.errors);
        assert_null(d.warnings);
        unit_diagnostics_done(&d);
        return u;
}

static const char every_unit_key[] =
        "[Unit]\n"
        "Description=Every key\n"
        "Documentation=man:corral(8) https://example.org/corral\n"
        "After=db.service cache\n"
        "Requires=db\n"
        "Wants=cache.service\n"
        "StartLimitIntervalSec=30s\n"
        "StartLimitBurst=7\n"
        "AutoStart=no\n"
        "JoinsNamespaceOf=\n"
        "\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n";

static const char every_service_key[] =
        "[Service]\n"
        "Type=notify\n"
        "ExecStartPre=-/bin/true pre\n"
        "ExecStart=/usr/bin/env --debug\n"
        "ExecStartPost=/bin/echo post\n"
        "ExecStop=/bin/kill stop\n"
        "Restart=on-failure\n"
        "RestartSec=2s\n"
        "RestartSteps=3\n"
        "RestartMaxDelaySec=1min\n"
        "TimeoutStartSec=5s\n"
        "TimeoutStopSec=7s\n"
        "KillSignal=SIGINT\n"
        "SuccessExitStatus=3\n"
        "Environment=A=1 B=2\n"
        "EnvironmentFile=-/etc/default/every\n"
        "WorkingDirectory=/srv\n"
        "User=nobody\n"
        "Group=nogroup\n"
        "SupplementaryGroups=adm users\n"
        "UMask=0027\n"
        "Nice=5\n"
        "OOMScoreAdjust=-100\n"
        "LimitNOFILE=1024\n"
        "LimitNPROC=512\n"
        "LimitCORE=1M\n"
        "StandardOutput=null\n"
        "StandardError=journal\n"
        "OOMPolicy=kill\n";

static const char every_sandbox_key[] =
        "PrivatePIDs=yes\n"
        "PrivateMounts=yes\n"
        "PrivateIPC=yes\n"
        "ProtectHostname=yes\n"
        "Hostname=every\n"
        "PrivateTime=yes\n"
        "TimeOffsetSec=-1h\n"
        "PrivateUsers=identity\n"
        "ProtectControlGroups=private\n"
        "RootDirectory=/\n"
        "BindPaths=/srv/data:/data\n"
        "BindReadOnlyPaths=-/etc/every\n"
        "ReadOnlyPaths=/usr\n"
        "ReadWritePaths=/var/lib/every\n"
        "InaccessiblePaths=-/root\n"
        "TemporaryFileSystem=/scratch\n"
        "PrivateTmp=yes\n"
        "PrivateDevices=yes\n"
        "ProtectSystem=strict\n"
        "ProtectHome=read-only\n"
        "NoNewPrivileges=yes\n"
        "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE\n"
        "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
        "NetworkNamespacePath=\n";

static const char every_resource_key[] =
        "MemoryMax=512M\n"
        "MemoryHigh=50%\n"
        "MemoryLow=64M\n"
        "MemoryMin=1G\n"
        "MemorySwapMax=infinity\n"
        "CPUQuota=150%\n"
        "CPUQuotaPeriodSec=50ms\n"
        "CPUWeight=200\n"
        "AllowedCPUs=0-1\n"
        "AllowedMemoryNodes=0\n"
        "TasksMax=64\n"
        "IOWeight=300\n"
        "IODeviceWeight=/dev/sda 500\n"
        "IOReadBandwidthMax=/dev/sda 1M\n"
        "IOWriteBandwidthMax=/dev/sda 2M\n"
        "IOReadIOPSMax=/dev/sda 100\n"
        "IOWriteIOPSMax=/dev/sda 200\n"
        "\n"
        "[Network]\n"
        "VirtualEthernet=yes\n"
        "Bridge=br-every\n"
        "Address=10.89.0.7/24\n"
        "Gateway=10.89.0.1\n"
        "Port=8080:80\n"
        "Port=udp:53\n";

static void check_unit_section(const UnitConfig *u) {
        assert_string_equal(u->name, "every");
        assert_string_equal(u->description, "Every key");
        assert_int_equal(strv_length(u->documentation), 2);
        assert_string_equal(u->documentation[1], "https://example.org/corral");
        assert_int_equal(strv_length(u->after), 2);
        assert_string_equal(u->after[0], "db");
        assert_string_equal(u->after[1], "cache");
        assert_string_equal(u->requires[0], "db");
        assert_string_equal(u->wants[0], "cache");
        assert_int_equal(u->start_limit_interval_usec, 30 * USEC_PER_SEC);
        assert_int_equal(u->start_limit_burst, 7);
        assert_false(u->auto_start);
        assert_null(u->joins_namespace_of);
}

static void check_process(const UnitConfig *u) {
        assert_int_equal(u->type, SERVICE_NOTIFY);
        assert_int_equal(u->n_exec_start_pre, 1);
        assert_int_equal(u->exec_start_pre[0].flags, EXEC_COMMAND_IGNORE_FAILURE);
        assert_string_equal(u->exec_start_pre[0].path, "/bin/true");
        assert_int_equal(u->n_exec_start, 1);
        assert_string_equal(u->exec_start[0].argv[1], "--debug");
        assert_int_equal(u->exec_start[0].line, 4);
        assert_int_equal(u->n_exec_start_post, 1);
        assert_int_equal(u->n_exec_stop, 1);
        assert_int_equal(u->restart, RESTART_ON_FAILURE);
        assert_int_equal(u->restart_usec, 2 * USEC_PER_SEC);
        assert_int_equal(u->restart_steps, 3);
        assert_int_equal(u->restart_max_delay_usec, 60 * USEC_PER_SEC);
        assert_int_equal(u->timeout_start_usec, 5 * USEC_PER_SEC);
        assert_int_equal(u->timeout_stop_usec, 7 * USEC_PER_SEC);
        assert_int_equal(u->kill_signal, SIGINT);
        assert_int_equal(u->n_success_exit_status, 1);
        assert_int_equal(u->success_exit_status[0], 3);
        assert_int_equal(strv_length(u->environment), 2);
        assert_string_equal(u->environment[1], "B=2");
        assert_int_equal(u->n_environment_files, 1);
        assert_true(u->environment_files[0].optional);
        assert_string_equal(u->environment_files[0].path, "/etc/default/every");
        assert_string_equal(u->working_directory, "/srv");
        assert_false(u->working_directory_optional);
        assert_string_equal(u->user, "nobody");
        assert_string_equal(u->group, "nogroup");
        assert_string_equal(u->supplementary_groups[1], "users");
        assert_int_equal(u->umask, 027);
        assert_true(u->nice_set);
        assert_int_equal(u->nice, 5);
        assert_true(u->oom_score_adjust_set);
        assert_int_equal(u->oom_score_adjust, -100);
        assert_true(u->limit_nofile.set);
        assert_int_equal(u->limit_nofile.rlim.rlim_max, 1024);
        assert_int_equal(u->limit_nproc.rlim.rlim_cur, 512);
        assert_true(u->limit_core.set);
        assert_int_equal(u->limit_core.rlim.rlim_max, 1024 * 1024);
        assert_int_equal(u->standard_output.kind, OUTPUT_NULL);
        assert_int_equal(u->standard_error.kind, OUTPUT_JOURNAL);
        assert_int_equal(u->oom_policy, OOM_KILL);
}

static void check_sandbox(const UnitConfig *u) {
        assert_true(u->private_pids && u->private_mounts && u->private_ipc);
        assert_true(u->protect_hostname);
        assert_string_equal(u->hostname, "every");
        assert_true(u->private_time);
        assert_int_equal(u->time_offset_usec, -3600 * (int64_t) USEC_PER_SEC);
        assert_int_equal(u->private_users, PRIVATE_USERS_IDENTITY);
        assert_int_equal(u->protect_control_groups, PROTECT_CGROUPS_PRIVATE);
        assert_string_equal(u->root_directory, "/");
        assert_int_equal(u->n_bind_paths, 2);
        assert_string_equal(u->bind_paths[0].destination, "/data");
        assert_false(u->bind_paths[0].read_only);
        assert_true(u->bind_paths[1].read_only);
        assert_true(u->bind_paths[1].ignore_missing);
        assert_string_equal(u->read_only_paths[0].path, "/usr");
        assert_string_equal(u->read_write_paths[0].path, "/var/lib/every");
        assert_true(u->inaccessible_paths[0].ignore_missing);
        assert_string_equal(u->temporary_file_system[0].path, "/scratch");
        assert_true(u->private_tmp && u->private_devices && u->no_new_privileges);
        assert_int_equal(u->protect_system, PROTECT_SYSTEM_STRICT);
        assert_int_equal(u->protect_home, PROTECT_HOME_READ_ONLY);
        assert_true(u->capability_bounding_set_set);
        assert_int_equal(u->capability_bounding_set,
                         (UINT64_C(1) << CAP_NET_ADMIN) | (UINT64_C(1) << CAP_NET_BIND_SERVICE));
        assert_int_equal(u->ambient_capabilities, UINT64_C(1) << CAP_NET_BIND_SERVICE);
        assert_null(u->network_namespace_path);
}

static void check_resources(const UnitConfig *u) {
        const ResourceConfig *r = &u->resources;

        assert_int_equal(r->memory_max.kind, LIMIT_VALUE);
        assert_int_equal(r->memory_max.value, 512 * 1024 * 1024);
        assert_int_equal(r->memory_high.kind, LIMIT_PERCENT);
        assert_int_equal(r->memory_high.value, 5000);
        assert_int_equal(r->memory_low.value, 64 * 1024 * 1024);
        assert_int_equal(r->memory_min.value, UINT64_C(1) << 30);
        assert_int_equal(r->memory_swap_max.kind, LIMIT_INFINITY);
        assert_int_equal(r->cpu_quota_per_sec_usec, 1500000);
        assert_int_equal(r->cpu_quota_period_usec, 50 * USEC_PER_MSEC);
        assert_int_equal(r->cpu_weight, 200);
        assert_string_equal(r->allowed_cpus, "0-1");
        assert_string_equal(r->allowed_memory_nodes, "0");
        assert_int_equal(r->tasks_max.value, 64);
        assert_int_equal(r->io_weight, 300);
        assert_int_equal(r->io_device_weight[0].value, 500);
        assert_string_equal(r->io_read_bandwidth_max[0].path, "/dev/sda");
        /* bandwidths are base 1000, as in systemd */
        assert_int_equal(r->io_read_bandwidth_max[0].value, 1000 * 1000);
        assert_int_equal(r->io_write_bandwidth_max[0].value, 2 * 1000 * 1000);
        assert_int_equal(r->io_read_iops_max[0].value, 100);
        assert_int_equal(r->io_write_iops_max[0].value, 200);
}

static void check_network(const UnitConfig *u) {
        const NetworkConfig *n = &u->network;
        char a[INET_ADDRSTRLEN];

        assert_true(n->virtual_ethernet);
        assert_true(u->private_network); /* implied */
        assert_string_equal(n->bridge, "br-every");
        assert_false(n->address_auto);
        assert_string_equal(inet_ntop(AF_INET, &n->address, a, sizeof(a)), "10.89.0.7");
        assert_int_equal(n->address_prefixlen, 24);
        assert_false(n->gateway_auto);
        assert_string_equal(inet_ntop(AF_INET, &n->gateway, a, sizeof(a)), "10.89.0.1");
        assert_int_equal(n->n_ports, 2);
        assert_int_equal(n->ports[0].protocol, IPPROTO_TCP);
        assert_int_equal(n->ports[0].host_port, 8080);
        assert_int_equal(n->ports[0].service_port, 80);
        assert_int_equal(n->ports[1].protocol, IPPROTO_UDP);
        assert_int_equal(n->ports[1].service_port, 53);
}

static void test_every_key(void **state) {
        char *dir = scratch_dir(), text[8192];
        UnitConfig *u;

        /* [Service] first so ExecStart= is on a known line (4). */
        snprintf(text, sizeof(text), "%s%s%s%s", every_service_key, every_sandbox_key,
                 every_resource_key, every_unit_key);
        u = load_ok(dir, "every.service", text);
        check_unit_section(u);
        check_process(u);
        check_sandbox(u);
        check_resources(u);
        check_network(u);
        unit_config_free(u);
        scratch_remove(dir);
}

static void test_defaults(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = load_ok(dir, "min.service", "[Service]\nExecStart=/bin/true\n");

        assert_true(u->auto_start);
        assert_int_equal(u->type, SERVICE_SIMPLE);
        assert_int_equal(u->restart_usec, 100 * USEC_PER_MSEC);
        assert_int_equal(u->timeout_stop_usec, 10 * USEC_PER_SEC);
        assert_int_equal(u->kill_signal, SIGTERM);
        assert_int_equal(u->umask, -1);
        assert_false(u->private_mounts);
        assert_int_equal(u->resources.cpu_quota_per_sec_usec, USEC_INFINITY);
        assert_true(u->network.address_auto);
        assert_null(u->dropin_paths);
        assert_false(u->is_template);
        unit_config_free(u);
        scratch_remove(dir);
}

static void test_lists_append_and_reset(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = load_ok(dir, "l.service",
                "[Unit]\n"
                "After=a\n"
                "After=b c\n"
                "Wants=x\n"
                "Wants=\n"
                "Wants=y\n"
                "[Service]\n"
                "ExecStart=/bin/false\n"
                "ExecStart=\n"
                "ExecStart=/bin/true\n"
                "Environment=A=1\n"
                "Environment=\n"
                "Environment=B=2\n"
                "ReadOnlyPaths=/a /b\n"
                "ReadOnlyPaths=/c\n"
                "BindPaths=/x\n"
                "BindReadOnlyPaths=\n"
                "BindReadOnlyPaths=/y\n"
                "MemoryMax=1G\n"
                "MemoryMax=\n");

        assert_int_equal(strv_length(u->after), 3);
        assert_string_equal(u->after[2], "c");
        assert_int_equal(strv_length(u->wants), 1);
        assert_string_equal(u->wants[0], "y");
        assert_int_equal(u->n_exec_start, 1);
        assert_string_equal(u->exec_start[0].path, "/bin/true");
        assert_int_equal(strv_length(u->environment), 1);
        assert_int_equal(u->n_read_only_paths, 3);
        assert_int_equal(u->n_bind_paths, 1);  /* an empty one clears both bind lists */
        assert_string_equal(u->bind_paths[0].source, "/y");
        assert_int_equal(u->resources.memory_max.kind, LIMIT_UNSET);
        unit_config_free(u);
        scratch_remove(dir);
}

static void test_continuation_and_comments(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u = load_text(dir, "c.service",
                "\xef\xbb\xbf# comment\n"
                "; also a comment\n"
                "[Service]\n"
                "ExecStart=/bin/echo a \\\n"
                "# skipped inside a continuation\n"
                "   b 'c d'\n"
                "    Description = indented\n"
                "MemoryMax=12X\n", &d);

        assert_null(u);
        assert_int_equal(strv_length(d.errors), 1);
        assert_string_equal(strip_dir(d.errors[0], dir),
                "c.service:8: MemoryMax: \"12X\" is not a size (use K, M, G, T, a percentage, or infinity)");
        assert_int_equal(strv_length(d.warnings), 1);
        assert_string_equal(strip_dir(d.warnings[0], dir),
                "c.service:7: Description: belongs in [Unit], not [Service], ignoring");
        unit_diagnostics_done(&d);

        u = load_ok(dir, "c.service",
                "[Service]\n"
                "ExecStart=/bin/echo a \\\n"
                "   b 'c ; d'\n");
        assert_int_equal(strv_length(u->exec_start[0].argv), 4);
        assert_string_equal(u->exec_start[0].argv[3], "c ; d");
        unit_config_free(u);
        scratch_remove(dir);
}

/* Continuation is decided on the raw line by counting escapes, as systemd's
 * config_parse(): a line continues only when it ends in an odd number of
 * backslashes, with nothing after them. */
static void test_continuation_escapes(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        /* "a\\" is an escaped backslash, not a continuation: User= stays its own line. */
        u = load_ok(dir, "e.service",
                "[Service]\n"
                "ExecStart=/bin/echo a\\\\\n"
                "User=nobody\n");
        assert_int_equal(strv_length(u->exec_start[0].argv), 2);
        assert_string_equal(u->exec_start[0].argv[1], "a\\");
        assert_string_equal(u->user, "nobody");
        unit_config_free(u);

        /* A backslash followed by a space ends the line there (the value is
         * stripped afterwards, so it ends in "\"). */
        u = load_ok(dir, "e.service",
                "[Unit]\n"
                "Description=a\\ \n"
                "[Service]\n"
                "ExecStart=/bin/true\n"
                "User=nobody\n");
        assert_string_equal(u->description, "a\\");
        assert_string_equal(u->user, "nobody");
        unit_config_free(u);
        assert_null(load_text(dir, "e.service",
                "[Service]\n"
                "ExecStart=/bin/echo a\\ \n"
                "User=no:body\n", &d));
        assert_int_equal(strv_length(d.errors), 2);
        assert_string_equal(strip_dir(d.errors[0], dir), "e.service:2: ExecStart: a trailing backslash escapes nothing");
        assert_true(strneq(strip_dir(d.errors[1], dir), "e.service:3: User: ", strlen("e.service:3: User: ")));
        unit_diagnostics_done(&d);

        /* Three backslashes: an escaped one, then a continuation. The next
         * line is appended as it is (systemd keeps its indentation). */
        u = load_ok(dir, "e.service",
                "[Service]\n"
                "ExecStart=/bin/echo a\\\\\\\n"
                "  \"b  c\"\\\n"
                "# a comment line inside a continuation is skipped\n"
                "\td\n"
                "User=nobody\n");
        assert_int_equal(strv_length(u->exec_start[0].argv), 4);
        assert_string_equal(u->exec_start[0].argv[1], "a\\");
        assert_string_equal(u->exec_start[0].argv[2], "b  c");
        assert_string_equal(u->exec_start[0].argv[3], "d");
        assert_string_equal(u->user, "nobody");
        unit_config_free(u);
        u = load_ok(dir, "e.service",
                "[Unit]\n"
                "Description=x\\\n"
                "   y\n"
                "[Service]\n"
                "ExecStart=/bin/true \\");        /* continued into the end of the file */
        assert_string_equal(u->description, "x    y");
        assert_string_equal(u->exec_start[0].path, "/bin/true");
        unit_config_free(u);
        scratch_remove(dir);
}

/* \n, \r, \r\n and \n\r each end a line, as systemd's read_line(): a
 * carriage return cannot hide an assignment inside the previous value. */
static void test_line_ends(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        UnitConfig *u;

        u = load_ok(dir, "r.service",
                "[Unit]\r\n"
                "Description=x\r\n"
                "[Service]\r\n"
                "Environment=A=1\rUser=nobody\n"
                "ExecStart=/bin/true \\\r\n"
                "  y\n\r"
                "Group=nogroup\r\n");
        assert_string_equal(u->description, "x");
        assert_int_equal(strv_length(u->environment), 1);
        assert_string_equal(u->environment[0], "A=1");
        assert_string_equal(u->user, "nobody");
        assert_string_equal(u->exec_start[0].argv[1], "y");
        assert_string_equal(u->group, "nogroup");
        unit_config_free(u);

        /* Line numbers count \r\n and \n\r once, \r\r and \n\n twice. */
        assert_null(load_text(dir, "r.service",
                "[Service]\r\n"
                "ExecStart=/bin/true\n\r"
                "\r\r"
                "MemoryMax=12X\n", &d));
        assert_int_equal(strv_length(d.errors), 1);
        assert_string_equal(strip_dir(d.errors[0], dir),
                "r.service:5: MemoryMax: \"12X\" is not a size (use K, M, G, T, a percentage, or infinity)");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

/* CapabilityBoundingSet= and AmbientCapabilities= combine as systemd's
 * config_parse_capability_set(): an empty list ("" or a bare "~") replaces
 * the set (empty, or everything), so does the first list while the set is
 * still at its default, and later lists add (or with "~" remove). */
static void test_capability_sets(void **state) {
#define B(c) (UINT64_C(1) << (c))
        static const uint64_t ALL = (UINT64_C(1) << 41) - 1;  /* caps 0..40 (CAP_CHECKPOINT_RESTORE) */
        static const struct {
                const char *lines;
                bool bounding_set;
                uint64_t bounding, ambient;
        } t[] = {
                { "CapabilityBoundingSet=\n", true, 0, 0 },
                { "CapabilityBoundingSet=CAP_NET_ADMIN\nCapabilityBoundingSet=\n", true, 0, 0 },
                { "CapabilityBoundingSet=CAP_NET_ADMIN\nCapabilityBoundingSet=~\n", false, 0, 0 },
                { "CapabilityBoundingSet=CAP_NET_ADMIN\nCapabilityBoundingSet=~\nCapabilityBoundingSet=CAP_KILL\n",
                  true, B(CAP_KILL), 0 },
                { "CapabilityBoundingSet=CAP_NET_ADMIN\nCapabilityBoundingSet=CAP_KILL\n",
                  true, B(CAP_NET_ADMIN) | B(CAP_KILL), 0 },
                { "CapabilityBoundingSet=~CAP_SYS_ADMIN\n", true, ALL & ~B(CAP_SYS_ADMIN), 0 },
                { "CapabilityBoundingSet=~CAP_SYS_ADMIN\nCapabilityBoundingSet=~CAP_NET_RAW\n",
                  true, ALL & ~B(CAP_SYS_ADMIN) & ~B(CAP_NET_RAW), 0 },
                { "CapabilityBoundingSet=CAP_KILL CAP_NET_RAW\nCapabilityBoundingSet=~CAP_NET_RAW\n",
                  true, B(CAP_KILL), 0 },
                { "CapabilityBoundingSet=\nCapabilityBoundingSet=~CAP_KILL\n", true, 0, 0 },
                { "CapabilityBoundingSet=\nCapabilityBoundingSet=CAP_KILL\n", true, B(CAP_KILL), 0 },
                { "AmbientCapabilities=~CAP_SYS_ADMIN\n", false, 0, ALL & ~B(CAP_SYS_ADMIN) },
                { "AmbientCapabilities=CAP_KILL\nAmbientCapabilities=CAP_NET_RAW\n",
                  false, 0, B(CAP_KILL) | B(CAP_NET_RAW) },
                { "AmbientCapabilities=CAP_KILL CAP_NET_RAW\nAmbientCapabilities=~CAP_KILL\n", false, 0, B(CAP_NET_RAW) },
                { "AmbientCapabilities=CAP_KILL\nAmbientCapabilities=\n", false, 0, 0 },
                { "AmbientCapabilities=CAP_KILL\nAmbientCapabilities=~\n", false, 0, ALL },
                /* back at the default (empty): a "~" list replaces again */
                { "AmbientCapabilities=CAP_KILL\nAmbientCapabilities=~CAP_KILL\nAmbientCapabilities=~CAP_NET_RAW\n",
                  false, 0, ALL & ~B(CAP_NET_RAW) },
        };
        char *dir = scratch_dir();

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char text[512];
                UnitConfig *u;

                snprintf(text, sizeof(text), "[Service]\nExecStart=/bin/true\n%s", t[i].lines);
                u = load_ok(dir, "caps.service", text);
                if (u->capability_bounding_set_set != t[i].bounding_set ||
                    (t[i].bounding_set && u->capability_bounding_set != t[i].bounding) ||
                    u->ambient_capabilities != t[i].ambient)
                        fprintf(stderr, "case %zu: %sgot set=%d bounding=%#" PRIx64 " ambient=%#" PRIx64 "\n",
                                i, t[i].lines, u->capability_bounding_set_set, u->capability_bounding_set,
                                u->ambient_capabilities);
                assert_int_equal(u->capability_bounding_set_set, t[i].bounding_set);
                if (t[i].bounding_set)
                        assert_int_equal(u->capability_bounding_set, t[i].bounding);
                assert_int_equal(u->ambient_capabilities, t[i].ambient);
                unit_config_free(u);
        }

        /* A drop-in's empty assignment empties the main file's set. */
        {
                char *const dirs[] = { dir, NULL };
                UnitDiagnostics d = {};
                UnitConfig *u = NULL;

                scratch_write(dir, "capd.service", "[Service]\nExecStart=/bin/true\nCapabilityBoundingSet=CAP_KILL\n");
                scratch_write(dir, "capd.service.d/10-none.conf", "[Service]\nCapabilityBoundingSet=\n");
                assert_int_equal(unit_load("capd", dirs, &u, &d), 0);
                assert_true(u->capability_bounding_set_set);
                assert_int_equal(u->capability_bounding_set, 0);
                unit_config_free(u);
        }
        scratch_remove(dir);
#undef B
}

static void test_long_line(void **state) {
        char *dir = scratch_dir(), text[4096];
        UnitConfig *u;

        /* longer than inih's 200-byte line buffer */
        snprintf(text, sizeof(text), "[Unit]\nDescription=%0300d\n[Service]\nExecStart=/bin/true\n", 7);
        u = load_ok(dir, "long.service", text);
        assert_int_equal(strlen(u->description), 300);
        unit_config_free(u);
        scratch_remove(dir);
}

static void test_dropins(void **state) {
        char *d1 = scratch_dir(), *d2 = scratch_dir();
        char *const dirs[] = { d1, d2, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(d1, "web.service", "[Service]\nExecStart=/bin/web\nMemoryMax=1G\nEnvironment=A=1\n");
        scratch_write(d1, "web.service.d/10-mem.conf", "[Service]\nMemoryMax=2G\n");
        scratch_write(d2, "web.service.d/10-mem.conf", "[Service]\nMemoryMax=3G\n");
        scratch_write(d1, "web.service.d/20-env.conf", "[Service]\nEnvironment=B=2\n");
        scratch_write(d1, "web.service.d/05-exec.conf", "[Service]\nExecStart=\nExecStart=/bin/web2\n");
        scratch_write(d1, "web.service.d/README", "not a drop-in\n");

        assert_int_equal(unit_load("web.service", dirs, &u, &d), 0);
        dump(&d);
        assert_null(d.errors);
        assert_int_equal(strv_length(u->dropin_paths), 3);
        assert_true(strstr(u->dropin_paths[0], "05-exec.conf") != NULL);
        assert_true(strneq(u->dropin_paths[1], d2, strlen(d2)));  /* later dir wins */
        assert_int_equal(u->resources.memory_max.value, UINT64_C(3) << 30);
        assert_string_equal(u->exec_start[0].path, "/bin/web2");
        assert_int_equal(strv_length(u->environment), 2);
        unit_config_free(u);
        scratch_remove(d1);
        scratch_remove(d2);
}

static void test_later_dir_wins(void **state) {
        char *d1 = scratch_dir(), *d2 = scratch_dir();
        char *const dirs[] = { d1, d2, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(d1, "a.service", "[Service]\nExecStart=/bin/one\n");
        scratch_write(d2, "a.service", "[Service]\nExecStart=/bin/two\n");
        assert_int_equal(unit_load("a", dirs, &u, &d), 0);
        assert_string_equal(u->exec_start[0].path, "/bin/two");
        unit_config_free(u);
        assert_int_equal(unit_load("nope", dirs, &u, &d), -ENOENT);
        assert_string_equal(d.errors[0], "nope.service: no such unit file in the units directories");
        unit_diagnostics_done(&d);
        scratch_remove(d1);
        scratch_remove(d2);
}

static void test_template(void **state) {
        char *dir = scratch_dir();
        char *const dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(dir, "worker@.service",
                      "[Unit]\nDescription=worker %i of %p (%n, %N) 100%%\n"
                      "[Service]\nExecStart=/bin/work --id=%i\nCPUQuota=20%\n"
                      "WorkingDirectory=-/srv/%p/%i\n");
        scratch_write(dir, "worker@.service.d/10-all.conf", "[Service]\nNice=1\n");
        scratch_write(dir, "worker@3.service.d/10-all.conf", "[Service]\nNice=3\n");
        scratch_write(dir, "worker@3.service.d/20-three.conf", "[Service]\nHostname=w%i\n");

        assert_int_equal(unit_load("worker@3", dirs, &u, &d), 0);
        dump(&d);
        assert_string_equal(u->name, "worker@3");
        assert_string_equal(u->instance, "3");
        assert_false(u->is_template);
        assert_string_equal(u->description, "worker 3 of worker (worker@3.service, worker@3) 100%");
        assert_string_equal(u->exec_start[0].argv[1], "--id=3");
        assert_string_equal(u->working_directory, "/srv/worker/3");
        assert_true(u->working_directory_optional);
        assert_int_equal(u->resources.cpu_quota_per_sec_usec, 200000);
        assert_int_equal(strv_length(u->dropin_paths), 2);  /* the instance's 10-all.conf shadows the template's */
        assert_int_equal(u->nice, 3);
        assert_string_equal(u->hostname, "w3");
        assert_true(strstr(u->path, "worker@.service") != NULL);
        unit_config_free(u);

        assert_int_equal(unit_load("worker@7.service", dirs, &u, &d), 0);
        assert_int_equal(u->nice, 1);
        assert_null(u->hostname);
        unit_config_free(u);

        assert_int_equal(unit_load("worker@", dirs, &u, &d), 0);
        assert_true(u->is_template);
        assert_null(u->instance);
        /* checked as the instance "i", as systemd-analyze verify does */
        assert_string_equal(u->exec_start[0].argv[1], "--id=i");
        unit_config_free(u);
        assert_null(d.errors);
        scratch_remove(dir);
}

/* An instance is never "." or "..", and a path component that a specifier
 * turns into "." or ".." is refused rather than simplified away. */
static void test_dot_instances(void **state) {
        char *dir = scratch_dir();
        char *const dirs[] = { dir, NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        scratch_write(dir, "w@.service", "[Service]\nExecStart=/bin/true\nBindPaths=/tmp/%i\n");
        assert_int_equal(unit_load("w@.", dirs, &u, &d), -EINVAL);
        assert_int_equal(unit_load("w@..", dirs, &u, &d), -EINVAL);
        assert_int_equal(unit_load("w@...service", dirs, &u, &d), -EINVAL);
        assert_null(u);
        unit_diagnostics_done(&d);
        assert_int_equal(unit_load("w@x", dirs, &u, &d), 0);
        assert_string_equal(u->bind_paths[0].source, "/tmp/x");
        unit_config_free(u);

        /* %i is empty in a plain unit: ".%i" would be "." */
        assert_null(load_text(dir, "p.service",
                "[Service]\n"
                "ExecStart=/bin/true\n"
                "BindPaths=/srv/.%i:/data\n"
                "ReadOnlyPaths=\"/srv/%i.\"\n"
                "InaccessiblePaths=/srv/a/..%i\n"
                "RootDirectory=/srv/%p/.%i\n"
                "StandardOutput=file:/var/log/.%i\n", &d));
        assert_int_equal(strv_length(d.errors), 5);
        assert_string_equal(strip_dir(d.errors[0], dir),
                "p.service:3: BindPaths: \"/srv/.%i:/data\" becomes \"/srv/.:/data\" after specifier expansion; "
                "\".%i\" must not expand to a \".\" or \"..\" path component");
        assert_string_equal(strip_dir(d.errors[1], dir),
                "p.service:4: ReadOnlyPaths: \"\"/srv/%i.\"\" becomes \"\"/srv/.\"\" after specifier expansion; "
                "\"%i.\" must not expand to a \".\" or \"..\" path component");
        assert_true(strneq(strip_dir(d.errors[2], dir), "p.service:5: InaccessiblePaths: ", strlen("p.service:5: InaccessiblePaths: ")));
        assert_true(strneq(strip_dir(d.errors[3], dir), "p.service:6: RootDirectory: ", strlen("p.service:6: RootDirectory: ")));
        assert_true(strneq(strip_dir(d.errors[4], dir), "p.service:7: StandardOutput: ", strlen("p.service:7: StandardOutput: ")));
        unit_diagnostics_done(&d);

        /* A template verified as itself keeps working (it is never started). */
        scratch_write(dir, "t@.service", "[Service]\nExecStart=/bin/true\nBindPaths=/srv/.%i\n");
        assert_int_equal(unit_load("t@", dirs, &u, &d), 0);
        unit_config_free(u);
        assert_null(d.errors);
        scratch_remove(dir);
}

/* Only a value written empty resets a key: one that a specifier empties (%i
 * in a plain unit) must not clear a list or restore User= to root. */
static void test_empty_after_specifiers(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};

        assert_null(load_text(dir, "p.service",
                "[Service]\n"
                "ExecStart=/bin/true\n"
                "User=nobody\n"
                "User=%i\n"
                "ReadOnlyPaths=/usr\n"
                "ReadOnlyPaths=%i\n"
                "Environment=A=1\n"
                "Environment=%i\n", &d));
        assert_int_equal(strv_length(d.errors), 3);
        assert_string_equal(strip_dir(d.errors[0], dir),
                "p.service:4: User: \"%i\" is empty after specifier expansion "
                "(only an empty assignment resets a key; write \"User=\" for that)");
        assert_true(strneq(strip_dir(d.errors[1], dir), "p.service:6: ReadOnlyPaths: ",
                           strlen("p.service:6: ReadOnlyPaths: ")));
        assert_true(strneq(strip_dir(d.errors[2], dir), "p.service:8: Environment: ",
                           strlen("p.service:8: Environment: ")));
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_bad_specifier(void **state) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};

        assert_null(load_text(dir, "s.service", "[Service]\nExecStart=/bin/x %z\n", &d));
        assert_string_equal(strip_dir(d.errors[0], dir),
                "s.service:2: ExecStart: unknown specifier %z in \"/bin/x %z\" "
                "(see systemd.unit(5) for the specifiers; write %% for a literal '%')");
        unit_diagnostics_done(&d);
        scratch_remove(dir);
}

static void test_list_names(void **state) {
        char *d1 = scratch_dir(), *d2 = scratch_dir();
        char *const dirs[] = { d1, d2, "/nonexistent/corral", NULL };
        char **names = NULL;

        /* Not empty: an empty unit file is masked, as in systemd. */
        scratch_write(d1, "b.service", "#\n");
        scratch_write(d1, "worker@.service", "#\n");
        scratch_write(d2, "b.service", "#\n");
        scratch_write(d2, "a.service", "#\n");
        scratch_write(d2, "notes.txt", "");
        scratch_write(d2, "x.service.d/a.conf", "");
        assert_int_equal(unit_list_names(dirs, &names), 0);
        assert_int_equal(strv_length(names), 3);
        assert_string_equal(names[0], "a");
        assert_string_equal(names[1], "b");
        assert_string_equal(names[2], "worker@");
        strv_free(names);
        scratch_remove(d1);
        scratch_remove(d2);
}

static void test_install_and_x_keys(void **state) {
        char *dir = scratch_dir();
        UnitConfig *u = load_ok(dir, "i.service",
                "[Unit]\nX-Custom=1\n[Service]\nExecStart=/bin/true\n"
                "[Install]\nWantedBy=multi-user.target\nAlias=foo.service\n"
                "[X-Vendor]\nAnything=goes\n");

        unit_config_free(u);
        scratch_remove(dir);
}

static void test_properties(void **state) {
        char *const argv[] = { "/bin/sleep", "10", NULL };
        char *const props[] = { "MemoryMax=64M", "Description=run", "VirtualEthernet=yes", NULL };
        char *const bad[] = { "MemoryMax=12X", "Nonsense=1", NULL };
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;

        assert_int_equal(unit_config_from_properties("run-1", argv, props, &u, &d), 0);
        assert_null(d.errors);
        assert_string_equal(u->exec_start[0].argv[1], "10");
        assert_int_equal(u->resources.memory_max.value, 64 * 1024 * 1024);
        assert_true(u->private_network);
        unit_config_free(u);
        u = NULL;

        assert_int_equal(unit_config_from_properties("run-2", argv, bad, &u, &d), -EINVAL);
        assert_null(u);
        assert_int_equal(strv_length(d.errors), 2);
        assert_string_equal(d.errors[0], "MemoryMax: \"12X\" is not a size (use K, M, G, T, a percentage, or infinity)");
        assert_string_equal(d.errors[1], "Nonsense: not a unit file key");
        unit_diagnostics_done(&d);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_lists_append_and_reset),
                cmocka_unit_test(test_continuation_and_comments),
                cmocka_unit_test(test_continuation_escapes),
                cmocka_unit_test(test_line_ends),
                cmocka_unit_test(test_capability_sets),
                cmocka_unit_test(test_long_line),
                cmocka_unit_test(test_dropins),
                cmocka_unit_test(test_later_dir_wins),
                cmocka_unit_test(test_template),
                cmocka_unit_test(test_dot_instances),
                cmocka_unit_test(test_empty_after_specifiers),
                cmocka_unit_test(test_bad_specifier),
                cmocka_unit_test(test_list_names),
                cmocka_unit_test(test_install_and_x_keys),
                cmocka_unit_test(test_properties),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
