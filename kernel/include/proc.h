/*
 * proc.h - processes, their address spaces and the user-memory helpers.
 *
 * A process owns an address space (struct mm), credentials, signal
 * dispositions and, from the IPC issue on, a descriptor table; its threads
 * are ordinary scheduler threads with a user context. Locking: proc_lock
 * (a mutex) guards the process tree, pids and exit/wait state; mm->lock
 * guards an address space's areas and page tables.
 */
#pragma once

#include "kernel.h"
#include "list.h"
#include "sched.h"
#include <arch.h>

/* A virtual memory area: [start, end) with one protection. */
struct vma {
	struct list link; /* in mm->vmas, sorted by start */
	uintptr_t start, end;
	unsigned prot;    /* PROT_* */
	bool shared;      /* MAP_SHARED: pages stay shared across fork */
};

struct mm {
	struct arch_as as;
	struct list vmas;
	struct mutex lock;
	uintptr_t brk_start, brk;
	unsigned refs; /* processes/threads using it (CLONE_VM, vfork) */
};

/* mm/vm.c */
struct mm *mm_create(void);
struct mm *mm_fork(struct mm *parent);
void mm_put(struct mm *mm);
/* mmap/munmap/mprotect/brk semantics of Linux for anonymous memory;
 * return the address (or 0) or a negative errno. */
long vm_map(struct mm *mm, uintptr_t addr, size_t len, unsigned prot,
	    unsigned flags);
long vm_unmap(struct mm *mm, uintptr_t addr, size_t len);
long vm_protect(struct mm *mm, uintptr_t addr, size_t len, unsigned prot);
long vm_brk(struct mm *mm, uintptr_t brk);
/* Copy len bytes into a fresh mapping at addr in mm (exec's loader). */
int vm_fill(struct mm *mm, uintptr_t addr, const void *src, size_t len);

struct proc {
	int pid;
	struct proc *parent;
	struct list children, sibling;
	struct mm *mm;
	struct list threads; /* its threads' proc_link */
	unsigned nthreads;
	bool zombie;         /* every thread has exited */
	int status;          /* wait status once a zombie */
	struct waitq child_wq; /* wait4 sleeps here for a child to change */
	unsigned uid, gid;
	char name[16];
};

/* proc/proc.c */
extern struct mutex proc_lock;
struct proc *current_proc(void);
/* Start the first process from path in the initrd; returns only on error. */
int proc_start_init(const char *path, const char *const argv[]);
/* Turn the current thread into a user thread of p. */
NORETURN void proc_exit(int status);

/* proc/uaccess.c: checked copies between kernel and user memory. */
int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most size-1 bytes: its length, or
 * -EFAULT, or -ENAMETOOLONG when it does not fit. */
long strncpy_from_user(char *dst, const char *usrc, size_t size);

/* The initrd, until file servers exist: its contents by path. */
extern const void *initrd;
extern size_t initrd_size;
