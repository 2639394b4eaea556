/*
 * arena.c - where ramfs keeps everything: one mapped region (a memory
 * object that outlives the server, or private memory for a tmpfs and the
 * tests) of 4 KiB pages. Page 0 is the header (struct ramfs_head); every
 * other page holds chunks of one size, 64 << c bytes for c < 7, so data
 * blocks and tables are whole pages. Which chunks are taken lives only
 * in this instance's memory (struct arena_page): a new instance rebuilds
 * it from the chunks the tree reaches, so a crash can leak nothing.
 * Freeing writes nothing into the arena: a chunk freed but still linked
 * when the server dies is found intact.
 */
#define _GNU_SOURCE /* fallocate */
#include "fs.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RAMFS_HEAD_MAGIC 0x6c757872616d6673ULL /* "luxramfs" */

static int class_of(size_t n)
{
	int c = 0;

	while (c < ARENA_CLASSES && (64UL << c) < n)
		c++;
	return c;
}

/* The chunk bits of a full page of class c. */
static uint64_t full(int c)
{
	return c == 0 ? ~0ULL : (1ULL << (64 >> c)) - 1;
}

void arena_relist(struct ramfs *fs)
{
	fs->free_pages = ARENA_NONE;
	for (int c = 0; c < ARENA_CLASSES; c++)
		fs->partial[c] = ARENA_NONE;
	for (uint32_t p = fs->head->top; p-- > 1;) {
		struct arena_page *a = &fs->pages[p];
		a->listed = false;
		if (!a->used)
			a->cls = 0;
		if (!a->cls) {
			a->next = fs->free_pages;
			fs->free_pages = p;
		} else if (a->used != full(a->cls - 1)) {
			a->next = fs->partial[a->cls - 1];
			fs->partial[a->cls - 1] = p;
			a->listed = true;
		}
	}
}

uint64_t arena_free_pages(const struct ramfs *fs)
{
	uint64_t n = fs->head->pages - fs->head->top;

	for (uint32_t p = 1; p < fs->head->top; p++)
		n += !fs->pages[p].used;
	uint64_t left = (fs->limit - fs->used) / ARENA_PAGE;

	return n < left ? n : left;
}

/* Pages made at once by page_commit when it can: one fallocate for a
 * run of pages instead of one per page (the boot fill takes thousands). */
#define ARENA_MAKE_AHEAD 32

/* Make page p of the memory object now, so that touching it cannot
 * fail later (SIGBUS once memory objects' allowance is spent): false if
 * it cannot be had (then the write that wanted it gets ENOSPC). Makes up
 * to ARENA_MAKE_AHEAD pages from p when memory allows, else p alone. */
static bool page_commit(struct ramfs *fs, uint32_t p)
{
	uint32_t n = fs->head->pages - p;

	if (fs->state_fd < 0 || p < fs->made)
		return true;
	n = n < ARENA_MAKE_AHEAD ? n : ARENA_MAKE_AHEAD;
	if (n > 1 &&
	    fallocate(fs->state_fd, FALLOC_FL_KEEP_SIZE, (off_t)p * ARENA_PAGE,
		      (off_t)n * ARENA_PAGE) == 0) {
		fs->made = p + n;
		return true;
	}
	return fallocate(fs->state_fd, FALLOC_FL_KEEP_SIZE,
			 (off_t)p * ARENA_PAGE, ARENA_PAGE) == 0;
}

/* A free page: one given back, else one never used; ARENA_NONE. */
static uint32_t page_take(struct ramfs *fs)
{
	uint32_t p = fs->free_pages;

	if (p == ARENA_NONE && fs->head->top < fs->head->pages &&
	    page_commit(fs, fs->head->top))
		return fs->head->top++;
	if (p == ARENA_NONE) { /* empty pages of other sizes come back */
		arena_relist(fs);
		if ((p = fs->free_pages) == ARENA_NONE)
			return p;
	}
	fs->free_pages = fs->pages[p].next;
	return p;
}

void *ramfs_alloc(struct ramfs *fs, size_t n)
{
	int c = class_of(n);
	uint32_t p;

	if (c == ARENA_CLASSES || (64UL << c) > fs->limit - fs->used)
		return NULL;
	while ((p = fs->partial[c]) != ARENA_NONE &&
	       fs->pages[p].used == full(c)) {
		fs->partial[c] = fs->pages[p].next;
		fs->pages[p].listed = false;
	}
	if (p == ARENA_NONE) {
		if ((p = page_take(fs)) == ARENA_NONE)
			return NULL;
		fs->pages[p] = (struct arena_page){
		    .cls = c + 1, .listed = true, .next = fs->partial[c]};
		fs->partial[c] = p;
	}
	int i = __builtin_ctzll(~fs->pages[p].used);
	fs->pages[p].used |= 1ULL << i;
	fs->used += 64UL << c;
	return (char *)fs->head + (size_t)p * ARENA_PAGE +
	       ((size_t)i << (6 + c));
}

