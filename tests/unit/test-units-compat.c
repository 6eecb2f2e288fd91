/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Values and keys as systemd 252 reads them (issue 13): what systemd accepts
 * is accepted with systemd's meaning, what it refuses is refused. Each case
 * was checked against `systemd-analyze verify` of systemd 252. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>

#include "units-test-util.h"
#include "unit-value.h"

static void check_error(int r, const CrlError *e, const char *input, const char *message) {
        if (r != -EINVAL)
                fail_msg("\"%s\": expected -EINVAL, got %d", input, r);
        if (message && !streq(e->message, message))
                fail_msg("\"%s\": message\n  got:      %s\n  expected: %s", input, e->message, message);
}

/* Load "[Service]\nExecStart=/bin/true\n" + body as c.service; diagnostics
 * in *d with the scratch dir stripped into msgs[] (errors, then warnings). */
typedef struct Loaded {
        UnitConfig *u;
        char *msgs[16];
        size_t n_errors, n_warnings;
} Loaded;

static void loaded_done(Loaded *l) {
        unit_config_free(l->u);
        for (size_t i = 0; i < ELEMENTSOF(l->msgs); i++)
                free(l->msgs[i]);
}

static Loaded load(const char *text) {
        char *dir = scratch_dir();
        UnitDiagnostics d = {};
        Loaded l = {};
        size_t n = 0;

        l.u = load_text(dir, "c.service", text, &d);
        STRV_FOREACH(e, d.errors) {
                assert_true(n < ELEMENTSOF(l.msgs));
                l.msgs[n++] = strdup(strip_dir(*e, dir));
                l.n_errors++;
        }
        STRV_FOREACH(w, d.warnings) {
                assert_true(n < ELEMENTSOF(l.msgs));
                l.msgs[n++] = strdup(strip_dir(*w, dir));
                l.n_warnings++;
        }
        unit_diagnostics_done(&d);
        scratch_remove(dir);
        return l;
}

static void dump(const Loaded *l) {
        for (size_t i = 0; i < l->n_errors + l->n_warnings; i++)
                fprintf(stderr, "%s: %s\n", i < l->n_errors ? "error" : "warning", l->msgs[i]);
}

/* A service with these [Service] lines must load with exactly the given
 * warnings (NULL-terminated). */
#define SERVICE(body) "[Service]\nExecStart=/bin/true\n" body
static UnitConfig *load_ok(const char *text, const char *const *warnings) {
        Loaded l = load(text);
        UnitConfig *u;
        size_t n = 0;

        dump(&l);
        assert_non_null(l.u);
        assert_int_equal(l.n_errors, 0);
        for (; warnings && warnings[n]; n++)
                assert_string_equal(l.msgs[n], warnings[n]);
        assert_int_equal(l.n_warnings, n);
        u = TAKE_PTR(l.u);
        loaded_done(&l);
        return u;
}

/* ... and these must be refused with exactly this first error. */
static void load_refused(const char *text, const char *error) {
        Loaded l = load(text);

        if (l.u || l.n_errors == 0 || !streq(l.msgs[0], error)) {
                dump(&l);
                fail_msg("%s\n  expected error: %s", text, error);
        }
        loaded_done(&l);
}

/* ---- SuccessExitStatus= names: systemd's exit-status table ---- */

