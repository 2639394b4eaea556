/*
 * main.c - net: the TCP/IP server (docs/network.md), first part: lwIP
 * over the network driver's frame interface, its address from DHCP,
 * loopback, ICMP echo answered by lwIP, and the TCP and UDP sockets of
 * the personality's AF_INET calls (sock.c), served under /run/inet.
 *
 *     net [DEVICE]          (DEVICE defaults to /dev/net0)
 *
 * lumen starts it from /etc/lumen.tab after the driver. With no device
 * it serves loopback only. Each change of the interface's address is
 * logged and written to /run/net (its state, one line) and the DHCP
 * lease's name servers to /etc/resolv.conf.
 *
 * One thread runs everything: it sleeps in poll() on the device and its
 * channel until lwIP's next timer is due, then gives lwIP what came.
 */
#include "net.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/timeouts.h"
#include <errno.h>
#include <fcntl.h>
#include <lux.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define STATE_FILE "/run/net"
#define RESOLV     "/etc/resolv.conf"

/* Replace file path with the n bytes of text. */
static void write_file(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, n) != (ssize_t)n)
		fprintf(stderr, "net: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

void net_changed(struct netif *n)
{
	char line[160], ns[80] = "", a[16], m[16], g[16];
	size_t len = 0;

	ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof(a));
	ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof(m));
	ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof(g));
	snprintf(line, sizeof(line),
		 "%c%c%u %s netmask %s gateway %s link %s\n", n->name[0],
		 n->name[1], n->num, a, m, g,
		 netif_is_link_up(n) ? "up" : "down");
	fprintf(stderr, "net: %s", line);
	write_file(STATE_FILE, line, strlen(line));
	for (int i = 0; i < DNS_MAX_SERVERS; i++) {
		const ip_addr_t *s = dns_getserver(i);
		if (!ip_addr_isany(s))
			len += snprintf(ns + len, sizeof(ns) - len,
					"nameserver %s\n", ipaddr_ntoa(s));
	}
	if (len)
		write_file(RESOLV, ns, len);
}

/* One request from the server's channel: the sockets' (sock.c). */
static void serve(void)
{
	static struct lux_msg m;
	long n = lux_recv(LUX_SERVER_FD, &m);

	if (n >= 0)
		sock_serve(&m, n);
}

/* Whether the loopback interfaces still hold packets, which the next
 * netif_poll_all delivers (lwIP's answers to its own packets). */
static bool loop_pending(void)
{
	struct netif *n;

	NETIF_FOREACH(n)
	if (n->loop_first)
		return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/net0";

	lwip_init();
	if (link_start(dev) < 0)
		fprintf(stderr, "net: %s: %s: loopback only\n", dev,
			strerror(errno));
	for (;;) {
		u32_t ms = loop_pending() ? 0 : sys_timeouts_sleeptime();
		int due = sock_expire(),
		    wait = ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? -1 : (int)ms;
		struct pollfd p[2] = {{link_fd(), POLLIN, 0},
				      {LUX_SERVER_FD, POLLIN, 0}};
		if (due >= 0 && (wait < 0 || due < wait))
			wait = due;
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents)
			link_input();
		if (p[1].revents & POLLIN)
			serve();
		sys_check_timeouts();
		netif_poll_all(); /* loopback */
	}
}
