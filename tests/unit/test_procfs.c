/*
 * test_procfs.c - the text of procfs's files (user/procfs/text.c) for a
 * given process or figures, parsed the way busybox ps, top and free and
 * the C library parse them: /proc/<pid>/stat's 52 fields (ps reads 3-24),
 * status's "Key:\tvalue" lines, meminfo's kB lines, uptime's two numbers,
 * cpuinfo's blocks. Then the procfs program itself, driven on the host
 * (server_host.h): its names, the "self" link, snapshots read at offsets
 * and the errors (the host has no LUX_NR_PROCINFO: no pid directories).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "server_host.h"
#include "text.h"

#ifndef PROCFS_BIN
#error "PROCFS_BIN names the procfs program"
#endif

/* Run fn's output into a string (free it). */
#define CAPTURE(out, call)                                                     \
	do {                                                                   \
		size_t len_;                                                   \
		FILE *f = open_memstream(&(out), &len_);                       \
		assert_non_null(f);                                            \
		call;                                                          \
		assert_int_equal(fclose(f), 0);                                \
	} while (0)

static struct lux_procinfo sample(void)
{
	struct lux_procinfo p = {.pid = 42,
				 .ppid = 7,
				 .pgid = 40,
				 .sid = 3,
				 .uid = 1000,
				 .gid = 100,
				 .nthreads = 3,
				 .nice = -5,
				 .state = 'S',
				 .start_ns = 12340000000ULL,   /* 1234 ticks */
				 .cpu_ns = 2500000000ULL,      /* 250 ticks */
				 .cpu_user_ns = 2000000000ULL, /* user 200 */
				 .cpu_child_ns = 900000000ULL, /* 90 ticks */
				 .cpu_child_user_ns = 600000000ULL, /* 60 */
				 .vsize = 8 << 20,
				 .rss = 300};
	strcpy(p.name, "my prog)x");
	memcpy(p.cmdline, "sh\0-c\0echo hi", 14);
	p.cmdline_len = 14;
	return p;
}

/* Split stat's line into its fields: the name is field 2 whatever it
 * holds (from the first '(' to the last ')'), as ps does. */
static int stat_fields(char *line, char *field[64])
{
	char *open = strchr(line, '('), *close = strrchr(line, ')');
	int n = 0;

	assert_non_null(open);
	assert_non_null(close);
	*open = *close = '\0';
	field[n++] = line;
	field[n++] = open + 1;
	for (char *p = strtok(close + 1, " \n"); p && n < 64;
	     p = strtok(NULL, " \n"))
		field[n++] = p;
	return n;
}

static void stat_line(void **state)
{
	struct lux_procinfo p = sample();
	char *text, *field[64];
	(void)state;

	CAPTURE(text, procfs_stat(f, &p));
	size_t len = strlen(text);
	assert_true(len > 0 && text[len - 1] == '\n');
	assert_ptr_equal(strchr(text, '\n'), text + len - 1); /* one line */
	assert_int_equal(stat_fields(text, field), 52);
	assert_string_equal(field[0], "42 ");
	assert_string_equal(field[1], "my prog)x");
	const char *want[] = {
	    [3] = "S",        [4] = "7",    [5] = "40",
	    [6] = "3",        [7] = "0",    [8] = "-1",
	    [14] = "200",     [15] = "50",  [16] = "60",
	    [17] = "30",      [18] = "15",  [19] = "-5",
	    [20] = "3",       [21] = "0",   [22] = "1234",
	    [23] = "8388608", [24] = "300", [25] = "18446744073709551615",
	    [38] = "17"};
	for (int i = 3; i < (int)(sizeof(want) / sizeof(want[0])); i++)
		if (want[i]) {
			if (strcmp(field[i - 1], want[i]))
				fail_msg("field %d is \"%s\", expected \"%s\"",
					 i, field[i - 1], want[i]);
		}
	/* every field after the name is a number (or the state letter) */
	for (int i = 3; i < 52; i++)
		if (strspn(field[i], "-0123456789") != strlen(field[i]))
			fail_msg("field %d is \"%s\"", i + 1, field[i]);
	free(text);
}

