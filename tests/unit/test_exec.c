/*
 * test_exec.c - what starting a program relies on: finding files in a cpio
 * "newc" archive (kernel/lib/cpio.c), checking ELF64 executables
 * (user/persona/elf.c), including the real static /bin/busybox, and the
 * Linux initial stack (user/persona/ustack.c), decoded as a C runtime
 * would.
 *
 * The code under test always gets an exact-size heap copy of its input,
 * one byte past an aligned address, so ASan catches any read past the end
 * and UBSan any misaligned access.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "exec.h"
#include "load.h"
#include <lux/errno.h>
#include <lux/stat.h>

/* An exact-size, misaligned heap copy of src; free with unaligned_free. */
static uint8_t *unaligned_copy(const void *src, size_t size)
{
	uint8_t *p = malloc(size + 1);

	assert_non_null(p);
	memcpy(p + 1, src, size);
	return p + 1;
}

static void unaligned_free(uint8_t *p)
{
	free(p - 1);
}

/* ---- cpio ---- */

enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_MAJ,
	F_MIN,
	F_RMAJ,
	F_RMIN,
	F_NAMESIZE,
	F_CHECK,
	NFIELDS
};
#define HDR     110
#define TRAILER "TRAILER!!!"

struct cpio {
	uint8_t data[4096];
	size_t len;
};

static void set_field(struct cpio *c, size_t hdr, int field, uint32_t v)
{
	char tmp[9];

	snprintf(tmp, sizeof(tmp), "%08X", v);
	memcpy(c->data + hdr + 6 + 8 * field, tmp, 8);
}

/* Append an entry as `cpio -H newc` writes it; returns its offset. */
static size_t cpio_add(struct cpio *c, const char *name, uint32_t mode,
		       const char *data)
{
	size_t off = c->len, nsz = strlen(name) + 1, size = strlen(data);

	memcpy(c->data + off, "070701", 6);
	for (int i = 0; i < NFIELDS; i++)
		set_field(c, off, i, 0);
	set_field(c, off, F_INO, (uint32_t)off + 1);
	set_field(c, off, F_MODE, mode);
	set_field(c, off, F_NLINK, 1);
	set_field(c, off, F_MTIME, 0x6543210f);
	set_field(c, off, F_FILESIZE, (uint32_t)size);
	set_field(c, off, F_NAMESIZE, (uint32_t)nsz);
	memcpy(c->data + off + HDR, name, nsz);
	c->len = ALIGN_UP(off + HDR + nsz, 4);
	memcpy(c->data + c->len, data, size);
	c->len = ALIGN_UP(c->len + size, 4);
	assert_true(c->len < sizeof(c->data));
	return off;
}

struct found {
	int err;
	size_t off, len; /* of the data, in the archive */
	uint32_t mode;
	char text[64];
};

/* cpio_find over the first len bytes of c. */
static struct found find_n(const struct cpio *c, size_t len, const char *path)
{
	uint8_t *a = unaligned_copy(c->data, len);
	struct found f = {0};
	const void *data = NULL;

	f.err = cpio_find(a, len, path, &data, &f.len, &f.mode);
	if (f.err == 0) {
		f.off = (const uint8_t *)data - a;
		assert_true(f.off <= len && f.len <= len - f.off);
		memcpy(f.text, data, MIN(f.len, sizeof(f.text) - 1));
	}
	unaligned_free(a);
	return f;
}

static struct found find(const struct cpio *c, const char *path)
{
	return find_n(c, c->len, path);
}

/* The tree `find . | cpio -o -H newc` writes, plus a bare name. */
static void sample_archive(struct cpio *c, size_t *sh_hdr)
{
	c->len = 0;
	cpio_add(c, ".", LUX_S_IFDIR | 0755, "");
	cpio_add(c, "./bin", LUX_S_IFDIR | 0755, "");
	*sh_hdr = cpio_add(c, "./bin/sh", LUX_S_IFREG | 0755, "shell!");
	cpio_add(c, "./etc/motd", LUX_S_IFREG | 0644, "hello");
	cpio_add(c, "init", LUX_S_IFREG | 0700, "abc");
	cpio_add(c, TRAILER, 0, "");
}

static void test_cpio_finds_files(void **state)
{
	struct cpio c;
	size_t sh;
	struct found f;

	(void)state;
	sample_archive(&c, &sh);
	f = find(&c, "bin/sh");
	assert_int_equal(f.err, 0);
	assert_string_equal(f.text, "shell!");
	assert_int_equal(f.len, 6);
	assert_int_equal(f.off, ALIGN_UP(sh + HDR + 9, 4));
	assert_int_equal(f.mode, LUX_S_IFREG | 0755);
	f = find(&c, "etc/motd"); /* odd length, padded */
	assert_int_equal(f.err, 0);
	assert_string_equal(f.text, "hello");
	assert_int_equal(f.mode, LUX_S_IFREG | 0644);
	f = find(&c, "init"); /* last before the trailer, no "./" */
	assert_int_equal(f.err, 0);
	assert_string_equal(f.text, "abc");
	assert_int_equal(f.mode, LUX_S_IFREG | 0700);
	f = find(&c, "bin");
	assert_int_equal(f.err, 0);
	assert_int_equal(f.len, 0);
	assert_int_equal(f.mode, LUX_S_IFDIR | 0755);
}

