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

/* One conversion's flags, field width, precision (-1: none given), and
 * the size in bits of its integer argument, from the length modifier. */
struct spec {
	bool left, zero;
	int width, prec, bits;
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->dst[o->len] = c;
	o->len++;
}

/* Emit prefix, then zeros '0's, then body[0..len), padded with spaces to
 * the field width: before them, or after them with the '-' flag. */
static void out_field(struct out *o, const struct spec *s, const char *prefix,
		      int zeros, const char *body, int len)
{
	int pad = s->width - (int)strlen(prefix) - zeros - len;

	for (; !s->left && pad > 0; pad--)
		out_char(o, ' ');
	while (*prefix)
		out_char(o, *prefix++);
	for (; zeros > 0; zeros--)
		out_char(o, '0');
	while (len-- > 0)
		out_char(o, *body++);
	for (; pad > 0; pad--)
		out_char(o, ' ');
}

/* The next integer argument, of the given size in bits, widened to 64:
 * sign-extended if is_signed, else zero-extended. */
static uint64_t fetch_int(va_list *ap, int bits, bool is_signed)
{
	uint64_t v = bits == 64 ? va_arg(*ap, uint64_t) : va_arg(*ap, unsigned);
	int shift = 64 - bits;

	return is_signed ? (uint64_t)((int64_t)(v << shift) >> shift)
			 : v << shift >> shift;
}

/* Format the next argument for integer conversion conv (d i u o x X p). */
static void format_int(struct out *o, const struct spec *s, char conv,
		       va_list *ap)
{
	const char *digits =
	    conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	bool is_signed = conv == 'd' || conv == 'i';
	unsigned base = conv == 'o' ? 8 : is_signed || conv == 'u' ? 10 : 16;
	uint64_t v = conv == 'p' ? (uintptr_t)va_arg(*ap, void *)
				 : fetch_int(ap, s->bits, is_signed);
	bool neg = is_signed && (int64_t)v < 0;
	const char *prefix = neg ? "-" : conv == 'p' ? "0x" : "";
	char buf[24];
	int n = 0, zeros;

	if (neg)
		v = -v;
	/* Precision 0 prints no digits for 0. */
	for (; v != 0 || (n == 0 && s->prec != 0); v /= base)
		buf[sizeof(buf) - ++n] = digits[v % base];
	zeros = s->prec - n;
	if (s->zero && !s->left && s->prec < 0)
		zeros = s->width - (int)strlen(prefix) - n;
	out_field(o, s, prefix, MAX(zeros, 0), buf + sizeof(buf) - n, n);
}

/* A width or precision: digits, or '*' to take it from the arguments. */
static int parse_count(const char **p, va_list *ap)
{
	int v = 0;

	if (**p == '*') {
		(*p)++;
		return va_arg(*ap, int);
	}
	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (**p - '0');
	return v;
}

/* Parse flags, width, precision and length modifier after a '%'; returns
 * where the conversion character is. */
static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
	for (; *p == '-' || *p == '0'; p++) {
		s->left |= *p == '-';
		s->zero |= *p == '0';
	}
	s->width = parse_count(&p, ap);
	if (s->width < 0) { /* a negative '*' width means '-' */
		s->left = true;
		s->width = -s->width;
	}
	s->prec = -1;
	if (*p == '.') {
		p++;
		s->prec = parse_count(&p, ap);
		s->prec = MAX(s->prec, -1); /* a negative '*' means none */
	}
	/* h halves an int, hh again; every lux platform is LP64, so l, ll, z
	 * and t are all 64 bits. */
	for (s->bits = 32; *p == 'h' && s->bits > 8; p++)
		s->bits /= 2;
	for (; *p == 'l' || *p == 'z' || *p == 't'; p++)
		s->bits = 64;
	return p;
}

/* Format one conversion, conv, with its spec. */
static void format_one(struct out *o, const struct spec *s, char conv,
		       va_list *ap)
{
	const char *str;
	int n = 0;
	char c;

	switch (conv) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'X':
	case 'o':
	case 'p':
		format_int(o, s, conv, ap);
		break;
	case 's':
		str = va_arg(*ap, const char *);
		str = str ? str : "(null)";
		while ((s->prec < 0 || n < s->prec) && str[n])
			n++;
		out_field(o, s, "", 0, str, n);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_field(o, s, "", 0, &c, 1);
		break;
	default: /* %%, or not a conversion: print it as it stands */
		if (conv != '%')
			out_char(o, '%');
		out_char(o, conv);
	}
}

int vsnprintf(char *dst, size_t size, const char *fmt, va_list args)
{
	struct out o = {dst, size, 0};
	va_list ap;

	va_copy(ap, args); /* a local va_list can be passed by address */
	while (*fmt) {
		struct spec s = {0};

		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &s, &ap);
		if (*fmt == '\0') {
			out_char(&o, '%');
			break;
		}
		format_one(&o, &s, *fmt++, &ap);
	}
	va_end(ap);
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
