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
long fs_statfs(long upath, long ubuf);
long fs_mount(long usrc, long utarget, long utype, long flags, long data);
long fs_umount2(long utarget, long flags);

/* <arch>/stat.c: lay st out as the platform's struct stat at program
 * address ubuf (0 or -EFAULT); the status of descriptor fd (the native
 * fstat) into *st (0 or -errno). */
long fs_stat_out(long ubuf, const struct lux_stat *st);
long fs_fstat(long fd, struct lux_stat *st);
