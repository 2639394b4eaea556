/* utest.c: the harness behind utest.h. */
#include "utest.h"

#include <fcntl.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *ut_self = "";

static const char *ut_prog_name = "?";
static int ut_case_failed;
static char ut_reason[512];
/* A page shared with forked children, for their failure reason. */
static char *ut_child_reason;

void ut_print(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	for (int off = 0, again = 1; off < n;) {
		ssize_t w = write(1, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EIO && again--) {
			/* the terminal server was restarted (tests/user/
			 * faults.c kills it): a new descriptor reaches it */
			int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
			if (fd >= 0 && fd != 1) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
			continue;
		}
		if (w <= 0)
			return;
		off += w;
	}
}

const char *ut_errno_name(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
	    {EPERM, "EPERM"},
	    {ENOENT, "ENOENT"},
	    {ESRCH, "ESRCH"},
	    {EINTR, "EINTR"},
	    {EIO, "EIO"},
	    {E2BIG, "E2BIG"},
	    {ENOEXEC, "ENOEXEC"},
	    {EBADF, "EBADF"},
	    {ECHILD, "ECHILD"},
	    {EAGAIN, "EAGAIN"},
	    {ENOMEM, "ENOMEM"},
	    {EACCES, "EACCES"},
	    {EFAULT, "EFAULT"},
	    {EBUSY, "EBUSY"},
	    {EEXIST, "EEXIST"},
	    {ENOTDIR, "ENOTDIR"},
	    {EINVAL, "EINVAL"},
	    {EMFILE, "EMFILE"},
	    {ENOSPC, "ENOSPC"},
	    {EPIPE, "EPIPE"},
	    {ERANGE, "ERANGE"},
	    {ENOSYS, "ENOSYS"},
	    {ETIMEDOUT, "ETIMEDOUT"},
	    {EOVERFLOW, "EOVERFLOW"},
	    {EOPNOTSUPP, "EOPNOTSUPP"},
	    {ENXIO, "ENXIO"},
	    {EISDIR, "EISDIR"},
	    {ENOTEMPTY, "ENOTEMPTY"},
	    {ELOOP, "ELOOP"},
	    {ENAMETOOLONG, "ENAMETOOLONG"},
	    {ESPIPE, "ESPIPE"},
	    {EXDEV, "EXDEV"},
	    {EMLINK, "EMLINK"},
	    {ENOTTY, "ENOTTY"},
	    {ETXTBSY, "ETXTBSY"},
	    {EROFS, "EROFS"},
	    {EADDRINUSE, "EADDRINUSE"},
	    {ECONNREFUSED, "ECONNREFUSED"},
	    {ENOTSOCK, "ENOTSOCK"},
	    {ENOTCONN, "ENOTCONN"},
	    {ECONNRESET, "ECONNRESET"},
	};
	static __thread char other[24];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(other, sizeof(other), "%d", err);
	return other;
}

void ut_fail(const char *fmt, ...)
{
	/* Threads may fail at once: the first one names the reason. */
	if (__atomic_exchange_n(&ut_case_failed, 1, __ATOMIC_SEQ_CST))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ut_reason, sizeof(ut_reason), fmt, ap);
	va_end(ap);
	for (char *p = ut_reason; *p; p++)
		if (*p == '\n')
			*p = ' ';
}

int ut_failed(void)
{
	return __atomic_load_n(&ut_case_failed, __ATOMIC_SEQ_CST);
}

int ut_expect(int ok, int line, const char *what)
{
	int err = errno;
	if (!ok)
		ut_fail("line %d: %s (errno %s)", line, what,
			ut_errno_name(err));
	return ok;
}

int ut_expect_eq(long long got, long long want, int line, const char *what)
{
	int err = errno;
	if (got == want)
		return 1;
	if (got == -1)
		ut_fail("line %d: %s is -1 (%s), expected %lld", line, what,
			ut_errno_name(err), want);
	else
		ut_fail("line %d: %s is %lld (%#llx), expected %lld", line,
			what, got, got, want);
	return 0;
}

int ut_expect_err(long long got, int want, int line, const char *what)
{
	int err = errno;
	if (got == -1 && err == want)
		return 1;
	if (got == -1)
		ut_fail("line %d: %s failed with %s, expected %s", line, what,
			ut_errno_name(err), ut_errno_name(want));
	else
		ut_fail("line %d: %s returned %lld, expected -1 (%s)", line,
			what, got, ut_errno_name(want));
	return 0;
}

const char *ut_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "signal %d", WTERMSIG(status));
	else if (WIFSTOPPED(status))
		snprintf(buf, size, "stopped by %d", WSTOPSIG(status));
	else
		snprintf(buf, size, "status %#x", status);
	return buf;
}

int ut_wait(pid_t pid)
{
	int status;
	for (;;) {
		pid_t got = waitpid(pid, &status, 0);
		if (got == pid)
			return status;
		if (got < 0 && errno != EINTR)
			return -1;
	}
}

int ut_run_in(char *const argv[], const char *tmp, const char *log)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		setenv("UTEST_TMP", tmp, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid < 0 ? -1 : ut_wait(pid);
}

void ut_show_failures(const char *log)
{
	static char buf[65536];
	int fd = open(log, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	char *line, *save;

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "FAIL") || strstr(line, "exited"))
			ut_print("  %s\n",
				 line + (strncmp(line, "utest: ", 7) ? 0 : 7));
}

void ut_kill(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		ut_wait(pid);
	}
}

void ut_sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, ms % 1000 * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

long long ut_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

