/*
 * aarch64/sysv.c - the generic 64-bit struct semid_ds (sysv.c): no
 * padding after the times.
 */
#include "../persona.h"

int sysv_semid_ds(uint64_t *w, int64_t otime, int64_t ctime, uint64_t nsems)
{
	w[0] = otime, w[1] = ctime, w[2] = nsems, w[3] = w[4] = 0;
	return 5;
}
