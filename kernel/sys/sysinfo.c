/*
 * sysinfo.c - what the system says about itself: the raw figures of
 * sysinfo, times and getrusage (SYSSTAT; the personality makes the Linux
 * calls of them), the native PROCINFO and CPUINFO that procfs serves, the
 * boot image for ramfs (BOOTDATA), and stopping the machine (REBOOT; the
 * personality makes Linux's reboot of it). Run time splits into user and
 * system time as the ticks found it (docs/decisions/0035-cpu-timers.md).
 */
#include "chan.h"
#include "cpu.h"
#include "file.h"
#include "mm.h"
#include "proc.h"
#include "syscall.h"
#include <lux/errno.h>
#include <lux/proto.h>

#define NS 1000000000ULL

/* A thread's run time, counting the turn it may be having now. */
static uint64_t thread_cpu_ns(const struct thread *t)
{
	uint64_t now = arch_clock_ns(), since = t->ran_since;

	return t->runtime +
	       (t->state == THREAD_RUNNING && now > since ? now - since : 0);
}

uint64_t proc_cpu_ns(struct proc *p)
{
	uint64_t ns = p->cpu_done_ns;
	struct list *it;

	list_for_each(it, &p->threads) ns +=
	    thread_cpu_ns(container_of(it, struct thread, proc_link));
	return ns;
}

/* The user part of total ns of run time, in the proportion user of
 * sampled that the ticks found; all of it before the first tick. */
static uint64_t user_part(uint64_t total, uint64_t user, uint64_t sampled)
{
	while (sampled >> 20)
		user >>= 1, sampled >>= 1;
	return sampled
		   ? total / sampled * user + total % sampled * user / sampled
		   : total;
}

uint64_t proc_user_ns(struct proc *p, uint64_t total)
{
	return user_part(total, p->cpu_user, p->cpu_sampled);
}

/* One letter for p's state (proc(5)); proc_lock held. */
static char proc_state(struct proc *p)
{
	struct list *it;

	if (p->zombie)
		return 'Z';
	if (p->stopped)
		return 'T';
	list_for_each(it, &p->threads)
	{
		enum thread_state s =
		    container_of(it, struct thread, proc_link)->state;
		if (s != THREAD_BLOCKED && s != THREAD_DEAD)
			return 'R';
	}
	return 'S';
}

static void count_page(void *arg, uintptr_t va, uint64_t pa, unsigned prot)
{
	(void)va, (void)pa, (void)prot;
	(*(uint64_t *)arg)++;
}

/* Fill in vsize and rss from mm (which the caller holds a reference to). */
static void mm_sizes(struct mm *mm, struct lux_procinfo *info)
{
	struct list *it;

	mutex_lock(&mm->lock);
	list_for_each(it, &mm->vmas)
	{
		struct vma *v = container_of(it, struct vma, link);
		info->vsize += v->end - v->start;
		arch_ufor_each(&mm->as, v->start, v->end, count_page,
			       &info->rss);
	}
	mutex_unlock(&mm->lock);
}

#define ITEM_BUF (LUX_PATH_MAX + sizeof(struct lux_fdinfo))
#define MAPS_MAX 64

/* Under proc_lock, what item of p needs: its text in buf (CWD; TASKS:
 * the tids that fit in cap bytes) or a reference to its file (EXE, FD)
 * or address space (MAPS). Bytes in buf, or -errno. */
static long item_grab(struct proc *p, int item, char *buf, size_t cap,
		      struct file **f, struct mm **mm)
{
	struct list *it;
	size_t n = 0;

	spin_lock(&p->sig_lock);
	if (item == LUX_PROCINFO_CWD)
		n = strlcpy(buf, p->cwd ? p->cwd : "/", LUX_PATH_MAX) + 1;
	list_for_each(it, &p->threads) if (item == LUX_PROCINFO_TASKS &&
					   n + 4 <= cap)
	{
		int tid = container_of(it, struct thread, proc_link)->tid;
		memcpy(buf + n, &tid, 4), n += 4;
	}
	spin_unlock(&p->sig_lock);
	if (item == LUX_PROCINFO_MAPS)
		__atomic_add_fetch(&(*mm = p->mm)->refs, 1, __ATOMIC_RELAXED);
	if (item >= LUX_PROCINFO_FD && item < LUX_PROCINFO_FD + FD_MAX) {
		spin_lock(&p->files->lock);
		*f = p->files->fd[item - LUX_PROCINFO_FD];
		spin_unlock(&p->files->lock);
	} else if (item == LUX_PROCINFO_EXE) {
		*f = p->exe;
	} else if (item < LUX_PROCINFO_CWD || item > LUX_PROCINFO_TASKS) {
		return -EINVAL;
	}
	if (*f)
		file_get(*f);
	return item == LUX_PROCINFO_EXE && !*f  ? -ENOENT
	       : item >= LUX_PROCINFO_FD && !*f ? -EBADF
						: (long)n;
}

