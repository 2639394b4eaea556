/*
 * syscall.c - the Linux system-call table, and the calls small enough to
 * need no home of their own. Numbers come from the distribution's kernel
 * headers (tools/mksyscalls.py). A number without a handler here is
 * reflected to the process's personality (kernel/proc/persona.c); made
 * again from inside the personality, it returns -ENOSYS and is named on
 * the console once.
 */
#include "cpu.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/proto.h>
#include <syscall_nr.h>

typedef long (*syscall_fn)(long, long, long, long, long, long);
#define SYS_AS(name, fn) [NR_##name] = (syscall_fn)sys_##fn
#define SYS(name)        SYS_AS(name, name)

/* The portable calls; ARCH_SYSCALLS adds the platform's own. */
#define CORE_SYSCALLS                                                          \
	SYS(read), SYS(write), SYS(writev), SYS(exit), SYS(exit_group),        \
	    SYS(getpid), SYS(getppid), SYS(gettid), SYS(set_tid_address),      \
	    SYS(getrandom), SYS(prlimit64), SYS(sched_yield), SYS(mmap),       \
	    SYS(munmap), SYS(mprotect), SYS(madvise), SYS(clock_gettime),      \
	    SYS(nanosleep), SYS(futex), SYS(rt_sigaction),                     \
	    SYS(rt_sigprocmask), SYS(rt_sigpending), SYS(rt_sigsuspend),       \
	    SYS(kill), SYS(tgkill), SYS(tkill), SYS(setpriority), SYS(readv),  \
	    SYS(close), SYS(dup), SYS(dup3), SYS(fcntl), SYS(pipe2),           \
	    SYS(ppoll), SYS(eventfd2), SYS(rt_sigtimedwait), SYS(lseek),       \
	    SYS(setsid), SYS(setpgid), SYS(getpgid), SYS(getsid),              \
                                                                               \
	    SYS(umask), SYS(pread64), SYS(pwrite64), SYS(memfd_create),        \
	    SYS(fallocate), SYS(set_robust_list), SYS(get_robust_list)

static const syscall_fn table[NR_COUNT] = {CORE_SYSCALLS, ARCH_SYSCALLS};

/* lux's native calls (include/lux/proto.h), from LUX_NR_BASE on. */
#define NATIVE(nr, fn) [LUX_NR_##nr - LUX_NR_BASE] = (syscall_fn)sys_lux_##fn
#define NATIVE_SYSCALLS                                                        \
	NATIVE(CHANNEL, channel), NATIVE(RESOLVER, resolver),                  \
	    NATIVE(GRANT, grant), NATIVE(IRQ, irq),                            \
	    NATIVE(BOOTDATA, bootdata), NATIVE(PROCINFO, procinfo),            \
	    NATIVE(CPUINFO, cpuinfo), NATIVE(KLOG, klog), NATIVE(CRED, cred),  \
	    NATIVE(SETCRED, setcred), NATIVE(SYSSTAT, sysstat),                \
	    NATIVE(NAME, name), NATIVE(RESUME, resume), NATIVE(EXEC, exec),    \
	    NATIVE(BOOTFILE, bootfile), NATIVE(REQUEST, request),              \
	    NATIVE(FDPATH, fdpath), NATIVE(CHDIR, chdir),                      \
	    NATIVE(SOCKET, socket), NATIVE(SOCKMSG, sockmsg),                  \
	    NATIVE(WAIT, wait), NATIVE(REBOOT, reboot), NATIVE(ALARM, alarm),  \
	    NATIVE(MMIO, mmio), NATIVE(DMA, dma), NATIVE(HWINFO, hwinfo),      \
	    NATIVE(AFFINITY, affinity), NATIVE(UNSHARE, unshare),              \
	    NATIVE(EPOLL, epoll), NATIVE(EVENT, event),                        \
	    NATIVE(PROCCTL, procctl), NATIVE(ROOT, root),                      \
	    NATIVE(REOPEN, reopen)

