/*
 * select.c - poll, select and pselect6 over the kernel's ppoll. Each
 * waits with the program's signal mask (or pselect6's), passed to ppoll:
 * a signal the program takes ends the wait with EINTR, and the kernel
 * runs its handler only once the personality has resumed the program
 * (kernel/proc/signal.c, persona_defer).
 */
#include "persona.h"

#define NS       1000000000LL
#define POLLIN   0x001
#define POLLPRI  0x002
#define POLLOUT  0x004
#define POLLERR  0x008
#define POLLHUP  0x010
#define POLLNVAL 0x020

struct pollfd {
	int fd;
	short events, revents;
};

/* ppoll with the mask at umask (8 bytes in the personality's memory). */
static long ppoll_masked(const void *fds, long n, const int64_t *ts,
			 const uint64_t *mask)
{
	return persona_syscall(NR_ppoll, (long)fds, n, (long)ts, (long)mask, 8,
			       0);
}

/* poll: ppoll with the timeout in ms (negative: none). */
long persona_poll(long ufds, long n, long ms, uint64_t mask)
{
	int64_t ts[2] = {ms / 1000, ms % 1000 * 1000000};

	return ppoll_masked((void *)ufds, n, ms < 0 ? 0 : ts, &mask);
}

/* The events of each of select's three sets. */
static const short set_events[3] = {POLLIN | POLLHUP | POLLERR,
				    POLLOUT | POLLERR, POLLPRI};

/* The descriptors of the sets bits[0..2] below nfds as poll entries: how
 * many. */
static int select_fds(const uint64_t bits[3][LUX_FD_MAX / 64], int nfds,
		      struct pollfd *fds)
{
	int n = 0;

	for (int fd = 0; fd < nfds; fd++) {
		short events = 0;
		for (int s = 0; s < 3; s++)
			if (bits[s][fd / 64] >> fd % 64 & 1)
				events |= set_events[s];
		if (events)
			fds[n++] = (struct pollfd){fd, events, 0};
	}
	return n;
}

/*
 * select's work: read the sets (EFAULT), wait for their descriptors with
 * ts (NULL: no timeout) and mask, then write back each set with the ready
 * ones: their number, or EBADF for a descriptor not open, EINTR, EFAULT.
 */
static long select_sets(long lnfds, const long usets[3], int64_t *ts,
			uint64_t *mask)
{
	uint64_t bits[3][LUX_FD_MAX / 64] = {{0}}, out[3][LUX_FD_MAX / 64];
	struct pollfd fds[LUX_FD_MAX];
	int nfds = lnfds, n;
	size_t bytes = (nfds + 7) / 8;
	long r, count = 0;

	if (lnfds < 0 || lnfds > LUX_FD_MAX)
		return -EINVAL;
	for (int s = 0; s < 3; s++)
		if (usets[s] && copy_in(bits[s], usets[s], bytes))
			return -EFAULT;
	n = select_fds(bits, nfds, fds);
	if ((r = ppoll_masked(fds, n, ts, mask)) < 0)
		return r;
	for (int i = 0; i < n; i++)
		if (fds[i].revents & POLLNVAL)
			return -EBADF;
	memset(out, 0, sizeof(out));
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < n; i++) {
			int fd = fds[i].fd;
			if ((bits[s][fd / 64] >> fd % 64 & 1) &&
			    (fds[i].revents & set_events[s])) {
				out[s][fd / 64] |= 1ULL << fd % 64;
				count++;
			}
		}
		if (usets[s] && copy_out(usets[s], out[s], bytes))
			r = -EFAULT;
	}
	return r < 0 ? r : count;
}

/* select: the timeval (EFAULT, EINVAL) becomes ppoll's timespec, and the
 * time not slept is written back, as Linux does. */
long persona_select(const long a[5], uint64_t mask)
{
	int64_t tv[2], ts[2];
	long r;

	if (a[4] && copy_in(tv, a[4], sizeof(tv)))
		return -EFAULT;
	if (a[4] && (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000))
		return -EINVAL;
	ts[0] = tv[0] > NS ? NS : tv[0]; /* about 31 years: forever */
	ts[1] = tv[0] > NS ? 0 : tv[1] * 1000;
	r = select_sets(a[0], &a[1], a[4] ? ts : 0, &mask);
	if (a[4] && r >= 0) {
		tv[0] = ts[0], tv[1] = ts[1] / 1000;
		copy_out(a[4], tv, sizeof(tv));
	}
	return r;
}

/* pselect6: the timespec (EFAULT, EINVAL) and the {mask, size} pair
 * (EFAULT; a size other than 8 EINVAL) are read first; the wait uses that
 * mask if there is one. */
long persona_pselect6(const long a[6], uint64_t mask)
{
	int64_t ts[2];
	long sig[2] = {0, 0};

	if (a[4] && copy_in(ts, a[4], sizeof(ts)))
		return -EFAULT;
	if (a[4] && (ts[0] < 0 || ts[1] < 0 || ts[1] >= NS))
		return -EINVAL;
	if (a[5] && copy_in(sig, a[5], sizeof(sig)))
		return -EFAULT;
	if (sig[0] && sig[1] != 8)
		return -EINVAL;
	if (sig[0] && copy_in(&mask, sig[0], 8))
		return -EFAULT;
	return select_sets(a[0], &a[1], a[4] ? ts : 0, &mask);
}
