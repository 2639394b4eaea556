/*
 * loop.h - Linux's loop device ABI (include/uapi/linux/loop.h), as the
 * loop server (user/loop/) and the personality (user/persona/loop.c)
 * see it: the ioctl numbers, the flags and the status structures, and
 * the loop server's descriptor hand-over (docs/decisions/0039-loop.md).
 */
#pragma once

#include <lux/abi.h>
#include <stdint.h>

#define LOOP_SET_FD         0x4c00
#define LOOP_CLR_FD         0x4c01
#define LOOP_SET_STATUS     0x4c02
#define LOOP_GET_STATUS     0x4c03
#define LOOP_SET_STATUS64   0x4c04
#define LOOP_GET_STATUS64   0x4c05
#define LOOP_SET_CAPACITY   0x4c07
#define LOOP_SET_DIRECT_IO  0x4c08
#define LOOP_SET_BLOCK_SIZE 0x4c09
#define LOOP_CONFIGURE      0x4c0a
#define LOOP_CTL_ADD        0x4c80
#define LOOP_CTL_REMOVE     0x4c81
#define LOOP_CTL_GET_FREE   0x4c82

#define LO_FLAGS_READ_ONLY 1
#define LO_FLAGS_AUTOCLEAR 4
#define LO_FLAGS_PARTSCAN  8
#define LO_FLAGS_DIRECT_IO 16
#define LO_NAME_SIZE       64
#define LO_KEY_SIZE        32

struct loop_info64 {
	uint64_t lo_device, lo_inode, lo_rdevice;
	uint64_t lo_offset, lo_sizelimit;
	uint32_t lo_number, lo_encrypt_type, lo_encrypt_key_size, lo_flags;
	uint8_t lo_file_name[LO_NAME_SIZE];
	uint8_t lo_crypt_name[LO_NAME_SIZE];
	uint8_t lo_encrypt_key[LO_KEY_SIZE];
	uint64_t lo_init[2];
};

/* The old structure: its device numbers are __kernel_old_dev_t, whose
 * size the platform gives (<lux/abi.h>). */
typedef LUX_OLD_DEV_T loop_old_dev_t;
struct loop_info {
	int lo_number;
	loop_old_dev_t lo_device;
	unsigned long lo_inode;
	loop_old_dev_t lo_rdevice;
	int lo_offset, lo_encrypt_type, lo_encrypt_key_size, lo_flags;
	char lo_name[LO_NAME_SIZE];
	unsigned char lo_encrypt_key[LO_KEY_SIZE];
	unsigned long lo_init[2];
	char reserved[4];
};

struct loop_config {
	uint32_t fd, block_size;
	struct loop_info64 info;
	uint64_t reserved[8];
};

/* The hand-over of a backing file: the personality connects a
 * SOCK_SEQPACKET socket to the abstract name LOOP_SOCKET (abstract, so
 * that it does not depend on a file server: a restart of ramfs would
 * orphan a path name's key), checks that root serves it (the peer's
 * credentials, which the kernel gives), sends one byte with the
 * descriptor (SCM_RIGHTS) and receives a random 8-byte ticket, which
 * LOOP_SET_FD and LOOP_CONFIGURE carry to the device's server (their
 * input: the ticket, then for LOOP_CONFIGURE the block size and the
 * loop_info64). The server keeps the descriptor while the connection
 * is open; a ticket is good once, on any loop device the caller has
 * open. Ticket 0: no descriptor came (EBADF). */
#define LOOP_SOCKET "\0lux/loop" /* sizeof - 1 bytes of sun_path */
struct loop_pass {
	uint64_t ticket;
	uint32_t block_size, pad;
	struct loop_info64 info; /* LOOP_CONFIGURE's */
};
