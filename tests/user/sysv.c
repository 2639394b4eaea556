/*
 * sysv: SysV IPC across processes: message queues, semaphore sets and
 * shared-memory segments as a producer and a consumer across fork,
 * IPC_RMID waking blocked callers (EIDRM), a signal ending a wait
 * (EINTR), semtimedop's time limit, SEM_UNDO at exit (and at a kill),
 * the permission rules for another uid, and the limits' errors; ipcs's
 * commands (IPC_INFO, *_INFO, *_STAT, *_STAT_ANY). Runs as
 * root (the uid case drops to 1000 in a child).
 */
#include "utest.h"
#include <fcntl.h>
#include <grp.h>
#include <lux/proto.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ITEMS 1000
#define SLOTS 8
#define USER  1000

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

struct text {
	long type;
	char text[8192];
};

static pid_t test_pid; /* the test's, for keys its children share */

static key_t key(int n)
{
	return 0x4c000000 | (test_pid & 0xffff) << 4 | n;
}

/* Wait until process pid sleeps (in the call a test wants it blocked
 * in): its state in /proc/pid/stat is S. */
static int sleeping(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (;;) {
		int fd = open(path, O_RDONLY);
		long n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return 0;
		buf[n] = 0;
		if ((p = strrchr(buf, ')')) && p[1] == ' ' && p[2] == 'S')
			return 1;
		sched_yield();
	}
}

static int semval(int id, int num)
{
	return semctl(id, num, GETVAL);
}

/* The child sends ITEMS messages of types 1 and 2 and a last one of
 * type 3; the parent takes type 2 first (msgtyp > 0), then the rest by
 * order and by lowest type (msgtyp < 0). */
static void msg_fork(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	struct text m;
	long sum = 0;
	pid_t pid;

	CHECK(id >= 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		for (int i = 1; i <= ITEMS; i++) {
			m.type = 1 + i % 2;
			memcpy(m.text, &i, sizeof(i));
			if (msgsnd(id, &m, sizeof(i), 0))
				_exit(2);
		}
		m.type = 3;
		strcpy(m.text, "last");
		_exit(msgsnd(id, &m, 5, 0) ? 3 : 0);
	}
	for (int i = 0; i < ITEMS / 2; i++) { /* the odd ones: type 2 */
		CHECK_EQ(msgrcv(id, &m, sizeof(m.text), 2, 0), sizeof(int));
		CHECK_EQ(m.type, 2);
		sum += *(int *)m.text;
	}
	CHECK_EQ(sum, (long)(ITEMS / 2) * (ITEMS / 2));
	CHECK_EQ(msgrcv(id, &m, sizeof(m.text), -2, 0), sizeof(int));
	CHECK_EQ(m.type, 1);
	CHECK_EQ(*(int *)m.text, 2); /* the first even one */
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(msgrcv(id, &m, sizeof(m.text), 3, 0), 5);
	CHECK(strcmp(m.text, "last") == 0);
	struct msqid_ds ds;
	CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ(ds.msg_qnum, ITEMS / 2 - 1);
	CHECK_EQ(ds.msg_cbytes, (ITEMS / 2 - 1) * sizeof(int));
	CHECK_EQ(ds.msg_lspid, pid);
	CHECK_EQ(ds.msg_lrpid, getpid());
	CHECK_EQ(ds.msg_perm.mode & 0777, 0600);
	CHECK_EQ(ds.msg_perm.cuid, getuid());
	/* too small a buffer: E2BIG and the message stays, or cut */
	CHECK_ERR(msgrcv(id, &m, 2, 0, 0), E2BIG);
	CHECK_EQ(msgrcv(id, &m, 2, 0, MSG_NOERROR), 2);
	CHECK_ERR(msgrcv(id, &m, 64, 7, IPC_NOWAIT), ENOMSG);
	CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
	CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL);
}