static void test_cpio_missing(void **state)
{
	static const char *const absent[] = {
	    "sh", "bin/s", "bin/sh2", "etc", "./init", "/bin/sh", TRAILER,
	};
	struct cpio c;
	size_t sh;

	(void)state;
	sample_archive(&c, &sh);
	for (size_t i = 0; i < ARRAY_SIZE(absent); i++)
		assert_int_equal(find(&c, absent[i]).err, -ENOENT);
	/* Nothing after the trailer is looked at. */
	cpio_add(&c, "late", LUX_S_IFREG, "x");
	assert_int_equal(find(&c, "late").err, -ENOENT);
	/* An archive that is only a trailer. */
	c.len = 0;
	cpio_add(&c, TRAILER, 0, "");
	assert_int_equal(find(&c, "init").err, -ENOENT);
	assert_int_equal(find_n(&c, 0, "init").err, -EINVAL);
}

/* Each field of a header: any non-hex digit makes the archive bad; hex
 * digits in either case are read. */
static void test_cpio_bad_fields(void **state)
{
	struct cpio c;
	size_t sh;

	(void)state;
	sample_archive(&c, &sh);
	for (int field = 0; field < NFIELDS; field++) {
		for (int pos = 0; pos < 8; pos++) {
			for (const char *bad = "gG x-/:@`\0";; bad++) {
				uint8_t *p = &c.data[sh + 6 + 8 * field + pos];
				uint8_t saved = *p;
				*p = *bad;
				assert_int_equal(find(&c, "init").err, -EINVAL);
				*p = saved;
				if (*bad == '\0')
					break;
			}
		}
	}
	memcpy(&c.data[sh + 6 + 8 * F_MODE], "000081eD", 8);
	assert_int_equal(find(&c, "bin/sh").mode, 0x81ed);
	for (int i = 0; i < 6; i++) {
		c.data[sh + i] ^= 1;
		assert_int_equal(find(&c, "init").err, -EINVAL);
		c.data[sh + i] ^= 1;
	}
	memcpy(&c.data[sh], "070702", 6); /* the CRC format is not read */
	assert_int_equal(find(&c, "init").err, -EINVAL);
}

/* Names and sizes that run past the archive, or names not terminated. */
static void test_cpio_bad_lengths(void **state)
{
	struct cpio c;
	size_t sh;

	(void)state;
	sample_archive(&c, &sh);
	static const uint32_t bad_names[] = {0, 7, 8, 0x1000, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(bad_names); i++) {
		set_field(&c, sh, F_NAMESIZE, bad_names[i]);
		assert_int_equal(find(&c, "init").err, -EINVAL);
		assert_int_equal(find(&c, "bin/sh").err, -EINVAL);
	}
	set_field(&c, sh, F_NAMESIZE, 9);
	assert_int_equal(find(&c, "bin/sh").err, 0);
	/* A wrong size makes the walk land on something not a header. */
	static const uint32_t bad_sizes[] = {2, 9, 0x1000, 0xfffffffc,
					     0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(bad_sizes); i++) {
		set_field(&c, sh, F_FILESIZE, bad_sizes[i]);
		assert_int_equal(find(&c, "init").err, -EINVAL);
	}
	set_field(&c, sh, F_FILESIZE, 0xfffffff0);
	assert_int_equal(find(&c, "bin/sh").err, -EINVAL);
	set_field(&c, sh, F_FILESIZE, 6);
	assert_int_equal(find(&c, "init").err, 0);
}

/* Every truncation: never a read past the end, and -EINVAL until the
 * trailer's name is complete. */
static void test_cpio_truncated(void **state)
{
	struct cpio c;
	size_t sh, init_data, trailer_end;

	(void)state;
	sample_archive(&c, &sh);
	init_data = find(&c, "init").off;
	trailer_end =
	    c.len - ALIGN_UP(HDR + sizeof(TRAILER), 4) + HDR + sizeof(TRAILER);
	for (size_t len = 0; len < c.len; len++) {
		assert_int_equal(find_n(&c, len, "missing").err,
				 len < trailer_end ? -EINVAL : -ENOENT);
		assert_int_equal(find_n(&c, len, "init").err,
				 len < init_data + 3 ? -EINVAL : 0);
	}
}

