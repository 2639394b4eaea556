/*
 * stat.h - file types and mode bits as the protocol carries them (struct
 * lux_req.mode, lux_rep.mode, lux_stat.mode): the one definition, used by
 * the kernel, the personality, lumen, the servers and their tests. The
 * values are Linux's (the same on every platform) but lux's own, never
 * taken from a C library.
 */
#pragma once

#define LUX_S_IFMT   0170000
#define LUX_S_IFSOCK 0140000
#define LUX_S_IFLNK  0120000
#define LUX_S_IFREG  0100000
#define LUX_S_IFBLK  0060000
#define LUX_S_IFDIR  0040000
#define LUX_S_IFCHR  0020000
#define LUX_S_IFIFO  0010000

#define LUX_S_ISUID 04000
#define LUX_S_ISGID 02000
#define LUX_S_ISVTX 01000
#define LUX_S_IXGRP 00010 /* the group may execute */

#define LUX_S_ISTYPE(m, t) (((m)&LUX_S_IFMT) == (t))
#define LUX_S_ISSOCK(m)    LUX_S_ISTYPE(m, LUX_S_IFSOCK)
#define LUX_S_ISLNK(m)     LUX_S_ISTYPE(m, LUX_S_IFLNK)
#define LUX_S_ISREG(m)     LUX_S_ISTYPE(m, LUX_S_IFREG)
#define LUX_S_ISBLK(m)     LUX_S_ISTYPE(m, LUX_S_IFBLK)
#define LUX_S_ISDIR(m)     LUX_S_ISTYPE(m, LUX_S_IFDIR)
#define LUX_S_ISCHR(m)     LUX_S_ISTYPE(m, LUX_S_IFCHR)
#define LUX_S_ISFIFO(m)    LUX_S_ISTYPE(m, LUX_S_IFIFO)
