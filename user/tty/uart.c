/*
 * uart.c - 16550 UART: registers, interrupt service and transmit
 * (register layout from the National Semiconductor PC16550D data sheet).
 */
#include "uart.h"
#include <lux.h>
#include <port_io.h>
#include <sys/mman.h>
#include <unistd.h>

#define RBR 0 /* receive buffer (read) / transmit holding (write) */
#define IER 1 /* interrupt enable */
#define IIR 2 /* interrupt identification (read) / FIFO control (write) */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */
#define MSR 6 /* modem status */

#define IER_RX      0x01 /* received data available (and its timeout) */
#define IER_TX      0x02 /* transmit holding register empty */
#define IER_LINE    0x04 /* receiver line status */
#define LSR_DR      0x01 /* data ready */
#define LSR_THRE    0x20 /* transmit FIFO empty */
#define IIR_NONE    0x01 /* no interrupt pending */
#define FIFO_SIZE   16
#define SERVICE_MAX 64 /* interrupt causes served per call, at most */

#if PORT_IO /* the platform's I/O ports: base is a port number */
static uint8_t reg_read(struct uart *u, int reg)
{
	return port_in8(u->base + reg);
}

static void reg_write(struct uart *u, int reg, uint8_t v)
{
	port_out8(u->base + reg, v);
}
#else
/* Elsewhere a 16550 is memory-mapped at base, one byte per register. */
static uint8_t reg_read(struct uart *u, int reg)
{
	return *(volatile uint8_t *)(u->base + reg);
}

static void reg_write(struct uart *u, int reg, uint8_t v)
{
	*(volatile uint8_t *)(u->base + reg) = v;
}
#endif

int uart_irq_open(struct uart *u, int irq)
{
	(void)u;
	return lux_irq(irq);
}

int uart_map(struct uart *u, uint64_t phys)
{
	int fd = lux_mmio(phys, 4096);
	void *p;

	if (fd < 0)
		return -1;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	u->base = (uintptr_t)p;
	return 0;
}

static void set_ier(struct uart *u)
{
	reg_write(u, IER, IER_RX | IER_LINE | (u->tx_irq ? IER_TX : 0));
}

void uart_init(struct uart *u)
{
	if (u->pl011)
		return pl011_init(u);
	reg_write(u, IER, 0);
	reg_write(u, LCR, 0x80); /* divisor latch */
	reg_write(u, RBR, 1);    /* 115200 baud */
	reg_write(u, IER, 0);
	reg_write(u, LCR, 0x03); /* 8 data bits, no parity, 1 stop bit */
	reg_write(u, IIR, 0xc7); /* FIFOs on and cleared, 14-byte trigger */
	reg_write(u, MCR, 0x0b); /* DTR, RTS, OUT2 (the interrupt output) */
	reg_read(u, LSR);
	reg_read(u, MSR);
	while (reg_read(u, LSR) & LSR_DR)
		reg_read(u, RBR);
	u->tx_irq = false;
	set_ier(u);
}

/* Fill the empty transmit FIFO from ld; keep the transmit interrupt on
 * while output remains or was just sent. */
static void transmit(struct uart *u, struct ldisc *ld)
{
	char buf[FIFO_SIZE];
	size_t n = ldisc_out_take(ld, buf, sizeof(buf));
	bool want = n != 0;

	for (size_t i = 0; i < n; i++)
		reg_write(u, RBR, (uint8_t)buf[i]);
	if (want != u->tx_irq) {
		u->tx_irq = want;
		set_ier(u);
	}
}

void uart_kick(struct uart *u, struct ldisc *ld)
{
	if (u->pl011)
		return pl011_kick(u, ld);
	if (!u->tx_irq && ldisc_out_pending(ld) &&
	    (reg_read(u, LSR) & LSR_THRE))
		transmit(u, ld);
}

static void receive(struct uart *u, struct ldisc *ld, void (*on_signal)(int))
{
	int sig;

	while (reg_read(u, LSR) & LSR_DR)
		if ((sig = ldisc_input(ld, reg_read(u, RBR))))
			on_signal(sig);
}

void uart_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int))
{
	if (u->pl011)
		return pl011_service(u, ld, on_signal);
	for (int i = 0; i < SERVICE_MAX; i++) {
		uint8_t iir = reg_read(u, IIR);
		if (iir & IIR_NONE)
			break;
		switch (iir & 0x0e) {
		case 0x06: /* line status: reading LSR clears it */
			reg_read(u, LSR);
			break;
		case 0x04: /* received data */
		case 0x0c: /* receive timeout: a few bytes sat in the FIFO */
			receive(u, ld, on_signal);
			break;
		case 0x02: /* transmit FIFO empty */
			transmit(u, ld);
			break;
		default: /* modem status */
			reg_read(u, MSR);
		}
	}
	receive(u, ld, on_signal); /* bytes that came after the last cause */
	if (u->tx_irq || ldisc_out_pending(ld))
		if (reg_read(u, LSR) & LSR_THRE)
			transmit(u, ld);
}
