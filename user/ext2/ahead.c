/*
 * ahead.c - read-ahead in the background: while the server answers a
 * sequential reader from the cache, threads of its own read the file's
 * next blocks (up to AHEAD_BYTES, in pieces of CACHE_RUN, one device
 * request each, all in flight at once: the driver serves them in
 * parallel), so that the device works while the server does. Only the
 * server's thread touches the cache: the reader threads fill a buffer
 * of their own, which the server's thread copies in at ahead_collect. A
 * block written or freed while the read is in flight marks it stale
 * (ahead_touch), and a stale or failed read is dropped whole: the cache
 * never takes older data than it had. The threads read through a
 * duplicate of the device's descriptor, made again after blk_reopen
 * replaced the device's: a driver that died fails the read (dropped),
 * never a descriptor closed under the threads.
 */
#define _GNU_SOURCE
#include "ext2.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define AHEAD_THREADS (AHEAD_BYTES / CACHE_RUN) /* a request each */

struct ahead {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	pthread_t thread[AHEAD_THREADS];
	uint32_t nthread;
	/* Under lock: */
	bool asked; /* a read is asked for and not yet collected */
	bool done;  /* the threads finished it (err: how) */
	bool quit;
	int err;
	int fd;
	uint64_t off, len;
	uint32_t next, left; /* the next CACHE_RUN piece to take, pieces
			      * not yet read */
	/* The server's thread's alone: */
	bool stale; /* a block of the read changed meanwhile */
	uint32_t blk, n;
	uint64_t reopens; /* the device's when fd was made */
	uint8_t *buf;     /* AHEAD_BYTES */
};

/* Read len bytes at off of fd into buf: 0 or -EIO. */
static int read_all(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t r = pread(fd, buf + done, len - done, off + done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		done += r;
	}
	return 0;
}

/* A reader thread: pieces of CACHE_RUN bytes of each read asked for,
 * one device request each, the threads' requests in flight at once. */
static void *ahead_main(void *arg)
{
	struct ahead *a = arg;

	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->quit &&
		       (!a->asked || a->next * (uint64_t)CACHE_RUN >= a->len))
			pthread_cond_wait(&a->cv, &a->lock);
		if (a->quit)
			break;
		uint64_t at = a->next++ * (uint64_t)CACHE_RUN;
		uint64_t len =
		    a->len - at < CACHE_RUN ? a->len - at : CACHE_RUN;
		int fd = a->fd;
		uint64_t off = a->off + at;
		pthread_mutex_unlock(&a->lock);
		int err = read_all(fd, a->buf + at, len, off);
		pthread_mutex_lock(&a->lock);
		a->err = a->err ? a->err : err;
		if (!--a->left) {
			a->done = true;
			pthread_cond_broadcast(&a->cv);
		}
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* The read-ahead state, its thread started on first use: NULL if it
 * cannot be had (then reads are only synchronous). */
static struct ahead *ahead_get(struct cache *c)
{
	struct ahead *a = c->ahead;

	if (a)
		return a;
	if (!(a = calloc(1, sizeof(*a))))
		return NULL;
	a->fd = -1;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (!(a->buf = malloc(AHEAD_BYTES))) {
		free(a);
		return NULL;
	}
	while (a->nthread < AHEAD_THREADS &&
	       !pthread_create(&a->thread[a->nthread], NULL, ahead_main, a))
		a->nthread++;
	c->ahead = a;
	if (!a->nthread) {
		ahead_stop(c);
		return NULL;
	}
	return a;
}

void ahead_start(struct ext2fs *fs, uint32_t blk, uint32_t n)
{
	struct ahead *a = fs->cache.ahead;

	n = cache_read_limit(fs, blk, n, AHEAD_BYTES);
	if ((a && a->asked) || n < 1 || !(a = ahead_get(&fs->cache)))
		return;
	if (a->fd < 0 || a->reopens != fs->dev.reopens) {
		if (a->fd >= 0)
			close(a->fd);
		a->reopens = fs->dev.reopens;
		if ((a->fd = fcntl(fs->dev.fd, F_DUPFD_CLOEXEC, 0)) < 0)
			return;
	}
	a->blk = blk;
	a->n = n;
	a->stale = false;
	pthread_mutex_lock(&a->lock);
	a->off = (uint64_t)blk * fs->bsize;
	a->len = (uint64_t)n * fs->bsize;
	a->next = 0;
	a->left = (a->len + CACHE_RUN - 1) / CACHE_RUN;
	a->err = 0;
	a->asked = true;
	a->done = false;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->lock);
}

void ahead_settle(struct cache *c)
{
	struct ahead *a = c->ahead;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	while (a->asked && !a->done)
		pthread_cond_wait(&a->cv, &a->lock);
	pthread_mutex_unlock(&a->lock);
}

/* Wait until the read asked for is done; true if it succeeded. Nothing
 * is asked for afterwards. */
static bool ahead_wait(struct cache *c)
{
	struct ahead *a = c->ahead;
	bool ok;

	ahead_settle(c);
	pthread_mutex_lock(&a->lock);
	a->asked = false;
	ok = !a->err;
	pthread_mutex_unlock(&a->lock);
	return ok;
}

void ahead_collect(struct ext2fs *fs)
{
	struct ahead *a = fs->cache.ahead;

	if (a && a->asked && ahead_wait(&fs->cache) && !a->stale)
		cache_fill(fs, a->blk, a->n, a->buf);
}

void ahead_touch(struct cache *c, uint32_t blk)
{
	struct ahead *a = c->ahead;

	if (a && a->asked && blk - a->blk < a->n)
		a->stale = true;
}

void ahead_stop(struct cache *c)
{
	struct ahead *a = c->ahead;

	if (!a)
		return;
	if (a->asked)
		ahead_wait(c);
	pthread_mutex_lock(&a->lock);
	a->quit = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->lock);
	for (uint32_t i = 0; i < a->nthread; i++)
		pthread_join(a->thread[i], NULL);
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cv);
	free(a->buf);
	free(a);
	c->ahead = NULL;
}
