/*
 * text.h - the text of procfs's files, in the formats of Linux's proc(5),
 * written to a stdio stream. Pure functions of their arguments, so the
 * host unit tests (tests/unit/test_procfs.c) check them directly.
 */
#pragma once

#include <lux/proto.h>
#include <stdint.h>
#include <stdio.h>

#define PROCFS_HZ 100 /* clock ticks (USER_HZ) */

/* What the memory files need (sysinfo(2)'s figures, in bytes). */
struct procfs_mem {
	uint64_t total, free, shared, buffers, swap_total, swap_free;
};

/* /proc/<pid>/stat: the 52 fields, one line. */
void procfs_stat(FILE *f, const struct lux_procinfo *p);
/* /proc/<pid>/status: Name, State, Tgid, Pid, PPid, Uid, Gid, VmSize,
 * VmRSS, Threads and a few more (no Vm lines without an address space). */
void procfs_status(FILE *f, const struct lux_procinfo *p);
/* /proc/<pid>/cmdline: argv, each with its NUL. */
void procfs_cmdline(FILE *f, const struct lux_procinfo *p);
/* /proc/meminfo. */
void procfs_meminfo(FILE *f, const struct procfs_mem *m);
/* /proc/uptime: seconds since boot and seconds the CPUs idled. */
void procfs_uptime(FILE *f, uint64_t up_ns, uint64_t idle_ns);
/* /proc/loadavg: the three averages (0: lux keeps none), running/all
 * processes and the last pid. */
void procfs_loadavg(FILE *f, int running, int all, int last_pid);
/* One processor's block of /proc/cpuinfo from the kernel's line
 * "vendor family model stepping name" (LUX_NR_CPUINFO). */
void procfs_cpuinfo(FILE *f, int cpu, const char *line);
/* /proc/stat's "cpu" line, boot time and process counts: busy and idle
 * ticks summed over the CPUs, btime in seconds since 1970. */
void procfs_sysstat(FILE *f, uint64_t busy, uint64_t idle, uint64_t btime,
		    int running);
/* One line of /proc/<pid>/maps for area m; stack_top ends [stack]. */
void procfs_map(FILE *f, const struct lux_mapinfo *m, uint64_t stack_top);
