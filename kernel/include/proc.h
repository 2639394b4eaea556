/*
 * proc.h - processes, their address spaces and the user-memory helpers.
 *
 * A process owns an address space (struct mm), credentials, signal
 * dispositions and, from the IPC issue on, a descriptor table; its threads
 * are ordinary scheduler threads with a user context. Locking: proc_lock
 * (a mutex) guards the process tree, pids and exit/wait state; mm->lock
 * guards an address space's areas and page tables.
 */
#pragma once

#include "kernel.h"
#include "list.h"
#include "sched.h"
#include <lux/proto.h>
#include <lux/signal.h>
#include <arch.h>

/* A virtual memory area: [start, end) with one protection. */
struct vma {
	struct list link; /* in mm->vmas, sorted by start */
	uintptr_t start, end;
	unsigned prot;    /* PROT_* */
	bool shared;      /* MAP_SHARED: pages stay shared across fork */
	struct file *obj; /* a memory object's pages (a reference), or NULL */
	uint64_t pgoff;   /* the object's page that start maps */
};

struct mm {
	struct arch_as as;
	struct list vmas;
	struct mutex lock;
	unsigned refs; /* processes/threads using it (CLONE_VM, vfork) */
	uintptr_t persona_entry; /* the personality's entry, 0 if none */
};

/* mm/vm.c */
struct mm *mm_create(void);
struct mm *mm_fork(struct mm *parent);
/* Give mm the areas of parent within [lo, hi), cut to it, private pages
 * shared copy-on-write as by fork (exec keeps the personality's range):
 * 0 or -ENOMEM. */
int mm_copy(struct mm *mm, struct mm *parent, uintptr_t lo, uintptr_t hi);
void mm_put(struct mm *mm);
/* mmap/munmap/mprotect semantics of Linux for anonymous memory and
 * memory objects (obj, from its page pgoff; NULL: anonymous); return the
 * address (or 0) or a negative errno. */
long vm_map(struct mm *mm, uintptr_t addr, size_t len, unsigned prot,
	    unsigned flags, struct file *obj, uint64_t pgoff);
long vm_unmap(struct mm *mm, uintptr_t addr, size_t len);
long vm_protect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot);
/* The area containing addr, or NULL; mm->lock held. */
struct vma *vma_find(struct mm *mm, uintptr_t addr);
/* Copy len bytes into a fresh mapping at addr in mm (the personality's
 * image and the boot words, for the first process). */
int vm_fill(struct mm *mm, uintptr_t addr, const void *src, size_t len);