void ramfs_free(struct ramfs *fs, void *ptr, size_t n)
{
	if (!ptr)
		return;
	size_t off = (char *)ptr - (char *)fs->head;
	int c = class_of(n);
	struct arena_page *a = &fs->pages[off / ARENA_PAGE];
	a->used &= ~(1ULL << ((off % ARENA_PAGE) >> (6 + c)));
	fs->used -= 64UL << c;
	if (!a->listed) {
		a->listed = true;
		a->next = fs->partial[c];
		fs->partial[c] = off / ARENA_PAGE;
	}
}

bool arena_claim(struct ramfs *fs, const void *ptr, size_t n)
{
	int c = class_of(n);
	uintptr_t off = (uintptr_t)ptr - (uintptr_t)fs->head;

	if (c == ARENA_CLASSES || (uintptr_t)ptr < (uintptr_t)fs->head ||
	    off < ARENA_PAGE || off >= fs->head->top * ARENA_PAGE ||
	    off % (64UL << c))
		return false;
	struct arena_page *a = &fs->pages[off / ARENA_PAGE];
	uint64_t bit = 1ULL << ((off % ARENA_PAGE) >> (6 + c));
	if ((a->cls && a->cls != c + 1) || (a->used & bit))
		return false;
	a->cls = c + 1;
	a->used |= bit;
	fs->used += 64UL << c;
	return true;
}

/* An empty tree in the arena: the header written, the root made. */
static int arena_format(struct ramfs *fs, uint64_t pages)
{
	struct ramfs_head *h = fs->head;

	h->magic = 0;
	h->version = 1;
	h->pages = pages;
	h->top = 1;
	h->next_ino = 1;
	h->filled = 0;
	memset(&h->intent, 0, sizeof(h->intent));
	arena_relist(fs);
	if (!(fs->root = node_new(fs, LUX_S_IFDIR | 0755, 0, 0)))
		return -ENOSPC;
	fs->root->dir.parent = fs->root;
	h->root = fs->root;
	h->magic = RAMFS_HEAD_MAGIC; /* last: a tree is there */
	return 0;
}

int ramfs_attach(struct ramfs *fs, void *base, uint64_t pages)
{
	struct ramfs_head *h = base;
	bool found = h->magic == RAMFS_HEAD_MAGIC && h->version == 1 &&
		     h->pages == pages && h->top >= 1 && h->top <= pages &&
		     h->filled;

	memset(fs->table, 0, sizeof(fs->table));
	fs->head = h;
	fs->used = fs->nodes = 0;
	if (!(fs->pages = calloc(pages, sizeof(*fs->pages))))
		return -ENOMEM;
	fs->pages[0].cls = ARENA_HEAD;
	if (!found)
		return arena_format(fs, pages);
	ramfs_recover(fs);
	if (!fs->root) { /* no root to keep: start afresh */
		memset(fs->pages, 0, pages * sizeof(*fs->pages));
		memset(fs->table, 0, sizeof(fs->table));
		fs->pages[0].cls = ARENA_HEAD;
		fs->used = fs->nodes = 0;
		return arena_format(fs, pages);
	}
	arena_relist(fs);
	return 1;
}

int ramfs_init(struct ramfs *fs, uint64_t limit)
{
	uint64_t pages = limit / ARENA_PAGE + 1;
	void *base = mmap(NULL, pages * ARENA_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	memset(fs, 0, sizeof(*fs));
	fs->limit = limit;
	fs->state_fd = -1;
	if (base == MAP_FAILED)
		return -ENOSPC;
	fs->own_arena = true;
	int r = ramfs_attach(fs, base, pages);
	fs->head->filled = 1;
	return r < 0 ? r : 0;
}

void ramfs_destroy(struct ramfs *fs)
{
	for (int i = 0; i < RAMFS_HASH; i++) {
		while (fs->table[i]) {
			struct node *n = fs->table[i];
			if (LUX_S_ISDIR(n->mode))
				while (n->dir.head)
					dir_remove(fs, n, n->dir.head);
			n->nlink = n->opens = 0;
			fs->root = n == fs->root ? NULL : fs->root;
			node_put(fs, n);
		}
	}
	if (fs->own_arena)
		munmap(fs->head, fs->head->pages * ARENA_PAGE);
	free(fs->pages);
	fs->pages = NULL;
}
