/*
 * port_io.h - arm64 has no I/O ports (PORT_IO is 0): devices are
 * memory-mapped only (LUX_NR_MMIO).
 */
#ifndef PORT_IO_H
#define PORT_IO_H

#define PORT_IO 0

#endif