static void test_exit_status_names(void **state) {
        _cleanup_free_ int *codes = NULL, *sigs = NULL;
        size_t nc = 0, ns = 0;
        CrlError e = {};
        static const int want[] = { 65, 73, 0, 1, 2, 3, 4, 5, 6, 7, 64, 78, 200, 203, 222, 224, 234 + 1, 244, 255, 75 };

        assert_int_equal(parse_exit_status_list("DATAERR CANTCREAT SUCCESS FAILURE INVALIDARGUMENT NOTIMPLEMENTED "
                                                "NOPERMISSION NOTINSTALLED NOTCONFIGURED NOTRUNNING USAGE CONFIG "
                                                "CHDIR EXEC STDERR PAM CHOWN BPF EXCEPTION 75 SIGUSR1 USR2",
                                                &codes, &nc, &sigs, &ns, &e), 0);
        assert_int_equal(nc, ELEMENTSOF(want));
        for (size_t i = 0; i < nc; i++)
                assert_int_equal(codes[i], want[i]);
        assert_int_equal(ns, 2);
        assert_int_equal(sigs[0], SIGUSR1);
        assert_int_equal(sigs[1], SIGUSR2);

        /* Every name systemd 252 lists (systemd-analyze exit-status). */
        static const struct { const char *name; int code; } all[] = {
                { "TEMPFAIL", 75 }, { "NOUSER", 67 }, { "NOHOST", 68 }, { "UNAVAILABLE", 69 }, { "SOFTWARE", 70 },
                { "OSERR", 71 }, { "OSFILE", 72 }, { "IOERR", 74 }, { "PROTOCOL", 76 }, { "NOPERM", 77 },
                { "NOINPUT", 66 }, { "NICE", 201 }, { "FDS", 202 }, { "MEMORY", 204 }, { "LIMITS", 205 },
                { "OOM_ADJUST", 206 }, { "SIGNAL_MASK", 207 }, { "STDIN", 208 }, { "STDOUT", 209 },
                { "CHROOT", 210 }, { "IOPRIO", 211 }, { "TIMERSLACK", 212 }, { "SECUREBITS", 213 },
                { "SETSCHEDULER", 214 }, { "CPUAFFINITY", 215 }, { "GROUP", 216 }, { "USER", 217 },
                { "CAPABILITIES", 218 }, { "CGROUP", 219 }, { "SETSID", 220 }, { "CONFIRM", 221 },
                { "NETWORK", 225 }, { "NAMESPACE", 226 }, { "NO_NEW_PRIVILEGES", 227 }, { "SECCOMP", 228 },
                { "SELINUX_CONTEXT", 229 }, { "PERSONALITY", 230 }, { "APPARMOR", 231 },
                { "ADDRESS_FAMILIES", 232 }, { "RUNTIME_DIRECTORY", 233 }, { "SMACK_PROCESS_LABEL", 236 },
                { "KEYRING", 237 }, { "STATE_DIRECTORY", 238 }, { "CACHE_DIRECTORY", 239 },
                { "LOGS_DIRECTORY", 240 }, { "CONFIGURATION_DIRECTORY", 241 }, { "NUMA_POLICY", 242 },
                { "CREDENTIALS", 243 },
        };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                _cleanup_free_ int *c = NULL, *s = NULL;
                size_t n1 = 0, n2 = 0;

                if (parse_exit_status_list(all[i].name, &c, &n1, &s, &n2, &e) != 0)
                        fail_msg("%s: %s", all[i].name, e.message);
                assert_int_equal(n1, 1);
                assert_int_equal(c[0], all[i].code);
        }

        /* Case matters, as in systemd; 234 (MAKE_STARTER) is gone from the table. */
        static const char *const bad[] = { "dataerr", "FOO", "256", "MAKE_STARTER", "EX_DATAERR" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                crl_error_clear(&e);
                check_error(parse_exit_status_list(bad[i], &codes, &nc, &sigs, &ns, &e), &e, bad[i], NULL);
        }
        crl_error_clear(&e);
        check_error(parse_exit_status_list("dataerr", &codes, &nc, &sigs, &ns, &e), &e, "dataerr",
                    "\"dataerr\" is neither an exit code (0-255 or a name such as DATAERR) nor a signal name (e.g. SIGUSR1)");
}

/* ---- User=/Group=: systemd's relaxed name check ---- */

static void test_user_names_relaxed(void **state) {
        char long_name[301];
        CrlError e = {};

        memset(long_name, 'a', 300);
        long_name[300] = 0;
        static const char *const good[] = {
                "a.b.c", "www-data", "_apt", "a@b", "-a", "1a", "\xc3\xa4", "a b", "a$", "a~", "DOMAIN\\user",
                "0", "1000", "4294967294",
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                if (parse_user_or_group_name(good[i], &e) != 0)
                        fail_msg("%s: %s", good[i], e.message);
        /* systemd has no length limit in relaxed mode */
        assert_int_equal(parse_user_or_group_name(long_name, &e), 0);

        static const char *const bad[] = {
                "a:b", "a/b", ".", "..", "4294967295", "65535", "12345678901234567890", "-1", "-65535",
                " a", "a ", "a\x01" "b", "a\x7f", "a\xff", "",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                crl_error_clear(&e);
                check_error(parse_user_or_group_name(bad[i], &e), &e, bad[i], NULL);
        }
        crl_error_clear(&e);
        check_error(parse_user_or_group_name("a:b", &e), &e, "a:b",
                    "\"a:b\" is not a valid user or group name (no ':', '/', control characters or surrounding "
                    "spaces, not \".\", \"..\" or all digits; or a numeric id 0-4294967294 other than 65535)");

        UnitConfig *u = load_ok(SERVICE("User=systemd.user\nGroup=my.group\nSupplementaryGroups=a.b c.d\n"), NULL);
        assert_string_equal(u->user, "systemd.user");
        assert_string_equal(u->group, "my.group");
        assert_string_equal(u->supplementary_groups[1], "c.d");
        unit_config_free(u);
}

/* ---- UMask=: systemd's parse_mode(), up to 07777 ---- */

static void test_umask_wide(void **state) {
        static const struct { const char *in; int out; } t[] = {
                { "01777", 01777 }, { "7777", 07777 }, { "0022", 0022 }, { "0", 0 },
        };
        CrlError e = {};

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int m = -1;

                assert_int_equal(parse_umask(t[i].in, &m, &e), 0);
                assert_int_equal(m, t[i].out);
        }
        int m = -1;
        check_error(parse_umask("17777", &m, &e), &e, "17777", "\"17777\" is out of range (0000-7777)");
        assert_int_equal(m, -1);
}

