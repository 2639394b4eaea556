/*
 * host.h - what host unit tests get besides cmocka: the arena standing for
 * physical memory, a way to watch a panic happen, and a lock check.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Map a fresh, zeroed arena of size bytes as physical memory [0, size).
 * Pages are only backed once touched, so size may exceed the host's RAM. */
void host_ram_init(uint64_t size);

/* The interrupt-mask depth of the stubbed arch_irq_save/restore: 0 when
 * no spinlock is held. */
extern unsigned long host_irqs_off;

/*
 * Run fn(arg) in a child process, so that a panic (which leaves locks held
 * and state broken) cannot disturb the other tests. Returns the panic
 * message, or NULL if fn returned or crashed without panicking. fn must
 * not use cmocka's assertions; it reports through its result.
 */
const char *host_panic_message(void (*fn)(void *), void *arg);

/* Run fn(arg) in a child process; true if it returned true without a
 * panic or crash. For tests that exhaust memory or break state. */
bool host_in_child(bool (*fn)(void *), void *arg);

/* The host C library's vsnprintf, to compare the kernel's against. */
int host_vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
