/*
 * exec.h - the initrd's cpio archive, where the personality image and the
 * programs that start the file system come from. Pure logic, host-tested.
 * (ELF loading and the initial stack are the personality's:
 * user/persona/exec.c.)
 */
#pragma once

#include "kernel.h"

/*
 * lib/cpio.c: find path (no leading '/', e.g. "bin/sh") in a cpio "newc"
 * archive. On success *data, *len give the file's contents and *mode its
 * st_mode; returns 0, -ENOENT if absent, -EINVAL if the archive is
 * malformed (every header and length is checked against size).
 */
int cpio_find(const void *archive, size_t size, const char *path,
	      const void **data, size_t *len, uint32_t *mode);
