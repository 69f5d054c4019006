/*
 * admin.c - the administration subcommands: domain, user, mailbox, alias,
 * queue.
 *
 * They open the store directly (SQLite allows it while the server runs) and
 * print one line per result. Passwords come from stdin with
 * --password-stdin, or are generated and printed once; a password is never
 * accepted on the command line, where other users could read it.
 *
 * queue show prints a queued message's bytes as stored (they may hold
 * anything a sender wrote, terminal control sequences included; pipe it
 * through a pager such as less to be safe).
 *
 * Attacker control: the administrator's own arguments, which are
 * length-checked; the envelope and bytes of queued messages, which come from
 * authenticated senders and are only printed.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/mem.h"
#include "base/str.h"
#include "crypto/password.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

struct store *cli_open_store(const struct config *cfg)
{
	const char *error = NULL;
	struct store *s;

	if (cli_prepare_data_dir(cfg) < 0 || cli_drop_privileges(cfg) < 0)
		return NULL;
	s = store_open(cfg->data_dir, &error);
	if (s == NULL)
		fprintf(stderr, "tresor: cannot open the store in %s: %s\n", cfg->data_dir,
		        error ? error : "unknown error");
	return s;
}

int cli_report(struct store *s, int ret, const char *what, const char *name)
{
	switch (ret) {
	case STORE_OK:
		return 0;
	case STORE_ERR_NOTFOUND:
		fprintf(stderr, "tresor: %s %s does not exist\n", what, name);
		break;
	case STORE_ERR_EXISTS:
		fprintf(stderr, "tresor: %s %s already exists\n", what, name);
		break;
	case STORE_ERR_INVALID:
		fprintf(stderr, "tresor: %s %s: not allowed (%s)\n", what, name,
		        store_last_error(s));
		break;
	default:
		fprintf(stderr, "tresor: %s %s: %s\n", what, name, store_last_error(s));
		break;
	}
	return 1;
}

static void print_list(char **items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%s\n", items[i]);
}

/* add|del DOMAIN or list. */
static bool domain_args_valid(int argc, char **argv)
{
	if (argc < 1)
		return false;
	if (strcmp(argv[0], "list") == 0)
		return argc == 1;
	return (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "del") == 0) && argc == 2;
}

int cli_domain(struct config *cfg, int argc, char **argv)
{
	struct store *s;
	char **names = NULL;
	size_t n = 0;
	int ret;

	if (!domain_args_valid(argc, argv)) {
		fprintf(stderr, "usage: tresor domain add|del DOMAIN | tresor domain list\n");
		return 2;
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	if (strcmp(argv[0], "add") == 0) {
		str_lower(argv[1]);
		ret = cli_report(s, store_domain_add(s, argv[1]), "domain", argv[1]);
	} else if (strcmp(argv[0], "del") == 0) {
		str_lower(argv[1]);
		ret = cli_report(s, store_domain_del(s, argv[1]), "domain", argv[1]);
	} else {
		ret = cli_report(s, store_domain_list(s, &names, &n), "domain", "list");
		print_list(names, n);
		str_list_free(&names, n);
	}
	store_close(&s);
	return ret;
}

char *cli_read_secret(size_t max)
{
	char *line = sodium_malloc(max + 2);
	size_t len;

	if (line == NULL || fgets(line, (int)max + 2, stdin) == NULL) {
		if (line != NULL)
			sodium_free(line);
		return NULL;
	}
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (len == 0 || len > max) {
		sodium_free(line);
		return NULL;
	}
	return line;
}

/* The password for add/passwd: from stdin, or generated and printed once. */
static char *new_password_hash(bool from_stdin)
{
	char *pw, *hash;

	if (from_stdin) {
		pw = cli_read_secret(PASSWORD_MAX_LEN);
		if (pw == NULL) {
			fprintf(stderr, "tresor: no password on stdin (one line, 1 to %d bytes)\n",
			        PASSWORD_MAX_LEN);
			return NULL;
		}
		hash = password_hash(pw);
		sodium_free(pw);
		return hash;
	}
	pw = password_generate();
	printf("password: %s\n", pw);
	hash = password_hash(pw);
	password_free(&pw);
	return hash;
}

/* An address is an account or an alias, never both (store.h). */
static int conflict(const char *address, const char *is, const char *wanted)
{
	fprintf(stderr, "tresor: %s is %s, it cannot be %s\n", address, is, wanted);
	return 1;
}

/* True if address is an alias (an account cannot take its address). */
static bool is_alias(struct store *s, const char *address)
{
	char **targets = NULL;
	size_t n = 0;

	if (store_alias_targets(s, address, &targets, &n) < 0)
		return false;
	str_list_free(&targets, n);
	return n > 0;
}

static int user_set(struct store *s, const char *verb, const char *address, bool from_stdin)
{
	char *hash = new_password_hash(from_stdin);
	int ret;

	if (hash == NULL)
		return 1;
	if (strcmp(verb, "add") == 0) {
		/* The account is new: what can be missing is its domain. */
		ret = store_user_add(s, address, hash);
		if (ret == STORE_ERR_NOTFOUND)
			ret = cli_report(s, ret, "domain", strchr(address, '@') + 1);
		else if (ret == STORE_ERR_EXISTS && is_alias(s, address))
			ret = conflict(address, "an alias", "an account");
		else
			ret = cli_report(s, ret, "account", address);
	} else
		ret = cli_report(s, store_user_set_password(s, address, hash), "account", address);
	free(hash);
	return ret;
}

bool cli_valid_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strlen(a) <= STORE_ADDRESS_MAX && strpbrk(a, " \t\r\n\"\\") == NULL;
}

