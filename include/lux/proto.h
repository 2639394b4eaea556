/*
 * proto.h - the request protocol between the kernel, lumen and the servers
 * (docs/protocol.md), and lux's native system calls. The one definition of
 * every message: the kernel and user space both include it.
 *
 * A server holds the server end of a channel (LUX_NR_CHANNEL; lumen hands
 * it over as descriptor LUX_SERVER_FD). It read()s requests from it, one
 * whole message per read, and write()s replies, one whole message per
 * write; poll() says POLLIN while a request waits. A read returns 0 once
 * every client end is gone and nothing is queued: the server may exit.
 * When the server end closes, every request pending on it fails with EIO.
 *
 * Every request starts with struct lux_req, every reply with struct
 * lux_rep; `len` counts the header and the payload after it. Fields not
 * listed for an operation are zero. Flags (lux/fcntl.h), modes
 * (lux/stat.h), poll events (lux/poll.h) and errors (lux/errno.h) have
 * Linux's asm-generic (x86_64) values on every platform, defined there
 * and never taken from a C library; a platform whose ABI differs
 * translates where the call enters lux.
 */
#pragma once

#include <lux/fcntl.h>
#include <lux/poll.h>
#include <lux/stat.h>
#include <stdint.h>

/* Native system calls: numbers past every Linux call, same on all ports. */
#define LUX_NR_BASE 1024
/* (int fds[2]) -> 0: fds[0] the server end, fds[1] a client end. */
#define LUX_NR_CHANNEL (LUX_NR_BASE + 0)
/* (fd) -> generation: the client end fd receives every path request from
 * now on (PID 1 only; EPERM otherwise). Every call, with the same fd too,
 * bumps the resolver's generation (from 1) and returns it: the resolver
 * calls it again whenever its mount table or a descriptor it redirects to
 * changes, so that LUX_NR_REQUEST can refuse a stale route. */
#define LUX_NR_RESOLVER (LUX_NR_BASE + 1)
/* (pid, kind, base, count) -> 0: let process pid use a piece of hardware
 * (PID 1 only). Grants survive execve, not fork. */
#define LUX_NR_GRANT (LUX_NR_BASE + 2)
/* (irq) -> fd: readable once the interrupt fired; read() of 8 bytes
 * returns the number of interrupts since the last read and re-enables the
 * line (needs a LUX_GRANT_IRQ grant). */
#define LUX_NR_IRQ (LUX_NR_BASE + 3)
/* (offset, buf, len) -> bytes copied from the boot image (the initrd's
 * cpio archive), 0 past its end (PID 1 or a LUX_GRANT_BOOTDATA grant). */
#define LUX_NR_BOOTDATA (LUX_NR_BASE + 4)
/* (pid, struct lux_procinfo *) -> 0: the process with the lowest pid >=
 * pid; ESRCH when there is none.
 * (pid, buf, item, size), item an int -> what procfs shows in /proc/<pid>
 * of process pid itself (ESRCH), into buf (size bytes):
 *   LUX_PROCINFO_EXE, LUX_PROCINFO_CWD -> length: the path its program
 *     was opened by (ENOENT: none, a boot image's program) or its working
 *     directory, with its NUL (ERANGE when it does not fit).
 *   LUX_PROCINFO_FD + n -> length: struct lux_fdinfo of its descriptor n
 *     then, with a NUL, the path a server's file was opened by or the
 *     kind of a kernel object ("eventpoll", "eventfd", "signalfd"; "" for
 *     others); EBADF, ERANGE.
 *   LUX_PROCINFO_MAPS -> bytes: struct lux_mapinfo of its areas from
 *     the first that ends above the address buf holds (a uint64_t), as
 *     many as fit, at most 64.
 *   LUX_PROCINFO_TASKS -> bytes: its thread ids (int32_t), as many as fit.
 * Items but TASKS need the caller to be allowed to read p's memory
 * (Linux's ptrace read rule, as setrlimit's: itself, root, or real ids
 * all three of p's), else EACCES; EINVAL for an unknown item. */
#define LUX_NR_PROCINFO    (LUX_NR_BASE + 5)
#define LUX_PROCINFO_EXE   1
#define LUX_PROCINFO_CWD   2
#define LUX_PROCINFO_MAPS  3
#define LUX_PROCINFO_TASKS 4
#define LUX_PROCINFO_FD    16
/* (cpu, buf, len) -> bytes: a line describing CPU cpu (model, features),
 * ESRCH past the last CPU. */
#define LUX_NR_CPUINFO (LUX_NR_BASE + 6)
/* () -> fd, close-on-exec: reads the kernel's log lines from now on and
 * never waits (EAGAIN; poll); while it is open the kernel leaves the
 * console to its reader but for a panic (root; EBUSY: one reader). */
#define LUX_NR_KLOG (LUX_NR_BASE + 7)
/* (pid, struct lux_cred *) -> 0: the ids and supplementary groups of
 * process pid (0: the caller), which anyone may read (Linux shows them in
 * /proc/PID/status); ESRCH. The personality builds every id call on it. */
#define LUX_NR_CRED (LUX_NR_BASE + 12)
/* (LUX_CRED_UID or LUX_CRED_GID, real, eff, saved) -> 0: set the caller's
 * ids, -1 keeping one; without euid 0 each new id must be one of the
 * three current ones (EPERM): setresuid's rule, the most permissive of
 * Linux's, so skipping the personality gains nothing.
 * (LUX_CRED_GROUPS, n, gid_t list[n]) -> 0: the supplementary groups
 * (euid 0 only, EPERM; n > LUX_NGROUPS EINVAL; EFAULT). */
#define LUX_NR_SETCRED  (LUX_NR_BASE + 13)
#define LUX_CRED_UID    0
#define LUX_CRED_GID    1
#define LUX_CRED_GROUPS 2
/* (struct lux_sysstat *) -> 0: the raw figures behind sysinfo, times and
 * getrusage (the personality's), for the caller. */
#define LUX_NR_SYSSTAT (LUX_NR_BASE + 20)
/* (name, set) -> 0: set (set != 0) the calling thread's name from the
 * string at name (cut at 15 bytes; on the main thread the process's name
 * too, which the log and procfs show), or copy its 16 bytes to name.
 * EFAULT. prctl's PR_SET_NAME and PR_GET_NAME. */
#define LUX_NR_NAME (LUX_NR_BASE + 21)
/* () -> the program's rax: end the call reflected to the calling thread's
 * personality: load the program's registers and signal mask from the
 * struct lux_persona_ctx at the top of the thread's personality stack,
 * validated as rt_sigreturn validates a signal frame (a user pc, user
 * flags only; cs and ss ignored). The result is the block's rax, taken as
 * the call's result: -ERESTARTSYS (-512) restarts the call or fails it
 * with EINTR as for a kernel call. Anyone may call it: it does no more
 * than rt_sigreturn. An unreadable block or a bad pc: SIGSEGV. The same
 * ends a signal's upcall (struct lux_persona_sig) at the handler. */
