/*
 * smp.c - start the CPUs the device tree lists, one at a time, with PSCI
 * CPU_ON at boot.S's secondary_entry, and bring each to kmain_ap on its
 * own stack.
 */
#include "arm64.h"

#define PSCI_CPU_ON 0xc4000003

extern char secondary_entry[];
uintptr_t ap_stack_top; /* read by boot.S for the CPU being started */

/* Where a secondary CPU arrives from boot.S, on the kernel's tables. */
NORETURN void arm64_ap_entry(struct cpu *c)
{
	as_load((struct arch_as *)1, NULL); /* drop the identity map */
	cpu_load(c);
	gic_cpu_init();
	timer_cpu_init();
	kmain_ap();
}

/* Make what a CPU reads with its MMU still off reach memory. */
static void clean(const void *p)
{
	__asm__ volatile("dc cvac, %0; dsb sy" : : "r"(p) : "memory");
}

/* CPU_ON, then wait up to 2 seconds for the CPU to come online. */
BOOT_CODE static bool start_cpu(struct cpu *c)
{
	uintptr_t stack = kstack_alloc();
	uint64_t entry = (uintptr_t)secondary_entry - KERNEL_BASE + kernel_phys;

	if (!stack)
		return false;
	c->stack = stack;
	ap_stack_top = stack + KSTACK_SIZE;
	clean(&ap_stack_top);
	clean(&kernel_root_phys);
	int64_t r =
	    (int64_t)psci_call(PSCI_CPU_ON, c->arch.mpidr, entry, (uintptr_t)c);
	if (r)
		kprintf("lux: PSCI CPU_ON: error %ld\n", r);
	uint64_t deadline = arch_clock_ns() + 2000000000;
	while (!c->online && arch_clock_ns() < deadline)
		arch_cpu_relax();
	return c->online;
}

BOOT_CODE void arch_start_cpus(void)
{
	uint64_t self = this_cpu()->arch.mpidr;

	ncpus = 1;
	for (unsigned i = 0; i < plat.ncpus && ncpus < MAX_CPUS; i++)
		if (plat.mpidr[i] != self) {
			cpus[ncpus].id = ncpus;
			cpus[ncpus++].arch.mpidr = plat.mpidr[i];
		}
	for (unsigned i = 1; i < ncpus; i++)
		if (!start_cpu(&cpus[i]))
			kprintf("lux: CPU %u (MPIDR 0x%lx) did not start\n", i,
				cpus[i].arch.mpidr);
}

void arch_send_resched(unsigned cpu)
{
	gic_send_sgi(cpu, SGI_RESCHED);
}
