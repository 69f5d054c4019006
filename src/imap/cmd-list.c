/*
 * cmd-list.c - LIST (with LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CHILDREN)
 * and LSUB.
 *
 * RFC 9051 6.3.9, RFC 3501 6.3.8 / 6.3.9, RFC 5258 (selection options
 * SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE; return options
 * SUBSCRIBED, CHILDREN, SPECIAL-USE, STATUS), RFC 5819, RFC 6154, RFC 3348.
 *
 * Limits: IMAP_LIST_PATTERN_MAX bytes per pattern, IMAP_LIST_PATTERNS_MAX
 * patterns; matching costs O(pattern x name) per mailbox.
 * Attacker control: reference, patterns and options.
 */
#include "imap/commands.h"

#include "base/mem.h"
#include "base/str.h"
#include "imap/session.h"
#include "imap/status.h"
#include "store/store.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_LIST_PATTERN_MAX  1024
#define IMAP_LIST_PATTERNS_MAX 64

enum list_opt {
	LIST_SEL_SUBSCRIBED = 1 << 0,
	LIST_SEL_SPECIAL_USE = 1 << 1,
	LIST_SEL_RECURSIVEMATCH = 1 << 2,
	LIST_RET_SUBSCRIBED = 1 << 3,
	LIST_RET_CHILDREN = 1 << 4,
	LIST_RET_SPECIAL_USE = 1 << 5,
	LIST_RET_STATUS = 1 << 6,
	LIST_LSUB = 1 << 7,
};

struct list_req {
	unsigned opts;
	unsigned status_items;
	const char *patterns[IMAP_LIST_PATTERNS_MAX];
	size_t n_patterns;
	struct store_mailbox *boxes;
	size_t n_boxes;
	char **subs;
	size_t n_subs;
};

static bool char_eq(char p, char n, bool fold)
{
	return fold ? toupper((unsigned char)p) == toupper((unsigned char)n) : p == n;
}

/*
 * RFC 9051 6.3.9: '*' matches anything, '%' anything but the separator.
 * Dynamic programming over (pattern, name): no exponential backtracking.
 * The first 5 bytes of a name starting with INBOX compare case-insensitively.
 */
static bool pattern_match(const char *pat, const char *name)
{
	size_t pl = strlen(pat), nl = strlen(name), i, j;
	bool inbox =
	        strncasecmp(name, "INBOX", 5) == 0 && (name[5] == '\0' || name[5] == STORE_SEP);
	bool *prev = xcalloc(nl + 1, sizeof(bool)), *cur = xcalloc(nl + 1, sizeof(bool)), *t, ok;

	prev[0] = true;
	for (i = 1; i <= pl; i++) {
		char p = pat[i - 1];
		cur[0] = prev[0] && (p == '*' || p == '%');
		for (j = 1; j <= nl; j++) {
			if (p == '*')
				cur[j] = cur[j - 1] || prev[j];
			else if (p == '%')
				cur[j] = prev[j] || (cur[j - 1] && name[j - 1] != STORE_SEP);
			else
				cur[j] = prev[j - 1] && char_eq(p, name[j - 1], inbox && j <= 5);
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	ok = prev[nl];
	free(prev);
	free(cur);
	return ok;
}

static bool matches_any(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_patterns; i++) {
		if (pattern_match(r->patterns[i], name))
			return true;
	}
	return false;
}

static bool is_subscribed(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_subs; i++) {
		if (strcmp(r->subs[i], name) == 0)
			return true;
	}
	return false;
}

/* Whether any name in names starts with name + "/". */
static bool has_child_in(const char *name, char **names, size_t n)
{
	size_t len = strlen(name), i;

	for (i = 0; i < n; i++) {
		if (strncmp(names[i], name, len) == 0 && names[i][len] == STORE_SEP)
			return true;
	}
	return false;
}

static bool has_child(const struct list_req *r, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < r->n_boxes; i++) {
		if (strncmp(r->boxes[i].name, name, len) == 0 && r->boxes[i].name[len] == STORE_SEP)
			return true;
	}
	return false;
}

static const struct store_mailbox *find_box(const struct list_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n_boxes; i++) {
		if (strcmp(r->boxes[i].name, name) == 0)
			return &r->boxes[i];
	}
	return NULL;
}

static void write_attr(struct imap_session *s, const char *attr, bool *first)
{
	imap_printf(s, "%s%s", *first ? "" : " ", attr);
	*first = false;
}