/* A full queue: IPC_NOWAIT says EAGAIN; a waiting sender goes on once a
 * message is taken; the limits' errors. */
static void msg_limits(void)
{
	int id = msgget(key(1), IPC_CREAT | IPC_EXCL | 0600);
	static struct text m = {.type = 1};
	struct msqid_ds ds;
	pid_t pid;

	CHECK(id >= 0);
	CHECK_ERR(msgget(key(1), IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(msgget(key(1), 0), id);
	CHECK_ERR(msgget(key(2), 0600), ENOENT);
	CHECK_ERR(msgsnd(id, &m, 8193, 0), EINVAL);
	m.type = 0;
	CHECK_ERR(msgsnd(id, &m, 1, 0), EINVAL);
	m.type = 1;
	CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ(ds.msg_qbytes, 16384);
	CHECK_EQ(msgsnd(id, &m, 8192, 0), 0);
	CHECK_EQ(msgsnd(id, &m, 8192, 0), 0);
	CHECK_ERR(msgsnd(id, &m, 1, IPC_NOWAIT), EAGAIN);
	CHECK((pid = fork()) >= 0);
	if (pid == 0)
		_exit(msgsnd(id, &m, 100, 0) ? 2 : 0);
	CHECK(sleeping(pid));
	CHECK_EQ(msgrcv(id, &m, sizeof(m.text), 0, 0), 8192);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(msgctl(id, IPC_STAT, &ds), 0);
	CHECK_EQ(ds.msg_qnum, 2);
	CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

/* IPC_RMID wakes a blocked receiver with EIDRM; a signal ends a
 * receiver's wait with EINTR (SA_RESTART or not). */
static void on_usr1(int sig)
{
	(void)sig;
}

static void msg_wakes(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	struct text m;
	pid_t pid;

	CHECK(id >= 0);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0)
		_exit(msgrcv(id, &m, 16, 0, 0) < 0 && errno == EINTR ? 0 : 2);
	CHECK(sleeping(pid));
	CHECK_EQ(kill(pid, SIGUSR1), 0);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0)
		_exit(msgrcv(id, &m, 16, 0, 0) < 0 && errno == EIDRM ? 0 : 2);
	CHECK(sleeping(pid));
	CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
	CHECK_EQ(ut_wait(pid), 0);
	signal(SIGUSR1, SIG_DFL);
}

/* A bounded buffer in a segment guarded by a set of two semaphores
 * (items, slots): the child produces, the parent consumes; the child
 * attaches the segment again by its id. */
static void sem_shm_fork(void)
{
	int sid = semget(IPC_PRIVATE, 2, 0600);
	int mid = shmget(IPC_PRIVATE, 4096, 0600);
	struct sembuf take_item = {0, -1, 0}, give_slot = {1, 1, 0};
	int *ring;
	long sum = 0;
	pid_t pid;

	CHECK(sid >= 0 && mid >= 0);
	CHECK_EQ(semctl(sid, 1, SETVAL, (union semun){.val = SLOTS}), 0);
	CHECK((ring = shmat(mid, NULL, 0)) != (void *)-1);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		struct sembuf take_slot = {1, -1, 0}, give_item = {0, 1, 0};
		int *r = shmat(mid, NULL, 0);
		if (r == (void *)-1 || shmdt(ring))
			_exit(2);
		for (int i = 1; i <= ITEMS; i++) {
			if (semop(sid, &take_slot, 1))
				_exit(3);
			r[i % SLOTS] = i;
			if (semop(sid, &give_item, 1))
				_exit(4);
		}
		_exit(0);
	}
	for (int i = 1; i <= ITEMS; i++) {
		CHECK_EQ(semop(sid, &take_item, 1), 0);
		sum += ring[i % SLOTS];
		CHECK_EQ(semop(sid, &give_slot, 1), 0);
	}
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(sum, (long)ITEMS * (ITEMS + 1) / 2);
	CHECK_EQ(semval(sid, 1), SLOTS);
	CHECK_EQ(semctl(sid, 0, GETPID), getpid()); /* took the last */
	unsigned short all[2];
	CHECK_EQ(semctl(sid, 0, GETALL, (union semun){.array = all}), 0);
	CHECK(all[0] == 0 && all[1] == SLOTS);
	struct semid_ds ds;
	CHECK_EQ(semctl(sid, 0, IPC_STAT, (union semun){.buf = &ds}), 0);
	CHECK_EQ(ds.sem_nsems, 2);
	CHECK_EQ(ds.sem_perm.mode & 0777, 0600);
	struct shmid_ds sds;
	CHECK_EQ(shmctl(mid, IPC_STAT, &sds), 0);
	CHECK_EQ(sds.shm_segsz, 4096);
	CHECK_EQ(sds.shm_cpid, getpid());
	/* removed while attached: the memory stays until detached */
	CHECK_EQ(shmctl(mid, IPC_RMID, NULL), 0);
	ring[0] = 42;
	CHECK_EQ(ring[0], 42);
	CHECK_EQ(shmdt(ring), 0);
	CHECK_ERR(shmdt(ring), EINVAL);
	CHECK_EQ(semctl(sid, 0, IPC_RMID), 0);
}

