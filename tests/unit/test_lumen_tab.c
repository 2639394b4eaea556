/*
 * test_lumen_tab.c - lines of lumen's service table /etc/lumen.tab
 * (user/lumen/tab.c): fields, mount lists, grants, comments, and the
 * malformed lines lumen must refuse with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lumen.h"
#include <glob.h>
#include <stdio.h>
#include <string.h>

static struct svc_conf c;
static const char *why;
static char line[256];

static int parse(const char *text)
{
	strcpy(line, text);
	why = NULL;
	return tab_parse(line, &c, &why);
}

static void test_full_line(void **state)
{
	(void)state;
	assert_int_equal(parse("tty  /dev/console,/dev/tty,/dev/ttyS0  "
			       "io=0x3f8:8,irq=4  /sbin/tty -v 2\n"),
			 1);
	assert_string_equal(c.name, "tty");
	assert_int_equal(c.nmounts, 3);
	assert_string_equal(c.mounts[0], "/dev/console");
	assert_string_equal(c.mounts[2], "/dev/ttyS0");
	assert_int_equal(c.ngrants, 2);
	assert_int_equal(c.grants[0].kind, LUX_GRANT_IOPORT);
	assert_int_equal(c.grants[0].base, 0x3f8);
	assert_int_equal(c.grants[0].count, 8);
	assert_int_equal(c.grants[1].kind, LUX_GRANT_IRQ);
	assert_int_equal(c.grants[1].base, 4);
	assert_string_equal(c.argv[0], "/sbin/tty");
	assert_string_equal(c.argv[1], "-v");
	assert_string_equal(c.argv[2], "2");
	assert_null(c.argv[3]);
}

/* A '+' before a mount point: a mount every chrooted process reaches
 * (svc.c takes it off). */
static void test_any_root_mount(void **state)
{
	(void)state;
	assert_int_equal(parse("net +/run/inet,/proc/net/dev - /sbin/net\n"),
			 1);
	assert_string_equal(c.mounts[0], "+/run/inet");
	assert_string_equal(c.mounts[1], "/proc/net/dev");
}

static void test_no_mounts_no_grants(void **state)
{
	(void)state;
	assert_int_equal(parse("logger - - /sbin/logger"), 1);
	assert_int_equal(c.nmounts, 0);
	assert_int_equal(c.ngrants, 0);
	assert_string_equal(c.argv[0], "/sbin/logger");
}

static void test_other_grants(void **state)
{
	(void)state;
	assert_int_equal(parse("fb - mmio=0xfd000000:0x400000,bootdata /x"), 1);
	assert_int_equal(c.grants[0].kind, LUX_GRANT_MMIO);
	assert_int_equal(c.grants[0].base, 0xfd000000);
	assert_int_equal(c.grants[0].count, 0x400000);
	assert_int_equal(c.grants[1].kind, LUX_GRANT_BOOTDATA);
}

/* virtio-mmio=ID@BASE:SLOTS:IRQ: one pseudo-grant that lumen resolves
 * (user/lumen/vmmio.c), its fields packed in count. */
static void test_virtio_mmio(void **state)
{
	(void)state;
	assert_int_equal(parse("vda /dev/vda virtio-mmio=2@0xa000000:32:16,dma "
			       "/sbin/virtio-blk"),
			 1);
	assert_int_equal(c.ngrants, 2);
	assert_int_equal(c.grants[0].kind, GRANT_VMMIO);
	assert_int_equal(c.grants[0].base, 0xa000000);
	assert_int_equal(VMMIO_ID(c.grants[0].count), 2);
	assert_int_equal(VMMIO_SLOTS(c.grants[0].count), 32);
	assert_int_equal(VMMIO_IRQ(c.grants[0].count), 16);
	assert_int_equal(c.grants[1].kind, LUX_GRANT_DMA);
	assert_int_equal(parse("n - virtio-mmio=0x1@4096:1:0 /x"), 1);
	assert_int_equal(VMMIO_ID(c.grants[0].count), 1);
	assert_int_equal(VMMIO_SLOTS(c.grants[0].count), 1);
	assert_int_equal(c.grants[0].base, 4096);
	const char *bad[] = {
	    "n - virtio-mmio=2 /x",                     /* no bus */
	    "n - virtio-mmio=2@0xa000000 /x",           /* no slots */
	    "n - virtio-mmio=2@0xa000000:32 /x",        /* no line */
	    "n - virtio-mmio=2@0xa000000:0:16 /x",      /* no slot */
	    "n - virtio-mmio=@0xa000000:32:16 /x",      /* no id */
	    "n - virtio-mmio=0@0xa000000:32:16 /x",     /* an empty slot's */
	    "n - virtio-mmio=2@:32:16 /x",              /* no base */
	    "n - virtio-mmio=2@0xa000000:32:16x /x",    /* trailing junk */
	    "n - virtio-mmio=70000@0xa000000:32:16 /x", /* id too big */
	    "n - virtio-mmio=2@0xa000000:70000:16 /x",  /* too many slots */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i]), -1);
		assert_non_null(why);
	}
}

