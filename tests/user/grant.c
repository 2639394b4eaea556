/*
 * grant: hardware for user-space drivers is only for processes PID 1 gave
 * it to. Without a grant LUX_NR_GRANT and LUX_NR_IRQ fail with EPERM, and
 * port I/O raises SIGSEGV (a general protection fault, si_code SI_KERNEL)
 * as on Linux without ioperm. On Linux the native calls do not exist
 * (ENOSYS): that is the one answer that differs.
 */
#include "utest.h"

#include <lux/proto.h>
#include <port_io.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

/* What a native call must fail with: EPERM on lux, ENOSYS on Linux. */
static int denied(void)
{
	struct utsname u;
	return uname(&u) == 0 && !strcmp(u.sysname, "lux") ? EPERM : ENOSYS;
}

static void irq_needs_grant(void)
{
	CHECK_ERR(syscall(LUX_NR_IRQ, 4), denied());
	CHECK_ERR(syscall(LUX_NR_IRQ, 1), denied());
}

static void grant_needs_pid1(void)
{
	CHECK(getpid() != 1);
	CHECK_ERR(syscall(LUX_NR_GRANT, getpid(), LUX_GRANT_IOPORT, 0x3f8, 8),
		  denied());
	CHECK_ERR(syscall(LUX_NR_GRANT, getpid(), LUX_GRANT_IRQ, 4, 1),
		  denied());
	/* and the failed grants gave nothing */
	CHECK_ERR(syscall(LUX_NR_IRQ, 4), denied());
}

#if PORT_IO
static void do_inb(void *port)
{
	port_in8((uintptr_t)port);
}

static void do_outb(void *port)
{
	port_out8((uintptr_t)port, 0);
}
#endif

/* Port I/O without a grant faults (where the platform has I/O ports). */
static void ports_fault(void)
{
#if PORT_IO
	struct ut_fault f;
	CHECK_EQ(ut_fault(do_inb, (void *)0x3fd, &f), SIGSEGV);
	CHECK_EQ(f.code, SI_KERNEL);
	CHECK_EQ(ut_fault(do_outb, (void *)0x80, &f), SIGSEGV);
	CHECK_EQ(ut_fault(do_inb, (void *)0xcf8, &f), SIGSEGV);
	CHECK_EQ(ut_fault(do_inb, (void *)0xffff, &f), SIGSEGV);
#endif
}

static const struct ut_case cases[] = {
    UT_CASE(irq_needs_grant),
    UT_CASE(grant_needs_pid1),
    UT_CASE(ports_fault),
};

int main(int argc, char **argv)
{
	return ut_main(argc, argv, "grant", cases, UT_COUNT(cases));
}
