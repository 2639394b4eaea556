/*
 * persona.c - the Linux personality: every Linux call the kernel does not
 * serve is reflected here, in the calling process, on the thread's own
 * personality stack (docs/decisions/0006-reflection.md). Freestanding:
 * no libc; native calls go through persona_syscall, which the platform's
 * file (e.g. x86_64.S) provides with the entry from the kernel.
 */
#include "fs.h"
#include "persona.h"

/* Linux's struct utsname: six NUL-padded fields of 65 bytes. The release
 * is the Linux ABI level lux implements, then lux's own version: programs
 * compare it with the Linux they need (glibc refuses below 3.2). */
static const char utsname[6][65] = {"lux", "lux",           "5.10.0-lux-0.1",
				    "#1",  PERSONA_MACHINE, "(none)"};

/* uname(buf): written through the kernel's checked copy, so a bad buffer
 * gives EFAULT, as the call always did. (Each call is a function of its
 * own, never inlined, so that traces name it.) */
static __attribute__((noinline)) long persona_uname(long ubuf)
{
	return copy_out(ubuf, utsname, sizeof(utsname));
}

/* clock_getres(clock, res): 1 ns for each of the clocks 0-7. */
static __attribute__((noinline)) long persona_clock_getres(long clock,
							   long ures)
{
	static const long res[2] = {0, 1};

	if (clock < 0 || clock > 7)
		return -EINVAL;
	return ures ? copy_out(ures, res, sizeof(res)) : 0;
}

/* After an exec that succeeded: drop the pages of this thread's stack
 * below the current frame, which exec's arguments and the path calls'
 * buffers filled (some 70 KiB), so that the new program does not carry
 * them (fork would copy them and exit free them). r: exec's result. */
static long exec_done(long r)
{
	uintptr_t top =
	    (uintptr_t)persona_ctx() + sizeof(struct lux_persona_ctx);
	uintptr_t low = top - LUX_PERSONA_SLOT + 4096; /* above the guard */
	uintptr_t sp = ((uintptr_t)__builtin_frame_address(0) & ~4095UL) - 4096;

	if (!r)
		persona_signal_exec();
	if (!r && sp > low)
		native3(NR_madvise, low, sp - low, 4 /* MADV_DONTNEED */);
	return r;
}

/* Perform call nr with arguments a[0..5] for the program (its signal
 * mask, which waits use, is persona_ctx()->mask): its result or -errno.
 * Called by the platform's entry (x86_64.S: persona_entry). A call the
 * personality does not know is made again from here: the kernel does
 * not reflect a call from inside the personality, but fails it with
 * ENOSYS and names it on the console (once per boot). */