/* busybox ps: sscanf after ") " of "%c %u %u %u %d %u %u %u %u %u %lu
 * %lu %lu %lu %lu %lu %d %d %d %lu %lu %lu" and friends (fields 3-24). */
static void stat_as_ps_reads_it(void **state)
{
	struct lux_procinfo p = sample();
	char *text, s;
	unsigned ppid, pgid, sid, tty, flags, minflt, cminflt, majflt, cmajflt;
	int tpgid, prio, nice, threads;
	unsigned long utime, stime, cutime, cstime, itreal, start, vsz, rss;
	(void)state;

	p.state = 'R';
	CAPTURE(text, procfs_stat(f, &p));
	int n = sscanf(strrchr(text, ')') + 2,
		       "%c %u %u %u %u %d %u %u %u %u %u %lu %lu %lu %lu %d %d "
		       "%d %lu %lu %lu %lu",
		       &s, &ppid, &pgid, &sid, &tty, &tpgid, &flags, &minflt,
		       &cminflt, &majflt, &cmajflt, &utime, &stime, &cutime,
		       &cstime, &prio, &nice, &threads, &itreal, &start, &vsz,
		       &rss);
	assert_int_equal(n, 22);
	assert_int_equal(s, 'R');
	assert_int_equal(ppid, 7);
	assert_int_equal(pgid, 40);
	assert_int_equal(sid, 3);
	assert_int_equal(utime, 200);
	assert_int_equal(stime, 50);
	assert_int_equal(nice, -5);
	assert_int_equal(threads, 3);
	assert_int_equal(start, 1234);
	assert_int_equal(vsz, 8 << 20);
	assert_int_equal(rss, 300);
	free(text);
}

/* The value after "key:" on a line of buf, or NULL. */
static const char *value(const char *buf, const char *key)
{
	size_t len = strlen(key);

	for (const char *p = buf; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, len) && p[len] == ':')
			return p + len + 1;
	return NULL;
}

static void assert_line(const char *buf, const char *key, const char *want)
{
	const char *v = value(buf, key);

	if (!v)
		fail_msg("no %s line in:\n%s", key, buf);
	if (strncmp(v, want, strlen(want)) || v[strlen(want)] != '\n')
		fail_msg("%s:%.*s, expected %s", key, (int)strcspn(v, "\n"), v,
			 want);
}

static void status_lines(void **state)
{
	struct lux_procinfo p = sample();
	char *text;
	(void)state;

	CAPTURE(text, procfs_status(f, &p));
	assert_int_equal(strncmp(text, "Name:\tmy prog)x\n", 16), 0);
	assert_line(text, "State", "\tS (sleeping)");
	assert_line(text, "Tgid", "\t42");
	assert_line(text, "Pid", "\t42");
	assert_line(text, "PPid", "\t7");
	assert_line(text, "Uid", "\t1000\t1000\t1000\t1000");
	assert_line(text, "Gid", "\t100\t100\t100\t100");
	assert_line(text, "VmSize", "\t    8192 kB");
	assert_line(text, "VmRSS", "\t    1200 kB");
	assert_line(text, "Threads", "\t3");
	free(text);
	/* a zombie has no address space: no Vm lines, as on Linux */
	p.state = 'Z';
	p.vsize = p.rss = 0;
	CAPTURE(text, procfs_status(f, &p));
	assert_line(text, "State", "\tZ (zombie)");
	assert_null(value(text, "VmSize"));
	assert_null(value(text, "VmRSS"));
	free(text);
}

static void cmdline_bytes(void **state)
{
	struct lux_procinfo p = sample();
	char *text;
	size_t len;
	(void)state;

	FILE *f = open_memstream(&text, &len);
	procfs_cmdline(f, &p);
	fclose(f);
	assert_int_equal(len, 14);
	assert_memory_equal(text, "sh\0-c\0echo hi", 14);
	free(text);
	/* a length past the buffer (never from the kernel) stays inside */
	p.cmdline_len = 1000;
	f = open_memstream(&text, &len);
	procfs_cmdline(f, &p);
	fclose(f);
	assert_int_equal(len, sizeof(p.cmdline));
	free(text);
}

