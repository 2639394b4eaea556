/*
 * proc.c - processes: the first one, fork/clone, a thread's exit and
 * exec's point of no return (exit status and wait4: exit.c). The personality loads programs
 * (docs/decisions/0008-exec-in-the-personality.md): through their file
 * server once PID 1 named a resolver, from the initrd before (lumen starts
 * ramfs that way), for which the kernel lends it LUX_NR_BOOTFILE.
 */
#include "chan.h"
#include "boot.h"
#include "cpu.h"
#include "exec.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/mman.h>
#include <lux/signal.h>

#define CLONE_VM             0x100
#define CLONE_FILES          0x400
#define CLONE_VFORK          0x4000
#define CLONE_PARENT         0x8000
#define CLONE_THREAD         0x10000
#define CLONE_SETTLS         0x80000
#define CLONE_PARENT_SETTID  0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID   0x1000000

struct mutex proc_lock = {
    NULL, {SPINLOCK_INIT, LIST_INIT(proc_lock.wq.waiters), 0, NULL}};
struct proc *init_proc;
static void vfork_release(struct thread *t);
static int next_pid = 1;
const void *initrd;
size_t initrd_size;

static uint64_t random_state;

/* Not cryptographic yet: a SplitMix64 stream seeded from the clock. */
void random_bytes(void *buf, size_t n)
{
	uint8_t *b = buf;

	for (size_t i = 0; i < n; i++) {
		uint64_t z = __atomic_add_fetch(
		    &random_state, 0x9e3779b97f4a7c15 + arch_clock_ns(),
		    __ATOMIC_RELAXED);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
		b[i] = (uint8_t)(z ^ (z >> 31));
	}
}

/* Find the file at the absolute path in the initrd, following symbolic
 * links (up to 8). */
static int initrd_open(const char *path, const void **data, size_t *len,
		       uint32_t *mode)
{
	char buf[2][256];

	for (int hop = 0; hop < 8; hop++) {
		if (path[0] != '/')
			return -ENOENT;
		int r =
		    cpio_find(initrd, initrd_size, path + 1, data, len, mode);
		if (r || LUX_S_ISREG(*mode))
			return r;
		if (!LUX_S_ISLNK(*mode) || *len >= sizeof(buf[0]))
			return -EACCES;
		/* a relative target is relative to the link's directory */
		char *next = buf[hop & 1];
		size_t dir = 0;
		if (*(const char *)*data != '/')
			for (size_t i = 0; path[i]; i++)
				if (path[i] == '/')
					dir = i + 1;
		if (dir + *len >= sizeof(buf[0]))
			return -ENAMETOOLONG;
		memmove(next, path, dir);
		memcpy(next + dir, *data, *len);
		next[dir + *len] = '\0';
		path = next;
	}
	return -ELOOP;
}

/* Make the current thread run in mm from now on. */
static void switch_mm(struct proc *p, struct mm *mm)
{
	struct mm *old = p->mm;

	mutex_lock(&proc_lock); /* PROCINFO reads other processes' mm */
	p->mm = mm;
	mutex_unlock(&proc_lock);
	arch_use_as(&current_thread()->ctx, mm ? &mm->as : NULL);
	if (old)
		mm_put(old);
}

/* A copy of the string s, or NULL (s NULL, or no memory). */
static char *proc_strdup(const char *s)
{
	char *d = s ? kmalloc(strlen(s) + 1) : NULL;

	if (d)
		strlcpy(d, s, strlen(s) + 1);
	return d;
}

/* p's copies of parent's current directory and root (chroot): false when
 * the root, which confines p, could not be copied. */
static bool proc_copy_dirs(struct proc *p, struct proc *parent)
{
	spin_lock(&parent->sig_lock);
	p->cwd = proc_strdup(parent->cwd);
	p->root = proc_strdup(parent->root);
	spin_unlock(&parent->sig_lock);
	return p->root || !parent->root;
}

/* A new process made by parent (its child, or with sibling its
 * parent's child: CLONE_PARENT), or the first one (parent NULL). */
static struct proc *proc_alloc(struct proc *parent, bool sibling)
{
	struct proc *p = kzalloc(sizeof(*p));

