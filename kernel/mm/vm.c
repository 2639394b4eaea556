/*
 * vm.c - user address spaces: areas (VMAs), demand-zero pages, copy on
 * write after fork, and the mmap/munmap/mprotect operations. Only
 * anonymous memory so far; file mappings arrive with the file servers.
 *
 * A private page shared after fork is mapped read-only in both
 * processes; the first write copies it unless its reference count shows
 * that nobody else holds it. MAP_SHARED areas are populated when created,
 * so fork can simply map the same pages in the child.
 */
#include "chan.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/proto.h>

/* The mmap area ends where the personality's stacks begin. */
#define MMAP_TOP LUX_PERSONA_STACKS

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm || arch_as_create(&mm->as) < 0) {
		kfree(mm);
		return NULL;
	}
	list_init(&mm->vmas);
	mutex_init(&mm->lock);
	mm->refs = 1;
	return mm;
}

static struct vma *vma_of(struct list *it)
{
	return container_of(it, struct vma, link);
}

struct vma *vma_find(struct mm *mm, uintptr_t addr)
{
	struct list *it;

	list_for_each(it,
		      &mm->vmas) if (vma_of(it)->start <= addr &&
				     addr < vma_of(it)->end) return vma_of(it);
	return NULL;
}

/* Insert a new area [start, end) like the area `like` (its protection,
 * sharing and object, at the object's page for start), keeping the list
 * sorted; NULL if out of memory. */
static struct vma *vma_insert(struct mm *mm, uintptr_t start, uintptr_t end,
			      const struct vma *like)
{
	struct vma *v = kzalloc(sizeof(*v));
	struct list *it;

	if (!v)
		return NULL;
	*v = *like;
	v->start = start;
	v->end = end;
	v->pgoff = like->pgoff + (start - like->start) / PAGE_SIZE;
	if (v->obj)
		file_get(v->obj);
	list_for_each(it, &mm->vmas) if (vma_of(it)->start > start) break;
	list_insert(&v->link, it->prev, it);
	return v;
}

/* Whether v is anonymous, private memory of protection prot. */
static bool vma_plain(const struct vma *v, unsigned prot)
{
	return v && !v->obj && !v->shared && v->prot == prot;
}

/*
 * Map [start, end) (free) as anonymous private memory of protection prot
 * by growing a neighbour of the same kind, as Linux merges them: true if
 * done. Without it a program that reserves its address space piece by
 * piece makes an area per piece, and every later call walks them all
 * (32,768 reservations of 1 GiB took 17 s, their munmaps 48 s).
 */
static bool vma_join(struct mm *mm, uintptr_t start, uintptr_t end,
		     unsigned prot)
{
	struct vma *lo = vma_find(mm, start - 1), *hi = vma_find(mm, end);

	if (!vma_plain(lo, prot))
		lo = NULL;
	if (!vma_plain(hi, prot))
		hi = NULL;
	if (lo && hi) { /* the hole between them is filled */
		lo->end = hi->end;
		list_remove(&hi->link);
		kfree(hi);
	} else if (lo)
		lo->end = end;
	else if (hi)
		hi->start = start;
	return lo || hi;
}

/* Split v at addr (inside it) so that no area straddles addr. */
static int vma_split(struct mm *mm, uintptr_t addr)
{
	struct vma *v = vma_find(mm, addr), *n;

	if (!v || v->start == addr)
		return 0;
	if (!(n = vma_insert(mm, addr, v->end, v)))
		return -ENOMEM;
	v->end = addr;
	return 0;
}

/* Pages unmapped but not yet given back: another CPU may still reach
 * them through its TLB until the flush. */
struct unmap_batch {
	struct arch_as *as;
	unsigned n, cleared; /* cleared: entries since the last flush */
	uint64_t pa[32];
};

/* Flush (if an entry went: an empty range, a PROT_NONE reservation's,
 * costs no shootdown) and give the pages back. */
