/*
 * main.c - the portable kernel's start: bring up memory, CPUs, interrupts
 * and time in order, then report what the machine has.
 */
#include "boot.h"
#include "cpu.h"
#include "mm.h"
#include "proc.h"
#include "sched.h"
#include "syscall.h"
#include <arch.h>
#include <lux/mman.h>

#define LUX_VERSION "0.1"

struct cpu cpus[MAX_CPUS];
unsigned ncpus = 1;

static char cmdline_words[BOOT_CMDLINE];
static unsigned nwords;

unsigned cpus_online(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < ncpus; i++)
		n += cpus[i].online;
	return n;
}

/* Split a copy of the command line into NUL-terminated words. */
/* Split a copy of the command line into NUL-terminated words; double
 * quotes group words with spaces (and are dropped). */
BOOT_CODE static void cmdline_parse(const char *s)
{
	char *w = cmdline_words;
	bool quoted = false, in_word = false;

	for (; *s; s++) {
		if (*s == '"') {
			quoted = !quoted;
			in_word = true;
		} else if (*s != ' ' || quoted) {
			*w++ = *s;
			in_word = true;
		} else if (in_word) {
			*w++ = '\0';
			nwords++;
			in_word = false;
		}
	}
	if (in_word) {
		*w = '\0';
		nwords++;
	}
}

const char *cmdline_get(const char *key)
{
	size_t n = strlen(key);
	const char *w = cmdline_words;

	for (unsigned i = 0; i < nwords; i++, w += strlen(w) + 1)
		if (strncmp(w, key, n) == 0 && (w[n] == '=' || w[n] == '\0'))
			return w[n] ? w + n + 1 : w + n;
	return NULL;
}

bool cmdline_has(const char *key)
{
	return cmdline_get(key) != NULL;
}

/* Call code at pc, keeping a frame so the backtrace shows the caller. */
__attribute__((noinline)) static void fault_call(uintptr_t pc)
{
	((void (*)(void))pc)();
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

/* A user page holding a return instruction, mapped at USER_PAGE in a
 * fresh address space that the CPU now uses: for smep and smap. */
#define USER_PAGE 0x400000UL
static void fault_user_page(void)
{
	struct mm *mm = mm_create();
	uint64_t pa = pmm_alloc();

	if (!mm || !pa ||
	    arch_umap(&mm->as, USER_PAGE, pa, PROT_READ | PROT_EXEC))
		panic("fault: no memory for a user page");
	*(uint8_t *)phys_to_virt(pa) = 0xc3; /* x86 ret */
	arch_use_as(&current_thread()->ctx, &mm->as);
}

/* The deliberate kernel faults of the command-line switch fault=: each
 * must end in a fault report (the hardening self tests, docs/testing.md). */
__attribute__((noinline)) static void fault_trigger(const char *kind)
{
	static uint8_t data_ret = 0xc3; /* x86 ret, in writable data */

	if (strcmp(kind, "page") == 0)
		*(volatile int *)0x10 = 1;
	else if (strcmp(kind, "stack") == 0)
		fault_trigger(kind); /* recurse into the guard page */
	else if (strcmp(kind, "panic") == 0)
		panic("deliberate panic");
	else if (strcmp(kind, "text") == 0) /* kernel text is read-only */
		*(volatile uint8_t *)(uintptr_t)fault_call = 0xc3;
	else if (strcmp(kind, "nx") == 0) /* kernel data does not run */
		fault_call((uintptr_t)&data_ret);
	else if (strcmp(kind, "smep") == 0 || strcmp(kind, "smap") == 0)
		fault_user_page();
	if (strcmp(kind, "smep") == 0) /* the kernel runs no user page */
		fault_call(USER_PAGE);
	else if (strcmp(kind, "smap") == 0) /* nor reads one uncopied */
		kprintf("read %u\n", *(volatile uint8_t *)USER_PAGE);
	kprintf("lux: fault=%s did not fault (page, stack, panic, text, nx, "
		"smep, smap)\n",
		kind);
}

/* The first kernel thread: runs the self tests the command line asks
 * for, then becomes the first user process, whose personality reads init=
 * (default /sbin/init) and the words after "--" (its arguments). */
static void main_thread(void *unused)
{
	const char *tests = cmdline_get("ktest");

	(void)unused;
	if (tests)
		ktest_run(tests);
	if (tests && !cmdline_has("init")) {
		kprintf("lux: self tests done.\n");
		return;
	}
	int r = proc_start_init(cmdline_words, nwords);
	kprintf("lux: cannot start init: error %d\n", r);
}

NORETURN void kmain(struct boot_info *bi)
{
	struct range_list free;
	const char *fault;

	cmdline_parse(bi->cmdline);
	kprintf("\nlux %s (%s)\n", LUX_VERSION, ARCH_NAME);
	kprintf("lux: cmdline \"%s\"\n", bi->cmdline);
	for (unsigned i = 0; i < bi->nmod; i++)
		kprintf("lux: module %u: %lu bytes \"%s\"\n", i,
			bi->mod[i].end - bi->mod[i].base, bi->mod[i].name);

	arch_mm_init(bi);
	boot_free_memory(bi, &free);
	pmm_init(&free);
	arch_cpu_init();
	cpus[0].online = true;
	arch_irq_init(bi);
	time_init();
	futex_init();
	sched_init_cpu();
	arch_start_cpus();

	kprintf("lux: memory %lu MiB usable, %lu MiB free\n",
		range_total(&bi->ram) / MiB,
		pmm_free_pages() * PAGE_SIZE / MiB);
	kprintf("lux: %u of %u CPUs online\n", cpus_online(), ncpus);
	if ((fault = cmdline_get("fault")))
		fault_trigger(fault);
	if (bi->nmod) {
		initrd = phys_to_virt(bi->mod[0].base);
		initrd_size = bi->mod[0].end - bi->mod[0].base;
	}
	reaper_init();
	if (!thread_create("main", main_thread, NULL, PRIO_DEFAULT,
			   AFFINITY_ALL))
		panic("cannot start the main thread");
	sched_idle();
}

NORETURN void kmain_ap(void)
{
	sched_init_cpu();
	this_cpu()->online = true;
	sched_idle();
}