	if (!p || (parent && !proc_copy_dirs(p, parent))) {
		kfree(p ? p->cwd : NULL);
		kfree(p);
		return NULL;
	}
	list_init(&p->children);
	list_init(&p->threads);
	waitq_init(&p->child_wq);
	mutex_lock(&proc_lock);
	p->pid = next_pid++;
	p->parent = parent && sibling ? parent->parent : parent;
	p->pgid = p->sid = p->pid; /* init leads its own session */
	p->umask = 022;
	p->start_ns = arch_clock_ns();
	proc_register(p);
	if (parent) {
		list_push_back(&p->parent->children, &p->sibling);
		p->cred = parent->cred;
		p->pgid = parent->pgid;
		p->sid = parent->sid;
		p->umask = parent->umask;
		strlcpy(p->name, parent->name, sizeof(p->name));
		memcpy(p->cmdline, parent->cmdline, sizeof(p->cmdline));
		if ((p->exe = parent->exe))
			file_get(p->exe);
		p->cmdline_len = parent->cmdline_len;
		memcpy(p->act, parent->act, sizeof(p->act));
		memcpy(p->rlim, parent->rlim, sizeof(p->rlim));
		p->nice = parent->nice; /* its threads' base priority */
	}
	mutex_unlock(&proc_lock);
	return p;
}

static unsigned nr_threads; /* user threads alive, under proc_lock */

/* The system's maximum of user threads, Linux's threads-max: kernel
 * stacks may take a sixteenth of memory (Linux: an eighth; a lux process
 * also has its own page tables). */
unsigned proc_threads_max(void)
{
	return (unsigned)MAX(pmm_total_pages() / (16 * KSTACK_SIZE / PAGE_SIZE),
			     64);
}

/* May p get one more thread? -EAGAIN past the system's maximum, or when
 * the tasks of p's real uid reach its RLIMIT_NPROC (root is exempt), as
 * on Linux. Counts it when it may. proc_lock held. */
static int thread_count_add(struct proc *p)
{
	uint64_t mine = 0;
	struct list *it;

	if (nr_threads >= proc_threads_max())
		return -EAGAIN;
	if (p->cred.uid.eff && p->rlim[RLIMIT_NPROC][0] <= nr_threads) {
		list_for_each(it, proc_list())
		{
			struct proc *q =
			    container_of(it, struct proc, all_link);
			mine += q->cred.uid.real == p->cred.uid.real
				    ? q->nthreads
				    : 0;
		}
		if (mine >= p->rlim[RLIMIT_NPROC][0])
			return -EAGAIN;
	}
	nr_threads++;
	return 0;
}

/* Make t a thread of p running in p's address space. */
static int attach(struct proc *p, struct thread *t, const struct thread *from)
{
	int r = arch_thread_user(&t->ctx, &p->mm->as, from ? &from->ctx : NULL);

	if (r)
		return r;
	mutex_lock(&proc_lock);
	if ((r = thread_count_add(p))) {
		mutex_unlock(&proc_lock);
		return r;
	}
	t->proc = p;
	t->tid = p->nthreads ? next_pid++ : p->pid; /* a process's first */
	t->sig_blocked = from ? from->sig_blocked : 0;
	t->detached = true;
	arch_use_io(&t->ctx, p->io);
	spin_lock(&p->sig_lock); /* signal senders walk the threads */
	list_push_back(&p->threads, &t->proc_link);
	spin_unlock(&p->sig_lock);
	p->nthreads++;
	mutex_unlock(&proc_lock);
	return 0;
}

static void enter_user(void *unused)
{
	struct thread *t = current_thread();

	(void)unused;
	if (t->set_child_tid)
		copy_to_user((void *)t->set_child_tid, &t->tid, sizeof(int));
	arch_enter_user(arch_uregs(&t->ctx));
}

