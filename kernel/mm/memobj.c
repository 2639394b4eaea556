/*
 * memobj.c - memory objects: pages with no file behind them that outlive
 * any one mapping, named by a descriptor (memfd_create), so that they pass
 * by SCM_RIGHTS, are inherited by fork and go with the last close and the
 * last mapping. Every MAP_SHARED mapping of an object, in any process,
 * maps the same pages; ftruncate sets the size. Pages are made, zeroed,
 * on first touch; a touch past the end is SIGBUS (vm.c). What shared
 * memory, file mapping and restartable servers' state are built on.
 *
 * Shrinking takes the pages past the end out of the object; a mapping
 * that already had one keeps it (detached) until it is unmapped, where
 * Linux would unmap it: a process sees only memory it already had.
 */
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/fcntl.h>
#include <lux/proto.h>

#define MFD_CLOEXEC       1
#define MFD_ALLOW_SEALING 2 /* accepted; no seal is ever set */

struct memobj {
	struct mutex lock;
	uint64_t size;   /* bytes */
	size_t npages;   /* slots in pages: the size in whole pages */
	uint64_t *pages; /* physical address of page i, 0 if not made yet */
	uint64_t phys;   /* device memory (LUX_NR_MMIO): its base, no pages */
};

/* Pages held by all memory objects, their page arrays (a page per 512
 * pages of size) included: at most half of memory, as tmpfs (a soft
 * bound: CPUs that race past it add a page each). */
static long memobj_pages;

/* Take o's pages from index n on out of it (o->lock held, or o unused). */
static void memobj_cut(struct memobj *o, size_t n)
{
	for (size_t i = n; i < o->npages; i++)
		if (o->pages[i]) {
			pmm_unref(o->pages[i]);
			__atomic_sub_fetch(&memobj_pages, 1, __ATOMIC_RELAXED);
		}
}

/* Count delta more pages against the allowance: false (and nothing
 * counted) if it would pass it. */
static bool memobj_charge(long delta)
{
	if (__atomic_add_fetch(&memobj_pages, delta, __ATOMIC_RELAXED) <=
		(long)pmm_total_pages() / 2 ||
	    delta <= 0)
		return true;
	__atomic_sub_fetch(&memobj_pages, delta, __ATOMIC_RELAXED);
	return false;
}

static void memobj_release(struct file *f)
{
	struct memobj *o = f->priv;

	memobj_charge(-(long)(o->npages / 512));
	memobj_cut(o, 0);
	kfree(o->pages);
	kfree(o);
}

static const struct file_ops memobj_ops = {.release = memobj_release};

bool memobj_size(struct file *f, uint64_t *size)
{
	if (f->ops == &memobj_ops && size)
		*size = ((struct memobj *)f->priv)->size;
	return f->ops == &memobj_ops;
}

unsigned memobj_prot(struct file *f)
{
	return ((struct memobj *)f->priv)->phys ? PROT_DEVICE : 0;
}

uint64_t memobj_page(struct file *f, uint64_t i)
{
	struct memobj *o = f->priv;
	uint64_t pa = 0;

	if (o->phys)
		return i < o->size / PAGE_SIZE ? o->phys + i * PAGE_SIZE : 0;
	mutex_lock(&o->lock);
	if (i < o->npages && !(pa = o->pages[i]) && memobj_charge(1)) {
		if ((pa = o->pages[i] = pmm_alloc()))
			memset(phys_to_virt(pa), 0, PAGE_SIZE);
		else
			memobj_charge(-1);
	}
	if (pa && !pmm_ref(pa))
		pa = 0; /* mapped 65,535 times: no more */
	mutex_unlock(&o->lock);
	return pa;
}