long persona_call(long nr, const long a[6])
{
	if (nr == NR_fcntl) /* the kernel's, which reflects only its locks */
		return lock_fcntl(a[0], a[1], a[2]);
	if (nr == NR_mmap) /* the kernel's, which reflects a server's file */
		return mmap_file(a[0], a[1], a[2], a[3], a[4], a[5]);
	switch (nr) {
	case NR_msync:
		return mmap_msync(a[0], a[1], a[2]);
	case NR_uname:
		return persona_uname(a[0]);
	case NR_clock_getres:
		return persona_clock_getres(a[0], a[1]);
	case NR_getuid:
		return persona_getid(LUX_CRED_UID, 0);
	case NR_geteuid:
		return persona_getid(LUX_CRED_UID, 1);
	case NR_getgid:
		return persona_getid(LUX_CRED_GID, 0);
	case NR_getegid:
		return persona_getid(LUX_CRED_GID, 1);
	case NR_getresuid:
		return persona_getres(LUX_CRED_UID, a[0], a[1], a[2]);
	case NR_getresgid:
		return persona_getres(LUX_CRED_GID, a[0], a[1], a[2]);
	case NR_setresuid:
		return persona_setres(LUX_CRED_UID, a[0], a[1], a[2]);
	case NR_setresgid:
		return persona_setres(LUX_CRED_GID, a[0], a[1], a[2]);
	case NR_setreuid:
		return persona_setre(LUX_CRED_UID, a[0], a[1]);
	case NR_setregid:
		return persona_setre(LUX_CRED_GID, a[0], a[1]);
	case NR_setuid:
		return persona_setone(LUX_CRED_UID, a[0]);
	case NR_setgid:
		return persona_setone(LUX_CRED_GID, a[0]);
	case NR_setfsuid:
		return persona_setfs(LUX_CRED_UID);
	case NR_setfsgid:
		return persona_setfs(LUX_CRED_GID);
	case NR_getgroups:
		return persona_getgroups(a[0], a[1]);
	case NR_setgroups:
		return persona_setgroups(a[0], a[1]);
	case NR_capget:
		return persona_capget(a[0], a[1]);
	case NR_capset:
		return persona_capset(a[0], a[1]);
	case NR_sysinfo:
		return persona_sysinfo(a[0]);
	case NR_times:
		return persona_times(a[0]);
	case NR_getrusage:
		return persona_getrusage(a[0], a[1]);
	case NR_prctl:
		return persona_prctl(a[0], a[1]);
	case NR_getrlimit:
		return persona_getrlimit(a[0], a[1]);
	case NR_setrlimit:
		return persona_setrlimit(a[0], a[1]);
	case NR_gettimeofday:
		return persona_gettimeofday(a[0], a[1]);
	case NR_setitimer:
		return persona_setitimer(a[0], a[1], a[2]);
	case NR_getitimer:
		return persona_getitimer(a[0], a[1]);
	case NR_pselect6:
		return persona_pselect6(a, persona_ctx()->mask);
	case NR_getpriority:
		return persona_getpriority(a[0], a[1]);
	case NR_sched_getaffinity:
		return persona_sched_getaffinity(a[0], a[1], a[2]);
	case NR_sched_setaffinity:
		return persona_sched_setaffinity(a[0], a[1], a[2]);
	case NR_getcpu:
		return persona_getcpu(a[0], a[1]);
	case NR_epoll_create1:
		return event_epoll_create1(a[0]);
	case NR_epoll_ctl:
		return event_epoll_ctl(a[0], a[1], a[2], a[3]);
	case NR_epoll_pwait:
		return event_epoll_pwait(a, persona_ctx()->mask);
	case NR_epoll_pwait2:
		return event_epoll_pwait2(a, persona_ctx()->mask);
	case NR_timerfd_create:
		return event_timerfd_create(a[0], a[1]);
	case NR_timerfd_settime:
		return event_timerfd_settime(a[0], a[1], a[2], a[3]);
	case NR_timerfd_gettime:
		return event_timerfd_gettime(a[0], a[1]);
	case NR_signalfd4:
		return event_signalfd4(a[0], a[1], a[2], a[3]);
	case NR_clock_nanosleep:
		return persona_clock_nanosleep(a[0], a[1], a[2], a[3],
					       persona_ctx()->mask);
#ifdef NR_alarm /* the platform's legacy calls */
	case NR_poll:
		return persona_poll(a[0], a[1], a[2], persona_ctx()->mask);
	case NR_select:
		return persona_select(a, persona_ctx()->mask);
	case NR_alarm:
		return persona_alarm(a[0]);
	case NR_pause:
		return persona_pause(persona_ctx()->mask);
	case NR_time:
		return persona_time(a[0]);
	case NR_eventfd:
		return persona_syscall(NR_eventfd2, a[0], 0, 0, 0, 0, 0);
	case NR_getpgrp:
		return persona_syscall(NR_getpgid, 0, 0, 0, 0, 0, 0);
	case NR_epoll_create:
		return event_epoll_create(a[0]);
	case NR_epoll_wait: {
		const long w[6] = {a[0], a[1], a[2], a[3], 0, 0};
		return event_epoll_pwait(w, persona_ctx()->mask);
	}
	case NR_signalfd:
		return event_signalfd4(a[0], a[1], a[2], 0);
#endif
	case NR_execve:
		return exec_done(
		    persona_execve(a[0], a[1], a[2], persona_ctx()));
	case NR_execveat:
		return exec_done(persona_execveat(a[0], a[1], a[2], a[3], a[4],
						  persona_ctx()));
	case NR_wait4:
		return persona_wait4(a[0], a[1], a[2], a[3]);
	case NR_waitid:
		return persona_waitid(a[0], a[1], a[2], a[3], a[4]);
	case NR_reboot:
		return persona_reboot(a[0], a[1], a[2]);
	case NR_brk:
		return persona_brk(a[0]);
	case NR_fstat:
		return fd_fstat(a[0], a[1]);
	case NR_getdents64:
		return fd_getdents64(a[0], a[1], a[2]);
	case NR_ftruncate:
		return fd_ftruncate(a[0], a[1]);
	case NR_fsync:
	case NR_fdatasync:
		return fd_fsync(a[0]);
	case NR_sync:
		fs_sync();
		return 0;
	case NR_syncfs:
		return fd_syncfs(a[0]);
	case NR_fchmod:
		return fd_fchmod(a[0], a[1]);
	case NR_fchown:
		return fd_fchown(a[0], a[1], a[2]);
	case NR_fstatfs:
		return fd_fstatfs(a[0], a[1]);
	case NR_ioctl:
		return fd_ioctl(a[0], a[1], a[2]);
	case NR_sendfile:
		return fd_sendfile(a[0], a[1], a[2], a[3]);
	case NR_close_range:
		return fd_close_range(a[0], a[1], a[2]);
	case NR_flock:
		return lock_flock(a[0], a[1]);
	case NR_msgget:
		return sysv_msgget(a[0], a[1]);
	case NR_msgsnd:
		return sysv_msgsnd(a[0], a[1], a[2], a[3]);
	case NR_msgrcv:
		return sysv_msgrcv(a[0], a[1], a[2], a[3], a[4]);
	case NR_msgctl:
		return sysv_msgctl(a[0], a[1], a[2]);
	case NR_semget:
		return sysv_semget(a[0], a[1], a[2]);
	case NR_semop:
		return sysv_semtimedop(a[0], a[1], a[2], 0);
	case NR_semtimedop:
		return sysv_semtimedop(a[0], a[1], a[2], a[3]);
	case NR_semctl:
		return sysv_semctl(a[0], a[1], a[2], a[3]);
	case NR_shmget:
		return sysv_shmget(a[0], a[1], a[2]);
	case NR_shmat:
		return sysv_shmat(a[0], a[1], a[2]);
	case NR_shmdt:
		return sysv_shmdt(a[0]);
	case NR_shmctl:
		return sysv_shmctl(a[0], a[1], a[2]);
	case NR_rt_sigreturn:
		return persona_rt_sigreturn();
	case NR_sigaltstack:
		return persona_sigaltstack(a[0], a[1]);
	case LUX_NR_BOOTFILE: /* only the kernel reflects it: start init */
		return exec_done(persona_boot(a[0], a[1], a[2], persona_ctx()));
	case NR_openat:
		return fs_openat(a[0], a[1], fs_open_flags(a[2]), a[3]);
	case NR_newfstatat:
		return fs_newfstatat(a[0], a[1], a[2], a[3]);
	case NR_statx:
		return fs_statx(a[0], a[1], a[2], a[3], a[4]);
	case NR_mkdirat:
		return fs_mkdirat(a[0], a[1], a[2]);
	case NR_mknodat:
		return fs_mknodat(a[0], a[1], a[2], a[3]);
	case NR_unlinkat:
		return fs_unlinkat(a[0], a[1], a[2]);
	case NR_renameat2:
		return fs_renameat2(a[0], a[1], a[2], a[3], a[4]);
	case NR_renameat:
		return fs_renameat2(a[0], a[1], a[2], a[3], 0);
	case NR_linkat:
		return fs_linkat(a[0], a[1], a[2], a[3], a[4]);
	case NR_symlinkat:
		return fs_symlinkat(a[0], a[1], a[2]);
	case NR_readlinkat:
		return fs_readlinkat(a[0], a[1], a[2], a[3]);
	case NR_fchmodat:
		return fs_fchmodat(a[0], a[1], a[2]);
	case NR_fchownat:
		return fs_fchownat(a[0], a[1], a[2], a[3], a[4]);
	case NR_utimensat:
		return fs_utimensat(a[0], a[1], a[2], a[3]);
	case NR_truncate:
		return fs_truncate(a[0], a[1]);
	case NR_faccessat:
		return fs_faccessat2(a[0], a[1], a[2], 0);
	case NR_faccessat2:
		return fs_faccessat2(a[0], a[1], a[2], a[3]);
	case NR_chdir:
		return fs_chdir(a[0]);
	case NR_fchdir:
		return fs_fchdir(a[0]);
	case NR_getcwd:
		return fs_getcwd(a[0], a[1]);
	case NR_chroot:
		return fs_chroot(a[0]);
	case NR_mincore:
		return persona_mincore(a[0], a[1], a[2]);
	case NR_statfs:
		return fs_statfs(a[0], a[1]);
	case NR_mount:
		return fs_mount(a[0], a[1], a[2], a[3], a[4]);
	case NR_umount2:
		return fs_umount2(a[0], a[1]);
#ifdef NR_open /* the legacy path calls of x86_64 */
	case NR_open:
		return fs_openat(AT_FDCWD, a[0], fs_open_flags(a[1]), a[2]);
	case NR_creat:
		return fs_openat(AT_FDCWD, a[0], O_CREAT_TRUNC_WR, a[1]);
	case NR_stat:
		return fs_newfstatat(AT_FDCWD, a[0], a[1], 0);
	case NR_lstat:
		return fs_newfstatat(AT_FDCWD, a[0], a[1],
				     LUX_AT_SYMLINK_NOFOLLOW);
	case NR_mkdir:
		return fs_mkdirat(AT_FDCWD, a[0], a[1]);
	case NR_mknod:
		return fs_mknodat(AT_FDCWD, a[0], a[1], a[2]);
	case NR_unlink:
		return fs_unlinkat(AT_FDCWD, a[0], 0);
	case NR_rmdir:
		return fs_unlinkat(AT_FDCWD, a[0], LUX_AT_REMOVEDIR);
	case NR_rename:
		return fs_renameat2(AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case NR_link:
		return fs_linkat(AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
	case NR_symlink:
		return fs_symlinkat(a[0], AT_FDCWD, a[1]);
	case NR_readlink:
		return fs_readlinkat(AT_FDCWD, a[0], a[1], a[2]);
	case NR_chmod:
		return fs_fchmodat(AT_FDCWD, a[0], a[1]);
	case NR_chown:
		return fs_fchownat(AT_FDCWD, a[0], a[1], a[2], 0);
	case NR_lchown:
		return fs_fchownat(AT_FDCWD, a[0], a[1], a[2],
				   LUX_AT_SYMLINK_NOFOLLOW);
	case NR_access:
		return fs_faccessat2(AT_FDCWD, a[0], a[1], 0);
	case NR_utimes:
		return fs_futimesat(AT_FDCWD, a[0], a[1]);
	case NR_futimesat:
		return fs_futimesat(a[0], a[1], a[2]);
#endif
	case NR_socket:
		return sock_socket(a[0], a[1], a[2]);
	case NR_socketpair:
		return sock_socketpair(a[0], a[1], a[2], a[3]);
	case NR_bind:
		return inet_or(nr, a, sock_bind(a[0], a[1], a[2]));
	case NR_connect:
		return inet_or(nr, a, sock_connect(a[0], a[1], a[2]));
	case NR_accept:
		return inet_or(nr, a, sock_accept4(a[0], a[1], a[2], 0));
	case NR_accept4:
		return inet_or(nr, a, sock_accept4(a[0], a[1], a[2], a[3]));
	case NR_getsockname:
		return inet_or(nr, a, sock_getsockname(a[0], a[1], a[2]));
	case NR_getpeername:
		return inet_or(nr, a, sock_getpeername(a[0], a[1], a[2]));
	case NR_getsockopt:
		return inet_or(nr, a,
			       sock_getsockopt(a[0], a[1], a[2], a[3], a[4]));
	case NR_setsockopt:
		return inet_or(nr, a,
			       sock_setsockopt(a[0], a[1], a[2], a[3], a[4]));
	case NR_sendto:
		return inet_or(nr, a,
			       sock_sendto(a[0], a[1], a[2], a[3], a[4], a[5]));
	case NR_recvfrom:
		return inet_or(
		    nr, a, sock_recvfrom(a[0], a[1], a[2], a[3], a[4], a[5]));
	case NR_sendmsg:
		return inet_or(nr, a, sock_sendmsg(a[0], a[1], a[2]));
	case NR_recvmsg:
		return inet_or(nr, a, sock_recvmsg(a[0], a[1], a[2]));
	case NR_listen:
		return inet_or(nr, a, sock_listen(a[0], a[1]));
	case NR_shutdown:
		return inet_or(nr, a, sock_shutdown(a[0], a[1]));
	case NR_fadvise64:
		return small_fadvise64(a[0], a[1], a[2], a[3]);
	case NR_readahead:
		return small_readahead(a[0]);
	case NR_getxattr:
	case NR_lgetxattr:
	case NR_fgetxattr:
	case NR_listxattr:
	case NR_llistxattr:
	case NR_flistxattr:
	case NR_setxattr:
	case NR_lsetxattr:
	case NR_fsetxattr:
	case NR_removexattr:
	case NR_lremovexattr:
	case NR_fremovexattr:
		return small_xattr(nr, a);
	case NR_sched_get_priority_max:
	case NR_sched_get_priority_min:
		return small_sched_priority(a[0],
					    nr == NR_sched_get_priority_max);
	case NR_sched_getscheduler:
	case NR_sched_getparam:
	case NR_sched_rr_get_interval:
	case NR_sched_getattr:
		return small_sched_get(nr, a);
	case NR_personality:
		return small_personality(a[0]);
	case NR_sendmmsg:
	case NR_recvmmsg:
		return small_mmsg(nr == NR_recvmmsg, a);
	default:
		return persona_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}