int proc_start_init(const char *words, unsigned nwords)
{
	struct thread *self = current_thread();
	struct proc *p = proc_alloc(NULL, false);
	long a[6] = {0, nwords, BOOT_CMDLINE};
	int r;

	struct file *console = console_file();
	if (!p || !(p->mm = mm_create()) || !console ||
	    !(p->files = fdtable_create()))
		return -ENOMEM;
	for (int fd = 0; fd < 3; fd++) { /* stdin, stdout, stderr */
		p->files->fd[fd] = console;
		if (fd)
			file_get(console);
	}
	init_proc = p;
	rlimit_defaults(p);
	persona_init();
	if ((r = attach(p, self, NULL)) < 0 || (r = persona_map(p->mm)) < 0)
		return r;
	/* the words, for the personality's execve of init (LUX_NR_BOOTFILE) */
	if ((a[0] = vm_map(p->mm, 0, BOOT_CMDLINE, PROT_READ,
			   MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0)) < 0 ||
	    (r = vm_fill(p->mm, a[0], words, BOOT_CMDLINE)) < 0)
		return a[0] < 0 ? (int)a[0] : r;
	arch_uregs_init(arch_uregs(&self->ctx), 0, 0);
	arch_uregs_set_call(arch_uregs(&self->ctx), LUX_NR_BOOTFILE, a[0], a[1],
			    a[2]);
	if ((r = (int)persona_reflect()) < 0)
		return r;
	enter_user(NULL);
	return 0;
}

/* Undo a clone that failed halfway: t never ran. */
static void clone_undo(struct proc *parent, struct proc *p, struct thread *t)
{
	mutex_lock(&proc_lock);
	spin_lock(&p->sig_lock);
	list_remove(&t->proc_link); /* a no-op if never attached */
	spin_unlock(&p->sig_lock);
	if (p != parent) {
		list_remove(&p->sibling);
		list_remove(&p->all_link);
	}
	mutex_unlock(&proc_lock);
	if (p != parent) {
		if (p->mm)
			mm_put(p->mm);
		fdtable_put(p->files);
		kfree(p->cwd);
		if (p->exe)
			file_put(p->exe);
		kfree(p->root);
		kfree(p);
	}
	thread_free(t);
}

/* The vfork link between a waiting thread and its child thread is cut,
 * under proc_lock, by whichever ends first. */
static void vfork_cut(struct thread *parent)
{
	if (parent->vfork_child)
		parent->vfork_child->vfork_parent = NULL;
	parent->vfork_child = NULL;
}

/* The wait of a CLONE_VFORK caller ends when its child thread (a thread
 * of a new process or of its own) execs or exits, or when the caller's
 * process must end (a fatal signal, exit_group, another thread's exec). */
static bool vfork_ended(void *arg)
{
	struct thread *self = arg;
	struct proc *p = self->proc;

	return !self->vfork_child || p->exiting ||
	       (p->exec_thread && p->exec_thread != self);
}

static void vfork_wait(struct thread *self)
{
	wait_until(&self->proc->child_wq, vfork_ended, self, 0);
	mutex_lock(&proc_lock);
	vfork_cut(self);
	mutex_unlock(&proc_lock);
}

/* A new process p's address space and descriptor table: the parent's
 * shared (CLONE_VM, CLONE_FILES) or copies (NULL: no memory). Set under
 * proc_lock, as p is already visible to PROCINFO, which reads them. */
static void clone_share(struct proc *parent, struct proc *p,
			unsigned long flags)
{
	struct mm *mm = parent->mm;
	struct fdtable *files = parent->files;

	if (flags & CLONE_VM)
		__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
	else
		mm = mm_fork(mm);
	if (flags & CLONE_FILES)
		__atomic_add_fetch(&files->refs, 1, __ATOMIC_RELAXED);
	else
		files = fdtable_copy(files);
	mutex_lock(&proc_lock);
	p->mm = mm, p->files = files;
	mutex_unlock(&proc_lock);
}

long do_clone(unsigned long flags, uintptr_t sp, int *ptid, int *ctid,
	      uintptr_t tls)
{
	struct thread *self = current_thread(), *t;
	struct proc *parent = current_proc(), *p = parent;
	int r = -ENOMEM;

	if (((flags & CLONE_THREAD) && !(flags & CLONE_VM)) ||
	    ((flags & CLONE_PARENT) && parent == init_proc))
		return -EINVAL;
	if ((flags & CLONE_SETTLS) && tls >= USER_TOP)
		return -EPERM; /* as arch_prctl: FS_BASE must be canonical */
	t = thread_alloc(self->name, enter_user, NULL, PRIO_DEFAULT - p->nice,
			 self->rq.affinity);
	if (!t)
		return -ENOMEM;
	if (!(flags & CLONE_THREAD) &&
	    !(p = proc_alloc(parent, flags & CLONE_PARENT))) {
		thread_free(t);
		return -ENOMEM;
	}
	if (p != parent && !(flags & CLONE_PARENT))
		p->pdeath_tid = self->tid;
	if (p != parent)
		clone_share(parent, p, flags);
	arch_fpu_sync(&self->ctx);
	if (!p->mm || !p->files || (r = attach(p, t, self)) < 0) {
		clone_undo(parent, p, t);
		return r;
	}
	arch_uregs_set(arch_uregs(&t->ctx), 0, sp);
	if (flags & CLONE_SETTLS)
		arch_set_tls(&t->ctx, tls);
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (uintptr_t)ctid;
	if (flags & CLONE_CHILD_SETTID)
		t->set_child_tid = (uintptr_t)ctid;
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(ptid, &t->tid, sizeof(int)); /* errors ignored */
	r = t->tid;
	if (flags & CLONE_VFORK) {
		self->vfork_child = t; /* t has not started: no lock needed */
		t->vfork_parent = self;
	}
	thread_start(t);
	if (flags & CLONE_VFORK)
		vfork_wait(self);
	return r;
}

