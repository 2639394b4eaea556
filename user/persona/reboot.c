/*
 * reboot.c - Linux's reboot over the native LUX_NR_REBOOT: the magic
 * numbers, the commands, and the Ctrl-Alt-Del switch (the terminal's
 * business: accepted and ignored).
 */
#include "persona.h"

#define REBOOT_MAGIC1    0xfee1deadU
#define REBOOT_RESTART   0x01234567U
#define REBOOT_HALT      0xcdef0123U
#define REBOOT_POWER_OFF 0x4321fedcU
#define REBOOT_CAD_ON    0x89abcdefU
#define REBOOT_CAD_OFF   0U

/* reboot: EPERM without euid 0 first, then EINVAL for a wrong magic
 * number or an unknown command, as Linux; arg is not used. */
long persona_reboot(long magic1, long magic2, long cmd)
{
	int m2 = magic2; /* the arguments are C ints: their low 32 bits */

	if (persona_getid(LUX_CRED_UID, 1))
		return -EPERM;
	if ((uint32_t)magic1 != REBOOT_MAGIC1 ||
	    (m2 != 672274793 && m2 != 85072278 && m2 != 369367448 &&
	     m2 != 537993216))
		return -EINVAL;
	switch ((uint32_t)cmd) {
	case REBOOT_CAD_ON:
	case REBOOT_CAD_OFF:
		return 0;
	case REBOOT_POWER_OFF:
		return native1(LUX_NR_REBOOT, LUX_REBOOT_POWER_OFF);
	case REBOOT_RESTART:
		return native1(LUX_NR_REBOOT, LUX_REBOOT_RESTART);
	case REBOOT_HALT:
		return native1(LUX_NR_REBOOT, LUX_REBOOT_HALT);
	}
	return -EINVAL;
}
