/*
 * net: the virtio-net driver server through its frame interface
 * (docs/network.md), with no TCP/IP stack: the test builds its own
 * Ethernet, ARP, IPv4 and ICMP frames. Booted by tests/net.py with two
 * network devices on one QEMU hub with QEMU's user network, restricted
 * to the machine (`-netdev user,restrict=on`: nothing leaves the host):
 * /dev/net0 belongs to the TCP/IP server (lwIP), which gets 10.0.2.15
 * by DHCP; the test takes /dev/net1 (MAC 52:54:00:12:34:57) and calls
 * itself 10.0.2.16. QEMU's gateway 10.0.2.2 answers ARP and ICMP echo
 * itself, and so must lwIP for 10.0.2.15.
 *
 * lux-specific (its driver); run by case name, never by the runner.
 */
#include "utest.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <lux/proto.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEV        "/dev/net1"
#define STATE      "/run/net"  /* the TCP/IP server's interface */
#define WAIT_MS    20000       /* one answer; QEMU on a loaded machine */
#define BACK_MS    (60 * 1000) /* a restarted driver must be back */
#define ETH_ARP    0x0806
#define ETH_IP     0x0800
#define GUEST_IP   "10.0.2.16"
#define LWIP_IP    "10.0.2.15"
#define GATEWAY_IP "10.0.2.2"
#define PING_ID    0x4c58
#define ECHOES     20 /* lwip_echo's */

struct arp_frame {
	uint8_t dst[6], src[6];
	uint16_t type;
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t oper;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

struct ping_frame {
	uint8_t dst[6], src[6];
	uint16_t type;
	uint8_t vihl, tos;
	uint16_t total, ident, frag;
	uint8_t ttl, proto;
	uint16_t sum;
	uint8_t saddr[4], daddr[4];
	uint8_t itype, icode;
	uint16_t isum, iid, iseq;
	uint8_t data[32];
} __attribute__((packed));

/* The Internet checksum of n bytes (RFC 1071). */
static uint16_t inet_sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static void ip4(const char *s, uint8_t out[4])
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	memcpy(out, &a, 4);
}

/* Our MAC from the driver: whether it worked. */
static int my_mac(int fd, uint8_t mac[6])
{
	struct lux_netinfo info;

	if (!EXPECT_EQ(ioctl(fd, LUX_NETINFO, &info), 0))
		return 0;
	memcpy(mac, info.mac, 6);
	return 1;
}

/* How long arp_gateway waits for its answer; whether a miss is quiet
 * (relink asks again) rather than a failure. */
static long answer_ms = WAIT_MS;
static int miss_quiet;

/* Read frames from fd until match(frame, len, arg) holds or ms pass:
 * whether it held. Other frames are ignored. */
static int await(int fd, int (*match)(const uint8_t *, ssize_t, void *),
		 void *arg, long ms)
{
	uint8_t f[2048];
	long long end = ut_now_ns() + ms * 1000000LL;

	for (long long now; (now = ut_now_ns()) < end;) {
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, (int)((end - now) / 1000000 + 1));
		if (r < 0 && errno == EINTR)
			continue;
		if (!EXPECT(r >= 0))
			return 0;
		if (r == 0)
			break;
		ssize_t n = read(fd, f, sizeof(f));
		if (!EXPECT(n >= 14))
			return 0;
		if (match(f, n, arg))
			return 1;
	}
	if (!miss_quiet)
		ut_fail("no matching frame in %ld ms", ms);
	return 0;
}

/* The peer asked (ARP) or pinged. */
static const char *peer_ip = GATEWAY_IP;

/* An ARP reply from the peer to us, its MAC kept in arg. */
static int is_arp_reply(const uint8_t *f, ssize_t n, void *arg)
{
	const struct arp_frame *a = (const void *)f;
	uint8_t gw[4], me[4];

	ip4(peer_ip, gw);
	ip4(GUEST_IP, me);
	if (n < (ssize_t)sizeof(*a) || ntohs(a->type) != ETH_ARP ||
	    ntohs(a->oper) != 2 || memcmp(a->spa, gw, 4) ||
	    memcmp(a->tpa, me, 4))
		return 0;
	memcpy(arg, a->sha, 6);
	return 1;
}

/* ARP for the peer on fd: its MAC in gw_mac; whether it answered. */
static int arp_gateway(int fd, uint8_t gw_mac[6])
{
	struct arp_frame a = {.type = htons(ETH_ARP),
			      .htype = htons(1),
			      .ptype = htons(ETH_IP),
			      .hlen = 6,
			      .plen = 4,
			      .oper = htons(1)};

	memset(a.dst, 0xff, 6);
	if (!my_mac(fd, a.src))
		return 0;
	memcpy(a.sha, a.src, 6);
	ip4(GUEST_IP, a.spa);
	ip4(peer_ip, a.tpa);
	if (!EXPECT_EQ(write(fd, &a, sizeof(a)), sizeof(a)))
		return 0;
	return await(fd, is_arp_reply, gw_mac, answer_ms);
}