static const syscall_fn native[LUX_NR_COUNT - LUX_NR_BASE] = {NATIVE_SYSCALLS};

static const char *const names[NR_COUNT] = SYSCALL_NAMES;

/* A call without a handler: reflected, or (none, or from inside the
 * personality) logged once per boot: each number below LUX_NR_COUNT once,
 * and only the first of the numbers above (a fuzzer tries many), so no
 * program can flood the console. Apart, so that the dispatch of a served
 * call needs no stack frame. */
static NOINLINE long syscall_unserved(unsigned long nr)
{
	static uint64_t reported[LUX_NR_COUNT / 64 + 1];
	unsigned long bit = MIN(nr, (unsigned long)LUX_NR_COUNT);
	long r;

	if ((r = persona_reflect()) != -ENOSYS)
		return r;
	if (!(__atomic_fetch_or(&reported[bit / 64], 1ULL << (bit % 64),
				__ATOMIC_RELAXED) &
	      (1ULL << (bit % 64))))
		kprintf("lux: %s: system call %lu (%s) is not implemented\n",
			current_proc()->name, nr,
			nr < NR_COUNT && names[nr] ? names[nr] : "unknown");
	return -ENOSYS;
}

long syscall_dispatch(unsigned long nr, const long a[6])
{
	if (nr < NR_COUNT && table[nr])
		return table[nr](a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr >= LUX_NR_BASE && nr < LUX_NR_COUNT && native[nr - LUX_NR_BASE])
		return native[nr - LUX_NR_BASE](a[0], a[1], a[2], a[3], a[4],
						a[5]);
	return syscall_unserved(nr);
}

long sys_getpid(void)
{
	return current_proc()->pid;
}

long sys_getppid(void)
{
	struct proc *parent = current_proc()->parent;
	return parent ? parent->pid : 0;
}

long sys_gettid(void)
{
	return current_thread()->tid;
}

long sys_set_tid_address(long tidptr)
{
	current_thread()->clear_child_tid = tidptr;
	return current_thread()->tid;
}

long sys_getrandom(long ubuf, long len, long flags)
{
	char buf[256];
	long done = 0;

	if (flags & ~7)
		return -EINVAL;
	while (done < len) {
		long n = MIN(len - done, (long)sizeof(buf));
		random_bytes(buf, n);
		if (copy_to_user((char *)ubuf + done, buf, n))
			return done ? done : -EFAULT;
		done += n;
	}
	return done;
}

#define RLIMIT_STACK 3
#define RLIMIT_NICE  13
#define RLIM_COUNT   16

/* Limits are kept and inherited; lux enforces the stack size at exec,
 * the descriptor count and (proc.c) the tasks of a uid, whose default is
 * Linux's: half the system's maximum. */
void rlimit_defaults(struct proc *p)
{
	for (int i = 0; i < RLIM_COUNT; i++)
		p->rlim[i][0] = p->rlim[i][1] = ~0ULL;
	p->rlim[RLIMIT_STACK][0] = 8 * MiB;
	p->rlim[RLIMIT_CORE][0] = 0; /* Linux's: no core unless asked */
	p->rlim[RLIMIT_NICE][0] = p->rlim[RLIMIT_NICE][1] = 0; /* as Linux */
	p->rlim[RLIMIT_NOFILE][0] = p->rlim[RLIMIT_NOFILE][1] = 1024;
	p->rlim[RLIMIT_NPROC][0] = p->rlim[RLIMIT_NPROC][1] =
	    proc_threads_max() / 2;
}

/* Read and set a limit of the caller or (pid) of another process it may
 * change: 0, -ESRCH, -EPERM, -EINVAL or -EFAULT. */
