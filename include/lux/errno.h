/*
 * errno.h - error numbers, as Linux defines them for every architecture
 * lux supports. The kernel returns them negated.
 */
#pragma once

#define EPERM           1
#define ENOENT          2
#define ESRCH           3
#define EINTR           4
#define EIO             5
#define ENXIO           6
#define E2BIG           7
#define ENOEXEC         8
#define EBADF           9
#define ECHILD          10
#define EAGAIN          11
#define ENOMEM          12
#define EACCES          13
#define EFAULT          14
#define EBUSY           16
#define EEXIST          17
#define EXDEV           18
#define ENODEV          19
#define ENOTDIR         20
#define EISDIR          21
#define EINVAL          22
#define ENFILE          23
#define EMFILE          24
#define ENOTTY          25
#define EFBIG           27
#define ENOSPC          28
#define ESPIPE          29
#define EPIPE           32
#define ERANGE          34
#define EDEADLK         35
#define ENAMETOOLONG    36
#define ENOLCK          37
#define ENOSYS          38
#define ENOTEMPTY       39
#define ELOOP           40
#define EOVERFLOW       75
#define ELIBBAD         80
#define ENOTSOCK        88
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EMSGSIZE        90
#define ENOPROTOOPT     92
#define EOPNOTSUPP      95
#define EAFNOSUPPORT    97
#define EADDRINUSE      98
#define ECONNRESET      104
#define EISCONN         106
#define ENOTCONN        107
#define ECONNREFUSED    111
#define ETIMEDOUT       110
#define ESTALE          116

/* Kernel-internal: never seen by user space. */
#define ERESTARTSYS 512 /* restart the call if no handler says otherwise */
/* restart it even after a handler; returned only when t->interrupt ended
 * a wait (Linux's 513 is LUX_ERESTART_CALL here) */
#define ERESTARTNOINTR 514
