/*
 * net.h - the TCP/IP server (docs/network.md): lwIP 2.1.3 (NO_SYS=1,
 * user/lwip/) run by one thread's event loop (main.c) over a network
 * driver's frame interface (link.c).
 */
#pragma once

#include "lwip/netif.h"

/* link.c: the Ethernet interface on device dev (/dev/net0): -1 when it
 * cannot be opened (the server then has loopback only), else 0 with
 * DHCP started. link_fd is the descriptor to wait on for frames (-1
 * while the driver is down; each call tries to open it again);
 * link_input gives lwIP every frame waiting there. */
int link_start(const char *dev);
int link_fd(void);
void link_input(void);

/* sock.c: answer one request m (n bytes of payload) about the sockets. */
struct lux_msg;
void sock_serve(const struct lux_msg *m, size_t n);
/* sock.c: fail the kept requests whose timeout (SO_RCVTIMEO,
 * SO_SNDTIMEO) passed; the ms until the next one's, -1 for none. */
int sock_expire(void);

/* main.c: an interface's address or link changed. */
void net_changed(struct netif *n);
