/*
 * libdyn.so: the shared library tests/dyn/prog.c opens with dlopen: a
 * function, and thread-local storage of its own (dynamic TLS).
 */
int dyn_lib_add(int a, int b);
int *dyn_lib_tls(void);

static __thread int lib_tls = 11;

int dyn_lib_add(int a, int b)
{
	return a + b;
}

int *dyn_lib_tls(void)
{
	return &lib_tls;
}