static void test_comments_and_blanks(void **state)
{
	(void)state;
	assert_int_equal(parse("# a comment"), 0);
	assert_int_equal(parse("   \t"), 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("devfs /dev - /sbin/devfs # the devices"), 1);
	assert_null(c.argv[1]);
}

static void test_malformed(void **state)
{
	(void)state;
	const char *bad[] = {
	    "devfs",                      /* no mounts */
	    "devfs /dev",                 /* no grants */
	    "devfs /dev -",               /* no command */
	    "devfs dev - /sbin/devfs",    /* relative mount point */
	    "devfs /dev, - /sbin/devfs",  /* empty mount */
	    "net +run/inet - /sbin/net",  /* relative after its '+' */
	    "tty - io=0x3f8 /sbin/tty",   /* port count missing */
	    "tty - io=0x3f8:0 /sbin/tty", /* zero ports */
	    "tty - irq=x /sbin/tty",      /* not a number */
	    "tty - irq=4x /sbin/tty",     /* trailing junk */
	    "tty - dma=1 /sbin/tty",      /* unknown grant */
	    "x - - a 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", /* 17 words */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i]), -1);
		assert_non_null(why);
	}
}

/* Whether the tty's command names its grants: io=BASE for an I/O port
 * range or pl011=BASE for a page of registers, and irq=N. */
static void check_tty_args(const struct svc_conf *t)
{
	char dev[64], irq[64];
	int found = 0;

	assert_int_equal(t->ngrants, 2);
	assert_true(t->grants[0].kind == LUX_GRANT_IOPORT ||
		    t->grants[0].kind == LUX_GRANT_MMIO);
	assert_int_equal(t->grants[1].kind, LUX_GRANT_IRQ);
	snprintf(dev, sizeof(dev), "%s=%#lx",
		 t->grants[0].kind == LUX_GRANT_IOPORT ? "io" : "pl011",
		 (unsigned long)t->grants[0].base);
	snprintf(irq, sizeof(irq), "irq=%lu", (unsigned long)t->grants[1].base);
	for (int i = 1; t->argv[i]; i++)
		found |= (!strcmp(t->argv[i], dev)) | (!strcmp(t->argv[i], irq))
							  << 1;
	if (found != 3)
		fail_msg("tty's command lacks %s or %s", dev, irq);
}

/* One platform's table: every line parses, and devfs comes before the
 * tty mounted on device names inside /dev, whose command names the
 * UART and the interrupt it was granted. */
static void check_table(const char *path)
{
	FILE *f = fopen(path, "r");
	int devfs = 0, tty = 0, procfs = 0, n = 0;

	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		int r = tab_parse(line, &c, &why);
		if (r < 0)
			fail_msg("%s: %s: %s", path, c.name, why);
		if (r <= 0)
			continue;
		n++;
		if (!strcmp(c.name, "devfs")) {
			devfs = n;
			assert_string_equal(c.mounts[0], "/dev");
		} else if (!strcmp(c.name, "tty")) {
			tty = n;
			assert_int_equal(c.nmounts, 3);
			assert_string_equal(c.mounts[0], "/dev/console");
			check_tty_args(&c);
		} else if (!strcmp(c.name, "procfs")) {
			procfs = n;
			assert_string_equal(c.mounts[0], "/proc");
		}
	}
	fclose(f);
	assert_true(devfs && tty && procfs);
	assert_true(devfs < tty);
}

/* The images' own tables, one per platform (run from the repository's
 * top, as tests/run.py does); x86_64's at least. */
static void test_image_tables(void **state)
{
	glob_t g;

	(void)state;
	assert_int_equal(glob("kernel/arch/*/root/etc/lumen.tab", 0, NULL, &g),
			 0);
	assert_true(g.gl_pathc >= 1);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_table(g.gl_pathv[i]);
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_line),
	    cmocka_unit_test(test_no_mounts_no_grants),
	    cmocka_unit_test(test_any_root_mount),
	    cmocka_unit_test(test_other_grants),
	    cmocka_unit_test(test_virtio_mmio),
	    cmocka_unit_test(test_comments_and_blanks),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_image_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
