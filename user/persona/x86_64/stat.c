/*
 * stat.c - x86_64's struct stat for the personality's path calls: dev,
 * ino, nlink, mode, uid, gid, pad, rdev, size, blksize, blocks, three
 * timespecs, three reserved words (18 longs).
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

long fs_fstat(long fd, struct lux_stat *st)
{
	uint64_t b[18];
	long r = native2(NR_fstat, fd, b);

	if (r < 0)
		return r;
	*st = (struct lux_stat){.dev = b[0],
				.ino = b[1],
				.nlink = b[2],
				.mode = (uint32_t)b[3],
				.uid = b[3] >> 32,
				.gid = (uint32_t)b[4],
				.rdev = b[5],
				.size = b[6],
				.blksize = b[7],
				.blocks = b[8]};
	for (int i = 0; i < 3; i++) {
		st->time[i][0] = b[9 + 2 * i];
		st->time[i][1] = b[10 + 2 * i];
	}
	return 0;
}
