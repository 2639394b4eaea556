/*
 * cpu.c - CPU features, descriptor tables and per-CPU data, and the
 * interrupt-flag primitives of arch.h.
 */
#include "mm.h"
#include "x86_64.h"

bool cpu_has_nx, cpu_has_gbpages, cpu_has_smep, cpu_has_smap;

BOOT_CODE void cpu_detect_features(void)
{
	uint32_t r[4];

	cpuid(0x80000001, 0, r);
	cpu_has_nx = r[3] & (1u << 20);
	cpu_has_gbpages = r[3] & (1u << 26);
	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		cpu_has_smep = r[1] & (1u << 7);
		cpu_has_smap = r[1] & (1u << 20);
	}
}

/* Fill c's GDT: flat 64-bit code and data for both rings, and its TSS. */
static void gdt_fill(struct arch_cpu *a)
{
	uint64_t base = (uintptr_t)&a->tss, limit = sizeof(a->tss) - 1;

	a->gdt[0] = 0;
	a->gdt[1] = 0x00af9a000000ffff; /* kernel code */
	a->gdt[2] = 0x00cf92000000ffff; /* kernel data */
	a->gdt[3] = 0x00cff2000000ffff; /* user data */
	a->gdt[4] = 0x00affa000000ffff; /* user code */
	a->gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		    (0x89ULL << 40) | ((limit >> 16) << 48) |
		    (((base >> 24) & 0xff) << 56);
	a->gdt[6] = base >> 32;
	a->tss.iomap_base = sizeof(a->tss);
	memset(a->tss.iomap, 0xff, sizeof(a->tss.iomap));
}

/* Give this CPU its tables, its interrupt stacks and its features. */
void cpu_load(struct cpu *c)
{
	struct arch_cpu *a = &c->arch;
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed))
	gdtr = {sizeof(a->gdt) - 1, (uintptr_t)a->gdt};

	a->self = c;
	gdt_fill(a);
	lgdt(&gdtr);
	reload_segments(SEL_KCODE, SEL_KDATA);
	ltr(SEL_TSS);
	wrmsr(MSR_GS_BASE, (uintptr_t)a);
	trap_load();
	/* Double faults and NMIs get stacks of their own, so a kernel stack
	 * overflow still produces a report. */
	for (int i = 0; i < 2; i++) {
		uintptr_t s = kstack_alloc();
		if (!s)
			panic("cpu %u: no memory for interrupt stacks", c->id);
		a->tss.ist[i] = s + KSTACK_SIZE;
	}
	if (cpu_has_nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr4(read_cr4() | CR4_PGE | (cpu_has_smep ? CR4_SMEP : 0) |
		  (cpu_has_smap ? CR4_SMAP : 0));
	user_cpu_init();
}

BOOT_CODE void arch_cpu_init(void)
{
	trap_init();
	cpu_load(&cpus[0]);
}

struct cpu *this_cpu(void)
{
	return (struct cpu *)read_gs0();
}

void arch_wait_for_interrupt(void)
{
	__asm__ volatile("sti; hlt" : : : "memory");
}

/* Every CPU is taken to be the boot CPU's model (as under QEMU). */
int arch_cpu_describe(unsigned cpu, char *buf, size_t len)
{
	uint32_t r[12] = {0}, vendor[4] = {0}, sig[4];

	(void)cpu;
	cpuid(0, 0, sig);
	vendor[0] = sig[1], vendor[1] = sig[3], vendor[2] = sig[2];
	cpuid(0x80000000, 0, sig);
	for (unsigned i = 0; i < 3 && sig[0] >= 0x80000004; i++)
		cpuid(0x80000002 + i, 0, r + 4 * i);
	cpuid(1, 0, sig);
	unsigned family = (sig[0] >> 8 & 15) + (sig[0] >> 20 & 255);
	unsigned model = (sig[0] >> 4 & 15) | (sig[0] >> 12 & 0xf0);
	const char *name = (const char *)r;
	while (*name == ' ')
		name++;
	int n = snprintf(buf, len, "%s %u %u %u %s", (char *)vendor, family,
			 model, sig[0] & 15, *name ? name : "unknown");
	return MIN(n, (int)len - 1);
}

/* i8042 pulse of the reset line; a triple fault if that is ignored. */
static void reset(void)
{
	outb(0x64, 0xfe);
	arch_delay_ns(100000000);
	__asm__ volatile("lidt %0; int3" : : "m"((uint8_t[10]){0}));
}

void arch_power_off(bool restart)
{
	if (restart)
		reset();
	acpi_power_off();
}

void arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
