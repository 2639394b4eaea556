/*
 * pl011.c - the ARM PrimeCell PL011 UART (register layout from ARM's
 * PL011 Technical Reference Manual, DDI 0183): the tty server's other
 * backend, behind the same uart.h functions as the 16550. Its registers
 * are 32 bits wide, memory-mapped through the MMIO grant (uart_map).
 */
#include "uart.h"

#define DR   0x00 /* data */
#define FR   0x18 /* flags */
#define IBRD 0x24 /* integer baud divisor */
#define FBRD 0x28 /* fractional baud divisor */
#define LCRH 0x2c /* line control */
#define CR   0x30 /* control */
#define IFLS 0x34 /* FIFO interrupt levels */
#define IMSC 0x38 /* interrupt mask: 1 enables */
#define MIS  0x40 /* masked interrupt status */
#define ICR  0x44 /* interrupt clear */

#define FR_RXFE   0x10  /* receive FIFO empty */
#define FR_TXFF   0x20  /* transmit FIFO full */
#define LCRH_8N1F 0x70  /* 8 data bits, FIFOs on */
#define CR_ON     0x301 /* UART, transmitter and receiver enabled */
#define INT_RX    0x10  /* receive FIFO at its level */
#define INT_TX    0x20  /* transmit FIFO at its level */
#define INT_RT    0x40  /* receive timeout: bytes sat in the FIFO */
#define INT_ERR   0x780 /* framing, parity, break, overrun */
#define INT_ALL   0x7ff

static uint32_t reg_read(struct uart *u, int reg)
{
	return *(volatile uint32_t *)(u->base + reg);
}

static void reg_write(struct uart *u, int reg, uint32_t v)
{
	*(volatile uint32_t *)(u->base + reg) = v;
}

static void set_imsc(struct uart *u)
{
	reg_write(u, IMSC, INT_RX | INT_RT | (u->tx_irq ? INT_TX : 0));
}

void pl011_init(struct uart *u)
{
	reg_write(u, CR, 0);
	reg_write(u, IMSC, 0);
	reg_write(u, IBRD, 13); /* 115200 baud from QEMU virt's 24 MHz */
	reg_write(u, FBRD, 1);
	reg_write(u, LCRH, LCRH_8N1F);
	reg_write(u, IFLS, 0); /* interrupts at 1/8 full, 1/8 empty */
	reg_write(u, ICR, INT_ALL);
	reg_write(u, CR, CR_ON);
	while (!(reg_read(u, FR) & FR_RXFE))
		reg_read(u, DR);
	u->tx_irq = false;
	set_imsc(u);
}

/* Fill the transmit FIFO from ld; the transmit interrupt stays on while
 * output remains, and is cleared and off when none does. */
static void transmit(struct uart *u, struct ldisc *ld)
{
	char c;
	bool want;

	while (!(reg_read(u, FR) & FR_TXFF) && ldisc_out_take(ld, &c, 1))
		reg_write(u, DR, (uint8_t)c);
	want = ldisc_out_pending(ld);
	if (!want)
		reg_write(u, ICR, INT_TX);
	if (want != u->tx_irq) {
		u->tx_irq = want;
		set_imsc(u);
	}
}

void pl011_kick(struct uart *u, struct ldisc *ld)
{
	if (!u->tx_irq && ldisc_out_pending(ld))
		transmit(u, ld);
}

void pl011_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int))
{
	uint32_t mis = reg_read(u, MIS);
	int sig;

	reg_write(u, ICR, mis & (INT_RX | INT_RT | INT_ERR));
	while (!(reg_read(u, FR) & FR_RXFE))
		if ((sig = ldisc_input(ld, (unsigned char)reg_read(u, DR))))
			on_signal(sig);
	if (u->tx_irq || ldisc_out_pending(ld))
		transmit(u, ld);
}
