/*
 * gic.c - the GICv3 (ARM IHI 0069): the distributor routes the SPIs that
 * drivers claim (line n = SPI n = INTID 32 + n) to the boot CPU; each
 * CPU's redistributor takes its timer and the SGIs of resched and stop;
 * the CPU interface is the ICC system registers.
 */
#include "arm64.h"
#include <lux/errno.h>

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define CTLR_RWP        (1u << 31)
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_SGI        0x10000 /* the SGI and PPI frame */
#define PRIORITY        0xa0
#define LINES_MAX       64 /* arch_irq_claim's lines */

static volatile uint8_t *gicd, *gicr;
static unsigned nintids;

static volatile uint32_t *reg32(volatile uint8_t *base, unsigned off)
{
	return (volatile uint32_t *)(base + off);
}

static void gicd_wait(void)
{
	while (*reg32(gicd, GICD_CTLR) & CTLR_RWP)
		arch_cpu_relax();
}

/* Affinity as the GIC writes it: aff3.aff2.aff1.aff0 in 32 bits. */
static uint32_t aff32(uint64_t mpidr)
{
	return (uint32_t)((mpidr >> 8) & 0xff000000) | (mpidr & 0xffffff);
}

/* This CPU's redistributor: its GICR_TYPER names its affinity. */
static volatile uint8_t *gicr_find(uint64_t mpidr)
{
	for (uint64_t off = 0; off < plat.gicr_len;) {
		volatile uint8_t *rd = gicr + off;
		uint64_t typer = *(volatile uint64_t *)(rd + GICR_TYPER);
		if ((typer >> 32) == aff32(mpidr))
			return rd;
		if (typer & (1 << 4)) /* the last one */
			break;
		off += (typer & (1 << 1)) ? 0x40000 : 0x20000; /* VLPIs */
	}
	panic("gic: no redistributor for CPU 0x%lx", mpidr);
}

/* Wake this CPU's redistributor, enable its SGIs and timer, and its CPU
 * interface (group 1, every priority). */
void gic_cpu_init(void)
{
	volatile uint8_t *rd = gicr_find(this_cpu()->arch.mpidr);
	volatile uint8_t *sgi = rd + GICR_SGI;

	*reg32(rd, GICR_WAKER) &= ~(1u << 1);      /* ProcessorSleep */
	while (*reg32(rd, GICR_WAKER) & (1u << 2)) /* ChildrenAsleep */
		arch_cpu_relax();
	*reg32(sgi, GICD_IGROUPR) = ~0u;
	*reg32(sgi, GICD_ICENABLER) = ~0u;
	for (unsigned i = 0; i < 32; i++)
		sgi[GICD_IPRIORITYR + i] = PRIORITY;
	*reg32(sgi, GICD_ISENABLER) =
	    1u << SGI_RESCHED | 1u << SGI_STOP | 1u << plat.timer_ppi;
	write_sysreg(icc_sre_el1, read_sysreg(icc_sre_el1) | 1);
	isb();
	write_sysreg(icc_pmr_el1, 0xff);
	write_sysreg(icc_bpr1_el1, 0);
	write_sysreg(icc_ctlr_el1, 0);
	write_sysreg(icc_igrpen1_el1, 1);
	isb();
}

/* Every SPI disabled, group 1, routed to the boot CPU. */
BOOT_CODE static void gic_init(void)
{
	gicd = map_phys(plat.gicd, 0x10000, true);
	gicr = map_phys(plat.gicr, plat.gicr_len, true);
	*reg32(gicd, GICD_CTLR) = 0;
	gicd_wait();
	nintids = MIN(32 * ((*reg32(gicd, GICD_TYPER) & 0x1f) + 1), 1020);
	for (unsigned i = 32; i < nintids; i += 32) {
		*reg32(gicd, GICD_ICENABLER + i / 8) = ~0u;
		*reg32(gicd, GICD_IGROUPR + i / 8) = ~0u;
	}
	for (unsigned i = 32; i < nintids; i++) {
		gicd[GICD_IPRIORITYR + i] = PRIORITY;
		*(volatile uint64_t *)(gicd + GICD_IROUTER + 8 * i) =
		    this_cpu()->arch.mpidr;
	}
	*reg32(gicd, GICD_CTLR) = 1u << 4 | 1u << 1 | 1u << 0; /* ARE, groups */
	gicd_wait();
	gic_cpu_init();
}

BOOT_CODE void arch_irq_init(struct boot_info *bi)
{
	(void)bi;
	gic_init();
	timer_init();
}

unsigned gic_ack(void)
{
	unsigned intid = read_sysreg(icc_iar1_el1) & 0xffffff;
	__asm__ volatile("dsb sy" : : : "memory");
	return intid;
}

void gic_eoi(unsigned intid)
{
	write_sysreg(icc_eoir1_el1, intid);
}

static uint64_t sgi_value(uint64_t mpidr, unsigned sgi)
{
	return ((mpidr >> 32) & 0xff) << 48 | ((mpidr >> 16) & 0xff) << 32 |
	       (uint64_t)sgi << 24 | ((mpidr >> 8) & 0xff) << 16 |
	       1u << (mpidr & 15);
}

void gic_send_sgi(unsigned cpu, unsigned sgi)
{
	__asm__ volatile("dsb ishst" : : : "memory");
	write_sysreg(icc_sgi1r_el1, sgi_value(cpus[cpu].arch.mpidr, sgi));
	isb();
}

void gic_send_sgi_others(unsigned sgi)
{
	__asm__ volatile("dsb ishst" : : : "memory");
	write_sysreg(icc_sgi1r_el1, 1ULL << 40 | (uint64_t)sgi << 24);
	isb();
}

int arch_irq_claim(unsigned irq, bool on)
{
	if (irq >= LINES_MAX || 32 + irq >= nintids)
		return -EINVAL;
	arch_irq_mask(irq, !on);
	return 0;
}

void arch_irq_mask(unsigned irq, bool masked)
{
	unsigned intid = 32 + irq;

	*reg32(gicd, (masked ? GICD_ICENABLER : GICD_ISENABLER) +
			 intid / 32 * 4) = 1u << (intid % 32);
}
