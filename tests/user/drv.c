/*
 * drv: the kernel's mechanism for user-space drivers (LUX_NR_MMIO,
 * LUX_NR_DMA, LUX_NR_HWINFO; docs/storage.md). Two modes:
 *
 * - as PID 1 (`init=/tests/drv`, tests/run.py's boot/drv-grant), which
 *   may grant itself hardware: device memory maps where granted (q35's
 *   PCI configuration space: the host bridge's vendor id), only shared,
 *   never executable, and survives fork, mprotect and munmap without
 *   touching a page count; DMA pages have stable physical addresses;
 *   MSI messages are given for granted lines only;
 * - as any other process (the runner's `drv`, an ordinary user): every
 *   call is refused, whatever the arguments: the bypass test.
 *
 * lux-specific (native calls); x86_64's q35 machine for the PCI part.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fcntl.h>
#include <lux/proto.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUS0 (32 * 8 * 4096) /* bus 0's configuration space */

static long mmio(uint64_t phys, uint64_t len)
{
	return syscall(LUX_NR_MMIO, phys, len);
}

static long dma(int fd, uint64_t off)
{
	return syscall(LUX_NR_DMA, fd, off);
}

static long hwinfo(int what, long arg, uint64_t out[2])
{
	return syscall(LUX_NR_HWINFO, what, arg, out);
}

static long grant(int kind, uint64_t base, uint64_t count)
{
	return syscall(LUX_NR_GRANT, 1, kind, base, count);
}

static uint64_t ecam_base(void)
{
	uint64_t info[2] = {0, 0};

	return hwinfo(LUX_HW_ECAM, 0, info) == 0 ? info[0] : 0;
}

/* Without a grant every call fails with EPERM, for anyone. */
static void refused(void)
{
	uint64_t out[2], base = ecam_base();
	int fd = memfd_create("d", 0);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 4096), 0);
	CHECK_ERR(mmio(base ? base : 0xb0000000, 4096), EPERM);
	CHECK_ERR(mmio(0xfee00000, 4096), EPERM); /* the local APIC */
	CHECK_ERR(mmio(0x1000, 4096), EPERM);     /* RAM */
	CHECK_ERR(dma(fd, 0), EPERM);
	CHECK_ERR(hwinfo(LUX_HW_MSI, LUX_IRQ_MSI, out), EPERM);
	CHECK_ERR(hwinfo(LUX_HW_MSI, 4, out), EPERM);
	CHECK_ERR(hwinfo(99, 0, out), EINVAL);
	CHECK_ERR(syscall(LUX_NR_GRANT, getpid(), LUX_GRANT_DMA, 0, 0), EPERM);
	close(fd);
}

/* The same as an ordinary user (uid 1000), in a child. */
static void refused_user_child(void)
{
	CHECK_EQ(setgid(1000), 0);
	CHECK_EQ(setuid(1000), 0);
	refused();
}

static void refused_user(void)
{
	ut_in_child(refused_user_child);
}

static void mmio_rules(void)
{
	uint64_t base = ecam_base();

	CHECK(base != 0);
	CHECK_ERR(mmio(base, 4096), EPERM);
	CHECK_EQ(grant(LUX_GRANT_MMIO, base, BUS0), 0);
	CHECK_ERR(mmio(base + 1, 4096), EINVAL);
	CHECK_ERR(mmio(base, 100), EINVAL);
	CHECK_ERR(mmio(base, 0), EINVAL);
	CHECK_ERR(mmio(base, -4096L), EINVAL);
	CHECK_ERR(mmio(0, 4096), EINVAL);
	CHECK_ERR(mmio(base + BUS0 - 4096, 8192), EPERM); /* past the grant */
	CHECK_ERR(mmio(base - 4096, 8192), EPERM);
	int fd = mmio(base, BUS0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_ERR(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0), EINVAL);
	CHECK_ERR(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0),
		  EACCES);
	CHECK_ERR(ftruncate(fd, 8192), EINVAL);
	CHECK_ERR(fallocate(fd, 0, 0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, 1, 0, 4096), EOPNOTSUPP);
	CHECK_EQ(grant(LUX_GRANT_DMA, 0, 0), 0);
	CHECK_ERR(dma(fd, 0), EINVAL); /* device memory is no DMA memory */
	close(fd);
}

