/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* TEMPORARY STUB of runtime-state.h until the state branch is merged: a
 * minimal working KEY=VALUE record (temp file, fsync, rename) and the pid
 * checks. The lead deletes this file at merge. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "runtime-state.h"
#include "strv.h"
#include "syscalls.h"

void runtime_state_done(RuntimeState *s) {
        free(s->name);
        free(s->cgroup_path);
        free(s->ip_address);
        free(s->unit_path);
        free(s->notify_socket);
        free(s->log_path);
        free(s->sub_state);
        *s = (RuntimeState) {};
}

int runtime_state_write(int dir_fd, const RuntimeState *s, CrlError *reterr) {
        char tmp[300];
        FILE *f;
        int fd;

        (void) snprintf(tmp, sizeof(tmp), ".%s.tmp", s->name);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                safe_close(fd);
                return crl_error_set(reterr, errno, "runtime state of '%s': %s", s->name, strerror(errno));
        }
        fprintf(f, "NAME=%s\nMAIN_PID=%d\nMAIN_START_TIME=%" PRIu64 "\nINIT_PID=%d\nINIT_START_TIME=%" PRIu64
                "\nCGROUP=%s\nIP_ADDRESS=%s\nUNIT_PATH=%s\nNOTIFY_SOCKET=%s\nLOG_PATH=%s\nN_RESTARTS=%u\n"
                "ACTIVE_ENTER=%" PRIu64 "\nNAMESPACES=%lu\nSUB_STATE=%s\n",
                s->name, (int) s->main_pid, s->main_start_time, (int) s->init_pid, s->init_start_time,
                s->cgroup_path ? s->cgroup_path : "", s->ip_address ? s->ip_address : "",
                s->unit_path ? s->unit_path : "", s->notify_socket ? s->notify_socket : "",
                s->log_path ? s->log_path : "", s->n_restarts, s->active_enter_usec, s->namespaces,
                s->sub_state ? s->sub_state : "");
        if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0 || renameat(dir_fd, tmp, dir_fd, s->name) < 0) {
                (void) unlinkat(dir_fd, tmp, 0);
                return crl_error_set(reterr, errno, "runtime state of '%s': %s", s->name, strerror(errno));
        }
        return 0;
}

int runtime_state_read(int dir_fd, const char *name, RuntimeState *ret, CrlError *reterr) {
        _cleanup_free_ char *t = NULL;
        RuntimeState s = {};
        int r = read_file_at(dir_fd, name, &t, NULL);

        if (r < 0)
                return crl_error_set(reterr, -r, "runtime state of '%s': %s", name, strerror(-r));
        for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
                char *v = strchr(line, '=');

                if (!v)
                        continue;
                *v++ = 0;
                if (streq(line, "NAME"))
                        s.name = strdup(v);
                else if (streq(line, "MAIN_PID"))
                        s.main_pid = atoi(v);
                else if (streq(line, "MAIN_START_TIME"))
                        s.main_start_time = strtoull(v, NULL, 10);
                else if (streq(line, "INIT_PID"))
                        s.init_pid = atoi(v);
                else if (streq(line, "INIT_START_TIME"))
                        s.init_start_time = strtoull(v, NULL, 10);
                else if (streq(line, "CGROUP"))
                        s.cgroup_path = strdup(v);
                else if (streq(line, "N_RESTARTS"))
                        s.n_restarts = (unsigned) strtoul(v, NULL, 10);
                else if (streq(line, "ACTIVE_ENTER"))
                        s.active_enter_usec = strtoull(v, NULL, 10);
                else if (streq(line, "NAMESPACES"))
                        s.namespaces = strtoul(v, NULL, 10);
                else if (streq(line, "IP_ADDRESS"))
                        s.ip_address = strdup(v);
                else if (streq(line, "UNIT_PATH"))
                        s.unit_path = strdup(v);
                else if (streq(line, "NOTIFY_SOCKET"))
                        s.notify_socket = strdup(v);
                else if (streq(line, "LOG_PATH"))
                        s.log_path = strdup(v);
                else if (streq(line, "SUB_STATE"))
                        s.sub_state = strdup(v);
        }
        *ret = s;
        return 0;
}

int runtime_state_remove(int dir_fd, const char *name) {
        return unlinkat(dir_fd, name, 0) < 0 ? -errno : 0;
}

int runtime_state_list(int dir_fd, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (!d)
                return safe_close(fd), -errno;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.' && strv_extend(&l, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        closedir(d);
        *ret = TAKE_PTR(l);
        return 0;
}

int proc_start_time(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *t = NULL;
        char path[64], *p;
        int r;

        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_file_at(AT_FDCWD, path, &t, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        p = strrchr(t, ')');
        if (!p)
                return -EIO;
        /* field 3 starts after ") "; start time is field 22 */
        p += 2;
        for (int i = 3; i < 22 && p; i++) {
                p = strchr(p, ' ');
                if (p)
                        p++;
        }
        if (!p)
                return -EIO;
        *ret = strtoull(p, NULL, 10);
        return 0;
}

int pidfd_open_checked(pid_t pid, uint64_t start_time, int *ret_pidfd) {
        uint64_t t;
        int fd = crl_pidfd_open(pid, 0), r;

        if (fd < 0)
                return fd;
        r = proc_start_time(pid, &t);
        if (r < 0 || t != start_time) {
                safe_close(fd);
                return -ESRCH;
        }
        *ret_pidfd = fd;
        return 0;
}
