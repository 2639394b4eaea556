/*
 * exec.c - execve, execveat and brk in the personality
 * (docs/decisions/0008-exec-in-the-personality.md).
 *
 * execve copies the path, argv and envp out of the program (checked
 * copies), opens the program and checks its ELF headers while every error
 * can still return to the caller; then LUX_NR_EXEC, the point of no
 * return, replaces the address space by one holding only the
 * personality's range and this thread's personality stack. In it the
 * personality maps the segments (anonymous pages the file is read into,
 * then given their protection: W^X holds throughout), maps the stack,
 * lays out argv, envp and auxv as Linux does (ustack.c), sets the break,
 * and makes the saved context start the program at its entry
 * (exec_set_regs, the platform's file). A failure past that point kills
 * the process, as on Linux.
 *
 * Everything exec needs across the point of no return lives in struct
 * exec on this thread's personality stack, which LUX_NR_EXEC keeps: no
 * lock, and only the pages the arguments fill are touched.
 */
#include "load.h"
#include "persona.h"
#include "fs.h"

#define ARGS_MAX   (32 * 1024) /* argv + envp: pointers and strings */
#define STACK_SIZE (8UL << 20) /* the program stack; pages on demand */
#define PIE_BASE   0x555555554000UL
#define EXEC_MAX   (256UL << 20) /* a larger program: ENOMEM */
#define STACK_TOP  (LUX_PERSONA_BASE - LOAD_PAGE)

#define MIN_(a, b)           ((a) < (b) ? (a) : (b))
#define O_NOFOLLOW_          0400000
#define PROT_R               1
#define PROT_W               2
#define PROT_X               4
#define MAP_PRIVATE_ANON     0x22
#define MAP_FIXED_           0x10
#define MAP_FIXED_NOREPLACE_ 0x100000
#define SIGKILL_             9
#define F_GETFD_             1

void exec_set_regs(void *ctx, uintptr_t pc, uintptr_t sp);
uint64_t exec_hwcap(void);
unsigned exec_machine(void);

/* A file exec loads: the program, or its interpreter (PT_INTERP). */
struct exec_file {
	int fd;           /* its descriptor, or -1 */
	const char *boot; /* or its path in the boot image */
	uint64_t size;    /* the file's size */
	long nhdr;        /* bytes of hdr read */
	struct elf_info elf;
	uint64_t hdr[256]; /* the file's first 2 KiB */
};

/* One execve's state, on the calling thread's personality stack. */
struct exec {
	char path[LUX_PATH_MAX];
	char interp[LUX_PATH_MAX]; /* the program's PT_INTERP, if any */
	const char **argv, **envp;
	const char *execfn;        /* the path execve was given */
	size_t used;               /* bytes of args used */
	struct exec_file prog, ld; /* ld: the interpreter, if any */
	char args[ARGS_MAX] __attribute__((aligned(8)));
};

/* The break (brk): set by exec, per address space like the image's data;
 * threads of one process share it, under brk_lock. */
static uintptr_t brk_start, brk_cur;
static int brk_lock;

/* Read len bytes at off of file f into buf: the bytes read (fewer at
 * its end) or -errno. */
static long exec_read(const struct exec_file *f, void *buf, size_t len,
		      uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		long r = f->boot ? native4(LUX_NR_BOOTFILE, f->boot, off + done,
					   (char *)buf + done, len - done)
				 : persona_syscall(NR_pread64, f->fd,
						   (long)buf + done, len - done,
						   off + done, 0, 0);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += r;
	}
	return done;
}

/* Open the program at path relative to dirfd for exec: the server checks
 * the execute right (LUX_O_EXEC). The one place the personality opens a
 * program: the path calls' move to the personality points it at theirs.
 * A descriptor or -errno. */
static long exec_open(long dirfd, const char *path, long flags)
{
	return fs_openat(
	    dirfd, (long)path,
	    LUX_O_EXEC | (flags & LUX_AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW_ : 0),
	    0);
}

/* Linux's struct statx, as far as exec reads it (the same on every
 * platform). */
struct statx_head {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad;
	uint64_t ino, size;
};

