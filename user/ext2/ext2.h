/*
 * ext2.h - the ext2 file system server: the on-disk format (revision 1,
 * as `mke2fs -t ext2` makes it), the block device it runs on (blk.c), its
 * block cache (cache.c), the in-core inodes (inode.c), block and inode
 * allocation (alloc.c), file data through the block map (data.c),
 * directories (dir.c), mounting and syncing (super.c). The request server
 * on top (serve.h) turns one request into one reply; main.c is the loop
 * on the channel. docs/storage.md explains the design.
 *
 * Every on-disk number is little-endian; the structures are used as they
 * are, so the server builds only for little-endian machines (x86_64,
 * arm64), which a static assertion in super.c checks.
 */
#pragma once

#include <lux/proto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define EXT2_MAGIC       0xEF53 /* statfs f_type too */
#define EXT2_ROOT_INO    2
#define EXT2_NAME_MAX    255
#define EXT2_NDIR        12 /* direct block pointers */
#define EXT2_IND         12 /* i_block slots of the index trees */
#define EXT2_DIND        13
#define EXT2_TIND        14
#define EXT2_NBLOCKS     15
#define EXT2_FAST_LINK   60     /* a target shorter than this is in i_block */
#define EXT2_INDEX_FL    0x1000 /* a hashed directory (we keep it linear) */
#define EXT2_EXTRA_ISIZE 32     /* the large inode's fields we fill */

/* Features this server reads and writes; any other incompatible or
 * read-only-compatible feature refuses the mount. The compatible ones
 * (dir_index, resize_inode, ext_attr) need nothing: hashed directories
 * stay readable linearly (we drop the hash flag of one we change), the
 * reserved descriptor blocks are in use in the bitmaps, and extended
 * attribute blocks are released with their last inode. */
#define EXT2_INCOMPAT_FILETYPE    0x0002
#define EXT2_RO_COMPAT_SPARSE     0x0001
#define EXT2_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_INCOMPAT_SUPPORTED   EXT2_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED                                               \
	(EXT2_RO_COMPAT_SPARSE | EXT2_RO_COMPAT_LARGE_FILE)
#define EXT2_VALID_FS 1

/* The superblock, 1024 bytes at byte 1024 of the device (the fields this
 * server uses; the rest is kept as it is). */
struct ext2_super {
	uint32_t s_inodes_count, s_blocks_count, s_r_blocks_count;
	uint32_t s_free_blocks_count, s_free_inodes_count;
	uint32_t s_first_data_block, s_log_block_size, s_log_frag_size;
	uint32_t s_blocks_per_group, s_frags_per_group, s_inodes_per_group;
	uint32_t s_mtime, s_wtime;
	uint16_t s_mnt_count;
	int16_t s_max_mnt_count;
	uint16_t s_magic, s_state, s_errors, s_minor_rev_level;
	uint32_t s_lastcheck, s_checkinterval, s_creator_os, s_rev_level;
	uint16_t s_def_resuid, s_def_resgid;
	uint32_t s_first_ino;
	uint16_t s_inode_size, s_block_group_nr;
	uint32_t s_feature_compat, s_feature_incompat, s_feature_ro_compat;
	uint8_t s_uuid[16];
	char s_volume_name[16];
	char s_last_mounted[64];
	uint8_t s_pad[32];      /* compression, prealloc, journal: unused */
	uint32_t s_last_orphan; /* the orphan list's head (orphan.c) */
	uint8_t rest[1024 - 236];
};
_Static_assert(sizeof(struct ext2_super) == 1024, "superblock layout");
_Static_assert(offsetof(struct ext2_super, s_last_orphan) == 0xE8, "orphan");

/* A block group descriptor. */
struct ext2_group {
	uint32_t bg_block_bitmap, bg_inode_bitmap, bg_inode_table;
	uint16_t bg_free_blocks_count, bg_free_inodes_count;
	uint16_t bg_used_dirs_count, bg_flags;
	uint32_t bg_reserved[3];
};
_Static_assert(sizeof(struct ext2_group) == 32, "descriptor layout");

