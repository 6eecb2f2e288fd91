/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* veth deletions as events on one non-blocking netlink socket.
 *
 * RTM_DELLINK is answered by the kernel only after the device's
 * unregistration waited for RCU grace periods (rcu_barrier() in
 * netdev_run_todo(), 13-40 ms), inside the sender's sendmsg(): the request
 * is processed synchronously whatever the socket's flags, so the "answer
 * later" never comes later. A destroyed service's host end is therefore
 * only set down (RTM_SETLINK, ~0.2 ms, no unregistration: its bridge port
 * stops forwarding), and the pair is deleted by the kernel itself when the
 * service's network namespace is cleaned up (cleanup_net, in a kernel
 * worker) once its last holder is gone. Its RTM_DELLINK notification
 * (RTNLGRP_LINK, joined while a deletion is pending) is the event. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ns-net-internal.h"
#include "ns-net.h"

int ns_net_event_open(NsNet *n) {
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int r = -errno;
                safe_close(fd);
                return r;
        }
        n->event_fd = fd;
        return 0;
}

int ns_net_event_fd(NsNet *n) {
        return n->event_fd;
}

void ns_net_set_done_handler(NsNet *n, NsNetDoneFn fn, void *userdata) {
        n->done = fn;
        n->done_userdata = userdata;
}

static int subscribe(NsNet *n, bool on) {
        int group = RTNLGRP_LINK;

        if (n->subscribed == on)
                return 0;
        if (setsockopt(n->event_fd, SOL_NETLINK, on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group,
                       sizeof(group)) < 0)
                return -errno;
        n->subscribed = on;
        return 0;
}

/* One request about ifindex with an ack: ISOLATE sets it down, DELETE
 * deletes it. Not also off the bridge: IFLA_MASTER 0 (br_del_if()) took
 * 28-41 ms in the TCG test VM (Linux 6.1; down 10 ms, RTM_DELLINK 21 ms;
 * all three 0.2-20 ms on the dev host), and a down port forwards nothing. */
static int request_send(NsNet *n, int ifindex, NsDelMode mode, uint32_t *ret_seq) {
        struct {
                struct nlmsghdr h;
                struct ifinfomsg i;
        } req = {
                .h = { .nlmsg_len = sizeof(req), .nlmsg_type = mode == NS_DEL_DELETE ? RTM_DELLINK : RTM_SETLINK,
                       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = ++n->seq },
                .i = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex,
                       .ifi_change = mode == NS_DEL_ISOLATE ? IFF_UP : 0 },
        };

        if (send(n->event_fd, &req, req.h.nlmsg_len, 0) < 0)
                return -errno;
        *ret_seq = req.h.nlmsg_seq;
        return 0;
}

int ns_net_deletion_start(NsNet *n, const char *name, int ifindex, NsDelMode mode) {
        NsDeletion *nl = realloc(n->deletions, (n->n_deletions + 1) * sizeof(*nl));
        _cleanup_free_ char *copy = strdup(name);
        uint32_t seq;
        int r;

        if (nl)
                n->deletions = nl;
        if (!nl || !copy)
                return -ENOMEM;
        /* joined before the request: the notification cannot be missed */
        r = subscribe(n, true);
        if (r >= 0)
                r = request_send(n, ifindex, mode, &seq);
        if (r < 0) {
                if (n->n_deletions == 0)
                        (void) subscribe(n, false); /* only saves wake-ups */
                return r;
        }
        nl[n->n_deletions++] = (NsDeletion) { .name = TAKE_PTR(copy), .ifindex = ifindex, .seq = seq, .mode = mode };
        return 0;
}

bool ns_net_deletion_pending(NsNet *n, int ifindex) {
        for (size_t i = 0; i < n->n_deletions; i++)
                if (n->deletions[i].ifindex == ifindex)
                        return true;
        return false;
}

void ns_net_deletions_free(NsNet *n) {
        for (size_t i = 0; i < n->n_deletions; i++)
                free(n->deletions[i].name);
        free(n->deletions);
        n->deletions = NULL;
        n->n_deletions = 0;
}

/* Take entry i off the list, then tell the handler (which may start other
 * deletions: nothing of the list is held across the call). */
