/*
 * perm: permission checks against the caller's credentials. Root makes
 * files and directories with chosen modes and owners in a fresh directory
 * under /tmp; a child that dropped to uid and gid 1000 then meets EACCES
 * for reading, writing, executing, searching and creating where the mode
 * bits say so, EPERM for chmod and chown it may not do, the sticky bit,
 * access() and utimensat's rules; and root passes where Linux lets it.
 *
 * Must start as root (as it does on lux); a non-root start fails every
 * case with the reason.
 */
#include "utest.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER  1000
#define GROUP 1000

static char top[64];

/* Create path with mode, owner uid:gid and the text s, as root. */
static int make_file(const char *path, mode_t mode, uid_t uid, gid_t gid,
		     const char *s)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	int ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	if (!ok || chown(path, uid, gid) || chmod(path, mode))
		return -1;
	return 0;
}

static int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (mkdir(path, 0700) && errno != EEXIST)
		return -1;
	return chown(path, uid, gid) || chmod(path, mode) ? -1 : 0;
}

/* In a child: become uid/gid 1000 with no supplementary groups. */
static int drop(void)
{
	/* lux has no supplementary groups: ENOSYS there is fine. */
	if (setgroups(0, NULL) && errno != ENOSYS)
		return EXPECT(0 && "setgroups");
	return EXPECT(setgid(GROUP) == 0) && EXPECT(setuid(USER) == 0) &&
	       EXPECT(getuid() == USER && geteuid() == USER) &&
	       EXPECT(getgid() == GROUP && getegid() == GROUP);
}

static int root(void)
{
	if (geteuid() == 0)
		return 1;
	ut_fail("perm must run as root (euid %d)", (int)geteuid());
	return 0;
}

/* ---- reading and writing files -------------------------------------- */

static void rw_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(open("secret", O_RDONLY), EACCES);
	CHECK_ERR(open("secret", O_WRONLY), EACCES);
	int fd = open("public", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(open("public", O_WRONLY), EACCES);
	CHECK_ERR(open("public", O_RDWR), EACCES);
	CHECK_ERR(open("public", O_WRONLY | O_TRUNC), EACCES);
	CHECK_ERR(truncate("public", 0), EACCES);
	fd = open("group-rw", O_RDWR); /* through the group bits */
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "g", 1), 1);
	close(fd);
	CHECK_ERR(open("group-none", O_RDONLY), EACCES); /* others may */
	fd = open("others-w", O_WRONLY);
	CHECK(fd >= 0);
	close(fd);
	/* The owner's bits count for the owner, even if others have more. */
	CHECK_ERR(open("mine-0066", O_RDONLY), EACCES);
	fd = open("mine-0600", O_RDWR);
	CHECK(fd >= 0);
	close(fd);
}

static void read_write(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("secret", 0600, 0, 0, "s"), 0);
	CHECK_EQ(make_file("public", 0644, 0, 0, "p"), 0);
	CHECK_EQ(make_file("group-rw", 0660, 0, GROUP, "g"), 0);
	CHECK_EQ(make_file("group-none", 0606, 0, GROUP, "n"), 0);
	CHECK_EQ(make_file("others-w", 0602, 0, 0, "w"), 0);
	CHECK_EQ(make_file("mine-0066", 0066, USER, GROUP, "m"), 0);
	CHECK_EQ(make_file("mine-0600", 0600, USER, GROUP, "m"), 0);
	ut_in_child(rw_child);
}

/* ---- executing ------------------------------------------------------ */

static void exec_child(void)
{
	if (!drop())
		return;
	char *argv[] = {"script", NULL}, *envp[] = {NULL};
	CHECK_ERR(execve("noexec.sh", argv, envp), EACCES);
	CHECK_ERR(execve("ownerexec.sh", argv, envp), EACCES);
	CHECK_ERR(access("noexec.sh", X_OK), EACCES);
	CHECK_EQ(access("allexec.sh", X_OK), 0);
	CHECK_ERR(execve("locked-dir/allexec.sh", argv, envp), EACCES);
}

static void execute(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("noexec.sh", 0644, 0, 0, "#!/bin/sh\nexit 7\n"), 0);
	CHECK_EQ(make_file("ownerexec.sh", 0744, 0, 0, "#!/bin/sh\n"), 0);
	CHECK_EQ(make_file("allexec.sh", 0755, 0, 0, "#!/bin/sh\n"), 0);
	CHECK_EQ(make_dir("locked-dir", 0700, 0, 0), 0);
	CHECK_EQ(make_file("locked-dir/allexec.sh", 0755, 0, 0, "#!/bin/sh\n"),
		 0);
	/* Root too needs an execute bit. */
	char *argv[] = {"script", NULL}, *envp[] = {NULL};
	CHECK_ERR(execve("noexec.sh", argv, envp), EACCES);
	ut_in_child(exec_child);
}

