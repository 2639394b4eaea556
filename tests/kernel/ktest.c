/*
 * ktest.c - in-kernel self tests, run by the main thread when the kernel
 * command line says ktest=<group,...> (or ktest=all). Each case prints one
 * line "ktest: <group>/<case>: PASS" or "... FAIL <why>"; the run ends with
 * "ktest: <n> passed, <n> failed". tests/run.py boots them on 1-8 CPUs.
 */
#include "ktest.h"

static unsigned passed, failed;

static const struct ktest_group *const groups[] = {&ktest_sched};

void ktest_report(const char *group, const char *name, const char *failure)
{
	if (failure) {
		failed++;
		kprintf("ktest: %s/%s: FAIL %s\n", group, name, failure);
	} else {
		passed++;
		kprintf("ktest: %s/%s: PASS\n", group, name);
	}
}

static bool selected(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (strcmp(list, "all") == 0)
		return true;
	for (const char *p = list; *p; p++)
		if ((p == list || p[-1] == ',') && strncmp(p, name, n) == 0 &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

void ktest_run(const char *list)
{
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (!selected(list, groups[g]->name))
			continue;
		for (const struct ktest *t = groups[g]->tests; t->name; t++)
			ktest_report(groups[g]->name, t->name, t->run());
	}
	kprintf("ktest: %u passed, %u failed\n", passed, failed);
}
