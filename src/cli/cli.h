/*
 * cli.h - the subcommands of the tresor binary.
 *
 * Each takes the loaded configuration and its arguments (after the
 * subcommand name) and returns the process exit status.
 */
#ifndef TRESOR_CLI_CLI_H
#define TRESOR_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;

int cli_serve(struct config *cfg, int argc, char **argv);
int cli_domain(struct config *cfg, int argc, char **argv);
int cli_user(struct config *cfg, int argc, char **argv);
int cli_mailbox(struct config *cfg, int argc, char **argv);
int cli_alias(struct config *cfg, int argc, char **argv);
int cli_queue(struct config *cfg, int argc, char **argv);
int cli_key(struct config *cfg, int argc, char **argv);

/*
 * Creates data_dir if needed and, when running as root with [server] user
 * set, hands it to that user and becomes that user. Returns 0, or -1 after
 * printing why.
 */
int cli_prepare_data_dir(const struct config *cfg);
int cli_drop_privileges(const struct config *cfg);
/* Opens the store for an admin command (after dropping privileges); NULL after printing why. */
struct store *cli_open_store(const struct config *cfg);
/* How many of the account's keys can be encrypted to now (for user show). */
int cli_usable_keys(struct store *s, uint64_t user_id, unsigned *usable_r);
/* Prints what a failed store call means for "what name"; returns the exit status (0 or 1). */
int cli_report(struct store *s, int ret, const char *what, const char *name);
/* Whether a is local@domain without spaces, quotes or a second '@'. */
bool cli_valid_address(const char *a);
/* One line of stdin (1 to max bytes, line end cut) in secure memory (sodium_free), or NULL. */
char *cli_read_secret(size_t max);

#endif
