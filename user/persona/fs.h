/*
 * fs.h - the personality's path calls (fs.c), each named as its Linux
 * call with fs_ for sys_, and the platform's struct stat (<arch>/stat.c).
 */
#pragma once

#include "path.h"

#define O_CREAT_TRUNC_WR 01101 /* creat: O_CREAT | O_TRUNC | O_WRONLY */

long fs_openat(long dirfd, long upath, long flags, long mode);
long fs_newfstatat(long dirfd, long upath, long ubuf, long flags);
long fs_statx(long dirfd, long upath, long flags, long mask, long ubuf);
long fs_mkdirat(long dirfd, long upath, long mode);
long fs_mknodat(long dirfd, long upath, long mode, long dev);
long fs_unlinkat(long dirfd, long upath, long flags);
long fs_renameat2(long ofd, long old, long nfd, long new, long flags);
long fs_linkat(long ofd, long old, long nfd, long new, long flags);
/* tmpfile.c: open with O_TMPFILE; linkat of what old's final link leads
 * to, or (empty) of descriptor ofd's file. */
long fs_tmpfile(long dirfd, long upath, long flags, long mode);
long fs_link_object(long ofd, long old, long nfd, long new, bool empty);
long fs_symlinkat(long utarget, long dirfd, long upath);
long fs_readlinkat(long dirfd, long upath, long ubuf, long size);
long fs_fchmodat(long dirfd, long upath, long mode);
long fs_fchownat(long dirfd, long upath, long uid, long gid, long flags);
long fs_utimensat(long dirfd, long upath, long utimes, long flags);
long fs_futimesat(long dirfd, long upath, long utv);
long fs_truncate(long upath, long len);
long fs_faccessat2(long dirfd, long upath, long mode, long flags);
long fs_chdir(long upath);
long fs_fchdir(long fd);
/* root.c: chroot, and getcwd as the root sees the directory (its NUL
 * too: the raw call's length), ERANGE, EFAULT. */
long fs_chroot(long upath);
long fs_getcwd(long ubuf, long size);
/* debian.c: mincore, posix_fadvise, and the extended-attribute calls
 * (by their number nr: setxattr's value size and flags, else 0). */
long persona_mincore(long addr, long len, long uvec);
long fs_statfs(long upath, long ubuf);
long fs_mount(long usrc, long utarget, long utype, long flags, long data);
long fs_umount2(long utarget, long flags);
void fs_sync(void);

/* <arch>/stat.c: lay st out as the platform's struct stat at program
 * address ubuf (0 or -EFAULT). */
long fs_stat_out(long ubuf, const struct lux_stat *st);
/* <arch>/stat.c: a program's open flags as the protocol's (include/lux/
 * fcntl.h), which are x86_64's: some bits differ on other platforms. */
long fs_open_flags(long flags);
/* Lay a STATFS reply's payload (n bytes at s) out as Linux's struct
 * statfs at ubuf: 0, -EIO (too short) or -EFAULT. */
long fs_statfs_out(long ubuf, const struct lux_statfs *s, size_t n);

/* The calls on a descriptor (fdcalls.c), named as their Linux calls with
 * fd_ for sys_; fs_fstat is fstat into *st (0 or -errno). */
long fs_fstat(long fd, struct lux_stat *st);
long fd_fstat(long fd, long ubuf);
long fd_getdents64(long fd, long ubuf, long n);
long fd_ftruncate(long fd, long len);
long fd_fsync(long fd);
long fd_syncfs(long fd);
long fd_fchmod(long fd, long mode);
long fd_fchown(long fd, long uid, long gid);
long fd_fstatfs(long fd, long ubuf);
long fd_ioctl(long fd, long cmd, long arg);
/* loop.c: the input of LOOP_SET_FD (c NULL) and LOOP_CONFIGURE (c the
 * program's loop_config) for the loop server: backing descriptor fd
 * handed over for a ticket. The socket to close after the ioctl, -1
 * (none: ticket 0), or -EINVAL (c's reserved words). */
struct loop_config;
struct loop_pass;
long loop_pass_in(long fd, const struct loop_config *c, struct loop_pass *p);
long fd_sendfile(long out, long in, long uoff, long count);
long fd_close_range(long first, long last, long flags);