#define LUX_NR_RESUME (LUX_NR_BASE + 14)
/* (name, cmdline, len, fd) -> 0: exec's point of no return, for the
 * personality's execve (docs/decisions/0008-exec-in-the-personality.md).
 * Ends the process's other threads, then replaces its address space by a
 * fresh one holding only the personality's range [LUX_PERSONA_BASE,
 * LUX_PERSONA_LIMIT) and the caller's personality stack slot (their pages
 * shared copy-on-write with the old space, which a vfork parent keeps),
 * resets what execve resets (caught signals to SIG_DFL, the FPU and TLS
 * registers; the personality resets the alternate signal stack), closes
 * close-on-exec descriptors, names the process `name` (a string, cut to
 * 15 bytes) with command line cmdline (len <= 256 bytes, NUL-separated
 * arguments), its program the regular file of descriptor fd (else none;
 * LUX_PROCINFO_EXE) and releases a vfork parent. Returns to the caller in the
 * new space, which then maps the program itself. EFAULT, EINVAL (len),
 * EAGAIN (another thread is exec'ing), ENOMEM: nothing has changed. */
#define LUX_NR_EXEC (LUX_NR_BASE + 10)
/* (path, off, buf, len) -> bytes: read len bytes at off of the file at the
 * absolute path of the boot image (the initrd's cpio archive, links
 * followed), which must be a regular file with an execute bit; with len 0
 * the file's size. Anyone may, but only while no resolver is named (the
 * programs that start the file system), or when the caller's last
 * LUX_NR_EXEC came before one was (it is still loading): ENOENT else, or
 * if absent;
 * EACCES, ELOOP, ENAMETOOLONG, EFAULT. The kernel also reflects this
 * number (with a[0] the command line's words, a[1] their bytes) to the
 * first process's personality, which starts init from the boot image. */
#define LUX_NR_BOOTFILE (LUX_NR_BASE + 11)
/* (target, gen, req, buf, size, path) -> 0 or -errno: send one request
 * and wait for its reply (the personality's path calls, user/persona/).
 * req: a whole request, header and payload (len); to the resolver or a
 * server, only the operations on a path (handle 0) from LUX_OPEN to
 * LUX_STATFS and lumen's LUX_MOUNT, LUX_UMOUNT and LUX_MOUNTS are allowed
 * (EINVAL). The kernel stamps the
 * caller's identity (pid..gid, groups; the real ids for LUX_ACCESS with
 * LUX_ACCESS_REAL), takes id itself, and clears mode's umask bits for
 * OPEN, MKDIR and MKNOD. target: LUX_REQ_RESOLVER, the resolver; n >= 0,
 * the client end at descriptor n of the resolver's table (EBADF if none),
 * only while the resolver's generation is gen (ESTALE otherwise; gen 0:
 * unchecked, for a resolver that keeps none);
 * LUX_REQ_FD(fd), the object of the caller's descriptor fd (the
 * personality's calls on descriptors, user/persona/fdcalls.c): only
 * STAT, CHMOD, CHOWN, UTIMENS, TRUNCATE, STATFS, GETDENTS, IOCTL,
 * FSYNC and LOCK (EINVAL), TRUNCATE only on a descriptor open for writing
 * (EINVAL), LOCK with the open file description's number in count (a
 * process that sent one gets LUX_UNLOCK sent at each close of a remote
 * file from then on); a remote file's server gets it by the file's handle (an
 * O_PATH descriptor allows only STAT and STATFS: EBADF); for its own
 * objects (pipes, sockets, memory objects, ...) the kernel answers STAT
 * (type, an identity, the caller as owner, a memory object's size) and a
 * memory object's TRUNCATE (off: the new size), EINVAL for anything
 * else (docs/decisions/0022-descriptor-calls.md).
 * buf (size bytes, at least a struct lux_rep) receives the reply:
 * its header, then its payload cut to size (at most 2 * LUX_PATH_MAX).
 * A successful OPEN's reply becomes a descriptor (the open flags of the
 * request: access mode, O_APPEND, O_NONBLOCK, O_PATH, O_CLOEXEC), named
 * path (the absolute name LUX_NR_FDPATH returns; may be NULL), and its
 * number replaces the reply's result. Errors: EFAULT, ENOMEM, ENOENT (no
 * resolver yet), EIO (the server is gone). A signal ends the wait and
 * cancels the request: made by the program, as any call (EINTR, or a
 * restart with SA_RESTART); made from inside the personality, a signal
 * the program's mask at its reflection lets through ends it with
 * LUX_ERESTART_CALL, which the personality gives back as the program's
 * -ERESTARTSYS (persona_entry): the handler runs, then the call restarts
 * (SA_RESTART) or fails with EINTR, as a kernel call would.
 * A chrooted process (LUX_NR_ROOT) sends path requests to the resolver
 * only (a server directly: ESTALE); gen is then the directory its paths
 * start from when that lies outside the root, LUX_REQ_BASE(dirfd) (its
 * current one: AT_FDCWD), or 0. The kernel follows lumen's REDIRECT
 * itself after checking each path (SYMLINK's target is data): clean
 * (no ".", "..", empty component) and at or below the root, or anywhere
 * when the base is a directory the process holds outside the root (as
 * ".." from it reaches anything on Linux), or anywhere clean on a mount
 * lumen marks LUX_REDIRECT_ANY_ROOT (sockets, SysV IPC); else ENOENT.
 * The reply is the server's, a FOLLOW's off counted in the path as
 * sent; an OPEN's descriptor is named by the path, never by `path`. */
#define LUX_NR_REQUEST      (LUX_NR_BASE + 8)
#define LUX_REQ_RESOLVER    (-1)
#define LUX_REQ_FD(fd)      (-2 - (long)(fd))
#define LUX_REQ_BASE(dirfd) ((long)(dirfd) + 101) /* AT_FDCWD: 1 */
/* (fd, buf, size) -> length: the absolute path directory descriptor fd
 * was opened by (its NUL too into buf); EBADF, ENOTDIR when fd is no
 * directory a server opened, ERANGE when size is too small. */
#define LUX_NR_FDPATH (LUX_NR_BASE + 9)
/* (path, 0, base) -> 0: make the absolute path (a string starting with
 * '/') the process's current directory, as relative names start; EINVAL
 * for a relative one; in a chrooted process ENOENT unless the path is
 * clean and inside its root or base (LUX_REQ_BASE) is a directory it
 * holds outside (as LUX_NR_REQUEST). The kernel checks nothing else (the
 * personality checked it is a directory the caller may search):
 * requests carry the caller's identity, never its directory. (buf,
 * size) with size != 0 ->
 * the length with its NUL: the current directory copied to buf, ERANGE
 * when it does not fit; the personality's getcwd. */
