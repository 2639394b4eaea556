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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <lux/proto.h>

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
	return EXPECT(setgroups(0, NULL) == 0) && EXPECT(setgid(GROUP) == 0) &&
	       EXPECT(setuid(USER) == 0) &&
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

/* ---- credentials: real, effective and saved ids ---------------------- */

static int ids_are(int which_uid, uid_t r, uid_t e, uid_t s)
{
	uid_t got[3];
	int err = which_uid ? getresuid(&got[0], &got[1], &got[2])
			    : getresgid(&got[0], &got[1], &got[2]);
	return EXPECT_EQ(err, 0) && EXPECT_EQ(got[0], r) &&
	       EXPECT_EQ(got[1], e) && EXPECT_EQ(got[2], s);
}

/* A grandchild: fork copies the credentials. */
static void creds_inherited(void)
{
	EXPECT(ids_are(1, USER, 0, 0) && ids_are(0, GROUP, GROUP, 0));
}

static void resuid_child(void)
{
	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setresgid(GROUP, GROUP, 0), 0);
	CHECK_EQ(setresuid(USER, USER, 0), 0);
	CHECK(ids_are(1, USER, USER, 0) && ids_are(0, GROUP, GROUP, 0));
	CHECK_EQ(getuid(), USER);
	CHECK_EQ(geteuid(), USER);
	CHECK_EQ(getegid(), GROUP);
	/* Unprivileged: only ids among the three. */
	CHECK_ERR(setuid(2000), EPERM);
	CHECK_ERR(setresuid(2000, -1, -1), EPERM);
	CHECK_ERR(setresuid(-1, -1, 2000), EPERM);
	CHECK_ERR(setreuid(2000, -1), EPERM);
	CHECK_ERR(setgid(2000), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
	CHECK_ERR(setuid(-1), EINVAL);
	/* Files see the effective ids. */
	CHECK_ERR(open("secret-ids", O_RDONLY), EACCES);
	/* Regain root through the saved uid (musl's seteuid is
	 * setresuid(-1, 0, -1)). */
	CHECK_EQ(seteuid(0), 0);
	CHECK(ids_are(1, USER, 0, 0));
	int fd = open("secret-ids", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	/* access() asks for the real ids, AT_EACCESS for the effective. */
	CHECK_ERR(access("secret-ids", R_OK), EACCES);
	CHECK_EQ(faccessat(AT_FDCWD, "secret-ids", R_OK, AT_EACCESS), 0);
	ut_in_child(creds_inherited);
	/* As root again, setuid sets all three: no way back. */
	CHECK_EQ(setuid(USER), 0);
	CHECK(ids_are(1, USER, USER, USER));
	CHECK_ERR(seteuid(0), EPERM);
	CHECK_ERR(setuid(0), EPERM);
	CHECK_EQ(setuid(USER), 0); /* anyone may be who they are */
	/* The saved gid 0 still lets the effective gid go back to 0. */
	CHECK_EQ(setgid(0), 0);
	CHECK(ids_are(0, GROUP, 0, 0));
}

static void reuid_child(void)
{
	CHECK_EQ(setregid(GROUP, 3000), 0); /* as root: saved follows */
	CHECK(ids_are(0, GROUP, 3000, 3000));
	CHECK_EQ(setreuid(USER, 2000), 0); /* saved follows: 2000 */
	CHECK(ids_are(1, USER, 2000, 2000));
	CHECK_EQ(setreuid(-1, USER), 0); /* back to the real: saved stays */
	CHECK(ids_are(1, USER, USER, 2000));
	CHECK_ERR(setreuid(3000, -1), EPERM);
	CHECK_ERR(setreuid(2000, -1), EPERM); /* real: real or effective */
	CHECK_EQ(setreuid(-1, 2000), 0);      /* effective: any of three */
	CHECK(ids_are(1, USER, 2000, 2000));
	CHECK_EQ(setreuid(2000, -1), 0); /* now the effective one */
	CHECK(ids_are(1, 2000, 2000, 2000));
	CHECK_ERR(setregid(-1, 0), EPERM); /* euid 2000: no privilege */
	CHECK_EQ(setregid(-1, GROUP), 0);  /* the real gid: yes */
	CHECK(ids_are(0, GROUP, GROUP, 3000));
}

static void id_calls(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("secret-ids", 0600, 0, 0, "s"), 0);
	ut_in_child(resuid_child);
	ut_in_child(reuid_child);
}

