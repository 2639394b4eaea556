/*
 * elf.c - the personality's check of an ELF64 executable or program
 * interpreter and what to load of it (moved from the kernel with exec). Field layouts from the
 * ELF64 gABI. The headers may sit at any alignment, so they are copied
 * out before they are read. Pure logic, host-tested (tests/unit/).
 *
 * Each PT_LOAD must start on a page after the last page of the one before
 * it. The loader maps a segment's pages with that segment's protection, so
 * two segments sharing a page would need either the union of their
 * protections (text made writable, or data executable) or a special case;
 * GNU ld and lld always begin a segment on a fresh page in memory (only
 * the file offsets may share a page), so such files are rejected instead.
 */
#include "load.h"
#include <lux/errno.h>

enum { EV_CURRENT = 1, ET_EXEC = 2, ET_DYN = 3 };
enum { PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6 }; /* p_type */

struct elf64_ehdr {
	uint8_t ident[16]; /* magic, class, data, version, ... */
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

/* Check PT_LOAD ph against the file (size bytes) and the segment before
 * it, and append it to out. Returns 0 or -ENOEXEC. */
static int elf_add_segment(struct elf_info *out, const struct elf64_phdr *ph,
			   size_t size)
{
	if (ph->memsz == 0) /* maps nothing */
		return 0;
	if (out->nseg == ELF_MAX_SEGMENTS || ph->filesz > ph->memsz ||
	    ph->offset > size || ph->filesz > size - ph->offset ||
	    ph->vaddr >= USER_LIMIT || ph->memsz >= USER_LIMIT - ph->vaddr)
		return -ENOEXEC;
	if (out->nseg > 0) {
		const struct elf_segment *prev = &out->seg[out->nseg - 1];
		if (ph->vaddr < LOAD_UP(prev->vaddr + prev->memsz, LOAD_PAGE))
			return -ENOEXEC;
	}
	out->seg[out->nseg++] = (struct elf_segment){
	    ph->vaddr, ph->memsz, ph->offset, ph->filesz,
	    ph->flags & (ELF_PROT_R | ELF_PROT_W | ELF_PROT_X)};
	return 0;
}

/* Record the first PT_INTERP ph: the interpreter's path, with its NUL,
 * of 2 to 4096 bytes (Linux's bounds) within the file (size bytes). 0 or
 * -ENOEXEC. */
static int elf_add_interp(struct elf_info *out, const struct elf64_phdr *ph,
			  size_t size)
{
	if (ph->filesz < 2 || ph->filesz > 4096 || ph->offset > size ||
	    ph->filesz > size - ph->offset)
		return -ENOEXEC;
	out->interp_off = ph->offset;
	out->interp_len = ph->filesz;
	return 0;
}

/* Where the segment holding file bytes [off, off + len) maps them, or 0
 * if none does. */
static uint64_t elf_file_to_vaddr(const struct elf_info *info, uint64_t off,
				  uint64_t len)
{
	for (unsigned i = 0; i < info->nseg; i++) {
		const struct elf_segment *s = &info->seg[i];
		if (off >= s->offset && off + len <= s->offset + s->filesz)
			return s->vaddr + (off - s->offset);
	}
	return 0;
}

int elf_parse(const void *image, size_t avail, size_t size, uint16_t machine,
	      struct elf_info *out)
{
	const uint8_t *img = image;
	struct elf64_ehdr eh;
	struct elf64_phdr ph;

	if (avail < sizeof(eh) || avail > size)
		return -ENOEXEC;
	memcpy(&eh, img, sizeof(eh));
	/* Magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT. */
	if (memcmp(eh.ident, "\177ELF\2\1\1", 7) != 0 ||
	    eh.version != EV_CURRENT || eh.machine != machine ||
	    (eh.type != ET_EXEC && eh.type != ET_DYN) ||
	    eh.phentsize != sizeof(ph) || eh.phoff > avail ||
	    (size_t)eh.phnum * sizeof(ph) > avail - eh.phoff)
		return -ENOEXEC;
	*out = (struct elf_info){.entry = eh.entry,
				 .phnum = eh.phnum,
				 .phentsize = eh.phentsize,
				 .pie = eh.type == ET_DYN};
	for (unsigned i = 0; i < eh.phnum; i++) {
		memcpy(&ph, img + eh.phoff + i * sizeof(ph), sizeof(ph));
		if (ph.type == PT_INTERP && !out->interp_len &&
		    elf_add_interp(out, &ph, size))
			return -ENOEXEC;
		if (ph.type == PT_PHDR)
			out->phdr_vaddr = ph.vaddr;
		if (ph.type == PT_LOAD && elf_add_segment(out, &ph, size) != 0)
			return -ENOEXEC;
	}
	if (out->nseg == 0)
		return -ENOEXEC;
	if (out->phdr_vaddr == 0) /* no PT_PHDR */
		out->phdr_vaddr =
		    elf_file_to_vaddr(out, eh.phoff, eh.phnum * sizeof(ph));
	return 0;
}