static void unmap_flush(struct unmap_batch *b)
{
	if (b->cleared)
		arch_as_flush(b->as, 0);
	b->cleared = 0;
	while (b->n)
		pmm_unref(b->pa[--b->n]);
}

static void unmap_page(void *arg, uintptr_t va, uint64_t pa, unsigned prot)
{
	struct unmap_batch *b = arg;

	arch_umap(b->as, va, 0, PROT_NONE);
	b->cleared++;
	if (!(prot & PROT_DEVICE)) /* device memory is no RAM page */
		b->pa[b->n++] = pa;
	if (b->n == ARRAY_SIZE(b->pa))
		unmap_flush(b);
}

/* Unmap [start, end) (page aligned) and drop its areas. */
static int unmap_range(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct list *it, *next;

	if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
		return -ENOMEM;
	for (it = mm->vmas.next; it != &mm->vmas; it = next) {
		next = it->next;
		if (vma_of(it)->start >= start && vma_of(it)->end <= end) {
			list_remove(it);
			file_put(vma_of(it)->obj);
			kfree(vma_of(it));
		}
	}
	struct unmap_batch b = {&mm->as, 0, 0, {0}};
	arch_ufor_each(&mm->as, start, end, unmap_page, &b);
	unmap_flush(&b);
	return 0;
}

/* The highest free gap of len bytes ending at or below top, or 0. */
static uintptr_t find_gap(struct mm *mm, size_t len, uintptr_t top)
{
	struct list *it;

	for (it = mm->vmas.prev; it != &mm->vmas; it = it->prev) {
		if (vma_of(it)->end <= top - len && top - len >= PAGE_SIZE)
			return top - len;
		top = MIN(top, vma_of(it)->start);
	}
	return top - len >= PAGE_SIZE && top >= len ? top - len : 0;
}

static bool range_free(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct list *it;

	list_for_each(it, &mm->vmas) if (vma_of(it)->start < end &&
					 vma_of(it)->end > start) return false;
	return true;
}

/* Map page pa (a reference the caller passes on) at va: 0, or -ENOMEM
 * with the reference dropped. */
static int map_page(struct mm *mm, uintptr_t va, uint64_t pa, unsigned prot)
{
	if (arch_umap(&mm->as, va, pa, prot) == 0)
		return 0;
	if (!(prot & PROT_DEVICE))
		pmm_unref(pa);
	return -ENOMEM;
}

/* Give every page of [start, end) a zeroed page now (MAP_SHARED). */
static int populate(struct mm *mm, uintptr_t start, uintptr_t end,
		    unsigned prot)
{
	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		uint64_t pa = pmm_alloc();
		if (!pa)
			return -ENOMEM;
		memset(phys_to_virt(pa), 0, PAGE_SIZE);
		if (map_page(mm, va, pa, prot) < 0)
			return -ENOMEM;
	}
	return 0;
}

long vm_map(struct mm *mm, uintptr_t addr, size_t len, unsigned prot,
	    unsigned flags, struct file *obj, uint64_t pgoff)
{
	bool shared = (flags & 3) == MAP_SHARED;
	struct vma like = {.prot = prot, .shared = shared, .obj = obj};
	long r = 0;

	if (!len || (addr & (PAGE_SIZE - 1)) || (flags & 3) == 0 ||
	    (flags & 3) == 3 || (prot & ~(PROT_DEVICE | PROT_NOWRITE)) > 7 ||
	    ((prot & PROT_DEVICE) && !shared))
		return -EINVAL;
	if (len > USER_TOP)
		return -ENOMEM;
	if ((prot & (PROT_WRITE | PROT_DEVICE)) && (prot & PROT_EXEC))
		return -EACCES; /* W^X: see docs/syscalls.md */
	if (!(flags & MAP_ANONYMOUS) && !obj)
		return -EBADF; /* only memory objects can be mapped yet */
	len = ALIGN_UP(len, PAGE_SIZE);
	mutex_lock(&mm->lock);
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr + len > USER_TOP || addr + len < addr)
			r = -ENOMEM;
		else if (addr < PAGE_SIZE)
			r = -EPERM; /* page 0 stays unmapped */
		else if (!range_free(mm, addr, addr + len))
			r = (flags & MAP_FIXED)
				? unmap_range(mm, addr, addr + len)
				: -EEXIST;
	} else if (!addr || addr + len > MMAP_TOP ||
		   !range_free(mm, addr, addr + len)) {
		addr = find_gap(mm, len, MMAP_TOP);
		r = addr ? 0 : -ENOMEM;
	}
	like.start = addr;
	like.pgoff = pgoff;
	if (r == 0 &&
	    !(!obj && !shared && vma_join(mm, addr, addr + len, prot)) &&
	    !vma_insert(mm, addr, addr + len, &like))
		r = -ENOMEM;
	if (r == 0 && shared && !obj &&
	    (r = populate(mm, addr, addr + len, prot)) < 0)
		unmap_range(mm, addr, addr + len);
	mutex_unlock(&mm->lock);
	return r < 0 ? r : (long)addr;
}