/* Names and data ending exactly at the end of the archive. */
static void test_cpio_boundary(void **state)
{
	struct cpio c = {.len = 0};

	(void)state;
	cpio_add(&c, TRAILER, 0, "");
	size_t exact = HDR + sizeof(TRAILER); /* unpadded: 121 bytes */
	assert_int_equal(find_n(&c, exact, "x").err, -ENOENT);
	assert_int_equal(find_n(&c, exact - 1, "x").err, -EINVAL);
	/* A file whose name ends the archive, with no room for padding. */
	c.len = 0;
	cpio_add(&c, "./abcdefghi", LUX_S_IFREG, ""); /* 110 + 12: padded 124 */
	struct found f = find_n(&c, HDR + 12, "abcdefghi");
	assert_int_equal(f.err, -EINVAL); /* data would start past the end */
	f = find_n(&c, HDR + 12 + 2, "abcdefghi"); /* rounded: 124 */
	assert_int_equal(f.err, 0);
	/* ... and a name one byte longer than the archive. */
	assert_int_equal(find_n(&c, HDR + 11, "abcdefghi").err, -EINVAL);
	/* Data ending the archive exactly, unpadded. */
	c.len = 0;
	cpio_add(&c, "f", LUX_S_IFREG, "12345");
	f = find_n(&c, HDR + 2 + 5, "f");
	assert_int_equal(f.err, 0);
	assert_string_equal(f.text, "12345");
	assert_int_equal(find_n(&c, HDR + 2 + 4, "f").err, -EINVAL);
	assert_int_equal(find_n(&c, HDR + 2 + 5, "g").err, -EINVAL);
	/* No trailer: the walk runs off the end. */
	assert_int_equal(find(&c, "g").err, -EINVAL);
}

/* ---- ELF ---- */

/* Two ELF machines, their numbers from <elf.h>: the parser accepts the
 * one it is asked for and refuses any other. */
#define EM_ONE    62
#define EM_OTHER  183
#define ET_REL    1
#define ET_EXEC   2
#define ET_DYN    3
#define PT_LOAD   1
#define PT_INTERP 3
#define PT_NOTE   4
#define PT_PHDR   6
#define PT_STACK  0x6474e551 /* PT_GNU_STACK */
#define R         ELF_PROT_R
#define W         ELF_PROT_W
#define X         ELF_PROT_X
#define LIMIT     (1ULL << 47)
#define IMG_SIZE  0x4000

struct ph {
	uint32_t type, flags;
	uint64_t offset, vaddr, filesz, memsz;
};

static uint8_t img[IMG_SIZE];

static void put(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* An ELF64 image in img, field by field from the gABI, with the program
 * headers at phoff. */
static void build_elf(uint16_t type, uint16_t machine, uint64_t entry,
		      uint64_t phoff, const struct ph *ph, unsigned n)
{
	memset(img, 0xcc, sizeof(img));
	memset(img, 0, 64);
	memcpy(img, "\177ELF\2\1\1", 7);
	put(img + 16, type, 2);
	put(img + 18, machine, 2);
	put(img + 20, 1, 4); /* e_version */
	put(img + 24, entry, 8);
	put(img + 32, phoff, 8);
	put(img + 52, 64, 2); /* e_ehsize */
	put(img + 54, 56, 2); /* e_phentsize */
	put(img + 56, n, 2);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *p = img + phoff + 56 * i;
		put(p, ph[i].type, 4);
		put(p + 4, ph[i].flags, 4);
		put(p + 8, ph[i].offset, 8);
		put(p + 16, ph[i].vaddr, 8);
		put(p + 24, ph[i].vaddr, 8); /* p_paddr */
		put(p + 32, ph[i].filesz, 8);
		put(p + 40, ph[i].memsz, 8);
		put(p + 48, 0x1000, 8); /* p_align */
	}
}

static int parse_n(size_t size, uint16_t machine, struct elf_info *info)
{
	uint8_t *copy = unaligned_copy(img, size);
	int r;

	memset(info, 0x5a, sizeof(*info));
	r = elf_parse(copy, size, size, machine, info);
	unaligned_free(copy);
	return r;
}

static int parse(struct elf_info *info)
{
	return parse_n(IMG_SIZE, EM_ONE, info);
}

/* Text (with the headers) then data and bss, as ld lays out a static
 * program: the data's file bytes share a page with the text's, its
 * addresses do not. */
static const struct ph exec_ph[] = {
    {PT_LOAD, R | X, 0, 0x400000, 0x1900, 0x1900},
    {PT_LOAD, R | W, 0x1900, 0x402900, 0x100, 0x3000},
    {PT_STACK, R | W, 0, 0, 0, 0},
};

static void assert_segment(const struct elf_segment *s, const struct ph *ph)
{
	assert_int_equal(s->vaddr, ph->vaddr);
	assert_int_equal(s->memsz, ph->memsz);
	assert_int_equal(s->offset, ph->offset);
	assert_int_equal(s->filesz, ph->filesz);
	assert_int_equal(s->prot, ph->flags);
}

