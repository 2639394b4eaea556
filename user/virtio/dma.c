/*
 * dma.c - memory a device can reach: a memory object mapped shared, whose
 * pages lux never moves, with each page's physical address from
 * LUX_NR_DMA (needs lumen's LUX_GRANT_DMA grant). The object is the one
 * lumen keeps for this driver (descriptor 4), so that a device that goes
 * on writing after its driver died writes into it, never into freed
 * memory; the next instance resets the device and takes the same pages.
 * Without it (a driver started by hand), a memfd of its own.
 */
#define _GNU_SOURCE
#include "virtio.h"
#include <lux.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

void *dma_alloc(size_t size, uint64_t **pa)
{
	int fd = fcntl(LUX_SERVER_FD + 1, F_GETFD) >= 0
		     ? LUX_SERVER_FD + 1
		     : memfd_create("dma", MFD_CLOEXEC);
	void *p = MAP_FAILED;
	size_t n = (size + 4095) / 4096;

	*pa = malloc(n * sizeof(**pa));
	if (fd >= 0 && *pa && ftruncate(fd, n * 4096) == 0)
		p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
	for (size_t i = 0; p != MAP_FAILED && i < n; i++) {
		long phys = lux_dma(fd, i * 4096);
		if (phys < 0) {
			munmap(p, n * 4096);
			p = MAP_FAILED;
		}
		(*pa)[i] = phys;
	}
	if (fd >= 0)
		close(fd); /* the mapping keeps the pages */
	return p == MAP_FAILED ? NULL : p;
}
