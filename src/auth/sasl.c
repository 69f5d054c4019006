/*
 * sasl.c - SASL PLAIN (RFC 4616) and LOGIN server mechanisms; see sasl.h.
 *
 * Limits: SASL_MAX_FIELD, SASL_MAX_INPUT. Attacker control: all response
 * bytes; they are decoded into a fixed stack buffer of SASL_MAX_DECODED bytes
 * that is wiped after each step, and copied into fixed fields of the session.
 */
#include "auth/sasl.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "base/mem.h"
#include "base/str.h"

enum sasl_mech_id { SASL_MECH_PLAIN, SASL_MECH_LOGIN };

enum sasl_state {
	SASL_STATE_START,      /* nothing received yet */
	SASL_STATE_WAIT_PLAIN, /* PLAIN: empty challenge sent, message expected */
	SASL_STATE_WAIT_USER,  /* LOGIN: "Username:" sent */
	SASL_STATE_WAIT_PASS,  /* LOGIN: "Password:" sent */
	SASL_STATE_DONE,
	SASL_STATE_FAILED,
};

struct sasl_session {
	enum sasl_mech_id mech;
	enum sasl_state state;
	bool cancelled;
	const char *error;
	char username[SASL_MAX_FIELD + 1];
	char password[SASL_MAX_FIELD + 1];
};

/* A decoded response: a slice of the step's stack buffer. */
struct sasl_data {
	const unsigned char *p;
	size_t len;
};

static const char *const sasl_mech_names[] = {
        [SASL_MECH_PLAIN] = "PLAIN",
        [SASL_MECH_LOGIN] = "LOGIN",
};

static int sasl_mech_lookup(const char *mech)
{
	for (size_t i = 0; i < N_ELEMENTS(sasl_mech_names); i++) {
		if (str_eq_ci(mech, sasl_mech_names[i]))
			return (int)i;
	}
	return -1;
}

bool sasl_mech_supported(const char *mech)
{
	return sasl_mech_lookup(mech) >= 0;
}

struct sasl_session *sasl_new(const char *mech)
{
	int id = sasl_mech_lookup(mech);
	struct sasl_session *s;

	if (id < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->mech = (enum sasl_mech_id)id;
	s->state = SASL_STATE_START;
	return s;
}

void sasl_free(struct sasl_session **_s)
{
	struct sasl_session *s = *_s;

	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
	*_s = NULL;
}

static enum sasl_result sasl_fail(struct sasl_session *s, const char *error)
{
	s->state = SASL_STATE_FAILED;
	s->error = error;
	/* A half-finished LOGIN may hold a user name; never a password here. */
	sodium_memzero(s->username, sizeof(s->username));
	sodium_memzero(s->password, sizeof(s->password));
	return SASL_FAIL;
}

static enum sasl_result sasl_challenge(struct sasl_session *s, enum sasl_state next,
                                       const char *text, char **challenge_b64_r)
{
	size_t len = strlen(text);
	size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);

	*challenge_b64_r = xmalloc(b64_len);
	sodium_bin2base64(*challenge_b64_r, b64_len, (const unsigned char *)text, len,
	                  sodium_base64_VARIANT_ORIGINAL);
	s->state = next;
	return SASL_CONTINUE;
}