#define LUX_NR_CHDIR (LUX_NR_BASE + 16)
/* (op, a, b, c, d) -> the Unix sockets' mechanism under the Linux socket
 * calls, which the personality makes (user/persona/sock.c,
 * docs/decisions/0021-socket-names.md):
 *   LUX_SOCK_NEW (type, fds) -> fd: a socket of type SOCK_STREAM,
 *     SOCK_DGRAM or SOCK_SEQPACKET, or'ed with SOCK_NONBLOCK and
 *     SOCK_CLOEXEC (EINVAL otherwise); with fds (int[2]) a connected pair
 *     instead, its descriptors there -> 0.
 *   LUX_SOCK_BIND (fd, addr, len, namefd) -> 0: name socket fd by the
 *     sockaddr_un of len bytes at addr (2 < len <= 110, AF_UNIX: EINVAL),
 *     kept as given (getsockname shows it). An abstract name
 *     (sun_path[0] == 0) is keyed by its bytes, a path name by the
 *     socket file namefd, a descriptor its server opened (O_PATH will
 *     do): the server's object (channel, handle), which the caller could
 *     reach by path with its own rights; bind also wants the file to be
 *     the caller's own (its server's STAT; root's: any), as Linux's
 *     makes a new one. EINVAL (already named), EADDRINUSE (taken, or the
 *     file is another's), ECONNREFUSED (namefd is no socket file), EBADF.
 *   LUX_SOCK_CONNECT (fd, addr, len, namefd) -> 0: connect to the socket
 *     bound to that name (keyed as above); a datagram socket's default
 *     destination. ECONNREFUSED, EISCONN, EAGAIN (backlog full and
 *     O_NONBLOCK), or waits for room.
 *   LUX_SOCK_ACCEPT (fd, flags) -> fd: the next connection (flags
 *     SOCK_NONBLOCK, SOCK_CLOEXEC), or waits.
 *   LUX_SOCK_INFO (fd, struct lux_sockinfo *, take_error) -> 0: its state
 *     (take_error: the pending error is taken, as SO_ERROR takes it).
 *   LUX_SOCK_SETBUF (fd, rcv, bytes) -> 0: the send (rcv 0) or receive
 *     buffer's size, at most 4 MiB.
 *   LUX_SOCK_LISTEN (fd, backlog), LUX_SOCK_SHUTDOWN (fd, how): Linux's
 *     listen and shutdown on a Unix socket (ENOTSOCK for anything else:
 *     the personality then asks the TCP/IP server, decision 0029).
 * EBADF, ENOTSOCK, EFAULT, EINVAL (op). Made from inside the personality,
 * a wait ends on the program's signals (its mask at the reflection) with
 * LUX_ERESTART_CALL, as LUX_NR_REQUEST's. */
#define LUX_NR_SOCKET     (LUX_NR_BASE + 22)
#define LUX_SOCK_NEW      0
#define LUX_SOCK_BIND     1
#define LUX_SOCK_CONNECT  2
#define LUX_SOCK_ACCEPT   3
#define LUX_SOCK_INFO     4
#define LUX_SOCK_SETBUF   5
#define LUX_SOCK_LISTEN   6
#define LUX_SOCK_SHUTDOWN 7
/* (fd, recv, struct lux_sockmsg *, flags) -> bytes: send (recv 0) or
 * receive one message on socket fd, as sendmsg and recvmsg with the
 * MSG_* flags PEEK, TRUNC, DONTWAIT, WAITALL, NOSIGNAL and CMSG_CLOEXEC;
 * the message's addresses and descriptors are flat in the struct. Errors
 * as sendmsg's and recvmsg's; waits as LUX_NR_SOCKET's. */
#define LUX_NR_SOCKMSG (LUX_NR_BASE + 23)
/* (pid, pgid, options, uint64_t res[3]) -> pid: wait for a change of a
 * child of the caller (pid > 0: that child; else pgid > 0: one of that
 * group; else any) per options (WNOHANG, WUNTRACED, WCONTINUED, WNOWAIT;
 * others EINVAL), and reap it unless WNOWAIT: its pid (0 with WNOHANG and
 * nothing to report), res[0] its wait status, res[1] the ns it and its
 * reaped children ran and res[2] the user part of those (both 0 unless
 * it is a zombie; the rest is system time). ECHILD with no such child,
 * EFAULT (the child reaped all the same). Interrupted by a signal: as a
 * Linux call (EINTR or a restart); from inside the personality,
 * LUX_ERESTART_CALL as for LUX_NR_REQUEST. The personality makes wait4
 * and waitid of it; it can do no more than wait4. */
#define LUX_NR_WAIT (LUX_NR_BASE + 15)
/* (how) -> does not return: stop every CPU and halt (LUX_REBOOT_HALT),
 * power off or restart the machine; root only (EPERM), EINVAL for
 * another how. The personality makes Linux's reboot of it (its magic
 * numbers and Ctrl-Alt-Del switch). */
#define LUX_NR_REBOOT        (LUX_NR_BASE + 17)
#define LUX_REBOOT_HALT      0
#define LUX_REBOOT_POWER_OFF 1
#define LUX_REBOOT_RESTART   2
/* (value, interval, uint64_t old[2], which) -> 0: the process's interval
 * timer which: 0 the real one, SIGALRM after value ns (0: none) of the
 * monotonic clock, then every interval ns; 1 SIGVTALRM on the process's
 * user time, 2 SIGPROF on its user and system time (docs/decisions/
 * 0035-cpu-timers.md); another which EINVAL. Value -1 keeps the timer as
 * it is. old[0] receives the interval and old[1] the ns that were left
 * (0: none) before; EFAULT (the timer set all the same). The personality
 * makes setitimer, getitimer and alarm of it. */
#define LUX_NR_ALARM (LUX_NR_BASE + 18)
/* (tid, set, mask, uint64_t *old) -> the number of the CPU the caller
 * runs on: thread tid's (0: the caller's) CPU mask, the online CPUs it may
 * run on, to *old (unless NULL), and if set, mask as its new one (EPERM
 * when the caller's euid is neither the thread's real nor effective uid,
 * unless it is 0, as setpriority's rule; no online CPU in mask EINVAL);
 * ESRCH, EFAULT. The personality makes sched_setaffinity,
 * sched_getaffinity and getcpu of it. */
#define LUX_NR_AFFINITY (LUX_NR_BASE + 26)
/* () -> 0: the caller's descriptor table becomes its own, a copy, if it
 * shares it (clone's CLONE_FILES); EINVAL when the caller has other
 * threads, ENOMEM. The personality's close_range makes
 * CLOSE_RANGE_UNSHARE of it, then closes or marks each descriptor. */
#define LUX_NR_UNSHARE (LUX_NR_BASE + 27)
/* Hardware for user-space drivers (docs/storage.md, docs/servers.md). */
/* (phys, len) -> fd, close-on-exec: a memory object whose pages are the
 * device memory [phys, phys + len) (page aligned, inside one
 * LUX_GRANT_MMIO grant of the caller: EPERM otherwise; EINVAL). It maps
 * only MAP_SHARED (EINVAL), never executable (EACCES, mprotect too),
 * uncached; it cannot be resized (EINVAL) or fallocated (EOPNOTSUPP).
 * Its descriptor is a capability: whoever holds it may map it. */
#define LUX_NR_MMIO (LUX_NR_BASE + 29)
/* (fd, off) -> the physical address of the page at byte off of memory
 * object fd, made now if it was not: memory a device may reach by DMA.
 * The page stays where it is (lux never moves or swaps a page) while the
 * object or a mapping of it lives, and is freed with the last of them.
 * Needs a LUX_GRANT_DMA grant (EPERM); EBADF, EINVAL (no memory object, a
 * device one, or off past its end), ENOMEM. */
