/*
 * sysv.h - SysV IPC in the shared-memory server (sysv.c).
 */
#pragma once

#include "shm.h"

/* Handles of LUX_SYSV_UNDO opens, past the nodes' and the directory's. */
#define SYSV_UNDO_HANDLE ((uint64_t)SHM_NODES + 2)

/* Serve an IOCTL on the directory (a LUX_SYSV_* command, len bytes of
 * payload): answered now, or kept until it can be. */
void sysv_ioctl(const struct lux_msg *m, long len);
/* Request id no longer waits (CANCEL). */
void sysv_cancel(uint64_t id);
/* Answer the waits whose time is up; the ms until the next one's, or -1. */
int64_t sysv_timeout_ms(void);
/* OPEN of a path under ".sysv/": an undo handle or a segment: 0 with
 * r's handle and mode, or -errno. */
long sysv_open(const struct lux_req *q, const char *path, struct lux_rep *r);
/* CLOSE of handle: if an undo handle, its adjustments are made. */
void sysv_undo_close(uint64_t handle);
