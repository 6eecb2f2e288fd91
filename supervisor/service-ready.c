/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Type=notify: the service's $NOTIFY_SOCKET on the loop (service-notify.h). */
#include <string.h>

#include "log.h"
#include "runtime-state.h"
#include "service-internal.h"

static void take_main_pid(Service *s, pid_t pid) {
        int fd = crl_pidfd_open(pid, 0);

        /* The launched process stays the one whose exit we wait for (only a
         * child can be waited for); MAINPID= names what MainPID shows and
         * what KillSignal= reaches. */
        if (fd < 0) {
                log_warning("service '%s': MAINPID=%d: %s, ignoring", s->name, (int) pid, strerror(-fd));
                return;
        }
        safe_close(s->main.main_pidfd);
        s->main.main_pidfd = fd;
        s->main.main_pid = pid;
        service_changed(s, SERVICE_CHANGE_MAIN_PID);
}

static void handle(Service *s, NotifyMessage *msg) {
        if (msg->flags & NOTIFY_STATUS) {
                free(s->status_text);
                s->status_text = TAKE_PTR(msg->status);
                service_changed(s, SERVICE_CHANGE_STATUS_TEXT);
        }
        if ((msg->flags & NOTIFY_MAINPID) && s->main.pidfd >= 0)
                take_main_pid(s, msg->main_pid);
        if (msg->flags & NOTIFY_READY)
                service_event(s, SVC_EV_READY);
}

static int on_notify(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Service *s = userdata;

        /* READY=1 can be readable before the launch's exec report: read it
         * once the main process is known (on_launch_done turns this on). */
        if (s->launch && s->launch_is_main) {
                (void) sd_event_source_set_enabled(src, SD_EVENT_OFF);
                return 0;
        }

        for (int i = 0; i < 64 && s->notify; i++) {
                NotifyMessage msg = {};
                int r = notify_socket_receive(s->notify, s->cg ? cg_service_fd(s->cg) : -EBADF, &msg);

                if (r == -EAGAIN)
                        break;
                if (r == -EPERM) {
                        log_warning("service '%s': dropped a notification from a process outside the service",
                                    s->name);
                        continue;
                }
                if (r < 0) {
                        log_warning("service '%s': notify socket: %s, ignoring", s->name, strerror(-r));
                        break;
                }
                handle(s, &msg);
                notify_message_done(&msg);
        }
        return 0;
}

int service_notify_open(Service *s, CrlError *reterr) {
        int r;

        r = notify_socket_open(s->manager->runtime_dir, s->name, &s->notify, reterr);
        if (r < 0)
                return r;
        r = sd_event_add_io(s->manager->event, &s->notify_source, notify_socket_fd(s->notify), EPOLLIN,
                            on_notify, s);
        if (r < 0) {
                service_notify_close(s);
                return crl_error_set(reterr, -r, "service '%s': cannot watch its notify socket: %s", s->name,
                                     strerror(-r));
        }
        return 0;
}

void service_notify_close(Service *s) {
        s->notify_source = sd_event_source_disable_unref(s->notify_source);
        s->notify = notify_socket_free(s->notify);
}
