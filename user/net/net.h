/*
 * net.h - the TCP/IP server (docs/network.md): lwIP 2.1.3 (NO_SYS=1,
 * user/lwip/) run by one thread's event loop (main.c) over a network
 * driver's frame interface (link.c).
 */
#pragma once

#include "lwip/netif.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* link.c: the Ethernet interface on device dev (/dev/net0): -1 when it
 * cannot be opened (the server then has loopback only), else 0 with
 * DHCP started. link_fd is the descriptor to wait on for frames (-1
 * while the driver is down; each call tries to open it again);
 * link_input gives lwIP every frame waiting there. */
int link_start(const char *dev);
int link_fd(void);
void link_input(void);

/* link.c: the Ethernet interface's counters since the server started. */
struct link_stats {
	uint64_t rx_bytes, rx_packets, rx_errors, tx_bytes, tx_packets,
	    tx_errors;
};
void link_stats(struct link_stats *st);

/* ifinfo.c: the interfaces as Linux shows them. info_open answers an
 * OPEN of "dev" or "route" (/proc/net/dev, /proc/net/route): false for
 * another path; info_serve a request on such a file: false for another
 * handle. info_ioctl answers SIOCGIF* cmd with the len bytes of struct
 * ifreq at in: the bytes of out (an ifreq; for SIOCGIFCONF, the ifreqs,
 * at most INFO_IFCONF_MAX bytes), or -errno (ENOTTY for another cmd). */
#define SIOCGIFCONF     0x8912
#define INFO_IFCONF_MAX (8 * 40)
struct lux_msg;
bool info_open(const struct lux_msg *m);
bool info_serve(const struct lux_msg *m);
long info_ioctl(unsigned cmd, const char *in, size_t len, char *out);
/* ifinfo.c: whether n is the loopback interface; n's Linux name ("lo",
 * "eth0"...) into name (16 bytes). */
bool if_lo(const struct netif *n);
void if_name(struct netif *n, char *name);

/* netlink.c: NETLINK_ROUTE's read-only part (ip addr, link, route).
 * nl_open answers an OPEN of "netlink" (false for another path),
 * nl_serve a request (n bytes of payload) on such a socket (false for
 * another handle). */
bool nl_open(const struct lux_msg *m);
bool nl_serve(const struct lux_msg *m, size_t n);

/* sock.c: answer one request m (n bytes of payload) about the sockets. */
struct lux_msg;
void sock_serve(const struct lux_msg *m, size_t n);
/* sock.c: fail the kept requests whose timeout (SO_RCVTIMEO,
 * SO_SNDTIMEO) passed; the ms until the next one's, -1 for none. */
int sock_expire(void);

/* main.c: an interface's address or link changed. */
void net_changed(struct netif *n);
