/*
 * test_tty.c - the tty server's line discipline (user/tty/ldisc.c): line
 * editing, echo, the signal characters, canonical and raw reads, VMIN,
 * flow control and output processing, as a person at a Linux terminal
 * would see them.
 */
#include "../../user/tty/ldisc.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static struct ldisc ld;
static char got[TTY_OUT_SIZE + 1];

/* Type s; return the last signal it raised (0 if none). */
static int type(const char *s)
{
	int sig = 0, r;
	for (; *s; s++)
		if ((r = ldisc_input(&ld, (unsigned char)*s)))
			sig = r;
	return sig;
}

/* Everything output so far (echo and writes), as a string. */
static const char *screen(void)
{
	size_t n = ldisc_out_take(&ld, got, TTY_OUT_SIZE);
	got[n] = 0;
	return got;
}

/* One read of up to n bytes, as a string. */
static const char *read_str(size_t n)
{
	static char buf[TTY_IN_SIZE + 1];
	size_t k = ldisc_read(&ld, buf, n);
	buf[k] = 0;
	return buf;
}

static void set_flags(uint32_t lflag_off, uint32_t lflag_on, int vmin,
		      int vtime)
{
	struct kterm t = ld.t;
	t.lflag = (t.lflag & ~lflag_off) | lflag_on;
	t.cc[VMIN] = vmin;
	t.cc[VTIME] = vtime;
	ldisc_set(&ld, &t, false);
}

static int setup(void **state)
{
	(void)state;
	ldisc_init(&ld);
	return 0;
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct kterm), 36);
	assert_true(ld.t.lflag & ICANON);
	assert_true(ld.t.lflag & ECHO);
	assert_true(ld.t.lflag & ISIG);
	assert_int_equal(ld.t.iflag & ICRNL, ICRNL);
	assert_int_equal(ld.t.oflag & (OPOST | ONLCR), OPOST | ONLCR);
	assert_int_equal(ld.t.cc[VINTR], 3);
	assert_int_equal(ld.t.cc[VERASE], 0x7f);
	assert_int_equal(ld.t.cc[VMIN], 1);
}

/* A line is readable only once it ends; echo shows it, CR becomes NL. */
static void test_canonical_line(void **state)
{
	(void)state;
	assert_int_equal(type("ls -l"), 0);
	assert_false(ldisc_read_ready(&ld, 100));
	assert_false(ldisc_poll_in(&ld));
	assert_int_equal(ldisc_available(&ld), 0);
	assert_string_equal(screen(), "ls -l");
	type("\r");
	assert_string_equal(screen(), "\r\n");
	assert_true(ldisc_read_ready(&ld, 100));
	assert_true(ldisc_poll_in(&ld));
	assert_int_equal(ldisc_available(&ld), 6);
	assert_string_equal(read_str(100), "ls -l\n");
	assert_false(ldisc_read_ready(&ld, 100));
}

/* A read returns one line at most, and short reads take the rest later. */
static void test_canonical_one_line_per_read(void **state)
{
	(void)state;
	type("one\rtwo\r");
	assert_string_equal(read_str(100), "one\n");
	assert_string_equal(read_str(2), "tw");
	assert_true(ldisc_read_ready(&ld, 100));
	assert_string_equal(read_str(100), "o\n");
	assert_false(ldisc_read_ready(&ld, 100));
}

static void test_erase(void **state)
{
	(void)state;
	type("lx\x7fs\b"); /* DEL erases; ^H is an ordinary byte here */
	assert_string_equal(screen(), "lx\b \bs^H");
	type("\x7f\x7f\x7f\x7fk\r"); /* erasing past the start is harmless */
	assert_string_equal(read_str(100), "k\n");
	/* ^H took two columns, s and l one each */
	assert_string_equal(screen(), "\b \b\b \b\b \b\b \bk\r\n");
}

/* An echoed control character takes two columns, a tab up to eight. */
static void test_erase_wide(void **state)
{
	(void)state;
	type("a\x01\x7f");
	assert_string_equal(screen(), "a^A\b \b\b \b");
	type("\t\x7f\r");
	assert_string_equal(read_str(100), "a\n");
	assert_string_equal(screen(), "\t\b\b\b\b\b\b\b\r\n");
}

/* UTF-8: one erase removes the whole character. */
static void test_erase_utf8(void **state)
{
	(void)state;
	type("x\xc3\xa9\x7f\r");
	assert_string_equal(read_str(100), "x\n");
}