/* An inode as on disk: the 128 bytes of revision 0, then the large
 * inode's extra fields (nanoseconds, creation time) when the inode size
 * leaves room for them. */
struct ext2_inode {
	uint16_t i_mode, i_uid;
	uint32_t i_size, i_atime, i_ctime, i_mtime, i_dtime;
	uint16_t i_gid, i_links_count;
	uint32_t i_blocks; /* 512-byte units, index blocks included */
	uint32_t i_flags, i_osd1;
	uint32_t i_block[EXT2_NBLOCKS];
	uint32_t i_generation, i_file_acl, i_size_high, i_faddr;
	uint16_t i_blocks_hi, i_file_acl_high, i_uid_high, i_gid_high;
	uint16_t i_checksum_lo, i_reserved;
	/* large inodes (s_inode_size > 128) */
	uint16_t i_extra_isize, i_checksum_hi;
	uint32_t i_ctime_extra, i_mtime_extra, i_atime_extra;
	uint32_t i_crtime, i_crtime_extra, i_version_hi, i_projid;
};
_Static_assert(sizeof(struct ext2_inode) == 128 + EXT2_EXTRA_ISIZE,
	       "inode layout");

/* A directory entry's fixed part; the name follows (no NUL). */
struct ext2_dirent {
	uint32_t inode; /* 0: an unused entry */
	uint16_t rec_len;
	uint8_t name_len, file_type; /* file_type: with the filetype
				      * feature, else the name length's high
				      * byte (always 0: names <= 255) */
};
#define EXT2_DIRENT_LEN(n) ((8 + (n) + 3) & ~3u)

/* The block device (blk.c): the image behind a descriptor. Every block
 * read and write of the server goes through these three. 0 or -EIO. */
struct blkdev {
	int fd;
	const char *path;       /* reopened when its server died; NULL:
				 * never (blk.c) */
	uint64_t ino;           /* its st_ino, which a reopen must find
				 * again (0: not checked) */
	uint64_t reads, writes; /* blocks, for the figures */
	uint64_t reopens;       /* descriptors replaced so far */
	uint64_t fail_at;       /* tests: from this write on, every write
				 * fails (a crash mid-sync); 0: never */
};
int blk_read(struct blkdev *d, uint64_t off, void *buf, size_t len);
int blk_write(struct blkdev *d, uint64_t off, const void *buf, size_t len);
/* Everything written so far is on stable storage. */
int blk_flush(struct blkdev *d);

/* Write-back classes: a sync writes all dirty blocks of one class before
 * any of the next (docs/storage.md, what a crash can leave). */
enum cache_class { CLS_DATA, CLS_META, CLS_DIR, CLS_SUPER, CLS_COUNT };

/* A cached block. */
struct cbuf {
	uint32_t blk;
	uint16_t pins;
	uint8_t dirty; /* 1 + its class, or 0 */
	bool valid;
	struct cbuf *hnext, *prev, *next; /* hash chain, LRU list */
	uint8_t *data;
};

struct cache {
	struct cbuf *bufs;
	struct cbuf **hash;
	uint32_t nbuf, nhash, ndirty;
	struct cbuf lru; /* head: lru.next least recently used */
	uint8_t *mem;
	uint8_t *wstage, *rstage; /* CACHE_RUN bytes each: runs of blocks
				   * written or read in one device call */
	uint64_t hits, misses, flushes;
	struct ahead *ahead; /* the read-ahead thread (ahead.c), or NULL */
};

/* An in-core inode: one per inode in use by a request or an open file,
 * so that two names of one inode share it. */
struct inode {
	uint32_t num;
	uint32_t refs;  /* requests and opens holding it */
	uint32_t opens; /* OPEN replies not yet matched by a CLOSE */
	int obj;        /* the memory object holding its current bytes once
			 * mapped (fmap.c; it holds a reference): its
			 * descriptor + 1, or 0 */
	bool obj_rw;    /* mapped from a descriptor open for writing (a
			 * shared mapping may store: write-back needed) */
	bool linkable;  /* O_TMPFILE without O_EXCL, never linked yet */
	bool orphan;    /* on the orphan list (orphan.c) */
	uint64_t tmp;   /* O_TMPFILE: the number of its hidden name
			 * (tmpfile.c), or 0 */
	struct inode *hnext;
	struct ext2_inode raw;
};

