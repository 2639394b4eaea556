/*
 * ldisc.c - the terminal line discipline (see ldisc.h): POSIX canonical
 * and non-canonical input with Linux's defaults and echo conventions.
 */
#include "ldisc.h"
#include <signal.h>
#include <string.h>

#define CTRL_KEY(c) ((c)&0x1f)

void ldisc_init(struct ldisc *ld)
{
	static const uint8_t cc[TTY_NCCS] = {[VINTR] = CTRL_KEY('C'),
					     [VQUIT] = 0x1c,
					     [VERASE] = 0x7f,
					     [VKILL] = CTRL_KEY('U'),
					     [VEOF] = CTRL_KEY('D'),
					     [VMIN] = 1,
					     [VSTART] = CTRL_KEY('Q'),
					     [VSTOP] = CTRL_KEY('S'),
					     [VSUSP] = CTRL_KEY('Z'),
					     [VREPRINT] = CTRL_KEY('R'),
					     [VDISCARD] = CTRL_KEY('O'),
					     [VWERASE] = CTRL_KEY('W'),
					     [VLNEXT] = CTRL_KEY('V')};

	memset(ld, 0, sizeof(*ld));
	ld->t.iflag = ICRNL | IXON | IUTF8;
	ld->t.oflag = OPOST | ONLCR;
	ld->t.cflag = B38400 | CS8 | CREAD | HUPCL;
	ld->t.lflag =
	    ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(ld->t.cc, cc, sizeof(cc));
}

/* ---- output ------------------------------------------------------- */

size_t ldisc_out_room(const struct ldisc *ld)
{
	return TTY_OUT_SIZE - (ld->out_head - ld->out_tail);
}

size_t ldisc_out_pending(const struct ldisc *ld)
{
	return ld->out_head - ld->out_tail;
}

static void put_raw(struct ldisc *ld, unsigned char c)
{
	ld->out[ld->out_head++ % TTY_OUT_SIZE] = c;
}

/* Queue c with output processing and track the column: whether it fit. */
static bool put(struct ldisc *ld, unsigned char c)
{
	bool post = ld->t.oflag & OPOST;

	if (post && c == '\n' && (ld->t.oflag & ONLCR)) {
		if (ldisc_out_room(ld) < 2)
			return false;
		put_raw(ld, '\r');
		put_raw(ld, '\n');
		ld->col = 0;
		return true;
	}
	if (!ldisc_out_room(ld))
		return false;
	if (post && c == '\r' && (ld->t.oflag & OCRNL))
		c = '\n';
	put_raw(ld, c);
	if (c == '\r' || c == '\n')
		ld->col = 0;
	else if (c == '\b')
		ld->col -= ld->col > 0;
	else if (c == '\t')
		ld->col = (ld->col | 7) + 1;
	else if (c >= 0x20 && c != 0x7f && (c & 0xc0) != 0x80)
		ld->col++; /* UTF-8 continuation bytes take no column */
	return true;
}

size_t ldisc_write(struct ldisc *ld, const char *buf, size_t n)
{
	size_t done = 0;

	while (done < n && put(ld, buf[done]))
		done++;
	return done;
}

size_t ldisc_out_take(struct ldisc *ld, char *buf, size_t n)
{
	size_t k = 0;

	while (!ld->stopped && k < n && ld->out_tail != ld->out_head)
		buf[k++] = ld->out[ld->out_tail++ % TTY_OUT_SIZE];
	return k;
}

/* ---- echo --------------------------------------------------------- */

static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t' && c != '\n') || c == 0x7f;
}

/* Echo a typed byte: control characters as ^X under ECHOCTL. */
static void echo(struct ldisc *ld, unsigned char c)
{
	if (!(ld->t.lflag & ECHO))
		return;
	if (is_ctl(c) && (ld->t.lflag & ECHOCTL)) {
		put(ld, '^');
		put(ld, c ^ 0x40);
	} else {
		put(ld, c);
	}
}

static void echo_str(struct ldisc *ld, const char *s)
{
	while (*s)
		put(ld, *s++);
}

/* Columns that edit[0..len) takes when echoed from edit_col. */
static unsigned edit_width(struct ldisc *ld, unsigned len)
{
	unsigned col = ld->edit_col;

	for (unsigned i = 0; i < len; i++) {
		unsigned char c = ld->edit[i];
		if (c == '\t')
			col = (col | 7) + 1;
		else if (is_ctl(c))
			col += (ld->t.lflag & ECHOCTL) ? 2 : 0;
		else if ((c & 0xc0) != 0x80)
			col++;
	}
	return col;
}

/* Remove the last typed character (a whole UTF-8 sequence) and wipe it
 * from the screen. */
