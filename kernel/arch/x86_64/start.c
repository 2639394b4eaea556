/*
 * start.c - turn what the boot loader left (Multiboot or Multiboot2
 * information) into the portable struct boot_info, then enter kmain.
 */
#include "boot.h"
#include "x86_64.h"

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC 0x36d76289
#define MB_RAM         1 /* memory map type: available RAM */

extern char _end[];
static struct boot_info bi;

/* The loader's structures lie in the first GiB, mapped by boot.S. */
static void *low(uint64_t pa)
{
	if (pa >= GiB)
		panic("boot information above 1 GiB (0x%lx)", pa);
	return (void *)(DIRECT_MAP_BASE + pa);
}

static void add_ram(uint64_t base, uint64_t len, uint32_t type)
{
	if (type == MB_RAM && range_add(&bi.ram, base, base + len) < 0)
		kprintf("lux: memory map too long, ignoring 0x%lx+0x%lx\n",
			base, len);
}

static void add_module(uint64_t start, uint64_t end, const char *name)
{
	if (bi.nmod == BOOT_MODULE_MAX)
		return;
	bi.mod[bi.nmod].base = start;
	bi.mod[bi.nmod].end = end;
	strlcpy(bi.mod[bi.nmod].name, name, sizeof(bi.mod[0].name));
	bi.nmod++;
	range_add(&bi.reserved, start, end);
}

static void keep_rsdp(const void *rsdp, size_t len)
{
	memcpy(bi.arch.rsdp, rsdp, MIN(len, sizeof(bi.arch.rsdp)));
	bi.arch.have_rsdp = true;
}

/* Multiboot (v1): QEMU's -kernel loader. */
BOOT_CODE static void parse_mb1(const uint32_t *info)
{
	if (info[0] & (1 << 2)) { /* the first word is the kernel's file */
		const char *cmd = low(info[4]);
		while (*cmd && *cmd != ' ')
			cmd++;
		strlcpy(bi.cmdline, *cmd ? cmd + 1 : cmd, sizeof(bi.cmdline));
	}
	if (info[0] & (1 << 3)) {
		const uint32_t *mod = low(info[6]);
		for (uint32_t i = 0; i < info[5]; i++, mod += 4)
			add_module(mod[0], mod[1], low(mod[2]));
	}
	if (info[0] & (1 << 6)) {
		uint8_t *p = low(info[12]), *end = p + info[11];
		for (; p < end; p += *(uint32_t *)p + 4) {
			uint64_t base, len;
			memcpy(&base, p + 4, 8);
			memcpy(&len, p + 12, 8);
			add_ram(base, len, *(uint32_t *)(p + 20));
		}
	}
}

/* Multiboot2: GRUB, under BIOS or UEFI. */
BOOT_CODE static void parse_mb2(const uint8_t *info)
{
	const uint8_t *p = info + 8, *end = info + *(uint32_t *)info;

	while (p < end) {
		uint32_t type = ((uint32_t *)p)[0], size = ((uint32_t *)p)[1];
		const uint32_t *w = (const uint32_t *)p;
		if (type == 0)
			break;
		if (type == 1)
			strlcpy(bi.cmdline, (char *)(p + 8),
				sizeof(bi.cmdline));
		else if (type == 3)
			add_module(w[2], w[3], (char *)(p + 16));
		else if (type == 6)
			for (uint32_t off = 16; off + w[2] <= size;
			     off += w[2]) {
				const uint64_t *e = (const uint64_t *)(p + off);
				add_ram(e[0], e[1], (uint32_t)e[2]);
			}
		else if (type == 14 || type == 15)
			keep_rsdp(p + 8, size - 8);
		p += ALIGN_UP(size, 8);
	}
}

/* Without Multiboot2's ACPI tag, look where a BIOS keeps the RSDP. */
BOOT_CODE static void find_rsdp_bios(void)
{
	uint64_t ebda = (uint64_t) * (uint16_t *)low(0x40e) << 4;
	uint64_t areas[2][2] = {{ebda, ebda + 1024}, {0xe0000, 0x100000}};

	for (int a = 0; a < 2 && !bi.arch.have_rsdp; a++)
		for (uint64_t pa = areas[a][0]; pa < areas[a][1]; pa += 16)
			if (pa && memcmp(low(pa), "RSD PTR ", 8) == 0) {
				keep_rsdp(low(pa), 36);
				break;
			}
}

/* Called by boot.S on the boot CPU with paging on and a stack. */
BOOT_CODE NORETURN void x86_boot(uint32_t magic, uint32_t info)
{
	cpus[0].arch.self = &cpus[0];
	wrmsr(MSR_GS_BASE, (uintptr_t)&cpus[0].arch);
	serial_init();
	if (magic == MB1_BOOT_MAGIC) {
		parse_mb1(low(info));
		find_rsdp_bios();
	} else if (magic == MB2_BOOT_MAGIC) {
		parse_mb2(low(info));
	} else {
		panic("not started by a Multiboot loader (magic 0x%x)", magic);
	}
	/* Real-mode data, the AP start-up page and the kernel image. */
	range_add(&bi.reserved, 0, 0x100000);
	range_add(&bi.reserved, 0x100000, (uintptr_t)_end - KERNEL_BASE);
	kmain(&bi);
}