/* ---- CPUWeight=idle ---- */

static void test_cpu_weight_idle(void **state) {
        UnitConfig *u = load_ok(SERVICE("CPUWeight=idle\n"), NULL);

        assert_true(u->resources.cpu_idle);
        assert_int_equal(u->resources.cpu_weight, 1);
        unit_config_free(u);

        u = load_ok(SERVICE("CPUWeight=idle\nCPUWeight=\n"), NULL);
        assert_false(u->resources.cpu_idle);
        assert_int_equal(u->resources.cpu_weight, 0);
        unit_config_free(u);

        u = load_ok(SERVICE("CPUWeight=idle\nCPUWeight=200\n"), NULL);
        assert_false(u->resources.cpu_idle);
        assert_int_equal(u->resources.cpu_weight, 200);
        unit_config_free(u);

        load_refused(SERVICE("CPUWeight=0\n"), "c.service:3: CPUWeight: \"0\" is out of range (1-10000, or idle)");
        load_refused(SERVICE("IOWeight=idle\n"), "c.service:3: IOWeight: \"idle\" is not a number (expected an integer from 1 to 10000)");
}

/* ---- permille and permyriad wherever systemd takes a percentage ---- */

static void test_permille(void **state) {
        static const struct { const char *in; uint64_t bp; } t[] = {
                { "5\xe2\x80\xb0", 50 }, { "1.5\xe2\x80\xb0", 15 }, { "1000\xe2\x80\xb0", 10000 },
                { "1000.0\xe2\x80\xb0", 10000 }, { "0\xe2\x80\xb0", 0 }, { "5\xe2\x80\xb1", 5 },
                { "10000\xe2\x80\xb1", 10000 }, { "12.25%", 1225 },
        };
        static const char *const bad[] = {
                "1001\xe2\x80\xb0", "1.55\xe2\x80\xb0", "1.5\xe2\x80\xb1", "5 \xe2\x80\xb0", ".5\xe2\x80\xb0",
                "5.\xe2\x80\xb0", "10001\xe2\x80\xb1", "\xe2\x80\xb0",
        };
        CrlError e = {};

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                ResourceLimit l = {}, tm = {};

                if (parse_size(t[i].in, true, true, &l, &e) != 0)
                        fail_msg("%s: %s", t[i].in, e.message);
                assert_int_equal(l.kind, LIMIT_PERCENT);
                assert_int_equal(l.value, t[i].bp);
                if (t[i].bp > 0) {
                        assert_int_equal(parse_tasks_max(t[i].in, &tm, &e), 0);
                        assert_int_equal(tm.value, t[i].bp);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                ResourceLimit l = {};

                crl_error_clear(&e);
                check_error(parse_size(bad[i], true, true, &l, &e), &e, bad[i], NULL);
                assert_int_equal(l.kind, LIMIT_UNSET);
        }
        crl_error_clear(&e);
        check_error(parse_size("1.55\xe2\x80\xb0", true, true, &(ResourceLimit) {}, &e), &e, "1.55 permille",
                    "\"1.55\xe2\x80\xb0\" has too many decimals (at most 1 for \xe2\x80\xb0, e.g. 12.5\xe2\x80\xb0)");

        /* CPUQuota= takes them too, above 100% as well. */
        uint64_t bp = 0;
        assert_int_equal(parse_percent("150\xe2\x80\xb0", &bp, &e), 0);
        assert_int_equal(bp, 1500);
        assert_int_equal(parse_percent("20000\xe2\x80\xb0", &bp, &e), 0);
        assert_int_equal(bp, 200000);

        UnitConfig *u = load_ok(SERVICE("MemoryMax=5\xe2\x80\xb0\nMemoryHigh=2.5\xe2\x80\xb0\nCPUQuota=150\xe2\x80\xb0\n"), NULL);
        assert_int_equal(u->resources.memory_max.kind, LIMIT_PERCENT);
        assert_int_equal(u->resources.memory_max.value, 50);
        assert_int_equal(u->resources.memory_high.value, 25);
        assert_int_equal(u->resources.cpu_quota_per_sec_usec, 150000);
        unit_config_free(u);
}

