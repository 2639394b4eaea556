/*
 * sysinfo.c - what the system says about itself: the raw figures of
 * sysinfo, times and getrusage (SYSSTAT; the personality makes the Linux
 * calls of them), the native PROCINFO and CPUINFO that procfs serves, the
 * boot image for ramfs (BOOTDATA), and stopping the machine (REBOOT; the
 * personality makes Linux's reboot of it). lux keeps one run time per
 * thread (no user/system split).
 */
#include "cpu.h"
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

long sys_lux_procinfo(long lpid, long uinfo)
{
	int pid = lpid;
	struct lux_procinfo info = {0};
	struct proc *p = NULL;
	struct mm *mm = NULL;
	struct list *it;

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
					     .cmdline_len = p->cmdline_len};
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
