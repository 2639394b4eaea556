/*
 * hw: hardware grants as a driver sees them. Runs as PID 1 (the only
 * process that may grant), booted as `init=/tests/hw` by tests/run.py's
 * boot/hw-grant: I/O ports work exactly where granted, an interrupt line
 * becomes a descriptor that counts interrupts (the UART's loopback mode
 * raises one without anyone typing), one holder per line, grants survive
 * execve and are not inherited by fork. Only where the platform has I/O ports
 * (PORT_IO, <port_io.h>).
 *
 * `hw exec-check` is the mode a granted child runs in after execve.
 */
#include "utest.h"

#include <fcntl.h>
#include <lux/proto.h>
#include <port_io.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define COM1 0x3f8
#define LSR  (COM1 + 5)
#define SCR  (COM1 + 7) /* the scratch register: any value reads back */

static __attribute__((unused)) long grant(int pid, int kind, long base,
					  long count)
{
	return syscall(LUX_NR_GRANT, pid, kind, base, count);
}

static __attribute__((unused)) long irq_open(int irq)
{
	return syscall(LUX_NR_IRQ, irq);
}

#if PORT_IO
#define inb  port_in8
#define outb port_out8

static void probe_in(void *port)
{
	inb((uintptr_t)port);
}

/* Whether reading port faults (SIGSEGV) */
static int port_faults(uint16_t port)
{
	return ut_fault(probe_in, (void *)(uintptr_t)port, NULL) == SIGSEGV;
}

static void grant_rules(void)
{
	CHECK_EQ(getpid(), 1);
	CHECK_ERR(irq_open(4), EPERM);
	CHECK_ERR(grant(0x3ffffff0, LUX_GRANT_IRQ, 4, 1), ESRCH);
	CHECK_ERR(grant(1, 99, 0, 1), EINVAL);
	CHECK_ERR(grant(1, LUX_GRANT_IRQ, 4, 2), EINVAL);
	CHECK_ERR(grant(1, LUX_GRANT_IOPORT, 0xfff0, 0x20), EINVAL);
	CHECK_ERR(grant(1, LUX_GRANT_IOPORT, COM1, 0), EINVAL);
	CHECK(port_faults(SCR)); /* the failed grants gave nothing */
}

static void ports(void)
{
	CHECK(port_faults(SCR));
	CHECK_EQ(grant(1, LUX_GRANT_IOPORT, COM1, 8), 0);
	CHECK_EQ(grant(1, LUX_GRANT_IOPORT, COM1, 8), 0); /* again: no-op */
	CHECK(!port_faults(SCR));
	outb(SCR, 0x5a);
	CHECK_EQ(inb(SCR), 0x5a);
	outb(SCR, 0xa5);
	CHECK_EQ(inb(SCR), 0xa5);
	CHECK(port_faults(COM1 - 1)); /* just outside the grant */
	CHECK(port_faults(COM1 + 8));
	CHECK(port_faults(0x80));
}

/* The UART in loopback mode receives what it sends: its receive
 * interrupt arrives through the descriptor. */
static void irq_loopback(void)
{
	uint64_t count = 0;
	long fd, again;

	CHECK_EQ(grant(1, LUX_GRANT_IRQ, 4, 1), 0);
	CHECK((fd = irq_open(4)) >= 0);
	CHECK_ERR(irq_open(4), EBUSY);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(fd, &count, 4), EINVAL);
	uint8_t ier = inb(COM1 + 1), mcr = inb(COM1 + 4);
	outb(COM1 + 1, 0);
	outb(COM1 + 4, 0x1b); /* loopback, OUT2, DTR, RTS */
	while (inb(LSR) & 1)
		inb(COM1);
	read(fd, &count, 8); /* forget what the console's line had */
	EXPECT_ERR(read(fd, &count, 8), EAGAIN);
	outb(COM1 + 1, 0x01); /* interrupt on received data */
	outb(COM1, 'Z');
	struct pollfd p = {(int)fd, POLLIN, 0};
	int ready = poll(&p, 1, 10000);
	long got = read(fd, &count, 8);
	int data = (inb(LSR) & 1) ? inb(COM1) : -1;
	outb(COM1 + 1, ier);
	outb(COM1 + 4, mcr);
	EXPECT_EQ(ready, 1);
	EXPECT(p.revents & POLLIN);
	EXPECT_EQ(got, 8);
	EXPECT(count >= 1);
	EXPECT_EQ(data, 'Z');
	close(fd);
	/* closed: the line is free again */
	again = irq_open(4);
	EXPECT(again >= 0);
	close(again);
}

/* The kernel console (descriptors 0-2 of PID 1) is output only, and the
 * kernel leaves the UART's receive interrupt off once IRQ 4 is let go:
 * input is the tty server's. */
static void console_output_only(void)
{
	struct pollfd p = {0, POLLIN | POLLOUT, 0};
	char c;

	CHECK_EQ(fcntl(0, F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_ERR(read(0, &c, 1), EBADF);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(write(1, "", 0), 0);
	CHECK_EQ(grant(1, LUX_GRANT_IOPORT, COM1, 8), 0);
	CHECK_EQ(inb(COM1 + 1) & 1, 0); /* no receive interrupt */
}

static void child_no_grant(void)
{
	CHECK(port_faults(SCR));
	CHECK_ERR(irq_open(4), EPERM);
	CHECK_ERR(grant(getpid(), LUX_GRANT_IRQ, 4, 1), EPERM);
}

/* What PID 1 was granted, its forks do not get. */
static void fork_not_inherited(void)
{
	CHECK(!port_faults(SCR)); /* the parent keeps its ports */
	ut_in_child(child_no_grant);
}

/* A child granted ports and IRQ 3 keeps them across execve. */
static void exec_keeps_grants(void)
{
	int go[2], st;
	char c;
	CHECK(pipe(go) == 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(go[1]);
		read(go[0], &c, 1);
		execl(ut_self, ut_self, "exec-check", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	EXPECT_EQ(grant(pid, LUX_GRANT_IOPORT, COM1, 8), 0);
	EXPECT_EQ(grant(pid, LUX_GRANT_IRQ, 3, 1), 0);
	close(go[1]);
	st = ut_wait(pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static int exec_check(void)
{
	long fd;
	if (port_faults(SCR) || !port_faults(0x80))
		return 1;
	if ((fd = irq_open(3)) < 0)
		return 2;
	if (irq_open(4) != -1 || errno != EPERM)
		return 3;
	close(fd);
	return 0;
}
#endif

static const struct ut_case cases[] = {
#if PORT_IO
    UT_CASE(grant_rules),        UT_CASE(ports),
    UT_CASE(irq_loopback),       UT_CASE(console_output_only),
    UT_CASE(fork_not_inherited), UT_CASE(exec_keeps_grants),
#endif
};

int main(int argc, char **argv)
{
#if PORT_IO
	if (argc == 2 && !strcmp(argv[1], "exec-check"))
		return exec_check();
#endif
	return ut_main(argc, argv, "hw", cases, UT_COUNT(cases));
}