/* ---- MemoryMax=0 and MemoryHigh=0 are refused (systemd: out of range) ---- */

static void test_memory_zero(void **state) {
        static const char *const refused[] = {
                "MemoryMax=0", "MemoryMax=0%", "MemoryMax=0.0%", "MemoryMax=0\xe2\x80\xb0", "MemoryMax=0K",
                "MemoryHigh=0", "MemoryHigh=0%",
        };
        char text[256], err[256];

        for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
                const char *eq = strchr(refused[i], '=');

                snprintf(text, sizeof(text), SERVICE("%s\n"), refused[i]);
                snprintf(err, sizeof(err), "c.service:3: %.*s: \"%s\" allows no memory at all "
                         "(use a size above 0, a percentage above 0%%, or infinity)",
                         (int) (eq - refused[i]), refused[i], eq + 1);
                load_refused(text, err);
        }

        /* The protections and the swap limit may be 0, as in systemd. */
        UnitConfig *u = load_ok(SERVICE("MemoryLow=0\nMemoryMin=0%\nMemorySwapMax=0\nMemoryMax=1\n"), NULL);
        assert_int_equal(u->resources.memory_low.kind, LIMIT_VALUE);
        assert_int_equal(u->resources.memory_low.value, 0);
        assert_int_equal(u->resources.memory_min.kind, LIMIT_PERCENT);
        assert_int_equal(u->resources.memory_swap_max.kind, LIMIT_VALUE);
        assert_int_equal(u->resources.memory_max.value, 1);
        unit_config_free(u);
}

/* ---- BindPaths= with an escaped colon ---- */

static void test_bind_paths_escaped_colon(void **state) {
        UnitConfig *u = load_ok(SERVICE("BindPaths=/a\\:b:/c /x\\:y\nBindReadOnlyPaths=-/p\\:q:/r\\:s:norbind\n"), NULL);

        assert_int_equal(u->n_bind_paths, 3);
        assert_string_equal(u->bind_paths[0].source, "/a:b");
        assert_string_equal(u->bind_paths[0].destination, "/c");
        assert_string_equal(u->bind_paths[1].source, "/x:y");
        assert_string_equal(u->bind_paths[1].destination, "/x:y");
        assert_string_equal(u->bind_paths[2].source, "/p:q");
        assert_string_equal(u->bind_paths[2].destination, "/r:s");
        assert_true(u->bind_paths[2].read_only);
        assert_true(u->bind_paths[2].ignore_missing);
        assert_false(u->bind_paths[2].recursive);
        unit_config_free(u);

        /* an unescaped third colon is still too many */
        load_refused(SERVICE("BindPaths=/a:/b:rbind:x\n"),
                     "c.service:3: BindPaths: \"/a:/b:rbind:x\" has too many ':' (use [-]SOURCE[:DESTINATION[:OPTIONS]]; "
                     "write a ':' in a path as \\:)");
}

/* ---- StandardOutput=/StandardError= variants mapped onto what corral has ---- */

