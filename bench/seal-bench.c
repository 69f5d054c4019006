/*
 * bench/seal-bench.c - microseconds of sealing per message: crypto_seal()
 * (src/crypto/seal.c) timed on a 10 KB and a 1 MB message, as delivery to a
 * sealed account calls it (DESIGN.md, "Zero-access sealing"; issue 5,
 * "Benchmark").
 *
 * One key is generated as `tresor key generate` makes it (Ed25519 primary,
 * X25519 encryption subkey; -r BITS for RSA), and its public part is what
 * every crypto_seal() call gets, as the stored key is at delivery: the first
 * call imports it into the thread's keyring (keyring.c), every call checks it
 * is usable, encrypts (RFC 4880 5.1 PKESK,
 * 5.13 SEIPD with MDC, AES-256, armored) and writes the RFC 3156 4 wrapper.
 *
 * The messages are built here, deterministic (a fixed xorshift seed) and of
 * exactly SEAL_SMALL_SIZE and SEAL_LARGE_SIZE bytes with CRLF line ends:
 * Return-Path and Received trace lines as delivery prepends them, the
 * listed header fields (From, To, Subject, Date, Message-ID, ...), a text
 * body of words in lines of at most 72 characters; the large one is
 * multipart/mixed (RFC 2046 5.1) with a short text part and a base64
 * attachment (RFC 2045 6.8) of random bytes, lines of 76 characters.
 *
 * Each size is sealed a few times first (not counted), then n times, each
 * call timed alone with CLOCK_MONOTONIC; one line per size on stdout:
 *   SEAL size=10240 n=2000 warmup=20 key=ed25519 protect_subject=off
 *        sealed_bytes=... median_us=... p90_us=... mean_us=... min_us=... max_us=...
 * (p90 by nearest rank). The first sealed form is checked: an OpenPGP
 * armored message inside, and no byte of the body's marker outside it.
 *
 * Usage: seal-bench [-s N10K] [-l N1M] [-r RSA_BITS] [-p]
 *   -s, -l  iterations for the 10 KB and 1 MB messages (SEAL_SMALL_N, SEAL_LARGE_N)
 *   -r      an RSA key of RSA_BITS (2048..4096) instead of Ed25519/X25519
 *   -p      protect_subject on (the payload gets protected-headers="v1")
 * Exit status 0, or 1 with one line on stderr when a key or a seal fails.
 *
 * Limits: the sizes and counts above. Attacker control: none, the input is
 * generated here. Built by bench/smtp.sh with -O2, without sanitizers.
 */
#include "base/buf.h"
#include "base/mem.h"
#include "crypto/keys.h"
#include "crypto/seal.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Message sizes, bytes (headers included), and default iterations per size. */
#define SEAL_SMALL_SIZE 10240
#define SEAL_LARGE_SIZE (1024 * 1024)
#define SEAL_SMALL_N    2000
#define SEAL_LARGE_N    50
/* Calls before the timed ones: librnp's and the allocator's first-use costs. */
#define SEAL_SMALL_WARMUP 20
#define SEAL_LARGE_WARMUP 3
/* Text lines are filled with words up to this many characters (RFC 5322 2.1.1: 78). */
#define TEXT_LINE_MAX 72
/* Random bytes per base64 line: 57 bytes make the 76 characters of RFC 2045 6.8. */
#define B64_RAW_PER_LINE 57
/* Room left for the text part of the large message, around the attachment. */
#define LARGE_TEXT_ROOM 3000
/* In the body and its trace lines only: must not appear in the sealed form's clear part. */
#define BODY_MARKER "seal-bench-body-canary-7f3a"

#define BENCH_ADDRESS    "bench@bench.test"
#define BENCH_PASSPHRASE "seal-bench passphrase"

