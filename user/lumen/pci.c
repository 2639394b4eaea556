/*
 * pci.c - finding the PCI functions that drivers of the service table ask
 * for (pci=VENDOR:DEVICE) and turning each into the grants its driver
 * needs: its configuration page (ECAM, where the firmware's MCFG says:
 * LUX_NR_HWINFO), its memory BARs, an MSI interrupt line of its own and
 * DMA, with the memory object for the DMA memory, which lumen keeps
 * across restarts. lumen reads bus 0's configuration space itself (it
 * grants itself the range); the driver gets only its function's page.
 */
#define _GNU_SOURCE
#include "lumen.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUS_BYTES (32 * 8 * 4096) /* one bus: 32 devices of 8 functions */

static volatile uint8_t *ecam; /* bus 0, mapped on first use */
static uint64_t ecam_phys;
static uint32_t taken[32 * 8]; /* functions given to a driver: 1 */
static int next_msi = LUX_IRQ_MSI;

#define CFG32(f, o) (*(volatile uint32_t *)(ecam + (f)*4096 + (o)))
#define CFG16(f, o) (*(volatile uint16_t *)(ecam + (f)*4096 + (o)))

static int ecam_map(void)
{
	uint64_t info[2];
	int fd;
	void *p;

	if (ecam)
		return 0;
	if (lux_hwinfo(LUX_HW_ECAM, 0, info) < 0 ||
	    lux_grant(1, LUX_GRANT_MMIO, info[0], BUS_BYTES) < 0 ||
	    (fd = lux_mmio(info[0], BUS_BYTES)) < 0)
		return -errno;
	p = mmap(NULL, BUS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	ecam = p;
	ecam_phys = info[0];
	return 0;
}

/* The size of BAR i of function f (0 if none or I/O), probed while the
 * device's memory decoding is off (give); *wide for a 64-bit one. */
static uint64_t bar_size(unsigned f, unsigned i, bool *wide)
{
	uint32_t lo = CFG32(f, 0x10 + 4 * i), hi = 0;
	uint64_t mask;

	*wide = (lo & 7) == 4 && i < 5;
	if (lo & 1)
		return 0;
	CFG32(f, 0x10 + 4 * i) = ~0u;
	mask = CFG32(f, 0x10 + 4 * i) & ~0xfu;
	CFG32(f, 0x10 + 4 * i) = lo;
	if (*wide) {
		hi = CFG32(f, 0x14 + 4 * i);
		CFG32(f, 0x14 + 4 * i) = ~0u;
		mask |= (uint64_t)CFG32(f, 0x14 + 4 * i) << 32;
		CFG32(f, 0x14 + 4 * i) = hi;
	} else {
		mask |= ~0ULL << 32;
	}
	return mask ? ~mask + 1 : 0;
}

/* Add grant (kind, base, count) to c: false when c is full. */
static bool add(struct svc_conf *c, int kind, uint64_t base, uint64_t count)
{
	if (c->ngrants == SVC_GRANTS)
		return false;
	c->grants[c->ngrants++] = (struct grant){kind, base, count};
	return true;
}

/* Give c function f: its grants and the driver's two arguments. */
static int give(struct svc_conf *c, unsigned f)
{
	static char args[32 * 8][2][24];
	int n = 0, msi = next_msi;
	bool wide, ok = true;

	while (c->argv[n])
		n++;
	if (n + 2 > SVC_ARGS || msi >= 64)
		return -E2BIG;
	ok = add(c, LUX_GRANT_MMIO, ecam_phys + f * 4096, 4096) &&
	     add(c, LUX_GRANT_IRQ, msi, 1) && add(c, LUX_GRANT_DMA, 0, 0);
	/* Decoding off once for all BARs: each switch changes the machine's
	 * memory map, which QEMU 7.2's multi-threaded TCG races with other
	 * CPUs' device accesses (docs/troubleshooting.md). */
	uint16_t cmd = CFG16(f, 4);
	CFG16(f, 4) = cmd & ~2u;
	for (unsigned i = 0; ok && i < 6; i += wide ? 2 : 1) {
		uint64_t size = bar_size(f, i, &wide), base;
		base = CFG32(f, 0x10 + 4 * i) & ~0xfULL;
		if (wide)
			base |= (uint64_t)CFG32(f, 0x14 + 4 * i) << 32;
		if (size && base)
			ok = add(c, LUX_GRANT_MMIO, base, size);
	}
	CFG16(f, 4) = cmd;
	if (!ok)
		return -E2BIG;
	snprintf(args[f][0], sizeof(args[f][0]), "0x%llx",
		 (unsigned long long)(ecam_phys + f * 4096));
	snprintf(args[f][1], sizeof(args[f][1]), "%d", msi);
	c->argv[n] = args[f][0];
	c->argv[n + 1] = args[f][1];
	taken[f] = 1;
	next_msi++;
	return 0;
}

int pci_resolve(struct svc *s)
{
	struct svc_conf *c = &s->conf;
	int i, r, fd;

	for (i = 0; i < c->ngrants && c->grants[i].kind != GRANT_PCI; i++)
		;
	if (i == c->ngrants)
		return 0;
	uint32_t id = c->grants[i].base;
	c->grants[i] = c->grants[--c->ngrants]; /* the pseudo-grant goes */
	if ((r = ecam_map()) < 0)
		return r;
	for (unsigned f = 0; f < 32 * 8; f++) {
		uint32_t v = CFG32(f, 0);
		if (!taken[f] && (v & 0xffff) == id >> 16 &&
		    v >> 16 == (id & 0xffff)) {
			if ((fd = memfd_create("dma", MFD_CLOEXEC)) < 0)
				return -errno;
			s->state_fd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
			close(fd);
			return s->state_fd < 0 ? -errno : give(c, f);
		}
		/* Functions 1-7 only where function 0 says the device has
		 * them (header type bit 7): each page read is a fault. */
		if (!(f & 7) &&
		    ((v & 0xffff) == 0xffff || !(CFG32(f, 0xc) & 0x800000)))
			f |= 7;
	}
	return -ENODEV;
}