/* A signal disposition, laid out as Linux's rt_sigaction wants it. */
struct k_sigaction {
	uintptr_t handler; /* SIG_DFL 0, SIG_IGN 1, or a function */
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

/* What a pending signal carries into its siginfo. */
struct ksiginfo {
	int code, pid, uid, status;
	uintptr_t addr;
};

/* A piece of hardware PID 1 let a process use (LUX_NR_GRANT). */
struct grant {
	unsigned kind; /* LUX_GRANT_* */
	uint64_t base, count;
};
#define GRANTS_MAX 8

/* Linux's credentials: real, effective and saved ids, and supplementary
 * groups (sorted). Privilege is euid 0 (every capability); the file
 * servers check the effective ids, so there is no separate fsuid. */
struct ids {
	unsigned real, eff, saved;
};
struct cred {
	struct ids uid, gid;
	unsigned ngroups;
	unsigned groups[LUX_NGROUPS];
};

struct proc {
	int pid;
	struct list all_link; /* in the list of every process */
	struct proc *parent;
	struct list children, sibling;
	struct mm *mm;
	struct fdtable *files; /* its descriptors (shared with CLONE_FILES) */
	struct list threads;   /* its threads' proc_link */
	unsigned nthreads;
	bool zombie;           /* every thread has exited */
	int status;            /* wait status once a zombie */
	volatile bool exiting; /* exit_group or a fatal signal: all must go */
	int exit_status;       /* the status they go with */
	struct thread *volatile exec_thread; /* ending the others to exec */
	struct waitq child_wq; /* wait4 sleeps here for a child to change */
	volatile unsigned child_events; /* bumped when a child changes */
	struct spinlock sig_lock;       /* guards the signal state below */
	struct k_sigaction act[NSIG];
	uint64_t pending; /* process-directed signals */
	struct ksiginfo info[NSIG];
	uint8_t queued[NSIG];  /* instances of pending real-time signals */
	volatile bool stopped; /* by a stop signal, until SIGCONT */
	int stop_sig;
	int report;     /* for wait4: 1 stopped, 2 continued */
	bool tell_cont; /* continued: SIGCHLD to the parent is due */
	struct waitq stop_wq;
	struct cred cred; /* under proc_lock; its own thread reads freely */
	int pgid, sid;    /* process group and session (job control) */
	bool did_exec;    /* it called execve: setpgid by its parent fails */
	bool boot_exec;   /* its exec began before a resolver: BOOTFILE */
	bool locked;      /* it sent a LUX_LOCK: its closes send LUX_UNLOCK */
	bool subreaper;   /* its orphaned descendants come to it, not init */
	int pdeath_sig;   /* sent to it when its parent (thread) goes */
	int pdeath_tid;   /* that thread: 0 after CLONE_PARENT */
	struct grant grants[GRANTS_MAX]; /* kept by execve, not by fork */
	unsigned ngrants;
	struct arch_io *io; /* its I/O port permissions, or NULL */
	unsigned umask;     /* cleared from the mode of files it creates */
	char *cwd;          /* absolute and clean; NULL: "/"; under sig_lock */
	struct file *exe;   /* its program (a reference) or NULL; proc_lock */
	char *root;         /* chroot's: the same form; NULL: "/" */
	int nice;
	uint64_t rlim[16][2]; /* resource limits: soft, hard */
	struct timer alarm;   /* ITIMER_REAL */
	uint64_t alarm_interval;
	char name[16];
	uint64_t start_ns;          /* arch_clock_ns() at its creation */
	uint64_t cpu_done_ns;       /* run time of its threads that exited */
	uint64_t cpu_child_ns;      /* run time of its reaped children */
	uint64_t cpu_child_user_ns; /* the user part of cpu_child_ns */
	/* its threads' cpu_sampled and cpu_user summed; ITIMER_VIRTUAL's and
	 * ITIMER_PROF's expiry on them (0: off) and interval (sig_lock) */
	uint64_t cpu_sampled, cpu_user, cputimer[2][2];
	unsigned cmdline_len; /* bytes of cmdline used */
	char cmdline[256];    /* argv of its last execve, NUL-separated */
};

/* sys/sysinfo.c */
/* Nanoseconds p's threads have run (proc_lock held). */
uint64_t proc_cpu_ns(struct proc *p);
/* The user part of total, p's run time, as its ticks found it. */
uint64_t proc_user_ns(struct proc *p, uint64_t total);

#define RLIMIT_CORE   4
#define RLIMIT_NPROC  6
#define RLIMIT_NOFILE 7

/* proc/proc.c */
void rlimit_defaults(struct proc *p);
/* The system's maximum of user threads (Linux's threads-max). */
unsigned proc_threads_max(void);

/* proc/persona.c: the personality (docs/decisions/0006-reflection.md). */
/* Find /lib/lux/persona in the boot image (once, before the first exec). */
void persona_init(void);
/* Map the personality into the first process's mm and set
 * mm->persona_entry (nothing if the boot image has none): 0 or a negative
 * errno. Fork and exec copy it from there on. */
int persona_map(struct mm *mm);
/* From syscall_dispatch, for a call that the kernel does not serve: make
 * the current thread enter its personality when it returns to user mode
 * (the value returned is then ignored), or return -ENOSYS when the
 * process has none or the call came from inside it. */
long persona_reflect(void);
/* From user_return, for caught signal sig (info k, action a) of t, the
 * current thread, whose user registers are f: enter t's personality to
 * run the handler, with f and mask (what the handler's return restores)
 * as its context block and a struct lux_persona_sig below it. The caller
 * blocks every signal meanwhile. 0, or -EFAULT (the process must die). */
int persona_signal(struct thread *t, struct trap_frame *f, int sig,
		   const struct ksiginfo *k, const struct k_sigaction *a,
		   uint64_t mask);
/* From user_fault, for a fault t cannot continue from: whether t was in
 * a checked copy of its personality, now resuming at the copy's fixup
 * (struct lux_persona_ctx) to fail with EFAULT. */
bool persona_fault(struct thread *t);
/* ipc/request.c: a wait the personality makes for the program (a
 * request, a socket call, the reads and writes of its sendfile) ends by
 * the program's signals, as the program's own call would.
 * persona_wait_begin, for t the current thread, sets the program's mask
 * when t is in the personality and returns the one to put back (0: not
 * in it);
 * persona_wait_end puts it back and turns -ERESTARTSYS into
 * -LUX_ERESTART_CALL, which the personality gives back to the program:
 * its handler runs once it resumes, then its call restarts (SA_RESTART)
 * or fails with EINTR (the personality's own call, restarted, would
 * wait again with every signal blocked). Inline, so that a read or write
 * pays one compare: in the personality every signal is blocked but
 * SIGKILL and SIGSTOP (kernel/proc/persona.c), and only then is the
 * program counter looked at. */
#define PERSONA_BLOCKED (~(1ULL << (SIGKILL - 1) | 1ULL << (SIGSTOP - 1)))
uint64_t persona_wait_swap(struct thread *t);
long persona_wait_restart(uint64_t mask, long r);
static inline uint64_t persona_wait_begin(struct thread *t)
{
	return t->sig_blocked == PERSONA_BLOCKED ? persona_wait_swap(t) : 0;
}
static inline long persona_wait_end(uint64_t mask, long r)
{
	return mask ? persona_wait_restart(mask, r) : r;
}
/* Whether pc lies in the personality's image. */
static inline bool persona_pc(uintptr_t pc)
{
	return pc - LUX_PERSONA_BASE < LUX_PERSONA_LIMIT - LUX_PERSONA_BASE;
}
extern struct mutex proc_lock;
/* Start the first process: its personality execs init from the initrd
 * per the command line's nwords words (NUL-separated in words,
 * BOOT_CMDLINE bytes); returns only on error. */
int proc_start_init(const char *words, unsigned nwords);
/* The first process, which inherits orphans. */
extern struct proc *init_proc;

/* proc/exit.c */
/* The last thread of p has gone: p becomes a zombie for its parent to
 * reap; its children go to the nearest subreaper ancestor or init, and
 * get their parent-death signals. proc_lock held. */
void proc_zombie(struct proc *p, int status);
/* Thread tid of p exits, not the last: the children it made get their
 * parent-death signals (Linux's rule). proc_lock held. */
void proc_pdeath(struct proc *p, int tid);
/* End every thread of p with wait status `status` (exit_group, fatal
 * signals): each leaves at its next return towards user mode. */
void proc_kill(struct proc *p, int status);

/* proc/signal.c */
/* Send sig to p (a thread of it that does not block it), or to thread t
 * alone when t is given. Returns 0. */
int signal_send(struct proc *p, struct thread *t, int sig,
		const struct ksiginfo *info);
/* The live process pid, or NULL; proc_lookup also finds a zombie (it
 * keeps its ids until reaped). proc_lock held. */
struct proc *proc_find(int pid);
struct proc *proc_lookup(int pid);
/* Block the signal set at user address uset (size bytes) until the call
 * returns to user mode, where the old mask comes back after any handler
 * ran (rt_sigsuspend, ppoll, pselect6): 0, -EINVAL or -EFAULT. */
int sigmask_swap(long uset, long size);
/* Make mask the current thread's signal mask (SIGKILL, SIGSTOP stay). */
void signal_set_mask(uint64_t mask);
void proc_register(struct proc *p);
/* Every process (struct proc.all_link); proc_lock held. */
struct list *proc_list(void);

/* proc/cred.c, proc_lock held: whether the caller may send sig to p
 * (Linux's kill rules), and whether it may change p's scheduling (its
 * euid is p's real or effective uid, or it is root). */
bool cred_may_signal(const struct proc *p, int sig);
bool cred_owns(const struct proc *p);
/* Whether the caller may read or change p's limits (prlimit64): p is the
 * caller, or its real uid and gid are all three of p's, or it is root. */
bool cred_may_limit(const struct proc *p);

/* Processes stopped by a signal now (atomic; a zombie may still count). */
extern unsigned proc_nr_stopped;

/* proc/pgrp.c: p exits (a zombie now, its children not yet moved to
 * init): groups it leaves orphaned with stopped members get SIGHUP and
 * SIGCONT. proc_lock held. */
void pgrp_exit(struct proc *p);

/* ipc/irq.c: whether p was granted hardware kind over [base, base+count)
 * (any range for LUX_GRANT_BOOTDATA); proc_lock held. */
bool proc_granted(struct proc *p, int kind, uint64_t base, uint64_t count);
/* The same for the calling process; takes proc_lock. */
bool granted(int kind, uint64_t base, uint64_t count);

/* proc/uaccess.c: checked copies between kernel and user memory.
 * user_range: whether [p, p+n) lies in the user half (no wrap). */
bool user_range(const void *p, size_t n);
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most size-1 bytes: its length, or
 * -EFAULT, or -ENAMETOOLONG when it does not fit. */
long strncpy_from_user(char *dst, const char *usrc, size_t size);

/* The initrd, until file servers exist: its contents by path. */
extern const void *initrd;
extern size_t initrd_size;
