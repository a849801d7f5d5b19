/*
 * net.c - an optional veth pair between the host and the container.
 *
 * A new network namespace has only a loopback device (ns.c brings it
 * up). To talk to the host, the runtime creates a *veth pair*: two
 * virtual Ethernet devices joined like the ends of a cable, whatever goes
 * in one comes out of the other (veth(4)). One end stays on the host
 * ("mvm<pid>"), the other is created directly inside the container's
 * network namespace, which the runtime itself made, as "eth0". The
 * runtime never moves a device into a namespace it did not create.
 *
 *   --net veth:10.0.0.1/24,10.0.0.2/24
 *        host end 10.0.0.1/24 <-- cable --> eth0 10.0.0.2/24 (container)
 *
 * Devices are created with rtnetlink (rtnetlink(7)): one RTM_NEWLINK
 * message whose IFLA_LINKINFO says "veth" and carries the peer's name and
 * namespace (IFLA_NET_NS_PID). Addresses and the UP flag are set with the
 * older ioctls (netdevice(7)), which are enough for one IPv4 address.
 * When the container's namespace goes away the kernel deletes eth0, and
 * with it the host end; destroy() deletes the host end in case it
 * lingers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctr_internal.h"

#define CTR_IFNAME "eth0"

/* A netlink request: header, link message, room for attributes. */
struct nl_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[512];
};

/* "10.0.0.1/24" -> address (network order) and prefix length. */
static int parse_cidr(const char *s, size_t n, uint32_t *addr, int *len)
{
	char buf[32], *slash, *end;
	struct in_addr a;
	long l;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	l = strtol(slash + 1, &end, 10);
	if (*end || l < 1 || l > 30 || inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	*len = (int)l;
	return 0;
}

/* "HOST/LEN,CTR/LEN" from cfg->veth; checked before anything is made. */
int ctr_veth_parse(struct mvm_ctr *c)
{
	const char *s = c->cfg.veth, *comma = strchr(s, ',');

	if (!comma ||
	    parse_cidr(s, (size_t)(comma - s), &c->veth_addr[0],
		       &c->veth_len[0]) ||
	    parse_cidr(comma + 1, strlen(comma + 1), &c->veth_addr[1],
		       &c->veth_len[1])) {
		mvm_logf(&c->log, MVM_LOG_ERROR,
			 "network: veth '%s': want HOSTADDR/LEN,CTRADDR/LEN "
			 "(IPv4, prefix 1..30), e.g. 10.0.0.1/24,10.0.0.2/24",
			 s);
		return -EINVAL;
	}
	return 0;
}

/* Append one attribute (rtnetlink(3) RTA_* layout); returns it. */
static struct rtattr *add_attr(struct nl_req *req, int type, const void *data,
			       size_t len)
{
	struct nlmsghdr *nh = &req->nh;
	struct rtattr *rta;

	if (NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len) > sizeof(*req))
		return NULL;
	rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len);
	return rta;
}

/* Close a nested attribute opened with add_attr(..., NULL, 0). */
static void end_nest(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len =
		(unsigned short)((char *)nh + nh->nlmsg_len - (char *)nest);
}

/* Send one request and read the kernel's acknowledgement (NLM_F_ACK). */
static int nl_talk(struct nlmsghdr *nh)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	char buf[1024];
	struct nlmsghdr *ack = (struct nlmsghdr *)buf;
	int fd, err;
	ssize_t n;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	err = n < 0 ? -errno : -EIO;
	if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) &&
	    ack->nlmsg_type == NLMSG_ERROR)
		err = ((struct nlmsgerr *)NLMSG_DATA(ack))->error; /* 0 = ok */
	close(fd);
	return err;
}

/* Give ifname (in *our* namespace) an IPv4 address and bring it up. */
static int ifup(const char *ifname, uint32_t addr, int len)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		err = -errno;
	sin->sin_addr.s_addr = htonl(~0u << (32 - len));
	if (!err && ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		err = -errno;
	if (!err && ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Runtime side, after clone(): the pair, peer inside pid's namespace. */
int ctr_veth_create(struct mvm_ctr *c, pid_t pid)
{
	struct nl_req req = {0};
	struct nlmsghdr *nh = &req.nh;
	struct rtattr *info, *data, *peer;
	struct ifinfomsg peer_ifi = {0};
	uint32_t ns_pid = (uint32_t)pid;
	int err;

	snprintf(c->veth_host, sizeof(c->veth_host), "mvm%ld", (long)pid);
	nh->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	nh->nlmsg_type = RTM_NEWLINK;
	nh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	req.ifi.ifi_family = AF_UNSPEC;
	add_attr(&req, IFLA_IFNAME, c->veth_host, strlen(c->veth_host) + 1);
	info = add_attr(&req, IFLA_LINKINFO, NULL, 0);
	add_attr(&req, IFLA_INFO_KIND, "veth", 5);
	data = add_attr(&req, IFLA_INFO_DATA, NULL, 0);
	/* VETH_INFO_PEER holds an ifinfomsg followed by the peer's own
	 * attributes (drivers/net/veth.c veth_newlink()). */
	peer = add_attr(&req, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
	add_attr(&req, IFLA_IFNAME, CTR_IFNAME, sizeof(CTR_IFNAME));
	add_attr(&req, IFLA_NET_NS_PID, &ns_pid, sizeof(ns_pid));
	end_nest(nh, peer);
	end_nest(nh, data);
	end_nest(nh, info);
	err = nl_talk(nh);
	/* Remember the interface by index, which the kernel never hands out
	 * twice while it lives: a name like mvm<PID> can belong to another
	 * runtime whose PID was reused after ours was killed. */
	if (!err) {
		c->veth_ifindex = (int)if_nametoindex(c->veth_host);
		err = c->veth_ifindex ? 0 : -errno;
	}
	if (!err)
		err = ifup(c->veth_host, c->veth_addr[0], c->veth_len[0]);
	if (err) {
		mvm_logf(&c->log, MVM_LOG_ERROR, "network: veth %s: %s",
			 c->veth_host, strerror(-err));
		ctr_veth_destroy(c);
	}
	return err;
}

/* Child side, in the container's namespace: address eth0, bring it up. */
int ctr_veth_configure_inside(const struct mvm_ctr *c,
			      const struct mvm_log *log)
{
	int err = ifup(CTR_IFNAME, c->veth_addr[1], c->veth_len[1]);

	if (err)
		mvm_logf(log, MVM_LOG_ERROR, "network: configure %s: %s",
			 CTR_IFNAME, strerror(-err));
	return err;
}

/* Delete the host end if it still exists (ENODEV is the normal case),
 * by its interface index: only the interface this runtime created, never
 * another one that has the same name now (and nothing at all when the
 * creation failed, e.g. EEXIST because the name was taken). */
void ctr_veth_destroy(struct mvm_ctr *c)
{
	struct nl_req req = {0};

	if (c->veth_ifindex > 0) {
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		req.nh.nlmsg_type = RTM_DELLINK;
		req.ifi.ifi_family = AF_UNSPEC;
		req.ifi.ifi_index = c->veth_ifindex;
		nl_talk(&req.nh);
	}
	c->veth_ifindex = 0;
	c->veth_host[0] = '\0';
}