/* SEM_UNDO: a child's adjustments are undone when it exits, and when it
 * is killed; IPC_RMID wakes a waiter with EIDRM; semtimedop's limit. */
static void sem_undo(void)
{
	int sid = semget(IPC_PRIVATE, 2, 0600);
	struct sembuf up = {0, 3, SEM_UNDO}, down = {1, -1, SEM_UNDO};
	pid_t pid;

	CHECK(sid >= 0);
	CHECK_EQ(semctl(sid, 1, SETVAL, (union semun){.val = 5}), 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0)
		_exit(semop(sid, &up, 1) || semop(sid, &down, 1) ? 2 : 0);
	CHECK_EQ(ut_wait(pid), 0);
	CHECK_EQ(semval(sid, 0), 0);
	CHECK_EQ(semval(sid, 1), 5);
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		if (semop(sid, &up, 1))
			_exit(2);
		pause();
		_exit(3);
	}
	while (semval(sid, 0) != 3)
		sched_yield();
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(ut_wait(pid), SIGKILL);
	CHECK_EQ(semval(sid, 0), 0);
	/* a waiter, counted by GETNCNT, woken by IPC_RMID */
	CHECK((pid = fork()) >= 0);
	if (pid == 0) {
		struct sembuf wait = {0, -1, 0};
		_exit(semop(sid, &wait, 1) < 0 && errno == EIDRM ? 0 : 2);
	}
	while (semctl(sid, 0, GETNCNT) != 1)
		sched_yield();
	CHECK_EQ(semctl(sid, 0, IPC_RMID), 0);
	CHECK_EQ(ut_wait(pid), 0);
	/* semtimedop gives up after its time */
	sid = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf wait = {0, -1, 0};
	struct timespec ts = {0, 50000000};
	long long t0 = ut_now_ns();
	CHECK_ERR(semtimedop(sid, &wait, 1, &ts), EAGAIN);
	CHECK(ut_now_ns() - t0 >= 50000000);
	CHECK_EQ(semctl(sid, 0, IPC_RMID), 0);
}

/* An ignored signal never ends a wait: SIGCHLD (ignored by default) from
 * a child that exits while the parent is inside a SysV call must not make
 * that call or a later one give EINTR. */