static void test_elf_exec(void **state)
{
	struct elf_info info;

	(void)state;
	build_elf(ET_EXEC, EM_ONE, 0x400100, 64, exec_ph, 3);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.entry, 0x400100);
	assert_int_equal(info.phdr_vaddr, 0x400040);
	assert_int_equal(info.phnum, 3);
	assert_int_equal(info.phentsize, 56);
	assert_false(info.pie);
	assert_int_equal(info.nseg, 2);
	assert_segment(&info.seg[0], &exec_ph[0]);
	assert_segment(&info.seg[1], &exec_ph[1]);
	/* The same file for the other machine. */
	put(img + 18, EM_OTHER, 2);
	assert_int_equal(parse_n(IMG_SIZE, EM_OTHER, &info), 0);
	assert_int_equal(info.nseg, 2);
	/* Flags beyond R/W/X (PF_MASKOS) are dropped. */
	put(img + 64 + 4, 0x0ff00000 | R | X, 4);
	assert_int_equal(parse_n(IMG_SIZE, EM_OTHER, &info), 0);
	assert_int_equal(info.seg[0].prot, R | X);
}

/* A dynamically linked PIE: the first PT_INTERP names the interpreter. */
static void test_elf_dynamic(void **state)
{
	static const struct ph ph[] = {
	    {PT_PHDR, R, 64, 0x40, 4 * 56, 4 * 56},
	    {PT_INTERP, R, 0x318, 0x318, 0x1c, 0x1c},
	    {PT_LOAD, R | X, 0, 0, 0x1234, 0x1234},
	    {PT_INTERP, R, 0x400, 0x400, 0x10, 0x10},
	};
	struct elf_info info;

	(void)state;
	build_elf(ET_DYN, EM_ONE, 0x1000, 64, ph, 4);
	assert_int_equal(parse(&info), 0);
	assert_true(info.pie);
	assert_int_equal(info.interp_off, 0x318);
	assert_int_equal(info.interp_len, 0x1c);
	assert_int_equal(info.nseg, 1);
	/* A static program has none. */
	build_elf(ET_EXEC, EM_ONE, 0x400100, 64, exec_ph, 3);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.interp_len, 0);
}

static void test_elf_static_pie(void **state)
{
	static const struct ph ph[] = {
	    {PT_PHDR, R, 64, 0x40, 4 * 56, 4 * 56},
	    {PT_LOAD, R | X, 0, 0, 0x1234, 0x1234},
	    {PT_LOAD, R | W, 0x2000, 0x3000, 0x800, 0x1000},
	    {PT_NOTE, R, 0x200, 0x200, 0x20, 0x20},
	};
	struct elf_info info;

	(void)state;
	build_elf(ET_DYN, EM_ONE, 0x1000, 64, ph, 4);
	assert_int_equal(parse(&info), 0);
	assert_true(info.pie);
	assert_int_equal(info.entry, 0x1000);
	assert_int_equal(info.phdr_vaddr, 0x40);
	assert_int_equal(info.nseg, 2);
	assert_segment(&info.seg[0], &ph[1]);
	assert_segment(&info.seg[1], &ph[2]);
}

/* AT_PHDR: PT_PHDR when present, else wherever a PT_LOAD maps the program
 * headers, else 0. */
static void test_elf_phdr_vaddr(void **state)
{
	struct ph ph[] = {
	    {PT_LOAD, R | X, 0x1000, 0x401000, 0x1000, 0x1000},
	    {PT_LOAD, R | W, 0x2000, 0x402000, 0x1000, 0x1000},
	    {PT_PHDR, R, 0x2100, 0x777000, 3 * 56, 3 * 56},
	};
	struct elf_info info;

	(void)state;
	build_elf(ET_EXEC, EM_ONE, 0x401000, 0x2100, ph, 3);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.phdr_vaddr, 0x777000);
	build_elf(ET_EXEC, EM_ONE, 0x401000, 0x2100, ph, 2);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.phdr_vaddr, 0x402100);
	/* Only partly inside the data's file bytes: not mapped. */
	ph[1].filesz = 0x100 + 56;
	build_elf(ET_EXEC, EM_ONE, 0x401000, 0x2100, ph, 2);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.phdr_vaddr, 0);
	build_elf(ET_EXEC, EM_ONE, 0x401000, 64, ph, 2);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.phdr_vaddr, 0);
}