/* Map bus 0 and read the host bridge's vendor id (Intel on q35). */
static volatile uint32_t *map_bus0(int *fdp)
{
	uint64_t base = ecam_base();
	int fd = base ? (int)mmio(base, BUS0) : -1;
	void *p = fd < 0 ? MAP_FAILED
			 : mmap(NULL, BUS0, PROT_READ | PROT_WRITE, MAP_SHARED,
				fd, 0);

	if (fdp)
		*fdp = fd;
	else if (fd >= 0)
		close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static void mmio_map(void)
{
	int fd;
	volatile uint32_t *cfg = map_bus0(&fd);
	struct ut_fault f;

	CHECK(cfg != NULL);
	CHECK_EQ(cfg[0] & 0xffff, 0x8086);
	CHECK_EQ(cfg[1024 * 8 * 31 + 0] & 0xffff, 0x8086); /* 00:1f.0 */
	/* never executable, even by mprotect; PROT_NONE really takes it */
	CHECK_ERR(mprotect((void *)cfg, 4096, PROT_READ | PROT_EXEC), EACCES);
	CHECK_EQ(mprotect((void *)cfg, 4096, PROT_NONE), 0);
	CHECK_EQ(ut_probe((void *)cfg, 0, &f), SIGSEGV);
	CHECK_EQ(mprotect((void *)cfg, 4096, PROT_READ), 0);
	CHECK_EQ(cfg[0] & 0xffff, 0x8086);
	CHECK_EQ(ut_probe((void *)cfg, 1, &f), SIGSEGV);
	CHECK_EQ(mprotect((void *)cfg, 4096, PROT_READ | PROT_WRITE), 0);
	/* a second mapping of the same object sees the same registers */
	void *again = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096 * 8);
	CHECK(again != MAP_FAILED);
	CHECK_EQ(*(volatile uint32_t *)again, cfg[1024 * 8]);
	CHECK_EQ(munmap(again, 4096), 0);
	close(fd);
	CHECK_EQ(munmap((void *)cfg, BUS0), 0);
}

static volatile uint32_t *forked_cfg;

static void read_in_child(void)
{
	CHECK_EQ(forked_cfg[0] & 0xffff, 0x8086);
}

/* A fork child shares the mapping (and drops it at exit) without any
 * page count: the parent's mapping still works after. */
static void mmio_fork(void)
{
	CHECK((forked_cfg = map_bus0(NULL)) != NULL);
	for (int i = 0; i < 3; i++)
		CHECK(ut_in_child(read_in_child));
	CHECK_EQ(forked_cfg[0] & 0xffff, 0x8086);
	CHECK_EQ(munmap((void *)forked_cfg, BUS0), 0);
}

static void dma_pages(void)
{
	int fd = memfd_create("dma", MFD_CLOEXEC), pipefd[2];
	long pa0, pa1;

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 2 * 4096), 0);
	CHECK_EQ(grant(LUX_GRANT_DMA, 0, 0), 0);
	CHECK((pa0 = dma(fd, 0)) > 0);
	CHECK_EQ(pa0 % 4096, 0);
	CHECK_EQ(dma(fd, 100), pa0);
	CHECK((pa1 = dma(fd, 4096)) > 0);
	CHECK(pa1 != pa0);
	CHECK_ERR(dma(fd, 8192), EINVAL);
	CHECK_ERR(dma(fd, -1), EINVAL);
	CHECK_ERR(dma(-1, 0), EBADF);
	CHECK_EQ(pipe(pipefd), 0);
	CHECK_ERR(dma(pipefd[0], 0), EINVAL);
	/* a mapping touches the same pages: the address stays */
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	p[4096] = 2;
	CHECK_EQ(dma(fd, 0), pa0);
	CHECK_EQ(dma(fd, 4096), pa1);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	CHECK_EQ(p[4096], 2);
	CHECK_EQ(munmap(p, 8192), 0);
}

static void msi(void)
{
	uint64_t out[2] = {0, 0};
	int fd;

	CHECK_ERR(hwinfo(LUX_HW_MSI, LUX_IRQ_MSI + 3, out), EPERM);
	CHECK_EQ(grant(LUX_GRANT_IRQ, LUX_IRQ_MSI + 3, 1), 0);
	CHECK_EQ(hwinfo(LUX_HW_MSI, LUX_IRQ_MSI + 3, out), 0);
#ifdef UT_MSI_WINDOW
	CHECK_EQ(out[0] >> 20, UT_MSI_WINDOW); /* the interrupt controller's */
#endif
	CHECK_ERR(hwinfo(LUX_HW_MSI, LUX_IRQ_MSI + 3, (void *)8), EFAULT);
	CHECK_EQ(grant(LUX_GRANT_IRQ, 5, 1), 0);
	CHECK_ERR(hwinfo(LUX_HW_MSI, 5, out), EINVAL); /* a wire */
	CHECK_EQ(grant(LUX_GRANT_IRQ, 20, 1), 0);
	CHECK_ERR(syscall(LUX_NR_IRQ, 20), EINVAL); /* no such line */
	CHECK((fd = syscall(LUX_NR_IRQ, LUX_IRQ_MSI + 3)) >= 0);
	CHECK_ERR(syscall(LUX_NR_IRQ, LUX_IRQ_MSI + 3), EBUSY);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_ERR(read(fd, out, 8), EAGAIN); /* nothing raised it */
	close(fd);
}

static const struct ut_case pid1_cases[] = {
    UT_CASE(mmio_rules), UT_CASE(mmio_map), UT_CASE(mmio_fork),
    UT_CASE(dma_pages),  UT_CASE(msi),      UT_CASE(refused_user),
};

static const struct ut_case cases[] = {
    UT_CASE(refused),
    UT_CASE(refused_user),
};

int main(int argc, char **argv)
{
	if (getpid() == 1)
		return ut_main(argc, argv, "drv", pid1_cases,
			       UT_COUNT(pid1_cases));
	return ut_main(argc, argv, "drv", cases, UT_COUNT(cases));
}
