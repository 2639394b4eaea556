/*
 * ustack.c - a new program's initial stack, laid out as Linux lays it out
 * for a static binary, so that an unmodified C runtime starts on it (the
 * personality's, since exec left the kernel). Pure logic, host-tested.
 */
#include "load.h"

/* The stack being built. Kernel pointer p into it is user address
 * p + to_user: buf's end is at top. */
struct ustack {
	uintptr_t to_user;
	unsigned char *word; /* next slot of argc/argv/envp/auxv */
	unsigned char *str;  /* next byte of the string area */
};

/* The buffer may not be 8-byte aligned in the kernel's view. */
static void ustack_push(struct ustack *s, uint64_t v)
{
	memcpy(s->word, &v, sizeof(v));
	s->word += sizeof(v);
}

/* Copy str into the string area; returns its user address. */
static uintptr_t ustack_str(struct ustack *s, const char *str)
{
	size_t n = strlen(str) + 1;

	memcpy(s->str, str, n);
	s->str += n;
	return (uintptr_t)(s->str - n) + s->to_user;
}

/* Push a pointer to a copy of each string of v (NULL: none), then NULL. */
static void ustack_push_vec(struct ustack *s, const char *const v[])
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		ustack_push(s, ustack_str(s, v[i]));
	ustack_push(s, 0);
}

/* Count the strings of v (NULL: none) and add their sizes to *bytes. */
static size_t ustack_count(const char *const v[], size_t *bytes)
{
	size_t n = 0;

	for (; v != NULL && v[n] != NULL; n++)
		*bytes += strlen(v[n]) + 1;
	return n;
}

uintptr_t ustack_build(void *buf, size_t bufsize, uintptr_t top,
		       const char *const argv[], const char *const envp[],
		       const char *execfn, const uint64_t (*aux)[2],
		       unsigned naux, const uint8_t random[16])
{
	size_t strs = strlen(execfn) + 1;
	for (unsigned i = 0; i < naux; i++)
		if (aux[i][0] == AT_PLATFORM)
			strs += strlen((const char *)(uintptr_t)aux[i][1]) + 1;
	size_t argc = ustack_count(argv, &strs),
	       envc = ustack_count(envp, &strs);
	/* argc, argv + NULL, envp + NULL, aux + AT_RANDOM/EXECFN/NULL. */
	size_t words = 1 + argc + 1 + envc + 1 + 2 * ((size_t)naux + 3);
	size_t need = strs + 16 + words * sizeof(uint64_t);
	uintptr_t sp = LOAD_DOWN(top - need, 16);

	if (need > top || top - sp > bufsize)
		return 0;
	unsigned char *end = (unsigned char *)buf + bufsize;
	unsigned char *rnd = end - strs - 16;
	struct ustack s = {top - (uintptr_t)end, end - (top - sp), end - strs};

	memcpy(rnd, random, 16);
	ustack_push(&s, argc);
	ustack_push_vec(&s, argv);
	ustack_push_vec(&s, envp);
	for (unsigned i = 0; i < naux; i++) {
		ustack_push(&s, aux[i][0]);
		ustack_push(
		    &s, aux[i][0] == AT_PLATFORM
			    ? ustack_str(&s, (const char *)(uintptr_t)aux[i][1])
			    : aux[i][1]);
	}
	ustack_push(&s, AT_RANDOM);
	ustack_push(&s, (uintptr_t)rnd + s.to_user);
	ustack_push(&s, AT_EXECFN);
	ustack_push(&s, ustack_str(&s, execfn));
	ustack_push(&s, AT_NULL);
	ustack_push(&s, 0);
	memset(s.word, 0, rnd - s.word); /* the alignment padding */
	return sp;
}