static void deletion_done(NsNet *n, size_t i, int r) {
        NsDeletion d = n->deletions[i];
        CrlError err = {};

        memmove(n->deletions + i, n->deletions + i + 1, (n->n_deletions - i - 1) * sizeof(*n->deletions));
        n->n_deletions--;
        if (n->n_deletions == 0)
                (void) subscribe(n, false); /* only saves wake-ups */
        if (r < 0) {
                crl_error_set(&err, -r, "service '%s': step 'net-destroy': deleting its veth (ifindex %d): %s",
                              d.name, d.ifindex, strerror(-r));
                if (n->deletion_error == 0) {
                        n->deletion_error = r;
                        n->deletion_err = err;
                }
        }
        if (n->done)
                n->done(d.name, r, r < 0 ? &err : NULL, n->done_userdata);
        free(d.name);
}

static void handle_ack(NsNet *n, const struct nlmsghdr *h) {
        const struct nlmsgerr *e = NLMSG_DATA(h);

        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                return;
        for (size_t i = 0; i < n->n_deletions; i++) {
                if (n->deletions[i].seq != h->nlmsg_seq)
                        continue;
                /* an isolated link waits for its namespace's end; ENODEV:
                 * it is gone already */
                if (e->error == 0 && n->deletions[i].mode == NS_DEL_ISOLATE)
                        return;
                deletion_done(n, i, e->error == -ENODEV ? 0 : e->error);
                return;
        }
}

static void handle_dellink(NsNet *n, const struct nlmsghdr *h) {
        const struct ifinfomsg *ifi = NLMSG_DATA(h);

        /* AF_BRIDGE ones only say the port left its bridge */
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) || ifi->ifi_family != AF_UNSPEC)
                return;
        for (size_t i = 0; i < n->n_deletions; i++)
                if (n->deletions[i].ifindex == ifi->ifi_index) {
                        deletion_done(n, i, 0);
                        return;
                }
}

/* Notifications were lost (ENOBUFS): ask the kernel about each pending one. */
static void resync(NsNet *n) {
        for (size_t i = 0; i < n->n_deletions;) {
                int r = ns_link_exists(n->sk, n->deletions[i].ifindex);

                if (r == 0)
                        deletion_done(n, i, 0);
                else
                        i++;
        }
}

int ns_net_dispatch(NsNet *n) {
        union {
                struct nlmsghdr h;
                char buf[32768];
        } u;

        for (;;) {
                ssize_t len = recv(n->event_fd, &u, sizeof(u), MSG_DONTWAIT);

                if (len < 0 && errno == EINTR)
                        continue;
                if (len < 0 && errno == ENOBUFS) {
                        resync(n);
                        continue;
                }
                if (len <= 0)
                        break;  /* EAGAIN: drained */
                for (const struct nlmsghdr *h = &u.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_type == NLMSG_ERROR)
                                handle_ack(n, h);
                        else if (h->nlmsg_type == RTM_DELLINK)
                                handle_dellink(n, h);
                }
        }
        return (int) n->n_deletions;
}

static int64_t now_ms(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for this clock */
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The namespaces of what is still pending outlived the wait (someone else
 * holds them): delete the links ourselves, RTM_DELLINK (blocking). */
static void escalate(NsNet *n) {
        for (size_t i = 0; i < n->n_deletions;) {
                NsDeletion *d = &n->deletions[i];
                int r;

                if (d->mode == NS_DEL_DELETE) {
                        i++;
                        continue;
                }
                r = request_send(n, d->ifindex, NS_DEL_DELETE, &d->seq);
                if (r < 0) {
                        deletion_done(n, i, r);
                        continue;
                }
                d->mode = NS_DEL_DELETE;
                i++;
        }
}

int ns_net_flush(NsNet *n, int timeout_ms, CrlError *reterr) {
        int64_t deadline = now_ms() + timeout_ms;
        bool escalated = false;
        int r;

        n->deletion_error = 0;
        while (ns_net_dispatch(n) > 0) {
                int64_t left = deadline - now_ms();

                if (left <= 0 && !escalated) {
                        escalate(n);
                        escalated = true;
                        deadline = now_ms() + 1000; /* the acks are queued before send() returns */
                        continue;
                }
                if (left <= 0) {
                        while (n->n_deletions > 0)
                                deletion_done(n, 0, -ETIMEDOUT);
                        break;
                }
                r = poll(&(struct pollfd) { .fd = n->event_fd, .events = POLLIN }, 1, (int) left);
                if (r < 0 && errno != EINTR)
                        return crl_error_set(reterr, errno, "network: waiting for veth deletions: %m");
        }
        if (n->deletion_error < 0)
                return crl_error_set(reterr, n->deletion_err.error, "%s", n->deletion_err.message);
        return 0;
}
