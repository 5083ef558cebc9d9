/* tcp-floor: the cost of moving a read workload's bytes over TCP with no protocol at all, as a
 * floor beside the iSCSI initiators in bench/compare.py.
 *
 *   tcp-floor serve               listens on 127.0.0.1 (port printed on stdout), answers forever
 *   tcp-floor PORT BS QD SECONDS  keeps QD requests in flight, each answered by a 48-byte header
 *                                 and BS bytes of payload; prints {"ios": N, "seconds": S}
 *
 * Each request is a 48-byte "command" whose first 4 bytes give the payload length, like a SCSI
 * READ and its Data-In. The client is what a minimal initiator would be: blocking send and
 * recv, no event loop, no parsing, each reply received in one call (MSG_WAITALL) straight into
 * one of QD buffers. Its CPU time per request (measured from outside, like the initiators') is
 * what the kernel charges for one round trip and for copying the payload out. At QD1 no
 * initiator can do less (one send and one wake-up per I/O); at higher depths one that takes
 * many replies per wake-up can. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define HDR 48

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* moves msg's iovec past the n bytes a call moved */
static void iov_advance(struct msghdr *msg, size_t n)
{
	while (n) {
		size_t take = n < msg->msg_iov->iov_len ? n : msg->msg_iov->iov_len;
		msg->msg_iov->iov_base = (uint8_t *)msg->msg_iov->iov_base + take;
		msg->msg_iov->iov_len -= take;
		n -= take;
		if (!msg->msg_iov->iov_len) {
			msg->msg_iov++;
			msg->msg_iovlen--;
		}
	}
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			die("send");
		p += n;
		len -= (size_t)n;
	}
}

/* false when the connection ended or failed first */
static int recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = recv(fd, (uint8_t *)buf + got, len - got, MSG_WAITALL);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static void answer(int fd, const uint8_t *zeros, size_t max)
{
	uint8_t req[HDR];
	while (recv_all(fd, req, HDR)) {
		uint32_t len = (uint32_t)req[0] << 24 | (uint32_t)req[1] << 16 | (uint32_t)req[2] << 8 | req[3];
		if (len > max)
			len = (uint32_t)max;
		uint8_t hdr[HDR] = { 0 };
		memcpy(hdr, req, 4);
		struct iovec iov[2] = { { hdr, HDR }, { (void *)zeros, len } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		size_t left = HDR + len;
		while (left) {
			ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
			if (n <= 0)
				return;
			left -= (size_t)n;
			iov_advance(&msg, (size_t)n);
		}
	}
}

static _Noreturn void serve(void)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 4) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) < 0)
		die("listen");
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	const size_t max = 16u << 20;
	uint8_t *zeros = calloc(1, max);
	if (!zeros)
		die("calloc");
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			die("accept");
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		answer(fd, zeros, max);
		close(fd);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void request(int fd, uint32_t bs)
{
	uint8_t req[HDR] = { (uint8_t)(bs >> 24), (uint8_t)(bs >> 16), (uint8_t)(bs >> 8), (uint8_t)bs };
	send_all(fd, req, HDR);
}

static int client(int port, uint32_t bs, int qd, double seconds)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	uint8_t *bufs = malloc((size_t)qd * bs), hdr[HDR];
	if (!bufs)
		die("malloc");
	memset(bufs, 1, (size_t)qd * bs); /* fault the pages in now, as an initiator's caller would */
	for (int i = 0; i < qd; i++)
		request(fd, bs);
	uint64_t ios = 0;
	double start = now(), end = start + seconds, t;
	while ((t = now()) < end) {
		/* header and payload in one call: the fewest system calls a reply can take */
		struct iovec iov[2] = { { hdr, HDR }, { bufs + (ios % (uint64_t)qd) * bs, bs } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		for (size_t left = HDR + bs; left;) {
			ssize_t n = recvmsg(fd, &msg, MSG_WAITALL);
			if (n <= 0)
				die("recv");
			left -= (size_t)n;
			iov_advance(&msg, (size_t)n);
		}
		ios++;
		request(fd, bs);
	}
	printf("{\"ios\": %llu, \"seconds\": %.3f}\n", (unsigned long long)ios, t - start);
	free(bufs);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "serve"))
		serve();
	if (argc == 5)
		return client(atoi(argv[1]), (uint32_t)strtoul(argv[2], NULL, 0), atoi(argv[3]), atof(argv[4]));
	fputs("usage: tcp-floor serve | tcp-floor PORT BS QD SECONDS\n", stderr);
	return 2;
}
