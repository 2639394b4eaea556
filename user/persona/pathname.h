/*
 * pathname.h - lexical path names for the personality's path calls
 * (pathname.c): no I/O, host-tested (tests/unit/test_persona_path.c).
 */
#pragma once

#include <lux/errno.h>
#include <stdbool.h>
#include <stddef.h>

#define NAME_MAX 255

size_t strlen(const char *s);
void *memcpy(void *dst, const void *src, size_t n);

/*
 * Write into out (size bytes) the absolute path that rel names from the
 * absolute directory base (ignored when rel starts with '/'), with "."
 * and empty components dropped and ".." taking away the component before
 * it (never above "/"). When rel ends in '/', "." or "..", the result
 * ends in '/' (it must name a directory; "/" stays "/"). Returns its
 * length, or -ENOENT for an empty rel, -ENAMETOOLONG if it does not fit
 * or a component is longer than NAME_MAX.
 */
int path_normalize(char *out, size_t size, const char *base, const char *rel);
/*
 * The path that results when the first link_end bytes of the clean
 * absolute path `path` name a symbolic link whose target is the tlen
 * bytes at target: the target (from the link's directory, or absolute)
 * followed by the rest of path, normalized into out. Returns as
 * path_normalize.
 */
int path_splice(char *out, size_t size, const char *path, size_t link_end,
		const char *target, size_t tlen);
/* Whether path's last component (trailing slashes aside) is "." (1) or
 * ".." (2), else 0: the calls that refuse those as Linux does ask. */
int path_last_dots(const char *path);
