/*
 * throttle.h - authentication failure throttling per client IP address.
 *
 * After each failed login from an address, the next attempts from it wait:
 * delay = min(base_ms * 2^(failures - 1), max_ms). Failures decay: every
 * quiet_seconds without a new failure forgets one of them. A successful login
 * forgets the address. The session asks throttle_delay_ms() before verifying a
 * password and delays its answer (on a timer, never by sleeping on the loop);
 * together with the Argon2id cost this bounds online guessing per address.
 *
 * The table holds at most max_ips addresses (THROTTLE_MAX_IPS by default); when
 * full, the address whose last failure is oldest is forgotten. Addresses are
 * compared as strings, so the caller chooses the granularity (XXX an IPv6
 * client owns a whole /64: the caller should pass the /64 prefix).
 * Thread-safe (one mutex); nothing blocks.
 *
 * Limits: THROTTLE_MAX_IPS addresses, THROTTLE_IP_MAX bytes per address
 * (longer strings are cut), THROTTLE_MAX_FAILURES counted failures.
 * Attacker control: the address (by choosing where to connect from) and the
 * number of failures; bucket selection uses a keyed SipHash so that chosen
 * addresses cannot pile up in one chain.
 */
#ifndef TRESOR_AUTH_THROTTLE_H
#define TRESOR_AUTH_THROTTLE_H

#include <stddef.h>
#include <time.h>

/* Addresses tracked at most (about 100 bytes each). */
#define THROTTLE_MAX_IPS 65536
/* Longest address string kept: an IPv6 address with a zone fits. */
#define THROTTLE_IP_MAX 64
/* Failures counted at most per address; the delay is capped long before. */
#define THROTTLE_MAX_FAILURES 1000

struct throttle;

/*
 * Creates a throttle: delays start at base_ms, double per failure up to max_ms,
 * and one failure is forgotten per quiet_seconds without failure (0: never).
 * max_ips 0 means THROTTLE_MAX_IPS; larger values are capped to it. Aborts on
 * out of memory; returns NULL only if libsodium cannot start.
 */
struct throttle *throttle_new(unsigned base_ms, unsigned max_ms, unsigned quiet_seconds,
                              size_t max_ips);
/* Frees the table and NULLs the pointer; accepts NULL. */
void throttle_free(struct throttle **_t);

/* Milliseconds to wait before verifying a login from ip at time now (0 if none). */
unsigned throttle_delay_ms(struct throttle *t, const char *ip, time_t now);
/* Records a failed login from ip at now. */
void throttle_fail(struct throttle *t, const char *ip, time_t now);
/* Records a successful login from ip: its failures are forgotten. */
void throttle_success(struct throttle *t, const char *ip);

/* Addresses currently tracked; for tests and statistics. */
size_t throttle_count(struct throttle *t);

#endif
