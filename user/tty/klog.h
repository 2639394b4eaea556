/*
 * klog.h - the kernel's log lines on the terminal. The kernel leaves the
 * console to the tty server once it reads the log (LUX_NR_KLOG); the
 * server puts each kernel line in its output where a line of its own
 * ended, so that neither cuts the other (docs/decisions/0003).
 */
#pragma once

#include "ldisc.h"

/* Become the kernel log's reader: its descriptor, or -1 (then the kernel
 * keeps writing the UART itself). */
int klog_open(void);
/* Take what the kernel logged since the last call (poll said POLLIN). */
void klog_read(int fd);
/* Queue the complete kernel lines: at once when the output is at the
 * start of a line; when it is not, once no program has written for
 * KLOG_HOLD_MS (a prompt waits for input), after a newline. now and
 * last_out in ms. Returns the ms until it must run again, or -1. */
int klog_flush(struct ldisc *ld, uint64_t now, uint64_t last_out);
