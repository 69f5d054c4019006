/*
 * config.c - the INI configuration file; see config.h and
 * docs/configuration.md.
 */
#include "base/config.h"

#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum config_type { CONFIG_STRING, CONFIG_NUMBER };

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	size_t offset;
	const char *def;
	uint64_t min, max;
};

#define S(sec, k, field, d)                                                                        \
	{                                                                                          \
		sec, k, CONFIG_STRING, offsetof(struct config, field), d, 0, 0                     \
	}
#define N(sec, k, field, d, lo, hi)                                                                \
	{                                                                                          \
		sec, k, CONFIG_NUMBER, offsetof(struct config, field), d, lo, hi                   \
	}

static const struct config_key keys[] = {
        S("server", "hostname", hostname, "mail.example.test"),
        S("server", "data_dir", data_dir, "./var"),
        S("server", "user", user, "tresor"),
        S("server", "log_level", log_level, "info"),
        N("server", "workers", workers, "4", 1, 64),
        N("server", "meta_cache_mb", meta_cache_mb, "64", 0, 65536),
        S("tls", "cert", tls_cert, ""),
        S("tls", "key", tls_key, ""),
        S("imap", "listen", imap_listen, "127.0.0.1:10143"),
        S("imap", "listen_tls", imap_listen_tls, "127.0.0.1:10993"),
        N("imap", "idle_timeout", imap_idle_timeout, "1800", 2, 86400),
        N("imap", "append_limit", imap_append_limit, "52428800", 1024, 1073741824),
        N("imap", "max_connections", imap_max_connections, "20000", 1, 1000000),
        N("imap", "literal_plus", imap_literal_plus, "1", 0, 1),
        N("imap", "fetch_buffer_max", imap_fetch_buffer_max, "67108864", 65536, 4294967296),
        S("pop3", "listen", pop3_listen, "127.0.0.1:10110"),
        S("pop3", "listen_tls", pop3_listen_tls, "127.0.0.1:10995"),
        N("pop3", "timeout", pop3_timeout, "600", 30, 86400),
        N("pop3", "max_connections", pop3_max_connections, "2000", 1, 100000),
        S("smtp", "listen_mx", smtp_listen_mx, "127.0.0.1:10025"),
        S("smtp", "listen_submission", smtp_listen_submission, "127.0.0.1:10587"),
        S("smtp", "listen_submissions", smtp_listen_submissions, "127.0.0.1:10465"),
        N("smtp", "max_message_size", smtp_max_message_size, "52428800", 1024, 1073741824),
        N("smtp", "max_recipients", smtp_max_recipients, "100", 1, 1000),
        N("smtp", "max_line_length", smtp_max_line_length, "998", 998, 1048576),
        N("smtp", "max_errors", smtp_max_errors, "10", 1, 1000),
        N("smtp", "timeout", smtp_timeout, "300", 10, 3600),
        N("smtp", "max_connections", smtp_max_connections, "2000", 1, 100000),
        N("smtp", "memory_max", smtp_memory_max, "1073741824", 1048576, 68719476736),
        N("auth", "cache_ttl", auth_cache_ttl, "3600", 0, 604800),
        N("auth", "cache_size", auth_cache_size, "100000", 0, 10000000),
        N("auth", "failure_delay_ms", auth_failure_delay_ms, "1000", 0, 10000),
        N("auth", "plaintext_loopback", auth_plaintext_loopback, "1", 0, 1),
};

static int set_value(struct config *c, const struct config_key *k, const char *value,
                     char **error_r)
{
	char *p = (char *)c + k->offset;
	uint64_t v;

	if (k->type == CONFIG_STRING) {
		char **sp = (char **)(void *)p;
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	}
	if (!str_to_u64(value, strlen(value), UINT64_MAX, &v) || v < k->min || v > k->max) {
		*error_r =
		        xasprintf("[%s] %s must be a number from %llu to %llu", k->section, k->key,
		                  (unsigned long long)k->min, (unsigned long long)k->max);
		return -1;
	}
	*(uint64_t *)(void *)p = v;
	return 0;
}

void config_init_defaults(struct config *c)
{
	size_t i;
	char *error = NULL;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_ELEMENTS(keys); i++) {
		if (set_value(c, &keys[i], keys[i].def, &error) < 0)
			PANIC("bad built-in default: %s", error);
	}
}

static const struct config_key *find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(keys); i++) {
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].key, key) == 0)
			return &keys[i];
	}
	return NULL;
}

static bool section_exists(const char *section)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(keys); i++) {
		if (strcmp(keys[i].section, section) == 0)
			return true;
	}
	return false;
}

/* Parses one line; section holds the current [section]. */
static int parse_line(struct config *c, char *line, char *section, size_t section_size,
                      char **error_r)
{
	char *s = str_trim(line), *eq, *key, *value;
	const struct config_key *k;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		char *end = strchr(s, ']');
		if (end == NULL || end[1] != '\0' || (size_t)(end - s - 1) >= section_size) {
			*error_r = xstrdup("malformed section header");
			return -1;
		}
		*end = '\0';
		snprintf(section, section_size, "%s", str_trim(s + 1));
		if (!section_exists(section)) {
			*error_r = xasprintf("unknown section [%s]", section);
			return -1;
		}
		return 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL) {
		*error_r = xstrdup("expected key = value");
		return -1;
	}
	*eq = '\0';
	key = str_trim(s);
	value = str_trim(eq + 1);
	if (strlen(value) > CONFIG_VALUE_MAX) {
		*error_r = xasprintf("value of %s is too long", key);
		return -1;
	}
	k = find_key(section, key);
	if (k == NULL) {
		*error_r = xasprintf("unknown key %s in [%s]", key, section);
		return -1;
	}
	return set_value(c, k, value, error_r);
}

int config_read_file(struct config *c, const char *path, char **error_r)
{
	char line[CONFIG_LINE_MAX + 2], section[64] = "", *error = NULL;
	unsigned lineno = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			error = xstrdup("line too long");
		} else if (parse_line(c, line, section, sizeof(section), &error) == 0) {
			continue;
		}
		*error_r = xasprintf("%s:%u: %s", path, lineno, error);
		free(error);
		fclose(f);
		return -1;
	}
	fclose(f);
	free(c->path);
	c->path = xstrdup(path);
	return 0;
}

int config_load(struct config *c, const char *path, char **error_r)
{
	config_init_defaults(c);
	if (path != NULL)
		return config_read_file(c, path, error_r);
	if (access("tresor.conf", F_OK) == 0)
		return config_read_file(c, "tresor.conf", error_r);
	return 0;
}

void config_deinit(struct config *c)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(keys); i++) {
		if (keys[i].type == CONFIG_STRING) {
			char **sp = (char **)(void *)((char *)c + keys[i].offset);
			XFREE(*sp);
		}
	}
	XFREE(c->path);
}
