/*
 * ldisc.h - the terminal line discipline: input editing (canonical mode),
 * echo, the signal characters, raw and cbreak reads, and output
 * processing, driven by a Linux struct termios. Pure logic with no system
 * calls: the tty server feeds it received bytes and requests, and moves
 * its output to the hardware (tests/unit/test_tty.c tests it on the host).
 */
#pragma once

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h> /* flag and c_cc index values: Linux's everywhere */

#define TTY_NCCS     19    /* the kernel's c_cc, not the C library's */
#define TTY_IN_SIZE  8192  /* bytes that wait to be read */
#define TTY_LINE_MAX 4096  /* a canonical line, its end included */
#define TTY_LINES    256   /* complete lines that wait to be read */
#define TTY_OUT_SIZE 16384 /* bytes that wait for the hardware */

/* The kernel's struct termios (TCGETS/TCSETS), 36 bytes. */
struct kterm {
	uint32_t iflag, oflag, cflag, lflag;
	uint8_t line;
	uint8_t cc[TTY_NCCS];
};

struct ldisc {
	struct kterm t;
	/* Readable input: bytes in[tail..head) (positions count up, the
	 * ring index is pos % TTY_IN_SIZE). In canonical mode it holds whole
	 * lines only, line_end[] their end positions (an empty line is an
	 * end of file). */
	unsigned char in[TTY_IN_SIZE];
	unsigned head, tail;
	unsigned line_end[TTY_LINES];
	unsigned lines_head, lines_tail;
	/* The canonical line being edited, and the column it started at. */
	unsigned char edit[TTY_LINE_MAX];
	unsigned edit_len, edit_col;
	bool lnext;   /* the next byte is literal (^V) */
	bool stopped; /* output stopped by VSTOP (IXON) */
	/* Output for the hardware: out[out_tail..out_head). */
	unsigned char out[TTY_OUT_SIZE];
	unsigned out_head, out_tail;
	unsigned col; /* the cursor's column, for erasing tabs */
};

/* A terminal with Linux's default settings (cooked mode, echo, ISIG). */
void ldisc_init(struct ldisc *ld);
/* New settings; leaving or entering canonical mode keeps typed input
 * readable. flush: drop the input first (TCSETSF). */
void ldisc_set(struct ldisc *ld, const struct kterm *t, bool flush);
/* One received byte: edits, echoes, queues it. Returns the signal the
 * foreground process group must get (SIGINT, SIGQUIT, SIGTSTP), or 0;
 * then input and unsent output are dropped (unless NOFLSH). */
int ldisc_input(struct ldisc *ld, unsigned char c);
/* Bytes a read could take now (FIONREAD); in canonical mode those of
 * complete lines. */
size_t ldisc_available(const struct ldisc *ld);
/* Whether a read of n bytes can finish now: a complete line (canonical),
 * or at least min(VMIN, n) bytes (raw; VMIN 0: always). Timeouts (VTIME)
 * are the caller's. */
bool ldisc_read_ready(const struct ldisc *ld, size_t n);
/* Whether poll() should say POLLIN. */
bool ldisc_poll_in(const struct ldisc *ld);
/* Take up to n readable bytes into buf (canonical: at most one line; an
 * end-of-file line gives 0 once). Returns the count. */
size_t ldisc_read(struct ldisc *ld, char *buf, size_t n);
/* Drop all input, typed and readable. */
void ldisc_flush_input(struct ldisc *ld);
/* Queue up to n bytes of program output, processed per oflag. Returns how
 * many were taken (fewer when the output queue is full). */
size_t ldisc_write(struct ldisc *ld, const char *buf, size_t n);
/* Free space in the output queue (poll's POLLOUT: some left). */
size_t ldisc_out_room(const struct ldisc *ld);
/* Bytes that wait for the hardware. */
size_t ldisc_out_pending(const struct ldisc *ld);
/* Move up to n queued output bytes to buf for the hardware; 0 while
 * output is stopped. */
size_t ldisc_out_take(struct ldisc *ld, char *buf, size_t n);