#define LUX_NR_DMA (LUX_NR_BASE + 30)
/* (what, arg, uint64_t out[2]) -> 0: what the platform says about its
 * hardware. LUX_HW_MSI: the message (out[0] the address, out[1] the data)
 * a device writes to raise interrupt line arg (LUX_IRQ_MSI on, which the
 * caller was granted: EPERM; EINVAL). LUX_HW_ECAM: the PCI configuration
 * space (ECAM) of segment 0: out[0] its physical base, out[1] its last
 * bus; ENODEV when the firmware describes none. EFAULT. */
#define LUX_NR_HWINFO (LUX_NR_BASE + 31)
#define LUX_HW_MSI    0
#define LUX_HW_ECAM   1
/* Interrupt lines from this one on are message-signalled (MSI, MSI-X):
 * a device raises one by writing LUX_HW_MSI's message; none is masked. */
#define LUX_IRQ_MSI 32
/* Poll sets, the kernel half of epoll (docs/decisions/0031):
 * (LUX_EPOLL_CREATE, flags) -> fd: a new set (flags: O_CLOEXEC only,
 * else EINVAL). (op, epfd, fd, events, data) -> 0 for op EPOLL_CTL_ADD
 * (1), DEL (2), MOD (3): epoll_ctl with Linux's errors (EBADF, EPERM for
 * a file that cannot be polled, EINVAL, ELOOP, EEXIST, ENOENT, ENOSPC
 * past 4096 entries). (LUX_EPOLL_WAIT, epfd, max, struct lux_epoll_event
 * *out, timeout_ns (-1: none), const uint64_t *mask (0: the thread's))
 * -> the events written (max 1..LUX_EPOLL_BATCH, else EINVAL), 0 when
 * the timeout passed, EINTR as ppoll's wait. */
#define LUX_NR_EPOLL     (LUX_NR_BASE + 32)
#define LUX_EPOLL_CREATE 0
#define LUX_EPOLL_WAIT   4
#define LUX_EPOLL_BATCH  256
/* timerfd and signalfd over kernel counters (docs/decisions/0031):
 * (LUX_EVENT_TIMERFD, flags, clock) -> fd: a timer descriptor (flags
 * O_NONBLOCK, O_CLOEXEC; the clock id is kept for the personality);
 * reads give the expirations as eventfd's, writes fail with EINVAL.
 * (LUX_EVENT_TIMERSET, fd, deadline, interval, uint64_t old[2]) -> its
 * clock id: old gets the time to the next expiration and the interval
 * in ns, then the timer is set to expire at deadline (monotonic ns; 0:
 * disarmed; ~0: left as it is) and every interval after (0: once), its
 * expirations count reset (EINVAL if fd is no timer descriptor).
 * (LUX_EVENT_SIGNALFD, fd, mask, flags) -> fd: a new signal descriptor
 * (fd -1) or a new mask for signal descriptor fd (else EINVAL); a read
 * takes pending signals of the mask as struct signalfd_siginfo. */
#define LUX_NR_EVENT       (LUX_NR_BASE + 33)
#define LUX_EVENT_TIMERFD  0
#define LUX_EVENT_TIMERSET 1
#define LUX_EVENT_SIGNALFD 2
/* (what, value) -> the old value: the caller's LUX_PROC_PDEATHSIG, the
 * signal (0: none) it gets when the thread that made it exits or its
 * parent process ends (cleared at fork, kept at exec), or
 * LUX_PROC_SUBREAPER, 1 while orphans among its descendants come to it
 * instead of init (cleared at fork); value -1 only reads it. EINVAL for
 * another what or a value past the highest signal. The personality
 * makes prctl's PR_SET/GET_PDEATHSIG and _CHILD_SUBREAPER of it. */
#define LUX_NR_PROCCTL     (LUX_NR_BASE + 40)
#define LUX_PROC_PDEATHSIG 0
#define LUX_PROC_SUBREAPER 1
/* (path, 0) -> 0: make the absolute, clean path the process's root
 * (chroot), EPERM unless the caller's euid is 0 (Linux's
 * CAP_SYS_CHROOT), EINVAL for a relative one; kept by exec, copied by
 * fork. (buf, size) with size != 0 -> the length with its NUL: the root
 * ("/" when none) copied to buf, ERANGE when it does not fit. A root of
 * "/" is none. The personality applies it to the paths a program names
 * (user/persona/root.c); the kernel confines every path request and
 * LUX_NR_CHDIR of a chrooted process to it (LUX_NR_REQUEST,
 * docs/decisions/0036-debian-root.md). */
#define LUX_NR_ROOT (LUX_NR_BASE + 42)
/* (pid, fd, flags) -> a new descriptor: a new end of the anonymous pipe
 * process pid's descriptor fd is an end of, by flags (O_ACCMODE,
 * O_NONBLOCK, O_CLOEXEC), which never waits (a FIFO's open may): what
 * opening /proc/<pid>/fd/<fd> does on Linux. ESRCH, EACCES (the
 * caller could not change pid's limits: Linux's ptrace read rule), EBADF,
 * ENXIO (no anonymous pipe's end). procfs answers an OPEN of such a link
 * with LUX_EREOPEN, which the personality turns into this call. */
#define LUX_NR_REOPEN (LUX_NR_BASE + 47)
#define LUX_NR_COUNT  (LUX_NR_BASE + 48) /* room for more */

/*
 * The personality (user/persona/, docs/decisions/0006-reflection.md):
 * every Linux call the kernel does not serve is reflected to it. Its
 * reserved ranges, at the top of every address space beside the program
 * stack, so that it shares the stack's page tables:
 *   [LUX_PERSONA_BASE, LUX_PERSONA_LIMIT)  its image (user/user.mk links
 *       it there), up to the last page, which stays unmapped; the program
 *       stack (8 MiB) ends one page below LUX_PERSONA_BASE
 *   [LUX_PERSONA_STACKS, LUX_PERSONA_STACKS_TOP)  a slot of
 *       LUX_PERSONA_SLOT bytes per thread (2^26 slots), slot i ending i
 *       slots below the top: an unmapped guard page, then the stack;
 *       below the program stack, above the mmap area
 */
#define LUX_PERSONA_BASE       0x7ffffff00000
#define LUX_PERSONA_LIMIT      0x7ffffffff000UL
#define LUX_PERSONA_SLOT       (128UL << 10)
#define LUX_PERSONA_STACKS_TOP 0x7fffff000000UL
#define LUX_PERSONA_STACKS     (LUX_PERSONA_STACKS_TOP - (LUX_PERSONA_SLOT << 26))

