/*
 * abi.h - where x86_64's Linux ABI lays out a structure differently from
 * other platforms, for the personality (user/persona/).
 */
#ifndef LUX_ABI_H
#define LUX_ABI_H

/* struct epoll_event: packed (12 bytes). */
#define LUX_EPOLL_PACKED __attribute__((packed))

#endif
