/*
 * syscall.h - the handlers of the system-call table (kernel/sys/syscall.c).
 * Each takes the call's arguments as longs and returns a value or a
 * negative errno, as Linux's calls do.
 */
#pragma once

long sys_read(long fd, long buf, long len);
long sys_readv(long fd, long iov, long iovcnt);
long sys_close(long fd);
long sys_lux_unshare(void);
long sys_dup(long fd);
long sys_dup2(long oldfd, long newfd);
long sys_dup3(long oldfd, long newfd, long flags);
long sys_fcntl(long fd, long cmd, long arg);
long sys_pipe(long fds);
long sys_pipe2(long fds, long flags);
long sys_ppoll(long fds, long n, long ts, long mask, long size);
long sys_eventfd2(long initval, long flags);
long sys_write(long fd, long buf, long len);
long sys_writev(long fd, long iov, long iovcnt);
long sys_exit(long code);
long sys_exit_group(long code);
long sys_getpid(void);
long sys_getppid(void);
long sys_gettid(void);
long sys_set_tid_address(long tidptr);
long sys_set_robust_list(long head, long len);
long sys_get_robust_list(long tid, long uhead, long ulen);
long sys_getrandom(long buf, long len, long flags);
long sys_prlimit64(long pid, long resource, long new, long old);
long sys_sched_yield(void);
long sys_mmap(long addr, long len, long prot, long flags, long fd, long off);
long sys_munmap(long addr, long len);
long sys_mprotect(long addr, long len, long prot);
long sys_madvise(long addr, long len, long advice);
long sys_clock_gettime(long clock, long ts);
long sys_nanosleep(long req, long rem);
long sys_futex(long uaddr, long op, long val, long timeout, long uaddr2,
	       long val3);
long sys_arch_prctl(long code, long addr);
long sys_rt_sigaction(long sig, long act, long oact, long size);
long sys_rt_sigprocmask(long how, long set, long oset, long size);
long sys_rt_sigpending(long set, long size);
long sys_rt_sigsuspend(long set, long size);
long sys_lseek(long fd, long offset, long whence);
long sys_rt_sigtimedwait(long set, long info, long ts, long size);
long sys_kill(long pid, long sig);
long sys_tgkill(long tgid, long tid, long sig);
long sys_tkill(long tid, long sig);
long sys_lux_affinity(long tid, long set, long mask, long uold);
long sys_setpriority(long which, long who, long nice);
long sys_lux_bootdata(long off, long buf, long len);
long sys_lux_procinfo(long pid, long info, long item, long size);
long sys_lux_cpuinfo(long cpu, long buf, long len);
long sys_lux_klog(void);
uint64_t alarm_cancel(struct proc *p);
long sys_clone(long flags, long sp, long ptid, long ctid, long tls);
long sys_fork(void);
long sys_setsid(void);
long sys_lux_grant(long pid, long kind, long base, long count);
long sys_lux_irq(long irq);
long sys_lux_hwinfo(long what, long arg, long uout);
long sys_lux_mmio(long phys, long len);
long sys_lux_dma(long fd, long off);
long sys_setpgid(long pid, long pgid);
long sys_getpgid(long pid);
long sys_getsid(long pid);
long sys_vfork(void);
long sys_lux_channel(long fds);
/* fs/: the path calls and the calls on remote files. */
long sys_umask(long mask);
long sys_memfd_create(long uname, long flags);
long sys_fallocate(long fd, long mode, long off, long len);
long sys_pread64(long fd, long buf, long n, long pos);
long sys_pwrite64(long fd, long buf, long n, long pos);
long sys_lux_resolver(long fd);
long sys_lux_cred(long pid, long cred);
long sys_lux_setcred(long which, long a, long b, long c);
long sys_lux_sysstat(long stat);
long sys_lux_name(long name, long set);
long sys_lux_resume(void);
long sys_lux_exec(long name, long cmdline, long len, long fd);
long sys_lux_bootfile(long path, long off, long buf, long len);
long sys_lux_request(long target, long gen, long req, long buf, long size,
		     long path);
long sys_lux_fdpath(long fd, long buf, long size);
long sys_lux_chdir(long path, long size, long base);
long sys_lux_root(long path, long size);
long sys_lux_reopen(long pid, long fd, long flags);
long sys_lux_socket(long op, long a, long b, long c, long d);
long sys_lux_sockmsg(long fd, long recv, long msg, long flags);
long sys_lux_wait(long pid, long pgid, long options, long ures);
long sys_lux_procctl(long what, long value);
long sys_lux_reboot(long how);
long sys_lux_alarm(long value, long interval, long uold, long which);
long sys_lux_epoll(long op, long epfd, long fd, long events, long data,
		   long umask);
long sys_lux_event(long op, long fd, long a, long b, long c);
long signalfd_set(long fd, uint64_t mask, long flags); /* proc/signal.c */

/* Shared by the handlers. */
long do_clone(unsigned long flags, uintptr_t sp, int *ptid, int *ctid,
	      uintptr_t tls);
void random_bytes(void *buf, size_t n);
void console_write(const char *s, size_t n);
int futex_wake(void *uaddr, int n);
struct thread;
void futex_robust_exit(struct thread *t);
/* PI futexes: t's locks go to their waiters (exit, exec); t's base
 * priority changed (proc_lock held). */
void futex_pi_exit(struct thread *t);
void futex_pi_prio(struct thread *t);
/* The user thread of id tid, or the caller for 0; proc_lock held. */
struct thread *thread_by_tid(long tid);
int64_t clock_realtime_base(void);
NORETURN void thread_exit_user(int status);
void time_init(void);
/* A user struct timespec as nanoseconds (huge values clamped to about
 * 146 years, so deadlines cannot overflow): 0, -EFAULT or -EINVAL. */
int timespec_from_user(long uts, int64_t *ns);
void futex_init(void);
