/*
 * abi.h - where arm64's Linux ABI lays out a structure differently from
 * other platforms, for the personality (user/persona/).
 */
#ifndef LUX_ABI_H
#define LUX_ABI_H

/* struct epoll_event: naturally aligned (16 bytes). */
#define LUX_EPOLL_PACKED

/* struct loop_info's device numbers (__kernel_old_dev_t). */
#define LUX_OLD_DEV_T unsigned int

#endif
