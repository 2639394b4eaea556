/*
 * acpi.c - read the ACPI MADT for the CPUs' local APIC ids, the I/O APIC
 * and the ISA interrupt overrides, the FADT and DSDT for how to power
 * off, and the MCFG for where PCI configuration space is (for drivers).
 * Nothing else of ACPI is used.
 */
#include "x86_64.h"
#include <lux/errno.h>

struct madt_info madt;

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static const struct sdt_header *map_table(uint64_t pa)
{
	const struct sdt_header *h = map_phys(pa, sizeof(*h), false);
	return map_phys(pa, h->length, false);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The table with signature sig, from the RSDT or XSDT, or NULL. */
BOOT_CODE static const struct sdt_header *find_table(const uint8_t *rsdp,
						     const char *sig)
{
	uint64_t xsdt = 0;
	if (rsdp[15] >= 2)
		memcpy(&xsdt, rsdp + 24, 8);
	const struct sdt_header *root =
	    map_table(xsdt ? xsdt : rd32(rsdp + 16));
	unsigned width = xsdt ? 8 : 4;
	const uint8_t *e = (const uint8_t *)(root + 1);

	for (; e < (const uint8_t *)root + root->length; e += width) {
		uint64_t pa = 0;
		memcpy(&pa, e, width);
		const struct sdt_header *t = map_table(pa);
		if (memcmp(t->sig, sig, 4) == 0)
			return t;
	}
	return NULL;
}

static uint16_t pm1a_cnt, slp_typ_s5; /* PM1a control port; S5's SLP_TYP */

/* Find the I/O port and the sleep type that turn the machine off: the
 * FADT's PM1a control block, and the first value of the DSDT's \_S5
 * package (AML: NameOp "_S5_" PackageOp PkgLength NumElements value). */
BOOT_CODE static void power_off_init(const uint8_t *rsdp)
{
	const struct sdt_header *fadt = find_table(rsdp, "FACP");
	const uint8_t *f = (const uint8_t *)fadt;

	if (!fadt || fadt->length < 72 || !rd32(f + 40))
		return;
	const uint8_t *d = (const uint8_t *)map_table(rd32(f + 40));
	uint32_t len = MIN(((const struct sdt_header *)d)->length, 1u << 20);
	for (uint32_t i = 36; memcmp(d, "DSDT", 4) == 0 && i + 10 < len; i++) {
		if (memcmp(d + i, "_S5_", 4) || d[i + 4] != 0x12)
			continue;
		const uint8_t *v = d + i + 6 + (d[i + 5] >> 6) + 1;
		slp_typ_s5 = *v == 0x0a ? v[1] : *v == 0x01 ? 1 : *v;
		pm1a_cnt = rd32(f + 64);
		return;
	}
}

int arch_pci_ecam(uint64_t out[2])
{
	out[0] = madt.ecam;
	out[1] = madt.ecam_last;
	return madt.ecam ? 0 : -ENODEV;
}

void acpi_power_off(void)
{
	if (pm1a_cnt)
		outw(pm1a_cnt, (slp_typ_s5 & 7) << 10 | 1 << 13); /* SLP_EN */
	arch_delay_ns(100000000);
}

static void add_cpu(uint32_t apic_id, uint32_t flags)
{
	if (!(flags & 3)) /* neither enabled nor online-capable */
		return;
	if (madt.ncpu == MAX_CPUS) {
		kprintf("lux: more than %d CPUs; using %d\n", MAX_CPUS,
			MAX_CPUS);
		return;
	}
	madt.apic_id[madt.ncpu++] = apic_id;
}

BOOT_CODE void acpi_init(const struct arch_boot_info *abi)
{
	for (unsigned i = 0; i < 16; i++)
		madt.irq_to_gsi[i] = i;
	madt.lapic_phys = 0xfee00000;
	const struct sdt_header *t =
	    abi->have_rsdp ? find_table(abi->rsdp, "APIC") : NULL;
	const uint8_t *m =
	    abi->have_rsdp ? (const void *)find_table(abi->rsdp, "MCFG") : NULL;
	if (abi->have_rsdp)
		power_off_init(abi->rsdp);
	if (m && rd32(m + 4) >= 60 && m[54] == 0) { /* bus 0 first */
		memcpy(&madt.ecam, m + 44, 8);
		madt.ecam_last = m[55];
	}
	if (!t) {
		kprintf("lux: no ACPI MADT; running on one CPU\n");
		return;
	}
	const uint8_t *p = (const uint8_t *)t, *end = p + t->length;
	madt.lapic_phys = rd32(p + 36);
	for (p += 44; p + 2 <= end && p[1] >= 2; p += p[1]) {
		switch (p[0]) {
		case 0: /* processor local APIC */
			add_cpu(p[3], rd32(p + 4));
			break;
		case 1: /* I/O APIC: the first one serves the ISA IRQs */
			if (!madt.ioapic_phys) {
				madt.ioapic_phys = rd32(p + 4);
				madt.ioapic_gsi_base = rd32(p + 8);
			}
			break;
		case 2: /* interrupt source override */
			if (p[3] < 16) {
				madt.irq_to_gsi[p[3]] = rd32(p + 4);
				madt.irq_flags[p[3]] = p[8] | (p[9] << 8);
			}
			break;
		case 5: /* 64-bit local APIC address */
			memcpy(&madt.lapic_phys, p + 4, 8);
			break;
		case 9: /* processor local x2APIC */
			add_cpu(rd32(p + 4), rd32(p + 8));
			break;
		}
	}
}