static void test_output_variants(void **state) {
        static const struct { const char *in; OutputKind kind; const char *warning; } t[] = {
                { "journal+console", OUTPUT_JOURNAL,
                  "c.service:3: StandardOutput: journal+console: corral writes to the journal only, ignoring +console" },
                { "kmsg", OUTPUT_JOURNAL,
                  "c.service:3: StandardOutput: kmsg: corral writes to the journal instead of the kernel log buffer, ignoring" },
                { "kmsg+console", OUTPUT_JOURNAL,
                  "c.service:3: StandardOutput: kmsg+console: corral writes to the journal instead of the kernel log buffer and the console, ignoring" },
                { "syslog", OUTPUT_JOURNAL,
                  "c.service:3: StandardOutput: syslog is obsolete, using journal (as systemd does), ignoring" },
                { "syslog+console", OUTPUT_JOURNAL,
                  "c.service:3: StandardOutput: syslog+console is obsolete, using journal (corral has no console copy), ignoring" },
                { "tty", OUTPUT_LOG,
                  "c.service:3: StandardOutput: tty: corral has no TTYPath=, writing to the service's log file instead, ignoring" },
        };
        char text[256];

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                const char *w[] = { t[i].warning, NULL };
                UnitConfig *u;

                snprintf(text, sizeof(text), SERVICE("StandardOutput=%s\n"), t[i].in);
                u = load_ok(text, w);
                assert_int_equal(u->standard_output.kind, t[i].kind);
                assert_null(u->standard_output.path);
                unit_config_free(u);
        }
        UnitConfig *u = load_ok(SERVICE("StandardError=syslog\n"),
                                (const char *[]) { "c.service:3: StandardError: syslog is obsolete, using journal (as systemd does), ignoring", NULL });
        assert_int_equal(u->standard_error.kind, OUTPUT_JOURNAL);
        unit_config_free(u);

        /* socket and fd: need socket activation: still refused */
        load_refused(SERVICE("StandardOutput=socket\n"),
                     "c.service:3: StandardOutput: \"socket\" is not supported (use log, journal, null, inherit, file:PATH, or append:PATH)");
}

/* ---- start limits: [Service] spellings and the old StartLimitInterval= ---- */

static void test_start_limit_keys(void **state) {
        UnitConfig *u = load_ok("[Unit]\nStartLimitInterval=20s\n" SERVICE("StartLimitBurst=3\n"), NULL);

        assert_int_equal(u->start_limit_interval_usec, 20 * USEC_PER_SEC);
        assert_int_equal(u->start_limit_burst, 3);
        unit_config_free(u);

        u = load_ok(SERVICE("StartLimitInterval=1min\nStartLimitBurst=9\n"), NULL);
        assert_int_equal(u->start_limit_interval_usec, 60 * USEC_PER_SEC);
        assert_int_equal(u->start_limit_burst, 9);
        unit_config_free(u);

        /* systemd 252 has no StartLimitIntervalSec= in [Service] either */
        u = load_ok(SERVICE("StartLimitIntervalSec=5s\n"),
                    (const char *[]) { "c.service:3: StartLimitIntervalSec: belongs in [Unit], not [Service], ignoring", NULL });
        assert_int_equal(u->start_limit_interval_usec, 10 * USEC_PER_SEC);
        unit_config_free(u);
}

/* ---- old names of the *Paths= keys ---- */

static void test_directories_old_names(void **state) {
        UnitConfig *u = load_ok(SERVICE("ReadWriteDirectories=/var/lib/a\nReadOnlyDirectories=-/etc/b\n"
                                        "InaccessibleDirectories=/home\nReadWritePaths=/srv\n"), NULL);

        assert_int_equal(u->n_read_write_paths, 2);
        assert_string_equal(u->read_write_paths[0].path, "/var/lib/a");
        assert_string_equal(u->read_write_paths[1].path, "/srv");
        assert_int_equal(u->n_read_only_paths, 1);
        assert_true(u->read_only_paths[0].ignore_missing);
        assert_int_equal(u->n_inaccessible_paths, 1);
        assert_true(u->private_mounts);
        unit_config_free(u);

        u = load_ok(SERVICE("ReadWritePaths=/a\nReadWriteDirectories=\n"), NULL);
        assert_int_equal(u->n_read_write_paths, 0);
        unit_config_free(u);
}

/* ---- Type=idle runs as simple ---- */

static void test_type_idle(void **state) {
        UnitConfig *u = load_ok(SERVICE("Type=idle\n"),
                                (const char *[]) { "c.service:3: Type: idle runs as simple (corral has no job queue "
                                                   "to wait for), ignoring the delay", NULL });

        assert_int_equal(u->type, SERVICE_SIMPLE);
        unit_config_free(u);
}

/* ---- EnvironmentFile= lines without '=' are skipped, as systemd does ---- */

