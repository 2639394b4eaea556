/*
 * fs.h - ramfs, the in-memory file system behind "/": its objects
 * (node.c), the request server that turns one request into one reply
 * (fs.c, names.c, attr.c, io.c; serve.h), the file data store (data.c),
 * directories (dir.c) and the boot fill from a cpio newc archive
 * (cpio.c). No system calls but clock_gettime: the host unit tests drive
 * it directly; main.c is the loop on the channel.
 *
 * Every byte ramfs holds is counted in struct ramfs (used, limit): an
 * allocation past the limit or one the arena cannot serve fails with
 * ENOSPC. Everything the tree is made of lives in one arena (arena.c), a
 * memory object that lumen holds across the server's death and that
 * every instance maps at the same address, so pointers stay valid; a new
 * instance checks the tree and rebuilds its free space from what it
 * reaches (recover.c). Each operation writes in an order that leaves the
 * tree valid at every step (a block or an entry is filled in before it
 * is linked), or leaves an intent in the arena's header that recovery
 * completes (rename). docs/ramfs.md.
 */
#pragma once

#include <lux/proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RAMFS_BLOCK    4096
#define RAMFS_NAME_MAX 255
#define RAMFS_HASH     4096 /* buckets of the object table */
/* The largest file: 2^45 blocks, what a five-level data tree reaches. */
#define RAMFS_MAX_SIZE (1ULL << 57)
#define RAMFS_MAGIC    0x01021994 /* statfs f_type: Linux's TMPFS_MAGIC */
/* A directory's st_size grows by this per entry (as on Linux tmpfs). */
#define DIR_ENTRY_SIZE 20

struct node;

/* A directory entry; a directory's entries are in the order they were
 * added, which is also the order of their cookies (getdents positions). */
struct dentry {
	struct dentry *prev, *next;
	uint64_t cookie;
	struct node *node;
	uint16_t len;
	char name[];
};

/* An object: directory, regular file, symbolic link or device node. */
struct node {
	uint64_t ino; /* also its handle */
	struct node *hnext;
	uint32_t mode, uid, gid;
	uint32_t linkable; /* O_TMPFILE without O_EXCL, never linked yet */
	uint64_t nlink, rdev, size;
	uint64_t opens; /* OPEN replies not yet matched by a CLOSE */
	struct timespec atime, mtime, ctime;
	union {
		struct {
			struct dentry *head, *tail;
			uint64_t next_cookie;
			struct node *parent;
		} dir;
		struct {
			/* data tree (data.c): its root, with its levels
			 * above the blocks in the low bits (one store
			 * makes a tree taller) */
			void *tree;
			uint64_t blocks; /* blocks allocated */
			/* the memory object holding its current bytes
			 * once mapped (fmap.c): this instance's
			 * descriptor + 1, or 0; mapped from a
			 * descriptor open for writing (a shared mapping
			 * may store: write-back needed) */
			uint32_t obj, obj_rw;
			/* O_TMPFILE: the number of its hidden name
			 * (tmpfile.c), or 0 */
			uint64_t tmp;
		} file;
		char *target; /* symbolic link: size bytes, no NUL */
	};
};

/* The arena's first page: what a new instance needs to find the tree. */
struct ramfs_head {
	uint64_t magic, version;
	uint64_t pages; /* the arena's size in pages */
	uint64_t top;   /* pages handed out so far (this one included) */
	struct node *root;
	uint64_t next_ino; /* never reused */
	uint64_t filled;   /* the boot image is in */
	uint64_t dev;      /* st_dev of its objects, the same in every
			     * instance */
	struct {           /* a rename under way (names.c, recover.c) */
		struct dentry *from, *to; /* both name x when set */
		struct node *from_dir, *x, *y;
		uint64_t exchange; /* else: to names x, from goes */
	} intent;
};

#define ARENA_PAGE    4096
#define ARENA_CLASSES 7 /* chunks of 64 << c bytes, c < 7 */
#define ARENA_NONE    UINT32_MAX

/* An arena page as the allocator sees it (private, rebuilt at recovery). */
struct arena_page {
	uint64_t used; /* chunk i taken */
	uint32_t next; /* next page in its class's list, or the free list */
	uint8_t cls;   /* 0 free, c + 1 class c, ARENA_HEAD the header */
	bool listed;   /* in its class's list of pages with room */
};
#define ARENA_HEAD 0xff