static void write_entry(struct imap_session *s, const struct list_req *r, const char *name,
                        const struct store_mailbox *box, bool childinfo)
{
	bool first = true, lsub = r->opts & LIST_LSUB;

	imap_printf(s, "* %s (", lsub ? "LSUB" : "LIST");
	if (box == NULL)
		write_attr(s, lsub ? "\\Noselect" : "\\NonExistent", &first);
	if (!lsub && box != NULL)
		write_attr(s, has_child(r, name) ? "\\HasChildren" : "\\HasNoChildren", &first);
	if (!lsub && (r->opts & (LIST_RET_SUBSCRIBED | LIST_SEL_SUBSCRIBED)) &&
	    is_subscribed(r, name))
		write_attr(s, "\\Subscribed", &first);
	if (!lsub && box != NULL)
		imap_write_special_use(s, box->special_use, &first);
	imap_printf(s, ") \"/\" ");
	imap_write_mailbox(s, name);
	if (childinfo)
		imap_printf(s, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	imap_printf(s, "\r\n");
	if ((r->opts & LIST_RET_STATUS) && box != NULL)
		imap_write_status(s, name, box->id, r->status_items);
}

static void list_all(struct imap_session *s, const struct list_req *r)
{
	size_t i;

	for (i = 0; i < r->n_boxes; i++) {
		const struct store_mailbox *b = &r->boxes[i];

		if (!matches_any(r, b->name))
			continue;
		if ((r->opts & LIST_SEL_SPECIAL_USE) && b->special_use == 0)
			continue;
		write_entry(s, r, b->name, b, false);
	}
}

static bool in_names(char **names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], name) == 0)
			return true;
	}
	return false;
}

/*
 * RFC 3501 6.3.9: if "foo/bar" is subscribed but "foo" is not, an LSUB
 * pattern that reaches "foo" but not "foo/bar" (like "%") returns "foo" with
 * \Noselect, once.
 */
static void lsub_parents(struct imap_session *s, const struct list_req *r)
{
	char **shown = NULL, *name, *p;
	size_t n_shown = 0, i;

	for (i = 0; i < r->n_subs; i++) {
		if (matches_any(r, r->subs[i]))
			continue;
		name = xstrdup(r->subs[i]);
		for (p = strchr(name, STORE_SEP); p != NULL; p = strchr(p + 1, STORE_SEP)) {
			*p = '\0';
			if (matches_any(r, name) && !is_subscribed(r, name) &&
			    !in_names(shown, n_shown, name)) {
				write_entry(s, r, name, NULL, false);
				shown = xreallocarray(shown, n_shown + 1, sizeof(*shown));
				shown[n_shown++] = xstrdup(name);
			}
			*p = STORE_SEP;
		}
		free(name);
	}
	str_list_free(&shown, n_shown);
}

static void list_subscribed(struct imap_session *s, const struct list_req *r)
{
	size_t i;

	for (i = 0; i < r->n_subs; i++) {
		if (matches_any(r, r->subs[i]))
			write_entry(s, r, r->subs[i], find_box(r, r->subs[i]), false);
	}
	if (r->opts & LIST_LSUB)
		lsub_parents(s, r);
	if (!(r->opts & LIST_SEL_RECURSIVEMATCH))
		return;
	/* RFC 5258 3.5: parents that match only through a subscribed child. */
	for (i = 0; i < r->n_boxes; i++) {
		const char *name = r->boxes[i].name;
		if (matches_any(r, name) && !is_subscribed(r, name) &&
		    has_child_in(name, r->subs, r->n_subs))
			write_entry(s, r, name, &r->boxes[i], true);
	}
}

static const struct {
	const char *name;
	unsigned bit;
	bool selection;
} list_opts[] = {
        {"SUBSCRIBED", LIST_SEL_SUBSCRIBED, true},
        {"REMOTE", 0, true},
        {"RECURSIVEMATCH", LIST_SEL_RECURSIVEMATCH, true},
        {"SPECIAL-USE", LIST_SEL_SPECIAL_USE, true},
        {"SUBSCRIBED", LIST_RET_SUBSCRIBED, false},
        {"CHILDREN", LIST_RET_CHILDREN, false},
        {"SPECIAL-USE", LIST_RET_SPECIAL_USE, false},
};

static bool parse_opts(struct list_req *r, const struct imap_arg *list, bool selection)
{
	size_t i, j;

	for (i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];

		if (!selection && imap_arg_atom_eq(a, "STATUS") && i + 1 < list->list_count) {
			if (!imap_status_items_parse(&list->list[++i], &r->status_items))
				return false;
			r->opts |= LIST_RET_STATUS;
			continue;
		}
		for (j = 0; j < N_ELEMENTS(list_opts); j++) {
			if (list_opts[j].selection == selection &&
			    imap_arg_atom_eq(a, list_opts[j].name))
				break;
		}
		if (j == N_ELEMENTS(list_opts))
			return false;
		r->opts |= list_opts[j].bit;
	}
	/* RFC 5258 3: RECURSIVEMATCH needs another selection option. */
	return !(r->opts & LIST_SEL_RECURSIVEMATCH) || (r->opts & LIST_SEL_SUBSCRIBED);
}