/*
 * add|passwd ADDRESS [--password-stdin], del|show ADDRESS, or set ADDRESS
 * protect_subject on|off ("list" is handled apart).
 */
static bool user_args_valid(int argc, char **argv, bool from_stdin)
{
	if (argc < 1)
		return false;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0)
		return argc == 2 || (argc == 3 && from_stdin);
	if (strcmp(argv[0], "set") == 0)
		return argc == 4;
	return (strcmp(argv[0], "del") == 0 || strcmp(argv[0], "show") == 0) && argc == 2;
}

static int user_show(struct store *s, const char *address)
{
	unsigned usable = 0;
	struct store_mailbox *boxes = NULL;
	struct store_user u = {0};
	size_t n = 0;
	int ret;

	ret = cli_report(s, store_user_lookup(s, address, &u), "account", address);
	if (ret == 0)
		ret = cli_report(s, store_mailbox_list(s, u.id, &boxes, &n), "mailboxes of",
		                 address);
	if (ret == 0) {
		printf("address: %s\n", u.address);
		if (u.n_keys > 0 && cli_usable_keys(s, u.id, &usable) == STORE_OK)
			printf("sealed: yes (%u keys)\nusable keys: %u%s\n", u.n_keys, usable,
			       usable == 0 ? " (mail to it is refused until a key is usable)" : "");
		else if (u.n_keys > 0)
			printf("sealed: yes (%u keys)\n", u.n_keys);
		else
			printf("sealed: no\n");
		printf("protect_subject: %s\n", u.protect_subject ? "on" : "off");
		printf("mailboxes: %zu\n", n);
	}
	store_mailbox_free_array(&boxes, n);
	store_user_deinit(&u);
	return ret;
}

/* set ADDRESS protect_subject on|off: the one setting an account has so far. */
static int user_setting(struct store *s, const char *address, const char *name, const char *value)
{
	bool on = strcmp(value, "on") == 0;

	if (strcmp(name, "protect_subject") != 0 || (!on && strcmp(value, "off") != 0)) {
		fprintf(stderr, "tresor: unknown setting '%s %s' (known: protect_subject on|off)\n",
		        name, value);
		return 2;
	}
	return cli_report(s, store_user_set_protect_subject(s, address, on), "account", address);
}

int cli_user(struct config *cfg, int argc, char **argv)
{
	bool from_stdin = argc == 3 && strcmp(argv[2], "--password-stdin") == 0;
	struct store *s;
	char **names = NULL;
	size_t n = 0;
	int ret;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		if ((s = cli_open_store(cfg)) == NULL)
			return 1;
		ret = cli_report(s, store_user_list(s, &names, &n), "account", "list");
		print_list(names, n);
		str_list_free(&names, n);
		store_close(&s);
		return ret;
	}
	if (!user_args_valid(argc, argv, from_stdin)) {
		fprintf(stderr,
		        "usage: tresor user add|passwd ADDRESS [--password-stdin] | "
		        "tresor user del|show ADDRESS | "
		        "tresor user set ADDRESS protect_subject on|off | tresor user list\n");
		return 2;
	}
	str_lower(argv[1]);
	if (!cli_valid_address(argv[1])) {
		fprintf(stderr, "tresor: '%s' is not an address (local@domain)\n", argv[1]);
		return 2;
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0) {
		ret = user_set(s, argv[0], argv[1], from_stdin);
	} else if (strcmp(argv[0], "show") == 0) {
		ret = user_show(s, argv[1]);
	} else if (strcmp(argv[0], "set") == 0) {
		ret = user_setting(s, argv[1], argv[2], argv[3]);
	} else {
		ret = cli_report(s, store_user_del(s, argv[1]), "account", argv[1]);
	}
	store_close(&s);
	return ret;
}