/* An EXE or FD item's text of file f into buf: its length. */
static long item_file(struct file *f, int item, char *buf)
{
	struct lux_fdinfo fi = {
	    .mode = f->mode, .flags = f->flags, .ino = (uintptr_t)f->priv >> 4};
	const char *path = f->ops->name ? f->ops->name : "";
	size_t head = item == LUX_PROCINFO_EXE ? 0 : sizeof(fi);

	rfile_info(f, NULL, NULL, &path);
	memcpy(buf, &fi, head);
	return head + strlcpy(buf + head, path, LUX_PATH_MAX) + 1;
}

/* MAPS: up to n areas of mm, from the first that ends above addr. */
static long item_maps(struct mm *mm, uint64_t addr, struct lux_mapinfo *m,
		      size_t n)
{
	struct list *it;
	size_t i = 0;

	mutex_lock(&mm->lock);
	list_for_each(it, &mm->vmas)
	{
		struct vma *v = container_of(it, struct vma, link);
		if (v->end > addr && i < n)
			m[i++] = (struct lux_mapinfo){
			    v->start, v->end, v->pgoff,
			    (v->prot & 7) | v->shared << 3};
	}
	mutex_unlock(&mm->lock);
	return i * sizeof(*m);
}

/* LUX_NR_PROCINFO's items (include/lux/proto.h). */
static long procinfo_item(int pid, long ubuf, int item, long size)
{
	char *buf = size >= 0 ? kmalloc(ITEM_BUF) : NULL;
	struct file *f = NULL;
	struct mm *mm = NULL;
	uint64_t addr = 0;
	struct proc *p;
	long r;

	if (!buf)
		return size < 0 ? -EINVAL : -ENOMEM;
	if (item == LUX_PROCINFO_MAPS &&
	    copy_from_user(&addr, (void *)ubuf, sizeof(addr))) {
		kfree(buf);
		return -EFAULT;
	}
	mutex_lock(&proc_lock);
	p = proc_find(pid);
	r = !p || !p->nthreads ? -ESRCH /* mm, files: set, not yet gone */
	    : item != LUX_PROCINFO_TASKS && !cred_may_limit(p)
		? -EACCES
		: item_grab(p, item, buf, MIN((size_t)size, ITEM_BUF), &f, &mm);
	mutex_unlock(&proc_lock);
	if (f)
		r = item_file(f, item, buf), file_put(f);
	if (mm)
		r = item_maps(mm, addr, (void *)buf,
			      MIN(size / sizeof(struct lux_mapinfo), MAPS_MAX)),
		mm_put(mm);
	if (r > size)
		r = -ERANGE;
	else if (r > 0 && copy_to_user((void *)ubuf, buf, r))
		r = -EFAULT;
	kfree(buf);
	return r;
}

/* LUX_NR_REOPEN: see include/lux/proto.h. */
long sys_lux_reopen(long pid, long fd, long flags)
{
	struct file *f = NULL;
	struct mm *mm = NULL;
	struct proc *p;
	long r;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	mutex_lock(&proc_lock);
	p = proc_find((int)pid);
	r = !p || !p->nthreads ? -ESRCH
	    : !cred_may_limit(p)
		? -EACCES
		: item_grab(p, LUX_PROCINFO_FD + fd, NULL, 0, &f, &mm);
	mutex_unlock(&proc_lock);
	if (r >= 0)
		r = pipe_reopen(f, flags);
	file_put(f);
	return r;
}