/* t execs or exits: a thread waiting for it (vfork) may go on. */
static void vfork_release(struct thread *t)
{
	struct thread *parent;

	mutex_lock(&proc_lock);
	if ((parent = t->vfork_parent)) {
		vfork_cut(parent);
		waitq_wake_all(&parent->proc->child_wq);
	}
	mutex_unlock(&proc_lock);
}

NORETURN void thread_exit_user(int status)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	struct mm *mm = NULL;
	int zero = 0;
	bool last;

	futex_robust_exit(t);
	if (t->clear_child_tid &&
	    copy_to_user((void *)t->clear_child_tid, &zero, sizeof(zero)) == 0)
		futex_wake((void *)t->clear_child_tid, 1);
	/* off the page tables before the last thread may free them */
	arch_use_as(&t->ctx, NULL);
	mutex_lock(&proc_lock);
	spin_lock(&p->sig_lock);
	list_remove(&t->proc_link);
	spin_unlock(&p->sig_lock);
	last = --p->nthreads == 0;
	nr_threads--;
	if (!last)
		proc_pdeath(p, t->tid);
	p->cpu_done_ns += t->runtime + (arch_clock_ns() - t->ran_since);
	if (last) { /* PROCINFO reads p->mm under proc_lock */
		mm = p->mm;
		p->mm = NULL;
	}
	if (p->exec_thread)
		waitq_wake_all(&p->stop_wq);
	mutex_unlock(&proc_lock);
	futex_pi_exit(t); /* nobody finds it by its tid now */
	vfork_release(t);
	if (last) {
		alarm_cancel(p);
		fdtable_put(p->files); /* pipe ends close: readers see EOF */
		p->files = NULL;
		sigio_flush(); /* and their owners SIGIO */
		if (p->exe)
			file_put(p->exe);
		p->exe = NULL;
		kfree(p->cwd);
		kfree(p->root);
		p->cwd = p->root = NULL;
		mm_put(mm);
		mutex_lock(&proc_lock);
		proc_zombie(p, status);
		mutex_unlock(&proc_lock);
	}
	thread_exit();
}

long sys_exit(long code)
{
	thread_exit_user((code & 0xff) << 8);
}

long sys_exit_group(long code)
{
	proc_kill(current_proc(), (code & 0xff) << 8);
	thread_exit_user((code & 0xff) << 8);
}

static bool alone(void *p)
{
	return ((struct proc *)p)->nthreads == 1;
}

/* execve in a process with several threads ends the others first. */
static int end_other_threads(void)
{
	struct proc *p = current_proc();
	struct list *it;

	mutex_lock(&proc_lock);
	if (p->exec_thread) { /* two threads exec at once: one wins */
		mutex_unlock(&proc_lock);
		return -EAGAIN;
	}
	p->exec_thread = current_thread();
	spin_lock(&p->sig_lock);
	list_for_each(it, &p->threads)
	{
		struct thread *t = container_of(it, struct thread, proc_link);
		t->interrupt = t != current_thread();
		sched_wake(t);
	}
	spin_unlock(&p->sig_lock);
	mutex_unlock(&proc_lock);
	wait_until(&p->stop_wq, alone, p, 0);
	return 0;
}

/* Reset what exec resets for the current thread t of p, now in mm, and
 * name the process: name (NUL-terminated), command line cmd (len bytes). */
