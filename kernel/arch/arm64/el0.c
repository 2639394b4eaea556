/*
 * el0.c - exceptions from user mode: system calls (SVC #0, the number
 * in x8, arguments in x0-x5, the result in x0), page faults resolved or
 * signalled, every other synchronous exception as the signal Linux
 * sends; and the user-mode half of a kernel fault in a user copy.
 */
#include "arm64.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/proto.h>
#include <lux/signal.h>

#define EC_UNKNOWN  0x00
#define EC_PC_ALIGN 0x22
#define EC_SP_ALIGN 0x26
#define EC_FP_EXC   0x2c
#define EC_BRK      0x3c
#define ESR_WNR     (1UL << 6) /* a data abort's write */
#define ESR_CM      (1UL << 8) /* a cache maintenance instruction */

/* si_code values (Linux's) that only these faults use */
#define ILL_ILLOPC 1
#define FPE_FLTUNK 14
#define BUS_ADRALN 1
#define TRAP_BRKPT 1

/* A system call; the number stays in x8 and x0 in orig_x0 for a restart.
 * An upcall into the personality leaves its own argument in x0. */
static void el0_svc(struct trap_frame *f)
{
	long r;

	f->orig_x0 = f->x[0];
	f->upcall = 0;
	arch_irq_enable();
	if (f->x[8] == LUX_NR_RESUME)
		r = sys_lux_resume();
	else /* x0-x5 are the arguments, read before f changes */
		r = syscall_dispatch(f->x[8], (const long *)f->x);
	r = user_return(f, r, true);
	if (!f->upcall)
		f->x[0] = r;
	arch_irq_save();
}

/* A data or instruction abort: a page to bring in, else a signal. */
static void el0_abort(struct trap_frame *f, bool data)
{
	unsigned fsc = f->esr & 0x3f, access = PROT_EXEC;
	int r;

	if (data)
		access = (f->esr & (ESR_WNR | ESR_CM)) == ESR_WNR ? PROT_WRITE
								  : PROT_READ;
	if (fsc == 0x21) /* alignment */
		user_fault(SIGBUS, BUS_ADRALN, f->far);
	else if (fsc < 0x04 || fsc > 0x0f) /* not translation, flag, perm */
		user_fault(SIGBUS, BUS_ADRERR, f->far);
	else if ((r = vm_fault(f->far, access)) == -ENXIO)
		user_fault(SIGBUS, BUS_ADRERR,
			   f->far); /* past an object's end */
	else if (r < 0)
		user_fault(r == -ENOMEM ? SIGKILL : SIGSEGV,
			   r == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, f->far);
}

void arm64_el0_sync(struct trap_frame *f)
{
	unsigned ec = ESR_EC(f->esr);

	if (ec == EC_SVC64) {
		el0_svc(f);
		return;
	}
	arch_irq_enable();
	if (ec == EC_DABT_LOW || ec == EC_IABT_LOW)
		el0_abort(f, ec == EC_DABT_LOW);
	else if (ec == EC_PC_ALIGN)
		user_fault(SIGBUS, BUS_ADRALN, f->pc);
	else if (ec == EC_SP_ALIGN)
		user_fault(SIGBUS, BUS_ADRALN, f->sp);
	else if (ec == EC_BRK)
		user_fault(SIGTRAP, TRAP_BRKPT, f->pc);
	else if (ec == EC_FP_EXC)
		user_fault(SIGFPE, FPE_FLTUNK, f->pc);
	else /* undefined, illegal state, a trapped system register... */
		user_fault(SIGILL, ILL_ILLOPC, f->pc);
	arch_irq_save();
}

/* After every exception from user mode but a system call (which did
 * this itself): signals, a stop, the end of the process. Interrupts
 * masked on entry and return. */
void arm64_el0_exit(struct trap_frame *f)
{
	if (ESR_EC(f->esr) == EC_SVC64)
		return;
	arch_irq_enable();
	user_return(f, 0, false);
	arch_irq_save();
}

/* A data abort in the kernel: inside a user copy at a user address, the
 * page is brought in (the access retried) or the copy fails with
 * -EFAULT; anything else is not ours (false). */
bool arm64_copy_fixup(struct trap_frame *f)
{
	extern char uaccess_begin[], uaccess_end[], uaccess_fault[];
	unsigned fsc = f->esr & 0x3f;
	unsigned access = f->esr & ESR_WNR ? PROT_WRITE : PROT_READ;

	if (ESR_EC(f->esr) != EC_DABT_CUR || f->pc < (uintptr_t)uaccess_begin ||
	    f->pc >= (uintptr_t)uaccess_end || f->far >= USER_TOP)
		return false;
	arch_irq_enable();
	if (fsc < 0x04 || fsc > 0x0f || vm_fault(f->far, access) < 0)
		f->pc = (uintptr_t)uaccess_fault;
	arch_irq_save();
	return true;
}