long memobj_resize(struct file *f, uint64_t size)
{
	struct memobj *o = f->priv;
	size_t n = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	uint64_t *pages = NULL;
	long delta;

	if (o->phys)
		return -EINVAL;
	if (size > pmm_total_pages() * PAGE_SIZE)
		return -EFBIG;
	mutex_lock(&o->lock);
	delta = (long)(n / 512) - (long)(o->npages / 512);
	if (memobj_charge(delta) &&
	    !(pages = kzalloc((n + 1) * sizeof(*pages))))
		__atomic_sub_fetch(&memobj_pages, delta, __ATOMIC_RELAXED);
	if (!pages) {
		mutex_unlock(&o->lock);
		return -ENOMEM;
	}
	memobj_cut(o, n);
	memcpy(pages, o->pages, MIN(n, o->npages) * sizeof(*pages));
	if (size % PAGE_SIZE && pages[n - 1]) /* the tail reads as zeros */
		memset((char *)phys_to_virt(pages[n - 1]) + size % PAGE_SIZE, 0,
		       PAGE_SIZE - size % PAGE_SIZE);
	kfree(o->pages);
	o->pages = pages;
	o->npages = n;
	o->size = size;
	mutex_unlock(&o->lock);
	return 0;
}

/* A new object of size bytes, device memory at phys (0: RAM), as a
 * descriptor: fd or -errno. */
static long memobj_new(uint64_t phys, uint64_t size, bool cloexec)
{
	struct memobj *o = kzalloc(sizeof(*o));
	struct file *f = o ? file_alloc(&memobj_ops, o, O_RDWR) : NULL;
	int fd;

	if (!f) {
		kfree(o);
		return -ENOMEM;
	}
	mutex_init(&o->lock);
	o->phys = phys;
	o->size = size;
	f->mode = 0100777; /* S_IFREG, as Linux shows a memfd */
	if ((fd = fd_install(f, 0, cloexec)) < 0)
		file_put(f);
	return fd;
}

/* memfd_create: a new, empty object (the name is only a label Linux shows
 * in /proc; lux keeps none). */
long sys_memfd_create(long uname, long flags)
{
	(void)uname;
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING))
		return -EINVAL;
	return memobj_new(0, 0, flags & MFD_CLOEXEC);
}

/* LUX_NR_MMIO: device memory the caller was granted, as an object. */
long sys_lux_mmio(long phys, long len)
{
	if (((phys | len) & (PAGE_SIZE - 1)) || len <= 0 || !phys)
		return -EINVAL;
	if (!granted(LUX_GRANT_MMIO, phys, len))
		return -EPERM;
	return memobj_new(phys, len, true);
}

/* LUX_NR_DMA: the physical address of a page of a RAM object. */
long sys_lux_dma(long fd, long off)
{
	struct file *f = fd_get((int)fd);
	uint64_t size, pa = 0;
	long r = -EINVAL;

	if (!granted(LUX_GRANT_DMA, 0, 0) || !f) {
		file_put(f);
		return f ? -EPERM : -EBADF;
	}
	if (memobj_size(f, &size) && !memobj_prot(f) && off >= 0 &&
	    (uint64_t)off < size)
		r = (pa = memobj_page(f, off / PAGE_SIZE)) ? (long)pa : -ENOMEM;
	if (pa)
		pmm_unref(pa); /* the object keeps its own reference */
	file_put(f);
	return r;
}

/* fallocate(fd, mode, off, len) on a memory object: make the pages of
 * [off, off + len) now (mode 0 also grows the object to off + len;
 * FALLOC_FL_KEEP_SIZE stops at its end), so that touching them later
 * cannot fail; ENOSPC when the allowance or memory is spent. Other files
 * do not support it (EOPNOTSUPP). */
long sys_fallocate(long fd, long mode, long off, long len)
{
	struct file *f = fd_get((int)fd);
	uint64_t size, end = (uint64_t)off + (uint64_t)len;
	long r = 0;

	if (!f)
		return -EBADF;
	if (!memobj_size(f, &size) || memobj_prot(f))
		r = -EOPNOTSUPP;
	else if (off < 0 || len <= 0 || (long)end < off)
		r = -EINVAL;
	else if (mode & ~1L) /* FALLOC_FL_KEEP_SIZE only */
		r = -EOPNOTSUPP;
	else if (!mode && end > size && !(r = memobj_resize(f, end)))
		size = end;
	for (uint64_t i = off / PAGE_SIZE; !r && i * PAGE_SIZE < MIN(end, size);
	     i++) {
		uint64_t pa = memobj_page(f, i);
		if (!pa)
			r = -ENOSPC;
		else
			pmm_unref(pa);
	}
	file_put(f);
	return r;
}