/* A user name: 1..SASL_MAX_FIELD bytes of UTF-8 without control characters. */
static bool sasl_username_valid(const unsigned char *p, size_t len)
{
	uint32_t cp;

	if (len == 0 || len > SASL_MAX_FIELD)
		return false;
	for (size_t i = 0, n; i < len; i += n) {
		n = str_utf8_char(p + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return false;
	}
	return true;
}

static bool sasl_password_valid(const unsigned char *p, size_t len)
{
	return len > 0 && len <= SASL_MAX_FIELD && memchr(p, '\0', len) == NULL;
}

/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
static enum sasl_result sasl_plain(struct sasl_session *s, struct sasl_data d)
{
	const unsigned char *nul1 = memchr(d.p, '\0', d.len), *nul2, *authcid, *passwd;
	size_t authzid_len, authcid_len, passwd_len;

	if (nul1 == NULL)
		return sasl_fail(s, "PLAIN message without NUL");
	authzid_len = (size_t)(nul1 - d.p);
	authcid = nul1 + 1;
	nul2 = memchr(authcid, '\0', d.len - authzid_len - 1);
	if (nul2 == NULL)
		return sasl_fail(s, "PLAIN message with one NUL");
	authcid_len = (size_t)(nul2 - authcid);
	passwd = nul2 + 1;
	passwd_len = d.len - authzid_len - authcid_len - 2;
	if (!sasl_username_valid(authcid, authcid_len))
		return sasl_fail(s, "invalid authcid");
	if (!sasl_password_valid(passwd, passwd_len))
		return sasl_fail(s, "invalid password");
	/* We do not support proxy authorization (RFC 4616 2, RFC 4422 3.4.1). */
	if (authzid_len != 0 &&
	    (authzid_len != authcid_len || memcmp(d.p, authcid, authcid_len) != 0))
		return sasl_fail(s, "authzid differs from authcid");
	memcpy(s->username, authcid, authcid_len);
	s->username[authcid_len] = '\0';
	memcpy(s->password, passwd, passwd_len);
	s->password[passwd_len] = '\0';
	s->state = SASL_STATE_DONE;
	return SASL_DONE;
}

static enum sasl_result sasl_login_user(struct sasl_session *s, struct sasl_data d,
                                        char **challenge_b64_r)
{
	if (!sasl_username_valid(d.p, d.len))
		return sasl_fail(s, "invalid user name");
	memcpy(s->username, d.p, d.len);
	s->username[d.len] = '\0';
	return sasl_challenge(s, SASL_STATE_WAIT_PASS, "Password:", challenge_b64_r);
}

static enum sasl_result sasl_login_pass(struct sasl_session *s, struct sasl_data d)
{
	if (!sasl_password_valid(d.p, d.len))
		return sasl_fail(s, "invalid password");
	memcpy(s->password, d.p, d.len);
	s->password[d.len] = '\0';
	s->state = SASL_STATE_DONE;
	return SASL_DONE;
}

/* First step without initial response: send the mechanism's first challenge. */
static enum sasl_result sasl_start(struct sasl_session *s, char **challenge_b64_r)
{
	if (s->mech == SASL_MECH_PLAIN)
		return sasl_challenge(s, SASL_STATE_WAIT_PLAIN, "", challenge_b64_r);
	return sasl_challenge(s, SASL_STATE_WAIT_USER, "Username:", challenge_b64_r);
}

/*
 * Decodes a response into buf. RFC 4954 4 / RFC 9051 6.2.2: "=" stands for an
 * empty initial response; a later empty response is an empty line.
 */
static bool sasl_decode(const struct sasl_session *s, const char *in, size_t len,
                        unsigned char *buf, size_t buf_size, size_t *len_r)
{
	bool initial = s->state == SASL_STATE_START;

	*len_r = 0;
	if (initial && len == 1 && in[0] == '=')
		return true;
	if (initial && len == 0)
		return false; /* RFC 4954 4: a zero-length initial response MUST be "=" */
	if (len == 0)
		return true;
	if (len > SASL_MAX_INPUT)
		return false;
	/* Strict: no ignored characters, padding required, the whole input used. */
	return sodium_base642bin(buf, buf_size, in, len, NULL, len_r, NULL,
	                         sodium_base64_VARIANT_ORIGINAL) == 0;
}

static enum sasl_result sasl_dispatch(struct sasl_session *s, struct sasl_data d,
                                      char **challenge_b64_r)
{
	switch (s->state) {
	case SASL_STATE_START:
		if (s->mech == SASL_MECH_LOGIN)
			return sasl_login_user(s, d, challenge_b64_r);
		return sasl_plain(s, d);
	case SASL_STATE_WAIT_PLAIN:
		return sasl_plain(s, d);
	case SASL_STATE_WAIT_USER:
		return sasl_login_user(s, d, challenge_b64_r);
	case SASL_STATE_WAIT_PASS:
		return sasl_login_pass(s, d);
	case SASL_STATE_DONE:
	case SASL_STATE_FAILED:
		break;
	}
	PANIC("sasl: step in state %d", (int)s->state);
}

enum sasl_result sasl_step(struct sasl_session *s, const char *b64_in, size_t len,
                           char **challenge_b64_r)
{
	unsigned char buf[SASL_MAX_DECODED];
	struct sasl_data d = {buf, 0};
	enum sasl_result ret;

	*challenge_b64_r = NULL;
	if (s->state == SASL_STATE_DONE || s->state == SASL_STATE_FAILED) {
		s->cancelled = false;
		return sasl_fail(s, "exchange already finished");
	}
	if (b64_in == NULL) {
		if (s->state == SASL_STATE_START)
			return sasl_start(s, challenge_b64_r);
		return sasl_fail(s, "missing response");
	}
	if (len == 1 && b64_in[0] == '*') {
		s->cancelled = true; /* RFC 4422 3.5 abort */
		return sasl_fail(s, "cancelled by client");
	}
	if (!sasl_decode(s, b64_in, len, buf, sizeof(buf), &d.len)) {
		sodium_memzero(buf, sizeof(buf));
		return sasl_fail(s, "invalid base64");
	}
	ret = sasl_dispatch(s, d, challenge_b64_r);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

const char *sasl_username(const struct sasl_session *s)
{
	return s->state == SASL_STATE_DONE ? s->username : NULL;
}

const char *sasl_password(const struct sasl_session *s)
{
	return s->state == SASL_STATE_DONE ? s->password : NULL;
}

const char *sasl_mech(const struct sasl_session *s)
{
	return sasl_mech_names[s->mech];
}

bool sasl_cancelled(const struct sasl_session *s)
{
	return s->cancelled;
}

const char *sasl_error(const struct sasl_session *s)
{
	return s->state == SASL_STATE_FAILED ? s->error : NULL;
}