/* One change to a valid file's header, and the file is refused. */
static void test_elf_bad_header(void **state)
{
	static const struct {
		unsigned off, bytes;
		uint64_t value;
	} bad[] = {
	    {0, 1, 0x7e},      {1, 1, 'e'},
	    {2, 1, 'l'},       {3, 1, 'f'},
	    {4, 1, 1},         {4, 1, 3},
	    {5, 1, 2},         {5, 1, 0},
	    {6, 1, 0},         {6, 1, 2},
	    {16, 2, ET_REL},   {16, 2, 4},
	    {16, 2, 0},        {18, 2, EM_OTHER},
	    {18, 2, 3},        {20, 4, 0},
	    {20, 4, 2},        {54, 2, 0},
	    {54, 2, 32},       {54, 2, 64},
	    {32, 8, IMG_SIZE}, {32, 8, IMG_SIZE - 56},
	    {32, 8, ~0ULL},    {32, 8, ~0ULL - 7},
	    {56, 2, 0},        {56, 2, 0xffff},
	};
	struct elf_info info;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		build_elf(ET_EXEC, EM_ONE, 0x400100, 64, exec_ph, 3);
		assert_int_equal(parse(&info), 0);
		put(img + bad[i].off, bad[i].value, bad[i].bytes);
		assert_int_equal(parse(&info), -ENOEXEC);
	}
	build_elf(ET_EXEC, EM_ONE, 0x400100, 64, exec_ph, 3);
	assert_int_equal(parse_n(IMG_SIZE, EM_OTHER, &info), -ENOEXEC);
}

/* Every truncation is refused until the data segment's file bytes fit. */
static void test_elf_truncated(void **state)
{
	struct elf_info info;
	size_t need = exec_ph[1].offset + exec_ph[1].filesz;

	(void)state;
	build_elf(ET_EXEC, EM_ONE, 0x400100, 64, exec_ph, 3);
	for (size_t size = 0; size <= need + 1; size++)
		assert_int_equal(parse_n(size, EM_ONE, &info),
				 size < need ? -ENOEXEC : 0);
}

/* Segment tables that must be refused. */
static void test_elf_bad_segments(void **state)
{
	static const struct ph bad[][3] = {
	    /* filesz > memsz */
	    {{PT_LOAD, R | X, 0, 0x400000, 0x1001, 0x1000}},
	    /* file bytes outside the file */
	    {{PT_LOAD, R, IMG_SIZE + 1, 0x400000, 0, 0x1000}},
	    {{PT_LOAD, R, IMG_SIZE - 0x100, 0x400000, 0x101, 0x1000}},
	    {{PT_LOAD, R, ~0ULL - 0xff, 0x400000, 0x200, 0x1000}},
	    {{PT_LOAD, R, 0, 0x400000, ~0ULL, ~0ULL}},
	    /* unsorted, overlapping, sharing a page */
	    {{PT_LOAD, R | W, 0x2000, 0x402000, 0x100, 0x1000},
	     {PT_LOAD, R | X, 0, 0x400000, 0x1000, 0x1000}},
	    {{PT_LOAD, R | X, 0, 0x400000, 0x2000, 0x2000},
	     {PT_LOAD, R | W, 0x2000, 0x401000, 0x100, 0x1000}},
	    {{PT_LOAD, R | X, 0, 0x400000, 0x1900, 0x1900},
	     {PT_LOAD, R | W, 0x1900, 0x401900, 0x100, 0x1000}},
	    {{PT_LOAD, R | X, 0, 0x400000, 0x100, 0x100},
	     {PT_LOAD, R | W, 0x100, 0x400fff, 0x100, 0x1000}},
	    {{PT_LOAD, R | X, 0, 0x400000, 0x100, 0x100},
	     {PT_LOAD, R | W, 0x100, 0x400000, 0x100, 0x100}},
	    /* bss reaching into the next segment's page */
	    {{PT_LOAD, R | W, 0, 0x400000, 0x100, 0x1001},
	     {PT_LOAD, R, 0x2000, 0x401000, 0x100, 0x100}},
	    /* addresses that overflow or reach 2^47 */
	    {{PT_LOAD, R, 0, ~0ULL - 0xfff, 0x100, 0x2000}},
	    {{PT_LOAD, R, 0, 0x1000, 0x100, ~0ULL - 0x800}},
	    {{PT_LOAD, R, 0, LIMIT - 0x1000, 0x100, 0x1000}},
	    {{PT_LOAD, R, 0, LIMIT, 0x100, 0x100}},
	    {{PT_LOAD, R, 0, 0, 0x100, LIMIT}},
	    /* an interpreter's path of 1 or 4097 bytes, or past the file */
	    {{PT_INTERP, R, 0x300, 0x400300, 1, 1},
	     {PT_LOAD, R | X, 0, 0x400000, 0x1000, 0x1000}},
	    {{PT_LOAD, R | X, 0, 0x400000, 0x1000, 0x1000},
	     {PT_INTERP, R, 0x300, 0x400300, 4097, 4097}},
	    {{PT_INTERP, R, IMG_SIZE - 0x10, 0x400300, 0x1c, 0x1c},
	     {PT_LOAD, R | X, 0, 0x400000, 0x1000, 0x1000}},
	    /* nothing to load */
	    {{PT_NOTE, R, 0x300, 0x400300, 0x1c, 0x1c}},
	    {{PT_LOAD, R, 0, 0x400000, 0, 0}},
	};
	struct elf_info info;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		unsigned n = 0;
		while (n < 3 && bad[i][n].type != 0)
			n++;
		build_elf(ET_EXEC, EM_ONE, 0x400000, 64, bad[i], n);
		if (parse(&info) != -ENOEXEC)
			fail_msg("bad segment table %zu accepted", i);
	}
}

