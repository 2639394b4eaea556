/*
 * poll.h - poll events as the protocol carries them (struct
 * lux_rep.events of LUX_OPEN and LUX_NOTIFY): the one definition, used by
 * the kernel, lumen, the servers and their tests. Linux's values (the same
 * on every platform), lux's own, never taken from a C library.
 */
#pragma once

#define LUX_POLLIN     0x001
#define LUX_POLLPRI    0x002
#define LUX_POLLOUT    0x004
#define LUX_POLLERR    0x008
#define LUX_POLLHUP    0x010
#define LUX_POLLNVAL   0x020
#define LUX_POLLRDNORM 0x040
#define LUX_POLLWRNORM 0x100
#define LUX_POLLRDHUP  0x2000
