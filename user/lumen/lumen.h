/*
 * lumen.h - lumen, PID 1: what its parts share (docs/lumen.md).
 *
 * lumen.c starts the system and supervises it, router.c answers path
 * requests, svc.c starts services, tab.c reads /etc/lumen.tab, route.c
 * keeps the mount table.
 */
#pragma once

#include "route.h"
#include <lux.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SVC_MAX    32
#define SVC_ARGS   16
#define SVC_MOUNTS 12
#define SVC_GRANTS 8

struct grant {
	int kind; /* LUX_GRANT_*, or GRANT_PCI */
	uint64_t base, count;
};
/* A PCI function (base: vendor << 16 | device) that lumen turns into the
 * grants and arguments of its driver before it starts it (pci.c). */
#define GRANT_PCI 0x100
/* A virtio-mmio device (base: the first slot's address; count: the
 * device id, the number of slots and the first slot's line, as below)
 * that lumen turns into grants and arguments the same way (vmmio.c). */
#define GRANT_VMMIO 0x101
#define VMMIO_COUNT(id, slots, irq)                                            \
	((uint64_t)(id) << 32 | (slots) << 16 | (irq))
#define VMMIO_ID(count)    ((unsigned)((count) >> 32))
#define VMMIO_SLOTS(count) ((unsigned)((count) >> 16 & 0xffff))
#define VMMIO_IRQ(count)   ((int)((count)&0xffff))

/* One line of /etc/lumen.tab (tab.c). Strings point into the line. */
struct svc_conf {
	char *name;
	char *mounts[SVC_MOUNTS];
	int nmounts;
	struct grant grants[SVC_GRANTS];
	int ngrants;
	char *argv[SVC_ARGS + 1]; /* NULL-terminated */
};

/* A service lumen started and watches: a server, or the console session. */
struct svc {
	struct svc_conf conf;
	char *line;      /* the table line conf points into (owned) */
	bool used;       /* this slot holds a service */
	bool restart;    /* restart it when it dies (not ramfs, tmpfs) */
	bool session;    /* the console session (no channel, fds 0-2) */
	bool retired;    /* unmounted or given up: never restart */
	bool dynamic;    /* started by mount(2): let go when unmounted */
	int pid;         /* 0 while not running */
	int client_fd;   /* its channel's client end, -1: none (mtab_lock) */
	int64_t started; /* ms on the monotonic clock */
	int64_t restart_at;
	int backoff; /* ms to wait before the next restart */
	/* A server whose state lumen keeps in the memory object state_fd
	 * (above fd 4, else 0: none), given to it as fd 4: ramfs's tree, a
	 * driver's DMA memory (pci.c). ramfs is built into lumen too: a
	 * restart runs builtin in the child, no exec (the program cannot be
	 * read from the root while the root is what is down). */
	int (*builtin)(int state_fd);
	int state_fd;
};

/* user/ramfs/main.c, linked into lumen. */
int ramfs_main(int state_fd);

extern struct svc svcs[SVC_MAX];
/* The mount table and every svc's client_fd: the router reads them, the
 * main thread changes them, both with mtab_lock held. */
extern struct mtab mtab;
extern pthread_mutex_t mtab_lock;
/* The server end of lumen's own channel (the resolver), and its client
 * end (router.c). */
extern int lumen_fd;
extern int resolver_client;
/* router.c: the mount table or a client_fd changed (mtab_lock held): a
 * new generation from the kernel (LUX_NR_RESOLVER), so that the cached
 * routes of every process go stale before a descriptor is reused. */
void mtab_changed(void);

void lumen_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t now_ms(void);

/* tab.c: parse one table line in place (comments and blank lines give
 * 0, a service 1, a malformed line -1 with *why set). */
int tab_parse(char *line, struct svc_conf *c, const char **why);
/* The next whitespace-separated word of *s, NUL-terminated in place, or
 * NULL at the end of the line or at a comment (tab.c). */
char *tab_word(char **s);
/* The file at path whole, NUL-terminated (malloc), or NULL (lumen.c). */
char *read_text(const char *path);

/* pci.c: replace s's pci= grant by the next function with those ids that
 * no service has: grants of its configuration page, its memory BARs, an
 * MSI interrupt line and DMA, two more arguments for the driver (the
 * page's physical address, the line), and a memory object for its DMA
 * memory that lumen keeps (state_fd): a device still writing into it
 * after its driver died writes into memory nobody else has. 0, nothing
 * to do; -ENODEV when no such function is left; -errno. */
int pci_resolve(struct svc *s);

/* vmmio.c: the same for s's virtio-mmio= grant: the next slot from the
 * last down holding a version 2 device with that id that no service
 * has: grants of its registers' page, its line and DMA, the arguments
 * (the registers' physical address, the line) and state_fd. 0, nothing
 * to do; -ENODEV when no such device is left; -errno. */
int vmmio_resolve(struct svc *s);

/* svc.c */
/* Start program argv in a child: fd 3 is server_fd (if >= 0), the grants
 * are given before it runs; a console child leads a new session with fds
 * 0-2 on /dev/console. With builtin (a service whose builtin is set),
 * its state_fd is fd 4 and a restart runs builtin instead of argv.
 * Returns the pid once the child's execve read the program (or the
 * builtin started), or -errno. */
int svc_spawn(char *const argv[], int server_fd, const struct grant *g, int ng,
	      bool console, const struct svc *builtin);
/* Start s (a server: with a fresh channel, its client end swapped into
 * the table atomically). 0 or -errno. */
int svc_start(struct svc *s);
/* A child ended: restart its service later, or give it up. Returns true
 * when it was the test command (lumen must exit with *exit_code). */
bool svc_exited(int pid, int status, int *exit_code);
/* An error of svc_start that retrying cannot mend (no such program). */
bool svc_hopeless(int err);
/* Free the slot of a service started by mount(2) that no longer runs. */
void svc_free(struct svc *s);
/* Restart s after its back-off, and double the back-off: the delay. */
int svc_schedule(struct svc *s);
/* Start every service whose restart time came; the ms until the next one
 * is due in *wait (-1: none). */
void svc_restart_due(int *wait);
/* Mount s on its mount points (creating device nodes). */
void svc_mount(struct svc *s, const char *fstype);
/* Make the device node of every file mount (after devfs (re)starts). */
void svc_make_nodes(void);
/* Rewrite /run/mounts from the table. */
void svc_write_mounts(void);

/* router.c: the thread answering path requests on lumen_fd. MOUNT and
 * UMOUNT go to the main thread through the pipe mount_pipe. */
extern int mount_pipe[2];
void router_start(void);
/* Do a MOUNT or UMOUNT request (main thread) and answer it. */
void router_mount(struct lux_msg *m);
/* Start a server for file system type on target, as mount(2) does (an
 * ext2 server on the image or disk src): 0 or -errno. Main thread. */
int mount_fs(const char *src, const char *target, const char *type);
/* A bind mount (MS_BIND, with rec MS_REC): the mounts on src (a mount
 * point; and those below it when rec) mounted again at target, by the
 * same servers (mtab_bind). 0 or -errno. */
int mount_bind(const char *src, const char *target, bool rec);
/* Mount each line of /etc/fstab (source, target, type, ...) whose source
 * exists (a disk that is attached). Main thread, at boot. */
void mount_fstab(void);
