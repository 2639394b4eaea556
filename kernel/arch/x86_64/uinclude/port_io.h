/*
 * port_io.h - x86_64's I/O ports for user-space drivers granted them
 * (LUX_GRANT_PORTS): PORT_IO is 1, port_in8 and port_out8 read and write
 * one byte. A port the process was not granted faults (SIGSEGV).
 */
#ifndef PORT_IO_H
#define PORT_IO_H

#include <stdint.h>

#define PORT_IO 1

static inline uint8_t port_in8(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void port_out8(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

#endif
