/*
 * arch/cc.h - what lwIP needs of its platform (lwip/arch.h): musl has the
 * standard headers lwIP includes by default (stdint.h, inttypes.h,
 * limits.h, ctype.h), x86_64 and arm64 are little-endian, so only the
 * diagnostics, the assertion and the random numbers are lux's.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#define BYTE_ORDER LITTLE_ENDIAN

/* Diagnostics go to the server's standard error (the kernel console). */
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x) lwip_port_diag x
#define LWIP_PLATFORM_ASSERT(x)                                                \
	do {                                                                   \
		fprintf(stderr, "lwip: assertion \"%s\" failed at %s:%d\n", x, \
			__FILE__, __LINE__);                                   \
		abort();                                                       \
	} while (0)

/* Random numbers for ports, sequence numbers and DHCP transaction ids
 * (sys_arch.c: getrandom, else the clock). */
unsigned lwip_port_rand(void);
#define LWIP_RAND() ((u32_t)lwip_port_rand())
