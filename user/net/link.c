/*
 * link.c - lwIP's Ethernet interface over a network driver's frame
 * interface (/dev/net0, docs/network.md): frames lwIP sends are written
 * whole, one write each; frames the driver received are read when its
 * descriptor is readable and given to lwIP. When the driver dies (EIO)
 * the interface goes down and the device is opened again at each timer
 * tick until the restarted driver answers; its address is kept.
 */
#include "net.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "netif/ethernet.h"
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <lux.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define FRAME_MAX 1514

static struct netif eth;
static int eth_fd = -1;
static const char *eth_dev;
static struct link_stats stats;

void link_stats(struct link_stats *st)
{
	*st = stats;
}

/* lwIP's output: the pbuf chain p as one frame, written from the pbuf
 * when it is one piece, else gathered first. */
static err_t eth_output(struct netif *n, struct pbuf *p)
{
	static char frame[FRAME_MAX];
	const void *data = p->payload;
	u16_t len = p->len;

	(void)n;
	if (eth_fd < 0)
		return ERR_IF;
	if (p->next) {
		len = pbuf_copy_partial(p, frame, sizeof(frame), 0);
		data = frame;
	}
	if (write(eth_fd, data, len) != len) {
		stats.tx_errors++;
		return ERR_IF;
	}
	stats.tx_packets++;
	stats.tx_bytes += len;
	return ERR_OK;
}

static err_t eth_init(struct netif *n)
{
	n->name[0] = 'e';
	n->name[1] = 'n';
	n->mtu = FRAME_MAX - 14;
	n->hwaddr_len = 6;
	n->flags =
	    NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	n->output = etharp_output;
	n->linkoutput = eth_output;
	return ERR_OK;
}

/* Open the device into eth_fd, its MAC and link state into *info:
 * whether it worked. */
static bool eth_open(struct lux_netinfo *info)
{
	if ((eth_fd = open(eth_dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0)
		return false;
	if (ioctl(eth_fd, LUX_NETINFO, info) == 0)
		return true;
	close(eth_fd);
	eth_fd = -1;
	return false;
}

int link_start(const char *dev)
{
	struct lux_netinfo info;

	eth_dev = dev;
	if (!eth_open(&info)) {
		eth_dev = NULL; /* no device: loopback only */
		return -1;
	}
	if (!netif_add_noaddr(&eth, NULL, eth_init, ethernet_input))
		return -1;
	memcpy(eth.hwaddr, info.mac, 6);
	netif_set_status_callback(&eth, net_changed);
	netif_set_default(&eth);
	if (info.flags & LUX_NETINFO_LINK)
		netif_set_link_up(&eth);
	netif_set_up(&eth);
	dhcp_start(&eth);
	return 0;
}

int link_fd(void)
{
	struct lux_netinfo info;

	/* the driver is being restarted: the same device, so the same MAC */
	if (eth_fd < 0 && eth_dev && eth_open(&info) &&
	    (info.flags & LUX_NETINFO_LINK))
		netif_set_link_up(&eth);
	return eth_fd;
}

/* Read one frame into a new pbuf: straight into it when a pool buffer
 * holds a whole frame (lwipopts.h's sizes make it so), else through a
 * buffer. n: the read's result; NULL if no frame. */
static struct pbuf *frame_read(ssize_t *n)
{
	static char frame[FRAME_MAX];
	struct pbuf *p = pbuf_alloc(PBUF_RAW, FRAME_MAX, PBUF_POOL);
	bool direct = p && !p->next;

	*n = read(eth_fd, direct ? p->payload : frame, FRAME_MAX);
	if (*n <= 0 || !p) {
		if (p)
			pbuf_free(
			    p); /* none, or dropped as a full queue would */
		return NULL;
	}
	if (!direct)
		pbuf_take(p, frame, (u16_t)*n);
	stats.rx_packets++;
	stats.rx_bytes += *n;
	pbuf_realloc(p, (u16_t)*n);
	return p;
}

void link_input(void)
{
	struct pbuf *p;
	ssize_t n = 0;

	while (eth_fd >= 0 && ((p = frame_read(&n)) || n > 0))
		if (p && eth.input(p, &eth) != ERR_OK)
			pbuf_free(p);
	if (eth_fd >= 0 && n < 0 && errno != EAGAIN && errno != EINTR) {
		close(eth_fd); /* the driver died: EIO */
		eth_fd = -1;
		netif_set_link_down(&eth);
	}
}