#define ICACHE_HASH 1024

struct ext2fs {
	struct blkdev dev;
	struct cache cache;
	struct ext2_super sb;
	struct ext2_group *groups;
	uint32_t ngroups, gdt_blocks; /* descriptor blocks */
	uint32_t bsize, ppb;          /* block size, pointers per block */
	bool readonly;                /* LUX_READONLY: every change is EROFS */
	uint32_t isize;               /* on-disk inode size */
	bool filetype;                /* dir entries carry a type */
	bool meta_dirty;              /* sb or descriptors changed */
	uint64_t max_size;            /* the largest file */
	uint32_t goal, goal_ino;      /* where the next block of goal_ino */
	struct inode *itable[ICACHE_HASH];
	uint32_t caller_uid; /* the request's, for the reserved blocks */
	uint64_t dev_id;     /* st_dev of its files */
};

/* Mount the image behind fd with a cache of cache_bytes: 0, or -errno
 * (-EINVAL not ext2, -EOPNOTSUPP a feature it does not support, -EIO). */
int ext2_mount(struct ext2fs *fs, int fd, size_t cache_bytes);
/* Write every dirty block, the superblock and descriptors last, then
 * flush the device: 0 or -EIO. */
int ext2_sync(struct ext2fs *fs);
/* Sync, then free the memory (the descriptor stays open): 0 or -EIO. */
int ext2_unmount(struct ext2fs *fs);
/* Free the memory without writing anything: what a crash leaves. */
void ext2_drop(struct ext2fs *fs);
/* The blocks in group g (the last may be short). */
uint32_t ext2_group_blocks(const struct ext2fs *fs, uint32_t g);
/* Copy the superblock and descriptors into their cached blocks. */
int ext2_write_meta(struct ext2fs *fs);

/* Block cache (cache.c). */
#define CACHE_RUN 65536 /* the most one device call moves (a request's) */
int cache_init(struct cache *c, uint32_t nbuf, uint32_t bsize);
void cache_free(struct cache *c);
/* Block blk, pinned: read from the device (fresh: zeroed instead, the
 * caller overwrites it). NULL on a read error or with every buffer
 * pinned (-EIO). Valid until bput. */
struct cbuf *bget(struct ext2fs *fs, uint32_t blk, bool fresh);
void bput(struct cbuf *b);
void bdirty(struct ext2fs *fs, struct cbuf *b, enum cache_class cls);
/* A freed block: its cached copy need not be written. */
void bforget(struct ext2fs *fs, uint32_t blk);
/* Write every dirty block, class by class, in block order, runs of
 * consecutive blocks in one write: 0 or -EIO. */
int cache_flush(struct ext2fs *fs);
/* Is block blk in the cache? */
bool cache_has(struct ext2fs *fs, uint32_t blk);
/* n cut to what one read of at most `bytes` at block blk may take: a
 * quarter of the cache at most, nothing past the file system's end. */
uint32_t cache_read_limit(struct ext2fs *fs, uint32_t blk, uint32_t n,
			  size_t bytes);
/* Read blocks blk .. blk+n-1 into the cache with one device read, up to
 * the first one cached already (a sequential reader's next blocks).
 * Nothing on an error: bget reads them one by one then. */
void cache_readahead(struct ext2fs *fs, uint32_t blk, uint32_t n);
/* Put the n blocks at src into the cache as blocks blk .. blk+n-1, but
 * those cached already (theirs is as new or newer). */
void cache_fill(struct ext2fs *fs, uint32_t blk, uint32_t n,
		const uint8_t *src);

