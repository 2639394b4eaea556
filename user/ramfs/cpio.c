/*
 * cpio.c - the boot fill: the initrd's cpio "newc" archive (magic 070701,
 * or 070702 with checksums) becomes ramfs's first tree. Each entry is a
 * 110-byte header (the magic and 13 fields of 8 hex digits), the name
 * with its NUL padded to 4 bytes, then the data padded to 4 bytes; the
 * entry "TRAILER!!!" ends the archive. Hard-linked files share an inode
 * number, and only the last of them carries the data. Start-up only.
 */
#include "fs.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CPIO_HDR 110
/* The part of the archive in memory at once (a name fits, and a symlink's
 * target; a file's data goes through it in pieces). */
#define CPIO_WINDOW (128 << 10)
enum {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_SIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT
};

/* A file with more than one link, by the archive's inode number. */
struct hardlink {
	uint32_t ino, devmajor, devminor;
	struct node *node;
};

struct fill {
	struct ramfs *fs;
	struct hardlink *links;
	size_t nlinks, cap;
	cpio_read_fn read; /* the archive, through a window of it */
	void *ctx;
	uint64_t len;  /* the archive's bytes */
	uint64_t base; /* the window holds [base, base + have) */
	size_t have;
	char *win; /* CPIO_WINDOW bytes */
};

/* The archive's bytes [off, off + n) (n <= CPIO_WINDOW) in the window,
 * read from off on if they are not there yet; NULL past the end or when
 * the reader fails. A pointer stays good until the next call. */
static const char *fill_at(struct fill *fl, uint64_t off, size_t n)
{
	if (off >= fl->base && off + n <= fl->base + fl->have)
		return fl->win + (off - fl->base);
	if (n > CPIO_WINDOW || off > fl->len || n > fl->len - off)
		return NULL;
	size_t want = fl->len - off < CPIO_WINDOW ? fl->len - off : CPIO_WINDOW,
	       got = 0;
	long r;

	while (got < want && (r = fl->read(fl->ctx, off + got, fl->win + got,
					   want - got)) > 0)
		got += r;
	fl->base = off;
	fl->have = got;
	return got >= n ? fl->win : NULL;
}

static bool hex8(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 8; i++) {
		char c = p[i], l = c | 0x20;
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : l >= 'a' && l <= 'f' ? (unsigned)(l - 'a' + 10)
						    : 16;
		if (d > 15)
			return false;
		*v = *v << 4 | d;
	}
	return true;
}

/* Linux's dev_t encoding of major:minor. */
static uint64_t makedev64(uint64_t major, uint64_t minor)
{
	return (major & 0xfff) << 8 | (major & ~0xfffULL) << 32 |
	       (minor & 0xff) | (minor & ~0xffULL) << 12;
}

/* The directory that holds path's last component, made (0755, root's)
 * with its missing parents; the component in *name, *len. */
static struct node *boot_parent(struct ramfs *fs, const char *path,
				const char **name, size_t *len, int *err)
{
	struct node *dir = fs->root;
	const char *p = path, *e;

	while ((e = strchr(p, '/'))) {
		struct dentry *de = dir_lookup(dir, p, e - p);
		struct node *n = de ? de->node : NULL;
		if (e - p > RAMFS_NAME_MAX) {
			*err = -ENAMETOOLONG;
			return NULL;
		}
		if (n && !LUX_S_ISDIR(n->mode)) {
			*err = -ENOTDIR;
			return NULL;
		}
		if (!n) {
			if (!(n = node_new(fs, LUX_S_IFDIR | 0755, 0, 0)) ||
			    dir_add(fs, dir, p, e - p, n)) {
				if (n) {
					n->nlink = 0;
					node_put(fs, n);
				}
				*err = -ENOSPC;
				return NULL;
			}
			n->dir.parent = dir;
			dir->nlink++;
		}
		dir = n;
		p = e + 1;
	}
	*name = p;
	*len = strlen(p);
	if (*len > RAMFS_NAME_MAX) {
		*err = -ENAMETOOLONG;
		return NULL;
	}
	return dir;
}

/* Take the name de away for a new object (a non-empty directory stays). */
static int boot_replace(struct ramfs *fs, struct node *dir, struct dentry *de)
{
	struct node *old = de->node;

	if (LUX_S_ISDIR(old->mode) && old->dir.head)
		return -ENOTEMPTY;
	dir_remove(fs, dir, de);
	node_unlinked(fs, dir, old);
	return 0;
}

