/*
 * dyn: dynamically linked programs (exec's PT_INTERP, the personality's
 * mmap of a server's file; docs/decisions/0008-exec-in-the-personality.md).
 * Runs tests/dyn/prog.c as built against musl and glibc, PIE and not,
 * through its PT_INTERP and by running the loader directly; Debian's own
 * env (a glibc program of the distribution, unchanged); and hand-made ELF
 * files for exec's rules on interpreters, which are Linux's: ENOENT for a
 * missing one, EACCES for one without the execute right, EIO for a file
 * shorter than an ELF header, ELIBBAD for one that is not ELF, ENOEXEC
 * for a path without its NUL, and one level only (an interpreter's own
 * PT_INTERP is ignored). Passes on Linux too (`make utest-host`): the
 * programs are in dyn-progs/ beside this one, the loaders where the
 * distribution puts them, which the boot image copies.
 */
#include "utest.h"
#include "utest_arch.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define MACHINE  UT_ELF_MACHINE
#define GLIBC_LD UT_GLIBC_LD
#define MUSL_LD  UT_MUSL_LD

static char dir[256]; /* the dynamic programs: <ut_self's dir>/dyn-progs */

/* Run path with argv and envp in a child, its stdout into out (size
 * bytes, NUL-terminated): its exit status, 200 + a signal, or 100 +
 * execve's errno. */
