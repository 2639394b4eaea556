/*
 * persona.c - reflection: a Linux call the kernel does not serve goes to
 * the process's personality, user-space code that exec maps into every
 * process at LUX_PERSONA_BASE (docs/decisions/0006-reflection.md).
 *
 * The upcall is a signal delivery: the thread's registers go into a Linux
 * signal frame on its personality stack (not its FPU state: the
 * personality uses no FPU or vector register), the personality runs at
 * its entry with every signal blocked, and resumes the program with
 * rt_sigreturn, which restores the program's registers (the result in the
 * return register) and its signal mask.
 */
#include "exec.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/proto.h>

static const void *persona_image;
static size_t persona_size;
static struct file *persona_obj; /* the image's bytes, shared read-only */

/* Copy the image into a memory object, so that every exec maps its
 * read-only segments without copying them (NULL if out of memory: then
 * they are copied at each exec). */
static struct file *persona_object(void)
{
	struct file *f = memobj_create(true);

	if (f && memobj_resize(f, persona_size) < 0) {
		file_put(f);
		return NULL;
	}
	for (size_t i = 0; f && i * PAGE_SIZE < persona_size; i++) {
		uint64_t pa = memobj_page(f, i);
		size_t n = MIN(persona_size - i * PAGE_SIZE, PAGE_SIZE);
		if (!pa) {
			file_put(f);
			return NULL;
		}
		memcpy(phys_to_virt(pa),
		       (const char *)persona_image + i * PAGE_SIZE, n);
		pmm_unref(pa);
	}
	return f;
}

void persona_init(void)
{
	uint32_t mode;

	if (cpio_find(initrd, initrd_size, "lib/lux/persona", &persona_image,
		      &persona_size, &mode) < 0) {
		persona_image = NULL;
		kprintf("lux: no /lib/lux/persona: calls the kernel lacks "
			"fail with ENOSYS\n");
		return;
	}
	persona_obj = persona_object();
}

int persona_map(struct mm *mm)
{
	struct elf_info e, copied;
	int r;

	if (!persona_image)
		return 0;
	if ((r = elf_parse(persona_image, persona_size, ARCH_ELF_MACHINE, &e)))
		return r;
	copied = e;
	copied.nseg = 0;
	for (unsigned i = 0; i < e.nseg; i++) {
		const struct elf_segment *s = &e.seg[i];
		uintptr_t start = ALIGN_DOWN(s->vaddr, PAGE_SIZE);
		if (!persona_obj || (s->prot & ELF_PROT_W) ||
		    (s->offset - s->vaddr) % PAGE_SIZE ||
		    s->filesz != s->memsz) {
			copied.seg[copied.nseg++] = *s;
			continue;
		}
		long m =
		    vm_map(mm, start, s->vaddr + s->memsz - start,
			   PROT_READ | ((s->prot & ELF_PROT_X) ? PROT_EXEC : 0),
			   MAP_PRIVATE | MAP_FIXED_NOREPLACE, persona_obj,
			   ALIGN_DOWN(s->offset, PAGE_SIZE) / PAGE_SIZE);
		if (m < 0)
			return (int)m;
	}
	if ((r = elf_map(mm, &copied, persona_image, 0, NULL)) < 0)
		return r;
	mm->persona_entry = e.entry;
	return 0;
}

/* The top of t's personality stack in mm, mapped on its first use there.
 * Its slot is that of t's kernel stack, which no other live thread
 * shares. 0 if out of memory. */
static uintptr_t persona_stack(struct thread *t, struct mm *mm)
{
	uintptr_t slot = kstack_slot(t->kstack);
	uintptr_t base = LUX_PERSONA_STACKS_TOP - (slot + 1) * LUX_PERSONA_SLOT;

	if (base < LUX_PERSONA_STACKS)
		return 0;
	if (t->persona_mm != mm &&
	    vm_map(mm, base + PAGE_SIZE, LUX_PERSONA_SLOT - PAGE_SIZE,
		   PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) < 0)
		return 0;
	t->persona_mm = mm;
	return base + LUX_PERSONA_SLOT;
}

long persona_reflect(unsigned long nr, const long a[6])
{
	static const uint64_t no_altstack[3];
	struct thread *t = current_thread();
	struct mm *mm = t->proc->mm;
	struct trap_frame *f = arch_uregs(&t->ctx);
	long info[16] = {nr, a[0], a[1], a[2], a[3], a[4], a[5]};
	uintptr_t sp;

	if (!mm->persona_entry ||
	    arch_uregs_pc(f) - LUX_PERSONA_BASE <
		LUX_PERSONA_LIMIT - LUX_PERSONA_BASE) /* from inside it */
		return -ENOSYS;
	if (!(sp = persona_stack(t, mm)))
		return -ENOMEM;
	if (arch_signal_push(f, nr, info, mm->persona_entry, 0, t->sig_blocked,
			     sp, no_altstack, false) < 0) {
		proc_kill(t->proc, SIGSEGV | 0x80); /* its stack was unmapped */
		return 0;
	}
	spin_lock(&t->proc->sig_lock);
	t->persona_mask = t->sig_blocked;
	t->sig_blocked = ~(1ULL << (SIGKILL - 1) | 1ULL << (SIGSTOP - 1));
	spin_unlock(&t->proc->sig_lock);
	return 0; /* the personality's entry ignores its return register */
}

bool persona_inside(void)
{
	struct thread *t = current_thread();

	return arch_uregs_pc(arch_uregs(&t->ctx)) - LUX_PERSONA_BASE <
	       LUX_PERSONA_LIMIT - LUX_PERSONA_BASE;
}

long sys_lux_ucopy(long udst, long usrc, long len, long flags)
{
	char buf[256];
	long n, s = -ENAMETOOLONG;

	if (flags & ~LUX_UCOPY_STR)
		return -EINVAL;
	for (long done = 0; done < len; done += n) {
		n = MIN(len - done, (long)sizeof(buf));
		if (flags &&
		    (s = strncpy_from_user(buf, (const char *)usrc + done,
					   n)) == -EFAULT)
			return s;
		if (!flags && copy_from_user(buf, (const char *)usrc + done, n))
			return -EFAULT;
		n = s >= 0 ? s + 1 : n; /* a string's last piece ends at NUL */
		if (copy_to_user((char *)udst + done, buf, n))
			return -EFAULT;
		if (s >= 0)
			return done + s;
	}
	return flags ? -ENAMETOOLONG : 0;
}