/* ---- directories ---------------------------------------------------- */

static void dir_child(void)
{
	if (!drop())
		return;
	struct stat st;
	/* No search (x): nothing inside can be reached. */
	CHECK_ERR(stat("d-0700/f", &st), EACCES);
	CHECK_ERR(open("d-0700/f", O_RDONLY), EACCES);
	CHECK_ERR(chdir("d-0700"), EACCES);
	CHECK_EQ(stat("d-0700", &st), 0); /* the directory itself: yes */
	/* Search but no read: names known work, listing does not. */
	CHECK_EQ(stat("d-0711/f", &st), 0);
	int fd = open("d-0711/f", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(open("d-0711", O_RDONLY | O_DIRECTORY), EACCES);
	CHECK(opendir("d-0711") == NULL && errno == EACCES);
	/* Read but no search: listing works, reaching files does not. */
	DIR *d = opendir("d-0744");
	CHECK(d != NULL);
	closedir(d);
	CHECK_ERR(stat("d-0744/f", &st), EACCES);
	/* No write: no create, unlink, rename, mkdir or link inside. */
	CHECK_ERR(open("d-0755/new", O_WRONLY | O_CREAT, 0644), EACCES);
	CHECK_ERR(unlink("d-0755/f"), EACCES);
	CHECK_ERR(rename("d-0755/f", "d-0755/g"), EACCES);
	CHECK_ERR(mkdir("d-0755/sub", 0755), EACCES);
	CHECK_ERR(symlink("x", "d-0755/lnk"), EACCES);
	CHECK_ERR(rmdir("d-0755/empty"), EACCES);
	CHECK_EQ(stat("d-0755/f", &st), 0);
	/* With write and search: create, and the new file is ours. */
	fd = open("d-0777/mine", O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(stat("d-0777/mine", &st), 0);
	CHECK_EQ(st.st_uid, USER);
	CHECK_EQ(st.st_gid, GROUP);
	CHECK_EQ(mkdir("d-0777/mydir", 0755), 0);
	/* Unlinking another's file in a writable, non-sticky directory is
	 * allowed: the directory's bits decide, not the file's. */
	CHECK_EQ(unlink("d-0777/roots"), 0);
	/* Paths through a directory we cannot search fail with EACCES
	 * before anything else is looked at. */
	CHECK_ERR(open("d-0700/none/none", O_RDONLY), EACCES);
}

static void directories(void)
{
	if (!root())
		return;
	static const mode_t modes[] = {0700, 0711, 0744, 0755, 0777};
	char path[64];
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "d-%04o", modes[i]);
		CHECK_EQ(make_dir(path, 0700, 0, 0), 0);
		snprintf(path, sizeof(path), "d-%04o/f", modes[i]);
		CHECK_EQ(make_file(path, 0644, 0, 0, "f"), 0);
		snprintf(path, sizeof(path), "d-%04o", modes[i]);
		CHECK_EQ(chmod(path, modes[i]), 0);
	}
	CHECK_EQ(make_dir("d-0755/empty", 0755, 0, 0), 0);
	CHECK_EQ(make_file("d-0777/roots", 0600, 0, 0, "r"), 0);
	ut_in_child(dir_child);
	/* Root passes every one of these bits (but execute). */
	struct stat st;
	CHECK_EQ(make_dir("d-0000", 0000, USER, GROUP), 0);
	CHECK_EQ(make_file("d-0000/f", 0000, USER, GROUP, "r"), 0);
	CHECK_EQ(stat("d-0000/f", &st), 0);
	int fd = open("d-0000/f", O_RDWR);
	CHECK(fd >= 0);
	close(fd);
}

/* ---- changing modes and owners -------------------------------------- */

