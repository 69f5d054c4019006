/*
 * login.h - checking a user name and password against the store, with the
 * verification cache and the failure throttle: the one login check that
 * IMAP, SMTP and POP3 share.
 *
 * Blocks (store lookup, possibly Argon2id): call it on a worker thread.
 * Attacker control: user name and password. The password is never logged.
 */
#ifndef TRESOR_AUTH_LOGIN_H
#define TRESOR_AUTH_LOGIN_H

#include <stdint.h>

struct store;
struct auth_cache;
struct throttle;

/* Longest user name accepted, in bytes (an address: RFC 5321 4.5.3.1). */
#define AUTH_USER_MAX 320

enum auth_login_result {
	AUTH_LOGIN_OK,
	AUTH_LOGIN_FAILED, /* wrong name or password: answer after *delay_ms_r */
	AUTH_LOGIN_TEMP,   /* the store failed: a temporary error */
};

struct auth_login {
	struct store *store;
	struct auth_cache *cache;
	struct throttle *throttle;
	const char *ip; /* the client's address, for the throttle */
};

/*
 * Checks user (case-insensitive) and password. On AUTH_LOGIN_OK *user_id_r and
 * *address_r (newly allocated, lowercased) are set; on AUTH_LOGIN_FAILED
 * *delay_ms_r is the throttle's delay for the client's address (add the
 * configured failure delay) and the failure has been counted.
 */
enum auth_login_result auth_login_check(const struct auth_login *ctx, const char *user,
                                        const char *password, uint64_t *user_id_r, char **address_r,
                                        unsigned *delay_ms_r);

#endif