/* ---- supplementary groups -------------------------------------------- */

#define SUPP 2222

static void groups_child(void)
{
	gid_t in[3] = {SUPP + 2, SUPP, SUPP + 1}, out[4] = {0};
	CHECK_ERR(setgroups(65537, in), EINVAL); /* past NGROUPS_MAX */
	CHECK_EQ(setgroups(3, in), 0);
	CHECK_EQ(getgroups(0, NULL), 3);
	CHECK_ERR(getgroups(2, out), EINVAL);
	CHECK_EQ(getgroups(4, out), 3);
	CHECK(out[0] == SUPP && out[1] == SUPP + 1 && out[2] == SUPP + 2);
	CHECK_EQ(setgid(GROUP), 0);
	CHECK_EQ(setuid(USER), 0);
	CHECK_EQ(getgroups(4, out), 3); /* kept by setuid */
	CHECK_ERR(setgroups(0, NULL), EPERM);
	/* The group bits count for a supplementary group. */
	int fd = open("supp-0640", O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(open("supp-0640", O_RDWR), EACCES);
	CHECK_EQ(access("supp-dir-0070/f", R_OK), 0);
	CHECK_ERR(open("other-0640", O_RDONLY), EACCES);
	/* The owner may give a file to a group it is in, and no other. */
	CHECK_EQ(chown("mine-grp", -1, SUPP + 1), 0);
	CHECK_ERR(chown("mine-grp", -1, SUPP + 7), EPERM);
	/* chmod keeps setgid only for a member of the file's group. */
	CHECK_EQ(chmod("mine-grp", 02755), 0);
	struct stat st;
	CHECK_EQ(stat("mine-grp", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 02755);
}

static void groups_none_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(open("supp-0640", O_RDONLY), EACCES);
	CHECK_ERR(access("supp-dir-0070/f", R_OK), EACCES);
}

static void groups(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("supp-0640", 0640, 0, SUPP, "g"), 0);
	CHECK_EQ(make_file("other-0640", 0640, 0, SUPP + 9, "g"), 0);
	CHECK_EQ(make_dir("supp-dir-0070", 0070, 0, SUPP), 0);
	CHECK_EQ(make_file("supp-dir-0070/f", 0044, 0, 0, "f"), 0);
	CHECK_EQ(make_file("mine-grp", 0755, USER, GROUP, "m"), 0);
	ut_in_child(groups_child);
	ut_in_child(groups_none_child);
}

/* ---- capabilities ---------------------------------------------------- */

#define CAP_V3     0x20080522
#define CAP_KILL   5
#define CAP_SETUID 7

struct cap_hdr {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static void caps_child(void)
{
	struct cap_hdr h = {CAP_V3, 0};
	struct cap_data d[2];
	CHECK_EQ(setuid(USER), 0);
	CHECK_EQ(syscall(SYS_capget, &h, d), 0);
	CHECK(!d[0].effective && !d[0].permitted && !d[1].effective);
}

static void caps(void)
{
	if (!root())
		return;
	struct cap_hdr h = {0, 0};
	struct cap_data d[2];
	/* An unknown version: the kernel names its own (with no data,
	 * success; with data, EINVAL). */
	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0);
	CHECK_EQ(h.version, CAP_V3);
	h.version = 1;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	h.version = CAP_V3;
	CHECK_EQ(syscall(SYS_capget, &h, d), 0);
	CHECK(d[0].effective & (1u << CAP_KILL));
	CHECK(d[0].effective & (1u << CAP_SETUID));
	ut_in_child(caps_child);
}

