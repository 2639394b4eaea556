/*
 * host.c - the platform and panic for kernel code running in a host unit
 * test. Built without the libc renames, so it uses the host's own printf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch.h"
#include "host.h"
#include "kernel.h"

#define EXIT_PANIC    70
#define EXIT_DEADLOCK 71

unsigned char *host_ram;
static uint64_t host_ram_size;
unsigned long host_irqs_off;
static bool in_child; /* in a child of host_panic_message/host_in_child */
static int panic_fd = -1;

/* The tests map huge sparse arenas and fork; leak checks need ptrace,
 * which containers often forbid. */
const char *__asan_default_options(void)
{
	return "detect_leaks=0";
}

void host_ram_init(uint64_t size)
{
	if (host_ram != NULL)
		munmap(host_ram, host_ram_size);
	host_ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host_ram == MAP_FAILED) {
		host_ram = NULL;
		fail_msg("cannot map %llu bytes of test RAM",
			 (unsigned long long)size);
	}
	host_ram_size = size;
}

unsigned long arch_irq_save(void)
{
	return host_irqs_off++;
}

void arch_irq_restore(unsigned long flags)
{
	host_irqs_off = flags;
}

/* Tests run on one thread: waiting for a lock means nobody will free it. */
void arch_cpu_relax(void)
{
	if (in_child)
		_exit(EXIT_DEADLOCK);
	fail_msg("deadlock: a spinlock was never released "
		 "(left held by an earlier panic?)");
}

/* The kernel's own vsnprintf (lib/printf.c, renamed for the host). */
int kvsnprintf(char *dst, size_t size, const char *fmt, va_list ap);

/* The message is formatted as the kernel would format it. */
void panic(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	kvsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (in_child) {
		if (panic_fd >= 0 && write(panic_fd, msg, strlen(msg)) < 0)
			_exit(EXIT_FAILURE);
		_exit(EXIT_PANIC);
	}
	fail_msg("panic: %s", msg);
	abort();
}

/* Fork; in the child run body(fn, arg) and exit with its status. Returns
 * the child's wait status. */
static int run_child(int (*body)(void *, void *), void *fn, void *arg, int fd)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		fail_msg("fork failed");
	if (pid == 0) {
		in_child = true;
		panic_fd = fd;
		_exit(body(fn, arg));
	}
	if (fd >= 0)
		close(fd);
	if (waitpid(pid, &status, 0) != pid)
		fail_msg("waitpid failed");
	return status;
}

static int call_void(void *fn, void *arg)
{
	((void (*)(void *))fn)(arg);
	return EXIT_SUCCESS;
}

static int call_bool(void *fn, void *arg)
{
	return ((bool (*)(void *))fn)(arg) ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *host_panic_message(void (*fn)(void *), void *arg)
{
	static char msg[512];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;

	if (pipe(fds) != 0)
		fail_msg("pipe failed");
	status = run_child(call_void, (void *)fn, arg, fds[1]);
	while (len < sizeof(msg) - 1 &&
	       (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += n;
	close(fds[0]);
	msg[len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status) != EXIT_PANIC)
		return NULL;
	return msg;
}

bool host_in_child(bool (*fn)(void *), void *arg)
{
	int status = run_child(call_bool, (void *)fn, arg, -1);

	return WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SUCCESS;
}

int host_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
{
	return vsnprintf(dst, size, fmt, ap);
}

/* One thread, no scheduler: nothing to preempt. */
void preempt_disable(void)
{
}

void preempt_enable(void)
{
}
