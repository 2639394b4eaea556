/*
 * tty_fake_uart.c - the tty server's UART for host tests (test_ttyserver):
 * descriptor 4 stands for the interrupt line (the test writes an 8-byte
 * count to raise it), 5 carries the received bytes, 6 the sent ones.
 */
#include "../../user/tty/uart.h"
#include <fcntl.h>
#include <unistd.h>

enum { IRQ_FD = 4, RX_FD = 5, TX_FD = 6 };

int uart_irq_open(struct uart *u, int irq)
{
	(void)u, (void)irq;
	return IRQ_FD;
}

int uart_map(struct uart *u, uint64_t phys)
{
	(void)u, (void)phys;
	return 0;
}

void uart_init(struct uart *u)
{
	(void)u;
	fcntl(RX_FD, F_SETFL, O_NONBLOCK);
}

void uart_kick(struct uart *u, struct ldisc *ld)
{
	char buf[256];
	size_t n;

	(void)u;
	while ((n = ldisc_out_take(ld, buf, sizeof(buf))))
		if (write(TX_FD, buf, n) != (ssize_t)n)
			break;
}

void uart_service(struct uart *u, struct ldisc *ld, void (*on_signal)(int))
{
	unsigned char c;
	int sig;

	while (read(RX_FD, &c, 1) == 1)
		if ((sig = ldisc_input(ld, c)))
			on_signal(sig);
	uart_kick(u, ld);
}