static void sem_ignored_signal(void)
{
	int sid = semget(IPC_PRIVATE, 1, 0600);
	struct sembuf nowait = {0, -1, IPC_NOWAIT}, wait = {0, -1, 0};
	struct timespec ts = {0, 10000000};

	CHECK(sid >= 0);
	for (int i = 0; i < 20 && !ut_failed(); i++) {
		pid_t pid = fork(), got = 0;
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(0);
		while (!ut_failed() && got == 0) {
			CHECK_ERR(semop(sid, &nowait, 1), EAGAIN);
			CHECK((got = waitpid(pid, NULL, WNOHANG)) >= 0);
		}
		CHECK_ERR(semtimedop(sid, &wait, 1, &ts), EAGAIN);
	}
	CHECK_EQ(semctl(sid, 0, IPC_RMID), 0);
}

static void sem_limits(void)
{
	int sid = semget(key(3), 2, IPC_CREAT | 0600);
	struct sembuf ops[501] = {{0}};

	CHECK(sid >= 0);
	CHECK_ERR(semget(key(3), 3, 0), EINVAL); /* more than it has */
	CHECK_EQ(semget(key(3), 1, 0), sid);
	CHECK_ERR(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
	CHECK_ERR(semget(key(4), 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERR(semop(sid, ops, 501), E2BIG);
	ops[0] = (struct sembuf){2, 1, 0};
	CHECK_ERR(semop(sid, ops, 1), EFBIG);
	CHECK_ERR(semctl(sid, 0, SETVAL, (union semun){.val = 32768}), ERANGE);
	CHECK_EQ(semctl(sid, 0, SETVAL, (union semun){.val = 32767}), 0);
	ops[0] = (struct sembuf){0, 1, 0};
	CHECK_ERR(semop(sid, ops, 1), ERANGE);
	ops[0] = (struct sembuf){1, -1, IPC_NOWAIT};
	CHECK_ERR(semop(sid, ops, 1), EAGAIN);
	CHECK_ERR(semctl(sid, 2, GETVAL), EINVAL);
	CHECK_EQ(semctl(sid, 0, IPC_RMID), 0);
	CHECK_ERR(semctl(sid, 0, GETVAL), EINVAL);
	CHECK_ERR(shmget(IPC_PRIVATE, 0, 0600), EINVAL);
	int mid = shmget(key(5), 4096, IPC_CREAT | 0600);
	CHECK(mid >= 0);
	CHECK_ERR(shmget(key(5), 8192, 0), EINVAL);
	CHECK_ERR(shmat(mid, (void *)0x10001, 0), EINVAL);
	CHECK_EQ(shmctl(mid, IPC_RMID, NULL), 0);
	CHECK(shmat(mid, NULL, 0) == (void *)-1);
	CHECK_EQ(errno, EINVAL);
}

static int msq, semid, shmid;

/* As uid 1000, objects of root's with mode 0600: */
static void other_uid(void)
{
	struct text m = {.type = 1};
	struct sembuf op = {0, 1, 0};
	struct msqid_ds ds;

	if (!EXPECT(setgroups(0, NULL) == 0) || !EXPECT(setgid(USER) == 0) ||
	    !EXPECT(setuid(USER) == 0))
		return;
	CHECK_ERR(msgget(key(6), 0600), EACCES);
	CHECK_EQ(msgget(key(6), 0), msq); /* asking for nothing */
	CHECK_ERR(msgsnd(msq, &m, 1, 0), EACCES);
	CHECK_ERR(msgrcv(msq, &m, 1, 0, IPC_NOWAIT), EACCES);
	CHECK_ERR(msgctl(msq, IPC_STAT, &ds), EACCES);
	CHECK_ERR(msgctl(msq, IPC_RMID, NULL), EPERM);
	CHECK_ERR(semop(semid, &op, 1), EACCES);
	CHECK_ERR(semctl(semid, 0, GETVAL), EACCES);
	CHECK_ERR(semctl(semid, 0, SETVAL, (union semun){.val = 1}), EACCES);
	CHECK_ERR(semctl(semid, 0, IPC_RMID), EPERM);
	CHECK(shmat(shmid, NULL, SHM_RDONLY) == (void *)-1);
	CHECK_EQ(errno, EACCES);
	CHECK_ERR(shmctl(shmid, IPC_RMID, NULL), EPERM);
}

static void perm_other_uid(void)
{
	struct msqid_ds ds;

	if (geteuid() != 0) {
		ut_fail("sysv/perm_other_uid must run as root");
		return;
	}
	CHECK((msq = msgget(key(6), IPC_CREAT | 0600)) >= 0);
	CHECK((semid = semget(IPC_PRIVATE, 1, 0600)) >= 0);
	CHECK((shmid = shmget(IPC_PRIVATE, 4096, 0600)) >= 0);
	ut_in_child(other_uid);
	/* given to uid 1000 by IPC_SET, it may remove it */
	CHECK_EQ(msgctl(msq, IPC_STAT, &ds), 0);
	ds.msg_perm.uid = USER;
	CHECK_EQ(msgctl(msq, IPC_SET, &ds), 0);
	CHECK_EQ(msgctl(msq, IPC_STAT, &ds), 0);
	CHECK_EQ(ds.msg_perm.uid, USER);
	CHECK_EQ(ds.msg_perm.cuid, 0);
	CHECK_EQ(msgctl(msq, IPC_RMID, NULL), 0);
	CHECK_EQ(semctl(semid, 0, IPC_RMID), 0);
	CHECK_EQ(shmctl(shmid, IPC_RMID, NULL), 0);
}

static int ipc_idx[3]; /* the ipcs case's objects' indexes */

/* As uid 1000, of root's objects with mode 0600: the STAT commands
 * need the read right, their _ANY forms do not. */
static void stat_other_uid(void)
{
	struct msqid_ds m;
	struct semid_ds s;
	struct shmid_ds h;

	if (!EXPECT(setgroups(0, NULL) == 0) || !EXPECT(setgid(USER) == 0) ||
	    !EXPECT(setuid(USER) == 0))
		return;
	CHECK_ERR(msgctl(ipc_idx[0], MSG_STAT, &m), EACCES);
	CHECK_EQ(msgctl(ipc_idx[0], MSG_STAT_ANY, &m), msq);
	CHECK_EQ(m.msg_qnum, 2);
	CHECK_ERR(semctl(ipc_idx[1], 0, SEM_STAT, (union semun){.buf = &s}),
		  EACCES);
	CHECK_EQ(semctl(ipc_idx[1], 0, SEM_STAT_ANY, (union semun){.buf = &s}),
		 semid);
	CHECK_EQ(s.sem_nsems, 3);
	CHECK_ERR(shmctl(ipc_idx[2], SHM_STAT, &h), EACCES);
	CHECK_EQ(shmctl(ipc_idx[2], SHM_STAT_ANY, &h), shmid);
	CHECK_EQ(h.shm_segsz, 8192);
}

/* What ipcs (busybox's, util-linux's) asks: IPC_INFO the limits,
 * MSG_INFO, SEM_INFO, SHM_INFO the figures in use and the highest index
 * in use, then MSG_STAT, SEM_STAT, SHM_STAT of each index up to it: the
 * id there and its figures (EINVAL for an index with none). */
static void ipcs(void)
{
	struct text m = {.type = 1};
	struct msginfo mi;
	struct seminfo si;
	struct shminfo hi;
	struct shm_info hu;
	struct msqid_ds md;
	struct semid_ds sd;
	struct shmid_ds hd;
	int top, n;
	void *at;

	if (geteuid() != 0) {
		ut_fail("sysv/ipcs must run as root");
		return;
	}
	CHECK((msq = msgget(IPC_PRIVATE, 0600)) >= 0);
	CHECK((semid = semget(IPC_PRIVATE, 3, 0600)) >= 0);
	CHECK((shmid = shmget(IPC_PRIVATE, 8192, 0600)) >= 0);
	CHECK((at = shmat(shmid, NULL, 0)) != (void *)-1);
	CHECK_EQ(msgsnd(msq, &m, 10, 0), 0);
	CHECK_EQ(msgsnd(msq, &m, 20, 0), 0);
	/* the limits (Linux's defaults where lux has the same) */
	CHECK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) >= 0);
	CHECK_EQ(mi.msgmax, 8192);
	CHECK_EQ(mi.msgmnb, 16384);
	CHECK_EQ(mi.msgssz, 16);
	CHECK(mi.msgmni > 0);
	CHECK(semctl(0, 0, IPC_INFO, (union semun){.buf = (void *)&si}) >= 0);
	CHECK_EQ(si.semmsl, 32000);
	CHECK_EQ(si.semopm, 500);
	CHECK_EQ(si.semvmx, 32767);
	CHECK(si.semmni > 0);
	CHECK(shmctl(0, IPC_INFO, (struct shmid_ds *)&hi) >= 0);
	CHECK_EQ(hi.shmmin, 1);
	CHECK(hi.shmmax >= 8192 && hi.shmmni > 0 && hi.shmall > 0);
	/* in use, and each object found by index */
	CHECK((top = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi)) >= 0);
	CHECK(mi.msgpool >= 1 && mi.msgmap >= 2 && mi.msgtql >= 30);
	for (n = 0; n <= top && msgctl(n, MSG_STAT, &md) != msq; n++)
		;
	CHECK(n <= top);
	CHECK_EQ(md.msg_qnum, 2);
	CHECK_EQ(md.msg_perm.mode & 0777, 0600);
	CHECK_ERR(msgctl(top + 1, MSG_STAT, &md), EINVAL);
	ipc_idx[0] = n;
	CHECK((top = semctl(0, 0, SEM_INFO,
			    (union semun){.buf = (void *)&si})) >= 0);
	CHECK(si.semusz >= 1 && si.semaem >= 3);
	for (n = 0; n <= top &&
		    semctl(n, 0, SEM_STAT, (union semun){.buf = &sd}) != semid;
	     n++)
		;
	CHECK(n <= top);
	CHECK_EQ(sd.sem_nsems, 3);
	CHECK_ERR(semctl(top + 1, 0, SEM_STAT, (union semun){.buf = &sd}),
		  EINVAL);
	ipc_idx[1] = n;
	CHECK((top = shmctl(0, SHM_INFO, (struct shmid_ds *)&hu)) >= 0);
	CHECK(hu.used_ids >= 1 && hu.shm_tot >= 2);
	for (n = 0; n <= top && shmctl(n, SHM_STAT, &hd) != shmid; n++)
		;
	CHECK(n <= top);
	CHECK_EQ(hd.shm_segsz, 8192);
	CHECK_EQ(hd.shm_nattch, 1);
	CHECK_ERR(shmctl(top + 1, SHM_STAT, &hd), EINVAL);
	ipc_idx[2] = n;
	ut_in_child(stat_other_uid);
	CHECK_EQ(shmdt(at), 0);
	CHECK_EQ(msgctl(msq, IPC_RMID, NULL), 0);
	CHECK_EQ(semctl(semid, 0, IPC_RMID), 0);
	CHECK_EQ(shmctl(shmid, IPC_RMID, NULL), 0);
}

