/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `lo` up in a new network namespace, by one rtnetlink request built on the
 * stack: the child must not allocate, which rules out libnl here. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "macros.h"
#include "ns-plan.h"

int ns_loopback_up(void) {
        struct {
                struct nlmsghdr nh;
                struct ifinfomsg ifi;
        } req = {
                .nh = {
                        .nlmsg_len = sizeof(req),
                        .nlmsg_type = RTM_NEWLINK,
                        .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
                        .nlmsg_seq = 1,
                },
                .ifi = {
                        .ifi_family = AF_UNSPEC,
                        .ifi_index = 1,         /* lo is always ifindex 1 in a new netns */
                        .ifi_flags = IFF_UP,
                        .ifi_change = IFF_UP,
                },
        };
        struct {
                struct nlmsghdr nh;
                struct nlmsgerr err;
        } ack;
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
        int fd, r;
        ssize_t n;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return -errno;
        if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        do
                n = recv(fd, &ack, sizeof(ack), 0);
        while (n < 0 && errno == EINTR);
        r = n < 0 ? -errno : 0;
        safe_close(fd);
        if (r < 0)
                return r;
        if (n < (ssize_t) sizeof(ack.nh) + (ssize_t) sizeof(int) || ack.nh.nlmsg_type != NLMSG_ERROR)
                return -EPROTO;
        return ack.err.error;   /* 0, or -errno from the kernel */
}
