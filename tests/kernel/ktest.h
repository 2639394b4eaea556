/* ktest.h - the in-kernel self-test framework (see ktest.c). */
#pragma once

#include "cpu.h"
#include "mm.h"
#include "sched.h"

/* A test returns NULL on success or a static string saying what failed. */
struct ktest {
	const char *name;
	const char *(*run)(void);
};

struct ktest_group {
	const char *name;
	const struct ktest *tests; /* ends with a {NULL, NULL} entry */
};

extern const struct ktest_group ktest_sched;

void ktest_report(const char *group, const char *name, const char *failure);
