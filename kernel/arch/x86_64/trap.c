/*
 * trap.c - the interrupt descriptor table, interrupt dispatch and the
 * report of a CPU exception in the kernel.
 */
#include "x86_64.h"

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_gate idt[256];
extern char trap_stubs[];

static const char *const exception_names[32] = {"divide error",
						"debug",
						"NMI",
						"breakpoint",
						"overflow",
						"bound range",
						"invalid opcode",
						"device not available",
						"double fault",
						"coprocessor overrun",
						"invalid TSS",
						"segment not present",
						"stack fault",
						"general protection",
						"page fault",
						"reserved",
						"x87 floating point",
						"alignment check",
						"machine check",
						"SIMD floating point",
						"virtualization",
						"control protection"};

BOOT_CODE void trap_init(void)
{
	for (int v = 0; v < 256; v++) {
		uintptr_t h = (uintptr_t)trap_stubs + 16 * v;
		idt[v] = (struct idt_gate){
		    .off0 = h & 0xffff,
		    .sel = SEL_KCODE,
		    .type = 0x8e, /* present, interrupt gate, ring 0 */
		    .off1 = (h >> 16) & 0xffff,
		    .off2 = h >> 32,
		};
	}
	idt[8].ist = 1; /* double fault */
	idt[2].ist = 2; /* NMI */
}

void trap_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = {sizeof(idt) - 1, (uintptr_t)idt};
	lidt(&idtr);
}

/* Print one clear report of an exception taken in the kernel, then stop. */
static NORETURN void fault_report(struct trap_frame *f)
{
	const char *name = f->vector < 32 && exception_names[f->vector]
			       ? exception_names[f->vector]
			       : "reserved";

	panic_enter();
	kprintf("KERNEL FAULT on CPU %u: vector %lu (%s), error code 0x%lx\n",
		this_cpu()->id, f->vector, name, f->error);
	kprintf("rip %016lx  rsp %016lx  rflags %016lx\n", f->rip, f->rsp,
		f->rflags);
	kprintf("rax %016lx  rbx %016lx  rcx %016lx\n", f->rax, f->rbx, f->rcx);
	kprintf("rdx %016lx  rsi %016lx  rdi %016lx\n", f->rdx, f->rsi, f->rdi);
	kprintf("rbp %016lx  r8  %016lx  r9  %016lx\n", f->rbp, f->r8, f->r9);
	kprintf("r10 %016lx  r11 %016lx  r12 %016lx\n", f->r10, f->r11, f->r12);
	kprintf("r13 %016lx  r14 %016lx  r15 %016lx\n", f->r13, f->r14, f->r15);
	kprintf("cs %lx ss %lx cr0 %lx cr3 %lx cr4 %lx\n", f->cs, f->ss,
		read_cr0(), read_cr3(), read_cr4());
	if (f->vector == 14)
		kprintf("address 0x%lx\n", read_cr2());
	if (f->vector == 8 && !arch_kernel_readable(f->rsp - 8, 8))
		kprintf("kernel stack overflow: rsp is at a guard page\n");
	backtrace(f->rip, f->rbp);
	halt_all();
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector == 2) { /* NMI: another CPU stops us */
		if (panicking())
			arch_halt();
		kprintf("lux: unexpected NMI on CPU %u\n", this_cpu()->id);
		return;
	}
	if (f->vector < 32 && (f->cs & 3)) {
		user_exception(f);
		return;
	}
	if (f->vector == 14 && kernel_page_fault(f))
		return;
	if (f->vector < 32)
		fault_report(f);
	if (f->vector == VEC_SPURIOUS)
		return;
	if (f->vector == VEC_TIMER)
		timer_interrupt(f->cs & 3 ? f->rip : 0);
	else if (f->vector == VEC_TLB)
		tlb_shootdown_interrupt();
	else if (f->vector - VEC_IRQ_BASE < 64)
		irq_interrupt(f->vector - VEC_IRQ_BASE); /* a driver's line */
	else if (f->vector != VEC_RESCHED)
		kprintf("lux: unexpected interrupt %lu on CPU %u\n", f->vector,
			this_cpu()->id);
	lapic_eoi();
	sched_interrupt_exit();
	if (f->cs & 3) { /* a signal reaches a thread that never calls */
		arch_irq_enable();
		user_return(f, 0, false);
		arch_irq_save();
	}
}