static void exec_reset(struct proc *p, struct thread *t, struct mm *mm,
		       const char *name, const char *cmd, size_t len)
{
	for (int sig = 1; sig < NSIG; sig++) /* handlers go; ignoring stays */
		if (p->act[sig].handler != SIG_IGN)
			p->act[sig] = (struct k_sigaction){0};
	t->persona_mm = mm; /* its stack slot came along */
	strlcpy(p->name, name, sizeof(p->name));
	strlcpy(t->name, name, sizeof(p->name));
	memcpy(p->cmdline, cmd, len);
	p->cmdline_len = len;
	p->did_exec = true; /* before a pipe can close */
	fdtable_close_on_exec(p->files);
	arch_thread_user(&t->ctx, &mm->as, NULL); /* FPU and TLS: initial */
}

long sys_lux_exec(long uname, long ucmd, long len, long fd)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	uintptr_t slot = LUX_PERSONA_STACKS_TOP -
			 (kstack_slot(t->kstack) + 1) * LUX_PERSONA_SLOT;
	char name[16], cmd[sizeof(p->cmdline)];
	struct chan *resolver;
	struct mm *mm;
	long r;

	if (len < 0 || len > (long)sizeof(cmd))
		return -EINVAL;
	if (strncpy_from_user(name, (const char *)uname, sizeof(name)) ==
		-EFAULT ||
	    copy_from_user(cmd, (const void *)ucmd, len))
		return -EFAULT;
	name[sizeof(name) - 1] = '\0';
	if ((r = end_other_threads()) < 0)
		return r;
	if (!(mm = mm_create()) ||
	    mm_copy(mm, p->mm, slot, slot + LUX_PERSONA_SLOT) ||
	    mm_copy(mm, p->mm, LUX_PERSONA_BASE, LUX_PERSONA_LIMIT)) {
		if (mm)
			mm_put(mm);
		p->exec_thread = NULL;
		return -ENOMEM;
	}
	mm->persona_entry = p->mm->persona_entry;
	if ((resolver = chan_resolver())) /* it still reads the boot image */
		chan_put(resolver);
	p->boot_exec = !resolver;
	futex_robust_exit(t); /* the old image's locks die with it */
	futex_pi_exit(t);
	struct file *exe = fd_get(fd), *old;
	if (exe && !LUX_S_ISREG(exe->mode)) /* never a pipe kept hidden */
		file_put(exe), exe = NULL;
	mutex_lock(&proc_lock); /* PROCINFO reads p->exe */
	old = p->exe, p->exe = exe;
	mutex_unlock(&proc_lock);
	if (old)
		file_put(old);
	switch_mm(p, mm);
	exec_reset(p, t, mm, name, cmd, len);
	p->exec_thread = NULL;
	vfork_release(t);
	return 0;
}

/* The file LUX_NR_BOOTFILE found last: an exec reads one file in a few
 * calls, and each search walks the archive. Under boot_lock. */
static struct spinlock boot_lock = SPINLOCK_INIT;
static char boot_path[256];
static const void *boot_data;
static size_t boot_size;
static uint32_t boot_mode;

long sys_lux_bootfile(long upath, long off, long ubuf, long len)
{
	struct chan *resolver = chan_resolver();
	const void *data;
	char path[256];
	size_t size;
	uint32_t mode;
	long r;

	if (resolver) /* the file system serves programs now */
		chan_put(resolver);
	if (resolver && !current_proc()->boot_exec)
		return -ENOENT;
	if ((r = strncpy_from_user(path, (const char *)upath, sizeof(path))) <
	    0)
		return r;
	spin_lock(&boot_lock);
	bool found = boot_data && !strcmp(path, boot_path);
	data = boot_data, size = boot_size, mode = boot_mode;
	spin_unlock(&boot_lock);
	if (!found && (r = initrd_open(path, &data, &size, &mode)))
		return r;
	spin_lock(&boot_lock);
	strlcpy(boot_path, path, sizeof(boot_path));
	boot_data = data, boot_size = size, boot_mode = mode;
	spin_unlock(&boot_lock);
	if (!(mode & 0111))
		return -EACCES;
	if (off < 0 || len < 0)
		return -EINVAL;
	if (!len || (size_t)off >= size)
		return len ? 0 : (long)size;
	len = MIN((size_t)len, size - off);
	return copy_to_user((void *)ubuf, (const char *)data + off, len) ?: len;
}