/* Read-ahead in the background (ahead.c): up to AHEAD_BYTES read by
 * threads of the server, one CACHE_RUN request each, all in flight at
 * once, while requests are served. ahead_start asks for blocks blk .. blk+n-1 (none cached) if
 * none is in flight; ahead_collect waits for the one in flight and puts
 * its blocks in the cache, unless one of them was written (bdirty) or
 * freed meanwhile, or the read failed (the driver died): then it drops
 * them, and bget reads them again. ahead_touch: block blk is changing.
 * ahead_stop ends the threads (at cache_free). */
#define AHEAD_BYTES (4 * CACHE_RUN)
void ahead_start(struct ext2fs *fs, uint32_t blk, uint32_t n);
void ahead_collect(struct ext2fs *fs);
void ahead_touch(struct cache *c, uint32_t blk);
void ahead_stop(struct cache *c);
/* Wait until the read in flight (if any) is done, leaving it to
 * ahead_collect (tests: an order of events). */
void ahead_settle(struct cache *c);

/* In-core inodes (inode.c). */
struct inode *iget(struct ext2fs *fs, uint32_t num, int *err);
struct inode *ifind(struct ext2fs *fs, uint32_t num);
struct inode *ihold(struct inode *ip);
/* Drop a reference; the last one of an inode without links frees it. */
void iput(struct ext2fs *fs, struct inode *ip);
/* Copy ip into its inode table block: 0 or -EIO. */
int iwrite(struct ext2fs *fs, struct inode *ip);
uint64_t inode_size(const struct inode *ip);
void inode_set_size(struct inode *ip, uint64_t size);
uint32_t inode_uid(const struct inode *ip);
uint32_t inode_gid(const struct inode *ip);
void inode_set_owner(struct inode *ip, uint32_t uid, uint32_t gid);
/* Timestamps: which 0 atime, 1 mtime, 2 ctime. */
struct timespec inode_time(const struct ext2fs *fs, const struct inode *ip,
			   int which);
void inode_set_time(const struct ext2fs *fs, struct inode *ip, int which,
		    struct timespec t);
/* A fast symbolic link keeps its target in i_block. */
bool inode_fast_link(const struct ext2fs *fs, const struct inode *ip);
/* Make a new inode of mode in directory dir's neighbourhood, owned by
 * uid, gid, with one reference: NULL and -ENOSPC / -EIO in *err. */
struct inode *inode_new(struct ext2fs *fs, struct inode *dir, uint32_t mode,
			uint32_t uid, uint32_t gid, int *err);

/* The orphan list (orphan.c, docs/storage.md): inodes with no link that
 * an open holds, chained from the superblock's s_last_orphan through
 * i_dtime, so that a server that dies leaves them to the next mount.
 * orphan_update puts ip on the list or takes it off as its links say;
 * orphan_release frees every inode on the list (at mount). */
void orphan_update(struct ext2fs *fs, struct inode *ip);
void orphan_release(struct ext2fs *fs);

/* Unnamed files (tmpfile.c, docs/decisions/0037-tmpfile.md): the open
 * file whose hidden name is (name, len), or NULL (not held). */
struct inode *tmp_find(struct ext2fs *fs, const char *name, size_t len);
/* Allocation (alloc.c). */
/* A free block near goal: its number, or 0 (-ENOSPC: none, or only the
 * reserved ones left and the caller is not root; -EIO). */
uint32_t block_alloc(struct ext2fs *fs, uint32_t goal, int *err);
void block_free(struct ext2fs *fs, uint32_t blk);
/* A free inode for a directory (spread) or another file (near parent). */
uint32_t inode_alloc(struct ext2fs *fs, uint32_t parent, bool dir, int *err);
void inode_free(struct ext2fs *fs, uint32_t num, bool dir);

/* File data (data.c). */
/* Physical block of logical block lb (0: a hole); with alloc, fill the
 * hole (index blocks too); *fresh then says the block is new. */
int data_map(struct ext2fs *fs, struct inode *ip, uint64_t lb, bool alloc,
	     uint32_t *out, bool *fresh);
long data_read(struct ext2fs *fs, struct inode *ip, uint64_t off, char *buf,
	       size_t len);