static void meminfo_lines(void **state)
{
	struct procfs_mem m = {.total = 512ULL << 20,
			       .free = 300ULL << 20,
			       .swap_total = 0,
			       .swap_free = 0};
	char *text;
	unsigned long kb;
	(void)state;

	CAPTURE(text, procfs_meminfo(f, &m));
	assert_int_equal(strncmp(text, "MemTotal:         524288 kB\n", 28), 0);
	const char *keys[] = {"MemTotal", "MemFree", "MemAvailable",
			      "Buffers",  "Cached",  "SwapTotal",
			      "SwapFree"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = value(text, keys[i]);
		if (!v || sscanf(v, " %lu kB", &kb) != 1)
			fail_msg("%s missing in\n%s", keys[i], text);
	}
	sscanf(value(text, "MemFree"), " %lu", &kb);
	assert_int_equal(kb, 300 * 1024);
	sscanf(value(text, "MemAvailable"), " %lu", &kb);
	assert_int_equal(kb, 300 * 1024);
	/* every line: a 16-column name, an 8-column number, " kB" */
	for (char *line = text; *line; line = strchr(line, '\n') + 1)
		assert_int_equal(strcspn(line, "\n"), 27);
	free(text);
}

static void uptime_numbers(void **state)
{
	char *text;
	double up, idle;
	(void)state;

	CAPTURE(text, procfs_uptime(f, 123456789012ULL, 5070000000ULL));
	assert_string_equal(text, "123.45 5.07\n");
	assert_int_equal(sscanf(text, "%lf %lf", &up, &idle), 2);
	free(text);
	CAPTURE(text, procfs_uptime(f, 1000000, 0));
	assert_string_equal(text, "0.00 0.00\n");
	free(text);
}

static void cpuinfo_block(void **state)
{
	char *text;
	(void)state;

	CAPTURE(text,
		procfs_cpuinfo(f, 1, "GenuineIntel 6 85 7 Intel Xeon Gold"));
	assert_string_equal(text, "processor\t: 1\nvendor_id\t: GenuineIntel\n"
				  "cpu family\t: 6\nmodel\t\t: 85\n"
				  "model name\t: Intel Xeon Gold\n"
				  "stepping\t: 7\n\n");
	free(text);
	CAPTURE(text, procfs_cpuinfo(f, 0, "odd"));
	assert_non_null(strstr(text, "processor\t: 0\n"));
	assert_non_null(strstr(text, "model name\t: unknown\n"));
	free(text);
}

static void loadavg_and_stat(void **state)
{
	char *text;
	unsigned long user, nice, sys, idle;
	(void)state;

	CAPTURE(text, procfs_loadavg(f, 2, 9, 77));
	assert_string_equal(text, "0.00 0.00 0.00 2/9 77\n");
	free(text);
	CAPTURE(text, procfs_sysstat(f, 150, 850, 1700000000, 2));
	assert_int_equal(
	    sscanf(text, "cpu %lu %lu %lu %lu", &user, &nice, &sys, &idle), 4);
	assert_int_equal(user, 150);
	assert_int_equal(idle, 850);
	assert_non_null(strstr(text, "\nbtime 1700000000\n"));
	assert_non_null(strstr(text, "\nprocs_running 2\n"));
	free(text);
}

/* ---- the server ---- */

static int start(void **state)
{
	(void)state;
	return host_start(PROCFS_BIN);
}

static int stop(void **state)
{
	(void)state;
	return host_stop();
}

static uint64_t open_ok(const char *path, int flags, uint32_t mode)
{
	struct reply *r = call_path(
	    (struct lux_req){.op = LUX_OPEN, .flags = flags, .pid = 4242},
	    path);

	assert_int_equal(r->rep.result, 0);
	assert_int_not_equal(r->rep.handle, 0);
	assert_int_equal(r->rep.mode, mode);
	return r->rep.handle;
}

