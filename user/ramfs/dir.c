/*
 * dir.c - directories: a list of entries in the order they were added,
 * each with a cookie that never changes and grows with every addition, so
 * a getdents position (the next cookie) stays valid while entries come and
 * go: a listing never repeats an entry nor skips one that stayed.
 * Cookies 0 and 1 are "." and "..".
 */
#include "fs.h"
#include <errno.h>
#include <string.h>

struct dentry *dir_lookup(struct node *dir, const char *name, size_t len)
{
	for (struct dentry *de = dir->dir.head; de; de = de->next)
		if (de->len == len && memcmp(de->name, name, len) == 0)
			return de;
	return NULL;
}

int dir_add(struct ramfs *fs, struct node *dir, const char *name, size_t len,
	    struct node *n)
{
	struct dentry *de = ramfs_alloc(fs, sizeof(*de) + len + 1);

	if (!de)
		return -ENOSPC;
	de->cookie = dir->dir.next_cookie++;
	de->node = n;
	de->len = len;
	memcpy(de->name, name, len);
	de->name[len] = 0;
	de->next = NULL;
	de->prev = dir->dir.tail;
	ramfs_order(); /* filled in before it is linked */
	if (de->prev)
		de->prev->next = de;
	else
		dir->dir.head = de;
	dir->dir.tail = de;
	dir->size += DIR_ENTRY_SIZE;
	return 0;
}

void dir_remove(struct ramfs *fs, struct node *dir, struct dentry *de)
{
	if (de->prev)
		de->prev->next = de->next;
	else
		dir->dir.head = de->next;
	if (de->next)
		de->next->prev = de->prev;
	else
		dir->dir.tail = de->prev;
	dir->size -= DIR_ENTRY_SIZE;
	ramfs_free(fs, de, sizeof(*de) + de->len + 1);
}

/* struct linux_dirent64's fixed part: d_ino, d_off, d_reclen, d_type. */
#define DIRENT_HEAD 19

/* Append one record to buf at *len (room bytes): false if it does not
 * fit. */
static bool dirent_put(char *buf, size_t room, size_t *len, uint64_t ino,
		       uint64_t next, uint32_t mode, const char *name,
		       size_t nlen)
{
	size_t reclen = (DIRENT_HEAD + nlen + 1 + 7) & ~(size_t)7;
	uint16_t r16 = reclen;
	uint8_t type = (mode >> 12) & 15; /* DT_* is LUX_S_IFMT >> 12 */
	char *p = buf + *len;

	if (reclen > room - *len)
		return false;
	memset(p, 0, reclen);
	memcpy(p, &ino, 8);
	memcpy(p + 8, &next, 8);
	memcpy(p + 16, &r16, 2);
	p[18] = type;
	memcpy(p + DIRENT_HEAD, name, nlen);
	*len += reclen;
	return true;
}

long dir_read(struct node *dir, uint64_t pos, char *buf, size_t room,
	      uint64_t *next)
{
	size_t len = 0;
	struct dentry *de = dir->dir.head;

	*next = pos;
	if (pos == 0) {
		if (!dirent_put(buf, room, &len, dir->ino, 1, dir->mode, ".",
				1))
			return -EINVAL;
		*next = pos = 1;
	}
	if (pos == 1) {
		struct node *up = dir->dir.parent;
		if (!dirent_put(buf, room, &len, up->ino, 2, up->mode, "..", 2))
			return len ? (long)len : -EINVAL;
		*next = pos = 2;
	}
	while (de && de->cookie < pos)
		de = de->next;
	for (; de; de = de->next) {
		uint64_t after = de->next ? de->next->cookie : de->cookie + 1;
		if (!dirent_put(buf, room, &len, de->node->ino, after,
				de->node->mode, de->name, de->len))
			return len ? (long)len : -EINVAL;
		*next = after;
	}
	return len;
}
