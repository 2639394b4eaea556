/*
 * list.h - intrusive circular doubly-linked lists (a struct list member
 * inside each element; container_of gets the element back).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list {
	struct list *next, *prev;
};

#define container_of(p, type, member)                                          \
	((type *)((char *)(p)-offsetof(type, member)))
#define LIST_INIT(name)                                                        \
	{                                                                      \
		&(name), &(name)                                               \
	}

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}

static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}

/* Insert n between a and b. */
static inline void list_insert(struct list *n, struct list *a, struct list *b)
{
	n->prev = a;
	n->next = b;
	a->next = n;
	b->prev = n;
}

static inline void list_push_back(struct list *l, struct list *n)
{
	list_insert(n, l->prev, l);
}

static inline void list_push_front(struct list *l, struct list *n)
{
	list_insert(n, l, l->next);
}

/* Unlink n and leave it pointing to itself (so list_empty(n) is true). */
static inline void list_remove(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* The first element, unlinked, or NULL when l is empty. */
static inline struct list *list_pop_front(struct list *l)
{
	struct list *n = l->next;
	if (n == l)
		return NULL;
	list_remove(n);
	return n;
}

#define list_for_each(it, l) for (it = (l)->next; it != (l); it = it->next)
