/*
 * prog.c - /sbin/ramfs: a tmpfs (mount -t tmpfs), its tree in private
 * memory. The root's ramfs runs inside lumen (main.c, ramfs_main).
 */
#include "fs.h"

int main(void)
{
	return ramfs_main(-1);
}
