/*
 * list.h - intrusive doubly linked lists: any struct with `prev` and `next`
 * pointers to its own type, headed by a pointer (Dovecot's llist.h idea).
 *
 * O(1) insertion at the head and removal; no allocation. Attacker control: none.
 */
#ifndef TRESOR_BASE_LIST_H
#define TRESOR_BASE_LIST_H

#include <stddef.h>

/* Puts item in front of the list that starts at head. */
#define DLIST_PREPEND(head, item)                                                                  \
	do {                                                                                       \
		(item)->prev = NULL;                                                               \
		(item)->next = (head);                                                             \
		if ((head) != NULL)                                                                \
			(head)->prev = (item);                                                     \
		(head) = (item);                                                                   \
	} while (0)

/* Takes item out of the list that starts at head. */
#define DLIST_REMOVE(head, item)                                                                   \
	do {                                                                                       \
		if ((item)->prev != NULL)                                                          \
			(item)->prev->next = (item)->next;                                         \
		else                                                                               \
			(head) = (item)->next;                                                     \
		if ((item)->next != NULL)                                                          \
			(item)->next->prev = (item)->prev;                                         \
		(item)->prev = (item)->next = NULL;                                                \
	} while (0)

#endif
