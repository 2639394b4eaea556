/*
 * smp.c - start the other CPUs listed in the ACPI MADT, one at a time,
 * with INIT-SIPI-SIPI, and bring each to kmain_ap on its own stack.
 */
#include "mm.h"
#include "spinlock.h"
#include "x86_64.h"

#define TRAMPOLINE 0x8000

extern char trampoline_start[], trampoline_end[];
extern uint64_t tramp_cr3, tramp_cr4, tramp_efer, tramp_stack, tramp_cpu;
extern uint64_t boot_pdpt[], boot_pml4[];

/* The trampoline's copy of a variable, at its place under 1 MiB. */
static uint64_t *tramp_var(uint64_t *var)
{
	return phys_to_virt(TRAMPOLINE + ((char *)var - trampoline_start));
}

/* Where a secondary CPU arrives from the trampoline. */
NORETURN void x86_ap_entry(struct cpu *c)
{
	write_cr3(kernel_pml4_phys); /* drop the identity map */
	cpu_load(c);
	lapic_init();
	kmain_ap();
}

/* Send INIT-SIPI-SIPI (Intel SDM vol. 3, 8.4.4) and wait up to a second
 * for the CPU to come online. */
BOOT_CODE static bool start_cpu(struct cpu *c)
{
	uintptr_t stack = kstack_alloc();

	if (!stack)
		return false;
	c->stack = stack;
	*tramp_var(&tramp_stack) = stack + KSTACK_SIZE;
	*tramp_var(&tramp_cpu) = (uintptr_t)c;
	lapic_send_ipi(c->arch.apic_id, 0x4500); /* INIT */
	arch_delay_ns(10000000);
	for (int i = 0; i < 2; i++) {
		lapic_send_ipi(c->arch.apic_id, 0x4600 | (TRAMPOLINE >> 12));
		arch_delay_ns(200000);
	}
	uint64_t deadline = arch_clock_ns() + 1000000000;
	while (!c->online && arch_clock_ns() < deadline)
		arch_cpu_relax();
	return c->online;
}

BOOT_CODE void arch_start_cpus(void)
{
	uint32_t self = lapic_id();
	uint64_t *pml4 = phys_to_virt(kernel_pml4_phys);

	cpus[0].arch.apic_id = self;
	ncpus = 1;
	for (unsigned i = 0; i < madt.ncpu && ncpus < MAX_CPUS; i++)
		if (madt.apic_id[i] != self) {
			cpus[ncpus].id = ncpus;
			cpus[ncpus++].arch.apic_id = madt.apic_id[i];
		}
	if (ncpus == 1)
		return;

	/* The trampoline runs identity-mapped until it reaches the kernel. */
	memcpy(phys_to_virt(TRAMPOLINE),
	       phys_to_virt((uintptr_t)trampoline_start),
	       trampoline_end - trampoline_start);
	*tramp_var(&tramp_cr3) = kernel_pml4_phys;
	*tramp_var(&tramp_cr4) = read_cr4() & (CR4_PAE | CR4_LA57);
	*tramp_var(&tramp_efer) = 0x100 | (cpu_has_nx ? EFER_NXE : 0);
	/* .lowboot's tables are linked at their physical addresses */
	pml4[0] = (uintptr_t)(paging_levels == 5 ? boot_pml4 : boot_pdpt) | 3;
	for (unsigned i = 1; i < ncpus; i++)
		if (!start_cpu(&cpus[i]))
			kprintf("lux: CPU %u (APIC %u) did not start\n", i,
				cpus[i].arch.apic_id);
	pml4[0] = 0;
	write_cr3(kernel_pml4_phys);
}

void arch_send_resched(unsigned cpu)
{
	lapic_send_ipi(cpus[cpu].arch.apic_id, VEC_RESCHED);
}

/* TLB shootdown: one at a time; the initiator waits for every CPU it
 * asked to acknowledge. Waiting for the lock with interrupts enabled lets
 * a CPU answer another's shootdown meanwhile. Which CPUs have as loaded
 * is read after the page tables changed (the lock's exchange orders
 * them), and a CPU sets its bit before it loads as: either it is asked,
 * or it loads the new entries. */
static struct spinlock shootdown_lock = SPINLOCK_INIT;
static volatile uintptr_t shootdown_va;
static volatile size_t shootdown_npages;
static volatile unsigned shootdown_pending;

static void tlb_flush_local(uintptr_t va, size_t npages)
{
	if (npages == TLB_ALL) { /* global pages too */
		write_cr4(read_cr4() & ~CR4_PGE);
		write_cr4(read_cr4() | CR4_PGE);
		return;
	}
	if (!npages)
		write_cr3(read_cr3()); /* every entry but the global ones */
	for (size_t i = 0; i < npages; i++)
		invlpg(va + i * PAGE_SIZE);
}

void tlb_shootdown(uintptr_t va, size_t npages, struct arch_as *as)
{
	uint64_t mask = 0, bit;

	preempt_disable(); /* the usual case: as is loaded nowhere else */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	bit = 1ULL << this_cpu()->id;
	if (cpus_online() < 2 || (as && !(as->cpus & ~bit))) {
		if (!as || read_cr3() == as->root)
			tlb_flush_local(va, npages);
		preempt_enable();
		return;
	}
	preempt_enable();
	assert(arch_irq_enabled());
	while (!spin_trylock(&shootdown_lock))
		while (
		    __atomic_load_n(&shootdown_lock.locked, __ATOMIC_RELAXED))
			arch_cpu_relax(); /* interrupts on: answer the holder */
	bit = 1ULL << this_cpu()->id;
	if (!as || read_cr3() == as->root)
		tlb_flush_local(va, npages);
	for (unsigned i = 0; i < ncpus; i++)
		if (cpus[i].online && (!as || (as->cpus >> i & 1)))
			mask |= 1ULL << i;
	mask &= ~bit;
	shootdown_va = va;
	shootdown_npages = npages;
	shootdown_pending = __builtin_popcountll(mask);
	for (unsigned i = 0; i < ncpus; i++)
		if (mask >> i & 1)
			lapic_send_ipi(cpus[i].arch.apic_id, VEC_TLB);
	while (__atomic_load_n(&shootdown_pending, __ATOMIC_ACQUIRE))
		arch_cpu_relax();
	spin_unlock(&shootdown_lock);
}

void tlb_shootdown_interrupt(void)
{
	tlb_flush_local(shootdown_va, shootdown_npages);
	__atomic_sub_fetch(&shootdown_pending, 1, __ATOMIC_RELEASE);
}
