/*
 * x86_64/sysv.c - x86_64's struct semid_ds (sysv.c): a padding word
 * after each time.
 */
#include "../persona.h"

int sysv_semid_ds(uint64_t *w, int64_t otime, int64_t ctime, uint64_t nsems)
{
	w[0] = otime, w[1] = 0, w[2] = ctime, w[3] = 0, w[4] = nsems;
	w[5] = w[6] = 0;
	return 7;
}
