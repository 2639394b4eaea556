/*
 * procx.c - prctl's process options over LUX_NR_PROCCTL: the signal a
 * process gets when its parent goes (PR_SET_PDEATHSIG, PR_GET_PDEATHSIG)
 * and the child subreaper (PR_SET_CHILD_SUBREAPER, PR_GET_...); the
 * kernel keeps both, since it reparents and signals
 * (docs/decisions/0034-fifos.md records the rest of this group).
 */
#include "fs.h"
#include "persona.h"
#include <lux/stat.h>

#define PR_SET_PDEATHSIG       1
#define PR_GET_PDEATHSIG       2
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37

/* prctl's process options: 0, the value stored at arg for a GET (EFAULT),
 * EINVAL for a signal out of range; -ENOSYS: not one of these options. */
long procx_prctl(long option, long arg)
{
	int v;
	long r;

	switch (option) {
	case PR_SET_PDEATHSIG:
		if ((unsigned long)arg >= 65)
			return -EINVAL;
		r = native2(LUX_NR_PROCCTL, LUX_PROC_PDEATHSIG, arg);
		return r < 0 ? r : 0;
	case PR_SET_CHILD_SUBREAPER:
		r = native2(LUX_NR_PROCCTL, LUX_PROC_SUBREAPER, arg != 0);
		return r < 0 ? r : 0;
	case PR_GET_PDEATHSIG:
	case PR_GET_CHILD_SUBREAPER:
		r = native2(LUX_NR_PROCCTL,
			    option == PR_GET_PDEATHSIG ? LUX_PROC_PDEATHSIG
						       : LUX_PROC_SUBREAPER,
			    -1);
		v = (int)r;
		return r < 0 ? r : copy_out(arg, &v, sizeof(v));
	}
	return -ENOSYS;
}

#define F_SETLEASE 1024
#define F_GETLEASE 1025
#define F_UNLCK_   2

/* fcntl's lease commands (the owner and signal ones are the kernel's,
 * kernel/ipc/sigio.c). lux has no lease breaking: a descriptor holds no
 * lease (F_GETLEASE F_UNLCK; F_SETLEASE F_UNLCK EAGAIN as Linux without
 * one). A lease is refused with EAGAIN, Linux's
 * answer when another open conflicts: lux could not break it (decision
 * 0034). Not a regular file: EINVAL; not the owner's (nor root's):
 * EACCES. -ENOSYS: not one of these commands. */
long procx_fcntl(long fd, long cmd, long arg)
{
	struct lux_stat st;
	long r;

	if (cmd == F_GETLEASE)
		return F_UNLCK_;
	if (cmd != F_SETLEASE)
		return -ENOSYS;
	if ((unsigned long)arg > F_UNLCK_)
		return -EINVAL;
	if ((r = fs_fstat(fd, &st)) < 0)
		return r;
	if ((st.mode & LUX_S_IFMT) != LUX_S_IFREG)
		return -EINVAL;
	r = persona_getid(LUX_CRED_UID, 1);
	return r && r != (long)st.uid ? -EACCES : -EAGAIN;
}
