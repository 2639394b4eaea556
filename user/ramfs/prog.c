/*
 * prog.c - /sbin/ramfs. With --state, the root's instance at boot: its
 * tree in the memory object lumen gives it as descriptor 4 (lumen runs
 * later instances itself, main.c's ramfs_main). Without, a tmpfs (mount
 * -t tmpfs), its tree in private memory.
 */
#include "fs.h"
#include "lux.h"
#include <string.h>

int main(int argc, char **argv)
{
	bool state = argc > 1 && strcmp(argv[1], "--state") == 0;

	return ramfs_main(state ? LUX_SERVER_FD + 1 : -1);
}