/* Limits that are just allowed. */
static void test_elf_edges(void **state)
{
	struct ph ph[ELF_MAX_SEGMENTS + 1];
	struct elf_info info;

	(void)state;
	/* Segments meeting at a page boundary; an empty one skipped. */
	static const struct ph touch[] = {
	    {PT_LOAD, R | X, 0, 0x400000, 0x1000, 0x1000},
	    {PT_LOAD, R, 0x1000, 0x401000, 0, 0},
	    {PT_LOAD, R | W, 0x1000, 0x401000, 0x100, 0x1000},
	    {PT_LOAD, R, 0x2000, LIMIT - 0x1000, 0x100, 0xfff},
	};
	build_elf(ET_EXEC, EM_ONE, 0x400000, 64, touch, 4);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nseg, 3);
	assert_int_equal(info.seg[2].vaddr + info.seg[2].memsz, LIMIT - 1);
	/* File bytes ending exactly at the end of the file. */
	ph[0] = (struct ph){PT_LOAD, R, IMG_SIZE - 0x10, 0x1000, 0x10, 0x10};
	build_elf(ET_EXEC, EM_ONE, 0x1000, 64, ph, 1);
	assert_int_equal(parse(&info), 0);
	/* At most ELF_MAX_SEGMENTS segments. */
	for (unsigned i = 0; i <= ELF_MAX_SEGMENTS; i++)
		ph[i] =
		    (struct ph){PT_LOAD, R, 0, 0x10000 * (i + 1), 0x100, 0x100};
	build_elf(ET_EXEC, EM_ONE, 0x10000, 64, ph, ELF_MAX_SEGMENTS);
	assert_int_equal(parse(&info), 0);
	assert_int_equal(info.nseg, ELF_MAX_SEGMENTS);
	build_elf(ET_EXEC, EM_ONE, 0x10000, 64, ph, ELF_MAX_SEGMENTS + 1);
	assert_int_equal(parse(&info), -ENOEXEC);
}

/* The e_machine of this test program: the host's, as busybox's. */
static unsigned host_machine(void)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	uint8_t h[20];

	assert_non_null(f);
	assert_int_equal(fread(h, 1, sizeof(h), f), sizeof(h));
	fclose(f);
	return h[18] | h[19] << 8;
}

/* Debian's busybox-static: a real static program, as the linker made it. */
static void test_elf_busybox(void **state)
{
	FILE *f = fopen("/bin/busybox", "rb");
	struct elf_info info;
	bool entry_ok = false;

	(void)state;
	if (f == NULL)
		fail_msg("/bin/busybox is missing: apt-get install "
			 "busybox-static");
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size_t size = (size_t)ftell(f);
	uint8_t *buf = malloc(size + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf + 1, 1, size, f), size);
	fclose(f);

	assert_int_equal(elf_parse(buf + 1, size, size, host_machine(), &info),
			 0);
	assert_int_equal(elf_parse(buf + 1, size, size, 1, &info), -ENOEXEC);
	assert_int_equal(elf_parse(buf + 1, size, size, host_machine(), &info),
			 0);
	assert_int_equal(info.phentsize, 56);
	assert_true(info.nseg >= 2 && info.phnum >= info.nseg);
	assert_int_not_equal(info.phdr_vaddr, 0);
	for (unsigned i = 0; i < info.nseg; i++) {
		const struct elf_segment *s = &info.seg[i];
		assert_true(s->offset + s->filesz <= size);
		assert_true(s->filesz <= s->memsz);
		assert_true(s->prot & R);
		assert_false((s->prot & W) && (s->prot & X));
		if (i > 0)
			assert_true(s->vaddr >= info.seg[i - 1].vaddr +
						    info.seg[i - 1].memsz);
		if ((s->prot & X) && info.entry >= s->vaddr &&
		    info.entry < s->vaddr + s->memsz)
			entry_ok = true;
	}
	assert_true(entry_ok);
	assert_true(info.pie || info.seg[0].vaddr >= 0x10000);
	free(buf);
}

/* ---- the initial stack ---- */

#define TOP 0x7ffffffff000ULL

struct stack {
	uint8_t *buf; /* exact size, misaligned */
	size_t size;
	uintptr_t top, sp;
};

static void stack_free(struct stack *s)
{
	unaligned_free(s->buf);
}

static const uint8_t rnd[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2,  3,  4,
				5,    6,    7,    8,    9, 10, 11, 12};

static struct stack build(size_t size, uintptr_t top, const char *const *argv,
			  const char *const *envp, const char *execfn,
			  const uint64_t (*aux)[2], unsigned naux)
{
	static uint8_t garbage[8192];
	struct stack s = {.size = size, .top = top};

	memset(garbage, 0xee, sizeof(garbage));
	s.buf = unaligned_copy(garbage, size);
	s.sp =
	    ustack_build(s.buf, size, top, argv, envp, execfn, aux, naux, rnd);
	return s;
}

