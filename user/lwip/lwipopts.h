/*
 * lwipopts.h - lux's configuration of lwIP 2.1.3 (docs/network.md): the
 * raw API with NO_SYS=1, driven by one thread's event loop (the TCP/IP
 * server's), so lwIP needs no threads, semaphores or mailboxes of ours,
 * and none of its locks. IPv4 with TCP, UDP, ICMP, ARP, DHCP, DNS and
 * the loopback interface; no sequential or socket API of lwIP's own (the
 * server answers the personality's socket requests itself).
 */
#pragma once

#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN         0
#define LWIP_SOCKET          0
#define LWIP_TIMERS          1

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP  1
#define LWIP_ICMP 1
#define LWIP_RAW  1
#define LWIP_UDP  1
#define LWIP_TCP  1
#define LWIP_DHCP 1
#define LWIP_DNS  1
#define LWIP_IGMP 0

#define LWIP_HAVE_LOOPIF           1 /* 127.0.0.1 with no device */
#define LWIP_NETIF_LOOPBACK        1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK   1
#define LWIP_NETIF_HOSTNAME        1

/* Memory: lwIP's own heap and pools, in the server's .bss. The heap's
 * pages are touched only as used; lwIP links every pool's elements at
 * start, so pools cost their whole size in every boot: kept small until
 * the socket API's benchmarks say otherwise (docs/network.md). */
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (1024 * 1024)
#define MEMP_NUM_PBUF           64
#define MEMP_NUM_TCP_PCB        256 /* user/net/sock.c: 3/4 of each for one uid */
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_UDP_PCB        64
#define MEMP_NUM_TCP_SEG        256
#define PBUF_POOL_SIZE          64
#define PBUF_POOL_BUFSIZE       1536 /* a frame: user/net/link.c reads into one */
#define TCP_MSS                 1460
#define TCP_WND                 (32 * TCP_MSS)
#define TCP_SND_BUF             (32 * TCP_MSS)
#define TCP_SND_QUEUELEN        (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG      1

#define DNS_MAX_SERVERS 2
#define LWIP_STATS      0
