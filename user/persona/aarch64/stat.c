/*
 * stat.c - arm64's struct stat (the generic layout) for the personality's
 * path calls: dev, ino, mode and nlink (32 bits each), uid and gid, rdev,
 * a pad, size, blksize (32 bits) and a pad, blocks, three timespecs, two
 * unused 32-bit words (16 longs); and arm64's open flags.
 */
#include "../fs.h"

long fs_stat_out(long ubuf, const struct lux_stat *st)
{
	uint64_t b[16] = {st->dev,
			  st->ino,
			  st->mode | st->nlink << 32,
			  st->uid | (uint64_t)st->gid << 32,
			  st->rdev,
			  0,
			  st->size,
			  (uint32_t)st->blksize,
			  st->blocks,
			  st->time[0][0],
			  st->time[0][1],
			  st->time[1][0],
			  st->time[1][1],
			  st->time[2][0],
			  st->time[2][1]};

	return copy_out(ubuf, b, sizeof(b));
}

/* arm64's O_DIRECTORY, O_NOFOLLOW, O_DIRECT and O_LARGEFILE, which the
 * protocol's flags (include/lux/fcntl.h) have at other bits. */
#define A64_O_DIRECTORY 040000
#define A64_O_NOFOLLOW  0100000
#define A64_O_DIRECT    0200000
#define A64_O_LARGEFILE 0400000

long fs_open_flags(long flags)
{
	long other =
	    A64_O_DIRECTORY | A64_O_NOFOLLOW | A64_O_DIRECT | A64_O_LARGEFILE;

	return (flags & ~other) |
	       (flags & A64_O_DIRECTORY ? LUX_O_DIRECTORY : 0) |
	       (flags & A64_O_NOFOLLOW ? LUX_O_NOFOLLOW : 0) |
	       (flags & A64_O_DIRECT ? LUX_O_DIRECT : 0) |
	       (flags & A64_O_LARGEFILE ? LUX_O_LARGEFILE : 0);
}
