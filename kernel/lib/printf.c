/*
 * printf.c - vsnprintf and snprintf: C's printf for integers, pointers,
 * strings and characters. No floating point: the kernel has none.
 */
#include "kernel.h"

/* The output buffer, and the length the output has reached so far
 * (which goes on growing past the end of the buffer). */
struct out {
	char *dst;
	size_t size, len;
};

/* One conversion's flags, field width and precision (-1: none given). */
struct spec {
	bool left, zero;
	int width, prec;
	char len; /* length modifier: 'H' for hh, 'h', 'l' (also ll z t), 0 */
};

/* A va_list behind a pointer, so helpers can consume arguments. */
struct args {
	va_list ap;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->dst[o->len] = c;
	o->len++;
}

static void out_repeat(struct out *o, char c, int n)
{
	for (; n > 0; n--)
		out_char(o, c);
}

/* Emit prefix, then zeros '0's, then body[0..len), padded with spaces to
 * the field width on the side the '-' flag chooses. */
static void out_field(struct out *o, const struct spec *s, const char *prefix,
		      int zeros, const char *body, int len)
{
	int pad = s->width - (int)strlen(prefix) - zeros - len;

	if (!s->left)
		out_repeat(o, ' ', pad);
	while (*prefix)
		out_char(o, *prefix++);
	out_repeat(o, '0', zeros);
	for (int i = 0; i < len; i++)
		out_char(o, body[i]);
	if (s->left)
		out_repeat(o, ' ', pad);
}

/* An integer argument of the given length, sign-extended if is_signed.
 * Every lux platform is LP64: l, ll, z and t are all 64 bits. */
static uint64_t fetch_int(struct args *a, char len, bool is_signed)
{
	unsigned v;

	if (len == 'l')
		return va_arg(a->ap, uint64_t);
	v = va_arg(a->ap, unsigned);
	if (len == 'H')
		return is_signed ? (uint64_t)(int8_t)v : (uint8_t)v;
	if (len == 'h')
		return is_signed ? (uint64_t)(int16_t)v : (uint16_t)v;
	return is_signed ? (uint64_t)(int32_t)v : v;
}

/* Format v (the magnitude; neg gives the sign) for conversion conv. */
static void format_int(struct out *o, const struct spec *s, uint64_t v,
		       bool neg, char conv)
{
	const char *digits =
	    conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	unsigned base = conv == 'o' ? 8 : conv == 'd' || conv == 'u' ? 10 : 16;
	const char *prefix = neg ? "-" : conv == 'p' ? "0x" : "";
	char buf[24];
	int n = 0, zeros;

	/* Precision 0 prints no digits for 0. */
	for (; v != 0 || (n == 0 && s->prec != 0); v /= base)
		buf[sizeof(buf) - ++n] = digits[v % base];
	zeros = MAX(s->prec - n, 0);
	if (s->zero && !s->left && s->prec < 0)
		zeros = MAX(s->width - (int)strlen(prefix) - n, 0);
	out_field(o, s, prefix, zeros, buf + sizeof(buf) - n, n);
}

/* A width or precision: digits, or '*' to take it from the arguments. */
static int parse_count(const char **p, struct args *a)
{
	int v = 0;

	if (**p == '*') {
		(*p)++;
		return va_arg(a->ap, int);
	}
	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (**p - '0');
	return v;
}

/* Parse flags, width, precision and length modifier after a '%'. */
static const char *parse_spec(const char *p, struct spec *s, struct args *a)
{
	for (;; p++) {
		if (*p == '-')
			s->left = true;
		else if (*p == '0')
			s->zero = true;
		else
			break;
	}
	s->width = parse_count(&p, a);
	if (s->width < 0) {
		s->left = true;
		s->width = -s->width;
	}
	s->prec = -1;
	if (*p == '.') {
		p++;
		s->prec = parse_count(&p, a);
		s->prec = MAX(s->prec, -1); /* a negative '*' means none */
	}
	if (*p == 'h' || *p == 'l' || *p == 'z' || *p == 't')
		s->len = *p++ == 'h' ? 'h' : 'l';
	if (s->len != 0 && *p == s->len) /* hh or ll */
		s->len = *p++ == 'h' ? 'H' : 'l';
	return p;
}

/* Format one conversion; p points at its conversion character. */
static void format_one(struct out *o, struct spec *s, const char *p,
		       struct args *a)
{
	uint64_t v;
	const char *str;
	int n = 0;
	char c;

	switch (*p) {
	case 'd':
	case 'i':
		v = fetch_int(a, s->len, true);
		format_int(o, s, (int64_t)v < 0 ? -v : v, (int64_t)v < 0, 'd');
		break;
	case 'u':
	case 'x':
	case 'X':
	case 'o':
		format_int(o, s, fetch_int(a, s->len, false), false, *p);
		break;
	case 'p':
		format_int(o, s, (uintptr_t)va_arg(a->ap, void *), false, 'p');
		break;
	case 's':
		str = va_arg(a->ap, const char *);
		str = str ? str : "(null)";
		while ((s->prec < 0 || n < s->prec) && str[n])
			n++;
		out_field(o, s, "", 0, str, n);
		break;
	case 'c':
		c = (char)va_arg(a->ap, int);
		out_field(o, s, "", 0, &c, 1);
		break;
	case '%':
		out_char(o, '%');
		break;
	default: /* not a conversion: print it as it stands */
		out_char(o, '%');
		out_char(o, *p);
	}
}

int vsnprintf(char *dst, size_t size, const char *fmt, va_list ap)
{
	struct out o = {dst, size, 0};
	struct args a;

	va_copy(a.ap, ap);
	while (*fmt) {
		struct spec s = {0};

		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &s, &a);
		if (*fmt == '\0') {
			out_char(&o, '%');
			break;
		}
		format_one(&o, &s, fmt++, &a);
	}
	va_end(a.ap);
	if (size > 0)
		dst[MIN(o.len, size - 1)] = '\0';
	return (int)o.len;
}

int snprintf(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n;
}
