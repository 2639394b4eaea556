/*
 * fcntl.h - the protocol's open flags, access modes and *at() flags: the
 * one definition of each, used by the kernel, the personality, lumen, the
 * servers and their tests.
 *
 * The values are Linux's asm-generic ones (those of x86_64) on every
 * platform. They are lux's own, never taken from a C library: musl's
 * <fcntl.h> gives a platform's Linux ABI, which differs on arm64
 * (O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE). A platform whose Linux
 * ABI differs translates a program's flags to these at one place, where
 * the call enters lux (the personality's open); on x86_64 that is the
 * identity.
 *
 * Code built on a C library (servers, lumen, host tests) uses the LUX_
 * names; freestanding code (the kernel, the personality) also gets the
 * plain Linux names below, aliases of the same values.
 */
#pragma once

/* Open flags (struct lux_req.flags of LUX_OPEN, READ, WRITE). */
#define LUX_O_ACCMODE   03
#define LUX_O_RDONLY    00
#define LUX_O_WRONLY    01
#define LUX_O_RDWR      02
#define LUX_O_CREAT     0100
#define LUX_O_EXCL      0200
#define LUX_O_NOCTTY    0400
#define LUX_O_TRUNC     01000
#define LUX_O_APPEND    02000
#define LUX_O_NONBLOCK  04000
#define LUX_O_ASYNC     020000
#define LUX_O_DSYNC     010000
#define LUX_O_DIRECT    040000
#define LUX_O_LARGEFILE 0100000
#define LUX_O_DIRECTORY 0200000
#define LUX_O_NOFOLLOW  0400000
#define LUX_O_NOATIME   01000000
#define LUX_O_CLOEXEC   02000000
#define LUX_O_SYNC      04010000
#define LUX_O_PATH      010000000
#define LUX_O_TMPFILE                                                          \
	020000000 /* Linux's __O_TMPFILE (its O_TMPFILE
				   * adds O_DIRECTORY): an unnamed file */
/* Protocol-only (a bit no Linux open flag uses): the open is for execve,
 * which needs the execute right. */
#define LUX_O_EXEC 040

/* *at() flags (LUX_STAT, UNLINK, CHOWN, UTIMENS, LINK). */
#define LUX_AT_SYMLINK_NOFOLLOW 0x100
#define LUX_AT_REMOVEDIR        0x200
#define LUX_AT_EACCESS          0x200
#define LUX_AT_SYMLINK_FOLLOW   0x400
#define LUX_AT_EMPTY_PATH       0x1000

/* LUX_ACCESS's mode. */
#define LUX_F_OK 0
#define LUX_X_OK 1
#define LUX_W_OK 2
#define LUX_R_OK 4

/* LUX_RENAME's flags. */
#define LUX_RENAME_NOREPLACE 1
#define LUX_RENAME_EXCHANGE  2

/* LUX_UTIMENS: a time's nanoseconds field may say "now" or "keep". */
#define LUX_UTIME_NOW  ((1L << 30) - 1)
#define LUX_UTIME_OMIT ((1L << 30) - 2)

#if !__STDC_HOSTED__
#define O_RDONLY   LUX_O_RDONLY
#define O_WRONLY   LUX_O_WRONLY
#define O_RDWR     LUX_O_RDWR
#define O_ACCMODE  LUX_O_ACCMODE
#define O_APPEND   LUX_O_APPEND
#define O_NONBLOCK LUX_O_NONBLOCK
#define O_ASYNC    LUX_O_ASYNC
#define O_CLOEXEC  LUX_O_CLOEXEC
#define O_PATH     LUX_O_PATH

/* fcntl commands and close_range flags (Linux's, the same everywhere). */
#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_SETOWN        8
#define F_GETOWN        9
#define F_SETSIG        10
#define F_GETSIG        11
#define F_SETOWN_EX     15
#define F_GETOWN_EX     16
#define F_OWNER_TID     0
#define F_OWNER_PID     1
#define F_OWNER_PGRP    2
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ    1031
#define F_GETPIPE_SZ    1032
#define FD_CLOEXEC      1
/* lux's own (the personality's F_SETLEASE, decision 0040): arg 0, a
 * remote file's lease breaks, told by its server, signal its owner
 * (POLL_MSG, si_fd this descriptor) from now on; arg 1, the caller owns
 * the file unless it has an owner; arg 2, the file has no owner and no
 * signal (a lease was released). EINVAL for another file. */
#define LUX_F_LEASE 0x4c00

#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4
#define PIPE_BUF            4096
#endif
