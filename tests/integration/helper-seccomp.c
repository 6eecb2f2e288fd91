/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls what the seccomp keys filter, one per argument, and prints
 * "NAME:ok" or "NAME:ERRNONAME" for each: test-launch-seccomp reads what
 * the kernel answered inside the service. A call killed by the filter ends
 * the process with SIGSYS instead. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static long i386_getpid(void) {
#if defined(__x86_64__)
        long r;

        /* int 0x80: the i386 ABI (its getpid is 20), from a 64-bit process */
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
        return r < 0 ? (errno = (int) -r, -1) : r;
#else
        errno = ENOSYS;
        return -1;
#endif
}

/* clone() with flags | SIGCHLD as the raw call (glibc's would try clone3
 * first); the child exits at once. */
static long raw_clone(unsigned long flags) {
        long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

        if (pid == 0)
                _exit(0);
        return pid < 0 ? -1 : waitpid((pid_t) pid, NULL, 0) < 0 ? -1 : 0;
}

static long call(const char *what) {
        struct utsname un;
        struct timex tx = {};
        struct sched_param sp = { .sched_priority = 1 };
        char path[] = "/tmp/corral-seccomp-XXXXXX";
        void *m;
        long r;
        int fd;

        if (!strcmp(what, "uname"))
                return uname(&un);
        if (!strcmp(what, "i386"))
                return i386_getpid();
        if (!strcmp(what, "packet") || !strcmp(what, "inet") || !strcmp(what, "unix")) {
                fd = socket(what[0] == 'p' ? AF_PACKET : what[0] == 'i' ? AF_INET : AF_UNIX,
                            what[0] == 'p' ? SOCK_RAW : SOCK_DGRAM, 0);
                return fd < 0 ? -1 : close(fd);
        }
        if (!strcmp(what, "userns"))
                return unshare(CLONE_NEWUSER);
        if (!strcmp(what, "utsns"))
                return unshare(CLONE_NEWUTS);
        if (!strcmp(what, "fork"))
                return raw_clone(0);
        if (!strcmp(what, "clone-userns"))
                return raw_clone(CLONE_NEWUSER);
        if (!strcmp(what, "clone3"))
                return syscall(SYS_clone3, NULL, 0);    /* EINVAL if it reaches the kernel */
        if (!strcmp(what, "wx") || !strcmp(what, "w")) {
                m = mmap(NULL, 4096, PROT_READ | PROT_WRITE | (what[1] ? PROT_EXEC : 0),
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                return m == MAP_FAILED ? -1 : munmap(m, 4096);
        }
        if (!strcmp(what, "mprotect-x")) {
                m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                return m == MAP_FAILED ? -1 : mprotect(m, 4096, PROT_READ | PROT_EXEC);
        }
        if (!strcmp(what, "personality"))
                return personality(PER_LINUX32) < 0 ? -1 : 0;
        if (!strcmp(what, "personality-linux"))      /* what LockPersonality= keeps */
                return personality(PER_LINUX) < 0 ? -1 : 0;
        if (!strcmp(what, "fifo"))
                return sched_setscheduler(0, SCHED_FIFO, &sp);
        if (!strcmp(what, "suid")) {
                fd = mkstemp(path);
                if (fd < 0)
                        return -1;
                r = fchmod(fd, 04755);
                (void) unlink(path);
                (void) close(fd);
                return r;
        }
        if (!strcmp(what, "adjtimex"))
                return adjtimex(&tx) < 0 ? -1 : 0;      /* modes 0: only reads */
        if (!strcmp(what, "syslog"))
                return klogctl(10, NULL, 0) < 0 ? -1 : 0;       /* SYSLOG_ACTION_SIZE_BUFFER */
        if (!strcmp(what, "module"))
                return syscall(SYS_delete_module, "corral_no_such_module", O_NONBLOCK);
        errno = EINVAL;
        return -1;
}

int main(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                long r = call(argv[i]);

                printf("%s:%s\n", argv[i], r < 0 ? strerrorname_np(errno) : "ok");
                fflush(stdout);
        }
        return 0;
}
