#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

struct route_request {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static void add_attr(struct route_request *req, unsigned short type, const void *data,
		     size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static void parse_reply(const struct rtmsg *rt, size_t len, struct route_choice *out)
{
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		switch (a->rta_type) {
		case RTA_OIF:
			if (!if_indextoname(*(const unsigned *)RTA_DATA(a), out->dev))
				snprintf(out->dev, sizeof(out->dev), "?");
			break;
		case RTA_PREFSRC:
			inet_ntop(rt->rtm_family, RTA_DATA(a), out->source, sizeof(out->source));
			break;
		case RTA_GATEWAY:
			inet_ntop(rt->rtm_family, RTA_DATA(a), out->gateway, sizeof(out->gateway));
			break;
		}
	}
}

int route_lookup(const struct sockaddr *dst, unsigned oif, struct route_choice *out)
{
	memset(out, 0, sizeof(*out));
	struct route_request req;
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (unsigned char)dst->sa_family;
	if (dst->sa_family == AF_INET) {
		req.rt.rtm_dst_len = 32;
		add_attr(&req, RTA_DST, &((const struct sockaddr_in *)dst)->sin_addr, 4);
	} else {
		req.rt.rtm_dst_len = 128;
		add_attr(&req, RTA_DST, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
	}
	if (oif)
		add_attr(&req, RTA_OIF, &oif, sizeof(oif));

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	/* the kernel answers at once; the timeout only guards against a broken netlink */
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int rc = 0;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	char buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto out;
	}
	size_t left = (size_t)n;
	for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, left);
	     nh = NLMSG_NEXT(nh, left)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);
			rc = e->error ? e->error : -EPROTO;
			goto out;
		}
		if (nh->nlmsg_type == RTM_NEWROUTE) {
			const struct rtmsg *rt = NLMSG_DATA(nh);
			parse_reply(rt, RTM_PAYLOAD(nh), out);
			rc = out->dev[0] ? 0 : -ENETUNREACH;
			goto out;
		}
	}
	rc = -EPROTO;
out:
	close(fd);
	return rc;
}
