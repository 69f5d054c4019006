/*
 * admin.c - the administration subcommands: domain, user, mailbox.
 *
 * They open the store directly (SQLite allows it while the server runs) and
 * print one line per result. Passwords come from stdin with
 * --password-stdin, or are generated and printed once; a password is never
 * accepted on the command line, where other users could read it.
 *
 * Attacker control: none beyond the administrator's own arguments, which are
 * length-checked.
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

static int report(struct store *s, int ret, const char *what, const char *name)
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
		ret = report(s, store_domain_add(s, argv[1]), "domain", argv[1]);
	} else if (strcmp(argv[0], "del") == 0) {
		str_lower(argv[1]);
		ret = report(s, store_domain_del(s, argv[1]), "domain", argv[1]);
	} else {
		ret = report(s, store_domain_list(s, &names, &n), "domain", "list");
		print_list(names, n);
		str_list_free(&names, n);
	}
	store_close(&s);
	return ret;
}

/* Reads one line from stdin as the password (without its line end). */
static char *read_password(void)
{
	char *line = sodium_malloc(PASSWORD_MAX_LEN + 2);
	size_t len;

	if (line == NULL || fgets(line, PASSWORD_MAX_LEN + 2, stdin) == NULL) {
		if (line != NULL)
			sodium_free(line);
		return NULL;
	}
	len = strcspn(line, "\r\n");
	line[len] = '\0';
	if (len == 0 || len > PASSWORD_MAX_LEN) {
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
		pw = read_password();
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
			ret = report(s, ret, "domain", strchr(address, '@') + 1);
		else
			ret = report(s, ret, "account", address);
	} else
		ret = report(s, store_user_set_password(s, address, hash), "account", address);
	free(hash);
	return ret;
}

static bool valid_address(const char *a)
{
	const char *at = strchr(a, '@');

	return at != NULL && at != a && at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strlen(a) <= STORE_ADDRESS_MAX && strpbrk(a, " \t\r\n\"\\") == NULL;
}

/* add|passwd ADDRESS [--password-stdin] or del ADDRESS ("list" is handled apart). */
static bool user_args_valid(int argc, char **argv, bool from_stdin)
{
	if (argc < 1)
		return false;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0)
		return argc == 2 || (argc == 3 && from_stdin);
	return strcmp(argv[0], "del") == 0 && argc == 2;
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
		ret = report(s, store_user_list(s, &names, &n), "account", "list");
		print_list(names, n);
		str_list_free(&names, n);
		store_close(&s);
		return ret;
	}
	if (!user_args_valid(argc, argv, from_stdin)) {
		fprintf(stderr, "usage: tresor user add|passwd ADDRESS [--password-stdin] | "
		                "tresor user del ADDRESS | tresor user list\n");
		return 2;
	}
	str_lower(argv[1]);
	if (!valid_address(argv[1])) {
		fprintf(stderr, "tresor: '%s' is not an address (local@domain)\n", argv[1]);
		return 2;
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0) {
		ret = user_set(s, argv[0], argv[1], from_stdin);
	} else {
		ret = report(s, store_user_del(s, argv[1]), "account", argv[1]);
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
	ret = report(s, store_user_lookup(s, argv[1], &u), "account", argv[1]);
	if (ret == 0)
		ret = report(s, store_mailbox_list(s, u.id, &boxes, &n), "mailboxes of", argv[1]);
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
