/*
 * main.c - the tresor binary: global options, then one subcommand.
 *
 *   tresor [-c FILE] serve
 *   tresor [-c FILE] domain add|del|list [DOMAIN]
 *   tresor [-c FILE] user add|del|list|passwd [ADDRESS] [--password-stdin]
 *   tresor [-c FILE] mailbox list ADDRESS
 *   tresor [-c FILE] alias add ALIAS TARGET | alias del ALIAS [TARGET] | alias list
 *   tresor [-c FILE] queue list | queue show|delete ID
 *   tresor --help | help COMMAND | version
 */
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "cli/cli.h"
#include "crypto/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRESOR_VERSION "0.1.0"

struct subcommand {
	const char *name;
	int (*run)(struct config *cfg, int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct subcommand subcommands[] = {
        {"serve", cli_serve, "tresor [-c FILE] serve",
         "Runs the server in the foreground: IMAP (and later SMTP and POP3) on the\n"
         "addresses of the configuration. Logs one line per event to stderr.\n"
         "SIGTERM or SIGINT stop it cleanly. Started as root, it binds its ports\n"
         "and then runs as [server] user."},
        {"domain", cli_domain, "tresor [-c FILE] domain add|del DOMAIN | domain list",
         "Manages the mail domains this server hosts. A domain with accounts\n"
         "cannot be deleted."},
        {"user", cli_user,
         "tresor [-c FILE] user add|passwd ADDRESS [--password-stdin] | user del|show ADDRESS | "
         "user set ADDRESS protect_subject on|off | user list",
         "Manages accounts. add creates the account with INBOX, Sent, Drafts, Trash,\n"
         "Junk and Archive. Without --password-stdin a password is generated and\n"
         "printed once; with it, one line is read from standard input. show prints\n"
         "whether the account is sealed (has keys) and its settings. set\n"
         "protect_subject on makes the outer Subject of its sealed mail \"...\"."},
        {"mailbox", cli_mailbox, "tresor [-c FILE] mailbox list ADDRESS",
         "Lists the mailboxes of an account with their message counts."},
        {"alias", cli_alias,
         "tresor [-c FILE] alias add ALIAS TARGET | alias del ALIAS [TARGET] | alias list",
         "Manages aliases: addresses of a hosted domain that deliver to accounts.\n"
         "ALIAS is local@domain, or @domain for every address of the domain that\n"
         "is neither an account nor another alias (the catch-all). TARGET is an\n"
         "account; an alias may have several. del without TARGET removes every\n"
         "target of ALIAS. Deleting an account removes it from every alias.\n"
         "list prints one 'alias -> target' line per pair."},
        {"key", cli_key,
         "tresor [-c FILE] key generate ADDRESS [--rsa BITS] | key import ADDRESS FILE|- | "
         "key list ADDRESS | key export|export-secret|del ADDRESS [FINGERPRINT]",
         "Manages the OpenPGP keys an account's mail is sealed to. While an account\n"
         "has a key, every message that reaches it is stored encrypted to all its\n"
         "keys (PGP/MIME) and the server cannot read it. generate makes an Ed25519\n"
         "key with an X25519 encryption subkey (or RSA of BITS, 2048 to 4096) whose\n"
         "secret part is protected by a passphrase read from standard input; the\n"
         "server keeps the protected secret key for the account's bridge, never the\n"
         "passphrase. import adds a public key made elsewhere (armored or binary);\n"
         "a secret key, a key without a valid encryption subkey, or several keys\n"
         "are refused. list shows each key and whether it can be used now."},
        {"queue", cli_queue, "tresor [-c FILE] queue list | queue show|delete ID",
         "Shows and manages the outbound queue: messages waiting for delivery to\n"
         "other servers. list prints one line per message, oldest first; show\n"
         "prints the envelope, the recipients with their DSN parameters, a blank\n"
         "line and the message as stored; delete removes it without a bounce."},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Tresor %s - mail server\n\nusage:\n", TRESOR_VERSION);
	for (i = 0; i < N_ELEMENTS(subcommands); i++)
		fprintf(f, "  %s\n", subcommands[i].usage);
	fprintf(f, "  tresor help COMMAND\n  tresor version\n\n"
	           "Without -c, ./tresor.conf is read if present, else built-in defaults.\n"
	           "See docs/configuration.md.\n");
}

static const struct subcommand *find(const char *name)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(subcommands); i++) {
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	}
	return NULL;
}

static int help(int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 1) {
		usage(stdout);
		return 0;
	}
	sc = find(argv[0]);
	if (sc == NULL) {
		fprintf(stderr, "tresor: no command '%s'\n", argv[0]);
		return 2;
	}
	printf("usage: %s\n\n%s\n", sc->usage, sc->help);
	return 0;
}

static void set_log_level(const struct config *cfg)
{
	if (str_eq_ci(cfg->log_level, "debug"))
		log_set_level(LOG_DEBUG);
	else if (str_eq_ci(cfg->log_level, "warn"))
		log_set_level(LOG_WARN);
	else if (str_eq_ci(cfg->log_level, "error"))
		log_set_level(LOG_ERROR);
	else
		log_set_level(LOG_INFO);
}

int main(int argc, char **argv)
{
	const char *conf = NULL;
	const struct subcommand *sc;
	struct config cfg;
	char *error = NULL;
	int i = 1, ret;

	if (i + 1 < argc && strcmp(argv[i], "-c") == 0) {
		conf = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	if (strcmp(argv[i], "help") == 0)
		return help(argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "version") == 0 || strcmp(argv[i], "--version") == 0) {
		printf("tresor %s\n", TRESOR_VERSION);
		return 0;
	}
	/* "tresor serve -c FILE" is accepted too. */
	if (i + 2 < argc && strcmp(argv[i + 1], "-c") == 0 && conf == NULL) {
		conf = argv[i + 2];
		memmove(&argv[i + 1], &argv[i + 3], (size_t)(argc - i - 3) * sizeof(*argv));
		argc -= 2;
	}
	sc = find(argv[i]);
	if (sc == NULL) {
		fprintf(stderr, "tresor: unknown command '%s' (try tresor --help)\n", argv[i]);
		return 2;
	}
	if (config_load(&cfg, conf, &error) < 0) {
		fprintf(stderr, "tresor: %s\n", error);
		free(error);
		config_deinit(&cfg);
		return 1;
	}
	set_log_level(&cfg);
	if (password_init() < 0) {
		fprintf(stderr, "tresor: libsodium failed to initialise\n");
		config_deinit(&cfg);
		return 1;
	}
	ret = sc->run(&cfg, argc - i - 1, argv + i + 1);
	config_deinit(&cfg);
	return ret;
}