/* capget of another process: its sets (pid 1 is root), ESRCH for none. */
static void caps_other_child(void)
{
	struct cap_hdr h = {CAP_V3, 1};
	struct cap_data d[2];
	CHECK_EQ(setuid(USER), 0);
	CHECK_EQ(syscall(SYS_capget, &h, d), 0);
	CHECK(d[0].effective & (1u << CAP_KILL));
	h.pid = 0x3fffffff;
	CHECK_ERR(syscall(SYS_capget, &h, d), ESRCH);
	h.pid = -1;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	/* capset: only the sets it has, only itself */
	h = (struct cap_hdr){CAP_V3, 0};
	memset(d, 0, sizeof(d));
	CHECK_EQ(syscall(SYS_capset, &h, d), 0);
	d[0].effective = 1u << CAP_KILL;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM);
	h.pid = 1;
	CHECK_ERR(syscall(SYS_capset, &h, d), EPERM);
}

static void caps_other(void)
{
	if (root())
		ut_in_child(caps_other_child);
}

/* lux's native credential calls, made directly by a program that skips
 * the personality: an ordinary user cannot raise an id, set groups or
 * change anything it could not with setresuid. Lux-specific. */
static void cred_bypass_child(void)
{
	struct lux_cred c, init;
	uint32_t g[1] = {0};

	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setresgid(GROUP, GROUP, GROUP), 0);
	CHECK_EQ(setresuid(USER, USER, 2000), 0);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_UID, 0, -1, -1), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_UID, -1, 0, -1), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_UID, -1, -1, 0), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_GID, 0, 0, 0), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_GROUPS, 1, g), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_GROUPS, 0, NULL), EPERM);
	CHECK_ERR(syscall(LUX_NR_SETCRED, 7, 0, 0, 0), EINVAL);
	CHECK_EQ(syscall(LUX_NR_CRED, 0, &c), 0);
	CHECK(c.uid[0] == USER && c.uid[1] == USER && c.uid[2] == 2000);
	CHECK(c.gid[0] == GROUP && c.gid[1] == GROUP && c.gid[2] == GROUP);
	CHECK_EQ(c.ngroups, 0);
	/* what setresuid allows, the native call allows: nothing more */
	CHECK_EQ(syscall(LUX_NR_SETCRED, LUX_CRED_UID, 2000, -1, USER), 0);
	CHECK_EQ(getuid(), 2000);
	CHECK_EQ(syscall(LUX_NR_CRED, 1, &init), 0); /* anyone may read */
	CHECK_EQ(init.uid[1], 0);
	CHECK_ERR(syscall(LUX_NR_CRED, 0x3fffffff, &c), ESRCH);
	CHECK_ERR(syscall(LUX_NR_CRED, 0, (void *)8), EFAULT);
}

static void cred_bypass(void)
{
	struct utsname u;
	uint32_t g[LUX_NGROUPS + 1] = {0};

	if (uname(&u) || strcmp(u.sysname, "lux")) {
		ut_fail("lux-specific: fails on Linux by design");
		return;
	}
	if (!root())
		return;
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_GROUPS, LUX_NGROUPS + 1, g),
		  EINVAL);
	CHECK_ERR(syscall(LUX_NR_SETCRED, LUX_CRED_GROUPS, 1, (void *)8),
		  EFAULT);
	ut_in_child(cred_bypass_child);
}

/* ---- acting on other processes --------------------------------------- */

static pid_t target;

/* A root child that waits, in a group of its own, until killed. */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}

