/*
 * vmmio.c - finding the virtio-mmio devices that drivers of the service
 * table ask for (virtio-mmio=ID@BASE:SLOTS:IRQ: the next device with
 * virtio device id ID among SLOTS slots of 0x200 bytes from BASE, slot n
 * interrupting on line IRQ + n, as QEMU's virt machine lays them out)
 * and turning each into the grants its driver needs: the page of its
 * registers, its line and DMA, with the memory object for the DMA memory
 * that lumen keeps across restarts (as pci.c does for PCI functions).
 * lumen reads the slots' identification registers itself (it grants
 * itself the range); the driver gets only its device's page. Slots are
 * taken from the last one down: QEMU fills them in that order, so the
 * first -device on its command line is the first line's.
 */
#define _GNU_SOURCE
#include "lumen.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STRIDE      0x200      /* bytes between slots */
#define MMIO_MAGIC  0x74726976 /* "virt" */
#define REG(p, off) (*(volatile uint32_t *)((p) + (off)))

static uint64_t taken[SVC_MAX]; /* slots given to a driver: their address */
static int ntaken;

/* The slots [base, base + len) mapped for lumen (read only): NULL
 * (errno) on failure. The last bus mapped stays mapped. */
static volatile uint8_t *bus_map(uint64_t base, uint64_t len)
{
	static volatile uint8_t *bus;
	static uint64_t bus_base, bus_len;
	uint64_t start = base & ~4095ULL, end = (base + len + 4095) & ~4095ULL;
	void *p;
	int fd;

	if (bus && bus_base == base && bus_len == len)
		return bus;
	if (lux_grant(1, LUX_GRANT_MMIO, start, end - start) < 0 ||
	    (fd = lux_mmio(start, end - start)) < 0)
		return NULL;
	p = mmap(NULL, end - start, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	bus_base = base, bus_len = len;
	return bus = (volatile uint8_t *)p + (base - start);
}

static bool is_taken(uint64_t phys)
{
	for (int i = 0; i < ntaken; i++)
		if (taken[i] == phys)
			return true;
	return false;
}

/* Give s the device at phys on line irq: its grants, a DMA memory object
 * (s->state_fd) and the driver's two arguments. */
static int give(struct svc *s, uint64_t phys, int irq)
{
	static char args[SVC_MAX][2][24];
	struct svc_conf *c = &s->conf;
	int n = 0, fd;

	while (c->argv[n])
		n++;
	if (n + 2 > SVC_ARGS || c->ngrants + 3 > SVC_GRANTS ||
	    ntaken == SVC_MAX)
		return -E2BIG;
	if ((fd = memfd_create("dma", MFD_CLOEXEC)) < 0)
		return -errno;
	s->state_fd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	if (s->state_fd < 0)
		return -errno;
	c->grants[c->ngrants++] =
	    (struct grant){LUX_GRANT_MMIO, phys & ~4095ULL, 4096};
	c->grants[c->ngrants++] = (struct grant){LUX_GRANT_IRQ, irq, 1};
	c->grants[c->ngrants++] = (struct grant){LUX_GRANT_DMA, 0, 0};
	snprintf(args[ntaken][0], sizeof(args[0][0]), "0x%llx",
		 (unsigned long long)phys);
	snprintf(args[ntaken][1], sizeof(args[0][1]), "%d", irq);
	c->argv[n] = args[ntaken][0];
	c->argv[n + 1] = args[ntaken][1];
	taken[ntaken++] = phys;
	return 0;
}

int vmmio_resolve(struct svc *s)
{
	struct svc_conf *c = &s->conf;
	volatile uint8_t *bus;
	int i;

	for (i = 0; i < c->ngrants && c->grants[i].kind != GRANT_VMMIO; i++)
		;
	if (i == c->ngrants)
		return 0;
	struct grant g = c->grants[i];
	unsigned id = VMMIO_ID(g.count), slots = VMMIO_SLOTS(g.count);
	c->grants[i] = c->grants[--c->ngrants]; /* the pseudo-grant goes */
	if (!(bus = bus_map(g.base, (uint64_t)slots * STRIDE)))
		return -errno;
	for (unsigned n = slots; n-- > 0;) {
		volatile uint8_t *r = bus + n * STRIDE;
		uint64_t phys = g.base + n * STRIDE;
		if (REG(r, 0) != MMIO_MAGIC || REG(r, 8) != id ||
		    is_taken(phys))
			continue;
		if (REG(r, 4) == 2)
			return give(s, phys, VMMIO_IRQ(g.count) + n);
		lumen_log("%s: virtio-mmio device at %#llx is legacy (version "
			  "%u): not driven",
			  c->name, (unsigned long long)phys, REG(r, 4));
		if (ntaken < SVC_MAX) /* said once */
			taken[ntaken++] = phys;
	}
	return -ENODEV;
}
