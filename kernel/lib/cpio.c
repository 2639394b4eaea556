/*
 * cpio.c - look files up in the initrd, a cpio archive in the "newc"
 * format: per entry a 110-byte header ("070701" and 13 fields of 8 hex
 * digits), the NUL-terminated name, padding to 4 bytes, the data, padding
 * to 4 bytes; the entry named "TRAILER!!!" ends the archive.
 */
#include "exec.h"
#include <lux/errno.h>

#define CPIO_HDR_SIZE 110
/* The header's fields we read (by index), and how many there are. */
enum { CPIO_MODE = 1, CPIO_FILESIZE = 6, CPIO_NAMESIZE = 11, CPIO_FIELDS = 13 };

/* Parse the 8 hex digits at p into *v; false if one is not a hex digit. */
static bool cpio_hex(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++) {
		char c = p[i], l = c | 0x20;
		unsigned d = c >= '0' && c <= '9'   ? c - '0'
			     : l >= 'a' && l <= 'f' ? l - 'a' + 10
						    : 16;
		if (d > 15)
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

int cpio_find(const void *archive, size_t size, const char *path,
	      const void **data, size_t *len, uint32_t *mode)
{
	const char *base = archive;
	size_t off = 0;

	for (;;) {
		uint32_t f[CPIO_FIELDS];

		if (size - off < CPIO_HDR_SIZE ||
		    memcmp(base + off, "070701", 6) != 0)
			return -EINVAL;
		const char *hdr = base + off, *name = hdr + CPIO_HDR_SIZE;
		for (int i = 0; i < CPIO_FIELDS; i++)
			if (!cpio_hex(hdr + 6 + 8 * i, &f[i]))
				return -EINVAL;
		size_t nsz = f[CPIO_NAMESIZE], fsz = f[CPIO_FILESIZE];
		if (nsz == 0 || nsz > size - off - CPIO_HDR_SIZE ||
		    name[nsz - 1] != '\0')
			return -EINVAL;
		if (strcmp(name, "TRAILER!!!") == 0)
			return -ENOENT;
		size_t at = ALIGN_UP(off + CPIO_HDR_SIZE + nsz, 4);
		if (at > size || fsz > size - at)
			return -EINVAL;
		/* `find .` names files "./bin/sh". */
		if (strncmp(name, "./", 2) == 0)
			name += 2;
		if (strcmp(name, path) == 0) {
			*data = base + at;
			*len = fsz;
			*mode = f[CPIO_MODE];
			return 0;
		}
		/* Keep off <= size: the data may end unpadded at the end. */
		off = MIN(ALIGN_UP(at + fsz, 4), size);
	}
}