/* The word at user address addr, which must be in the stack. */
static uint64_t peek(const struct stack *s, uintptr_t addr)
{
	uint64_t v;

	assert_true(addr >= s->sp && addr + 8 <= s->top);
	memcpy(&v, s->buf + s->size - (s->top - addr), 8);
	return v;
}

/* The string at user address addr, which must end inside the stack. */
static const char *peek_str(const struct stack *s, uintptr_t addr)
{
	assert_true(addr >= s->sp && addr < s->top);
	const char *p = (const char *)s->buf + s->size - (s->top - addr);
	size_t room = s->top - addr;
	size_t n = 0;
	while (n < room && p[n] != '\0')
		n++;
	assert_true(n < room);
	return p;
}

struct decoded {
	uint64_t argc;
	const char *argv[8], *envp[8];
	uintptr_t argv_at[8], envp_at[8];
	unsigned envc;
	uint64_t aux[32][2];
	unsigned naux; /* including AT_NULL */
};

/* Read the stack the way a C runtime's _start does. */
static struct decoded decode(const struct stack *s)
{
	struct decoded d = {0};
	uintptr_t p = s->sp;

	assert_int_equal(s->sp % 16, 0);
	d.argc = peek(s, p);
	assert_true(d.argc < 8);
	p += 8;
	for (unsigned i = 0; i < d.argc; i++, p += 8) {
		d.argv_at[i] = peek(s, p);
		d.argv[i] = peek_str(s, d.argv_at[i]);
	}
	assert_int_equal(peek(s, p), 0);
	for (p += 8; peek(s, p) != 0; p += 8, d.envc++) {
		assert_true(d.envc < 8);
		d.envp_at[d.envc] = peek(s, p);
		d.envp[d.envc] = peek_str(s, d.envp_at[d.envc]);
	}
	for (p += 8;; p += 16) {
		assert_true(d.naux < 32);
		d.aux[d.naux][0] = peek(s, p);
		d.aux[d.naux][1] = peek(s, p + 8);
		if (d.aux[d.naux++][0] == AT_NULL)
			break;
	}
	return d;
}

/* The value of key in d's auxv; it must be there exactly once. */
static uint64_t aux_get(const struct decoded *d, uint64_t key)
{
	int seen = 0;
	uint64_t v = 0;

	for (unsigned i = 0; i < d->naux; i++)
		if (d->aux[i][0] == key) {
			v = d->aux[i][1];
			seen++;
		}
	assert_int_equal(seen, 1);
	return v;
}

static const char *const sh_argv[] = {"sh", "-c", "echo hi", NULL};
static const char *const sh_envp[] = {"PATH=/bin", "HOME=/", NULL};
static const uint64_t sh_aux[][2] = {
    {AT_PAGESZ, 4096},    {AT_PHDR, 0x400040}, {AT_PHNUM, 10},
    {AT_ENTRY, 0x40ebf0}, {AT_UID, 0},
};