static void test_environment_file_no_equals(void **state) {
        _cleanup_strv_free_ char **env = NULL;
        CrlError e = {};

        assert_int_equal(parse_environment_file_text("A=1\nnovalue\n  spaced words\nB=2\nlast", &env, &e), 0);
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(env[0], "A=1");
        assert_string_equal(env[1], "B=2");
}

/* ---- invalid UTF-8 anywhere in an assignment is an error at FILE:LINE ---- */

static void test_invalid_utf8(void **state) {
        load_refused("[Unit]\nDescription=a\xff" "b\n" SERVICE(""),
                     "c.service:2: not valid UTF-8 (byte 0xff at column 14); the file must be UTF-8 text");
        load_refused(SERVICE("Environment=A=\xc3\n"),
                     "c.service:3: not valid UTF-8 (byte 0xc3 at column 15); the file must be UTF-8 text");
        load_refused(SERVICE("X-Other=\xed\xa0\x80\n"),
                     "c.service:3: not valid UTF-8 (byte 0xed at column 9); the file must be UTF-8 text");
        load_refused(SERVICE("Us\xe9r=x\n"),
                     "c.service:3: not valid UTF-8 (byte 0xe9 at column 3); the file must be UTF-8 text");
        load_refused("[Install]\nWantedBy=\xc0\xaf\n" SERVICE(""),
                     "c.service:2: not valid UTF-8 (byte 0xc0 at column 10); the file must be UTF-8 text");
        load_refused("[X-\xff]\nA=1\n" SERVICE(""),
                     "c.service:1: not valid UTF-8 (byte 0xff at column 4); the file must be UTF-8 text");
        load_refused("[Unit]\nDescription=a\\\n\xf8\n" SERVICE(""),
                     "c.service:2: not valid UTF-8 (byte 0xf8 at column 15); the file must be UTF-8 text");

        /* comments are not checked (systemd skips them too); valid UTF-8 is fine */
        UnitConfig *u = load_ok("# caf\xe9\n[Unit]\nDescription=caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7\n" SERVICE(""), NULL);
        assert_string_equal(u->description, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
        unit_config_free(u);

        /* properties (RunTransient) too */
        UnitDiagnostics d = {};
        UnitConfig *p = NULL;
        char *argv[] = { "/bin/true", NULL };
        char *props[] = { "Description=x\xff", NULL };

        assert_int_equal(unit_config_from_properties("t", argv, props, &p, &d), -EINVAL);
        assert_null(p);
        assert_string_equal(d.errors[0], "a property is not valid UTF-8 (byte 0xff at column 14)");
        unit_diagnostics_done(&d);
}

/* ---- keys that mean nothing to corral: accepted, one soft warning per key ---- */

static void test_ignored_keys(void **state) {
        UnitConfig *u = load_ok("[Unit]\nDefaultDependencies=no\nIgnoreOnIsolate=yes\nDefaultDependencies=yes\n"
                                "RequiresMountsFor=/var\n" SERVICE("Slice=system.slice\nExecCondition=/bin/true\n"),
                                (const char *[]) {
                                        "c.service:2: DefaultDependencies: systemd-only key, no meaning for corral, ignoring",
                                        "c.service:3: IgnoreOnIsolate: systemd-only key, no meaning for corral, ignoring",
                                        "c.service:5: RequiresMountsFor: systemd-only key, no meaning for corral, ignoring",
                                        "c.service:8: Slice: systemd-only key, no meaning for corral, ignoring",
                                        "c.service:9: ExecCondition: unknown key in [Service], ignoring",
                                        NULL });
        unit_config_free(u);

        /* in the wrong section it still says where it belongs */
        u = load_ok(SERVICE("DefaultDependencies=no\n"),
                    (const char *[]) { "c.service:3: DefaultDependencies: belongs in [Unit], not [Service], ignoring", NULL });
        unit_config_free(u);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_status_names),
                cmocka_unit_test(test_user_names_relaxed),
                cmocka_unit_test(test_umask_wide),
                cmocka_unit_test(test_cpu_weight_idle),
                cmocka_unit_test(test_permille),
                cmocka_unit_test(test_memory_zero),
                cmocka_unit_test(test_bind_paths_escaped_colon),
                cmocka_unit_test(test_output_variants),
                cmocka_unit_test(test_start_limit_keys),
                cmocka_unit_test(test_directories_old_names),
                cmocka_unit_test(test_type_idle),
                cmocka_unit_test(test_environment_file_no_equals),
                cmocka_unit_test(test_invalid_utf8),
                cmocka_unit_test(test_ignored_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
