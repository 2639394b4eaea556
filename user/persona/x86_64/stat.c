/*
 * stat.c - x86_64's struct stat for the personality's path calls: dev,
 * ino, nlink, mode, uid, gid, pad, rdev, size, blksize, blocks, three
 * timespecs, three reserved words (18 longs); and its open flags.
 */
#include "../fs.h"

long fs_stat_out(long ubuf, const struct lux_stat *st)
{
	uint64_t b[18] = {st->dev,        st->ino,
			  st->nlink,      st->mode | (uint64_t)st->uid << 32,
			  st->gid,        st->rdev,
			  st->size,       st->blksize,
			  st->blocks,     st->time[0][0],
			  st->time[0][1], st->time[1][0],
			  st->time[1][1], st->time[2][0],
			  st->time[2][1]};

	return copy_out(ubuf, b, sizeof(b));
}

/* The protocol's open flags are x86_64's. */
long fs_open_flags(long flags)
{
	return flags;
}
