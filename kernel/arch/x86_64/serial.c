/*
 * serial.c - the early debug console on COM1 (16550 UART), polled.
 * The tty server takes the port over once user space runs.
 */
#include "x86_64.h"

#define COM1 0x3f8

BOOT_CODE void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* divisor latch */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8 data bits, no parity, one stop bit */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void arch_console_putc(char c)
{
	if (c == '\n')
		arch_console_putc('\r');
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}

/* Received bytes interrupt the boot CPU (ISA IRQ 4) and go to the
 * portable console. */
void arch_console_input_enable(void)
{
	ioapic_route(SERIAL_IRQ, VEC_IRQ_BASE + SERIAL_IRQ,
		     cpus[0].arch.apic_id);
	outb(COM1 + 4, 0x0b); /* DTR, RTS, OUT2: lets the UART interrupt */
	outb(COM1 + 1, 0x01); /* interrupt on received data */
}

void serial_interrupt(void)
{
	while (inb(COM1 + 5) & 1)
		console_input((char)inb(COM1));
}