/* The echo reply to our ping of sequence *arg, with our data. */
static int is_pong(const uint8_t *f, ssize_t n, void *arg)
{
	const struct ping_frame *p = (const void *)f;

	if (n < (ssize_t)sizeof(*p) || ntohs(p->type) != ETH_IP ||
	    p->proto != 1 || p->itype != 0 || ntohs(p->iid) != PING_ID ||
	    ntohs(p->iseq) != *(uint16_t *)arg)
		return 0;
	for (int i = 0; i < 32; i++)
		if (p->data[i] != (uint8_t)(i * 7 + *(uint16_t *)arg))
			return 0;
	return inet_sum(&p->itype, n - offsetof(struct ping_frame, itype)) == 0;
}

/* One ICMP echo to the peer (MAC gw_mac) and its reply. */
static int ping_gateway(int fd, const uint8_t gw_mac[6], uint16_t seq)
{
	struct ping_frame p = {.type = htons(ETH_IP),
			       .vihl = 0x45,
			       .total = htons(sizeof(p) - 14),
			       .ident = htons(seq),
			       .ttl = 64,
			       .proto = 1,
			       .itype = 8,
			       .iid = htons(PING_ID),
			       .iseq = htons(seq)};

	memcpy(p.dst, gw_mac, 6);
	if (!my_mac(fd, p.src))
		return 0;
	ip4(GUEST_IP, p.saddr);
	ip4(peer_ip, p.daddr);
	for (int i = 0; i < 32; i++)
		p.data[i] = (uint8_t)(i * 7 + seq);
	p.sum = inet_sum(&p.vihl, 20);
	p.isum =
	    inet_sum(&p.itype, sizeof(p) - offsetof(struct ping_frame, itype));
	if (!EXPECT_EQ(write(fd, &p, sizeof(p)), sizeof(p)))
		return 0;
	return await(fd, is_pong, &seq, WAIT_MS);
}

/* /dev/net0: a character device; the MAC (QEMU's default) and the link;
 * one client at a time; root only. */
static void node(void)
{
	struct lux_netinfo info;
	struct stat st;
	int fd;

	CHECK_EQ(stat(DEV, &st), 0);
	CHECK(S_ISCHR(st.st_mode));
	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	CHECK_EQ(ioctl(fd, LUX_NETINFO, &info), 0);
	EXPECT(!memcmp(info.mac, "\x52\x54\x00\x12\x34\x57", 6));
	EXPECT_EQ(info.flags & LUX_NETINFO_LINK, LUX_NETINFO_LINK);
	EXPECT_ERR(ioctl(fd, LUX_NETINFO, (void *)16), EFAULT);
	EXPECT_ERR(ioctl(fd, 0x5401, &info), ENOTTY); /* TCGETS */
	EXPECT_ERR(open(DEV, O_RDWR), EBUSY);
	close(fd);
	CHECK((fd = open(DEV, O_RDWR)) >= 0); /* free again */
	close(fd);
}

static void not_root(void)
{
	CHECK_EQ(setuid(1000), 0);
	CHECK_ERR(open(DEV, O_RDWR), EACCES);
}

static void not_mine(void)
{
	ut_in_child(not_root);
}

/* Frames the device cannot send; an empty queue with O_NONBLOCK. */
static void bad_frames(void)
{
	static char big[2000];
	int fd, n = 0;

	CHECK((fd = open(DEV, O_RDWR | O_NONBLOCK)) >= 0);
	EXPECT_ERR(write(fd, big, 13), EINVAL);
	EXPECT_ERR(write(fd, big, 1515), EMSGSIZE);
	/* frames come on the hub at any time (lwIP's, QEMU's): read until
	 * the queue is empty for an instant */
	ssize_t r;
	while ((r = read(fd, big, sizeof(big))) > 0 && n < 1000)
		n++;
	EXPECT_ERR(r, EAGAIN);
	close(fd);
}

/* ARP request for 10.0.2.2 from 10.0.2.15: QEMU's gateway answers. */
static void arp(void)
{
	uint8_t gw[6];
	int fd;

	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	EXPECT(arp_gateway(fd, gw));
	close(fd);
}

/* ICMP echo to 10.0.2.2, three times: each reply comes, data intact. */
static void icmp(void)
{
	uint8_t gw[6];
	int fd;

	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	for (uint16_t seq = 1; seq <= 3 && arp_gateway(fd, gw); seq++)
		if (!ping_gateway(fd, gw, seq))
			break;
	close(fd);
}

/* The pid of /dev/net1's driver (net 1) or /dev/net0's (net 0): of the
 * processes running /sbin/virtio-net, the one lumen started last or
 * first; or 0. lumen starts the table's lines in order (net0, then
 * net1) and a restart is a new process, whose pid is higher: so this
 * holds until net0's driver is restarted (relink, the last case). The
 * devices' addresses say nothing: PCI functions are given in increasing
 * order, virtio-mmio slots in decreasing order (docs/storage.md). */