int cli_mailbox(struct config *cfg, int argc, char **argv)
{
	struct store *s;
	struct store_user u = {0};
	struct store_mailbox *boxes = NULL;
	size_t n = 0, i;
	int ret;

	if (argc != 2 || strcmp(argv[0], "list") != 0) {
		fprintf(stderr, "usage: tresor mailbox list ADDRESS\n");
		return 2;
	}
	str_lower(argv[1]);
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	ret = cli_report(s, store_user_lookup(s, argv[1], &u), "account", argv[1]);
	if (ret == 0)
		ret = cli_report(s, store_mailbox_list(s, u.id, &boxes, &n), "mailboxes of",
		                 argv[1]);
	for (i = 0; i < n; i++) {
		struct store_status st;
		if (store_mailbox_status(s, boxes[i].id, &st) == STORE_OK)
			printf("%s\tmessages=%u unseen=%u size=%llu\n", boxes[i].name, st.messages,
			       st.unseen, (unsigned long long)st.size);
	}
	store_mailbox_free_array(&boxes, n);
	store_user_deinit(&u);
	store_close(&s);
	return ret;
}

/* --- aliases --- */

/* local@domain, or @domain for the catch-all of a domain. */
static bool valid_alias(const char *a)
{
	if (a[0] != '@')
		return cli_valid_address(a);
	return a[1] != '\0' && strchr(a + 1, '@') == NULL && strlen(a) <= STORE_ADDRESS_MAX &&
	       strpbrk(a, " \t\r\n\"\\") == NULL;
}

/* add ALIAS TARGET, del ALIAS [TARGET] ("list" is handled apart). */
static bool alias_args_valid(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (strcmp(argv[0], "add") == 0)
		return argc == 3;
	return strcmp(argv[0], "del") == 0 && (argc == 2 || argc == 3);
}

/* Says which of the two a failed add was about: the store answers one code for several. */
static int alias_add(struct store *s, const char *alias, const char *target)
{
	int ret = store_alias_add(s, alias, target);
	struct store_user u;
	char *pair;

	if (ret == STORE_ERR_NOTFOUND && store_domain_exists(s, strchr(alias, '@') + 1) != 1)
		return cli_report(s, ret, "domain", strchr(alias, '@') + 1);
	if (ret == STORE_ERR_NOTFOUND)
		return cli_report(s, ret, "account", target);
	if (ret == STORE_ERR_EXISTS && store_user_lookup(s, alias, &u) == STORE_OK) {
		store_user_deinit(&u);
		return conflict(alias, "an account", "an alias");
	}
	pair = xasprintf("%s -> %s", alias, target);
	ret = cli_report(s, ret, "alias", pair);
	free(pair);
	return ret;
}

static int alias_del(struct store *s, const char *alias, const char *target)
{
	char *pair = target != NULL ? xasprintf("%s -> %s", alias, target) : xstrdup(alias);
	int ret = cli_report(s, store_alias_del(s, alias, target), "alias", pair);

	free(pair);
	return ret;
}

static int alias_list(struct store *s)
{
	char **aliases = NULL, **targets = NULL;
	size_t n = 0;
	int ret;

	ret = cli_report(s, store_alias_list(s, &aliases, &targets, &n), "alias", "list");
	for (size_t i = 0; i < n; i++)
		printf("%s -> %s\n", aliases[i], targets[i]);
	str_list_free(&aliases, n);
	str_list_free(&targets, n);
	return ret;
}

int cli_alias(struct config *cfg, int argc, char **argv)
{
	struct store *s;
	int ret;

	if (!(argc == 1 && strcmp(argv[0], "list") == 0) && !alias_args_valid(argc, argv)) {
		fprintf(stderr, "usage: tresor alias add ALIAS TARGET | tresor alias del ALIAS "
		                "[TARGET] | tresor alias list\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		str_lower(argv[i]);
		if (i == 1 ? !valid_alias(argv[i]) : !cli_valid_address(argv[i])) {
			fprintf(stderr, "tresor: '%s' is not %s\n", argv[i],
			        i == 1 ? "an alias (local@domain or @domain)"
			               : "an address (local@domain)");
			return 2;
		}
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	if (strcmp(argv[0], "add") == 0)
		ret = alias_add(s, argv[1], argv[2]);
	else if (strcmp(argv[0], "del") == 0)
		ret = alias_del(s, argv[1], argc == 3 ? argv[2] : NULL);
	else
		ret = alias_list(s);
	store_close(&s);
	return ret;
}

/* --- queue --- */

/* Longest text of a time or an age. */
#define CLI_TIME_MAX 32

/* "2024-05-01T10:00:00Z" */
static const char *format_time(time_t t, char buf[CLI_TIME_MAX])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, CLI_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, CLI_TIME_MAX, "%lld", (long long)t);
	return buf;
}

