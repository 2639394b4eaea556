/*
 * panic.c - stop the machine with a report when an invariant breaks or the
 * kernel takes a CPU exception.
 */
#include "cpu.h"
#include <arch.h>

#define BACKTRACE_MAX 32

static volatile int panic_cpu = -1;

bool panicking(void)
{
	return panic_cpu >= 0;
}

void panic_enter(void)
{
	int expected = -1;
	int self;

	arch_irq_save();
	self = (int)this_cpu()->id;
	if (!__atomic_compare_exchange_n(&panic_cpu, &expected, self, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		if (expected == self)
			kprintf("lux: fault while reporting a fault\n");
		arch_halt(); /* the first CPU reports */
	}
}

static void backtrace_line(uintptr_t pc)
{
	uintptr_t off;
	const char *name = ksym_lookup(pc, &off);

	if (name)
		kprintf("  0x%016lx %s+0x%lx\n", pc, name, off);
	else
		kprintf("  0x%016lx ?\n", pc);
}

/* Frames with the same return address (deep recursion) print once. */
void backtrace(uintptr_t pc, uintptr_t fp)
{
	uintptr_t last = 0;
	unsigned repeats = 0, lines = 0;

	kprintf("backtrace:\n");
	backtrace_line(pc);
	for (int depth = 0; depth < 4096 && fp && !(fp & 7); depth++) {
		if (!arch_kernel_readable(fp, 2 * sizeof(uintptr_t)))
			break;
		uintptr_t *frame = (uintptr_t *)fp;
		if (!frame[1])
			break;
		if (frame[1] == last) {
			repeats++;
		} else {
			if (repeats)
				kprintf("  (%u more of the same)\n", repeats);
			repeats = 0;
			if (++lines > BACKTRACE_MAX)
				break;
			backtrace_line(last = frame[1]);
		}
		fp = frame[0];
	}
	if (repeats)
		kprintf("  (%u more of the same)\n", repeats);
}

NORETURN void halt_all(void)
{
	arch_stop_others();
	kprintf("lux: all CPUs stopped.\n");
	arch_halt();
}

NORETURN void panic(const char *fmt, ...)
{
	va_list ap;

	panic_enter();
	kprintf("PANIC on CPU %u: ", this_cpu()->id);
	va_start(ap, fmt);
	vkprintf(fmt, ap);
	va_end(ap);
	kprintf("\n");
	uintptr_t *frame = __builtin_frame_address(0);
	backtrace(frame[1], frame[0]); /* from panic's caller on */
	halt_all();
}