/* Find the file at path (relative to dirfd) for f: through its server,
 * or, before the file system runs (no resolver: the server path says
 * ENOENT), in the boot image. Sets f->fd or f->boot, and f->size. 0 or
 * -errno. */
static long exec_find(struct exec_file *f, const char *path, long dirfd,
		      long flags)
{
	struct statx_head st;
	char stx[256];
	long r = exec_open(dirfd, path, flags);

	f->fd = -1;
	f->boot = NULL;
	if (r == -ENOENT && path[0] == '/' &&
	    (f->size = native4(LUX_NR_BOOTFILE, path, 0, 0, 0)) !=
		(uint64_t)-ENOENT) {
		f->boot = path;
		return (long)f->size < 0 ? (long)f->size : 0;
	}
	if (r < 0)
		return r;
	f->fd = (int)r;
	if ((r = fs_statx(f->fd, (long)"", LUX_AT_EMPTY_PATH,
			  0x201 /* STATX_TYPE | STATX_SIZE */, (long)stx)) < 0)
		return r;
	memcpy(&st, stx, sizeof(st));
	f->size = st.size;
	if ((st.mode & LUX_S_IFMT) != LUX_S_IFREG)
		return -EACCES;
	return f->size > EXEC_MAX ? -ENOMEM : 0;
}

/* Read and check f's headers into f->elf: 0 or -errno (-ENOEXEC for
 * what is not an ELF file of ours). Placed at pie_bias if it is ET_DYN,
 * its segments must lie below the personality's reserved ranges, and
 * none may be writable and executable (W^X). */
static long exec_check(struct exec_file *f, uint64_t pie_bias)
{
	long n = exec_read(f, f->hdr, MIN_(sizeof(f->hdr), f->size), 0);
	uint64_t bias;

	if ((f->nhdr = n) < 0)
		return n;
	if (elf_parse(f->hdr, n, f->size, exec_machine(), &f->elf))
		return -ENOEXEC;
	bias = f->elf.pie ? pie_bias : 0;
	for (unsigned i = 0; i < f->elf.nseg; i++) {
		const struct elf_segment *s = &f->elf.seg[i];
		if (s->vaddr + bias + s->memsz > LUX_PERSONA_STACKS ||
		    (s->prot & ELF_PROT_W && s->prot & ELF_PROT_X))
			return -ENOEXEC;
	}
	return f->elf.entry + bias < USER_LIMIT ? 0 : -ENOEXEC;
}

/* The program has a PT_INTERP: read its path into e->interp, then find
 * and check the interpreter, as Linux does: 0, ENOEXEC for a path
 * without its NUL, the open's error (ENOENT, EACCES...), EIO for a file
 * shorter than an ELF header, ELIBBAD for one that is not an ELF file of
 * ours. The interpreter's own PT_INTERP is ignored (Linux's rule: one
 * level, no chain). Where it goes is chosen after the point of no return
 * (exec_place), so its segments are checked as if at 0 here. */
static long exec_find_interp(struct exec *e)
{
	const struct elf_info *elf = &e->prog.elf;
	long r, n = (long)elf->interp_len;

	if ((r = exec_read(&e->prog, e->interp, n, elf->interp_off)) < 0)
		return r;
	if (r != n || e->interp[n - 1] != '\0')
		return -ENOEXEC;
	if ((r = exec_find(&e->ld, e->interp, AT_FDCWD, 0)) < 0)
		return r;
	r = exec_check(&e->ld, 0);
	if (r == -ENOEXEC && e->ld.nhdr < 64)
		return -EIO;
	return r == -ENOEXEC ? -ELIBBAD : r;
}

/* Copy the NULL-terminated vector of strings at program address uvec (0:
 * none) into e->args, the pointers then the strings, and set *out to it:
 * 0, -EFAULT, or -E2BIG when it does not fit. */
