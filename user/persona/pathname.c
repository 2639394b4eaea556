/*
 * pathname.c - lexical path names, the personality's: joining a relative
 * path to its directory, dropping ".", "..", and empty components by name
 * (as Plan 9 does), and splicing a symbolic link's target in. No I/O:
 * host-tested (tests/unit/test_persona_path.c). The kernel's copy went
 * when socket names moved here (docs/decisions/0021-socket-names.md).
 */
#include "pathname.h"
#include <lux/errno.h>

/* Append the n bytes of s, component by component, to the clean path
 * out[0..*len). */
static int add(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	const char *end = s + n;

	while (s < end) {
		const char *c = s;
		while (c < end && *c != '/')
			c++;
		size_t k = c - s;
		if (k > NAME_MAX)
			return -ENAMETOOLONG;
		if (k == 2 && s[0] == '.' && s[1] == '.') {
			while (*len > 0 && out[--*len] != '/')
				;
		} else if (k && !(k == 1 && s[0] == '.')) {
			if (*len + 1 + k + 1 > size)
				return -ENAMETOOLONG;
			out[(*len)++] = '/';
			memcpy(out + *len, s, k);
			*len += k;
		}
		s = c + 1;
	}
	return 0;
}

/* Whether the n bytes at s end in a way that names a directory: a
 * slash, "." or ".." (as Linux reads "file/" and "file/.": ENOTDIR). */
static bool names_dir(const char *s, size_t n)
{
	return n && (s[n - 1] == '/' ||
		     (s[n - 1] == '.' &&
		      (n == 1 || s[n - 2] == '/' ||
		       (s[n - 2] == '.' && (n == 2 || s[n - 3] == '/')))));
}

/* Terminate the clean path: "/" when it is empty; a trailing '/' kept
 * when the name must be a directory. */
static int finish(char *out, size_t size, size_t len, bool dir)
{
	if (size < 2 || (dir && len && len + 2 > size))
		return -ENAMETOOLONG;
	if (!len || dir)
		out[len++] = '/';
	out[len] = '\0';
	return (int)len;
}

int path_normalize(char *out, size_t size, const char *base, const char *rel)
{
	size_t len = 0;
	int r;

	if (!*rel)
		return -ENOENT;
	if (*rel != '/' && (r = add(out, size, &len, base, strlen(base))))
		return r;
	if ((r = add(out, size, &len, rel, strlen(rel))))
		return r;
	return finish(out, size, len, names_dir(rel, strlen(rel)));
}

int path_splice(char *out, size_t size, const char *path, size_t link_end,
		const char *target, size_t tlen)
{
	size_t len = 0, dir = link_end;
	int r;

	if (!tlen)
		return -ENOENT;
	while (dir > 0 && path[dir - 1] != '/')
		dir--;
	if (*target != '/' && (r = add(out, size, &len, path, dir)))
		return r;
	size_t rest = strlen(path + link_end);
	if ((r = add(out, size, &len, target, tlen)) ||
	    (r = add(out, size, &len, path + link_end, rest)))
		return r;
	return finish(out, size, len,
		      rest ? names_dir(path + link_end, rest)
			   : names_dir(target, tlen));
}
int path_last_dots(const char *path)
{
	size_t end = strlen(path), start;

	while (end > 0 && path[end - 1] == '/')
		end--;
	for (start = end; start > 0 && path[start - 1] != '/';)
		start--;
	if (end - start == 1 && path[start] == '.')
		return 1;
	return end - start == 2 && path[start] == '.' && path[start + 1] == '.'
		   ? 2
		   : 0;
}