pid_t ut_spawn(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid < 0) {
		ut_fail("fork: %s", ut_errno_name(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	ut_case_failed = 0;
	fn();
	if (!ut_case_failed)
		_exit(0);
	if (ut_child_reason)
		snprintf(ut_child_reason, UT_PAGE, "%s", ut_reason);
	else
		ut_print("utest: %s: child: %s\n", ut_prog_name, ut_reason);
	_exit(1);
}

int ut_join(pid_t pid)
{
	if (pid < 0)
		return 0;
	int status = ut_wait(pid);
	char buf[32];
	if (status == 0)
		return 1;
	if (status == 1 << 8 && ut_child_reason && ut_child_reason[0])
		ut_fail("in child: %s", ut_child_reason);
	else if (status == -1)
		ut_fail("waitpid: %s", ut_errno_name(errno));
	else
		ut_fail("child ended with %s", ut_status(status, buf, 32));
	if (ut_child_reason)
		ut_child_reason[0] = 0;
	return 0;
}

int ut_in_child(void (*fn)(void))
{
	return ut_join(ut_spawn(fn));
}

static sigjmp_buf ut_fault_env;
static volatile int ut_fault_armed;
static struct ut_fault ut_fault_seen;

static void ut_fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!ut_fault_armed) {
		signal(sig, SIG_DFL); /* not ours: fault again and die */
		return;
	}
	ut_fault_armed = 0;
	ut_fault_seen.sig = sig;
	ut_fault_seen.code = si->si_code;
	ut_fault_seen.addr = si->si_addr;
	siglongjmp(ut_fault_env, 1);
}

int ut_fault(void (*fn)(void *), void *arg, struct ut_fault *f)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	struct sigaction sa, old[4];
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ut_fault_handler;
	sa.sa_flags = SA_SIGINFO;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	memset(&ut_fault_seen, 0, sizeof(ut_fault_seen));
	if (sigsetjmp(ut_fault_env, 1) == 0) {
		ut_fault_armed = 1;
		fn(arg);
		ut_fault_armed = 0;
	}
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (f)
		*f = ut_fault_seen;
	return ut_fault_seen.sig;
}

static void ut_read_byte(void *p)
{
	(void)*(volatile char *)p;
}

static void ut_write_byte(void *p)
{
	volatile char *c = p;
	*c = *c;
}

int ut_probe(void *addr, int write, struct ut_fault *f)
{
	return ut_fault(write ? ut_write_byte : ut_read_byte, addr, f);
}

/* ut_syscall_asm, struct ut_regs_pair and the registers it checks: the
 * platform's (kernel/arch/<name>/uinclude/utest_regs.h). */
#include "utest_regs.h"

int ut_syscall_keeps_regs(long nr, long a0, long a1, long a2, uint64_t seed)
{
	struct ut_regs_pair r;
	uint64_t v = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (int i = 0; i < UT_VWORDS; i++, v = v * 6364136223846793005ULL + 1)
		r.in.vec[i] = v;
	for (int i = 0; i < UT_GPRS; i++, v = v * 6364136223846793005ULL + 1)
		r.in.gpr[i] = v;
	memset(&r.out, 0, sizeof(r.out));
	long b0 = a0, b1 = a1, b2 = a2;
	long ret = ut_syscall_asm(nr, &b0, &b1, &b2, &r);
	if (ret < 0 && ret > -4096) {
		ut_fail("system call %ld failed: %s", nr,
			ut_errno_name((int)-ret));
		return 0;
	}
	for (int i = 0; i < UT_VWORDS; i++)
		if (r.in.vec[i] != r.out.vec[i]) {
			ut_fail("%s%d changed across system call %ld", UT_VREG,
				i / 2, nr);
			return 0;
		}
	for (int i = 0; i < UT_GPRS; i++)
		if (r.in.gpr[i] != r.out.gpr[i]) {
			ut_fail("%s changed across system call %ld", ut_gpr[i],
				nr);
			return 0;
		}
	if (b0 != a0 || b1 != a1 || b2 != a2) {
		ut_fail("an argument register changed across system call %ld",
			nr);
		return 0;
	}
	return 1;
}

static int ut_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int ut_main(int argc, char **argv, const char *prog,
	    const struct ut_case *cases, int n)
{
	int failures = 0;
	ut_prog_name = prog;
	ut_self = argv[0];
	void *page = mmap(NULL, UT_PAGE, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ut_child_reason = page == MAP_FAILED ? NULL : page;
	for (int i = 0; i < n; i++) {
		if (!ut_selected(argc, argv, cases[i].name))
			continue;
		ut_case_failed = 0;
		ut_reason[0] = 0;
		cases[i].run();
		if (ut_failed()) {
			failures++;
			ut_print("utest: %s/%s: FAIL %s\n", prog, cases[i].name,
				 ut_reason);
		} else {
			ut_print("utest: %s/%s: PASS\n", prog, cases[i].name);
		}
	}
	return failures ? 1 : 0;
}

int ut_send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1;
}

int ut_recv_fd(int sock)
{
	char byte = 0;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m;
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl.buf;
	m.msg_controllen = sizeof(ctl.buf);
	if (!EXPECT_EQ(recvmsg(sock, &m, 0), 1) || !EXPECT_EQ(byte, 'F') ||
	    !EXPECT_EQ(m.msg_flags, 0))
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!EXPECT(c != NULL) || !EXPECT_EQ(c->cmsg_level, SOL_SOCKET) ||
	    !EXPECT_EQ(c->cmsg_type, SCM_RIGHTS) ||
	    !EXPECT_EQ(c->cmsg_len, CMSG_LEN(sizeof(int))))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}
