/*
 * apic.c - the local APIC (per-CPU interrupts, IPIs, the one-shot timer),
 * the I/O APIC (device interrupts), and the clock: the TSC, calibrated with
 * the APIC timer against the PIT at boot.
 */
#include "boot.h"
#include "x86_64.h"

#define LAPIC_ID      0x020
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_LVT_TMR 0x320
#define LAPIC_LINT0   0x350
#define LAPIC_LINT1   0x360
#define LAPIC_LVT_ERR 0x370
#define LAPIC_TMR_ICR 0x380
#define LAPIC_TMR_CCR 0x390
#define LAPIC_TMR_DIV 0x3e0
#define LVT_MASKED    (1u << 16)
#define PIT_HZ        1193182
#define CALIBRATE_MS  10

static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static uint64_t tsc_hz, tsc_boot;
static uint64_t ns_per_tsc32; /* ns per TSC tick, times 2^32 */
static uint64_t lapic_per_ms; /* APIC timer ticks (divide by 16) per ms */

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	lapic[reg / 4] = v;
}

uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_send_ipi(uint32_t apic_id, uint32_t icr_low)
{
	while (lapic_read(LAPIC_ICR_LO) & (1u << 12)) /* previous in flight */
		arch_cpu_relax();
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr_low);
}

/* Enable this CPU's local APIC; external interrupts come via the I/O APIC. */
void lapic_init(void)
{
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
	lapic_write(LAPIC_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LINT1, 0x400); /* NMI */
	lapic_write(LAPIC_LVT_ERR, LVT_MASKED);
	lapic_write(LAPIC_TMR_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_LVT_TMR, LVT_MASKED);
}

static uint32_t ioapic_read(unsigned reg)
{
	ioapic[0] = reg;
	return ioapic[4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	ioapic[0] = reg;
	ioapic[4] = v;
}

/* Mask every I/O APIC input until a driver asks for one. */
BOOT_CODE void ioapic_init(void)
{
	if (!madt.ioapic_phys)
		panic("no I/O APIC in the ACPI MADT");
	ioapic = map_phys(madt.ioapic_phys, 0x20, true);
	unsigned n = ((ioapic_read(1) >> 16) & 0xff) + 1;
	for (unsigned i = 0; i < n; i++)
		ioapic_write(0x10 + 2 * i, LVT_MASKED);
}

/* Deliver ISA IRQ irq as vector on the CPU with apic_id, following the
 * firmware's overrides of polarity and trigger mode. */
void ioapic_route(unsigned irq, unsigned vector, uint32_t apic_id)
{
	unsigned pin = madt.irq_to_gsi[irq] - madt.ioapic_gsi_base;
	uint16_t fl = madt.irq_flags[irq];
	uint32_t lo = vector;

	if ((fl & 3) == 3)
		lo |= 1u << 13; /* active low */
	if (((fl >> 2) & 3) == 3)
		lo |= 1u << 15; /* level triggered */
	ioapic_write(0x11 + 2 * pin, apic_id << 24);
	ioapic_write(0x10 + 2 * pin, lo);
}

void ioapic_mask(unsigned irq, bool masked)
{
	unsigned reg = 0x10 + 2 * (madt.irq_to_gsi[irq] - madt.ioapic_gsi_base);
	uint32_t lo = ioapic_read(reg);

	ioapic_write(reg, masked ? lo | LVT_MASKED : lo & ~LVT_MASKED);
}

/*
 * Count TSC and APIC-timer ticks over CALIBRATE_MS of PIT channel 2. A
 * start-up delay that only busy-waits once, on the boot CPU.
 */
BOOT_CODE void timer_calibrate(void)
{
	uint32_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint8_t gate = inb(0x61) & ~0x03;

	outb(0x61, gate); /* gate low, speaker off */
	outb(0x43, 0xb0); /* channel 2, lo/hi byte, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	lapic_write(LAPIC_TMR_ICR, 0xffffffff);
	uint64_t t0 = rdtsc();
	outb(0x61, gate | 1); /* gate high: count down */
	while (!(inb(0x61) & 0x20))
		arch_cpu_relax();
	uint64_t t1 = rdtsc();
	uint32_t left = lapic_read(LAPIC_TMR_CCR);
	lapic_write(LAPIC_TMR_ICR, 0);

	tsc_hz = (t1 - t0) * 1000 / CALIBRATE_MS;
	lapic_per_ms = (0xffffffffu - left) / CALIBRATE_MS;
	ns_per_tsc32 = ((uint64_t)1000000000 << 32) / tsc_hz;
	tsc_boot = t0;
	kprintf("lux: clock: TSC %lu MHz, APIC timer %lu kHz\n",
		tsc_hz / 1000000, lapic_per_ms);
}

/* Map the local APIC and set up this (the boot) CPU's interrupts. */
BOOT_CODE void arch_irq_init(struct boot_info *bi)
{
	acpi_init(&bi->arch);
	lapic = map_phys(madt.lapic_phys, PAGE_SIZE, true);
	outb(0x21, 0xff); /* mask the legacy 8259 PICs: the APICs serve */
	outb(0xa1, 0xff);
	lapic_init();
	ioapic_init();
	timer_calibrate();
}

uint64_t arch_clock_ns(void)
{
	return (uint64_t)(((unsigned __int128)(rdtsc() - tsc_boot) *
			   ns_per_tsc32) >>
			  32);
}

void arch_delay_ns(uint64_t ns)
{
	uint64_t end = arch_clock_ns() + ns;
	while (arch_clock_ns() < end)
		arch_cpu_relax();
}

void arch_timer_set(uint64_t deadline_ns)
{
	uint64_t now = arch_clock_ns();
	uint64_t ticks = 1;

	if (deadline_ns > now) /* beyond 10 s, fire early and re-arm */
		ticks = MIN(deadline_ns - now, 10000000000ULL) * lapic_per_ms /
			    1000000 +
			1;
	lapic_write(LAPIC_LVT_TMR, VEC_TIMER); /* one-shot */
	lapic_write(LAPIC_TMR_ICR, ticks > 0xffffffff ? 0xffffffff : ticks);
}

void arch_stop_others(void)
{
	if (lapic)
		lapic_send_ipi(0, 0xc0000 | 0x400); /* NMI to all but self */
}

static unsigned cmos(unsigned reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* The CMOS real-time clock (UTC assumed), read twice until it agrees. */
uint64_t arch_rtc_seconds(void)
{
	unsigned t[6], u[6], regs[6] = {0x00, 0x02, 0x04, 0x07, 0x08, 0x09};
	bool bcd = !(cmos(0x0b) & 4);

	do {
		while (cmos(0x0a) & 0x80) /* update in progress: < 2 ms */
			arch_cpu_relax();
		for (int i = 0; i < 6; i++)
			t[i] = cmos(regs[i]);
		for (int i = 0; i < 6; i++)
			u[i] = cmos(regs[i]);
	} while (memcmp(t, u, sizeof(t)));
	for (int i = 0; bcd && i < 6; i++)
		t[i] = (t[i] & 15) + (t[i] >> 4) * 10;
	/* days since 1970 from the civil date (years 2000-2099) */
	unsigned y = 2000 + t[5], m = t[4], d = t[3];
	y -= m <= 2;
	uint64_t era = y / 400, yoe = y - era * 400;
	uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	uint64_t days =
	    era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
	return days * 86400 + t[2] * 3600 + t[1] * 60 + t[0];
}
