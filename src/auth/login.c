/*
 * login.c - the shared password login: store lookup, keyed verification
 * cache, Argon2id, and the per-address failure throttle (auth/throttle.c).
 *
 * Limits: AUTH_USER_MAX bytes of user name (longer ones fail without a
 * lookup). Attacker control: user name and password.
 */
#include "auth/login.h"

#include "auth/cache.h"
#include "auth/throttle.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

enum auth_login_result auth_login_check(const struct auth_login *ctx, const char *user,
                                        const char *password, uint64_t *user_id_r, char **address_r,
                                        unsigned *delay_ms_r)
{
	struct store_user u = {0};
	char *address;
	int ret = STORE_ERR_NOTFOUND;

	*user_id_r = 0;
	*address_r = NULL;
	*delay_ms_r = throttle_delay_ms(ctx->throttle, ctx->ip, time(NULL));
	address = xstrdup(user);
	str_lower(address);
	if (strlen(address) <= AUTH_USER_MAX)
		ret = store_user_lookup(ctx->store, address, &u);
	if (ret == STORE_OK && auth_verify(ctx->cache, address, password, u.password_hash)) {
		throttle_success(ctx->throttle, ctx->ip);
		*user_id_r = u.id;
		*address_r = address;
		store_user_deinit(&u);
		return AUTH_LOGIN_OK;
	}
	store_user_deinit(&u);
	free(address);
	if (ret == STORE_ERR_TEMP)
		return AUTH_LOGIN_TEMP;
	throttle_fail(ctx->throttle, ctx->ip, time(NULL));
	return AUTH_LOGIN_FAILED;
}