static long copy_vector(struct exec *e, long uvec, const char ***out)
{
	const char **vec = (const char **)(e->args + e->used);
	size_t n = 0;

	for (;; n++) {
		long s = 0;
		if (e->used + (n + 1) * sizeof(char *) > ARGS_MAX)
			return -E2BIG;
		if (uvec && copy_in(&s, uvec + n * sizeof(long), sizeof(s)))
			return -EFAULT;
		vec[n] = (const char *)s;
		if (!s)
			break;
	}
	e->used += (n + 1) * sizeof(char *);
	for (size_t i = 0; i < n; i++) {
		long len =
		    str_in(e->args + e->used, (long)vec[i], ARGS_MAX - e->used);
		if (len < 0)
			return len == -EFAULT ? len : -E2BIG;
		vec[i] = e->args + e->used;
		e->used = LOAD_UP(e->used + len + 1, 8);
	}
	*out = vec;
	return 0;
}

/* The process's new name (the path's last component) and command line
 * (the first 256 bytes of argv, NUL-separated) for LUX_NR_EXEC. */
static long exec_point_of_no_return(const struct exec *e)
{
	char cmd[256];
	size_t used = 0;
	const char *name = e->execfn;

	for (const char *c = e->execfn; *c; c++)
		if (*c == '/')
			name = c + 1;
	char shortname[16];
	strlcpy(shortname, name, sizeof(shortname));
	for (const char **a = e->argv; *a && used < sizeof(cmd); a++) {
		size_t n = MIN_(strlen(*a) + 1, sizeof(cmd) - used);
		memcpy(cmd + used, *a, n);
		used += n;
	}
	return native4(LUX_NR_EXEC, shortname, cmd, used, e->prog.fd);
}

/* Map segment s of file f at bias: fresh pages, the file's bytes read
 * into them, then the segment's protection. Its end, or 0. */
static uintptr_t exec_map_segment(const struct exec_file *f,
				  const struct elf_segment *s, uintptr_t bias)
{
	uintptr_t start = LOAD_DOWN(s->vaddr + bias, LOAD_PAGE);
	uintptr_t end = LOAD_UP(s->vaddr + bias + s->memsz, LOAD_PAGE);
	unsigned prot = (s->prot & ELF_PROT_R ? PROT_R : 0) |
			(s->prot & ELF_PROT_W ? PROT_W : 0) |
			(s->prot & ELF_PROT_X ? PROT_X : 0);

	if (persona_syscall(NR_mmap, start, end - start, PROT_R | PROT_W,
			    MAP_PRIVATE_ANON | MAP_FIXED_NOREPLACE_, -1,
			    0) != (long)start ||
	    exec_read(f, (void *)(s->vaddr + bias), s->filesz, s->offset) !=
		(long)s->filesz)
		return 0;
	if (prot != (PROT_R | PROT_W) &&
	    native3(NR_mprotect, start, end - start, prot) < 0)
		return 0;
	return end;
}

/* Map every segment of file f at bias: the end of the last, or 0. */
static uintptr_t exec_map_file(const struct exec_file *f, uintptr_t bias)
{
	uintptr_t end = 0;

	for (unsigned i = 0; i < f->elf.nseg; i++)
		if (!(end = exec_map_segment(f, &f->elf.seg[i], bias)))
			return 0;
	return end;
}

/* Where the interpreter goes: its bias, so that its segments fill a gap
 * of the mmap area (top down, as Linux's mmap base), or 0 if there is
 * none. The address space holds only the program yet: the gap found by
 * an anonymous mapping stays free once that is unmapped. */
static uintptr_t exec_place(const struct exec_file *f)
{
	const struct elf_segment *first = &f->elf.seg[0];
	const struct elf_segment *last = &f->elf.seg[f->elf.nseg - 1];
	uintptr_t low = LOAD_DOWN(first->vaddr, LOAD_PAGE);
	uintptr_t span = LOAD_UP(last->vaddr + last->memsz, LOAD_PAGE) - low;
	long at = persona_syscall(NR_mmap, 0, span, 0, MAP_PRIVATE_ANON, -1, 0);

	if (at < 0 || native2(NR_munmap, at, span) < 0)
		return 0;
	return (uintptr_t)at - low;
}

/* Past the point of no return: load the program and its interpreter,
 * build the stack and make ctx start the interpreter, or the program if
 * it has none. 0, or -1 if the process must die. */