struct node *ramfs_make(struct ramfs *fs, const char *path, uint32_t mode,
			uint32_t uid, uint32_t gid, int *err)
{
	const char *name;
	size_t len;
	struct node *dir, *n;
	struct dentry *de;

	if (!*path) {
		if (!LUX_S_ISDIR(mode)) {
			*err = -EEXIST;
			return NULL;
		}
		n = fs->root;
		goto update;
	}
	if (!(dir = boot_parent(fs, path, &name, &len, err)))
		return NULL;
	if ((de = dir_lookup(dir, name, len))) {
		n = de->node;
		if (LUX_S_ISDIR(n->mode) && LUX_S_ISDIR(mode))
			goto update;
		if ((*err = boot_replace(fs, dir, de)))
			return NULL;
	}
	if (!(n = node_new(fs, mode, uid, gid)) ||
	    dir_add(fs, dir, name, len, n)) {
		if (n) {
			n->nlink = 0;
			node_put(fs, n);
		}
		*err = -ENOSPC;
		return NULL;
	}
	if (LUX_S_ISDIR(mode)) {
		n->dir.parent = dir;
		dir->nlink++;
	}
	return n;
update:
	n->mode = mode;
	n->uid = uid;
	n->gid = gid;
	return n;
}

int ramfs_link(struct ramfs *fs, const char *path, struct node *n)
{
	const char *name;
	size_t len;
	int err = 0;
	struct node *dir = boot_parent(fs, path, &name, &len, &err);
	struct dentry *de;

	if (!dir)
		return err;
	if (!*name)
		return -EEXIST;
	if ((de = dir_lookup(dir, name, len))) {
		if (de->node == n)
			return 0;
		if ((err = boot_replace(fs, dir, de)))
			return err;
	}
	if (dir_add(fs, dir, name, len, n))
		return -ENOSPC;
	n->nlink++;
	return 0;
}

/* The archive's name as a ramfs path: no leading "./" or "/", "" for the
 * root; NULL for a name with "." or ".." inside or a trailing '/'. */
static const char *entry_path(const char *name)
{
	for (;;) {
		if (name[0] == '/')
			name++;
		else if (name[0] == '.' && name[1] == '/')
			name += 2;
		else if (name[0] == '.' && name[1] == 0)
			return "";
		else
			break;
	}
	for (const char *p = name; *p;) {
		size_t len = strcspn(p, "/");
		if (len == 0 ||
		    (p[0] == '.' && (len == 1 || (len == 2 && p[1] == '.'))))
			return NULL;
		p += len;
		if (*p == '/' && !*++p)
			return NULL;
	}
	return name;
}

static struct hardlink *hardlink_find(struct fill *fl, const uint32_t *f)
{
	for (size_t i = 0; i < fl->nlinks; i++) {
		struct hardlink *h = &fl->links[i];
		if (h->ino == f[F_INO] && h->devmajor == f[F_DEVMAJOR] &&
		    h->devminor == f[F_DEVMINOR])
			return h;
	}
	return NULL;
}

static int hardlink_add(struct fill *fl, const uint32_t *f, struct node *n)
{
	if (fl->nlinks == fl->cap) {
		size_t cap = fl->cap ? 2 * fl->cap : 16;
		struct hardlink *l = realloc(fl->links, cap * sizeof(*l));
		if (!l)
			return -ENOSPC;
		fl->links = l;
		fl->cap = cap;
	}
	fl->links[fl->nlinks++] =
	    (struct hardlink){f[F_INO], f[F_DEVMAJOR], f[F_DEVMINOR], n};
	return 0;
}

/* The archive's size bytes at off as the data of the regular file n. */
static int fill_data(struct fill *fl, struct node *n, uint64_t off, size_t size)
{
	for (size_t done = 0, k; done < size; done += k) {
		k = size - done < CPIO_WINDOW ? size - done : CPIO_WINDOW;
		const char *p = fill_at(fl, off + done, k);
		if (!p)
			return -EINVAL;
		if (data_write(fl->fs, n, done, p, k) != (long)k)
			return -ENOSPC;
	}
	return 0;
}

/* Add one archive entry: header fields f, name (good until the data is
 * read), size bytes of data at the archive's offset data. */