/* Kill pid and reap it: whether it was still alive for the SIGKILL. */
static int finish(pid_t pid)
{
	int status;
	if (pid <= 0 || kill(pid, SIGKILL) < 0 ||
	    waitpid(pid, &status, 0) != pid)
		return 0;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static void kill_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(kill(target, 0), EPERM);
	CHECK_ERR(kill(target, SIGTERM), EPERM);
	CHECK_ERR(kill(target, SIGKILL), EPERM);
	CHECK_ERR(kill(target, SIGSTOP), EPERM);
	CHECK_ERR(kill(-target, SIGTERM), EPERM); /* its group */
	CHECK_ERR(syscall(SYS_tkill, target, SIGTERM), EPERM);
	CHECK_ERR(syscall(SYS_tgkill, target, target, SIGTERM), EPERM);
	/* SIGCONT is allowed within the session. */
	CHECK_EQ(kill(target, SIGCONT), 0);
	/* Our own processes: yes. */
	pid_t mine = sleeper();
	CHECK(mine > 0);
	CHECK_EQ(kill(mine, 0), 0);
	CHECK(finish(mine));
	/* A pid nobody has: ESRCH, not EPERM. */
	CHECK_ERR(kill(mine, 0), ESRCH);
}

/* kill(-1) signals what it may and skips the rest without failing. */
static void kill_all_child(void)
{
	/* A uid nobody else on the machine has, to signal only ours. */
	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setuid(54321), 0);
	pid_t mine = sleeper();
	CHECK(mine > 0);
	signal(SIGTERM, SIG_IGN);
	CHECK_EQ(kill(-1, SIGTERM), 0);
	int status;
	CHECK_EQ(waitpid(mine, &status, 0), mine);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
}

static void kill_rules(void)
{
	if (!root())
		return;
	target = sleeper();
	CHECK(target > 0);
	int ok = ut_in_child(kill_child) && ut_in_child(kill_all_child);
	CHECK(ok);
	CHECK_EQ(kill(target, 0), 0); /* alive after all that */
	CHECK(finish(target));        /* and root may kill it */
}

/* Every root process, PID 1 and (on lux) the servers among them, is out
 * of an ordinary user's reach; PID 1 cannot even be stopped. */
static void init_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(kill(1, SIGKILL), EPERM);
	CHECK_ERR(kill(1, SIGSTOP), EPERM);
	CHECK_ERR(kill(1, SIGTERM), EPERM);
	DIR *d = opendir("/proc");
	CHECK(d != NULL);
	int roots = 0;
	for (struct dirent *e; (e = readdir(d));) {
		int pid = atoi(e->d_name);
		char path[64], line[256];
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		FILE *f = pid > 0 ? fopen(path, "r") : NULL;
		unsigned uid = ~0u;
		while (f && fgets(line, sizeof(line), f))
			sscanf(line, "Uid: %u", &uid);
		if (f)
			fclose(f);
		if (uid != 0)
			continue;
		roots++;
		/* It may have ended since: then its /proc entry went too. */
		if (kill(pid, 0) < 0 && errno == ESRCH && access(path, F_OK))
			continue;
		if (!EXPECT_ERR(kill(pid, 0), EPERM))
			break;
	}
	closedir(d);
	CHECK(roots >= 5); /* on lux: lumen, the four servers, us */
}

static void init_and_servers(void)
{
	if (root())
		ut_in_child(init_child);
}

static void sched_child(void)
{
	if (!drop())
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	struct rlimit lim;
	CHECK_ERR(setpriority(PRIO_PROCESS, target, 5), EPERM);
	CHECK_ERR(sched_setaffinity(target, sizeof(set), &set), EPERM);
	CHECK_ERR(prlimit(target, RLIMIT_NOFILE, NULL, &lim), EPERM);
	/* Ours: a higher nice value yes, a lower one (more priority) not. */
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 5), 0);
	CHECK_ERR(setpriority(PRIO_PROCESS, 0, 4), EACCES);
	CHECK_EQ(setpriority(PRIO_PROCESS, 0, 6), 0);
	/* A process with the same ids: its limits are ours to change. */
	pid_t mine = sleeper();
	CHECK(mine > 0);
	CHECK_EQ(prlimit(mine, RLIMIT_NOFILE, NULL, &lim), 0);
	lim.rlim_cur = lim.rlim_cur > 64 ? 64 : lim.rlim_cur;
	CHECK_EQ(prlimit(mine, RLIMIT_NOFILE, &lim, NULL), 0);
	CHECK_EQ(setpriority(PRIO_PROCESS, mine, 10), 0);
	CHECK(finish(mine));
}