static const char *const words[] = {
        "the",    "quarterly", "figures", "are",      "attached", "and",      "we",
        "should", "discuss",   "them",    "before",   "friday",   "meeting",  "budget",
        "plan",   "team",      "review",  "project",  "numbers",  "customer", "report",
        "with",   "for",       "next",    "week",     "please",   "check",    "draft",
        "update", "schedule",  "thanks",  "shipment", "invoice",  "server",   "mail",
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* xorshift64: the same messages on every run. */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One line of words, at most TEXT_LINE_MAX characters, into line (NUL-terminated). */
static size_t text_line(char *line)
{
	size_t n = 0;

	for (;;) {
		const char *w = words[rng_next() % N_ELEMENTS(words)];
		size_t wl = strlen(w);

		if (n + (n > 0) + wl > TEXT_LINE_MAX)
			break;
		if (n > 0)
			line[n++] = ' ';
		memcpy(line + n, w, wl);
		n += wl;
	}
	line[n] = '\0';
	return n;
}

/*
 * Appends exactly len bytes of text lines ending in CRLF (len >= 2); the last
 * line is cut or padded so that the total comes out exact.
 */
static void put_text(struct buf *b, size_t len)
{
	char line[TEXT_LINE_MAX + 1];

	ASSERT(len >= 2);
	while (len > 0) {
		size_t n = text_line(line);

		/* a full line, unless what would remain is too short for a line of its own */
		if (len >= n + 2 + 3) {
			buf_append(b, line, n);
			len -= n + 2;
		} else {
			size_t want = len - 2;

			buf_append(b, line, want < n ? want : n);
			for (size_t i = n; i < want; i++)
				buf_putc(b, '.');
			len = 0;
		}
		buf_append(b, "\r\n", 2);
	}
}

/* Return-Path and Received fields as delivery prepends them, then the client's fields. */
static void put_header(struct buf *b, const char *subject)
{
	buf_printf(b,
	           "Return-Path: <alice@sender.test>\r\n"
	           "Received: from mail.sender.test (mail.sender.test [192.0.2.25])\r\n"
	           "\tby mx.bench.test (Tresor) with ESMTPS id 6c1f0b2e9d4a\r\n"
	           "\tfor <" BENCH_ADDRESS ">; Mon, 3 Jun 2024 10:15:02 +0000\r\n"
	           "Received: from [198.51.100.7] (client.sender.test [198.51.100.7])\r\n"
	           "\tby mail.sender.test (Postfix) with ESMTPSA id 4Vt2yQ0zKkz9sWb\r\n"
	           "\tfor <" BENCH_ADDRESS ">; Mon, 3 Jun 2024 12:14:59 +0200 (CEST)\r\n"
	           "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.test;\r\n"
	           "\ts=mail; t=1717409699; bh=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=;\r\n"
	           "\th=From:To:Subject:Date:Message-ID;\r\n"
	           "\tb=" BODY_MARKER "dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZQ==\r\n"
	           "From: Alice Example <alice@sender.test>\r\n"
	           "To: Bench Account <" BENCH_ADDRESS ">\r\n"
	           "Cc: Bob Example <bob@sender.test>\r\n"
	           "Subject: %s\r\n"
	           "Date: Mon, 3 Jun 2024 12:14:58 +0200\r\n"
	           "Message-ID: <20240603101458.4Vt2yQ0zKkz9sWb@sender.test>\r\n"
	           "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Thunderbird/115.11.0\r\n"
	           "MIME-Version: 1.0\r\n",
	           subject);
}

/* A text/plain message of exactly size bytes. */
static void make_small(struct buf *b, size_t size)
{
	put_header(b, "Quarterly figures and the plan for next week");
	buf_puts(b, "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
	            "Content-Transfer-Encoding: 7bit\r\n"
	            "\r\n" BODY_MARKER "\r\n");
	ASSERT(b->len + 2 < size);
	put_text(b, size - b->len);
}

/* Lines of base64 (RFC 2045 6.8) of random bytes, CRLF after each. */
static void put_base64(struct buf *b, size_t lines)
{
	unsigned char raw[B64_RAW_PER_LINE];
	char line[sodium_base64_ENCODED_LEN(B64_RAW_PER_LINE, sodium_base64_VARIANT_ORIGINAL)];

	for (size_t i = 0; i < lines; i++) {
		for (size_t j = 0; j < sizeof(raw); j++)
			raw[j] = (unsigned char)rng_next();
		sodium_bin2base64(line, sizeof(line), raw, sizeof(raw),
		                  sodium_base64_VARIANT_ORIGINAL);
		buf_puts(b, line);
		buf_append(b, "\r\n", 2);
	}
}

/*
 * A multipart/mixed message of exactly size bytes: the attachment takes all
 * but about LARGE_TEXT_ROOM bytes, the text part whatever remains after it.
 */
static void make_large(struct buf *b, size_t size)
{
	static const char boundary[] = "------------0sDbVq8uT0cM6hJ3Fk2LxW9e";
	struct buf att;
	size_t lines = (size - LARGE_TEXT_ROOM) / (4 * B64_RAW_PER_LINE / 3 + 2);

	buf_init(&att, 0);
	buf_printf(&att,
	           "--%s\r\n"
	           "Content-Type: application/pdf; name=\"figures-q2.pdf\"\r\n"
	           "Content-Disposition: attachment; filename=\"figures-q2.pdf\"\r\n"
	           "Content-Transfer-Encoding: base64\r\n"
	           "\r\n",
	           boundary);
	put_base64(&att, lines);
	buf_printf(&att, "--%s--\r\n", boundary);

	put_header(b, "Figures for Q2 (PDF attached)");
	buf_printf(b,
	           "Content-Type: multipart/mixed; boundary=\"%s\"\r\n"
	           "\r\n"
	           "This is a multi-part message in MIME format.\r\n"
	           "--%s\r\n"
	           "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
	           "Content-Transfer-Encoding: 7bit\r\n"
	           "\r\n" BODY_MARKER "\r\n",
	           boundary, boundary);
	ASSERT(b->len + att.len + 2 < size);
	/* the text part's last CRLF is the one the delimiter begins with (RFC 2046 5.1.1) */
	put_text(b, size - b->len - att.len);
	buf_append(b, att.data, att.len);
	buf_deinit(&att);
	ASSERT(b->len == size);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static _Noreturn void die(const char *what, const char *err)
{
	fprintf(stderr, "seal-bench: %s: %s\n", what, err);
	exit(1);
}

/* One crypto_seal() into out (reset first); its microseconds. */
static double seal_once(const struct crypto_seal_key *key, const struct buf *msg,
                        bool protect_subject, struct buf *out)
{
	char err[CRYPTO_ERROR_MAX] = "";
	double t0;
	int ret;

	buf_reset(out);
	t0 = now_us();
	ret = crypto_seal(key, 1, msg->data, msg->len, protect_subject, time(NULL), out, NULL, err,
	                  sizeof(err));
	if (ret != CRYPTO_OK)
		die("crypto_seal", err);
	return now_us() - t0;
}

/* The sealed form has an armored message, and the body's marker is not in its clear. */
static void check_sealed(const struct buf *out)
{
	static const char begin[] = "-----BEGIN PGP MESSAGE-----";
	const char *armor = memmem(out->data, out->len, begin, sizeof(begin) - 1);

	if (armor == NULL)
		die("check", "no armored OpenPGP message in the sealed form");
	if (memmem(out->data, out->len, BODY_MARKER, sizeof(BODY_MARKER) - 1) != NULL)
		die("check", "the body's marker is readable in the sealed form");
}

struct run {
	size_t size;
	unsigned n, warmup;
};

static void bench_size(const struct crypto_seal_key *key, const char *key_name, const struct run *r,
                       bool protect_subject)
{
	struct buf msg, out;
	double *us = xcalloc(r->n, sizeof(*us)), sum = 0;
	size_t sealed_bytes;

	buf_init(&msg, 0);
	buf_init(&out, 0);
	if (r->size == SEAL_LARGE_SIZE)
		make_large(&msg, r->size);
	else
		make_small(&msg, r->size);
	seal_once(key, &msg, protect_subject, &out);
	check_sealed(&out);
	sealed_bytes = out.len;
	for (unsigned i = 1; i < r->warmup; i++)
		seal_once(key, &msg, protect_subject, &out);
	for (unsigned i = 0; i < r->n; i++) {
		us[i] = seal_once(key, &msg, protect_subject, &out);
		sum += us[i];
	}
	qsort(us, r->n, sizeof(*us), cmp_double);
	printf("SEAL size=%zu n=%u warmup=%u key=%s protect_subject=%s sealed_bytes=%zu "
	       "median_us=%.0f p90_us=%.0f mean_us=%.0f min_us=%.0f max_us=%.0f\n",
	       msg.len, r->n, r->warmup, key_name, protect_subject ? "on" : "off", sealed_bytes,
	       r->n % 2 ? us[r->n / 2] : (us[r->n / 2 - 1] + us[r->n / 2]) / 2,
	       us[(r->n * 9 + 9) / 10 - 1], sum / r->n, us[0], us[r->n - 1]);
	fflush(stdout);
	buf_deinit(&msg);
	buf_deinit(&out);
	free(us);
}

static unsigned arg_count(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 1000000)
		die("bad count", s);
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	struct run small = {SEAL_SMALL_SIZE, SEAL_SMALL_N, SEAL_SMALL_WARMUP};
	struct run large = {SEAL_LARGE_SIZE, SEAL_LARGE_N, SEAL_LARGE_WARMUP};
	char err[CRYPTO_ERROR_MAX] = "", key_name[16] = "ed25519";
	struct crypto_seal_key sk;
	struct crypto_key k;
	unsigned rsa_bits = 0;
	bool protect_subject = false;
	int c;

	while ((c = getopt(argc, argv, "s:l:r:p")) != -1) {
		switch (c) {
		case 's':
			small.n = arg_count(optarg);
			break;
		case 'l':
			large.n = arg_count(optarg);
			break;
		case 'r':
			rsa_bits = arg_count(optarg);
			break;
		case 'p':
			protect_subject = true;
			break;
		default:
			fprintf(stderr,
			        "usage: seal-bench [-s N10K] [-l N1M] [-r RSA_BITS] [-p]\n");
			return 2;
		}
	}
	if (sodium_init() < 0)
		die("sodium_init", "failed");
	/* The allocator as the server sets it (base/mem.h). */
	mem_tune_for_server();
	memset(&k, 0, sizeof(k));
	if (crypto_key_generate(BENCH_ADDRESS, BENCH_PASSPHRASE, rsa_bits, &k, err, sizeof(err)) !=
	    CRYPTO_OK)
		die("crypto_key_generate", err);
	if (rsa_bits != 0)
		snprintf(key_name, sizeof(key_name), "rsa%u", rsa_bits);
	sk.data = k.public_key;
	sk.len = k.public_len;
	sk.fingerprint = k.fingerprint;
	bench_size(&sk, key_name, &small, protect_subject);
	bench_size(&sk, key_name, &large, protect_subject);
	crypto_key_deinit(&k);
	return 0;
}
