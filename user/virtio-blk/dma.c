/*
 * dma.c - memory a device can reach: a memory object (memfd) mapped
 * shared, whose pages lux never moves, with each page's physical address
 * from LUX_NR_DMA (needs lumen's LUX_GRANT_DMA grant). The pages go with
 * the process.
 */
#define _GNU_SOURCE
#include "virtio.h"
#include <lux.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void *dma_alloc(size_t size, uint64_t **pa)
{
	int fd = memfd_create("dma", MFD_CLOEXEC);
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