/* Bytes written (fewer when the device filled), or -ENOSPC / -EFBIG /
 * -EIO. Sets the size; the caller writes the inode. */
long data_write(struct ext2fs *fs, struct inode *ip, uint64_t off,
		const char *buf, size_t len);
/* Set the size: blocks past it go, the rest of its last block is zeroed.
 * 0, -EFBIG, -EIO. Writes the inode. */
int data_truncate(struct ext2fs *fs, struct inode *ip, uint64_t size);
/* data_read and data_write of the blocks only, whatever the memory
 * object of a mapped file holds (data_read and data_write go through it
 * too). */
long file_read(struct ext2fs *fs, struct inode *ip, uint64_t off, char *buf,
	       size_t len);
long file_write(struct ext2fs *fs, struct inode *ip, uint64_t off,
		const char *buf, size_t len);

/* File mapping (fmap.c, docs/decisions/0032-file-mapping.md). */
/* LUX_MAP of ip (rw: from a descriptor open for writing): its memory
 * object (a descriptor of the server's, made and filled from the blocks
 * at the first map), or -ENODEV (not a regular file), -ENOMEM, -EIO. */
long fmap_map(struct ext2fs *fs, struct inode *ip, bool rw);
/* ip's object's bytes at off (data_read's contract). */
long fmap_read(struct inode *ip, uint64_t off, char *buf, size_t len);
/* ip's size or bytes [off, off + len) changed (buf NULL: only the size):
 * make its object the same. */
void fmap_update(struct ext2fs *fs, struct inode *ip, uint64_t off,
		 const char *buf, size_t len);
/* Write what stores through mappings changed in ip's object to its blocks
 * (those of every file: _all), if it was ever mapped from a descriptor
 * open for writing: 0, -ENOSPC, -EIO, -ENOMEM. */
int fmap_writeback(struct ext2fs *fs, struct inode *ip);
int fmap_writeback_all(struct ext2fs *fs);
/* Close ip's object and drop its reference (its mappings keep their
 * pages). */
void fmap_drop(struct ext2fs *fs, struct inode *ip);

/* Directories (dir.c). */
/* Find name in dir: its inode number (0: missing) and the entry's byte
 * offset in *pos. -EIO. */
int dir_lookup(struct ext2fs *fs, struct inode *dir, const char *name,
	       size_t len, uint32_t *ino, uint64_t *pos);
/* Add the entry name -> ino (of mode) to dir: 0, -ENOSPC, -EIO. */
int dir_add(struct ext2fs *fs, struct inode *dir, const char *name, size_t len,
	    uint32_t ino, uint32_t mode);
/* Remove the entry at pos (from dir_lookup). */
int dir_remove(struct ext2fs *fs, struct inode *dir, uint64_t pos);
/* Point the entry at pos at ino (of mode). */
int dir_retarget(struct ext2fs *fs, struct inode *dir, uint64_t pos,
		 uint32_t ino, uint32_t mode);
/* Make dir's first block: "." and ".." (parent). */
int dir_init(struct ext2fs *fs, struct inode *dir, uint32_t parent);
/* 1 if dir holds only "." and "..", 0 if not, -EIO. */
int dir_empty(struct ext2fs *fs, struct inode *dir);
/* The inode ".." names. */
int dir_parent(struct ext2fs *fs, struct inode *dir, uint32_t *parent);
/* getdents64 records from byte position pos into buf (room bytes): their
 * length, -EINVAL when the first does not fit; *next = the position after
 * them. */
long dir_read(struct ext2fs *fs, struct inode *dir, uint64_t pos, char *buf,
	      size_t room, uint64_t *next);

/* Serve request q (q->len bytes, its payload NUL-terminated after its
 * end): fill the reply r (zeroed by the caller) and its payload at out
 * (room for LUX_MSG_MAX - sizeof *r bytes). Returns the payload's length,
 * or -1 when the request takes no reply (CLOSE, CANCEL). */
long ext2_serve(struct ext2fs *fs, const struct lux_req *q, const char *data,
		struct lux_rep *r, char *out);