static void sched_rules(void)
{
	if (!root())
		return;
	struct rlimit none = {0, 0};
	CHECK_EQ(setrlimit(RLIMIT_NICE, &none), 0);
	target = sleeper();
	CHECK(target > 0);
	ut_in_child(sched_child);
	CHECK_EQ(setpriority(PRIO_PROCESS, target, -5), 0); /* root may */
	CHECK(finish(target));
}

/* ---- socket credentials ---------------------------------------------- */

static void peercred_child(void)
{
	CHECK_EQ(setresgid(0, GROUP, 0), 0);
	CHECK_EQ(setresuid(0, USER, 0), 0);
	int sv[2];
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct ucred uc;
	socklen_t len = sizeof(uc);
	CHECK_EQ(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len), 0);
	CHECK_EQ(uc.uid, USER); /* the effective ids, as Linux gives */
	CHECK_EQ(uc.gid, GROUP);
}

static void peercred(void)
{
	if (root())
		ut_in_child(peercred_child);
}

/* ---- protected hard links and /root ---------------------------------- */

static void link_child(void)
{
	if (!drop())
		return;
	CHECK_ERR(link("link-0600", "stolen"), EPERM);
	CHECK_ERR(link("link-0644", "stolen"), EPERM); /* read-only to us */
	CHECK_ERR(link("link-suid", "stolen"), EPERM);
	CHECK_ERR(link("link-sgid-x", "stolen"), EPERM);
	CHECK_EQ(link("link-0666", "shared"), 0); /* read-write to us */
	CHECK_EQ(link("link-mine", "mine-too"), 0);
	CHECK_EQ(unlink("shared"), 0);
	CHECK_EQ(unlink("mine-too"), 0);
}

static void hard_links(void)
{
	if (!root())
		return;
	CHECK_EQ(make_file("link-0600", 0600, 0, 0, "s"), 0);
	CHECK_EQ(make_file("link-0644", 0644, 0, 0, "s"), 0);
	CHECK_EQ(make_file("link-0666", 0666, 0, 0, "s"), 0);
	CHECK_EQ(make_file("link-suid", 04766, 0, 0, "s"), 0);
	CHECK_EQ(make_file("link-sgid-x", 02676, 0, 0, "s"), 0);
	CHECK_EQ(make_file("link-mine", 0600, USER, GROUP, "m"), 0);
	ut_in_child(link_child);
	CHECK_EQ(link("link-0600", "roots-link"), 0); /* root may */
}

static void root_home(void)
{
	struct stat st;
	CHECK_EQ(stat("/root", &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0700);
}

static const struct ut_case cases[] = {
    UT_CASE(read_write),       UT_CASE(execute),     UT_CASE(directories),
    UT_CASE(chmod_chown),      UT_CASE(sticky),      UT_CASE(access_calls),
    UT_CASE(id_calls),         UT_CASE(groups),      UT_CASE(caps),
    UT_CASE(caps_other),       UT_CASE(cred_bypass), UT_CASE(kill_rules),
    UT_CASE(init_and_servers), UT_CASE(sched_rules), UT_CASE(peercred),
    UT_CASE(hard_links),       UT_CASE(root_home),
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
	/* UTEST_TMP: another file system to run on (tests/user/ext2.c). */
	const char *tmp = getenv("UTEST_TMP");
	snprintf(top, sizeof(top), "%s/utest-perm.%d", tmp ? tmp : "/tmp",
		 (int)getpid());
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
