/*
 * trap.c - exceptions taken in the kernel (user-copy fix-ups, else a
 * fault report with a symbolic backtrace) and interrupt dispatch.
 */
#include "arm64.h"
#include "sched.h"
#include <lux/signal.h>

_Static_assert(sizeof(struct trap_frame) == 304, "vectors.S's FRAME");
_Static_assert(offsetof(struct arch_cpu, emerg_stack) == 16,
	       "vectors.S's EMERG");

static const char *ec_name(unsigned ec)
{
	switch (ec) {
	case 0x00:
		return "unknown instruction";
	case 0x07:
		return "FP/SIMD access";
	case 0x0e:
		return "illegal execution state";
	case 0x15:
		return "SVC";
	case 0x18:
		return "system register access";
	case 0x20:
	case 0x21:
		return "instruction abort";
	case 0x22:
		return "PC alignment";
	case 0x24:
	case 0x25:
		return "data abort";
	case 0x26:
		return "SP alignment";
	case 0x2f:
		return "SError";
	case 0x3c:
		return "BRK";
	default:
		return "exception";
	}
}

/* Whether f was saved on the emergency stack (vectors.S's el1_overflow). */
static bool overflowed(struct trap_frame *f)
{
	uintptr_t top = this_cpu()->arch.emerg_stack;
	return (uintptr_t)f < top && (uintptr_t)f >= top - KSTACK_SIZE;
}

/* Print one clear report of an exception taken in the kernel, then stop. */
static NORETURN void fault_report(struct trap_frame *f, const char *what)
{
	panic_enter();
	kprintf("KERNEL FAULT on CPU %u: %s, ESR 0x%lx (%s)\n", this_cpu()->id,
		what, f->esr, ec_name(ESR_EC(f->esr)));
	kprintf("pc  %016lx  sp  %016lx  pstate %08lx\n", f->pc, f->sp,
		f->pstate);
	for (int i = 0; i < 30; i += 3)
		kprintf("x%-2d %016lx  x%-2d %016lx  x%-2d %016lx\n", i,
			f->x[i], i + 1, f->x[i + 1], i + 2, f->x[i + 2]);
	kprintf("x30 %016lx  far %016lx\n", f->x[30], f->far);
	if (overflowed(f))
		kprintf("kernel stack overflow: sp is at a guard page\n");
	backtrace(f->pc, f->x[29]);
	halt_all();
}

void arm64_el1_sync(struct trap_frame *f)
{
	if (!overflowed(f) && ESR_EC(f->esr) == EC_DABT_CUR &&
	    arm64_copy_fixup(f))
		return;
	fault_report(f, "synchronous exception");
}

/* FIQ, SError, or an exception from AArch32 or with SP_EL0 in the kernel. */
void arm64_bad_exception(struct trap_frame *f)
{
	if (!(f->pstate & 0xc)) { /* from user mode: it cannot continue */
		arch_irq_enable();
		user_fault(SIGBUS, 0, f->pc);
		arch_irq_save();
		return;
	}
	fault_report(f, "unexpected exception");
}

void arm64_irq(struct trap_frame *f)
{
	unsigned intid = gic_ack();

	if (intid >= 1020)
		return; /* spurious */
	if (intid == plat.timer_ppi) {
		uint64_t t0 = timer_count();
		timer_mask();
		timer_interrupt(f->pstate & 0xf ? 0 : f->pc);
		timer_throttle(t0);
	} else if (intid == SGI_STOP) {
		arch_halt();
	} else if (intid >= 32 && intid < 96) {
		irq_interrupt(intid - 32); /* a driver's line */
	} else if (intid != SGI_RESCHED) {
		kprintf("lux: unexpected interrupt %u on CPU %u\n", intid,
			this_cpu()->id);
	}
	gic_eoi(intid);
	sched_interrupt_exit();
}