static void test_ustack_layout(void **state)
{
	struct stack s;
	struct decoded d;

	(void)state;
	s = build(4096, TOP, sh_argv, sh_envp, "/bin/sh", sh_aux, 5);
	assert_int_not_equal(s.sp, 0);
	d = decode(&s);
	assert_int_equal(d.argc, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_string_equal(d.argv[i], sh_argv[i]);
	assert_int_equal(d.envc, 2);
	for (unsigned i = 0; i < 2; i++)
		assert_string_equal(d.envp[i], sh_envp[i]);
	/* As on Linux: argv's strings, then envp's, one after another. */
	assert_int_equal(d.argv_at[1], d.argv_at[0] + 3);
	assert_int_equal(d.argv_at[2], d.argv_at[1] + 3);
	assert_int_equal(d.envp_at[0], d.argv_at[2] + 8);
	assert_int_equal(d.envp_at[1], d.envp_at[0] + 10);

	assert_int_equal(d.naux, 5 + 3);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(aux_get(&d, sh_aux[i][0]), sh_aux[i][1]);
	assert_int_equal(d.aux[d.naux - 1][1], 0);
	uintptr_t r = aux_get(&d, AT_RANDOM);
	assert_true(r >= s.sp && r + 16 <= s.top);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(s.buf[s.size - (s.top - r) + i], rnd[i]);
	assert_true(r + 16 <= d.argv_at[0]); /* not overlapping strings */
	uintptr_t fn = aux_get(&d, AT_EXECFN);
	assert_string_equal(peek_str(&s, fn), "/bin/sh");
	assert_true(fn >= d.envp_at[1] + 7);
	/* No more than 15 bytes of padding below the random bytes. */
	uintptr_t table_end = s.sp + 8 * (1 + 4 + 3) + 16 * d.naux;
	assert_true(table_end <= r && r - table_end < 16);
	stack_free(&s);
}

/* AT_PLATFORM's string is copied into the string area. */
static void test_ustack_platform(void **state)
{
	static const char platform[] = "a-platform";
	const uint64_t aux[][2] = {{AT_PAGESZ, 4096},
				   {AT_PLATFORM, (uintptr_t)platform}};
	struct stack s;
	struct decoded d;

	(void)state;
	s = build(4096, TOP, sh_argv, sh_envp, "/bin/sh", aux, 2);
	assert_int_not_equal(s.sp, 0);
	d = decode(&s);
	uintptr_t p = aux_get(&d, AT_PLATFORM);
	assert_true(p > s.sp && p + sizeof(platform) <= s.top);
	assert_string_equal(peek_str(&s, p), platform);
	assert_string_equal(peek_str(&s, aux_get(&d, AT_EXECFN)), "/bin/sh");
	assert_string_equal(d.envp[1], "HOME=/");
	stack_free(&s);
}

/* No argv or envp at all (NULL), or empty lists. */
static void test_ustack_empty(void **state)
{
	static const char *const none[] = {NULL};
	struct stack s;
	struct decoded d;

	(void)state;
	s = build(256, TOP, NULL, NULL, "", NULL, 0);
	assert_int_not_equal(s.sp, 0);
	d = decode(&s);
	assert_int_equal(d.argc, 0);
	assert_int_equal(d.envc, 0);
	assert_int_equal(d.naux, 3);
	assert_string_equal(peek_str(&s, aux_get(&d, AT_EXECFN)), "");
	stack_free(&s);
	s = build(256, TOP, none, none, "x", NULL, 0);
	d = decode(&s);
	assert_int_equal(d.argc, 0);
	assert_int_equal(d.envc, 0);
	stack_free(&s);
}

/* sp is 16-byte aligned whatever the string lengths and counts, and for
 * a top that is not aligned itself. */
static void test_ustack_alignment(void **state)
{
	static const char long_str[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	(void)state;
	for (unsigned argc = 0; argc <= 4; argc++) {
		for (size_t len = 0; len < 20; len++) {
			for (uintptr_t skew = 0; skew < 16; skew += 5) {
				const char *argv[5] = {0};
				for (unsigned i = 0; i < argc; i++)
					argv[i] = long_str + sizeof(long_str) -
						  1 - len - i;
				struct stack s =
				    build(1024, TOP - skew, argv, sh_envp,
					  long_str + len, sh_aux, len % 6);
				assert_int_not_equal(s.sp, 0);
				struct decoded d = decode(&s);
				assert_int_equal(d.argc, argc);
				for (unsigned i = 0; i < argc; i++)
					assert_string_equal(d.argv[i], argv[i]);
				assert_int_equal(d.naux, len % 6 + 3);
				stack_free(&s);
			}
		}
	}
}

/* Too small a buffer gives 0 (E2BIG) and writes nothing out of it; the
 * smallest that works holds exactly what is between sp and top. */
static void test_ustack_too_big(void **state)
{
	size_t min = 0;

	(void)state;
	for (size_t size = 0; size < 1024; size++) {
		struct stack s =
		    build(size, TOP, sh_argv, sh_envp, "/bin/sh", sh_aux, 5);
		if (s.sp != 0 && min == 0)
			min = size;
		assert_true(min == 0 ? s.sp == 0 : s.sp != 0);
		if (s.sp != 0)
			assert_true(s.top - s.sp <= size);
		stack_free(&s);
	}
	assert_true(min > 0);
	struct stack s =
	    build(min, TOP, sh_argv, sh_envp, "/bin/sh", sh_aux, 5);
	assert_int_equal(s.top - s.sp, min);
	decode(&s);
	stack_free(&s);
	/* A top too low for the stack. */
	s = build(min, 64, sh_argv, sh_envp, "/bin/sh", sh_aux, 5);
	assert_int_equal(s.sp, 0);
	stack_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cpio_finds_files),
	    cmocka_unit_test(test_cpio_missing),
	    cmocka_unit_test(test_cpio_bad_fields),
	    cmocka_unit_test(test_cpio_bad_lengths),
	    cmocka_unit_test(test_cpio_truncated),
	    cmocka_unit_test(test_cpio_boundary),
	    cmocka_unit_test(test_elf_exec),
	    cmocka_unit_test(test_elf_static_pie),
	    cmocka_unit_test(test_elf_dynamic),
	    cmocka_unit_test(test_ustack_platform),
	    cmocka_unit_test(test_elf_phdr_vaddr),
	    cmocka_unit_test(test_elf_bad_header),
	    cmocka_unit_test(test_elf_truncated),
	    cmocka_unit_test(test_elf_bad_segments),
	    cmocka_unit_test(test_elf_edges),
	    cmocka_unit_test(test_elf_busybox),
	    cmocka_unit_test(test_ustack_layout),
	    cmocka_unit_test(test_ustack_empty),
	    cmocka_unit_test(test_ustack_alignment),
	    cmocka_unit_test(test_ustack_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
