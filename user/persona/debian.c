/*
 * debian.c - a call Debian's userland makes that lux lacked (found by
 * running it: docs/syscalls.md, "What Debian's programs need"): mincore
 * (grep). posix_fadvise (sort, tar) and the extended-attribute calls
 * (ls -l) are small.c's.
 */
#include "fs.h"

#define MADV_NORMAL 0

long persona_mincore(long addr, long len, long uvec)
{
	static const char resident[256] = {[0 ... 255] = 1};
	long r = persona_syscall(NR_madvise, addr, len, MADV_NORMAL, 0, 0, 0);
	unsigned long pages = ((unsigned long)len + 4095) / 4096;

	if (r < 0) /* EINVAL unaligned, ENOMEM where nothing is mapped */
		return r;
	/* lux never pages out: every mapped page counts as resident. */
	for (unsigned long i = 0; i < pages; i += sizeof(resident))
		if (copy_out(uvec + i, resident,
			     MIN(pages - i, sizeof(resident))))
			return -EFAULT;
	return 0;
}
