/*
 * uart.h - the 16550 UART driver of the tty server: interrupt-driven
 * receive and transmit (the transmitter-empty interrupt refills the FIFO).
 */
#pragma once

#include "ldisc.h"

struct uart {
	uintptr_t base; /* first register: an I/O port on x86 */
	bool tx_irq;    /* the transmitter-empty interrupt is enabled */
};

/* The interrupt descriptor of line irq (LUX_NR_IRQ): -1, errno set. */
int uart_irq_open(struct uart *u, int irq);
/* 115200 8N1, FIFOs on, receive interrupts on; drains what is pending. */
void uart_init(struct uart *u);
/* Serve the UART after its interrupt: each received byte goes to
 * ldisc_input and, when it raises a signal, to on_signal; the transmit
 * FIFO is refilled. Call after re-enabling the line, so that a condition
 * that comes up meanwhile raises a new interrupt. */
void uart_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int));
/* Start sending queued output if the transmitter is idle. */
void uart_kick(struct uart *u, struct ldisc *ld);