/*
 * The program's context while its thread is in the personality: written
 * by the kernel at the upcall as the last bytes of the thread's stack
 * slot (the block ends at the slot's top), loaded back by LUX_NR_RESUME.
 * The personality may read and change every field (persona_ctx(),
 * user/persona/persona.h): the call's number, arguments and result are
 * in the platform's system-call registers. Its layout is the platform's:
 * struct lux_persona_ctx in <lux/persona_ctx.h>
 * (kernel/arch/<name>/uinclude/lux/, on the include path of the kernel,
 * the personality and the programs built for that platform); its last
 * field, fixup, is the personality's own: while nonzero, a fault the
 * kernel cannot resolve at a pc in the personality resumes there.
 */
struct lux_persona_ctx;

/*
 * A caught signal's upcall (docs/decisions/0023-signal-upcall.md): the
 * kernel writes the program's context block as for a reflected call (its
 * mask: the one the handler's return restores; its nr: the trap number of
 * the fault being signalled, else 0; a call the signal interrupted already
 * has its result, or is set to restart), this record just below it, and
 * enters the personality's entry with the record's address as its second
 * argument and stack pointer (a reflected call: 0, and the block). The
 * personality builds the Linux signal frame on the program's stack (or
 * alternate stack), starts the handler with the mask it computes
 * (LUX_NR_RESUME); rt_sigreturn, reflected, resumes from the frame. The
 * kernel keeps the dispositions (rt_sigaction), the masks, the stop,
 * continue and kill defaults, restarts and SA_RESETHAND.
 */
struct lux_persona_sig {
	int32_t signo, code, pid, uid, status, pad; /* for its siginfo */
	uint64_t addr; /* a fault's address (SIGSEGV, SIGBUS, SIGILL, SIGFPE) */
	uint64_t handler, flags, restorer, mask; /* its struct sigaction */
};

#define LUX_GRANT_IOPORT   1 /* I/O ports base .. base+count-1 (x86) */
#define LUX_GRANT_IRQ      2 /* interrupt line `base` */
#define LUX_GRANT_MMIO     3 /* physical bytes base .. base+count-1 */
#define LUX_GRANT_BOOTDATA 4 /* the boot image (base, count ignored) */
#define LUX_GRANT_DMA      5 /* LUX_NR_DMA (base, count ignored) */

/* LUX_ACCESS for access() without AT_EACCESS: checked with the real ids. */
#define LUX_ACCESS_REAL 0x200

/* Descriptors a process may have open (RLIMIT_NOFILE's hard maximum). */
#define LUX_FD_MAX 1024

/* Supplementary groups a process may have (Linux's NGROUPS_MAX is larger;
 * this is musl's), all carried on every request. */
#define LUX_NGROUPS 32

/* Lumen passes a server its channel's server end as this descriptor. */
#define LUX_SERVER_FD 3

/* The TCP/IP server's sockets (user/net/, mounted at /run/inet;
 * docs/decisions/0029-inet-sockets.md). OPEN "tcp" or "udp" makes a new
 * socket, OPEN "accept/<token>" (the token in hex) the connection
 * LUX_INET_ACCEPT gave; READ and WRITE receive and send; poll by NOTIFY.
 * The rest are IOCTLs on the socket: count the command, off its
 * argument, flags LUX_O_NONBLOCK to fail with EAGAIN (EINPROGRESS for
 * CONNECT) rather than wait; an address is Linux's 16-byte sockaddr_in.
 *   BIND (in: address), CONNECT (in: address), LISTEN (off: backlog),
 *   SHUTDOWN (off: how) -> 0
 *   ACCEPT -> out: struct lux_inet_accept
 *   NAME (off: 0 the socket's, 1 the peer's) -> out: address
 *   GETOPT (off: level << 32 | option) -> the value's length; out: the
 *     value, an int (a struct timeval for SO_RCVTIMEO, SO_SNDTIMEO);
 *     SETOPT (in: the value) -> 0
 *   SEND (off: MSG_* flags; in: address, zeros for none, then data)
 *     -> bytes sent: what fit once something did (the caller sends the
 *     rest again)
 *   RECV (off: MSG_* flags; in: uint64_t bytes wanted) -> bytes; out:
 *     the source address, then the data
 * A WRITE, like SEND, answers what fit. Linux's SIOCGIF* ioctls (0x8913 to 0x8970, struct
 * ifreq in and out) are IOCTLs on any socket too, and SIOCGIFCONF
 * (0x8912, no input) -> bytes; out: an ifreq per interface with an
 * address. The server is also mounted on the files /proc/net/dev and
 * /proc/net/route: OPEN "dev" or "route" (read-only), Linux's text.
 * Numbers with Linux's _IO('N', 0xf0 + n) encoding, no Linux driver's. */
#define LUX_INET_BIND     0x4ef0
#define LUX_INET_CONNECT  0x4ef1
#define LUX_INET_LISTEN   0x4ef2
#define LUX_INET_ACCEPT   0x4ef3
#define LUX_INET_NAME     0x4ef4
#define LUX_INET_GETOPT   0x4ef5
#define LUX_INET_SETOPT   0x4ef6
#define LUX_INET_SEND     0x4ef7
#define LUX_INET_RECV     0x4ef8
#define LUX_INET_SHUTDOWN 0x4ef9
#define LUX_INET_DATA_MAX                                                      \
	8176 /* bytes one SEND or RECV moves: the
			       * 8 KiB of a reply less an address */

struct lux_inet_accept {
	uint64_t token;
	uint8_t peer[16]; /* sockaddr_in */
};

/* SysV IPC (user/shm/sysv.c, docs/decisions/0030-shared-memory.md): the
 * personality's msg*, sem* and shm* calls are IOCTLs on a descriptor of
 * the shared-memory server's directory (/dev/shm), count the command,
 * the payload in a struct lux_sysv then the call's data; the caller's
 * identity is the request's (the kernel's), never the payload's.
 *   MSGGET, SEMGET, SHMGET (a: key, b: flags, c: nsems or size) -> id
 *   MSGSND (a: id, b: flags, c: mtype; data) -> 0
 *   MSGRCV (a: id, b: flags, c: msgtyp, d: bytes) -> bytes; rep.off the
 *     message's type, out: its text
 *   SEMOP (a: id, b: nsops, c: timeout ns or -1; data: struct
 *     sembuf[nsops]) -> 0; sent on a descriptor of LUX_SYSV_UNDO, its
 *     SEM_UNDO operations are undone at that descriptor's last close
 *   MSGCTL, SEMCTL, SHMCTL (a: id, b: cmd, c: semnum, d: value; data: in)
 *     -> the call's result; out: struct lux_ipc_stat, or GETALL's values
 *   SHMDT (a: id) -> 0: one attachment fewer (shm_nattch); shmat is
 *     an OPEN of LUX_SYSV_SHM "<id>" (O_RDONLY for SHM_RDONLY), which
 *     counts one more and is mapped (LUX_MAP), then closed
 * A wait ends with the reply (EIDRM when the object is removed); a
 * signal cancels it. OPEN of LUX_SYSV_UNDO: a per-process handle whose
 * CLOSE (the process exits) undoes its SEM_UNDO operations. */
