/*
 * mmap.c - mmap of a server's file whose server hands the kernel no
 * memory object for it (ramfs, ext2 and /dev/shm do: LUX_MAP,
 * docs/decisions/0032-file-mapping.md), which the kernel reflects here.
 * MAP_PRIVATE is served as a copy: anonymous pages, the file's bytes read
 * into them (pread64), then the protection asked for. A private mapping
 * needs no coherence with the file after the call, so the copy is what
 * Linux promises, except that stores to the file made later may or may
 * not be seen by Linux's untouched pages and are never seen here, and
 * that the pages past the file's end read as zeros (Linux: SIGBUS).
 * MAP_SHARED of such a file is ENODEV. And msync, which the kernel
 * reflects: MS_SYNC is a sync of every file system, whose servers write
 * back what mappings stored (the kernel cannot say which file a mapping's
 * object belongs to).
 */
#include "fs.h"
#include "persona.h"

#define MIN_(a, b)     ((a) < (b) ? (a) : (b))
#define PROT_RW_       3
#define MAP_TYPE_      0x0f
#define MAP_PRIVATE_   0x02
#define MAP_ANONYMOUS_ 0x20
#define O_ACCMODE_     3
#define O_WRONLY_      1
#define F_GETFL_       3
#define MS_ASYNC_      1
#define MS_INVAL_      2
#define MS_SYNC_       4
#define STATX_BASIC_   0x201 /* STATX_TYPE | STATX_SIZE */
#define STATX_MODE_OFF 28
#define STATX_SIZE_OFF 40

/* The size of the regular file open as fd, or -errno: ENODEV for any
 * other kind of file (or one whose server cannot say) and for
 * MAP_SHARED, EACCES if fd is not open for reading. */
static long mmap_file_size(long fd, long flags)
{
	char stx[256];
	uint16_t mode;
	uint64_t size;
	long r =
	    fs_statx(fd, (long)"", LUX_AT_EMPTY_PATH, STATX_BASIC_, (long)stx);

	if (r < 0)
		return -ENODEV;
	memcpy(&mode, stx + STATX_MODE_OFF, sizeof(mode));
	memcpy(&size, stx + STATX_SIZE_OFF, sizeof(size));
	if ((mode & LUX_S_IFMT) != LUX_S_IFREG ||
	    (flags & MAP_TYPE_) != MAP_PRIVATE_)
		return -ENODEV; /* MAP_SHARED: not yet */
	if ((r = native2(NR_fcntl, fd, F_GETFL_)) < 0)
		return r;
	return (r & O_ACCMODE_) == O_WRONLY_ ? -EACCES : (long)size;
}

/* Read the file's bytes [off, off + len) into the program's pages at
 * addr, stopping at the file's end: 0 or -errno. */
static long mmap_fill(long fd, uintptr_t addr, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		long r = persona_syscall(NR_pread64, fd, addr + done,
					 len - done, off + done, 0, 0);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += r;
	}
	return 0;
}

/* msync(addr, len, flags): Linux's checks (EINVAL for a misaligned addr
 * or unknown or both of MS_ASYNC and MS_SYNC; ENOMEM where nothing is
 * mapped, which madvise's MADV_NORMAL says), then MS_SYNC syncs every
 * file system; MS_ASYNC and MS_INVALIDATE need nothing (the mappings are
 * the servers' objects: coherent with read and write already). */
long mmap_msync(long addr, long len, long flags)
{
	long r;

	if ((addr & 4095) ||
	    (flags & ~(long)(MS_ASYNC_ | MS_INVAL_ | MS_SYNC_)) ||
	    (flags & (MS_ASYNC_ | MS_SYNC_)) == (MS_ASYNC_ | MS_SYNC_))
		return -EINVAL;
	if (len && (r = native3(NR_madvise, addr, len, 0)) < 0)
		return r;
	if (flags & MS_SYNC_)
		fs_sync();
	return 0;
}

long mmap_file(long addr, long len, long prot, long flags, long fd, long off)
{
	long size = mmap_file_size(fd, flags), at, r;

	if (size < 0)
		return size;
	/* checked before the first mapping, which MAP_FIXED makes in place
	 * of what was there */
	if (len <= 0 || off < 0 || (prot & ~7L))
		return -EINVAL;
	if ((prot & 6) == 6)
		return -EACCES; /* W^X, as for any mapping */
	if ((uint64_t)off + (uint64_t)len < (uint64_t)off)
		return -EOVERFLOW;
	at = persona_syscall(NR_mmap, addr, len, PROT_RW_,
			     flags | MAP_ANONYMOUS_, -1, 0);
	if (at < 0)
		return at;
	r = off < size ? mmap_fill(fd, at, MIN_(len, size - off), off) : 0;
	if (!r && prot != PROT_RW_)
		r = native3(NR_mprotect, at, len, prot);
	if (r < 0) {
		native2(NR_munmap, at, len);
		return r;
	}
	return at;
}
