/*
 * start.c - read the device tree the loader passed (memory, initrd,
 * command line, and the devices the kernel drives) into struct boot_info
 * and struct arm64_platform, start the PL011 console, and enter kmain.
 */
#include "arm64.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_END        9
#define FDT_DEPTH      8
#define PL011_FR_TXFF  (1u << 5)

extern char _text[], _end[];
extern uint64_t boot_l1_dm[];
uint64_t kernel_phys;
struct arm64_platform plat;
static struct boot_info bi;
static volatile uint32_t *uart;

/* A node being read: what its properties said, and its children's cells. */
struct fdt_node {
	const char *name;
	const char *compat, *type, *method;
	const uint8_t *reg, *irq, *buses;
	uint32_t compat_len, reg_len, irq_len;
	uint32_t acells, scells; /* #address-cells, #size-cells */
};

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static uint64_t cells(const uint8_t **p, uint32_t n)
{
	uint64_t v = 0;
	for (; n; n--, *p += 4)
		v = v << 32 | be32(*p);
	return v;
}

/* Reg entry i of n (address and size, in the parent's cells): false if
 * there is none. */
static bool reg_at(const struct fdt_node *n, const struct fdt_node *parent,
		   unsigned i, uint64_t *base, uint64_t *len)
{
	uint32_t entry = 4 * (parent->acells + parent->scells);
	const uint8_t *p = n->reg + i * entry;

	if (!n->reg || !entry || (i + 1) * entry > n->reg_len)
		return false;
	*base = cells(&p, parent->acells);
	*len = cells(&p, parent->scells);
	return true;
}

static bool compatible(const struct fdt_node *n, const char *what)
{
	for (uint32_t off = 0; n->compat && off < n->compat_len;
	     off += strlen(n->compat + off) + 1)
		if (strcmp(n->compat + off, what) == 0)
			return true;
	return false;
}

/* Interrupt specifier i (3 cells: SPI/PPI, number, flags) as a GIC INTID. */
static unsigned irq_at(const struct fdt_node *n, unsigned i)
{
	if (!n->irq || (i + 1) * 12 > n->irq_len)
		return 0;
	return be32(n->irq + 12 * i + 4) + (be32(n->irq + 12 * i) ? 16 : 32);
}

/* A node's properties are all read: keep what the kernel needs. */
BOOT_CODE static void fdt_node_done(const struct fdt_node *n,
				    const struct fdt_node *parent)
{
	uint64_t base, len;

	if (n->type && strcmp(n->type, "memory") == 0)
		for (unsigned i = 0; reg_at(n, parent, i, &base, &len); i++)
			range_add(&bi.ram, base, base + len);
	if (n->type && strcmp(n->type, "cpu") == 0 &&
	    reg_at(n, parent, 0, &base, &len) && plat.ncpus < ARM64_MAX_CPUS)
		plat.mpidr[plat.ncpus++] = base;
	if (compatible(n, "arm,gic-v3") && reg_at(n, parent, 0, &base, &len))
		plat.gicd = base,
		reg_at(n, parent, 1, &plat.gicr, &plat.gicr_len);
	if (compatible(n, "arm,pl011") && !plat.uart &&
	    reg_at(n, parent, 0, &plat.uart, &len))
		plat.uart_spi = irq_at(n, 0) - 32;
	if (compatible(n, "arm,pl031"))
		reg_at(n, parent, 0, &plat.rtc, &len);
	if (compatible(n, "arm,armv8-timer"))
		plat.timer_ppi = irq_at(n, 2); /* the virtual timer */
	if (n->method && strcmp(n->name, "psci") == 0)
		plat.psci_smc = strcmp(n->method, "smc") == 0;
	if (compatible(n, "pci-host-ecam-generic") &&
	    reg_at(n, parent, 0, &plat.ecam, &plat.ecam_len))
		plat.ecam_last_bus = n->buses ? be32(n->buses + 4) : 255;
}