#define LUX_SYSV_MSGGET 0x5300
#define LUX_SYSV_MSGSND 0x5301
#define LUX_SYSV_MSGRCV 0x5302
#define LUX_SYSV_MSGCTL 0x5303
#define LUX_SYSV_SEMGET 0x5304
#define LUX_SYSV_SEMOP  0x5305
#define LUX_SYSV_SEMCTL 0x5306
#define LUX_SYSV_SHMGET 0x5307
#define LUX_SYSV_SHMDT  0x5309
#define LUX_SYSV_SHMCTL 0x530a
#define LUX_SYSV_UNDO   ".sysv/undo"
#define LUX_SYSV_SHM    ".sysv/shm/"
struct lux_sysv {
	int64_t a, b, c, d;
};
/* IPC_STAT's answer (and IPC_SET's input: uid, gid, mode, msg qbytes), laid out by the personality as the platform's. */
struct lux_ipc_stat {
	uint32_t key, uid, gid, cuid, cgid, mode, seq, pad;
	int64_t time[3]; /* msg: stime, rtime; sem: otime, -; shm: atime,
			    dtime; then ctime */
	uint64_t v[3];   /* msg: cbytes, qnum, qbytes; sem: nsems; shm:
			    segsz, nattch */
	int32_t pid[2];  /* msg: lspid, lrpid; shm: cpid, lpid */
};

/* A network driver's frame interface (/dev/net0, docs/network.md): READ
 * gives one received Ethernet frame, WRITE sends one, and this IOCTL
 * (Linux's encoding _IOR('N', 0xe0, 8 bytes), which no Linux driver uses)
 * answers a struct lux_netinfo. */
#define LUX_NETINFO      0x80084ee0
#define LUX_NETINFO_LINK 1 /* flags: the link is up */
struct lux_netinfo {
	uint8_t mac[6];
	uint16_t flags;
};

/* The largest payload of data (READ, WRITE, GETDENTS); larger calls are
 * split by the kernel. A path is at most LUX_PATH_MAX bytes with its NUL. */
#define LUX_MAX_DATA 65536
#define LUX_PATH_MAX 4096
/* A buffer this big holds any message. */
#define LUX_MSG_MAX (LUX_MAX_DATA + 2 * LUX_PATH_MAX + 256)

/* A server may fail a request with -LUX_ERESTART after it sent the caller
 * a signal (a background read from a terminal): the kernel restarts the
 * call after the signal as Linux does for its own -ERESTARTSYS. */
#define LUX_ERESTART 512
/* LUX_NR_REQUEST from the personality: the program's call is to be made
 * again once the signal that interrupted it was handled (SA_RESTART). */
#define LUX_ERESTART_CALL 513
/* An OPEN's answer (procfs): reopen process rep.off's descriptor rep.off2
 * with LUX_NR_REOPEN. */
#define LUX_EREOPEN 514

/*
 * Operations. A request names its object by `handle` (nonzero, from an
 * OPEN reply) or, with handle 0, by a path in the payload: relative to the
 * server's root, no leading '/', "" for the root itself, already free of
 * "." and ".." (the kernel resolves those by name).
 */
enum lux_op {
	/* Requests, kernel -> server. */
	LUX_OPEN = 1,  /* path; flags O_*, mode (umask applied) -> handle,
		       * mode (st_mode), events */
	LUX_STAT,      /* path or handle; flags AT_SYMLINK_NOFOLLOW ->
		       * payload struct lux_stat */
	LUX_MKDIR,     /* path; mode (umask applied) */
	LUX_MKNOD,     /* path; mode with S_IF*, off = device number */
	LUX_UNLINK,    /* path; flags AT_REMOVEDIR (rmdir) */
	LUX_RENAME,    /* two paths; flags RENAME_NOREPLACE/EXCHANGE */
	LUX_LINK,      /* two paths: existing, new */
	LUX_SYMLINK,   /* two paths: the new link's path, then its target
		       * (the target is data, never resolved) */
	LUX_READLINK,  /* path -> payload: the target, no NUL */
	LUX_CHMOD,     /* path or handle; mode (permission bits) */
	LUX_CHOWN,     /* path or handle; off = uid, count = gid (-1: keep);
		       * flags AT_SYMLINK_NOFOLLOW */
	LUX_UTIMENS,   /* path or handle; time = atime, mtime (nsec may be
		       * UTIME_NOW/UTIME_OMIT); flags AT_SYMLINK_NOFOLLOW */
	LUX_TRUNCATE,  /* path or handle; off = new length */
	LUX_ACCESS,    /* path; mode = R_OK|W_OK|X_OK (0: exists); flags
		       * LUX_ACCESS_REAL: uid, gid are the real ids */
	LUX_STATFS,    /* path or handle -> payload struct lux_statfs */
	LUX_READ,      /* handle; off = position, count = bytes wanted;
		       * flags O_NONBLOCK -> payload data, result = bytes */
	LUX_WRITE,     /* handle; off = position, payload = data; flags
		       * O_APPEND, O_NONBLOCK -> result = bytes; rep.off = the
		       * position after the write */
	LUX_GETDENTS,  /* handle; off = position, count = bytes -> payload
		       * struct linux_dirent64 records, rep.off = next pos */
	LUX_IOCTL,     /* handle; count = command, off = the argument's value,
		       * payload = what the command reads -> payload = what it
		       * writes back, result = the call's result */
	LUX_FSYNC,     /* handle */
	LUX_CLOSE,     /* handle; one-way: the last descriptor went; count
		       * = the open file description's number (LOCK's) */
	LUX_CANCEL,    /* one-way: request `id` no longer waits (a signal or
		       * exit); a reply to it is dropped */
	LUX_MOUNT,     /* to lumen: three strings source, target, fstype;
		       * flags = mount flags */
	LUX_UMOUNT,    /* to lumen: path of the mount point */
	LUX_MOUNTS,    /* to lumen: -> rep.off = its generation (see
		       * LUX_NR_RESOLVER), payload: the mount table, oldest
		       * first, each a struct lux_mount and its path's bytes */
	LUX_LOCK = 28, /* handle; flags = LUX_LOCK_GET/SET/WAIT | the owner's
			* kind LUX_LOCK_POSIX/OFD/FLOCK, count = the open
			* file description's number (the kernel's), payload
			* struct lux_lock -> GET: payload struct lux_lock */
	LUX_UNLOCK,    /* handle; one-way: process `pid` closed a descriptor
			* of the object: its POSIX locks on it go */
	LUX_MAP = 32,  /* (kernel only) handle; flags = the descriptor's
			* access mode: mmap of the file -> result = a
			* descriptor of the replier's naming a memory object
			* that holds the file's pages, which the kernel maps
			* (taken at the reply's write; ENOSYS: none, mmap
			* fails with ENODEV). The kernel checked the access
			* mode against the mapping (docs/decisions/0030;
			* ramfs and ext2: 0032). */