static long exec_load(struct exec *e, void *ctx)
{
	const struct elf_info *elf = &e->prog.elf;
	uintptr_t bias = elf->pie ? PIE_BASE : 0, ld_bias = 0;
	uintptr_t end = exec_map_file(&e->prog, bias);
	uintptr_t entry = elf->entry + bias;
	unsigned ids[6]; /* real, effective, saved uid; then gid */
	uint8_t rnd[16];

	if (!end)
		return -1;
	if (elf->interp_len) { /* an ET_EXEC interpreter stays where it is */
		if ((e->ld.elf.pie && !(ld_bias = exec_place(&e->ld))) ||
		    !exec_map_file(&e->ld, ld_bias))
			return -1;
		entry = e->ld.elf.entry + ld_bias;
	}
	if (persona_syscall(NR_mmap, STACK_TOP - STACK_SIZE, STACK_SIZE,
			    PROT_R | PROT_W, MAP_PRIVATE_ANON | MAP_FIXED_, -1,
			    0) < 0 ||
	    persona_getres(LUX_CRED_UID, (long)&ids[0], (long)&ids[1],
			   (long)&ids[2]) < 0 ||
	    persona_getres(LUX_CRED_GID, (long)&ids[3], (long)&ids[4],
			   (long)&ids[5]) < 0 ||
	    native3(NR_getrandom, rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -1;
	uint64_t aux[][2] = {{AT_PHDR, elf->phdr_vaddr + bias},
			     {AT_PHENT, elf->phentsize},
			     {AT_PHNUM, elf->phnum},
			     {AT_PAGESZ, LOAD_PAGE},
			     {AT_BASE, ld_bias},
			     {AT_FLAGS, 0},
			     {AT_ENTRY, elf->entry + bias},
			     {AT_UID, ids[0]},
			     {AT_EUID, ids[1]},
			     {AT_GID, ids[3]},
			     {AT_EGID, ids[4]},
			     {AT_SECURE, ids[0] != ids[1] || ids[3] != ids[4]},
			     {AT_HWCAP, exec_hwcap()},
			     {AT_HWCAP2, 0},
			     {AT_CLKTCK, 100},
			     {AT_PLATFORM, (uintptr_t)PERSONA_MACHINE}};
	/* the stack is fresh memory of this process: written directly */
	uintptr_t sp =
	    ustack_build((void *)(STACK_TOP - 2 * ARGS_MAX), 2 * ARGS_MAX,
			 STACK_TOP, e->argv, e->envp, e->execfn, aux,
			 sizeof(aux) / sizeof(aux[0]), rnd);
	if (!sp)
		return -1;
	/* the only thread now; a thread that died holding the lock in the
	 * old program left it taken */
	brk_start = brk_cur = end;
	__atomic_store_n(&brk_lock, 0, __ATOMIC_RELEASE);
	exec_set_regs(ctx, entry, sp);
	return 0;
}

/* Copy len bytes of s into e->args as a string: the copy, or NULL if it
 * does not fit. */
static const char *args_add(struct exec *e, const char *s, size_t len)
{
	char *copy = e->args + e->used;

	if (e->used + len + 1 > ARGS_MAX)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	e->used = LOAD_UP(e->used + len + 1, 8);
	return copy;
}

/* e->prog.hdr holds a "#!" script's start: make its interpreter the program,
 * with argv: the interpreter, its one optional argument (the rest of the
 * line, trimmed), the script's path, then argv[1...]. As on Linux, the
 * line must end within the first 256 bytes. 0, -ENOEXEC or -E2BIG. */
static long exec_script(struct exec *e)
{
	const char *line = (const char *)e->prog.hdr, *eol, *interp, *arg;
	const char *script = e->execfn, **argv;
	size_t n, argc = 0, ilen, alen;

	for (eol = line + 2;
	     eol < line + MIN_(e->prog.nhdr, 256) && *eol != '\n';)
		eol++;
	if (eol == line + 256)
		return -ENOEXEC;
	for (interp = line + 2;
	     interp < eol && (*interp == ' ' || *interp == '\t');)
		interp++;
	for (arg = interp; arg < eol && *arg != ' ' && *arg != '\t';)
		arg++;
	ilen = arg - interp;
	while (arg < eol && (*arg == ' ' || *arg == '\t'))
		arg++;
	for (alen = eol - arg;
	     alen && (arg[alen - 1] == ' ' || arg[alen - 1] == '\t' ||
		      arg[alen - 1] == '\r');)
		alen--;
	if (!ilen || ilen >= sizeof(e->path))
		return -ENOEXEC;
	if (!(script = args_add(e, e->path, strlen(e->path))))
		return -E2BIG;
	if (e->execfn == e->path) /* the first script: what the program sees */
		e->execfn = script;
	while (e->argv[argc])
		argc++;
	argv = (const char **)(e->args + e->used);
	if ((e->used += (argc + 4) * sizeof(char *)) > ARGS_MAX ||
	    !(argv[0] = args_add(e, interp, ilen)) ||
	    (alen && !(argv[1] = args_add(e, arg, alen))))
		return -E2BIG;
	n = alen ? 2 : 1;
	argv[n++] = script;
	for (size_t i = 1; i < argc; i++)
		argv[n++] = e->argv[i];
	argv[n] = NULL;
	memcpy(e->path, argv[0], ilen + 1);
	e->argv = argv;
	return 0;
}

/* Find and check the program at e->path, following "#!" scripts (at
 * most 4 deep, then ELOOP), and its interpreter: 0 or -errno. */
static long exec_find_program(struct exec *e, long dirfd, long flags)
{
	struct exec_file *f = &e->prog;
	long r = exec_find(f, e->path, dirfd, flags);

	for (int depth = 0; !r; depth++) {
		if ((r = exec_check(f, PIE_BASE)) == 0)
			return f->elf.interp_len ? exec_find_interp(e) : 0;
		if (r != -ENOEXEC || f->nhdr < 2 || memcmp(f->hdr, "#!", 2))
			return r;
		if (depth == 4)
			return -ELOOP;
		if (f->fd >= 0)
			native1(NR_close, f->fd);
		f->fd = -1;
		if (!(r = exec_script(e)))
			r = exec_find(f, e->path, AT_FDCWD, 0);
	}
	return r;
}

/* The program at e->path (relative to dirfd) with e->argv and e->envp
 * replaces the caller's: 0 (ctx now starts it) or -errno, with nothing
 * changed. A failure once the old program is gone kills the process. */
static long exec_run(struct exec *e, long dirfd, long flags, void *ctx)
{
	long r;

	e->execfn = e->path;
	e->ld.fd = -1;
	r = exec_find_program(e, dirfd, flags);
	if (!r)
		r = exec_point_of_no_return(e);
	if (!r && exec_load(e, ctx) < 0) {
		native2(NR_kill, native0(NR_getpid), SIGKILL_);
		native1(NR_exit_group, 128 + SIGKILL_); /* PID 1 ignores it */
	}
	if (e->prog.fd >= 0)
		native1(NR_close, e->prog.fd);
	if (e->ld.fd >= 0)
		native1(NR_close, e->ld.fd);
	return r;
}

/* execveat's AT_EMPTY_PATH: run the file of descriptor fd, reached
 * through /proc/self/fd/<fd> so that its server checks the right to
 * execute it, as glibc's fexecve does where it lacks execveat. */
static long exec_fd(struct exec *e, long fd, void *ctx)
{
	char digits[12];
	int n = 0;

	if (fd < 0 || native2(NR_fcntl, fd, F_GETFD_) < 0)
		return fd == AT_FDCWD ? -EACCES : -EBADF;
	do
		digits[n++] = '0' + fd % 10;
	while ((fd /= 10));
	strlcpy(e->path, "/proc/self/fd/", sizeof(e->path));
	for (size_t at = strlen(e->path); n;)
		e->path[at++] = digits[--n], e->path[at] = 0;
	return exec_run(e, AT_FDCWD, 0, ctx);
}

/* Copy the path and the vectors from the program: 0 or -errno. */
static long exec_copy_args(struct exec *e, long upath, long uargv, long uenvp)
{
	long r = str_in(e->path, upath, sizeof(e->path));

	if (r < 0)
		return r;
	e->used = 0;
	if ((r = copy_vector(e, uargv, &e->argv)) < 0)
		return r;
	return copy_vector(e, uenvp, &e->envp);
}

long persona_execveat(long dirfd, long upath, long uargv, long uenvp,
		      long flags, void *ctx)
{
	struct exec e;
	long r;

	if (flags & ~(LUX_AT_SYMLINK_NOFOLLOW | LUX_AT_EMPTY_PATH))
		return -EINVAL;
	if ((r = exec_copy_args(&e, upath, uargv, uenvp)) < 0)
		return r;
	if (!e.path[0] && !(flags & LUX_AT_EMPTY_PATH))
		return -ENOENT;
	if (!e.path[0]) /* fexecve: the file dirfd names, by its /proc link */
		return exec_fd(&e, dirfd, ctx);
	return exec_run(&e, dirfd, flags, ctx);
}

long persona_execve(long upath, long uargv, long uenvp, void *ctx)
{
	return persona_execveat(AT_FDCWD, upath, uargv, uenvp, 0, ctx);
}

/* Write s to the console (descriptor 2). */
static void boot_say(const char *s)
{
	native3(NR_write, 2, s, strlen(s));
}

/* The first process: exec init from the boot image, per the kernel's
 * command line (nwords NUL-separated words at program address uwords,
 * size bytes): init= (default /sbin/init), the words after "--" its
 * arguments. On failure it says why and exits. */
long persona_boot(long uwords, long nwords, long size, void *ctx)
{
	static const char *envp[] = {"HOME=/", "PATH=/bin:/sbin:/tests",
				     "TERM=vt100", NULL};
	struct exec e;
	const char *argv[16] = {"/sbin/init"}, *w = e.args;
	unsigned argc = 1;
	long i = 0, r;

	if (size > ARGS_MAX - 1 || copy_in(e.args, uwords, size))
		return -EFAULT;
	e.args[size] = '\0';
	e.used = LOAD_UP((size_t)size + 1, 8);
	for (; i < nwords && strcmp(w, "--"); i++, w += strlen(w) + 1)
		if (!strncmp(w, "init=", 5))
			argv[0] = w + 5;
	for (i++, w += strlen(w) + 1; i < nwords && argc < 15; i++) {
		argv[argc++] = w;
		w += strlen(w) + 1;
	}
	strlcpy(e.path, argv[0], sizeof(e.path));
	e.argv = argv;
	e.envp = envp;
	if ((r = exec_run(&e, AT_FDCWD, 0, ctx)) < 0) {
		char num[8] = {'-', (char)('0' + -r / 10 % 10),
			       (char)('0' + -r % 10), '\n', 0};
		if (-r < 10) /* errno values have one or two digits */
			memmove(num + 1, num + 2, 3);
		boot_say("lux: cannot start ");
		boot_say(e.path);
		boot_say(": error ");
		boot_say(num);
		native1(NR_exit_group, 127);
	}
	return 0;
}

long persona_brk(long brk)
{
	uintptr_t old, new;
	long r;

	while (__atomic_exchange_n(&brk_lock, 1, __ATOMIC_ACQUIRE))
		;
	old = LOAD_UP(brk_cur, LOAD_PAGE);
	new = LOAD_UP((uintptr_t)brk, LOAD_PAGE);
	r = brk_cur;
	if ((uintptr_t)brk < brk_start || (uintptr_t)brk >= LUX_PERSONA_STACKS)
		; /* brk(0) asks; the break stays */
	else if (new > old &&
		 persona_syscall(NR_mmap, old, new - old, PROT_R | PROT_W,
				 MAP_PRIVATE_ANON | MAP_FIXED_NOREPLACE_, -1,
				 0) < 0)
		; /* growth failed: the old break */
	else {
		if (new < old)
			native2(NR_munmap, new, old - new);
		r = brk_cur = brk;
	}
	__atomic_store_n(&brk_lock, 0, __ATOMIC_RELEASE);
	return r;
}