static void fdt_prop(struct fdt_node *n, const char *name, const uint8_t *v,
		     uint32_t len)
{
	const uint8_t *p = v;

	if (strcmp(name, "compatible") == 0)
		n->compat = (const char *)v, n->compat_len = len;
	else if (strcmp(name, "device_type") == 0)
		n->type = (const char *)v;
	else if (strcmp(name, "method") == 0)
		n->method = (const char *)v;
	else if (strcmp(name, "reg") == 0)
		n->reg = v, n->reg_len = len;
	else if (strcmp(name, "interrupts") == 0)
		n->irq = v, n->irq_len = len;
	else if (strcmp(name, "bus-range") == 0)
		n->buses = v;
	else if (strcmp(name, "#address-cells") == 0)
		n->acells = be32(v);
	else if (strcmp(name, "#size-cells") == 0)
		n->scells = be32(v);
	else if (strcmp(n->name, "chosen") == 0 && !strcmp(name, "bootargs"))
		strlcpy(bi.cmdline, (const char *)v, sizeof(bi.cmdline));
	else if (!strcmp(name, "linux,initrd-start"))
		bi.mod[0].base = cells(&p, len / 4);
	else if (!strcmp(name, "linux,initrd-end"))
		bi.mod[0].end = cells(&p, len / 4);
}

/* Walk the flattened device tree (devicetree.org specification, ch. 5). */
BOOT_CODE static void fdt_parse(const uint8_t *fdt)
{
	const uint8_t *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	struct fdt_node nodes[FDT_DEPTH + 1];
	int depth = 0;

	nodes[0] = (struct fdt_node){.name = "", .acells = 2, .scells = 1};
	for (;;) {
		uint32_t token = be32(p);
		p += 4;
		if (token == FDT_BEGIN_NODE) {
			if (++depth > FDT_DEPTH)
				panic("device tree deeper than %d", FDT_DEPTH);
			nodes[depth] = (struct fdt_node){
			    .name = (const char *)p, .acells = 2, .scells = 1};
			p += ALIGN_UP(strlen((const char *)p) + 1, 4);
		} else if (token == FDT_END_NODE && depth > 0) {
			fdt_node_done(&nodes[depth], &nodes[depth - 1]);
			depth--;
		} else if (token == FDT_PROP) {
			uint32_t len = be32(p);
			fdt_prop(&nodes[depth], strings + be32(p + 4), p + 8,
				 len);
			p += 8 + ALIGN_UP(len, 4);
		} else if (token == FDT_END || token == FDT_END_NODE) {
			return;
		}
	}
}

void arch_console_putc(char c)
{
	if (!uart)
		return;
	if (c == '\n')
		arch_console_putc('\r');
	for (int i = 0; i < 100000 && (uart[6] & PL011_FR_TXFF); i++)
		;
	uart[0] = (uint8_t)c;
}

/* Until arch_mm_init, the PL011's GiB is mapped (device memory) in boot.S's
 * direct map, unless RAM shares that GiB; then map_phys maps its page. */
BOOT_CODE static void console_early(void)
{
	uint64_t *e = &boot_l1_dm[(plat.uart >> 30) & 511];

	if (!plat.uart || plat.uart >> 30 >= 512 || *e)
		return;
	*e = (plat.uart & ~(GiB - 1)) | 0x705 | 3ULL << 53; /* device, XN */
	dsb(ishst);
	isb();
	uart = (volatile uint32_t *)(DIRECT_MAP_BASE + plat.uart);
}

void console_remap(void)
{
	if (plat.uart)
		uart = map_phys(plat.uart, PAGE_SIZE, true);
}

/* Called by boot.S on the boot CPU, with the MMU on and a stack. */
BOOT_CODE NORETURN void arm64_boot(uint64_t dtb)
{
	const uint8_t *fdt = (const uint8_t *)(DIRECT_MAP_BASE + dtb);

	cpus[0].arch.self = &cpus[0];
	write_sysreg(tpidr_el1, &cpus[0].arch);
	if (dtb >> 30 < kernel_phys >> 30 ||
	    (dtb >> 30) - (kernel_phys >> 30) >= 4 || be32(fdt) != FDT_MAGIC)
		arch_halt(); /* no device tree where boot.S mapped: no console */
	fdt_parse(fdt);
	console_early();
	bi.arch.dtb = dtb;
	range_add(&bi.reserved, dtb, dtb + be32(fdt + 4));
	range_add(&bi.reserved, kernel_phys, kernel_phys + (_end - _text));
	if (bi.mod[0].end > bi.mod[0].base) {
		strlcpy(bi.mod[0].name, "initrd", sizeof(bi.mod[0].name));
		range_add(&bi.reserved, bi.mod[0].base, bi.mod[0].end);
		bi.nmod = 1;
	}
	if (!plat.gicd || !plat.timer_ppi)
		panic("device tree: no GICv3 or no generic timer");
	kmain(&bi);
}