	/* Replies and notices, server -> kernel. */
	LUX_REPLY = 64, /* the request `id` is done: result, payload */
	LUX_REDIRECT,   /* (lumen) ask server at descriptor `result` of the
			 * replier: the path minus its first `off` bytes (the
			 * second path minus `off2` bytes); -errno fails;
			 * `handle` = the resolver's generation; `mode`
			 * LUX_REDIRECT_ANY_ROOT: a mount every chrooted
			 * process reaches (lumen.tab's '+') */
	LUX_FOLLOW,     /* path request met a symbolic link: the first `off`
			 * bytes of path `off2` (0 first, 1 second) name the
			 * link, the payload is its target; the kernel
			 * resolves it and asks again */
	LUX_NOTIFY,     /* no id: the poll events of object `handle` are now
			 * `events` (readers of it may wake); with `off`
			 * not 0, only this: the lease of the open file
			 * description numbered `off` is being broken (its
			 * owner is sent POLL_MSG, decision 0040) */
};

/* Every request, kernel -> server. */
struct lux_req {
	uint32_t op;  /* enum lux_op */
	uint32_t len; /* bytes in the message, header included */
	uint64_t id;  /* the kernel's request id; the reply repeats it */
	uint64_t handle;
	/* The caller: process, group, session and identity, filled by the
	 * kernel: uid and gid are its effective ids (what Linux checks
	 * files against), groups[0..ngroups) its supplementary groups. */
	int32_t pid, pgid, sid;
	uint32_t uid, gid;
	uint32_t flags;
	uint32_t mode;
	uint32_t ngroups;
	uint64_t off;
	uint64_t count;
	int64_t time[2][2]; /* UTIMENS: atime, mtime as seconds, ns */
	uint32_t groups[LUX_NGROUPS];
	/* Payload: a path and its NUL (two for two-path operations), or
	 * WRITE's data, or IOCTL's input. */
};
_Static_assert(sizeof(struct lux_req) <= 256, "LUX_MSG_MAX counts 256");

/* Whether the caller of q is in group gid: its effective group or one of
 * its supplementary groups (Linux's in_group_p). */
static inline int lux_in_group(const struct lux_req *q, uint32_t gid)
{
	for (uint32_t i = 0; i < q->ngroups && i < LUX_NGROUPS; i++)
		if (q->groups[i] == gid)
			return 1;
	return q->gid == gid;
}

/* A read-only file system: an IOCTL with count LUX_READONLY on any of
 * a server's objects makes it refuse (off 1) or allow again (off 0)
 * every change with EROFS, as a read-only mount; root only (EPERM).
 * lumen sends it for mount(2)'s MS_RDONLY and MS_REMOUNT. A server that
 * has nothing to change answers ENOTTY. */
#define LUX_READONLY 0x4c5230 /* no Linux ioctl number */

/* Whether request q would change a file system (a read-only one refuses
 * it, after a STAT of its path per lux_req_follows finds no link). */
static inline int lux_req_changes(const struct lux_req *q)
{
	switch (q->op) {
	case LUX_OPEN:
		return (q->flags & LUX_O_ACCMODE) != LUX_O_RDONLY ||
		       (q->flags & (LUX_O_CREAT | LUX_O_TRUNC));
	case LUX_ACCESS:
		return q->mode & LUX_W_OK;
	case LUX_MKDIR:
	case LUX_MKNOD:
	case LUX_UNLINK:
	case LUX_RENAME:
	case LUX_LINK:
	case LUX_SYMLINK:
	case LUX_CHMOD:
	case LUX_CHOWN:
	case LUX_UTIMENS:
	case LUX_TRUNCATE:
	case LUX_WRITE:
		return 1;
	default:
		return 0;
	}
}

/* Whether q acts on what its path's final symbolic link names (READLINK
 * and the calls that act on a name never do). */
static inline int lux_req_follows(const struct lux_req *q)
{
	if (q->op == LUX_OPEN)
		return !(q->flags & LUX_O_NOFOLLOW);
	if (q->op == LUX_CHOWN || q->op == LUX_UTIMENS || q->op == LUX_ACCESS ||
	    q->op == LUX_STAT)
		return !(q->flags & LUX_AT_SYMLINK_NOFOLLOW);
	return q->op == LUX_CHMOD || q->op == LUX_TRUNCATE ||
	       q->op == LUX_STATFS;
}

/* A read-only server's answer to q, which would change it, when the STAT
 * of its path gave st (0 or -errno; -2, ENOENT, for a handle): 1 to serve
 * it all the same (an OPEN that finds the file it might have created),
 * else an errno as Linux orders them: EEXIST for a name to make that
 * exists, the lookup's error for calls that look up first, else EROFS. */
static inline int64_t lux_readonly_answer(const struct lux_req *q, int64_t st)
{
	int makes =
	    q->op == LUX_MKDIR || q->op == LUX_MKNOD || q->op == LUX_SYMLINK;
	int names = makes || q->op == LUX_UNLINK || q->op == LUX_RENAME ||
		    q->op == LUX_LINK ||
		    (q->op == LUX_OPEN && (q->flags & LUX_O_CREAT));

	if (!st && makes)
		return -17; /* EEXIST */
	if (!st && q->op == LUX_OPEN &&
	    (q->flags & LUX_O_ACCMODE) == LUX_O_RDONLY &&
	    !(q->flags & LUX_O_TRUNC))
		return 1;
	if (st && !q->handle && (st != -2 || !names))
		return st;
	return -30; /* EROFS */
}

/* O_TMPFILE (docs/decisions/0037-tmpfile.md): an OPEN with LUX_O_TMPFILE
 * (and without O_CREAT) names "dir/" and a hidden name, '#' and 16
 * lowercase hex digits of a random number the opener chose. A server
 * that keeps unnamed files makes one in dir (the caller needs write and
 * search permission there; open for writing, else EINVAL) with no link,
 * linkable unless O_EXCL; a server without them answers as for any
 * missing name (ENOENT), which the personality turns into EOPNOTSUPP.
 * While a descriptor of the file is open, the hidden name names it, as
 * the last component of a path in any directory of the server, for
 * OPEN, STAT, ACCESS, CHMOD, CHOWN, UTIMENS, TRUNCATE, STATFS and LINK's
 * first path (never in a listing, never for removal or renaming): what
 * /proc/self/fd/N (the descriptor's path) reaches. LINK of a file with no
 * link that is not linkable (O_EXCL, or it was linked once and lost its
 * names again) is ENOENT, as on Linux. */
#define LUX_TMPNAME_LEN 17
/* The number in hidden name (name, len), or 0 if it is not one. */
static inline uint64_t lux_tmpname(const char *name, uint64_t len)
{
	uint64_t v = 0;

	if (len != LUX_TMPNAME_LEN || name[0] != '#')
		return 0;
	for (uint64_t i = 1; i < len; i++) {
		char ch = name[i];
		int d = ch >= '0' && ch <= '9'   ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
						 : -1;
		if (d < 0)
			return 0;
		v = v << 4 | (uint64_t)d;
	}
	return v;
}

/* Every reply, server -> kernel. */
struct lux_rep {
	uint32_t op;     /* LUX_REPLY, LUX_REDIRECT, LUX_FOLLOW, LUX_NOTIFY */
	uint32_t len;    /* bytes in the message, header included */
	uint64_t id;     /* the request's id (NOTIFY: 0) */
	int64_t result;  /* >= 0 success (bytes, or 0), or -errno */
	uint64_t handle; /* OPEN: the new object; NOTIFY: the object */
	uint32_t mode;   /* OPEN: the object's st_mode */
	uint32_t events; /* OPEN, NOTIFY: the POLL* events that hold now */
	uint64_t off;    /* see the operations */
	uint64_t off2;
	/* Payload: READ's data, STAT's struct lux_stat, READLINK's and
	 * FOLLOW's target, GETDENTS' records, IOCTL's output. */
};

