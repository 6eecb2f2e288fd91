/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "fileio.h"
#include "macros.h"
#include "runtime-state.h"
#include "strv.h"
#include "syscalls.h"

/* One record is small (paths and numbers); anything bigger is not ours. */
#define STATE_FILE_MAX (64 * 1024)

typedef enum FieldType {
        FIELD_STRING,
        FIELD_PID,
        FIELD_U64,
        FIELD_UINT,
        FIELD_ULONG,
} FieldType;

typedef struct Field {
        const char *key;
        FieldType type;
        size_t offset;
} Field;

#define F(k, t, m) { k, t, offsetof(RuntimeState, m) }
static const Field fields[] = {
        F("NAME", FIELD_STRING, name),
        F("MAIN_PID", FIELD_PID, main_pid),
        F("MAIN_START_TIME", FIELD_U64, main_start_time),
        F("INIT_PID", FIELD_PID, init_pid),
        F("INIT_START_TIME", FIELD_U64, init_start_time),
        F("CGROUP_PATH", FIELD_STRING, cgroup_path),
        F("IP_ADDRESS", FIELD_STRING, ip_address),
        F("UNIT_PATH", FIELD_STRING, unit_path),
        F("NOTIFY_SOCKET", FIELD_STRING, notify_socket),
        F("LOG_PATH", FIELD_STRING, log_path),
        F("LOGGER_PID", FIELD_PID, logger_pid),
        F("LOGGER_START_TIME", FIELD_U64, logger_start_time),
        F("N_RESTARTS", FIELD_UINT, n_restarts),
        F("ACTIVE_ENTER_USEC", FIELD_U64, active_enter_usec),
        F("NAMESPACES", FIELD_ULONG, namespaces),
        F("SUB_STATE", FIELD_STRING, sub_state),
};
#undef F

#define FIELD_PTR(s, f, type) ((type *) (void *) ((char *) (s) + (f)->offset))

void runtime_state_done(RuntimeState *s) {
        if (!s)
                return;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (fields[i].type == FIELD_STRING)
                        free(*FIELD_PTR(s, &fields[i], char *));
        *s = (RuntimeState) {};
}

/* A record's name is its file name: no '/', not hidden (".NAME.tmp" are
 * ours, in flight), short enough for a file name. */
static bool state_name_valid(const char *name) {
        return !isempty(name) && name[0] != '.' && !strchr(name, '/') && strlen(name) <= NAME_MAX - 5;
}

/* ---- values: C escapes for '\\', control bytes and DEL ---- */