static void test_kill_line(void **state)
{
	(void)state;
	type("rm -rf\x15");
	assert_string_equal(screen(), "rm -rf\b \b\b \b\b \b\b \b\b \b\b \b");
	type("ok\r");
	assert_string_equal(read_str(100), "ok\n");
}

static void test_word_erase(void **state)
{
	(void)state;
	type("echo foo bar  \x17");
	screen();
	type("\x17x\r");
	assert_string_equal(read_str(100), "echo x\n");
}

static void test_eof(void **state)
{
	(void)state;
	type("\x04"); /* ^D on an empty line: end of file, read 0 once */
	assert_true(ldisc_read_ready(&ld, 10));
	assert_string_equal(read_str(10), "");
	assert_false(ldisc_read_ready(&ld, 10));
	type("ab\x04"); /* mid-line: the line without an end */
	assert_true(ldisc_read_ready(&ld, 10));
	assert_string_equal(read_str(10), "ab");
	assert_false(ldisc_read_ready(&ld, 10));
	assert_string_equal(screen(), "ab");
}

static void test_signals(void **state)
{
	(void)state;
	type("partial");
	assert_string_equal(screen(), "partial");
	assert_int_equal(type("\x03"), SIGINT);
	assert_string_equal(screen(), "^C");
	type("\r"); /* the partial line was flushed */
	assert_string_equal(read_str(100), "\n");
	assert_string_equal(screen(), "\r\n");
	assert_int_equal(type("\x1a"), SIGTSTP);
	assert_string_equal(screen(), "^Z");
	assert_int_equal(type("\x1c"), SIGQUIT);
	assert_string_equal(screen(), "^\\");
	/* output not sent yet goes too: ^C ends a flood at once */
	ldisc_write(&ld, "flood", 5);
	assert_int_equal(type("\x03"), SIGINT);
	assert_string_equal(screen(), "^C");
	/* readable lines are flushed too */
	type("line\r");
	assert_int_equal(type("\x03"), SIGINT);
	assert_false(ldisc_read_ready(&ld, 100));
}

static void test_signals_in_raw_mode(void **state)
{
	(void)state;
	set_flags(ICANON | ECHO, 0, 1, 0);
	assert_int_equal(type("\x03"), SIGINT);
	set_flags(ISIG, 0, 1, 0); /* without ISIG: ordinary bytes */
	assert_int_equal(type("\x03\x1a"), 0);
	assert_string_equal(read_str(10), "\x03\x1a");
}

static void test_noflsh(void **state)
{
	(void)state;
	set_flags(0, NOFLSH, 1, 0);
	type("keep\r");
	assert_int_equal(type("\x03"), SIGINT);
	assert_string_equal(read_str(100), "keep\n");
	assert_string_equal(screen(), "keep\r\n^C");
}

/* Raw (cbreak) mode: every byte readable at once, as typed. */
static void test_raw_read(void **state)
{
	(void)state;
	set_flags(ICANON | ECHO, 0, 1, 0);
	assert_false(ldisc_read_ready(&ld, 10));
	type("a");
	assert_true(ldisc_read_ready(&ld, 10));
	assert_true(ldisc_poll_in(&ld));
	type("\x7f\r"); /* no editing; ICRNL still applies */
	assert_int_equal(ldisc_available(&ld), 3);
	assert_string_equal(read_str(10), "a\x7f\n");
	assert_string_equal(screen(), "");
}

static void test_raw_vmin(void **state)
{
	(void)state;
	set_flags(ICANON, 0, 3, 0);
	type("ab");
	assert_false(ldisc_read_ready(&ld, 10));
	assert_false(ldisc_poll_in(&ld));
	assert_true(ldisc_read_ready(&ld, 2)); /* min(VMIN, n) */
	type("c");
	assert_true(ldisc_read_ready(&ld, 10));
	assert_string_equal(read_str(10), "abc");
	assert_string_equal(screen(), "abc"); /* ECHO stayed on */
	set_flags(0, 0, 0, 0);                /* VMIN 0: a read never waits */
	assert_true(ldisc_read_ready(&ld, 10));
	assert_string_equal(read_str(10), "");
}