static int run(const char *path, char *const argv[], char *const envp[],
	       char *out, size_t size)
{
	int fds[2];
	size_t got = 0;
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execve(path, argv, envp);
		_exit(100 + errno);
	}
	close(fds[1]);
	while (got + 1 < size &&
	       (n = read(fds[0], out + got, size - 1 - got)) > 0)
		got += n;
	out[got] = '\0';
	close(fds[0]);
	int status = ut_wait(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static char *const test_envp[] = {"DYN_TEST=42", "X=y", NULL};

/* Run dyn/<name> (through its PT_INTERP, or as an argument of loader)
 * and expect exit status 37 with nothing on stdout. */
static void run_prog(const char *name, const char *loader)
{
	char path[512], lib[512], out[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(lib, sizeof(lib), "%s/libdyn.so", dir);
	char *via[] = {(char *)loader, path,         "direct", "37", lib,
		       "alpha",        "beta gamma", NULL};
	char *argv[] = {path, "interp", "37", lib, "alpha", "beta gamma", NULL};
	int r = loader ? run(loader, via, test_envp, out, sizeof(out))
		       : run(path, argv, test_envp, out, sizeof(out));
	if (r != 37)
		ut_fail("%s: status %d (%s): %s", name, r,
			r > 100 && r < 200 ? ut_errno_name(r - 100) : "-", out);
}

static void musl(void)
{
	run_prog("musl", NULL);
}

static void musl_pie(void)
{
	run_prog("musl-pie", NULL);
}

static void glibc(void)
{
	run_prog("glibc", NULL);
}

static void glibc_pie(void)
{
	run_prog("glibc-pie", NULL);
}

static void musl_loader_direct(void)
{
	run_prog("musl-pie", MUSL_LD);
}

static void glibc_loader_direct(void)
{
	run_prog("glibc", GLIBC_LD);
}

/* Debian's env from coreutils, unchanged: its environment on stdout. */
static void debian_env(void)
{
	char path[512], out[512];

	snprintf(path, sizeof(path), "%s/env", dir);
	char *argv[] = {path, NULL};
	CHECK_EQ(run(path, argv, test_envp, out, sizeof(out)), 0);
	if (strcmp(out, "DYN_TEST=42\nX=y\n"))
		ut_fail("env printed \"%s\"", out);
}

/* Store the n low bytes of v at f + off (little-endian, as the ELF
 * files made here are). */
static void put(unsigned char *f, size_t off, uint64_t v, size_t n)
{
	memcpy(f + off, &v, n);
}

/* Program header i of f: type, flags, the file's [off, off + size) at
 * vaddr. */
static void put_phdr(unsigned char *f, int i, uint32_t type, uint32_t flags,
		     uint64_t off, uint64_t vaddr, uint64_t size)
{
	unsigned char *ph = f + 64 + 56 * i;

	put(ph, 0, type, 4);
	put(ph, 4, flags, 4);
	put(ph, 8, off, 8);
	put(ph, 16, vaddr, 8);
	put(ph, 32, size, 8); /* p_filesz */
	put(ph, 40, size, 8); /* p_memsz */
	put(ph, 48, 4096, 8); /* p_align */
}

/* An ELF64 file at path (mode 0755) of one R+X PT_LOAD holding it all,
 * whose code exits with status code; ET_DYN at 0 or ET_EXEC at
 * 0x400000. interp (len bytes, NUL included or not): its PT_INTERP, if
 * not NULL. 0 or -1. */
static int make_elf(const char *path, int dyn, int code, const char *interp,
		    size_t len)
{
	unsigned char f[512] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
	uint64_t base = dyn ? 0 : 0x400000;
	int phnum = interp ? 2 : 1;
	size_t at = 64 + 56 * phnum;

	put(f, 16, dyn ? 3 : 2, 2); /* e_type */
	put(f, 18, MACHINE, 2);
	put(f, 20, 1, 4);         /* e_version */
	put(f, 24, base + at, 8); /* e_entry: the code */
	put(f, 32, 64, 8);        /* e_phoff */
	put(f, 52, 64, 2);        /* e_ehsize */
	put(f, 54, 56, 2);        /* e_phentsize */
	put(f, 56, phnum, 2);
	at += ut_exit_code(f + at, code);
	if (interp) {
		memcpy(f + at, interp, len);
		put_phdr(f, 1, 3 /* PT_INTERP */, 4, at, base + at, len);
		at += len;
	}
	put_phdr(f, 0, 1 /* PT_LOAD */, 5 /* R+X */, 0, base, at);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0)
		return -1;
	int ok = write(fd, f, at) == (ssize_t)at;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* A file at path of mode mode holding text. */
static int make_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		return -1;
	int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	return close(fd) == 0 && ok ? 0 : -1;
}

/* Make /tmp/dyn-<pid>-prog with PT_INTERP interp (len bytes) and run
 * it: its status, or 100 + execve's errno. */
static int run_with_interp(const char *interp, size_t len)
{
	char path[64], out[64];

	snprintf(path, sizeof(path), "/tmp/dyn-%d-prog", (int)getpid());
	if (make_elf(path, 0, 43, interp, len) < 0)
		return -1;
	char *argv[] = {path, NULL};
	int r = run(path, argv, test_envp, out, sizeof(out));
	unlink(path);
	return r;
}

/* The interpreter runs, not the program (its status 42, the program's
 * 43); the interpreter's own PT_INTERP names nothing and is ignored. */
static void interp_runs(void)
{
	char ld[64];

	snprintf(ld, sizeof(ld), "/tmp/dyn-%d-ld", (int)getpid());
	CHECK_EQ(make_elf(ld, 1, 42, "/no/such/ld", 12), 0);
	CHECK_EQ(run_with_interp(ld, strlen(ld) + 1), 42);
	unlink(ld);
}

static void interp_missing(void)
{
	CHECK_EQ(run_with_interp("/no/such/ld.so", 15), 100 + ENOENT);
}

static void interp_not_executable(void)
{
	char ld[64];

	snprintf(ld, sizeof(ld), "/tmp/dyn-%d-ld", (int)getpid());
	CHECK_EQ(make_elf(ld, 1, 42, NULL, 0), 0);
	CHECK_EQ(chmod(ld, 0644), 0);
	int r = run_with_interp(ld, strlen(ld) + 1);
	unlink(ld);
	CHECK_EQ(r, 100 + EACCES); /* root too: no execute bit at all */
}

static void interp_not_elf(void)
{
	char ld[64];

	snprintf(ld, sizeof(ld), "/tmp/dyn-%d-ld", (int)getpid());
	CHECK_EQ(make_file(ld,
			   "#!/bin/sh\nexit 42\n# a script is no interpreter, "
			   "whatever its length or its first line\n",
			   0755),
		 0);
	int r = run_with_interp(ld, strlen(ld) + 1);
	unlink(ld);
	CHECK_EQ(r, 100 + ELIBBAD);
}

static void interp_short(void)
{
	char ld[64];

	snprintf(ld, sizeof(ld), "/tmp/dyn-%d-ld", (int)getpid());
	CHECK_EQ(make_file(ld, "\177ELF", 0755), 0);
	int r = run_with_interp(ld, strlen(ld) + 1);
	unlink(ld);
	CHECK_EQ(r, 100 + EIO);
}

static void interp_unterminated(void)
{
	CHECK_EQ(run_with_interp("/no/such/ld.so", 14), 100 + ENOEXEC);
}

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* mmap MAP_PRIVATE of a file of the file system (on lux a server's, which
 * the personality maps as a copy): its bytes at the offset, PROT_EXEC
 * allowed, MAP_FIXED over a mapping, stores private; EACCES for a
 * descriptor not open for reading, ENODEV for a directory; on lux, W^X
 * (EACCES) with the mapping it would replace left as it was. */
static void mmap_private_file(void)
{
	char path[64], buf[3 * UT_PAGE + 100];
	int fd;

	snprintf(path, sizeof(path), "/tmp/dyn-%d-map", (int)getpid());
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + i / UT_PAGE);
	CHECK((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) >= 0);
	CHECK_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	char *p = mmap(NULL, 2 * UT_PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE,
		       fd, UT_PAGE);
	CHECK(p != MAP_FAILED);
	CHECK(memcmp(p, buf + UT_PAGE, 2 * UT_PAGE) == 0);
	/* over it, writable: stores stay in the mapping */
	char *q = mmap(p + UT_PAGE, UT_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_FIXED, fd, 0);
	CHECK(q == p + UT_PAGE);
	CHECK(memcmp(q, buf, UT_PAGE) == 0);
	q[0] = (char)(buf[0] + 1);
	char c = 0;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, buf[0]);
	if (on_lux()) { /* W^X refused before the old mapping is touched */
		CHECK_ERR(mmap(p, UT_PAGE, PROT_WRITE | PROT_EXEC,
			       MAP_PRIVATE | MAP_FIXED, fd, 0),
			  EACCES);
		CHECK(memcmp(p, buf + UT_PAGE, UT_PAGE) == 0);
	}
	CHECK_EQ(munmap(p, 2 * UT_PAGE), 0);
	close(fd);
	CHECK((fd = open(path, O_WRONLY)) >= 0);
	CHECK_ERR(mmap(NULL, UT_PAGE, PROT_READ, MAP_PRIVATE, fd, 0), EACCES);
	close(fd);
	unlink(path);
	CHECK((fd = open("/tmp", O_RDONLY | O_DIRECTORY)) >= 0);
	CHECK_ERR(mmap(NULL, UT_PAGE, PROT_READ, MAP_PRIVATE, fd, 0), ENODEV);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(musl),
	    UT_CASE(musl_pie),
	    UT_CASE(glibc),
	    UT_CASE(glibc_pie),
	    UT_CASE(musl_loader_direct),
	    UT_CASE(glibc_loader_direct),
	    UT_CASE(debian_env),
	    UT_CASE(interp_runs),
	    UT_CASE(interp_missing),
	    UT_CASE(interp_not_executable),
	    UT_CASE(interp_not_elf),
	    UT_CASE(interp_short),
	    UT_CASE(interp_unterminated),
	    UT_CASE(mmap_private_file),
	};
	char self[256];

	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(dir, sizeof(dir), "%s/dyn-progs", dirname(self));
	return ut_main(argc, argv, "dyn", cases, UT_COUNT(cases));
}