struct ramfs {
	struct node *root;
	struct node *table[RAMFS_HASH]; /* every object by ino */
	uint64_t used, limit;           /* bytes */
	uint64_t nodes;
	uint64_t dev;            /* st_dev of its objects */
	struct ramfs_head *head; /* the arena (its first page) */
	struct arena_page *pages;
	uint32_t partial[ARENA_CLASSES]; /* pages with room, per class */
	uint32_t free_pages;
	bool own_arena;  /* mapped by ramfs_init: unmapped by destroy */
	uint32_t mapped; /* files with a memory object (fmap.c) */
	int state_fd;    /* the memory object (pages made before use), or -1 */
	uint32_t made;   /* pages below it made by this instance (fallocate) */
	bool readonly;   /* LUX_READONLY: every change is EROFS */
	struct timespec fill_time; /* the boot fill's one time for all, or 0 */
};

/* The server (main.c): with a memory object state_fd to keep its tree
 * in, or -1 (a tmpfs); returns only when the channel is gone. */
int ramfs_main(int state_fd);

/* Set up an empty file system (a root directory 0755 owned by root) that
 * may hold limit bytes, in an arena of its own; 0 or -ENOSPC. */
int ramfs_init(struct ramfs *fs, uint64_t limit);

/* Use the arena at base (pages pages, mapped): find the tree there and
 * check it (1), or make an empty one (0); -ENOSPC/-ENOMEM. */
int ramfs_attach(struct ramfs *fs, void *base, uint64_t pages);

/* Free every object (an unmounted tmpfs, the end of a test). */
void ramfs_destroy(struct ramfs *fs);

/* arena.c: claim the chunk of n bytes at p for recovery: false if p
 * cannot be one (outside the arena, misaligned, in a page of another
 * size, claimed already). */
bool arena_claim(struct ramfs *fs, const void *p, size_t n);
/* Rebuild the free lists from the chunks taken (after recovery, or when
 * out of pages: empty pages become free). */
void arena_relist(struct ramfs *fs);
/* Whole pages the arena can still give out (never used, or emptied),
 * and no more than ramfs' limit leaves: what statfs calls free blocks. */
uint64_t arena_free_pages(const struct ramfs *fs);
/* recover.c: walk the tree from the root, cut what is not valid, recount
 * links and sizes, claim every chunk reached, roll a rename forward. */
void ramfs_recover(struct ramfs *fs);
/* The root of f's data tree and its levels above the blocks. */
static inline void *data_root(const struct node *f)
{
	return (void *)((uintptr_t)f->file.tree & ~(uintptr_t)7);
}
static inline int data_depth(const struct node *f)
{
	return (uintptr_t)f->file.tree & 7;
}
/* Keep the compiler from moving writes across this point: what comes
 * before is in the arena before what comes after (a crash is a signal
 * stopping the server between two instructions). */
static inline void ramfs_order(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}
/* recover.c: claim f's data tree, cutting what is past its size or not
 * valid; zero its last block past the end. */
void data_recover(struct ramfs *fs, struct node *f);

/* Serve request m (m->req.len bytes, its payload NUL-terminated after its
 * end): fill the reply r (zeroed by the caller) and its payload at out
 * (room for LUX_MSG_MAX - sizeof *r bytes). Returns the payload's length,
 * or -1 when the request takes no reply (CLOSE, CANCEL). */
long ramfs_serve(struct ramfs *fs, const struct lux_req *q, const char *data,
		 struct lux_rep *r, char *out);

/* Allocation counted against the limit: NULL when it is full. */
void *ramfs_alloc(struct ramfs *fs, size_t n);
void ramfs_free(struct ramfs *fs, void *p, size_t n);
struct timespec ramfs_now(void);

/* Objects. */
struct node *node_new(struct ramfs *fs, uint32_t mode, uint32_t uid,
		      uint32_t gid);
struct node *node_find(struct ramfs *fs, uint64_t ino);
/* Free n once no name and no open descriptor holds it. */
void node_put(struct ramfs *fs, struct node *n);
/* n lost a name in dir (taken out of its list already): count the link,
 * then node_put. */
