/*
 * sasl.h - server side of the SASL mechanisms PLAIN and LOGIN, as a small state
 * machine that knows no protocol.
 *
 * RFC 4422 (SASL) 3.4-3.6: an exchange of challenges and responses, optionally
 * starting with an initial response. RFC 4616 (PLAIN): one message
 * "[authzid] NUL authcid NUL passwd". LOGIN (draft-murchison-sasl-login): the
 * server asks "Username:" then "Password:"; an initial response, if any, is the
 * user name. The protocols carry every message in base64 (RFC 4954 4,
 * RFC 5034 4, RFC 9051 6.2.2): "*" cancels, and a zero-length initial response
 * is sent as "=". The caller passes the client's line without CRLF and sends
 * back the challenge this module returns ("334 " / "+ " prefix is its job).
 *
 * Proxy authorization is not supported: an authzid must be empty or equal to
 * the authcid (byte for byte), or the exchange fails.
 *
 * Limits: SASL_MAX_FIELD bytes per decoded field, SASL_MAX_INPUT bytes of base64
 * per step. Attacker control: every byte of every response. Responses must be
 * strict base64 (RFC 4648 4, padded, no white space); a user name must be UTF-8
 * without control characters; a password may hold any byte but NUL.
 */
#ifndef TRESOR_AUTH_SASL_H
#define TRESOR_AUTH_SASL_H

#include <stdbool.h>
#include <stddef.h>

/* Longest authzid, authcid or password (RFC 4616 asks for at least 255). */
#define SASL_MAX_FIELD 1024
/* Longest decoded response: a PLAIN message with three full fields. */
#define SASL_MAX_DECODED (3 * SASL_MAX_FIELD + 2)
/* Longest base64 response accepted in one step. */
#define SASL_MAX_INPUT (4 * ((SASL_MAX_DECODED + 2) / 3))

enum sasl_result {
	SASL_CONTINUE, /* send *challenge_b64_r to the client and wait for its response */
	SASL_DONE,     /* sasl_username() and sasl_password() are ready to verify */
	SASL_FAIL,     /* malformed or cancelled exchange: see sasl_error(), sasl_cancelled() */
};

struct sasl_session;

/* True if mech (case-insensitive) names a mechanism this module implements. */
bool sasl_mech_supported(const char *mech);

/* Starts an exchange for mech ("PLAIN" or "LOGIN", case-insensitive). Returns
 * NULL for any other mechanism. Free with sasl_free(). */
struct sasl_session *sasl_new(const char *mech);

/*
 * Feeds one client response. On the first step, b64_in == NULL means "no
 * initial response"; otherwise b64_in holds len bytes of base64 ("=" for an
 * empty initial response, "" for an empty later response). A response of
 * exactly "*" cancels the exchange (SASL_FAIL with sasl_cancelled() true).
 *
 * On SASL_CONTINUE, *challenge_b64_r is a newly allocated NUL-terminated base64
 * challenge (possibly "") that the caller frees; on other results it is NULL.
 * Once SASL_DONE or SASL_FAIL has been returned, every further step fails.
 */
enum sasl_result sasl_step(struct sasl_session *s, const char *b64_in, size_t len,
                           char **challenge_b64_r);

/* The authentication identity after SASL_DONE, else NULL. Owned by s. */
const char *sasl_username(const struct sasl_session *s);
/* The password after SASL_DONE, else NULL. Owned by s, wiped by sasl_free(). */
const char *sasl_password(const struct sasl_session *s);
/* The mechanism name in upper case ("PLAIN" or "LOGIN"). */
const char *sasl_mech(const struct sasl_session *s);
/* True if the client cancelled with "*" (IMAP answers BAD, SMTP 501). */
bool sasl_cancelled(const struct sasl_session *s);
/* Why the last step failed, a short constant string for logs; NULL if it did not. */
const char *sasl_error(const struct sasl_session *s);

/* Wipes the credentials, frees s and NULLs the pointer; accepts NULL. */
void sasl_free(struct sasl_session **_s);

#endif