/* The time since t in its largest whole unit: "42s", "5m", "3h", "2d". */
static const char *format_age(time_t t, char buf[CLI_TIME_MAX])
{
	long long age = (long long)(time(NULL) - t);

	if (age < 0)
		age = 0;
	if (age < 60)
		snprintf(buf, CLI_TIME_MAX, "%llds", age);
	else if (age < 3600)
		snprintf(buf, CLI_TIME_MAX, "%lldm", age / 60);
	else if (age < 86400)
		snprintf(buf, CLI_TIME_MAX, "%lldh", age / 3600);
	else
		snprintf(buf, CLI_TIME_MAX, "%lldd", age / 86400);
	return buf;
}

static int queue_list(struct store *s)
{
	struct store_queue_item *items = NULL;
	char created[CLI_TIME_MAX], age[CLI_TIME_MAX];
	size_t n = 0;
	int ret;

	ret = cli_report(s, store_queue_list(s, &items, &n), "queue", "list");
	for (size_t i = 0; i < n; i++) {
		const struct store_queue_item *it = &items[i];

		printf("id=%llu created=%s age=%s size=%llu rcpts=%zu attempts=%u from=<%s>\n",
		       (unsigned long long)it->id, format_time(it->created, created),
		       format_age(it->created, age), (unsigned long long)it->size, it->n_rcpts,
		       it->attempts, it->sender);
	}
	store_queue_items_free(&items, n);
	return ret;
}

static void queue_print(const struct store_queue_item *it)
{
	char created[CLI_TIME_MAX], age[CLI_TIME_MAX];

	printf("id: %llu\n", (unsigned long long)it->id);
	printf("created: %s (age %s)\n", format_time(it->created, created),
	       format_age(it->created, age));
	printf("user: %s\n", it->user[0] != '\0' ? it->user : "(none)");
	printf("from: <%s>\n", it->sender);
	if (it->ret != NULL)
		printf("ret: %s\n", it->ret);
	if (it->envid != NULL)
		printf("envid: %s\n", it->envid);
	printf("size: %llu\nattempts: %u\n", (unsigned long long)it->size, it->attempts);
	for (size_t i = 0; i < it->n_rcpts; i++) {
		const struct store_queue_rcpt *r = &it->rcpts[i];

		printf("rcpt: <%s>", r->address);
		if (r->notify != NULL)
			printf(" notify=%s", r->notify);
		if (r->orcpt != NULL)
			printf(" orcpt=%s", r->orcpt);
		printf("\n");
	}
}

static int queue_show(struct store *s, uint64_t id, const char *arg)
{
	struct store_queue_item it;
	char *data = NULL;
	size_t size = 0;
	int ret;

	ret = cli_report(s, store_queue_get(s, id, &it, &data, &size), "queued message", arg);
	if (ret == 0) {
		queue_print(&it);
		printf("\n");
		fwrite(data, 1, size, stdout);
		store_queue_item_deinit(&it);
		free(data);
	}
	return ret;
}

int cli_queue(struct config *cfg, int argc, char **argv)
{
	bool list = argc == 1 && strcmp(argv[0], "list") == 0;
	struct store *s;
	uint64_t id = 0;
	int ret;

	if (!list &&
	    !(argc == 2 && (strcmp(argv[0], "show") == 0 || strcmp(argv[0], "delete") == 0))) {
		fprintf(stderr, "usage: tresor queue list | tresor queue show|delete ID\n");
		return 2;
	}
	if (!list && !str_to_u64(argv[1], strlen(argv[1]), INT64_MAX, &id)) {
		fprintf(stderr, "tresor: '%s' is not a queue id (a number from queue list)\n",
		        argv[1]);
		return 2;
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	if (list)
		ret = queue_list(s);
	else if (strcmp(argv[0], "show") == 0)
		ret = queue_show(s, id, argv[1]);
	else
		ret = cli_report(s, store_queue_delete(s, id), "queued message", argv[1]);
	store_close(&s);
	return ret;
}