long vm_unmap(struct mm *mm, uintptr_t addr, size_t len)
{
	long r;

	if ((addr & (PAGE_SIZE - 1)) || !len || addr + len > USER_TOP ||
	    addr + len < addr)
		return -EINVAL;
	mutex_lock(&mm->lock);
	r = unmap_range(mm, addr, ALIGN_UP(addr + len, PAGE_SIZE));
	mutex_unlock(&mm->lock);
	return r;
}

struct reprotect {
	struct arch_as *as;
	unsigned prot;
};

static void reprotect_page(void *arg, uintptr_t va, uint64_t pa, unsigned old)
{
	struct reprotect *r = arg;
	(void)old;
	arch_umap(r->as, va, pa, r->prot);
}

/* Present pages of private areas lose write permission whatever the new
 * protection: the next write fault decides between upgrading and
 * copying. */
long vm_protect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot)
{
	uintptr_t end = ALIGN_UP(addr + len, PAGE_SIZE), va;
	struct vma *v = NULL;
	unsigned dev = 0; /* PROT_DEVICE, PROT_NOWRITE if part of the range */
	long r = 0;

	if ((addr & (PAGE_SIZE - 1)) || end > USER_TOP || end < addr ||
	    prot > 7)
		return -EINVAL;
	if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
		return -EACCES;
	mutex_lock(&mm->lock);
	for (va = addr; va < end && (v = vma_find(mm, va)); va = v->end)
		dev |= v->prot & (PROT_DEVICE | PROT_NOWRITE);
	if (va < end)
		r = -ENOMEM; /* a hole in the range, as Linux says */
	else if (((dev & PROT_DEVICE) && (prot & PROT_EXEC)) ||
		 ((dev & PROT_NOWRITE) && (prot & PROT_WRITE)))
		r = -EACCES;
	else if (vma_split(mm, addr) < 0 || vma_split(mm, end) < 0)
		r = -ENOMEM;
	for (va = addr; !r && va < end; va = v->end) {
		v = vma_find(mm, va);
		v->prot = prot | (v->prot & (PROT_DEVICE | PROT_NOWRITE));
		struct reprotect rp = {
		    &mm->as, v->shared || !prot ? v->prot : prot & ~PROT_WRITE};
		arch_ufor_each(&mm->as, v->start, v->end, reprotect_page, &rp);
	}
	arch_as_flush(&mm->as, 0);
	mutex_unlock(&mm->lock);
	return r;
}

/* Resolve a fault at addr for access (one PROT_* bit): a zero page where
 * nothing is mapped yet, the object's page in an object's area (-ENXIO,
 * SIGBUS, past its end), a private copy (or just write permission) where
 * a write hits a page shared since fork or a private object mapping. */