void node_unlinked(struct ramfs *fs, struct node *dir, struct node *n);

/* Unnamed files (tmpfile.c, docs/decisions/0037-tmpfile.md): the open
 * file whose hidden name is (name, len), or NULL. */
struct node *tmp_find(struct ramfs *fs, const char *name, size_t len);

/* Directories (dir.c). */
struct dentry *dir_lookup(struct node *dir, const char *name, size_t len);
int dir_add(struct ramfs *fs, struct node *dir, const char *name, size_t len,
	    struct node *n);
void dir_remove(struct ramfs *fs, struct node *dir, struct dentry *de);
/* getdents64 records from cookie pos into buf (room bytes): their length,
 * -EINVAL when the first does not fit; *next = the cookie after them. */
long dir_read(struct node *dir, uint64_t pos, char *buf, size_t room,
	      uint64_t *next);

/* File data (data.c): through the file's memory object once it has one
 * (fmap.c). Bytes read, or -ENOMEM (the object could not be read). */
long data_read(struct node *f, uint64_t off, char *buf, size_t len);
/* Bytes written (fewer when memory ran out), or -ENOSPC / -EFBIG. */
long data_write(struct ramfs *fs, struct node *f, uint64_t off, const char *buf,
		size_t len);
/* Set the size; blocks past it go, the rest of its last block is zeroed.
 * 0, or -EFBIG. */
int data_truncate(struct ramfs *fs, struct node *f, uint64_t size);
/* data_read and data_write of the arena's blocks only. */
long blocks_read(struct node *f, uint64_t off, char *buf, size_t len);
long blocks_write(struct ramfs *fs, struct node *f, uint64_t off,
		  const char *buf, size_t len);

/* File mapping (fmap.c, docs/decisions/0032-file-mapping.md). */
/* LUX_MAP of regular file f (rw: from a descriptor open for writing):
 * its memory object (a descriptor of this process, made and filled from
 * the blocks at the first map), or -ENODEV (not a regular file),
 * -ENOMEM. */
long fmap_map(struct ramfs *fs, struct node *f, bool rw);
/* f's object's bytes at off (data_read's contract). */
long fmap_read(struct node *f, uint64_t off, char *buf, size_t len);
/* f's size or bytes [off, off + len) changed (buf NULL: only the size):
 * make its object the same. */
void fmap_update(struct ramfs *fs, struct node *f, uint64_t off,
		 const char *buf, size_t len);
/* Copy what stores through mappings changed in f's object to its blocks
 * (those of all files: _all), if it was ever mapped from a descriptor
 * open for writing: 0, -ENOSPC, -ENOMEM. */
int fmap_writeback(struct ramfs *fs, struct node *f);
int fmap_writeback_all(struct ramfs *fs);
/* f goes: close its object (its mappings keep their pages). */
void fmap_drop(struct ramfs *fs, struct node *f);

/* Boot fill (cpio.c): add the entries of the cpio newc archive buf[0..len)
 * with their modes, owners and mtimes, creating missing directories.
 * 0, -EINVAL for a malformed archive (what came before stays), -ENOSPC. */
int cpio_fill(struct ramfs *fs, const char *buf, size_t len);

/* A reader of an archive: up to n bytes at off into dst; the count, 0 at
 * the end, or < 0. */
typedef long (*cpio_read_fn)(void *ctx, uint64_t off, void *dst, size_t n);

/* cpio_fill for an archive of len bytes read through read (ctx is its
 * first argument) a window at a time, so that it need not be in memory
 * whole. The same results as cpio_fill; -ENOSPC also without memory for
 * the window, -EINVAL if the reader fails. */
int cpio_fill_from(struct ramfs *fs, cpio_read_fn read, void *ctx,
		   uint64_t len);
/* The object at path (relative, '/'-separated), made with mode (S_IF* and
 * permissions) if it is missing, along with missing parent directories;
 * an existing object of another type is replaced. NULL: -errno in *err. */
struct node *ramfs_make(struct ramfs *fs, const char *path, uint32_t mode,
			uint32_t uid, uint32_t gid, int *err);
/* Give the existing object n the new name path too (a hard link). */
int ramfs_link(struct ramfs *fs, const char *path, struct node *n);