static void chmod_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(chmod("roots-file", 0777), EPERM);
	CHECK_ERR(chown("roots-file", USER, GROUP), EPERM);
	CHECK_ERR(chown("my-file", 0, -1), EPERM);  /* give away */
	CHECK_ERR(chown("my-file", -1, 0), EPERM);  /* not a member */
	CHECK_EQ(chown("my-file", USER, GROUP), 0); /* no change */
	CHECK_EQ(chown("my-file", -1, -1), 0);      /* no change */
	CHECK_EQ(chmod("my-file", 0604), 0);
	struct stat st;
	CHECK_EQ(stat("my-file", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0604);
	int fd = open("my-file", O_RDONLY);
	CHECK_EQ(fchmod(fd, 0600), 0);
	close(fd);
	CHECK_EQ(stat("my-file", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);
	fd = open("roots-file", O_RDONLY);
	CHECK_ERR(fchmod(fd, 0600), EPERM);
	CHECK_ERR(fchown(fd, USER, -1), EPERM);
	close(fd);
	/* Timestamps: "now" needs write permission, explicit times need
	 * ownership. */
	struct timespec t[2] = {{5, 0}, {6, 0}};
	CHECK_EQ(utimensat(AT_FDCWD, "roots-writable", NULL, 0), 0);
	CHECK_ERR(utimensat(AT_FDCWD, "roots-writable", t, 0), EPERM);
	CHECK_ERR(utimensat(AT_FDCWD, "roots-file", NULL, 0), EACCES);
	CHECK_EQ(utimensat(AT_FDCWD, "my-file", t, 0), 0);
	CHECK_EQ(stat("my-file", &st), 0);
	CHECK_EQ(st.st_mtim.tv_sec, 6);
}

static void chmod_chown(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("roots-file", 0644, 0, 0, "r"), 0);
	CHECK_EQ(make_file("roots-writable", 0666, 0, 0, "r"), 0);
	CHECK_EQ(make_file("my-file", 0644, USER, GROUP, "m"), 0);
	ut_in_child(chmod_child);
	/* Root may give files to anyone. */
	CHECK_EQ(chown("my-file", 4321, 8765), 0);
	struct stat st;
	CHECK_EQ(stat("my-file", &st), 0);
	CHECK_EQ(st.st_uid, 4321);
	CHECK_EQ(st.st_gid, 8765);
}

/* ---- the sticky bit ------------------------------------------------- */

static void sticky_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(unlink("sticky/roots"), EPERM);
	CHECK_ERR(rename("sticky/roots", "sticky/moved"), EPERM);
	int fd = open("sticky/mine", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(rename("sticky/mine", "sticky/mine2"), 0);
	CHECK_EQ(unlink("sticky/mine2"), 0);
	struct stat st;
	CHECK_EQ(stat("sticky/roots", &st), 0);
}

static void sticky(void)
{
	if (!root())
		return;
	CHECK_EQ(make_dir("sticky", 01777, 0, 0), 0);
	CHECK_EQ(make_file("sticky/roots", 0666, 0, 0, "r"), 0);
	ut_in_child(sticky_child);
	CHECK_EQ(unlink("sticky/roots"), 0); /* root may */
}

/* ---- access() ------------------------------------------------------- */

static void access_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(access("acc-0600", R_OK), EACCES);
	CHECK_EQ(access("acc-0600", F_OK), 0);
	CHECK_EQ(access("acc-0644", R_OK), 0);
	CHECK_ERR(access("acc-0644", W_OK), EACCES);
	CHECK_ERR(access("acc-0644", R_OK | W_OK), EACCES);
	CHECK_EQ(access("acc-0666", R_OK | W_OK), 0);
	CHECK_ERR(faccessat(AT_FDCWD, "acc-0600", R_OK, AT_EACCESS), EACCES);
	CHECK_ERR(access("d-0700/f", F_OK), EACCES);
}

static void access_calls(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("acc-0600", 0600, 0, 0, "a"), 0);
	CHECK_EQ(make_file("acc-0644", 0644, 0, 0, "a"), 0);
	CHECK_EQ(make_file("acc-0666", 0666, 0, 0, "a"), 0);
	CHECK_EQ(make_dir("d-0700", 0700, 0, 0), 0);
	CHECK_EQ(make_file("d-0700/f", 0644, 0, 0, "f"), 0);
	CHECK_EQ(access("acc-0600", R_OK | W_OK), 0);
	ut_in_child(access_child);
}

static const struct ut_case cases[] = {
    UT_CASE(read_write),  UT_CASE(execute), UT_CASE(directories),
    UT_CASE(chmod_chown), UT_CASE(sticky),  UT_CASE(access_calls),
};

static void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *d = opendir(path);
		char sub[PATH_MAX];
		for (struct dirent *e; d && (e = readdir(d));) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				snprintf(sub, sizeof(sub), "%s/%s", path,
					 e->d_name);
				remove_tree(sub);
			}
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

int main(int argc, char **argv)
{
	mkdir("/tmp", 01777);
	snprintf(top, sizeof(top), "/tmp/utest-perm.%d", (int)getpid());
	remove_tree(top);
	/* Others must be able to search the top directory. */
	if (mkdir(top, 0755) < 0 || chmod(top, 0777) < 0 || chdir(top) < 0) {
		ut_print("utest: perm/setup: FAIL cannot make %s: %s\n", top,
			 ut_errno_name(errno));
		return 1;
	}
	umask(022);
	int status = ut_main(argc, argv, "perm", cases, UT_COUNT(cases));
	if (chdir("/") == 0)
		remove_tree(top);
	return status;
}
