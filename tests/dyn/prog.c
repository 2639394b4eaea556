/*
 * prog: a dynamically linked program, built four times (musl and glibc,
 * PIE and not: tests/dyn/dyn.mk) and run by tests/user/dyn.c, on Linux
 * and on lux. It checks what the program interpreter and the kernel gave
 * it: argv, envp and the auxiliary vector, thread-local storage in the
 * program and in a thread, dlopen of a library of ours (libdyn.so, with
 * TLS of its own), and exits with the status its caller asked for.
 *
 *     prog MODE STATUS LIB [ARG...]
 *
 * MODE is "interp" (started through PT_INTERP: AT_BASE is the
 * interpreter's, AT_ENTRY this program's entry, AT_EXECFN argv[0]) or
 * "direct" (started as `ld.so prog ...`: the loader owns those). LIB is
 * libdyn.so's path. The first failed check is written to stdout and the
 * program exits 1; all passed: exit STATUS.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

/* PLATFORM, AT_PLATFORM's string: from the build (dyn.mk). */

extern char **environ;
extern void _start(void);

static __thread int tls_counter = 5;
static __thread char tls_block[64] = "initial";

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c)) {                                                    \
			printf("prog: line %d: %s\n", __LINE__, #c);           \
			exit(1);                                               \
		}                                                              \
	} while (0)

static void check_args(int argc, char **argv)
{
	CHECK(argc >= 5);
	CHECK(strcmp(argv[4], "alpha") == 0);
	CHECK(argc == 5 || strcmp(argv[5], "beta gamma") == 0);
	CHECK(argv[argc] == NULL);
	CHECK(getenv("DYN_TEST") && strcmp(getenv("DYN_TEST"), "42") == 0);
	CHECK(environ && environ[0]);
}

static void check_auxv(const char *mode, char **argv)
{
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	const char *platform = (const char *)getauxval(AT_PLATFORM);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	int has_interp = 0;

	CHECK(getauxval(AT_PAGESZ) == 4096);
	CHECK(getauxval(AT_PHENT) == sizeof(Elf64_Phdr));
	CHECK(getauxval(AT_PHNUM) > 1);
	CHECK(ph != NULL);
	CHECK(getauxval(AT_RANDOM) != 0);
	CHECK(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid());
	CHECK(getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid());
	CHECK(getauxval(AT_SECURE) == 0);
	CHECK(platform && strcmp(platform, PLATFORM) == 0);
	if (strcmp(mode, "interp") == 0) { /* else: the loader's own */
		for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++)
			has_interp |= ph[i].p_type == PT_INTERP;
		CHECK(has_interp); /* AT_PHDR is this program's table */
		CHECK(getauxval(AT_ENTRY) == (unsigned long)&_start);
		CHECK(getauxval(AT_BASE) != 0);
		CHECK(execfn && strcmp(execfn, argv[0]) == 0);
	}
}

static void *thread_main(void *arg)
{
	(void)arg;
	/* a new thread sees the initial image, not the main thread's */
	if (tls_counter != 5 || strcmp(tls_block, "initial"))
		return (void *)1;
	tls_counter = 7;
	strcpy(tls_block, "thread");
	return tls_counter == 7 ? NULL : (void *)2;
}

static void check_tls(void)
{
	pthread_t t;
	void *r = (void *)3;

	CHECK(tls_counter == 5 && strcmp(tls_block, "initial") == 0);
	tls_counter = 6;
	strcpy(tls_block, "main");
	CHECK(pthread_create(&t, NULL, thread_main, NULL) == 0);
	CHECK(pthread_join(t, &r) == 0);
	CHECK(r == NULL);
	CHECK(tls_counter == 6 && strcmp(tls_block, "main") == 0);
}

static void check_dlopen(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW);
	int (*add)(int, int);
	int *(*tls)(void);

	if (!h)
		printf("prog: dlopen: %s\n", dlerror());
	CHECK(h != NULL);
	add = (int (*)(int, int))dlsym(h, "dyn_lib_add");
	tls = (int *(*)(void))dlsym(h, "dyn_lib_tls");
	CHECK(add && tls);
	CHECK(add(40, 2) == 42);
	CHECK(*tls() == 11); /* the library's TLS, initialised */
	*tls() = 12;
	CHECK(*tls() == 12);
	CHECK(dlclose(h) == 0);
}

int main(int argc, char **argv)
{
	char buf[64];

	check_args(argc, argv);
	check_auxv(argv[1], argv);
	check_tls();
	check_dlopen(argv[3]);
	/* malloc and stdio through the shared C library */
	char *p = malloc(100000);
	CHECK(p != NULL);
	snprintf(buf, sizeof(buf), "%s-%d", "dyn", 42);
	CHECK(strcmp(buf, "dyn-42") == 0);
	free(p);
	fflush(stdout);
	return atoi(argv[2]);
}
