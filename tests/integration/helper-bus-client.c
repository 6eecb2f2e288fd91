/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls test-bus.sh cannot make with busctl: RunTransient with file
 * descriptors (busctl 252 cannot send 'h'), and arguments larger than a
 * command line allows. Prints "OK RESULT" or "ERROR NAME: MESSAGE".
 *
 * usage: helper-bus-client ADDRESS CMD [N]
 *   run-fd [N]          N times: RunTransient /bin/echo, stdout = our stdout
 *   run-fd-twice        StandardOutputFileDescriptor given twice
 *   run-fd-string       StandardOutputFileDescriptor as 's'
 *   run-h-other         Description as 'h'
 *   run-variant-nested  a property whose value is a{sv}
 *   run-bogus           a property the core does not know
 *   run-typed           properties as as, b, i, u, x, t (and stdout as fd)
 *   run-huge-value N    Environment= value of N bytes
 *   run-huge-argv N     argv[1] of N bytes
 *   run-many N          N Description= assignments
 *   get-huge N          GetService with a name of N bytes */

#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "macros.h"

#define DEST "org.corral1", "/org/corral1", "org.corral1.Manager"

static int report(sd_bus_message *reply, const sd_bus_error *e, int r) {
        const char *path;

        if (r < 0) {
                printf("ERROR %s: %s\n", e->name ?: "errno", e->message ?: strerror(-r));
                return 1;
        }
        if (sd_bus_message_read(reply, "o", &path) >= 0)
                printf("OK %s\n", path);
        else
                printf("OK\n");
        return 0;
}

/* RunTransient('' , argv, props) where props is built by fill(). */
typedef int (*FillFunc)(sd_bus_message *m, size_t n);

static int run_transient(sd_bus *bus, const char *arg1, FillFunc fill, size_t n) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, DEST, "RunTransient");
        if (r >= 0)
                r = arg1 ? sd_bus_message_append(m, "sas", "", 2, "/bin/echo", arg1)
                         : sd_bus_message_append(m, "sas", "", 1, "/bin/echo");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r >= 0)
                r = fill(m, n);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &e, &reply);
        r = report(reply, &e, r);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        return r;
}

static int fill_fd(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)(sv)", "Description", "s", "fd test", "StandardOutputFileDescriptor",
                                     "h", 1);
}
static int fill_fd_twice(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)(sv)", "StandardOutputFileDescriptor", "h", 1,
                                     "StandardOutputFileDescriptor", "h", 1);
}
static int fill_fd_string(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)", "StandardOutputFileDescriptor", "s", "1");
}
static int fill_h_other(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)", "Description", "h", 1);
}
static int fill_nested(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)", "Description", "a{sv}", 1, "x", "s", "y");
}
static int fill_bogus(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)", "Bogus", "s", "1");
}
static int fill_typed(sd_bus_message *m, size_t n) {
        return sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "Environment", "as", 2, "A=1", "B=2 3",
                                     "PrivateNetwork", "b", 1, "Nice", "i", -5, "LogKeep", "u", 7,
                                     "TimeOffsetSec", "x", (int64_t) -3, "MemoryMax", "t", (uint64_t) 1048576,
                                     "StandardOutputFileDescriptor", "h", 1);
}
static int fill_huge(sd_bus_message *m, size_t n) {
        char *v = malloc(n + 1);
        int r;

        if (!v)
                return -ENOMEM;
        memset(v, 'x', n);
        memcpy(v, "A=", 2);
        v[n] = 0;
        r = sd_bus_message_append(m, "(sv)", "Environment", "s", v);
        free(v);
        return r;
}
static int fill_many(sd_bus_message *m, size_t n) {
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(sv)", "Description", "s", "many");
        return r;
}
static int fill_none(sd_bus_message *m, size_t n) {
        return 0;
}

static char *big_string(size_t n) {
        char *v = malloc(n + 1);

        if (v) {
                memset(v, 'a', n);
                v[n] = 0;
        }
        return v;
}

static int get_huge(sd_bus *bus, size_t n) {
        sd_bus_message *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *v = big_string(n);
        int r;

        r = v ? sd_bus_call_method(bus, DEST, "GetService", &e, &reply, "s", v) : -ENOMEM;
        r = report(reply, &e, r);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        free(v);
        return r;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        size_t n = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
        const char *cmd;
        char *big = NULL;
        int r, rc = 0;

        if (argc < 3) {
                fprintf(stderr, "usage: %s ADDRESS CMD [N]\n", argv[0]);
                return 2;
        }
        cmd = argv[2];
        r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_negotiate_fds(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "connect %s: %s\n", argv[1], strerror(-r));
                return 2;
        }
        setvbuf(stdout, NULL, _IONBF, 0);       /* the daemon writes to the same fd */
        if (streq(cmd, "run-fd"))
                for (size_t i = 0; i < n; i++)
                        rc |= run_transient(bus, NULL, fill_fd, 0);
        else if (streq(cmd, "run-fd-twice"))
                rc = run_transient(bus, NULL, fill_fd_twice, 0);
        else if (streq(cmd, "run-fd-string"))
                rc = run_transient(bus, NULL, fill_fd_string, 0);
        else if (streq(cmd, "run-h-other"))
                rc = run_transient(bus, NULL, fill_h_other, 0);
        else if (streq(cmd, "run-variant-nested"))
                rc = run_transient(bus, NULL, fill_nested, 0);
        else if (streq(cmd, "run-typed"))
                rc = run_transient(bus, NULL, fill_typed, 0);
        else if (streq(cmd, "run-bogus"))
                rc = run_transient(bus, NULL, fill_bogus, 0);
        else if (streq(cmd, "run-huge-value"))
                rc = run_transient(bus, NULL, fill_huge, n);
        else if (streq(cmd, "run-huge-argv")) {
                big = big_string(n);
                rc = big ? run_transient(bus, big, fill_none, 0) : 2;
        } else if (streq(cmd, "run-many"))
                rc = run_transient(bus, NULL, fill_many, n);
        else if (streq(cmd, "get-huge"))
                rc = get_huge(bus, n);
        else {
                fprintf(stderr, "unknown command %s\n", cmd);
                rc = 2;
        }
        free(big);
        sd_bus_flush_close_unref(bus);
        return rc;
}