long sys_prlimit64(long pid, long resource, long unew, long uold)
{
	uint64_t lim[2], old[2];
	struct proc *p;
	long r = 0;

	if (resource < 0 || resource >= RLIM_COUNT)
		return -EINVAL;
	if (unew && copy_from_user(lim, (void *)unew, sizeof(lim)))
		return -EFAULT;
	if (unew && lim[0] > lim[1])
		return -EINVAL;
	mutex_lock(&proc_lock);
	p = (int)pid ? proc_find((int)pid) : current_proc();
	if (!p)
		r = -ESRCH;
	else if (!cred_may_limit(p))
		r = -EPERM;
	else if (unew && lim[1] > p->rlim[resource][1] &&
		 current_proc()->cred.uid.eff)
		r = -EPERM; /* only root raises a hard limit */
	if (!r) {
		memcpy(old, p->rlim[resource], sizeof(old));
		if (unew)
			memcpy(p->rlim[resource], lim, sizeof(lim));
	}
	mutex_unlock(&proc_lock);
	if (!r && uold && copy_to_user((void *)uold, old, sizeof(old)))
		return -EFAULT;
	return r;
}

long sys_sched_yield(void)
{
	sched_yield();
	return 0;
}

/* Affinity and priority act on the calling thread or, by id, on any
 * thread; nice values -20..19 map onto priorities 52..13. */
struct thread *thread_by_tid(long tid)
{
	struct list *it, *jt;
	struct list *procs = proc_list();

	if (!tid || tid == current_thread()->tid)
		return current_thread();
	list_for_each(it, procs)
	    list_for_each(jt, &container_of(it, struct proc, all_link)->threads)
	{
		struct thread *t = container_of(jt, struct thread, proc_link);
		if (t->tid == tid)
			return t;
	}
	return NULL;
}

/* LUX_NR_AFFINITY: see include/lux/proto.h. */
long sys_lux_affinity(long tid, long set, long mask, long uold)
{
	uint64_t old = 0;
	struct thread *t;
	long r = -ESRCH;

	mutex_lock(&proc_lock);
	if ((t = thread_by_tid(tid))) {
		old = t->rq.affinity & sched_online_mask();
		r = !set                 ? 0
		    : cred_owns(t->proc) ? thread_set_affinity(t, mask)
					 : -EPERM;
	}
	mutex_unlock(&proc_lock);
	if (!r && uold && copy_to_user((void *)uold, &old, 8))
		r = -EFAULT;
	return r ? r : this_cpu()->id;
}

#define PRIO_PROCESS 0

/* Set the nice value of process who (0: the caller): -ESRCH, -EPERM for
 * another user's process, -EACCES for a nice value below the current one
 * that RLIMIT_NICE does not allow, unless the caller is root. */
long sys_setpriority(long which, long who, long nice)
{
	struct proc *p;
	struct list *it;
	long r = 0;

	if (which != PRIO_PROCESS)
		return -EINVAL; /* groups and users: with job control */
	nice = MAX(-20, MIN(19, nice));
	mutex_lock(&proc_lock);
	p = who ? proc_find(who) : current_proc();
	if (!p)
		r = -ESRCH;
	else if (!cred_owns(p))
		r = -EPERM;
	else if (nice < p->nice && current_proc()->cred.uid.eff &&
		 (uint64_t)(20 - nice) > p->rlim[RLIMIT_NICE][0])
		r = -EACCES;
	else {
		p->nice = nice; /* the base of PI's boosts (futex.c) */
		list_for_each(it, &p->threads)
		    futex_pi_prio(container_of(it, struct thread, proc_link));
	}
	mutex_unlock(&proc_lock);
	return r;
}

/* The calling thread's name: set from the string at uname (on the main
 * thread the process's too, as Linux's /proc/PID/comm) or copied out. */
long sys_lux_name(long uname, long set)
{
	struct thread *t = current_thread();
	char name[16];

	if (!set)
		return copy_to_user((void *)uname, t->name, sizeof(t->name));
	if (strncpy_from_user(name, (char *)uname, sizeof(name)) == -EFAULT)
		return -EFAULT;
	name[sizeof(name) - 1] = '\0';
	strlcpy(t->name, name, sizeof(t->name));
	if (t->tid == current_proc()->pid)
		strlcpy(current_proc()->name, name, sizeof(name));
	return 0;
}