/* Decodes a pattern argument and joins it to the reference. */
static const char *full_pattern(struct imap_session *s, const char *ref, size_t arg_i)
{
	const char *pat = imap_mailbox_arg(s, arg_i);
	char *full;

	if (pat == NULL)
		return NULL;
	if (strlen(ref) + strlen(pat) > IMAP_LIST_PATTERN_MAX) {
		imap_bad(s, "Pattern too long");
		return NULL;
	}
	full = imap_arena_alloc(&s->arena, strlen(ref) + strlen(pat) + 1);
	if (full == NULL) {
		imap_bad(s, "Pattern too long");
		return NULL;
	}
	strcpy(full, ref);
	strcat(full, pat);
	return full;
}

/* Parses the whole command into r. Returns false after a reply. */
static bool parse_list(struct imap_session *s, struct list_req *r, bool lsub)
{
	size_t i = 0, k;
	const char *ref;
	const struct imap_arg *pats;

	if (!lsub && i < s->n_args && s->args[i].type == IMAP_ARG_LIST) {
		if (!parse_opts(r, &s->args[i], true)) {
			imap_bad(s, "Invalid LIST selection options");
			return false;
		}
		i++;
	}
	if (i + 2 > s->n_args || (ref = imap_mailbox_arg(s, i)) == NULL) {
		if (i + 2 > s->n_args)
			imap_bad(s, "LIST expects a reference and a pattern");
		return false;
	}
	pats = &s->args[i + 1];
	if (pats->type == IMAP_ARG_LIST && !lsub) {
		for (k = 0; k < pats->list_count && k < IMAP_LIST_PATTERNS_MAX; k++) {
			const char *raw = imap_arg_astring(&pats->list[k], &s->arena);
			char *full =
			        raw ? imap_arena_alloc(&s->arena, strlen(ref) + strlen(raw) + 1)
			            : NULL;
			if (full == NULL || strlen(raw) > IMAP_LIST_PATTERN_MAX) {
				imap_bad(s, "Invalid pattern");
				return false;
			}
			strcpy(full, ref);
			strcat(full, raw);
			r->patterns[r->n_patterns++] = full;
		}
	} else {
		const char *full = full_pattern(s, ref, i + 1);
		if (full == NULL)
			return false;
		r->patterns[r->n_patterns++] = full;
	}
	i += 2;
	if (!lsub && i + 2 == s->n_args && imap_arg_atom_eq(&s->args[i], "RETURN") &&
	    s->args[i + 1].type == IMAP_ARG_LIST) {
		if (!parse_opts(r, &s->args[i + 1], false)) {
			imap_bad(s, "Invalid LIST return options");
			return false;
		}
		i += 2;
	}
	if (i != s->n_args) {
		imap_bad(s, "Unexpected LIST arguments");
		return false;
	}
	if (lsub)
		r->opts |= LIST_LSUB | LIST_SEL_SUBSCRIBED;
	return true;
}

static void do_list(struct imap_session *s, bool lsub)
{
	struct list_req r;
	int ret;

	memset(&r, 0, sizeof(r));
	if (!parse_list(s, &r, lsub))
		return;
	/* RFC 9051 6.3.9: an empty pattern asks for the separator and root. */
	if (!lsub && r.n_patterns == 1 && r.patterns[0][0] == '\0') {
		imap_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		imap_tagged(s, "OK LIST completed");
		return;
	}
	ret = store_mailbox_list(s->ns.store, s->user_id, &r.boxes, &r.n_boxes);
	if (ret == STORE_OK)
		ret = store_subscriptions(s->ns.store, s->user_id, &r.subs, &r.n_subs);
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
	} else {
		if (r.opts & LIST_SEL_SUBSCRIBED)
			list_subscribed(s, &r);
		else
			list_all(s, &r);
		imap_tagged(s, "OK %s completed", lsub ? "LSUB" : "LIST");
	}
	store_mailbox_free_array(&r.boxes, r.n_boxes);
	str_list_free(&r.subs, r.n_subs);
}

void imap_cmd_list(struct imap_session *s)
{
	do_list(s, false);
}

void imap_cmd_lsub(struct imap_session *s)
{
	do_list(s, true);
}