static void server_root_listing(void **state)
{
	const char *want[] = {".",      "..",          "self", "meminfo",
			      "uptime", "loadavg",     "stat", "cpuinfo",
			      "mounts", "filesystems", "sys"};
	uint64_t dir =
	    open_ok("", LUX_O_RDONLY | LUX_O_DIRECTORY, LUX_S_IFDIR | 0555);
	uint64_t off = 0;
	size_t seen = 0;
	(void)state;

	/* a small buffer: a few entries a time, in order, none lost */
	for (;;) {
		struct reply *r = call((struct lux_req){.op = LUX_GETDENTS,
							.handle = dir,
							.off = off,
							.count = 64},
				       NULL, 0);
		assert_int_equal(r->rep.result, r->n);
		if (!r->n)
			break;
		for (size_t at = 0; at < r->n;) {
			uint16_t reclen;
			memcpy(&reclen, r->data + at + 16, 2);
			assert_true(seen < sizeof(want) / sizeof(want[0]));
			assert_string_equal(r->data + at + 19, want[seen]);
			assert_int_equal(r->data[at + 18],
					 seen == 2 ? 10 /* DT_LNK */
					 : seen < 2 || seen == 10
					     ? 4 /* DT_DIR */
					     : 8 /* DT_REG */);
			seen++;
			at += reclen;
		}
		off = r->rep.off;
	}
	assert_int_equal(seen, sizeof(want) / sizeof(want[0]));
}

static void server_self_link(void **state)
{
	struct lux_stat st;
	struct reply *r;
	(void)state;

	r = call_path((struct lux_req){.op = LUX_STAT,
				       .pid = 4242,
				       .flags = LUX_AT_SYMLINK_NOFOLLOW},
		      "self");
	assert_int_equal(r->rep.result, 0);
	memcpy(&st, r->data, sizeof(st));
	assert_int_equal(st.mode, LUX_S_IFLNK | 0777);
	assert_int_equal(st.size, 4);
	r = call_path((struct lux_req){.op = LUX_READLINK, .pid = 4242},
		      "self");
	assert_int_equal(r->rep.result, 4);
	assert_int_equal(r->n, 4);
	assert_memory_equal(r->data, "4242", 4);
	/* following it: the kernel is told to splice "4242" for "self" */
	const char *follow[] = {"self", "self/stat"};
	for (int i = 0; i < 2; i++) {
		r = call_path_any(
		    (struct lux_req){.op = i ? LUX_OPEN : LUX_STAT,
				     .pid = 4242},
		    follow[i]);
		assert_int_equal(r->rep.op, LUX_FOLLOW);
		assert_int_equal(r->rep.off, 4);
		assert_int_equal(r->rep.off2, 0);
		assert_int_equal(r->n, 4);
		assert_memory_equal(r->data, "4242", 4);
	}
	r = call_path((struct lux_req){.op = LUX_OPEN,
				       .pid = 4242,
				       .flags = LUX_O_RDONLY | LUX_O_NOFOLLOW},
		      "self");
	assert_int_equal(r->rep.result, -ELOOP);
}

static void server_snapshot(void **state)
{
	char text[4096];
	size_t len = 0;
	struct reply *r;
	(void)state;

	uint64_t h = open_ok("uptime", LUX_O_RDONLY, LUX_S_IFREG | 0444);
	/* read it 3 bytes at a time: one text, whatever the clock does */
	for (;;) {
		r = call(
		    (struct lux_req){
			.op = LUX_READ, .handle = h, .off = len, .count = 3},
		    NULL, 0);
		assert_int_equal(r->rep.result, r->n);
		if (!r->n)
			break;
		assert_true(len + r->n < sizeof(text));
		memcpy(text + len, r->data, r->n);
		len += r->n;
	}
	text[len] = 0;
	double up, idle;
	assert_int_equal(sscanf(text, "%lf %lf", &up, &idle), 2);
	assert_int_equal(text[len - 1], '\n');
	r = call(
	    (struct lux_req){
		.op = LUX_READ, .handle = h, .off = 0, .count = sizeof(text)},
	    NULL, 0);
	assert_int_equal(r->n, len);
	assert_memory_equal(r->data, text, len);
	/* closed: the handle is gone (CLOSE itself is never answered) */
	struct lux_req close_req = {.op = LUX_CLOSE, .handle = h};
	host_send(&close_req, NULL, 0);
	r = call((struct lux_req){.op = LUX_READ, .handle = h, .count = 8},
		 NULL, 0);
	assert_int_equal(r->rep.result, -EBADF);
	h = open_ok("meminfo", LUX_O_RDONLY, LUX_S_IFREG | 0444);
	r = call((struct lux_req){.op = LUX_READ, .handle = h, .count = 9},
		 NULL, 0);
	assert_int_equal(r->n, 9);
	assert_memory_equal(r->data, "MemTotal:", 9);
}