static int fault_locked(struct mm *mm, uintptr_t addr, unsigned access)
{
	struct vma *v = vma_find(mm, addr);
	uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	unsigned prot;
	uint64_t pa, copy;

	if (!v)
		return -EFAULT;
	if (!(v->prot & access))
		return -EACCES;
	pa = arch_ulookup(&mm->as, va, &prot);
	if (pa && (prot & access))
		return 0;               /* another thread got here first */
	if (pa && access != PROT_WRITE) /* write stays off: copy on write */
		return arch_umap(&mm->as, va, pa,
				 v->shared ? v->prot : v->prot & ~PROT_WRITE);
	if (pa && (v->shared || pmm_refs(pa) == 1))
		return arch_umap(&mm->as, va, pa, v->prot);
	if (!pa && v->obj &&
	    !(pa = memobj_page(v->obj, v->pgoff + (va - v->start) / PAGE_SIZE)))
		return -ENXIO;
	if (pa && v->obj && (v->shared || access != PROT_WRITE))
		return map_page(mm, va, pa,
				v->shared ? v->prot : v->prot & ~PROT_WRITE);
	if (!(copy = pmm_alloc()))
		return -ENOMEM;
	if (pa)
		memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
	else
		memset(phys_to_virt(copy), 0, PAGE_SIZE);
	if (map_page(mm, va, copy, v->prot) < 0)
		return -ENOMEM;
	if (pa) { /* no thread on another CPU reads the old page any more */
		arch_as_flush(&mm->as, va);
		pmm_unref(pa);
	}
	return 0;
}

int vm_fault(uintptr_t addr, unsigned access)
{
	struct proc *p = current_proc();
	int r;

	if (!p || addr >= USER_TOP)
		return -EFAULT;
	mutex_lock(&p->mm->lock);
	r = fault_locked(p->mm, addr, access);
	mutex_unlock(&p->mm->lock);
	return r;
}

struct fork_area {
	struct mm *parent, *child;
	bool shared;
	int error;
};

/* Share a page with the child: read-only in both if private. */
static void fork_page(void *arg, uintptr_t va, uint64_t pa, unsigned prot)
{
	struct fork_area *f = arg;

	if (!f->shared)
		prot &= ~PROT_WRITE;
	if (!(prot & PROT_DEVICE) && !pmm_ref(pa)) {
		f->error = -ENOMEM;
		return;
	}
	if (arch_umap(&f->child->as, va, pa, prot) < 0) {
		if (!(prot & PROT_DEVICE))
			pmm_unref(pa);
		f->error = -ENOMEM;
		return;
	}
	arch_umap(&f->parent->as, va, pa, prot);
}

int mm_copy(struct mm *mm, struct mm *parent, uintptr_t lo, uintptr_t hi)
{
	struct fork_area f = {parent, mm, false, 0};
	struct list *it;

	mutex_lock(&parent->lock);
	list_for_each(it, &parent->vmas)
	{
		struct vma *v = vma_of(it);
		uintptr_t start = MAX(v->start, lo), end = MIN(v->end, hi);
		if (start >= end)
			continue;
		f.shared = v->shared;
		if (!vma_insert(mm, start, end, v))
			f.error = -ENOMEM;
		if (f.error)
			break;
		arch_ufor_each(&parent->as, start, end, fork_page, &f);
	}
	arch_as_flush(&parent->as, 0); /* its other threads write no more */
	mutex_unlock(&parent->lock);
	return f.error;
}

/* The child's copy of parent: all but the personality's stacks, which
 * only the parent's threads use (a fork is never made from inside the
 * personality; the child's thread maps its own slot at its first
 * reflected call). Copying them would make the parent's next reflected
 * call fault and copy its context block's page (+8 us on fork+wait). */
struct mm *mm_fork(struct mm *parent)
{
	struct mm *mm = mm_create();

	if (mm && (mm_copy(mm, parent, 0, LUX_PERSONA_STACKS) ||
		   mm_copy(mm, parent, LUX_PERSONA_STACKS_TOP, USER_TOP))) {
		mm_put(mm);
		return NULL;
	}
	if (mm)
		mm->persona_entry = parent->persona_entry;
	return mm;
}

