/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the test-launch-* integration programs: build a UnitConfig by
 * hand, launch a shell command in it, capture what it prints and how it
 * ended. Each check compares what the process really saw. */

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it-util.h"
#include "macros.h"
#include "ns-launch.h"
#include "strv.h"


/* This test program's runtime directory (inaccessible nodes, private /tmp),
 * removed by finish(). */
static inline const char *rt_dir(void) {
        static char buf[64];

        if (!buf[0])
                (void) snprintf(buf, sizeof(buf), "/run/corral-test-runtime-%d", (int) getpid());
        return buf;
}

typedef struct Run {
        int r;                  /* ns_launch() result */
        CrlError error;
        int code;               /* exit code, or 128+signal */
        int signal;             /* 0 when exited */
        char out[16384];        /* stdout + stderr */
        pid_t pid, main_pid;
} Run;

/* Load TEXT as the unit file NAME.service (written to a temp dir and
 * removed), printing each load error; NULL when the unit is refused. */
static inline UnitConfig *unit_load_text(const char *name, const char *text) {
        char dir[] = "/tmp/corral-test-unit-XXXXXX", file[PATH_MAX];
        UnitDiagnostics d = {};
        UnitConfig *u = NULL;
        FILE *f;

        if (!mkdtemp(dir))
                abort();
        (void) snprintf(file, sizeof(file), "%s/%s.service", dir, name);
        f = fopen(file, "we");
        if (!f)
                abort();
        fputs(text, f);
        fclose(f);
        (void) unit_load_file(file, &u, &d);
        STRV_FOREACH(e, d.errors)
                printf("unit error: %s\n", *e);
        unit_diagnostics_done(&d);
        (void) unlink(file);
        (void) rmdir(dir);
        return u;
}

static inline UnitConfig *unit_new(const char *name) {
        UnitConfig *u = NULL;

        if (unit_config_new(name, &u) < 0)
                abort();
        return u;
}

static inline void unit_set_str(char **field, const char *v) {
        free(*field);
        *field = v ? strdup(v) : NULL;
}

static inline void unit_add_path(PathSpec **specs, size_t *n, const char *path, bool optional) {
        *specs = realloc(*specs, (*n + 1) * sizeof(PathSpec));
        (*specs)[(*n)++] = (PathSpec) { .path = strdup(path), .ignore_missing = optional };
}

static inline void unit_add_bind(UnitConfig *u, const char *src, const char *dst, bool ro, bool optional) {
        u->bind_paths = realloc(u->bind_paths, (u->n_bind_paths + 1) * sizeof(BindMount));
        u->bind_paths[u->n_bind_paths++] = (BindMount) {
                .source = strdup(src), .destination = strdup(dst ?: src),
                .read_only = ro, .ignore_missing = optional, .recursive = true,
        };
}

/* The build tree's corral-executor (CORRAL_EXECUTOR, else
 * CORRAL_BUILD/ns/corral-executor), opened before main() so that the tests'
 * fd counts never see it: launches go the way corrald's go. -EBADF (a
 * fork, as without one) when there is none. */
static int it_executor = -EBADF;
__attribute__((constructor)) static void it_executor_open(void) {
        const char *e = getenv("CORRAL_EXECUTOR"), *b = getenv("CORRAL_BUILD");
        char path[PATH_MAX];

#ifdef __SANITIZE_ADDRESS__
        /* The sanitized build's executor is not (ns/meson.build): fork,
         * so that the child's code runs under the sanitizers here. */
        return;
#endif
        if (!e && b && snprintf(path, sizeof(path), "%s/ns/corral-executor", b) < (int) sizeof(path))
                e = path;
        if (e)
                it_executor = open(e, O_PATH | O_CLOEXEC);
}

/* ns_launch_params_init() with the executor. */
static inline void it_params_init(NsLaunchParams *p, const UnitConfig *u) {
        ns_launch_params_init(p, u);
        p->executor_fd = it_executor;
}

/* Run argv (NULL-terminated) in u, with extra params tweaked by the caller via p (may be NULL). */
static inline void run_params(UnitConfig *u, const NsLaunchParams *tweak, char *const *argv, Run *run) {
        NsLaunchParams p;
        NsProcess proc;
        int pipefd[2];
        size_t len = 0;
        siginfo_t si = {};

        memset(run, 0, sizeof(*run));
        if (tweak)
                p = *tweak;
        else
                it_params_init(&p, u);
        p.unit = u;
        p.argv = argv;
        if (!p.runtime_dir)
                p.runtime_dir = rt_dir();
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                abort();
        p.stdout_fd = p.stderr_fd = pipefd[1];
        run->r = ns_launch(&p, &proc, &run->error);
        close(pipefd[1]);
        for (;;) {
                ssize_t n = read(pipefd[0], run->out + len, sizeof(run->out) - 1 - len);

                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        run->out[len] = 0;
        close(pipefd[0]);
        if (run->r < 0)
                return;
        run->pid = proc.pid;
        run->main_pid = proc.main_pid;
        if (waitid(P_PIDFD, (id_t) proc.pidfd, &si, WEXITED) < 0)
                abort();
        (void) ns_process_main_status(&proc, &si, &si);
        run->signal = si.si_code == CLD_EXITED ? 0 : si.si_status;
        run->code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        ns_process_done(&proc);
}

static inline void run_sh(UnitConfig *u, const char *script, Run *run) {
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) script, NULL };

        run_params(u, NULL, argv, run);
}

/* Trim a trailing newline for comparisons. */
static inline const char *chomp(Run *run) {
        size_t n = strlen(run->out);

        while (n > 0 && run->out[n - 1] == '\n')
                run->out[--n] = 0;
        return run->out;
}

static inline int finish(const char *name) {
        char cmd[128];

        (void) snprintf(cmd, sizeof(cmd), "rm -rf %s", rt_dir());
        (void) !system(cmd);
        return it_report(name);
}

static inline void require_root(void) {
        if (geteuid() != 0) {
                printf("needs root\n");
                exit(77);
        }
}

static inline unsigned long long ns_inode(const char *pidstr, const char *type) {
        char path[128];
        struct stat st;

        (void) snprintf(path, sizeof(path), "/proc/%s/ns/%s", pidstr, type);
        return stat(path, &st) < 0 ? 0 : (unsigned long long) st.st_ino;
}
