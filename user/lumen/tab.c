/*
 * tab.c - one line of the service table /etc/lumen.tab:
 *
 *     name  mount[,mount...]|-  grant[,grant...]|-  command [args...]
 *
 * A grant is io=BASE:COUNT (I/O ports), irq=N, mmio=BASE:COUNT,
 * bootdata, dma, pci=VENDOR:DEVICE (hexadecimal ids: the next PCI
 * function with those ids, resolved by pci.c) or
 * virtio-mmio=ID@BASE:SLOTS:IRQ (the next virtio-mmio device with that
 * device id, resolved by vmmio.c); other numbers in C notation (0x3f8).
 * '#' starts a comment.
 */
#include "lumen.h"
#include <stdlib.h>
#include <string.h>

/* The next whitespace-separated word of *s, NUL-terminated in place, or
 * NULL at the end of the line or at a comment. */
char *tab_word(char **s)
{
	char *w = *s + strspn(*s, " \t\r\n");

	if (!*w || *w == '#')
		return NULL;
	*s = w + strcspn(w, " \t\r\n");
	if (**s)
		*(*s)++ = 0;
	return w;
}

/* Split s at commas into at most max parts: how many, or -1. */
static int split(char *s, char **part, int max)
{
	int n = 0;

	if (!strcmp(s, "-"))
		return 0;
	for (char *p = s; p; n++) {
		if (n == max || !*p)
			return -1;
		part[n] = p;
		if ((p = strchr(p, ',')))
			*p++ = 0;
	}
	return n;
}

/* A number that must end at *end ("" or the ':'). */
static int number(const char *s, char end, uint64_t *v)
{
	char *e;

	*v = strtoull(s, &e, 0);
	return e != s && *e == end ? 0 : -1;
}

/* virtio-mmio=ID@BASE:SLOTS:IRQ (after the '='): a GRANT_VMMIO. */
static int parse_vmmio(const char *s, struct grant *g)
{
	uint64_t id, slots, irq;
	char *e;

	id = strtoull(s, &e, 0);
	if (e == s || *e != '@' || !id || id > 0xffff)
		return -1; /* id 0 is an empty slot's */
	g->base = strtoull(s = e + 1, &e, 0);
	if (e == s || *e != ':')
		return -1;
	slots = strtoull(s = e + 1, &e, 0);
	if (e == s || *e != ':' || !slots || slots > 0xffff)
		return -1;
	irq = strtoull(s = e + 1, &e, 0);
	if (e == s || *e || irq > 0xffff)
		return -1;
	g->kind = GRANT_VMMIO;
	g->count = VMMIO_COUNT(id, slots, irq);
	return 0;
}

static int parse_grant(const char *s, struct grant *g)
{
	const char *colon = strchr(s, ':');

	g->count = 1;
	if (!strcmp(s, "bootdata") || !strcmp(s, "dma")) {
		*g = (struct grant){.kind = s[0] == 'd' ? LUX_GRANT_DMA
							: LUX_GRANT_BOOTDATA};
		return 0;
	}
	if (!strncmp(s, "pci=", 4)) {
		char *e;
		uint64_t vendor = strtoull(s + 4, &e, 16), device;
		if (e == s + 4 || *e != ':')
			return -1;
		device = strtoull(e + 1, &e, 16);
		g->kind = GRANT_PCI;
		g->base = vendor << 16 | device;
		return *e || vendor > 0xffff || device > 0xffff ? -1 : 0;
	}
	if (!strncmp(s, "virtio-mmio=", 12))
		return parse_vmmio(s + 12, g);
	if (!strncmp(s, "irq=", 4)) {
		g->kind = LUX_GRANT_IRQ;
		return number(s + 4, 0, &g->base);
	}
	if (!strncmp(s, "io=", 3))
		g->kind = LUX_GRANT_IOPORT;
	else if (!strncmp(s, "mmio=", 5))
		g->kind = LUX_GRANT_MMIO;
	else
		return -1;
	if (!colon || number(strchr(s, '=') + 1, ':', &g->base) ||
	    number(colon + 1, 0, &g->count) || !g->count)
		return -1;
	return 0;
}

int tab_parse(char *line, struct svc_conf *c, const char **why)
{
	char *grants[SVC_GRANTS], *mounts, *g;
	int n = 0;

	memset(c, 0, sizeof(*c));
	if (!(c->name = tab_word(&line)))
		return 0;
	*why = "expected: name mounts grants command [args]";
	if (!(mounts = tab_word(&line)) || !(g = tab_word(&line)))
		return -1;
	*why = "bad mount list";
	if ((c->nmounts = split(mounts, c->mounts, SVC_MOUNTS)) < 0)
		return -1;
	for (int i = 0; i < c->nmounts; i++)
		if (c->mounts[i][c->mounts[i][0] == '+'] != '/')
			return -1;
	*why = "bad grant (io=BASE:COUNT, irq=N, mmio=BASE:COUNT, bootdata, "
	       "dma, pci=VENDOR:DEVICE, virtio-mmio=ID@BASE:SLOTS:IRQ)";
	if ((c->ngrants = split(g, grants, SVC_GRANTS)) < 0)
		return -1;
	for (int i = 0; i < c->ngrants; i++)
		if (parse_grant(grants[i], &c->grants[i]))
			return -1;
	while (n < SVC_ARGS && (c->argv[n] = tab_word(&line)))
		n++;
	*why = n ? "too many arguments" : "no command";
	if (!n || tab_word(&line))
		return -1;
	return 1;
}