static void erase_one(struct ldisc *ld)
{
	unsigned len = ld->edit_len, before;

	if (!len)
		return;
	do
		len--;
	while (len && (ld->t.iflag & IUTF8) && (ld->edit[len] & 0xc0) == 0x80);
	before = edit_width(ld, len);
	unsigned cols = edit_width(ld, ld->edit_len) - before;
	bool tab = ld->edit[len] == '\t'; /* backspaces over its blanks */
	ld->edit_len = len;
	if (!(ld->t.lflag & ECHO))
		return;
	if (!(ld->t.lflag & ECHOE)) {
		echo(ld, ld->t.cc[VERASE]);
		return;
	}
	for (unsigned i = 0; i < cols; i++)
		echo_str(ld, tab ? "\b" : "\b \b");
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* ^W: erase the spaces before the cursor, then the word before them. */
static void erase_word(struct ldisc *ld)
{
	while (ld->edit_len && is_space(ld->edit[ld->edit_len - 1]))
		erase_one(ld);
	while (ld->edit_len && !is_space(ld->edit[ld->edit_len - 1]))
		erase_one(ld);
}

/* ^U: erase the whole line (on the screen too with ECHOE and ECHOKE). */
static void kill_line(struct ldisc *ld)
{
	uint32_t l = ld->t.lflag, all = ECHOK | ECHOKE | ECHOE;

	if ((l & ECHO) && (l & all) == all) {
		while (ld->edit_len)
			erase_one(ld);
		return;
	}
	ld->edit_len = 0;
	echo(ld, ld->t.cc[VKILL]);
	if ((l & ECHO) && (l & ECHOK))
		put(ld, '\n');
	ld->edit_col = ld->col;
}

/* ^R: show the line again on a fresh line. */
static void reprint(struct ldisc *ld)
{
	echo(ld, ld->t.cc[VREPRINT]);
	put(ld, '\n');
	ld->edit_col = ld->col;
	for (unsigned i = 0; i < ld->edit_len; i++)
		echo(ld, ld->edit[i]);
}

/* ---- input -------------------------------------------------------- */

static unsigned in_room(const struct ldisc *ld)
{
	return TTY_IN_SIZE - (ld->head - ld->tail);
}

/* Make the edited line readable, ended by c (no byte for end of file). */
static void finish_line(struct ldisc *ld, int c)
{
	unsigned n = ld->edit_len;

	if (c >= 0)
		ld->edit[n++] = c; /* edit has room: see ldisc_input */
	if (ld->lines_head - ld->lines_tail == TTY_LINES || in_room(ld) < n)
		n = 0; /* no room: the line is lost, as a full Linux tty would */
	for (unsigned i = 0; i < n; i++)
		ld->in[ld->head++ % TTY_IN_SIZE] = ld->edit[i];
	if (n || c < 0)
		ld->line_end[ld->lines_head++ % TTY_LINES] = ld->head;
	ld->edit_len = 0;
	ld->edit_col = ld->col;
}

void ldisc_flush_input(struct ldisc *ld)
{
	ld->tail = ld->head;
	ld->lines_tail = ld->lines_head;
	ld->edit_len = 0;
	ld->edit_col = ld->col;
	ld->lnext = false;
}

/* A signal character: flush input and the output not sent yet (a ^C
 * stops a flood at once), echo it, say which signal. */
static int signal_char(struct ldisc *ld, unsigned char c, int sig)
{
	if (!(ld->t.lflag & NOFLSH)) {
		ldisc_flush_input(ld);
		ld->out_tail = ld->out_head;
	}
	echo(ld, c);
	ld->edit_col = ld->col;
	ld->stopped = false;
	return sig;
}

/* A canonical-mode byte after the signal and flow-control characters. */
static void canonical_input(struct ldisc *ld, unsigned char c)
{
	const uint8_t *cc = ld->t.cc;
	bool ext = ld->t.lflag & IEXTEN;

	if (c == cc[VERASE] && c) {
		erase_one(ld);
	} else if (c == cc[VKILL] && c) {
		kill_line(ld);
	} else if (ext && c == cc[VWERASE] && c) {
		erase_word(ld);
	} else if (ext && c == cc[VREPRINT] && c) {
		reprint(ld);
	} else if (ext && c == cc[VLNEXT] && c) {
		ld->lnext = true;
		if (ld->t.lflag & ECHO)
			echo_str(ld, "^\b");
	} else if (c == cc[VEOF] && c) {
		finish_line(ld, -1);
	} else if (c == '\n' || (c && (c == cc[VEOL] || c == cc[VEOL2]))) {
		if (ld->t.lflag & (ECHO | ECHONL))
			put(ld, c == '\n' ? '\n' : c);
		finish_line(ld, c);
	} else if (ld->edit_len < TTY_LINE_MAX - 1) { /* room for the end */
		ld->edit[ld->edit_len++] = c;
		echo(ld, c);
	}
}

int ldisc_input(struct ldisc *ld, unsigned char c)
{
	const uint8_t *cc = ld->t.cc;
	uint32_t lflag = ld->t.lflag, iflag = ld->t.iflag;

	if (iflag & ISTRIP)
		c &= 0x7f;
	if (ld->lnext) { /* taken as it is */
		ld->lnext = false;
		if (lflag & ICANON) { /* its echo covers the ^ shown */
			if (ld->edit_len < TTY_LINE_MAX - 1) {
				ld->edit[ld->edit_len++] = c;
				echo(ld, c);
			}
			return 0;
		}
	} else {
		if (iflag & IXON) {
			if (c == cc[VSTOP] && c)
				return ld->stopped = true, 0;
			if (c == cc[VSTART] && c)
				return ld->stopped = false, 0;
			if (iflag & IXANY)
				ld->stopped = false;
		}
		if (lflag & ISIG) {
			if (c == cc[VINTR] && c)
				return signal_char(ld, c, SIGINT);
			if (c == cc[VQUIT] && c)
				return signal_char(ld, c, SIGQUIT);
			if (c == cc[VSUSP] && c)
				return signal_char(ld, c, SIGTSTP);
		}
		if (c == '\r' && (iflag & IGNCR))
			return 0;
		if (c == '\r' && (iflag & ICRNL))
			c = '\n';
		else if (c == '\n' && (iflag & INLCR))
			c = '\r';
		if (lflag & ICANON) {
			canonical_input(ld, c);
			return 0;
		}
	}
	if (in_room(ld)) { /* non-canonical: readable at once */
		ld->in[ld->head++ % TTY_IN_SIZE] = c;
		if (c == '\n' && (lflag & ECHONL) && !(lflag & ECHO))
			put(ld, '\n');
		else
			echo(ld, c);
	}
	return 0;
}

/* ---- reading ------------------------------------------------------ */

size_t ldisc_available(const struct ldisc *ld)
{
	if (!(ld->t.lflag & ICANON))
		return ld->head - ld->tail;
	if (ld->lines_head == ld->lines_tail)
		return 0;
	return ld->line_end[(ld->lines_head - 1) % TTY_LINES] - ld->tail;
}

bool ldisc_read_ready(const struct ldisc *ld, size_t n)
{
	size_t min = ld->t.cc[VMIN];

	if (ld->t.lflag & ICANON)
		return ld->lines_head != ld->lines_tail;
	return ld->head - ld->tail >= (min < n ? min : n);
}

bool ldisc_poll_in(const struct ldisc *ld)
{
	if (ld->t.lflag & ICANON)
		return ld->lines_head != ld->lines_tail;
	unsigned want = !ld->t.cc[VTIME] && ld->t.cc[VMIN] ? ld->t.cc[VMIN] : 1;
	return ld->head - ld->tail >= want;
}

size_t ldisc_read(struct ldisc *ld, char *buf, size_t n)
{
	size_t avail = ld->head - ld->tail, k;
	bool canon = ld->t.lflag & ICANON;

	if (canon) {
		if (ld->lines_head == ld->lines_tail)
			return 0;
		avail = ld->line_end[ld->lines_tail % TTY_LINES] - ld->tail;
	}
	for (k = 0; k < n && k < avail; k++)
		buf[k] = ld->in[ld->tail++ % TTY_IN_SIZE];
	if (canon && ld->tail == ld->line_end[ld->lines_tail % TTY_LINES])
		ld->lines_tail++; /* the line (or end of file) is used up */
	return k;
}

void ldisc_set(struct ldisc *ld, const struct kterm *t, bool flush)
{
	bool was_canon = ld->t.lflag & ICANON;

	if (flush)
		ldisc_flush_input(ld);
	ld->t = *t;
	if (was_canon && !(t->lflag & ICANON)) {
		/* the line typed so far becomes readable, as on Linux */
		for (unsigned i = 0; i < ld->edit_len && in_room(ld); i++)
			ld->in[ld->head++ % TTY_IN_SIZE] = ld->edit[i];
		ld->edit_len = 0;
		ld->lines_tail = ld->lines_head;
	} else if (!was_canon && (t->lflag & ICANON) && ld->head != ld->tail) {
		ld->line_end[ld->lines_head++ % TTY_LINES] = ld->head;
	}
	if (!(t->iflag & IXON))
		ld->stopped = false;
	ld->edit_col = ld->col;
}
