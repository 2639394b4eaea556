/*
 * chroot: the process's root (user/persona/root.c, LUX_NR_ROOT). Root
 * makes a small tree under /tmp (a "jail" with its own /etc/passwd, a
 * subdirectory, symbolic links with absolute and relative targets that
 * climb, and a copy of this program), then children chroot into it and
 * check what Linux does: only root may chroot (EPERM, after the path's
 * own errors); absolute names, "..", and links' targets stay inside;
 * the current directory is left where it was (getcwd says
 * "(unreachable)", relative names still work from there), and so is a
 * descriptor opened before; sockets and SysV IPC work inside; fork and
 * exec keep the root; a chroot inside the root nests.
 *
 * Must start as root (as it does on lux, and `make utest-host` as root).
 */
#include "utest.h"

#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define JAIL_TEXT "jail\n"
#define SUB_TEXT  "sub\n"

static char top[64], jail[96], self[256];

/* Write the text s to path (mode 0755 when exec, else 0644). */
static int put(const char *path, const void *s, size_t n, int exec)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, exec ? 0755 : 0644);
	int ok = fd >= 0 && write(fd, s, n) == (ssize_t)n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The first bytes of path (NUL-terminated in buf), or "" when it cannot
 * be read. */
static const char *head(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

/* Copy this program to path. */
static int copy_self(const char *path)
{
	static char buf[1 << 16];
	int in = open(self, O_RDONLY), out, ok = 1;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	while (out >= 0 && ok && (n = read(in, buf, sizeof(buf))) > 0)
		ok = write(out, buf, n) == n;
	close(in);
	if (out >= 0)
		close(out);
	return out >= 0 && ok ? 0 : -1;
}

/* The tree: top/outside, top/jail/{etc/passwd, sub/{file, rel, abs},
 * up, bin/chroot}. */
static int make_tree(void)
{
	char p[192];

	snprintf(top, sizeof(top), "/tmp/chroot-%d", (int)getpid());
	snprintf(jail, sizeof(jail), "%s/jail", top);
#define AT(s) (snprintf(p, sizeof(p), "%s/%s", jail, s), p)
	if (mkdir(top, 0755) || mkdir(jail, 0755) || mkdir(AT("etc"), 0755) ||
	    mkdir(AT("sub"), 0755) || mkdir(AT("bin"), 0755) ||
	    put(AT("etc/passwd"), JAIL_TEXT, 5, 0) ||
	    put(AT("sub/file"), SUB_TEXT, 4, 0) ||
	    symlink("../../../../../../etc/passwd", AT("sub/rel")) ||
	    symlink("/etc/passwd", AT("sub/abs")) ||
	    symlink("/../../../../sub", AT("up")) ||
	    copy_self(AT("bin/chroot")))
		return -1;
	snprintf(p, sizeof(p), "%s/outside", top);
	return put(p, "outside\n", 8, 0);
#undef AT
}

/* In a child: chroot into the jail and go to its "/". */
static int enter(void)
{
	return EXPECT_EQ(chroot(jail), 0) && EXPECT_EQ(chdir("/"), 0);
}

static void nonroot_child(void)
{
	if (!EXPECT(setgroups(0, NULL) == 0) || !EXPECT(setgid(1000) == 0) ||
	    !EXPECT(setuid(1000) == 0))
		return;
	EXPECT_ERR(chroot(jail), EPERM);
	EXPECT_ERR(chroot("/"), EPERM);
	EXPECT_ERR(chroot("/no/such/dir"), ENOENT); /* the path first */
	char buf[16];
	EXPECT(strcmp(head("/etc/passwd", buf, sizeof(buf)), JAIL_TEXT) != 0);
}

/* A user without privilege cannot chroot (Linux: CAP_SYS_CHROOT). */
static void nonroot(void)
{
	ut_in_child(nonroot_child);
}

static void errors_child(void)
{
	char p[192];

	snprintf(p, sizeof(p), "%s/etc/passwd", jail);
	EXPECT_ERR(chroot(p), ENOTDIR);
	EXPECT_ERR(chroot(""), ENOENT);
	EXPECT_ERR(chroot((const char *)8), EFAULT);
}

/* The path's errors, as root. */
static void errors(void)
{
	ut_in_child(errors_child);
}

static void absolute_child(void)
{
	char buf[64];
	struct stat a, b;

	if (!enter())
		return;
	EXPECT_EQ(strcmp(head("/etc/passwd", buf, sizeof(buf)), JAIL_TEXT), 0);
	EXPECT_EQ(
	    strcmp(head("/../../etc/passwd", buf, sizeof(buf)), JAIL_TEXT), 0);
	EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/"), 0);
	EXPECT(stat("/", &a) == 0 && stat("/..", &b) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	EXPECT_ERR(open("/outside", O_RDONLY), ENOENT);
	EXPECT_EQ(access("/bin/chroot", X_OK), 0);
}

/* Absolute names start at the new root; "/.." is the root. */
static void absolute(void)
{
	ut_in_child(absolute_child);
}

static void dotdot_child(void)
{
	char buf[64];

	if (!enter() || !EXPECT_EQ(chdir("/sub"), 0))
		return;
	EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/sub"), 0);
	EXPECT_EQ(
	    strcmp(head("../../../../etc/passwd", buf, sizeof(buf)), JAIL_TEXT),
	    0);
	EXPECT_EQ(chdir("../../.."), 0);
	EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/"), 0);
	EXPECT_EQ(strcmp(head("etc/passwd", buf, sizeof(buf)), JAIL_TEXT), 0);
	int fd = open("/sub", O_RDONLY | O_DIRECTORY);
	EXPECT(fd >= 0);
	EXPECT_EQ(
	    strcmp(head("/sub/../../etc/passwd", buf, sizeof(buf)), JAIL_TEXT),
	    0);
	if (fd >= 0) { /* *at calls from a descriptor inside */
		int f = openat(fd, "../../../etc/passwd", O_RDONLY);
		EXPECT(f >= 0);
		ssize_t n = f >= 0 ? read(f, buf, sizeof(buf) - 1) : 0;
		buf[n > 0 ? n : 0] = '\0';
		EXPECT_EQ(strcmp(buf, JAIL_TEXT), 0);
		close(f);
		EXPECT_EQ(fchdir(fd), 0);
		EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/sub"), 0);
		close(fd);
	}
}

/* ".." stops at the root, from the current directory and descriptors. */
static void dotdot(void)
{
	ut_in_child(dotdot_child);
}

static void links_child(void)
{
	char buf[64];

	if (!enter())
		return;
	EXPECT_EQ(strcmp(head("/sub/abs", buf, sizeof(buf)), JAIL_TEXT), 0);
	EXPECT_EQ(strcmp(head("/sub/rel", buf, sizeof(buf)), JAIL_TEXT), 0);
	EXPECT_EQ(strcmp(head("/up/file", buf, sizeof(buf)), SUB_TEXT), 0);
	EXPECT_EQ(chdir("/up"), 0);
	EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/sub"), 0);
	ssize_t n = readlink("/sub/abs", buf, sizeof(buf) - 1);
	EXPECT_EQ(n, 11); /* the link as written */
}

/* Symbolic links: absolute targets start at the root, relative ones
 * cannot climb above it. */
static void links(void)
{
	ut_in_child(links_child);
}

static void cwd_outside_child(void)
{
	char buf[256];
	long n;

	if (!EXPECT_EQ(chdir(top), 0) || !EXPECT_EQ(chroot(jail), 0))
		return;
	/* The directory stays where it was, outside: Linux's getcwd call
	 * marks it, and relative names still start there. */
	n = syscall(SYS_getcwd, buf, sizeof(buf));
	EXPECT(n > 0 && !strncmp(buf, "(unreachable)", 13));
	EXPECT(n > 0 && strstr(buf, top) != NULL);
	EXPECT_EQ(strcmp(head("outside", buf, sizeof(buf)), "outside\n"), 0);
	EXPECT_EQ(strcmp(head("jail/etc/passwd", buf, sizeof(buf)), JAIL_TEXT),
		  0);
	EXPECT_EQ(strcmp(head("/etc/passwd", buf, sizeof(buf)), JAIL_TEXT), 0);
	EXPECT_ERR(open("/outside", O_RDONLY), ENOENT);
}

/* chroot leaves the current directory alone. */
static void cwd_outside(void)
{
	ut_in_child(cwd_outside_child);
}

static void fd_outside_child(void)
{
	char buf[256];
	int fd = open(top, O_RDONLY | O_DIRECTORY);

	if (!EXPECT(fd >= 0) || !enter())
		return;
	int f = openat(fd, "outside", O_RDONLY);
	ssize_t n = f >= 0 ? read(f, buf, sizeof(buf) - 1) : 0;
	buf[n > 0 ? n : 0] = '\0';
	EXPECT_EQ(strcmp(buf, "outside\n"), 0);
	close(f);
	EXPECT_ERR(open("/outside", O_RDONLY), ENOENT);
	EXPECT_EQ(fchdir(fd), 0);
	EXPECT_EQ(strcmp(head("outside", buf, sizeof(buf)), "outside\n"), 0);
	EXPECT_EQ(strcmp(head("jail/etc/passwd", buf, sizeof(buf)), JAIL_TEXT),
		  0);
	close(fd);
}

/* A descriptor opened before chroot still names what lies outside, as
 * on Linux: openat from it, fchdir to it. */
static void fd_outside(void)
{
	ut_in_child(fd_outside_child);
}

static void services_child(void)
{
	int s, id;

	if (!enter())
		return;
	s = socket(AF_INET, SOCK_STREAM, 0);
	EXPECT(s >= 0);
	close(s);
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	EXPECT(id >= 0);
	EXPECT_EQ(shmctl(id, IPC_RMID, NULL), 0);
}

/* Sockets and SysV IPC are no files: a root confines neither. */
static void services(void)
{
	ut_in_child(services_child);
}

static void inherit_child(void)
{
	char buf[64];
	int fds[2];

	if (!enter() || !EXPECT_EQ(chdir("/sub"), 0) ||
	    !EXPECT_EQ(pipe(fds), 0))
		return;
	pid_t pid = fork();
	if (pid == 0) { /* fork keeps it; so does exec */
		dup2(fds[1], 1);
		if (strcmp(head("/etc/passwd", buf, sizeof(buf)), JAIL_TEXT))
			_exit(3);
		execl("/bin/chroot", "chroot", "--probe", (char *)NULL);
		_exit(4);
	}
	close(fds[1]);
	size_t got = 0; /* the probe may write in pieces: read to EOF */
	for (ssize_t n;
	     got < sizeof(buf) - 1 &&
	     (n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0;)
		got += (size_t)n;
	buf[got] = '\0';
	close(fds[0]);
	EXPECT_EQ(ut_wait(pid), 0);
	EXPECT_EQ(strcmp(buf, "/sub " JAIL_TEXT), 0);
}

/* fork and exec keep the root (and the directory). */
static void inherit(void)
{
	ut_in_child(inherit_child);
}

static void nested_child(void)
{
	char buf[64];

	if (!enter() || !EXPECT_EQ(chroot("/sub"), 0) ||
	    !EXPECT_EQ(chdir("/"), 0))
		return;
	EXPECT_EQ(strcmp(head("/file", buf, sizeof(buf)), SUB_TEXT), 0);
	EXPECT_EQ(strcmp(head("/../file", buf, sizeof(buf)), SUB_TEXT), 0);
	EXPECT_ERR(open("/etc/passwd", O_RDONLY), ENOENT);
	EXPECT_EQ(strcmp(getcwd(buf, sizeof(buf)), "/"), 0);
	EXPECT_EQ(chroot("/"), 0); /* the same root again */
	EXPECT_EQ(strcmp(head("/file", buf, sizeof(buf)), SUB_TEXT), 0);
}

/* A chroot inside the root is relative to it, and nests. */
static void nested(void)
{
	ut_in_child(nested_child);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		ut_print("utest: chroot: could not remove %s\n", top);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(nonroot),    UT_CASE(errors),   UT_CASE(absolute),
	    UT_CASE(dotdot),     UT_CASE(links),    UT_CASE(cwd_outside),
	    UT_CASE(fd_outside), UT_CASE(services), UT_CASE(inherit),
	    UT_CASE(nested),
	};
	char buf[64], cwd[64];

	if (argc > 1 && !strcmp(argv[1], "--probe")) { /* inherit's exec */
		printf("%s %s", getcwd(cwd, sizeof(cwd)) ? cwd : "?",
		       head("/etc/passwd", buf, sizeof(buf)));
		return 0;
	}
	snprintf(self, sizeof(self), "%s", argv[0]);
	if (getuid() != 0 || make_tree()) {
		ut_print("utest: chroot: needs root and /tmp (%s)\n",
			 strerror(errno));
		return 1;
	}
	int r = ut_main(argc, argv, "chroot", cases, UT_COUNT(cases));
	cleanup();
	return r;
}