/* Switching modes keeps what was typed. */
static void test_mode_switch(void **state)
{
	(void)state;
	type("hal");
	set_flags(ICANON, 0, 1, 0);
	assert_string_equal(read_str(10), "hal");
	type("xy");
	set_flags(0, ICANON, 1, 0);
	assert_true(ldisc_read_ready(&ld, 10));
	assert_string_equal(read_str(10), "xy");
	struct kterm t = ld.t;
	type("gone\r");
	ldisc_set(&ld, &t, true); /* TCSETSF */
	assert_false(ldisc_read_ready(&ld, 10));
}

static void test_onlcr(void **state)
{
	(void)state;
	assert_int_equal(ldisc_write(&ld, "a\nb\n", 4), 4);
	assert_string_equal(screen(), "a\r\nb\r\n");
	struct kterm t = ld.t;
	t.oflag &= ~OPOST;
	ldisc_set(&ld, &t, false);
	ldisc_write(&ld, "a\nb", 3);
	assert_string_equal(screen(), "a\nb");
	t.oflag |= OPOST;
	t.oflag &= ~ONLCR;
	ldisc_set(&ld, &t, false);
	ldisc_write(&ld, "c\n", 2);
	assert_string_equal(screen(), "c\n");
}

static void test_no_echo(void **state)
{
	(void)state;
	set_flags(ECHO, 0, 1, 0);
	type("secret\r");
	assert_string_equal(screen(), "");
	assert_string_equal(read_str(100), "secret\n");
	set_flags(0, ECHONL, 1, 0);
	type("pw\r");
	assert_string_equal(screen(), "\r\n"); /* ECHONL: only the newline */
}

/* A full output queue takes what fits, and never splits a CRLF. */
static void test_output_full(void **state)
{
	(void)state;
	static char big[TTY_OUT_SIZE];
	memset(big, 'x', sizeof(big));
	assert_int_equal(ldisc_write(&ld, big, sizeof(big) - 1),
			 sizeof(big) - 1);
	assert_int_equal(ldisc_out_room(&ld), 1);
	assert_int_equal(ldisc_write(&ld, "\n", 1), 0);
	assert_int_equal(ldisc_write(&ld, "yz", 2), 1);
	assert_int_equal(ldisc_out_pending(&ld), TTY_OUT_SIZE);
	char buf[16];
	assert_int_equal(ldisc_out_take(&ld, buf, sizeof(buf)), 16);
	assert_int_equal(ldisc_out_room(&ld), 16);
}

/* ^S stops output, ^Q starts it again; neither is input. */
static void test_flow_control(void **state)
{
	(void)state;
	char buf[8];
	type("\x13");
	ldisc_write(&ld, "hi", 2);
	assert_int_equal(ldisc_out_take(&ld, buf, sizeof(buf)), 0);
	type("\x11");
	assert_string_equal(screen(), "hi");
	type("\r");
	assert_string_equal(read_str(10), "\n");
}

static void test_literal_next(void **state)
{
	(void)state;
	type("\x16\x03\x16\x7f\r");
	assert_string_equal(read_str(10), "\x03\x7f\n");
}

static void test_reprint(void **state)
{
	(void)state;
	type("abc");
	screen();
	type("\x12");
	assert_string_equal(screen(), "^R\r\nabc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_defaults, setup),
	    cmocka_unit_test_setup(test_canonical_line, setup),
	    cmocka_unit_test_setup(test_canonical_one_line_per_read, setup),
	    cmocka_unit_test_setup(test_erase, setup),
	    cmocka_unit_test_setup(test_erase_wide, setup),
	    cmocka_unit_test_setup(test_erase_utf8, setup),
	    cmocka_unit_test_setup(test_kill_line, setup),
	    cmocka_unit_test_setup(test_word_erase, setup),
	    cmocka_unit_test_setup(test_eof, setup),
	    cmocka_unit_test_setup(test_signals, setup),
	    cmocka_unit_test_setup(test_signals_in_raw_mode, setup),
	    cmocka_unit_test_setup(test_noflsh, setup),
	    cmocka_unit_test_setup(test_raw_read, setup),
	    cmocka_unit_test_setup(test_raw_vmin, setup),
	    cmocka_unit_test_setup(test_mode_switch, setup),
	    cmocka_unit_test_setup(test_onlcr, setup),
	    cmocka_unit_test_setup(test_no_echo, setup),
	    cmocka_unit_test_setup(test_output_full, setup),
	    cmocka_unit_test_setup(test_flow_control, setup),
	    cmocka_unit_test_setup(test_literal_next, setup),
	    cmocka_unit_test_setup(test_reprint, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