static pid_t driver_pid(int net)
{
	char path[64], buf[64];
	DIR *d = opendir("/proc");
	pid_t pid = 0;
	int fd;

	for (struct dirent *e; d && (e = readdir(d));) {
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 17 || memcmp(buf, "/sbin/virtio-net", 17))
			continue;
		pid_t p = atoi(e->d_name);
		if (!pid || (net ? p > pid : p < pid))
			pid = p;
	}
	if (d)
		closedir(d);
	return pid;
}

/* kill -9 of the driver: the open descriptor fails with EIO, lumen
 * restarts the driver, and a new open exchanges frames again. */
static void driver_kill(void)
{
	uint8_t gw[6], f[64] = {0};
	pid_t drv;
	int fd, ms = 0;

	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	CHECK(arp_gateway(fd, gw));
	CHECK((drv = driver_pid(1)) > 0);
	CHECK_EQ(kill(drv, SIGKILL), 0);
	/* frames queued before the kill may come first */
	ssize_t r;
	for (int n = 0; (r = read(fd, f, sizeof(f))) > 0 && n < 10000; n++)
		;
	EXPECT_ERR(r, EIO);
	EXPECT_ERR(write(fd, f, sizeof(f)), EIO);
	close(fd);
	while ((fd = open(DEV, O_RDWR)) < 0 && ms < BACK_MS) {
		ut_sleep_ms(50);
		ms += 50;
	}
	CHECK(fd >= 0);
	EXPECT(driver_pid(1) != drv);
	EXPECT(arp_gateway(fd, gw) && ping_gateway(fd, gw, 9));
	close(fd);
}

/* The TCP/IP server's interface has QEMU's DHCP lease (within
 * BACK_MS: lwIP's DHCP client retries on its own timers). */
static void dhcp(void)
{
	const char *want = " 10.0.2.15 netmask 255.255.255.0 ";
	char buf[256] = "";
	int fd, ms = 0;

	for (; ms < BACK_MS; ms += 100) {
		if ((fd = open(STATE, O_RDONLY)) >= 0) {
			ssize_t n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = 0;
			close(fd);
		}
		if (strstr(buf, want))
			break;
		ut_sleep_ms(100);
	}
	if (!strstr(buf, want))
		ut_fail("%s says \"%s\"", STATE, buf);
}

/* lwIP answers ARP for 10.0.2.15 with /dev/net0's MAC, and ICMP echo. */
static void lwip_echo(void)
{
	uint8_t mac[6];
	int fd;

	peer_ip = LWIP_IP;
	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	if (EXPECT(arp_gateway(fd, mac))) {
		EXPECT(!memcmp(mac, "\x52\x54\x00\x12\x34\x56", 6));
		long long t = ut_now_ns();
		uint16_t seq = 1;
		while (seq <= ECHOES && ping_gateway(fd, mac, seq))
			seq++;
		if (seq >
		    ECHOES) /* a figure for docs/network.md, not a check */
			ut_print(
			    "net: lwip_echo: %d round trips, %lld us each\n",
			    ECHOES, (ut_now_ns() - t) / ECHOES / 1000);
	}
	close(fd);
	peer_ip = GATEWAY_IP;
}

/* kill -9 of /dev/net0's driver under the TCP/IP server: once lumen has
 * restarted it, the server opens it again and lwIP answers as before
 * (asked every second until it does, within BACK_MS). */
static void relink(void)
{
	uint8_t mac[6];
	pid_t drv, other, now;
	int fd, ok = 0, ms = 0;

	CHECK((drv = driver_pid(0)) > 0);
	CHECK((other = driver_pid(1)) > drv);
	CHECK((fd = open(DEV, O_RDWR)) >= 0);
	CHECK_EQ(kill(drv, SIGKILL), 0);
	/* net0's new driver is the newest process of the two */
	while ((now = driver_pid(1)) == other && ms < BACK_MS) {
		ut_sleep_ms(50);
		ms += 50;
	}
	CHECK(now > other);
	peer_ip = LWIP_IP;
	answer_ms = 1000;
	miss_quiet = 1;
	for (int s = 0; !ok && s < BACK_MS / 1000; s++)
		ok = arp_gateway(fd, mac);
	answer_ms = WAIT_MS;
	miss_quiet = 0;
	if (EXPECT(ok))
		EXPECT(ping_gateway(fd, mac, 7));
	close(fd);
	peer_ip = GATEWAY_IP;
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(node), UT_CASE(not_mine),  UT_CASE(bad_frames),
	    UT_CASE(arp),  UT_CASE(icmp),      UT_CASE(driver_kill),
	    UT_CASE(dhcp), UT_CASE(lwip_echo), UT_CASE(relink),
	};
	return ut_main(argc, argv, "net", cases, UT_COUNT(cases));
}
