/*
 * text.c - the text of procfs's files (text.h), as Linux's proc(5)
 * describes it, so that busybox ps, top, free and uptime parse it.
 */
#include "text.h"
#include <inttypes.h>
#include <string.h>

#define NS ((uint64_t)1000000000)

static uint64_t ticks(uint64_t ns)
{
	return ns / (NS / PROCFS_HZ);
}

void procfs_stat(FILE *f, const struct lux_procinfo *p)
{
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime vsize rss rsslim, then 28
	 * fields lux does not know but exit_signal (38): 52 in all */
	fprintf(f,
		"%d (%.16s) %c %d %d %d 0 -1 0 0 0 0 0 %" PRIu64 " %" PRIu64
		" %" PRIu64 " %" PRIu64 " %d %d %d 0 %" PRIu64 " %" PRIu64
		" %" PRIu64
		" 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
		"0 0 0 0 0 0 0 0\n",
		p->pid, p->name, p->state, p->ppid, p->pgid, p->sid,
		ticks(p->cpu_user_ns), ticks(p->cpu_ns - p->cpu_user_ns),
		ticks(p->cpu_child_user_ns),
		ticks(p->cpu_child_ns - p->cpu_child_user_ns), 20 + p->nice,
		p->nice, p->nthreads, ticks(p->start_ns), p->vsize, p->rss);
}

static const char *state_name(char state)
{
	switch (state) {
	case 'R':
		return "R (running)";
	case 'T':
		return "T (stopped)";
	case 'Z':
		return "Z (zombie)";
	default:
		return "S (sleeping)";
	}
}

void procfs_status(FILE *f, const struct lux_procinfo *p)
{
	fprintf(f,
		"Name:\t%.16s\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\n"
		"PPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
		"Gid:\t%u\t%u\t%u\t%u\n",
		p->name, state_name(p->state), p->pid, p->pid, p->ppid, p->uid,
		p->uid, p->uid, p->uid, p->gid, p->gid, p->gid, p->gid);
	if (p->vsize)
		fprintf(f,
			"VmSize:\t%8" PRIu64 " kB\nVmRSS:\t%8" PRIu64 " kB\n",
			p->vsize / 1024, p->rss * 4);
	fprintf(f, "Threads:\t%d\n", p->nthreads);
}

void procfs_cmdline(FILE *f, const struct lux_procinfo *p)
{
	size_t n = p->cmdline_len;

	fwrite(p->cmdline, 1, n < sizeof(p->cmdline) ? n : sizeof(p->cmdline),
	       f);
}

static void kb(FILE *f, const char *name, uint64_t bytes)
{
	fprintf(f, "%-16s%8" PRIu64 " kB\n", name, bytes / 1024);
}

/* lux has no page cache or swap: those lines read 0. */
void procfs_meminfo(FILE *f, const struct procfs_mem *m)
{
	kb(f, "MemTotal:", m->total);
	kb(f, "MemFree:", m->free);
	kb(f, "MemAvailable:", m->free);
	kb(f, "Buffers:", m->buffers);
	kb(f, "Cached:", 0);
	kb(f, "SwapCached:", 0);
	kb(f, "Active:", m->total - m->free);
	kb(f, "Inactive:", 0);
	kb(f, "SwapTotal:", m->swap_total);
	kb(f, "SwapFree:", m->swap_free);
	kb(f, "Dirty:", 0);
	kb(f, "Shmem:", m->shared);
	kb(f, "Slab:", 0);
	kb(f, "SReclaimable:", 0);
}

void procfs_uptime(FILE *f, uint64_t up_ns, uint64_t idle_ns)
{
	fprintf(f, "%" PRIu64 ".%02" PRIu64 " %" PRIu64 ".%02" PRIu64 "\n",
		up_ns / NS, up_ns % NS / (NS / 100), idle_ns / NS,
		idle_ns % NS / (NS / 100));
}

void procfs_loadavg(FILE *f, int running, int all, int last_pid)
{
	fprintf(f, "0.00 0.00 0.00 %d/%d %d\n", running, all, last_pid);
}

void procfs_cpuinfo(FILE *f, int cpu, const char *line)
{
	char vendor[64] = "unknown";
	unsigned family = 0, model = 0, stepping = 0;
	int name = 0;

	sscanf(line, "%63s %u %u %u %n", vendor, &family, &model, &stepping,
	       &name);
	fprintf(f,
		"processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\n"
		"model\t\t: %u\nmodel name\t: %s\nstepping\t: %u\n\n",
		cpu, vendor, family, model, name ? line + name : "unknown",
		stepping);
}

void procfs_sysstat(FILE *f, uint64_t busy, uint64_t idle, uint64_t btime,
		    int running)
{
	fprintf(f,
		"cpu  %" PRIu64 " 0 0 %" PRIu64 " 0 0 0 0 0 0\n"
		"btime %" PRIu64 "\nprocs_running %d\nprocs_blocked 0\n",
		busy, idle, btime, running);
}

void procfs_map(FILE *f, const struct lux_mapinfo *m, uint64_t stack_top)
{
	int len;

	fprintf(f,
		"%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " 00:00 0%n",
		m->start, m->end, m->prot & 1 ? 'r' : '-',
		m->prot & 2 ? 'w' : '-', m->prot & 4 ? 'x' : '-',
		m->prot & 8 ? 's' : 'p', m->pgoff * 4096, &len);
	if (m->end == stack_top)
		fprintf(f, "%*s[stack]", 73 - len, "");
	fputc('\n', f);
}