static int fill_entry(struct fill *fl, const uint32_t *f, const char *name,
		      uint64_t data, size_t size)
{
	struct ramfs *fs = fl->fs;
	uint32_t mode = f[F_MODE] & (LUX_S_IFMT | 07777),
		 type = mode & LUX_S_IFMT;
	const char *path = entry_path(name);
	struct hardlink *h = NULL;
	struct node *n;
	int err = 0;

	if (!path || (type != LUX_S_IFDIR && type != LUX_S_IFREG &&
		      type != LUX_S_IFLNK && type != LUX_S_IFCHR &&
		      type != LUX_S_IFBLK && type != LUX_S_IFIFO &&
		      type != LUX_S_IFSOCK))
		return -EINVAL;
	if (type == LUX_S_IFLNK && (size == 0 || size >= LUX_PATH_MAX))
		return -EINVAL;
	if (type == LUX_S_IFREG && f[F_NLINK] > 1 &&
	    (h = hardlink_find(fl, f))) {
		n = h->node;
		if ((err = ramfs_link(fs, path, n)))
			return err;
	} else if (!(n = ramfs_make(fs, path, mode, f[F_UID], f[F_GID],
				    &err))) {
		return err;
	}
	if (type == LUX_S_IFREG && size) {
		data_truncate(fs, n, 0);
		if ((err = fill_data(fl, n, data, size)))
			return err;
	} else if (type == LUX_S_IFLNK) {
		const char *p;
		if (!(n->target = ramfs_alloc(fs, size)))
			return -ENOSPC;
		if (!(p = fill_at(fl, data, size)))
			return -EINVAL;
		memcpy(n->target, p, size);
		n->size = size;
	} else if (type == LUX_S_IFCHR || type == LUX_S_IFBLK) {
		n->rdev = makedev64(f[F_RDEVMAJOR], f[F_RDEVMINOR]);
	}
	n->mtime = n->atime = (struct timespec){f[F_MTIME], 0};
	if (type == LUX_S_IFREG && f[F_NLINK] > 1 && !h)
		return hardlink_add(fl, f, n);
	return 0;
}

static uint64_t align4(uint64_t n)
{
	return (n + 3) & ~(uint64_t)3;
}

int cpio_fill_from(struct ramfs *fs, cpio_read_fn read, void *ctx, uint64_t len)
{
	struct fill fl = {.fs = fs, .read = read, .ctx = ctx, .len = len};
	uint64_t off = 0;
	int err = 0;

	if (!(fl.win = malloc(CPIO_WINDOW)))
		return -ENOSPC;
	/* One clock reading for the whole fill, not one call per object. */
	fs->fill_time = ramfs_now();
	for (;;) {
		const char *hdr = fill_at(&fl, off, CPIO_HDR), *name;
		uint32_t f[F_COUNT];
		bool ok = hdr && (memcmp(hdr, "070701", 6) == 0 ||
				  memcmp(hdr, "070702", 6) == 0);
		for (int i = 0; ok && i < F_COUNT; i++)
			ok = hex8(hdr + 6 + 8 * i, &f[i]);
		size_t nsz = ok ? f[F_NAMESIZE] : 0, size = ok ? f[F_SIZE] : 0;
		ok = ok && nsz > 0 && nsz <= len - off - CPIO_HDR &&
		     (name = fill_at(&fl, off, CPIO_HDR + nsz)) &&
		     (name += CPIO_HDR)[nsz - 1] == 0;
		uint64_t data = ok ? align4(off + CPIO_HDR + nsz) : 0;
		if (!ok || data > len || size > len - data) {
			err = -EINVAL;
			break;
		}
		if (strcmp(name, "TRAILER!!!") == 0)
			break;
		int e = fill_entry(&fl, f, name, data, size);
		err = err ? err : e;
		if (e == -ENOSPC)
			break;
		off = align4(data + size);
		if (off > len)
			off = len;
	}
	free(fl.links);
	free(fl.win);
	fs->fill_time = (struct timespec){0, 0};
	return err;
}

/* cpio_fill's reader: the archive in memory (ctx points to its start). */
static long cpio_mem_read(void *ctx, uint64_t off, void *dst, size_t n)
{
	memcpy(dst, (const char *)ctx + off, n);
	return (long)n;
}

int cpio_fill(struct ramfs *fs, const char *buf, size_t len)
{
	return cpio_fill_from(fs, cpio_mem_read, (void *)buf, len);
}
