/*
 * uart.h - the UART driver of the tty server: interrupt-driven receive
 * and transmit (the transmit interrupt refills the FIFO), for a 16550
 * (uart.c) or an ARM PL011 (pl011.c), as the server's arguments say.
 */
#pragma once

#include "ldisc.h"
#include <stdint.h>

struct uart {
	uintptr_t base; /* first register: an I/O port, or its mapping */
	bool pl011;     /* a PL011, else a 16550 */
	bool tx_irq;    /* the transmit interrupt is enabled */
};

/* The interrupt descriptor of line irq (LUX_NR_IRQ): -1, errno set. */
int uart_irq_open(struct uart *u, int irq);
/* Map the registers at physical address phys (an MMIO grant of one
 * page) at u->base: 0, or -1 with errno set. */
int uart_map(struct uart *u, uint64_t phys);
/* 115200 8N1, FIFOs on, receive interrupts on; drains what is pending. */
void uart_init(struct uart *u);
/* Serve the UART after its interrupt: each received byte goes to
 * ldisc_input and, when it raises a signal, to on_signal; the transmit
 * FIFO is refilled. Call after re-enabling the line, so that a condition
 * that comes up meanwhile raises a new interrupt. */
void uart_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int));
/* Start sending queued output if the transmitter is idle. */
void uart_kick(struct uart *u, struct ldisc *ld);

/* The PL011's forms of uart_init, uart_service and uart_kick. */
void pl011_init(struct uart *u);
void pl011_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int));
void pl011_kick(struct uart *u, struct ldisc *ld);