#define LUX_REDIRECT_ANY_ROOT 1

/* LUX_LOCK (docs/protocol.md, user/lib/lock.c): what is asked, in
 * flags, and whose lock it is. A POSIX lock's owner is the request's pid
 * (the kernel's), an OFD or flock lock's the open file description the
 * kernel numbers in count; flock locks never meet the other two. */
#define LUX_LOCK_GET   0 /* the first lock that conflicts, else UNLCK */
#define LUX_LOCK_SET   1 /* take (or release, UNLCK), EAGAIN on conflict */
#define LUX_LOCK_WAIT  2 /* take, or wait (EDEADLK): 1 = woken, ask again */
#define LUX_LOCK_POSIX 0
#define LUX_LOCK_OFD   4
#define LUX_LOCK_FLOCK 8
#define LUX_LOCK_LEASE                                                         \
	12 /* fcntl's leases: the description's (0040);
			   * SET or GET, whose payload's type is the lease's
			   * or, while it is being broken, the one it is
			   * broken to */
/* A parked OPEN or TRUNCATE's answer once no lease holds it up: ask
 * again (no errno has this number). */
#define LUX_ELEASE  4094
#define LUX_LOCK_RD 0 /* struct lux_lock's type: Linux's F_RDLCK, */
#define LUX_LOCK_WR 1 /* F_WRLCK */
#define LUX_LOCK_UN 2 /* and F_UNLCK */
/* A range of bytes [start, end], absolute; end INT64_MAX: to the end of
 * the file, wherever that will be. */
struct lux_lock {
	int64_t start, end;
	uint32_t type;
	int32_t pid; /* GET's answer: the POSIX owner, -1 for an OFD's lock */
};

/* What STAT returns; the kernel lays it out as the platform's stat. */
struct lux_stat {
	uint64_t dev, ino, nlink, rdev, size, blksize, blocks;
	uint32_t mode, uid, gid, pad;
	int64_t time[3][2]; /* atime, mtime, ctime: seconds, nanoseconds */
};

/* What STATFS returns (Linux's struct statfs fields). */
struct lux_statfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen,
	    frsize, flags;
};

/* LUX_NR_CRED: a process's credentials ([0] real, [1] effective, [2]
 * saved), groups[0..ngroups) sorted. */
struct lux_cred {
	uint32_t uid[3], gid[3];
	uint32_t ngroups;
	uint32_t groups[LUX_NGROUPS];
};

/* LUX_NR_SYSSTAT: times in ns of the monotonic clock, memory in bytes. */
struct lux_sysstat {
	uint64_t clock_ns;  /* since boot */
	uint64_t mem_total; /* the page allocator's */
	uint64_t mem_free;
	uint64_t cpu_ns;        /* the caller's threads ran */
	uint64_t cpu_child_ns;  /* its reaped children (and theirs) ran */
	uint64_t cpu_thread_ns; /* the calling thread ran */
	uint32_t procs;         /* processes, zombies included */
	uint32_t pad;
	/* the user part of cpu_ns, cpu_child_ns, cpu_thread_ns (the rest is
	 * system time: docs/decisions/0035-cpu-timers.md) */
	uint64_t cpu_user_ns, cpu_child_user_ns, cpu_thread_user_ns;
};

/* One entry of LUX_MOUNTS' table: the path, len bytes without a NUL,
 * follows (then the next entry, at an 8-byte boundary). */
struct lux_mount {
	int32_t fd;    /* the server's client end in lumen's table; -1: not
			* running (being restarted: EIO) */
	uint16_t file; /* 1: covers its own name only (a device node) */
	uint16_t len;
};

/* LUX_NR_SOCKET's LUX_SOCK_INFO. */
struct lux_sockinfo {
	int32_t type, listening;
	int32_t error; /* pending (ECONNRESET: the peer left data unread) */
	uint32_t sndbuf, rcvbuf;
	int32_t peer_cred[3]; /* pid, uid, gid when paired (uid -1: none) */
	uint32_t namelen;     /* bytes of name; 0: not named */
	int32_t peerlen;      /* bytes of peer; -1: no peer */
	char name[110], peer[110]; /* sockaddr_un as bound */
};

/* LUX_NR_EPOLL's LUX_EPOLL_WAIT: one ready entry. */
struct lux_epoll_event {
	uint32_t events, pad;
	uint64_t data;
};

/* LUX_NR_SOCKMSG: one message. */
struct lux_sockmsg {
	uint64_t iov; /* struct iovec[iovlen] (at most 16) */
	uint32_t iovlen;
	uint32_t namelen; /* send: the destination's bytes at name (0: none,
			   * the peer's); receive: out, the source's */
	uint64_t name;    /* send: a sockaddr_un; receive: 110 bytes for the
			   * source's (NULL: not wanted) */
	int32_t namefd;   /* send: the destination's socket file (a path
			   * name, as LUX_SOCK_CONNECT's) */
	uint32_t nfds;    /* send: descriptors to pass at fds (at most 253);
			   * receive: room there, out: how many came */
	uint64_t fds;     /* int[nfds] */
	int32_t flags;    /* receive: out, MSG_TRUNC and MSG_CTRUNC */
	uint32_t pad;
};

/* LUX_NR_PROCINFO: one process, for procfs. */
struct lux_procinfo {
	int32_t pid, ppid, pgid, sid;
	uint32_t uid, gid;
	int32_t nthreads, nice;
	char state; /* R running/runnable, S sleeping, T stopped, Z zombie */
	char name[16];
	char pad[7];
	uint64_t start_ns;    /* boot to its creation, monotonic clock */
	uint64_t cpu_ns;      /* time its threads ran */
	uint64_t vsize;       /* bytes of its address space's areas */
	uint64_t rss;         /* resident pages */
	uint32_t cmdline_len; /* bytes of cmdline used */
	char cmdline[256];    /* argv, each with its NUL (cut at 256) */
	uint64_t cpu_user_ns; /* the user part of cpu_ns */
	uint64_t cpu_child_ns, cpu_child_user_ns; /* its reaped children's
						    * (and theirs), user part */
};

/* LUX_PROCINFO_FD: a descriptor (its path follows). */
struct lux_fdinfo {
	uint32_t mode;  /* the object's st_mode (0: an anonymous object) */
	uint32_t flags; /* its open flags (O_ACCMODE, O_APPEND...) */
	uint64_t ino;   /* a kernel object's identity, as its fstat's st_ino */
};

/* LUX_PROCINFO_MAPS: one area of an address space. */
struct lux_mapinfo {
	uint64_t start, end;
	uint64_t pgoff; /* the object's page that start maps */
	uint64_t prot;  /* PROT_READ, WRITE, EXEC; 8: MAP_SHARED */
};
