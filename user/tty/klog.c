/*
 * klog.c - the kernel's log lines, printed between the terminal's own
 * lines (klog.h).
 */
#define _GNU_SOURCE
#include "klog.h"
#include <lux/proto.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KLOG_HOLD_MS 1000

static char pending[4096]; /* read from the kernel, not yet queued */
static size_t npending;

int klog_open(void)
{
	return (int)syscall(LUX_NR_KLOG);
}

void klog_read(int fd)
{
	long n;

	while (npending < sizeof(pending) &&
	       (n = read(fd, pending + npending, sizeof(pending) - npending)) >
		   0)
		npending += n;
}

int klog_flush(struct ldisc *ld, uint64_t now, uint64_t last_out)
{
	char *end = memrchr(pending, '\n', npending);
	size_t len = end ? (size_t)(end - pending) + 1 : 0;

	if (npending == sizeof(pending) && !len)
		len = npending; /* no line end in a full buffer: all of it */
	if (!len)
		return -1;
	if (ld->col && now < last_out + KLOG_HOLD_MS)
		return (int)(last_out + KLOG_HOLD_MS - now);
	if (ldisc_out_room(ld) < len + 2)
		return -1; /* the transmit interrupt brings us back */
	if (ld->col)
		ldisc_write(ld, "\n", 1);
	ldisc_write(ld, pending, len);
	memmove(pending, pending + len, npending - len);
	npending -= len;
	return -1;
}
