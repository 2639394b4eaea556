/*
 * persona.c - reflection: a Linux call the kernel does not serve goes to
 * the process's personality, user-space code that exec maps into every
 * process at LUX_PERSONA_BASE (docs/decisions/0006-reflection.md).
 *
 * The upcall writes the thread's registers and signal mask as a struct
 * lux_persona_ctx at the top of its personality stack and enters the
 * personality with every signal blocked; it performs the call and ends it
 * with LUX_NR_RESUME, which loads the program back from the block (the
 * result in the return register). The FPU state is not touched: the
 * personality uses no FPU or vector register. The program's mask in the
 * block is also what the personality's waits use (signal.c: a handler
 * never runs on the personality's registers). A caught signal enters the
 * personality the same way, with a struct lux_persona_sig below the block
 * (docs/decisions/0023-signal-upcall.md).
 */
#include "exec.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/persona_ctx.h>
#include <lux/proto.h>

static const void *persona_image;
static size_t persona_size;

void persona_init(void)
{
	uint32_t mode;

	if (cpio_find(initrd, initrd_size, "lib/lux/persona", &persona_image,
		      &persona_size, &mode) < 0) {
		persona_image = NULL;
		kprintf("lux: no /lib/lux/persona: calls the kernel lacks "
			"fail with ENOSYS\n");
	}
}

/* The ELF64 header and program header fields persona_map reads. */
struct persona_ehdr {
	uint8_t ident[24];
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum;
};
struct persona_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* The image is the boot image's, built with the kernel and trusted as it
 * is: only its bounds are checked, so that a broken build fails cleanly.
 * Segments are RX or RW (W^X), each on pages of its own. */
int persona_map(struct mm *mm)
{
	const char *img = persona_image;
	struct persona_ehdr eh;
	struct persona_phdr ph;

	if (!img || persona_size < sizeof(eh))
		return img ? -ENOEXEC : 0;
	memcpy(&eh, img, sizeof(eh));
	for (unsigned i = 0; i < eh.phnum; i++) {
		uint64_t at = eh.phoff + (uint64_t)i * sizeof(ph);
		if (at > persona_size || persona_size - at < sizeof(ph))
			return -ENOEXEC;
		memcpy(&ph, img + at, sizeof(ph));
		uintptr_t start = ALIGN_DOWN(ph.vaddr, PAGE_SIZE);
		unsigned prot = (ph.flags & 4 ? PROT_READ : 0) |
				(ph.flags & 2 ? PROT_WRITE : 0) |
				(ph.flags & 1 ? PROT_EXEC : 0);
		if (ph.type != 1 || !ph.memsz) /* PT_LOAD */
			continue;
		if (ph.offset > persona_size ||
		    ph.filesz > persona_size - ph.offset ||
		    ph.vaddr < LUX_PERSONA_BASE ||
		    ph.memsz > LUX_PERSONA_LIMIT ||
		    ph.vaddr + ph.memsz > LUX_PERSONA_LIMIT ||
		    ph.filesz > ph.memsz)
			return -ENOEXEC;
		long r =
		    vm_map(mm, start, ph.vaddr + ph.memsz - start, prot,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r < 0 ||
		    (r = vm_fill(mm, ph.vaddr, img + ph.offset, ph.filesz)) < 0)
			return (int)r;
	}
	mm->persona_entry = eh.entry;
	return 0;
}

/* The current thread t's signal mask is set without sig_lock: only t
 * writes it, and user_return reads it without the lock; a sender that
 * reads the old mask meanwhile acts as if it sent just before the store,
 * and a signal it leaves pending is delivered on t's way out. */
static void persona_mask(struct thread *t, uint64_t mask)
{
	__atomic_store_n(&t->sig_blocked, mask & PERSONA_BLOCKED,
			 __ATOMIC_RELAXED);
}

/* Map t's personality stack in mm at its first reflected call there:
 * the slot of its kernel stack, which no other live thread shares. Its
 * context block is the slot's last bytes. 0 or -ENOMEM. */
static NOINLINE int persona_stack(struct thread *t, struct mm *mm)
{
	uintptr_t top =
	    LUX_PERSONA_STACKS_TOP - kstack_slot(t->kstack) * LUX_PERSONA_SLOT;

	if (top - LUX_PERSONA_SLOT < LUX_PERSONA_STACKS ||
	    vm_map(mm, top - LUX_PERSONA_SLOT + PAGE_SIZE,
		   LUX_PERSONA_SLOT - PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) < 0)
		return -ENOMEM;
	t->persona_mm = mm;
	t->persona_ctx = top - sizeof(struct lux_persona_ctx);
	return 0;
}

long persona_reflect(void)
{
	struct thread *t = current_thread();
	struct mm *mm = t->proc->mm;
	struct trap_frame *f = arch_uregs(&t->ctx);

	if (!mm->persona_entry || persona_pc(arch_uregs_pc(f)))
		return -ENOSYS; /* none, or a call from inside it */
	if (t->persona_mm != mm && persona_stack(t, mm))
		return -ENOMEM;
	if (arch_persona_enter(f, t->persona_ctx, mm->persona_entry,
			       t->sig_blocked, 0)) {
		proc_kill(t->proc, SIGSEGV | 0x80); /* its stack was unmapped */
		return 0;
	}
	t->persona_mask = t->sig_blocked; /* for its requests' waits */
	persona_mask(t, PERSONA_BLOCKED);
	return 0; /* the personality's entry ignores its return register */
}

int persona_signal(struct thread *t, struct trap_frame *f, int sig,
		   const struct ksiginfo *k, const struct k_sigaction *a,
		   uint64_t mask)
{
	struct mm *mm = t->proc->mm;
	struct lux_persona_sig s = {sig,       k->code,     k->pid,  k->uid,
				    k->status, 0,           k->addr, a->handler,
				    a->flags,  a->restorer, a->mask};

	if (!mm->persona_entry ||
	    (t->persona_mm != mm && persona_stack(t, mm)) ||
	    copy_to_user((void *)(t->persona_ctx - sizeof(s)), &s, sizeof(s)))
		return -EFAULT;
	return arch_persona_enter(f, t->persona_ctx, mm->persona_entry, mask,
				  t->persona_ctx - sizeof(s));
}

long sys_lux_resume(void)
{
	struct thread *t = current_thread();
	struct trap_frame *f = arch_uregs(&t->ctx);
	uint64_t mask;

	if (arch_persona_resume(f, t->persona_ctx, &mask)) {
		proc_kill(t->proc, SIGSEGV | 0x80);
		return 0;
	}
	/* A wait's mask stays for a handler to come (signal.c's
	 * persona_defer), the program's after it; sig_restore and sig_saved
	 * are t's alone. */
	if (t->sig_restore)
		t->sig_saved = mask & PERSONA_BLOCKED;
	else
		persona_mask(t, mask);
	return arch_uregs_retval(f);
}

bool persona_fault(struct thread *t)
{
	struct trap_frame *f = arch_uregs(&t->ctx);
	uint64_t fix;

	if (!persona_pc(arch_uregs_pc(f)) ||
	    copy_from_user(&fix,
			   (void *)(t->persona_ctx +
				    offsetof(struct lux_persona_ctx, fixup)),
			   sizeof(fix)) ||
	    !persona_pc(fix))
		return false;
	arch_uregs_set_pc(f, fix);
	return true;
}
