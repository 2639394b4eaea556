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