static int on_lux(void)
{
	struct utsname u;
	return uname(&u) == 0 && strcmp(u.sysname, "lux") == 0;
}

/* The pid of the process named name, or 0. */
static int find_pid(const char *name)
{
	struct lux_procinfo info;

	for (int pid = 1; syscall(LUX_NR_PROCINFO, pid, &info, 0, 0) == 0;
	     pid = info.pid + 1)
		if (!strcmp(info.name, name))
			return info.pid;
	return 0;
}

/* The server killed under a blocked receiver: the receiver gets EIO,
 * never hangs; lumen restarts the server, which starts empty. */
static void server_restart(void)
{
	int id = msgget(IPC_PRIVATE, 0600), spid, n = 0;
	struct text m = {.type = 1};
	pid_t pid;

	if (!on_lux()) /* nothing to kill on Linux */
		return;
	CHECK(id >= 0);
	CHECK((pid = fork()) >= 0);
	if (pid == 0)
		_exit(msgrcv(id, &m, 16, 0, 0) < 0 && errno == EIO ? 0 : 2);
	CHECK(sleeping(pid));
	CHECK((spid = find_pid("shm")) > 0);
	CHECK_EQ(kill(spid, SIGKILL), 0);
	CHECK_EQ(ut_wait(pid), 0);
	while (find_pid("shm") <= 0 || find_pid("shm") == spid) {
		CHECK(n++ < 3000); /* 30 s */
		usleep(10000);
	}
	while ((id = msgget(IPC_PRIVATE, 0600)) < 0) {
		CHECK(n++ < 3000);
		usleep(10000);
	}
	CHECK_EQ(msgsnd(id, &m, 1, 0), 0);
	CHECK_EQ(msgrcv(id, &m, 16, 0, 0), 1);
	CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

/* The child's call for signal_early: 0 if it failed with EINTR. */
static int early_msgrcv(int id)
{
	struct text m;
	return msgrcv(id, &m, 16, 0, 0) < 0 && errno == EINTR ? 0 : 2;
}

/* A new process's first SEM_UNDO operation, which must wait (semaphore 0
 * is 0): on lux it first opens the process's undo file. */
static int early_semop(int id)
{
	struct sembuf down = {0, -1, SEM_UNDO};
	return semop(id, &down, 1) < 0 && errno == EINTR ? 0 : 2;
}

/* A signal that comes while a call that waits is still on its way to the
 * server (on lux the shm server is stopped, so the call waits in an OPEN
 * under /dev/shm; on Linux it simply waits): the call fails with EINTR
 * even with SA_RESTART, as Linux's never restarts. msgrcv used to restart
 * and then wait for a message that never came; semop with SEM_UNDO
 * failed with ENOMEM. */
static void signal_early(int (*call)(int id), int id)
{
	int spid = on_lux() ? find_pid("shm") : 0;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
	int st = 0, n = 0, done = 0;
	pid_t pid;

	CHECK(id >= 0);
	CHECK(!on_lux() || spid > 0);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK(!spid || kill(spid, SIGSTOP) == 0);
	if ((pid = fork()) == 0)
		_exit(call(id));
	if (pid > 0 && sleeping(pid) && kill(pid, SIGUSR1) == 0)
		while (!(done = waitpid(pid, &st, WNOHANG) == pid) &&
		       n++ < 1000)
			usleep(10000); /* 10 s: it ends at once, or never */
	if (spid) /* before any check: nothing works with it stopped */
		kill(spid, SIGCONT);
	if (pid > 0 && !done) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	signal(SIGUSR1, SIG_DFL);
	CHECK(pid > 0);
	CHECK(done);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void msg_signal_early(void)
{
	int id = msgget(IPC_PRIVATE, 0600);
	signal_early(early_msgrcv, id);
	CHECK_EQ(msgctl(id, IPC_RMID, NULL), 0);
}

static void sem_undo_signal_early(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600);
	signal_early(early_semop, id);
	CHECK_EQ(semctl(id, 0, IPC_RMID), 0);
}

int main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
	    UT_CASE(msg_fork),         UT_CASE(msg_limits),
	    UT_CASE(msg_wakes),        UT_CASE(sem_shm_fork),
	    UT_CASE(sem_undo),         UT_CASE(sem_limits),
	    UT_CASE(perm_other_uid),   UT_CASE(ipcs),
	    UT_CASE(server_restart),   UT_CASE(sem_ignored_signal),
	    UT_CASE(msg_signal_early), UT_CASE(sem_undo_signal_early),
	};
	test_pid = getpid();
	return ut_main(argc, argv, "sysv", cases, UT_COUNT(cases));
}
