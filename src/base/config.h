/*
 * config.h - the configuration file: an INI file with [section] headers and
 * `key = value` lines, '#' or ';' comments.
 *
 * Every key is declared in one table in config.c with its type, default and
 * bounds; docs/configuration.md documents each one. An unknown section or key,
 * a number out of bounds or a malformed line is an error that names the file
 * and line, so a typo never silently falls back to a default.
 *
 * Limits: lines of CONFIG_LINE_MAX bytes, values of CONFIG_VALUE_MAX bytes.
 * Attacker control: none (the file belongs to the administrator).
 */
#ifndef TRESOR_BASE_CONFIG_H
#define TRESOR_BASE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define CONFIG_LINE_MAX  4096
#define CONFIG_VALUE_MAX 1024

struct config {
	/* [server] */
	char *hostname;
	char *data_dir;
	char *user;
	char *log_level;
	uint64_t workers;
	uint64_t meta_cache_mb;
	/* [tls] */
	char *tls_cert;
	char *tls_key;
	/* [imap] */
	char *imap_listen;
	char *imap_listen_tls;
	uint64_t imap_idle_timeout;
	uint64_t imap_append_limit;
	uint64_t imap_max_connections;
	uint64_t imap_literal_plus;
	uint64_t imap_fetch_buffer_max;
	/* [pop3] */
	char *pop3_listen;
	char *pop3_listen_tls;
	uint64_t pop3_timeout;
	uint64_t pop3_max_connections;
	/* [smtp] */
	char *smtp_listen_mx;
	char *smtp_listen_submission;
	char *smtp_listen_submissions;
	uint64_t smtp_max_message_size;
	uint64_t smtp_max_recipients;
	uint64_t smtp_max_line_length;
	uint64_t smtp_max_errors;
	uint64_t smtp_timeout;
	uint64_t smtp_max_connections;
	uint64_t smtp_memory_max;
	/* [auth] */
	uint64_t auth_cache_ttl;
	uint64_t auth_cache_size;
	uint64_t auth_failure_delay_ms;
	uint64_t auth_plaintext_loopback;
	/* Path the configuration was read from, or NULL for built-in defaults. */
	char *path;
};

/* Fills c with the built-in defaults. */
void config_init_defaults(struct config *c);
/*
 * Reads path over the defaults already in c. Returns 0, or -1 with a message
 * in *error_r (newly allocated; the caller frees it).
 */
int config_read_file(struct config *c, const char *path, char **error_r);
/*
 * Loads the configuration the way the CLI does: path if given (it must exist),
 * else ./tresor.conf if present, else the defaults.
 */
int config_load(struct config *c, const char *path, char **error_r);
void config_deinit(struct config *c);

#endif