void mm_put(struct mm *mm)
{
	if (__atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL))
		return;
	unmap_range(mm, 0, USER_TOP);
	arch_as_destroy(&mm->as);
	kfree(mm);
}

int vm_fill(struct mm *mm, uintptr_t addr, const void *src, size_t len)
{
	const char *s = src;

	mutex_lock(&mm->lock);
	for (size_t done = 0, n; done < len; done += n) {
		uintptr_t va = addr + done;
		unsigned prot;
		n = MIN(len - done, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
		if (fault_locked(mm, va, PROT_READ) < 0) {
			mutex_unlock(&mm->lock);
			return -EFAULT;
		}
		memcpy((char *)phys_to_virt(arch_ulookup(&mm->as, va, &prot)) +
			   (va & (PAGE_SIZE - 1)),
		       s + done, n);
	}
	mutex_unlock(&mm->lock);
	return 0;
}

/* A descriptor is mapped if it names a memory object, or a server's file
 * whose server hands one (LUX_MAP; else ENODEV, as Linux says of a file
 * that cannot be mapped), with Linux's access rules: readable, and open
 * for writing for a shared writable mapping, which mprotect keeps. A
 * server's file whose server hands none is the personality's (a private
 * copy: user/persona/mmap.c). */
long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
	struct file *f = NULL, *o = NULL;
	unsigned acc = 0, ro = 0;
	long r = 0;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!(flags & MAP_ANONYMOUS) && !(f = fd_get(fd)))
		return -EBADF;
	acc = f ? f->flags & (O_ACCMODE | O_PATH) : O_RDWR;
	ro = (flags & 3) == MAP_SHARED && acc != O_RDWR ? PROT_NOWRITE : 0;
	if (f && rfile_info(f, NULL, NULL, NULL))
		r = (acc & O_PATH)                                   ? -EBADF
		    : acc == O_WRONLY || (ro && (prot & PROT_WRITE)) ? -EACCES
		    : (o = rfile_map(f, &r))                         ? 0
								     : r;
	else if (f && memobj_size(f, NULL))
		file_get(o = f);
	r = r            ? r
	    : f && !o    ? -ENODEV
	    : prot & ~7L ? -EINVAL
			 : vm_map(current_proc()->mm, addr, len,
				  prot | ro | (o ? memobj_prot(o) : 0), flags,
				  o, (uint64_t)off / PAGE_SIZE);
	file_put(o);
	if (r == -ENODEV && (r = persona_reflect()) == -ENOSYS)
		r = -ENODEV;
	file_put(f);
	return r;
}

long sys_munmap(long addr, long len)
{
	return vm_unmap(current_proc()->mm, addr, len);
}

long sys_mprotect(long addr, long len, long prot)
{
	return vm_protect(current_proc()->mm, addr, len, prot);
}

/* MADV_DONTNEED drops private pages (they read back as zeros); other
 * advice is only advice. The work goes by area, never by page of the
 * range: a range may span all of user space. ENOMEM if part of the range
 * is not mapped (the mapped parts are done), as on Linux. */
long sys_madvise(long addr, long len, long advice)
{
	struct mm *mm = current_proc()->mm;
	uintptr_t start = addr, end = ALIGN_UP(start + len, PAGE_SIZE);
	uintptr_t mapped = 0;
	struct list *it;

	if ((start & (PAGE_SIZE - 1)) || end > USER_TOP || end < start)
		return -EINVAL;
	struct unmap_batch b = {&mm->as, 0, 0, {0}};
	mutex_lock(&mm->lock);
	list_for_each(it, &mm->vmas)
	{
		struct vma *v = vma_of(it);
		uintptr_t from = MAX(v->start, start), to = MIN(v->end, end);
		if (from >= to)
			continue;
		mapped += to - from;
		if (!v->shared && advice == MADV_DONTNEED)
			arch_ufor_each(&mm->as, from, to, unmap_page, &b);
	}
	unmap_flush(&b);
	mutex_unlock(&mm->lock);
	return mapped == end - start ? 0 : -ENOMEM;
}