long sys_lux_procinfo(long lpid, long uinfo, long item, long size)
{
	int pid = lpid;
	struct lux_procinfo info = {0};
	struct proc *p = NULL;
	struct mm *mm = NULL;
	struct list *it;

	if ((int)item) /* an int: a variadic caller's upper half is junk */
		return procinfo_item(pid, uinfo, item, size);
	mutex_lock(&proc_lock);
	list_for_each(it, proc_list()) /* in pid order */
	{
		p = container_of(it, struct proc, all_link);
		if (p->pid >= pid)
			break;
		p = NULL;
	}
	if (p) {
		info = (struct lux_procinfo){.pid = p->pid,
					     .ppid =
						 p->parent ? p->parent->pid : 0,
					     .pgid = p->pgid,
					     .sid = p->sid,
					     .uid = p->cred.uid.eff,
					     .gid = p->cred.gid.eff,
					     .nthreads = p->nthreads,
					     .nice = p->nice,
					     .state = proc_state(p),
					     .start_ns = p->start_ns,
					     .cpu_ns = proc_cpu_ns(p),
					     .cpu_child_ns = p->cpu_child_ns,
					     .cmdline_len = p->cmdline_len};
		info.cpu_user_ns = proc_user_ns(p, info.cpu_ns);
		info.cpu_child_user_ns = p->cpu_child_user_ns;
		memcpy(info.name, p->name, sizeof(info.name));
		memcpy(info.cmdline, p->cmdline, sizeof(info.cmdline));
		if ((mm = p->mm))
			__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
	}
	mutex_unlock(&proc_lock);
	if (!p)
		return -ESRCH;
	if (mm) {
		mm_sizes(mm, &info);
		mm_put(mm);
	}
	return copy_to_user((void *)uinfo, &info, sizeof(info));
}

long sys_lux_cpuinfo(long lcpu, long ubuf, long len)
{
	int cpu = lcpu, n;
	char line[160];

	if (cpu < 0 || cpu >= (int)ncpus || !cpus[cpu].online)
		return -ESRCH;
	if (len < 0)
		return -EINVAL;
	n = arch_cpu_describe(cpu, line, sizeof(line));
	n = MIN(n, len);
	return copy_to_user((void *)ubuf, line, n) ?: n;
}

long sys_lux_bootdata(long off, long ubuf, long len)
{
	struct proc *p = current_proc();
	bool granted;

	mutex_lock(&proc_lock);
	granted = p->pid == 1 || proc_granted(p, LUX_GRANT_BOOTDATA, 0, 0);
	mutex_unlock(&proc_lock);
	if (!granted)
		return -EPERM;
	if (off < 0 || len < 0)
		return -EINVAL;
	if ((size_t)off >= initrd_size)
		return 0;
	len = MIN((size_t)len, initrd_size - off);
	return copy_to_user((void *)ubuf, (const char *)initrd + off, len)
		   ?: len;
}

/* The figures of sysinfo, times and getrusage (the personality's). */
long sys_lux_sysstat(long ustat)
{
	struct lux_sysstat s = {.mem_total = pmm_total_pages() * PAGE_SIZE,
				.mem_free = pmm_free_pages() * PAGE_SIZE};
	struct list *it;

	mutex_lock(&proc_lock);
	list_for_each(it, proc_list()) s.procs++;
	s.cpu_ns = proc_cpu_ns(current_proc());
	s.cpu_child_ns = current_proc()->cpu_child_ns;
	s.cpu_thread_ns = thread_cpu_ns(current_thread());
	s.cpu_user_ns = proc_user_ns(current_proc(), s.cpu_ns);
	s.cpu_child_user_ns = current_proc()->cpu_child_user_ns;
	s.cpu_thread_user_ns =
	    user_part(s.cpu_thread_ns, current_thread()->cpu_user,
		      current_thread()->cpu_sampled);
	mutex_unlock(&proc_lock);
	s.clock_ns = arch_clock_ns();
	return copy_to_user((void *)ustat, &s, sizeof(s));
}

/* Stop every CPU for good, saying why first. */
static NORETURN void machine_stop(const char *why, int power)
{
	panic_enter();             /* the other CPUs take the NMI as a stop */
	kprintf("lux: %s\n", why); /* to the UART itself: nobody reads */
	if (power)
		arch_power_off(power == 2);
	halt_all();
}

/* LUX_NR_REBOOT: halt (how 0), power off (1) or restart (2); root only.
 * The personality makes Linux's reboot of it. */
long sys_lux_reboot(long how)
{
	static const char *const why[] = {"system halted", "power off",
					  "restart"};

	if (current_proc()->cred.uid.eff)
		return -EPERM;
	if (how < 0 || how > 2)
		return -EINVAL;
	machine_stop(why[how], how);
}