static void server_errors(void **state)
{
	static const struct {
		const char *path;
		int op, flags, err;
	} cases[] = {
	    {"meminfo", LUX_OPEN, LUX_O_RDWR, -EACCES},
	    {"meminfo", LUX_OPEN, LUX_O_RDONLY | LUX_O_DIRECTORY, -ENOTDIR},
	    {"meminfo", LUX_OPEN, LUX_O_RDONLY | LUX_O_EXEC, -EACCES},
	    {"", LUX_OPEN, LUX_O_WRONLY, -EISDIR},
	    {"nope", LUX_OPEN, LUX_O_RDONLY, -ENOENT},
	    {"nope", LUX_OPEN, LUX_O_WRONLY | LUX_O_CREAT, -EACCES},
	    {"meminfo/x", LUX_STAT, 0, -ENOTDIR},
	    {"01", LUX_STAT, 0, -ENOENT},
	    {"meminfo", LUX_UNLINK, 0, -EPERM},
	    {"meminfo", LUX_MKDIR, 0, -EEXIST},
	    {"meminfo", LUX_READLINK, 0, -EINVAL},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply *r =
		    call_path((struct lux_req){.op = cases[i].op,
					       .flags = cases[i].flags,
					       .uid = 1000},
			      cases[i].path);
		if (r->rep.result != cases[i].err)
			fail_msg("op %d on \"%s\": %lld, expected %d",
				 cases[i].op, cases[i].path,
				 (long long)r->rep.result, cases[i].err);
	}
	uint64_t h = open_ok("loadavg", LUX_O_RDONLY, LUX_S_IFREG | 0444);
	struct reply *r = call(
	    (struct lux_req){.op = LUX_GETDENTS, .handle = h, .count = 512},
	    NULL, 0);
	assert_int_equal(r->rep.result, -ENOTDIR);
	r = call(
	    (struct lux_req){.op = LUX_IOCTL, .handle = h, .count = 0x5401},
	    NULL, 0);
	assert_int_equal(r->rep.result, -ENOTTY);
	r = call_path((struct lux_req){.op = LUX_STATFS}, "");
	struct lux_statfs sf;
	assert_int_equal(r->n, sizeof(sf));
	memcpy(&sf, r->data, sizeof(sf));
	assert_int_equal(sf.type, 0x9fa0);
}

static void server_survives_garbage(void **state)
{
	static const char *const names[] = {
	    "",     "self",    "self/stat", "meminfo", "uptime", "loadavg",
	    "stat", "cpuinfo", "mounts",    "1",       "1/stat", "x"};
	(void)state;

	host_fuzz(20000, 2, names, 12);
	struct reply *r = call_path((struct lux_req){.op = LUX_STAT}, "uptime");
	assert_int_equal(r->rep.result, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(stat_line),
	    cmocka_unit_test(stat_as_ps_reads_it),
	    cmocka_unit_test(status_lines),
	    cmocka_unit_test(cmdline_bytes),
	    cmocka_unit_test(meminfo_lines),
	    cmocka_unit_test(uptime_numbers),
	    cmocka_unit_test(cpuinfo_block),
	    cmocka_unit_test(loadavg_and_stat),
	    cmocka_unit_test_setup_teardown(server_root_listing, start, stop),
	    cmocka_unit_test_setup_teardown(server_self_link, start, stop),
	    cmocka_unit_test_setup_teardown(server_snapshot, start, stop),
	    cmocka_unit_test_setup_teardown(server_errors, start, stop),
	    cmocka_unit_test_setup_teardown(server_survives_garbage, start,
					    stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