static int escape_value(FILE *f, const char *v) {
        for (const unsigned char *p = (const unsigned char *) (v ?: ""); *p; p++) {
                if (*p == '\\')
                        fputs("\\\\", f);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
        return ferror(f) ? -EIO : 0;
}

/* Undo escape_value() in place; a NUL byte (\x00) or an unknown escape is
 * malformed. */
static int unescape_value(char *s, const char **ret_reason) {
        char *w = s;

        for (const char *p = s; *p; p++) {
                if (*p != '\\') {
                        *w++ = *p;
                        continue;
                }
                p++;
                if (*p == '\\')
                        *w++ = '\\';
                else if (*p == 'n')
                        *w++ = '\n';
                else if (*p == 't')
                        *w++ = '\t';
                else if (*p == 'x' && unhexchar(p[1]) >= 0 && unhexchar(p[2]) >= 0) {
                        int c = unhexchar(p[1]) * 16 + unhexchar(p[2]);

                        if (c == 0) {
                                *ret_reason = "\\x00 (a NUL byte) in value";
                                return -EINVAL;
                        }
                        *w++ = (char) c;
                        p += 2;
                } else {
                        *ret_reason = "bad escape in value";
                        return -EINVAL;
                }
        }
        *w = 0;
        return 0;
}

/* ---- numbers: plain decimal digits, no sign, no space, no overflow ---- */

static int parse_u64(const char *s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (!*s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int field_parse(RuntimeState *s, const Field *f, char *value, const char **ret_reason) {
        static const uint64_t max[] = {
                [FIELD_PID] = INT_MAX,
                [FIELD_U64] = UINT64_MAX,
                [FIELD_UINT] = UINT_MAX,
                [FIELD_ULONG] = ULONG_MAX,
        };
        uint64_t v;
        int r;

        if (f->type == FIELD_STRING) {
                char **p = FIELD_PTR(s, f, char *), *copy;

                r = unescape_value(value, ret_reason);
                if (r < 0)
                        return r;
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                free(*p);
                *p = copy;
                return 0;
        }
        r = parse_u64(value, max[f->type], &v);
        if (r < 0) {
                *ret_reason = r == -ERANGE ? "number out of range" : "not a decimal number";
                return -EINVAL;
        }
        if (f->type == FIELD_PID)
                *FIELD_PTR(s, f, pid_t) = (pid_t) v;
        else if (f->type == FIELD_U64)
                *FIELD_PTR(s, f, uint64_t) = v;
        else if (f->type == FIELD_UINT)
                *FIELD_PTR(s, f, unsigned) = (unsigned) v;
        else
                *FIELD_PTR(s, f, unsigned long) = (unsigned long) v;
        return 0;
}

/* ---- writing ---- */

static int format_state(const RuntimeState *s, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r = 0;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# corral runtime state: written by corrald, read when it restarts\n", f);
        for (size_t i = 0; i < ELEMENTSOF(fields) && r >= 0; i++) {
                const Field *fl = &fields[i];

                fprintf(f, "%s=", fl->key);
                if (fl->type == FIELD_STRING)
                        r = escape_value(f, *FIELD_PTR(s, fl, char *const));
                else if (fl->type == FIELD_PID)
                        fprintf(f, "%d", (int) *FIELD_PTR(s, fl, const pid_t));
                else if (fl->type == FIELD_U64)
                        fprintf(f, "%" PRIu64, *FIELD_PTR(s, fl, const uint64_t));
                else if (fl->type == FIELD_UINT)
                        fprintf(f, "%u", *FIELD_PTR(s, fl, const unsigned));
                else
                        fprintf(f, "%lu", *FIELD_PTR(s, fl, const unsigned long));
                fputc('\n', f);
        }
        if (fclose(f) != 0 || r < 0)
                return -ENOMEM;
        *ret_size = size;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_all(int fd, const char *buf, size_t size) {
        while (size > 0) {
                ssize_t n = write(fd, buf, size);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                size -= (size_t) n;
        }
        return 0;
}

/* Temp file ".NAME.tmp" (hidden, so runtime_state_list() skips one left by
 * a crash), rename over NAME: a reader sees the old or the new record,
 * never a part. No fsync: a crash of corrald leaves the page cache
 * alone, and one of the kernel ends the processes the record names, so
 * whatever of it a disk-backed runtime directory kept names nothing that
 * runs (re-adoption checks each pid's start time; a cut record fails to
 * read). */
int runtime_state_write(int dir_fd, const RuntimeState *s, CrlError *reterr) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];
        size_t size;
        int r;

        if (!s || !state_name_valid(s->name))
                return crl_error_set(reterr, EINVAL, "runtime state: invalid name '%s'",
                                     s && s->name ? s->name : "");
        if (s->main_pid < 0 || s->init_pid < 0 || s->logger_pid < 0)
                return crl_error_set(reterr, EINVAL, "runtime state '%s': negative pid", s->name);
        r = format_state(s, &buf, &size);
        if (r < 0)
                return crl_error_set(reterr, -r, "runtime state '%s': formatting: %s", s->name, strerror(-r));
        (void) snprintf(tmp, sizeof(tmp), ".%s.tmp", s->name);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
                return crl_error_set(reterr, errno, "runtime state '%s': create %s: %m", s->name, tmp);
        r = write_all(fd, buf, size);
        if (r >= 0)
                r = RET_NERRNO(renameat(dir_fd, tmp, dir_fd, s->name));
        if (r < 0) {
                (void) unlinkat(dir_fd, tmp, 0);        /* undo; the error below is the one that counts */
                return crl_error_set(reterr, -r, "runtime state '%s': write %s: %s", s->name, tmp, strerror(-r));
        }
        return 0;
}

/* ---- reading ---- */

static const Field *field_find(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (streq(fields[i].key, key))
                        return &fields[i];
        return NULL;
}

/* "DIR/NAME" for messages: the directory's real path when /proc knows it. */
static void state_file_label(int dir_fd, const char *name, char *buf, size_t size) {
        char link[64], dir[PATH_MAX];
        ssize_t n;

        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", dir_fd);
        n = readlink(link, dir, sizeof(dir) - 1);
        if (dir_fd == AT_FDCWD || n <= 0) {
                (void) snprintf(buf, size, "%s", name);
                return;
        }
        dir[n] = 0;
        (void) snprintf(buf, size, "%s/%s", dir, name);
}

/* One "KEY=VALUE" line (comments and blank lines skipped). */
static int parse_line(RuntimeState *s, char *line, const char **ret_reason) {
        const Field *f;
        char *eq;

        if (line[0] == '#' || line[0] == 0)
                return 0;
        eq = strchr(line, '=');
        if (!eq) {
                *ret_reason = "not KEY=VALUE";
                return -EINVAL;
        }
        *eq = 0;
        f = field_find(line);
        if (!f)
                return 0;       /* a newer corrald's key: ignored */
        return field_parse(s, f, eq + 1, ret_reason);
}

static int fill_defaults(RuntimeState *s) {
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                char **p;

                if (fields[i].type != FIELD_STRING)
                        continue;
                p = FIELD_PTR(s, &fields[i], char *);
                if (!*p && !(*p = strdup("")))
                        return -ENOMEM;
        }
        return 0;
}

static int parse_state(RuntimeState *s, char *text, const char *label, CrlError *reterr) {
        unsigned line_no = 0;
        char *next;
        int r;

        for (char *line = text; line; line = next) {
                const char *reason = NULL;
                bool assignment;

                line_no++;
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                else if (!*line)
                        break;  /* after the final newline */
                else
                        return crl_error_set(reterr, EINVAL, "%s:%u: no newline at end (truncated?)", label, line_no);
                assignment = strchr(line, '=');
                r = parse_line(s, line, &reason);
                if (r == -ENOMEM)
                        return crl_error_set(reterr, ENOMEM, "%s:%u: out of memory", label, line_no);
                if (r < 0 && assignment)        /* line is now the key alone */
                        return crl_error_set(reterr, -r, "%s:%u: %s=: %s", label, line_no, line, reason);
                if (r < 0)
                        return crl_error_set(reterr, -r, "%s:%u: %s", label, line_no, reason);
        }
        return 0;
}

int runtime_state_read(int dir_fd, const char *name, RuntimeState *ret, CrlError *reterr) {
        _cleanup_(runtime_state_done) RuntimeState s = {};
        _cleanup_free_ char *text = NULL;
        char label[PATH_MAX + NAME_MAX + 2];
        size_t size;
        int r;

        state_file_label(dir_fd, name ?: "", label, sizeof(label));
        if (!state_name_valid(name))
                return crl_error_set(reterr, EINVAL, "%s: invalid runtime state name", label);
        r = read_file_at(dir_fd, name, &text, &size);
        if (r < 0)
                return crl_error_set(reterr, -r, "%s: %s", label, strerror(-r));
        if (size > STATE_FILE_MAX || memchr(text, 0, size))
                return crl_error_set(reterr, EINVAL, "%s: not a runtime state file (%s)", label,
                                     size > STATE_FILE_MAX ? "too big" : "NUL byte");
        r = parse_state(&s, text, label, reterr);
        if (r < 0)
                return r;
        if (s.name && !streq(s.name, name))
                return crl_error_set(reterr, EINVAL, "%s: NAME=%s does not match the file name", label, s.name);
        if (fill_defaults(&s) < 0)
                return crl_error_set(reterr, ENOMEM, "%s: out of memory", label);
        if (!s.name[0]) {
                free(s.name);
                if (!(s.name = strdup(name)))
                        return crl_error_set(reterr, ENOMEM, "%s: out of memory", label);
        }
        *ret = s;
        s = (RuntimeState) {};
        return 0;
}

int runtime_state_remove(int dir_fd, const char *name) {
        char tmp[NAME_MAX + 1];

        if (!state_name_valid(name))
                return -EINVAL;
        (void) snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        (void) unlinkat(dir_fd, tmp, 0);        /* left by a crash mid-write, if at all */
        if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool entry_is_record(int dir_fd, const struct dirent *de) {
        struct stat st;

        if (!state_name_valid(de->d_name))
                return false;
        if (de->d_type == DT_REG)
                return true;
        if (de->d_type != DT_UNKNOWN)
                return false;
        return fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISREG(st.st_mode);
}

int runtime_dir_list(int dir_fd, bool (*keep)(int dir_fd, const struct dirent *de), char ***ret) {
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        DIR *d;
        int fd, r = 0;

        /* A fresh open: readdir needs a readable fd, and dir_fd may be O_PATH
         * (and must not have its offset moved). */
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while (r >= 0 && (errno = 0, de = readdir(d)))
                if (keep ? keep(dirfd(d), de) : !streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = strv_extend(&names, de->d_name);
        if (r >= 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_str);
        else if (!(names = calloc(1, sizeof(char *))))
                return -ENOMEM;
        r = (int) strv_length(names);
        *ret = TAKE_PTR(names);
        return r;
}

int runtime_state_list(int dir_fd, char ***ret) {
        return runtime_dir_list(dir_fd, entry_is_record, ret);
}

/* ---- status records (RUNTIME_DIR/status/NAME) ---- */

/* ".NAME.tmp", then renameat over NAME: NAME is the old file or the new
 * empty one, never missing, and the new inode is this run's alone. */
int status_record_create(int dir_fd, const char *name, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        char tmp[NAME_MAX + 1];

        if (!state_name_valid(name))
                return -EINVAL;
        (void) snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
        (void) unlinkat(dir_fd, tmp, 0);        /* left by a crash between open and rename, if at all */
        fd = openat(dir_fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                int r = -errno;

                (void) unlinkat(dir_fd, tmp, 0);        /* undo; r is the error that counts */
                return r;
        }
        *ret_fd = fd_move_high(TAKE_FD(fd));    /* held while the service runs */
        return 0;
}

int status_record_open(int dir_fd, const char *name, int *ret_fd) {
        struct stat st;
        int fd;

        if (!state_name_valid(name))
                return -EINVAL;
        /* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return -EBADFD;
        }
        *ret_fd = fd_move_high(fd);
        return 0;
}

int status_record_remove(int dir_fd, const char *name) {
        return runtime_state_remove(dir_fd, name);      /* the same layout: NAME and .NAME.tmp */
}

/* ---- processes ---- */

/* Field 22 of /proc/PID/stat. Field 2 (comm) is "(...)" and may itself hold
 * spaces and ')', so fields are counted from the last ')'. */
int proc_start_time(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[64], *p;
        int r;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        r = read_file_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r == -ENOENT ? -ESRCH : r;
        p = strrchr(text, ')');
        if (!p)
                return -EBADMSG;
        p++;
        /* After ')': field 3 (state) is the 1st token, field 22 the 20th. */
        for (int field = 3; field < 22; field++) {
                p += strspn(p, " ");
                p += strcspn(p, " ");
        }
        p += strspn(p, " ");
        p[strcspn(p, " \n")] = 0;
        return parse_u64(p, UINT64_MAX, ret) < 0 ? -EBADMSG : 0;
}

int pidfd_open_checked(pid_t pid, uint64_t start_time, int *ret_pidfd) {
        _cleanup_close_ int fd = -EBADF;
        uint64_t now;
        int r;

        if (pid <= 0)
                return -ESRCH;
        fd = crl_pidfd_open(pid, 0);
        if (fd < 0)
                return fd == -EINVAL ? -ESRCH : fd;
        /* The pidfd holds whoever had pid a moment ago; if pid still names
         * a process with the recorded start time, that process had pid the
         * whole time, so it is the one the pidfd holds. */
        r = proc_start_time(pid, &now);
        if (r < 0)
                return r;
        if (now != start_time)
                return -ESRCH;
        *ret_pidfd = TAKE_FD(fd);
        return 0;
}
