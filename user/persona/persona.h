/*
 * persona.h - what every part of the Linux personality shares: the native
 * system call, the checked copies to and from the program's memory, and
 * the few string routines a freestanding program needs (lib.c).
 */
#pragma once

#include <lux/errno.h>
#include <lux/persona_ctx.h>
#include <lux/proto.h>
#include <stddef.h>
#include <stdint.h>
#include <syscall_nr.h>

/* The platform's system-call instruction (e.g. x86_64.S): the raw result,
 * -errno on failure. A Linux number the kernel does not serve fails with
 * ENOSYS here: the kernel never reflects a call made by the personality. */
long persona_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
		     long a5);

#define native0(nr)       persona_syscall(nr, 0, 0, 0, 0, 0, 0)
#define native1(nr, a)    persona_syscall(nr, (long)(a), 0, 0, 0, 0, 0)
#define native2(nr, a, b) persona_syscall(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define native3(nr, a, b, c)                                                   \
	persona_syscall(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define native4(nr, a, b, c, d)                                                \
	persona_syscall(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

/* The program's memory is touched only through the checked copies, so a
 * bad pointer gives EFAULT, never a fault here: they copy in user mode,
 * and the kernel resumes one that faults at its fixup (struct
 * lux_persona_ctx). copy_in: n bytes at program address usrc into dst;
 * copy_out: n bytes of src to program address udst. 0 or -EFAULT. */
int copy_in(void *dst, long usrc, size_t n);
int copy_out(long udst, const void *src, size_t n);
/* The NUL-terminated string at usrc into dst (size bytes): its length,
 * -EFAULT, or -ENAMETOOLONG when it does not fit with its NUL. */
long str_in(char *dst, long usrc, size_t size);

/* The calling program's saved context (include/lux/proto.h): its
 * registers, rax the call's number and then its result (what persona_call
 * returns goes there), and its signal mask. Valid in persona_call and
 * below; LUX_NR_RESUME loads the program back from it. */
struct lux_persona_ctx *persona_ctx(void);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
/* Copy src into dst of size bytes, always NUL-terminated: strlen(src). */
size_t strlcpy(char *dst, const char *src, size_t size);

/* The id calls (cred.c); kind is LUX_CRED_UID or LUX_CRED_GID. */
long persona_getid(int kind, int which);
long persona_getres(int kind, long ur, long ue, long us);
long persona_setres(int kind, long r, long e, long s);
long persona_setre(int kind, long r, long e);
long persona_setone(int kind, long id);
long persona_setfs(int kind);
long persona_getgroups(long size, long ulist);
long persona_setgroups(long size, long ulist);
long persona_capget(long uhdr, long udata);
long persona_capset(long uhdr, long udata);

/* Information, names, limits and time (info.c). */
long persona_sysinfo(long uinfo);
long persona_times(long utms);
long persona_getrusage(long who, long uusage);
long persona_prctl(long option, long arg);
/* procx.c */
long procx_prctl(long option, long arg);
long persona_getrlimit(long resource, long uold);
long persona_setrlimit(long resource, long unew);
long persona_time(long ut);
long persona_gettimeofday(long utv, long utz);

/* epoll, timerfd and signalfd (event.c); mask is the program's signal
 * mask, which the waits use. a: the call's arguments. */
long event_epoll_create1(long flags);
long event_epoll_create(long size);
long event_epoll_ctl(long epfd, long op, long fd, long uev);
long event_epoll_pwait(const long a[6], uint64_t mask);
long event_epoll_pwait2(const long a[6], uint64_t mask);
long event_timerfd_create(long clock, long flags);
long event_timerfd_settime(long fd, long flags, long unew, long uold);
long event_timerfd_gettime(long fd, long ucur);
long event_signalfd4(long fd, long umask, long size, long flags);

/* poll, select and pselect6 over ppoll (select.c); mask is the program's
 * signal mask, which their waits use. a: the call's arguments. */
long persona_poll(long ufds, long n, long ms, uint64_t mask);
long persona_select(const long a[5], uint64_t mask);
long persona_pselect6(const long a[6], uint64_t mask);

/* exec.c: execve, execveat, brk, and starting the first process. ctx is
 * the program's saved context (persona_call's), which a successful exec
 * rewrites to start the new program. */
long persona_execve(long upath, long uargv, long uenvp, void *ctx);
long persona_execveat(long dirfd, long upath, long uargv, long uenvp,
		      long flags, void *ctx);
long persona_brk(long brk);
long persona_boot(long uwords, long nwords, long size, void *ctx);

/* The Unix-socket calls (sock.c), each named as its Linux call with sock_
 * for sys_ (accept is accept4 with flags 0). */
long sock_socket(long domain, long type, long protocol);
long sock_socketpair(long domain, long type, long protocol, long ufds);
long sock_bind(long fd, long uaddr, long len);
long sock_connect(long fd, long uaddr, long len);
long sock_accept4(long fd, long uaddr, long ulen, long flags);
long sock_getsockname(long fd, long uaddr, long ulen);
long sock_getpeername(long fd, long uaddr, long ulen);
long sock_getsockopt(long fd, long level, long opt, long uval, long ulen);
long sock_setsockopt(long fd, long level, long opt, long uval, long len);
long sock_sendto(long fd, long ubuf, long len, long flags, long uaddr,
		 long alen);
long sock_recvfrom(long fd, long ubuf, long len, long flags, long uaddr,
		   long ulen);
long sock_sendmsg(long fd, long umsg, long flags);
long sock_recvmsg(long fd, long umsg, long flags);
long sock_listen(long fd, long backlog);
long sock_shutdown(long fd, long how);

/* Linux's struct iovec and struct msghdr (the same on every 64-bit
 * platform), as sock.c and inet.c read them from the program. */
struct iov {
	long base;
	long len;
};

/* Linux's struct msghdr (the same on every 64-bit platform). */
struct msghdr {
	long name;
	int namelen, pad;
	long iov, iovlen, control, controllen;
	int flags, pad2;
};

/* Iovecs in one socket message, at most (sock.c, inet.c). */
#define IOV_MAX 16
/* The iovecs of h into iov[] (sock.c): 0, EMSGSIZE (more than IOV_MAX),
 * EFAULT, or EINVAL (a negative length). */
long sock_iov_in(struct iov *iov, const struct msghdr *h);

/* The AF_INET calls (inet.c, decision 0029): inet_socket makes one;
 * inet_or(nr, a, r) is r, the result of the Unix-socket call nr with
 * arguments a, unless that found no Unix socket (ENOTSOCK): then call
 * nr's on an Internet socket. */
long inet_socket(long domain, long type, long protocol);
long inet_or(long nr, const long a[6], long r);
/* SIOCGIFCONF on descriptor fd, struct ifconf at arg (fdcalls.c's ioctl). */
long inet_ifconf(long fd, long arg);

/* The signal ABI (signal.c, docs/decisions/0023-signal-upcall.md): the
 * kernel's upcall for a caught signal, rt_sigreturn, sigaltstack, and
 * what a successful exec resets (the alternate stack). */
struct lux_persona_sig;
void persona_signal(const struct lux_persona_sig *s);
long persona_rt_sigreturn(void);
long persona_sigaltstack(long unew, long uold);
void persona_signal_exec(void);

/* lock.c: fcntl's lock commands (the kernel reflects those) and flock,
 * as LUX_LOCK requests to the file's server. */
long lock_fcntl(long fd, long cmd, long ul);
long lock_flock(long fd, long op);

/* mmap of a descriptor the kernel cannot map (mmap.c): MAP_PRIVATE of a
 * server's regular file, as a copy; -errno as Linux's mmap. */
long mmap_file(long addr, long len, long prot, long flags, long fd, long off);
long mmap_msync(long addr, long len, long flags);
/* wait.c: wait4 and waitid over LUX_NR_WAIT. */
long persona_wait4(long pid, long ustatus, long options, long uusage);
long persona_waitid(long type, long id, long uinfo, long options, long uusage);
/* reboot.c: reboot over LUX_NR_REBOOT. */
long persona_reboot(long magic1, long magic2, long cmd);
/* timer.c: setitimer, getitimer and alarm over LUX_NR_ALARM. */
long persona_setitimer(long which, long unew, long uold);
long persona_getitimer(long which, long uold);
long persona_alarm(long seconds);
/* sched.c: getpriority, clock_nanosleep and pause over the kernel's
 * primitives (mask is the program's signal mask, which the waits use);
 * sched_getaffinity, sched_setaffinity and getcpu over LUX_NR_AFFINITY. */
long persona_getpriority(long which, long who);
long persona_clock_nanosleep(long clock, long flags, long ureq, long urem,
			     uint64_t mask);
long persona_pause(uint64_t mask);
long persona_sched_getaffinity(long tid, long len, long umask);
long persona_sched_setaffinity(long tid, long len, long umask);
long persona_getcpu(long ucpu, long unode);

/* SysV IPC (sysv.c), each named as its Linux call with sysv_ for sys_. */
long sysv_msgget(long key, long flags);
long sysv_msgsnd(long id, long umsg, long size, long flags);
long sysv_msgrcv(long id, long umsg, long size, long type, long flags);
long sysv_msgctl(long id, long cmd, long ubuf);
long sysv_semget(long key, long nsems, long flags);
long sysv_semtimedop(long id, long usops, long nsops, long utimeout);
long sysv_semctl(long id, long num, long cmd, long arg);
long sysv_shmget(long key, long size, long flags);
long sysv_shmat(long id, long addr, long flags);
long sysv_shmdt(long addr);
/* small.c: calls of a few lines each (fadvise64, readahead, the xattr
 * calls, the scheduling-policy questions, personality). */
long small_fadvise64(long fd, long off, long len, long advice);
long small_readahead(long fd);
long small_xattr(long nr, const long a[6]);
long small_sched_priority(long policy, int max);
long small_sched_get(long nr, const long a[6]);
long small_personality(long persona);
long small_mmsg(int recv, const long a[6]);
/* persona.c: the dispatch of a reflected call (nr, arguments a). */
long persona_call(long nr, const long a[6]);
long sysv_shmctl(long id, long cmd, long ubuf);
/* <arch>/sysv.c: the platform's struct semid_ds after its ipc_perm, as
 * 8-byte words into w: how many. */
int sysv_semid_ds(uint64_t *w, int64_t otime, int64_t ctime, uint64_t nsems);
