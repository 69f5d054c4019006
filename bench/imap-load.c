/*
 * imap-load.c - the IMAP load generator of `make bench` (bench/run.sh).
 *
 * One single-threaded epoll loop drives many IMAP client connections
 * (plain TCP or implicit TLS through OpenSSL), each with at most one
 * command in flight, the way a mail client talks. The same binary and the
 * same arguments are used against Tresor and against Dovecot, so the two
 * servers see byte-identical traffic.
 *
 * Subcommands (all print key=value result lines on stdout):
 *   ports N            print N free loopback TCP ports
 *   fill               APPEND --messages generated messages to every user's INBOX
 *   mix                the command mix, --mode persistent or --mode login
 *   idle-hold          open --conns TLS connections that LOGIN, SELECT and IDLE,
 *                      then report the server's memory growth (--mem-cmd)
 *   idle-latency       one session IDLEs, another APPENDs; time to EXISTS
 *
 * The messages come from a deterministic generator (realistic headers:
 * Received, DKIM-Signature, Message-ID, References, MIME multipart/alternative
 * for some), seeded by (user, index), so both servers get the same bytes.
 *
 * Limits: MAX_CONNS connections, IN_MAX bytes of buffered response per
 * connection (a larger response is an error), a hard --timeout for the whole
 * process (SIGALRM), TRIAL_TIMEOUT_MS per latency trial. Input: the server
 * under test, trusted (this is a benchmark tool, not part of the server).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS          20000
#define IN_MAX             (8 << 20)
#define OUT_INIT           4096
#define MSG_MAX            (64 << 10)
#define HANDSHAKE_PARALLEL 200
#define TRIAL_TIMEOUT_MS   5000
#define TRIAL_GAP_MS       20
#define RECONNECT_DELAY_MS 100
#define WINDOW_FLAGS       100
#define WINDOW_ENVELOPE    20
#define LOGIN_SESSION_OPS  3
#define MEM_SETTLE_MS      2000

enum op {
	OP_CONNECT,
	OP_LOGIN,
	OP_SELECT,
	OP_FETCH_FLAGS,
	OP_FETCH_ENV,
	OP_FETCH_BODY,
	OP_STORE,
	OP_SEARCH,
	OP_APPEND,
	OP_STORE_DEL,
	OP_EXPUNGE,
	OP_IDLE,
	OP_LOGOUT,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
        "CONNECT",    "LOGIN", "SELECT", "FETCH_FLAGS", "FETCH_ENVELOPE",
        "FETCH_BODY", "STORE", "SEARCH", "APPEND",      "STORE_DELETED",
        "EXPUNGE",    "IDLE",  "LOGOUT",
};

/* The mix: relative weights of the operations a logged-in client picks.
 * OP_STORE_DEL stands for the pair STORE +FLAGS.SILENT (\Deleted), EXPUNGE. */
static const struct {
	enum op op;
	int weight;
} mix_weights[] = {
        {OP_FETCH_FLAGS, 20}, {OP_FETCH_ENV, 20}, {OP_FETCH_BODY, 20}, {OP_STORE, 15},
        {OP_SEARCH, 10},      {OP_SELECT, 5},     {OP_APPEND, 5},      {OP_STORE_DEL, 5},
};

enum mode { M_FILL, M_MIX, M_IDLE_HOLD, M_LATENCY };
enum cstate { C_FREE, C_CONNECTING, C_HANDSHAKE, C_GREETING, C_OPEN, C_WAITING };

struct conn {
	enum cstate state;
	int fd;
	SSL *ssl;
	int slot;
	uint32_t gen; /* incremented per connection: stale epoll events are dropped */
	int user;
	bool want_write; /* socket write interest registered */
	uint32_t ev;     /* registered epoll events */
	/* input: [rstart, in_len) unconsumed; scan = where to look for CRLF */
	char *in;
	size_t in_len, in_cap, rstart, scan, lit_left;
	char *out;
	size_t out_len, out_off, out_cap;
	/* protocol */
	uint32_t exists;
	enum op op;    /* command in flight (OP_COUNT: none) */
	double t_sent; /* ms */
	char tag[16];
	unsigned tagn;
	int phase;      /* mode-specific */
	int sess_left;  /* login mode: ops left before LOGOUT */
	int fill_next;  /* fill: next message index */
	double wake_at; /* ms, 0: none */
	uint64_t rng;
};

struct latvec {
	double *v;
	size_t n, cap;
};

static struct {
	enum mode mode;
	const char *host;
	int port;
	bool tls;
	const char *server;
	const char *user_fmt, *pass_fmt;
	int users, first_user, clients, conns, messages, trials;
	bool login_mode;
	double warmup_s, duration_s, hold_s;
	unsigned timeout_s;
	const char *mem_cmd;
	unsigned seed;
	bool excluded[OP_COUNT]; /* --exclude: diagnostic mixes without an operation */
	/* runtime */
	int ep;
	SSL_CTX *ctx;
	struct conn *conns_v;
	int n_conns;
	double t0, t_start, t_end;
	bool stopping;
	struct latvec lat[OP_COUNT];
	uint64_t done[OP_COUNT], errs[OP_COUNT];
	uint64_t sessions, conn_fail, bye, expunge_issued;
	/* fill */
	int fill_done_users;
	uint64_t fill_bytes;
	/* idle-hold */
	int hold_started, hold_idle, hold_failed;
	/* latency */
	int trial, trial_missed;
	double trial_t0, trial_t_ok, trial_t_exists;
	bool idler_ready;
	struct latvec lat_send, lat_ok, lat_append;
	uint32_t idler_exists;
} G = {
        .host = "127.0.0.1",
        .user_fmt = "user%d@bench.test",
        .pass_fmt = "pass-%d-bench",
        .users = 8,
        .first_user = 1,
        .clients = 16,
        .conns = 1000,
        .messages = 2000,
        .trials = 100,
        .warmup_s = 3,
        .duration_s = 20,
        .hold_s = 0,
        .timeout_s = 600,
        .server = "server",
        .seed = 1,
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "imap-load: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL)
		die("out of memory");
	return q;
}

static void lat_push(struct latvec *l, double v)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = xrealloc(l->v, l->cap * sizeof(double));
	}
	l->v[l->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double lat_pct(struct latvec *l, double p)
{
	size_t i;

	if (l->n == 0)
		return NAN;
	qsort(l->v, l->n, sizeof(double), cmp_double);
	i = (size_t)ceil(p / 100.0 * l->n);
	return l->v[i == 0 ? 0 : i - 1];
}

static double lat_mean(const struct latvec *l)
{
	double s = 0;

	for (size_t i = 0; i < l->n; i++)
		s += l->v[i];
	return l->n ? s / l->n : NAN;
}

/* ---- random numbers (splitmix64: deterministic per seed) ---- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(rnd(s) % n) : 0;
}

/* ---- message generator ---- */

static const char *const first_names[] = {
        "Alice", "Bruno", "Chloé",  "Dmitri", "Elena", "Farid",  "Greta", "Hiroshi", "Ines",
        "Jonas", "Karin", "Luca",   "Maya",   "Nils",  "Olga",   "Pedro", "Quentin", "Rosa",
        "Sven",  "Tara",  "Ulrich", "Vera",   "Wen",   "Xavier", "Yara",  "Zoltan",
};
static const char *const last_names[] = {
        "Andersen", "Baker",   "Castro", "Dubois",     "Eriksen", "Fischer", "Garcia",
        "Huber",    "Ivanova", "Jensen", "Kowalski",   "Lambert", "Moreau",  "Novak",
        "Olsen",    "Petrov",  "Quinn",  "Rossi",      "Schmidt", "Tanaka",  "Urban",
        "Vogel",    "Weber",   "Young",  "Zimmermann",
};
static const char *const domains[] = {
        "example.org", "mail.example.net", "corp.example.com", "lists.example.org", "example.de",
};
static const char *const words[] = {
        "report",   "meeting",    "budget",    "quarterly", "invoice",    "project",   "release",
        "schedule", "review",     "draft",     "contract",  "proposal",   "update",    "deadline",
        "server",   "migration",  "holiday",   "travel",    "expense",    "approval",  "design",
        "feedback", "agenda",     "minutes",   "customer",  "order",      "shipment",  "delivery",
        "payment",  "account",    "security",  "backup",    "network",    "printer",   "office",
        "lunch",    "conference", "workshop",  "training",  "hiring",     "interview", "candidate",
        "offer",    "launch",     "marketing", "campaign",  "newsletter", "survey",    "results",
        "analysis", "forecast",   "revenue",   "target",    "strategy",   "roadmap",   "milestone",
        "planning", "weekly",     "monthly",   "annual",    "question",   "answer",    "issue",
        "ticket",   "support",    "request",   "change",    "policy",     "document",  "summary",
        "notes",    "photos",     "party",     "birthday",  "garden",     "weekend",   "football",
        "concert",  "dinner",     "the",       "and",       "for",        "with",      "from",
        "about",    "please",     "thanks",    "regards",   "we",         "should",    "could",
        "would",    "will",       "next",      "last",      "week",       "today",     "tomorrow",
        "soon",
};

static const char *pick(uint64_t *r, const char *const *v, size_t n)
{
	return v[rnd_below(r, (uint32_t)n)];
}

#define PICK(r, v) pick((r), (v), sizeof(v) / sizeof((v)[0]))

struct mbuf {
	char *p;
	size_t n, cap;
};

static void mb_printf(struct mbuf *m, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(m->p + m->n, m->cap - m->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= m->cap - m->n)
		die("message buffer too small");
	m->n += (size_t)k;
}

static void mb_base64ish(struct mbuf *m, uint64_t *r, int n)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (int i = 0; i < n; i++) {
		if (i > 0 && i % 72 == 0)
			mb_printf(m, "\r\n\t ");
		mb_printf(m, "%c", b64[rnd_below(r, 64)]);
	}
}

static void mb_words(struct mbuf *m, uint64_t *r, size_t target)
{
	size_t start = m->n, col = 0;

	while (m->n - start < target) {
		const char *w = PICK(r, words);
		size_t l = strlen(w);

		if (col + l + 1 > 72) {
			mb_printf(m, "\r\n");
			col = 0;
			if (rnd_below(r, 8) == 0)
				mb_printf(m, "\r\n");
		}
		mb_printf(m, "%s%s", col ? " " : "", w);
		col += l + (col ? 1 : 0);
	}
	mb_printf(m, "\r\n");
}

static void fmt_date(char *out, size_t n, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Builds message `idx` for user `user` (kind 0: fill, 1: appended during the mix). */
static size_t gen_message(char *buf, size_t cap, int user, int idx, int kind, bool *seen)
{
	uint64_t r = ((uint64_t)G.seed << 48) ^ ((uint64_t)kind << 40) ^ ((uint64_t)user << 24) ^
	             (uint64_t)idx;
	struct mbuf m = {buf, 0, cap};
	const char *ffirst, *flast, *fdom, *subj_prefix;
	char date[64], rcpt[128];
	time_t t = 1704067200 + (time_t)idx * 3600 + rnd_below(&r, 3600);
	bool multipart = rnd_below(&r, 10) < 3;
	size_t body = 1000 + rnd_below(&r, 5000);
	char boundary[40];

	rnd(&r);
	ffirst = PICK(&r, first_names);
	flast = PICK(&r, last_names);
	fdom = PICK(&r, domains);
	fmt_date(date, sizeof(date), t);
	snprintf(rcpt, sizeof(rcpt), G.user_fmt, user);
	mb_printf(&m, "Return-Path: <%s.%s@%s>\r\n", ffirst, flast, fdom);
	mb_printf(&m,
	          "Received: from mx%u.%s (mx%u.%s [192.0.2.%u])\r\n\tby mail.bench.test with "
	          "ESMTPS id %08llX\r\n\tfor <%s>; %s\r\n",
	          rnd_below(&r, 4), fdom, rnd_below(&r, 4), fdom, 1 + rnd_below(&r, 250),
	          (unsigned long long)(rnd(&r) & 0xffffffffULL), rcpt, date);
	mb_printf(&m,
	          "Received: from [10.%u.%u.%u] (unknown [10.0.0.1])\r\n\tby smtp.%s with ESMTPSA "
	          "id %08llX; %s\r\n",
	          rnd_below(&r, 255), rnd_below(&r, 255), rnd_below(&r, 255), fdom,
	          (unsigned long long)(rnd(&r) & 0xffffffffULL), date);
	mb_printf(
	        &m,
	        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=s2024;\r\n\th=from:"
	        "to:subject:date:message-id; bh=",
	        fdom);
	mb_base64ish(&m, &r, 44);
	mb_printf(&m, ";\r\n\tb=");
	mb_base64ish(&m, &r, 344);
	mb_printf(&m, "\r\nDate: %s\r\n", date);
	mb_printf(&m, "From: %s %s <%s.%s@%s>\r\n", ffirst, flast, ffirst, flast, fdom);
	mb_printf(&m, "To: Bench User %d <%s>\r\n", user, rcpt);
	if (rnd_below(&r, 10) < 3)
		mb_printf(&m, "Cc: %s %s <%s@%s>\r\n", PICK(&r, first_names), PICK(&r, last_names),
		          PICK(&r, words), PICK(&r, domains));
	subj_prefix = rnd_below(&r, 10) < 3 ? "Re: " : "";
	mb_printf(&m, "Subject: %s%s %s %s %s\r\n", subj_prefix, PICK(&r, words), PICK(&r, words),
	          PICK(&r, words), PICK(&r, words));
	mb_printf(&m, "Message-ID: <%016llx.%d.%d@%s>\r\n", (unsigned long long)rnd(&r), user, idx,
	          fdom);
	if (*subj_prefix) {
		unsigned long long ref = rnd(&r);

		mb_printf(&m, "In-Reply-To: <%016llx@%s>\r\nReferences: <%016llx@%s>\r\n", ref,
		          fdom, ref, fdom);
	}
	mb_printf(&m, "MIME-Version: 1.0\r\nX-Mailer: BenchMail 1.%u\r\n", rnd_below(&r, 9));
	if (!multipart) {
		mb_printf(&m, "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
		              "Content-Transfer-Encoding: 8bit\r\n\r\n");
		mb_printf(&m, "Hello,\r\n\r\n");
		mb_words(&m, &r, body);
		mb_printf(&m, "\r\n-- \r\n%s %s\r\n", ffirst, flast);
	} else {
		snprintf(boundary, sizeof(boundary), "b1_%016llx", (unsigned long long)rnd(&r));
		mb_printf(&m,
		          "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\nThis is a "
		          "multi-part message in MIME format.\r\n--%s\r\nContent-Type: text/plain; "
		          "charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
		          boundary, boundary);
		mb_words(&m, &r, body / 2);
		mb_printf(&m,
		          "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		          "Content-Transfer-Encoding: 8bit\r\n\r\n<html><body><p>\r\n",
		          boundary);
		mb_words(&m, &r, body / 2);
		mb_printf(&m, "</p></body></html>\r\n--%s--\r\n", boundary);
	}
	*seen = rnd_below(&r, 4) != 0;
	return m.n;
}

/* ---- connections ---- */

static void conn_close(struct conn *c);
static void on_ready(struct conn *c);
static void on_tagged(struct conn *c, bool ok);
static void on_untagged(struct conn *c, const char *line, size_t len);
static void on_continuation(struct conn *c);
static void conn_failed(struct conn *c);

static void ep_set(struct conn *c, uint32_t ev)
{
	struct epoll_event e = {.events = ev,
	                        .data.u64 = (uint64_t)c->gen << 32 | (uint32_t)c->slot};

	if (ev == c->ev)
		return;
	if (epoll_ctl(G.ep, EPOLL_CTL_MOD, c->fd, &e) < 0)
		die("epoll_ctl: %s", strerror(errno));
	c->ev = ev;
}

static void conn_start(struct conn *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)G.port)};
	struct epoll_event e = {.events = EPOLLIN | EPOLLOUT};
	int one = 1;

	c->gen++;
	e.data.u64 = (uint64_t)c->gen << 32 | (uint32_t)c->slot;

	inet_pton(AF_INET, G.host, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket: %s (raise ulimit -n)", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->state = C_CONNECTING;
	c->in_len = c->rstart = c->scan = c->lit_left = 0;
	c->out_len = c->out_off = 0;
	c->exists = 0;
	c->op = OP_CONNECT;
	c->t_sent = now_ms();
	c->phase = 0;
	c->wake_at = 0;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	if (epoll_ctl(G.ep, EPOLL_CTL_ADD, c->fd, &e) < 0)
		die("epoll_ctl add: %s", strerror(errno));
	c->ev = e.events;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(G.ep, EPOLL_CTL_DEL, c->fd, NULL);
		if (c->ssl != NULL) {
			SSL_free(c->ssl);
			c->ssl = NULL;
		}
		close(c->fd);
		c->fd = -1;
	}
	c->state = C_FREE;
}

static void out_append(struct conn *c, const void *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		while (c->out_len + n > c->out_cap)
			c->out_cap = c->out_cap ? c->out_cap * 2 : OUT_INIT;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

/* Writes what is queued. Returns false when the connection failed. */
static bool conn_flush(struct conn *c)
{
	bool want_out = false;

	while (c->out_off < c->out_len) {
		size_t n = c->out_len - c->out_off;
		ssize_t k;

		if (c->ssl != NULL) {
			int r = SSL_write(c->ssl, c->out + c->out_off, (int)n);

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					want_out = e == SSL_ERROR_WANT_WRITE;
					break;
				}
				return false;
			}
			k = r;
		} else {
			k = send(c->fd, c->out + c->out_off, n, MSG_NOSIGNAL);
			if (k < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					want_out = true;
					break;
				}
				return false;
			}
		}
		c->out_off += (size_t)k;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	ep_set(c, EPOLLIN | (want_out ? EPOLLOUT : 0));
	return true;
}

/* Sends "TAG <command>\r\n" (printf format) and starts the clock for `op`. */
static void send_cmd(struct conn *c, enum op op, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int k;

	snprintf(c->tag, sizeof(c->tag), "a%u", ++c->tagn);
	k = snprintf(line, sizeof(line), "%s ", c->tag);
	va_start(ap, fmt);
	k += vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
	va_end(ap);
	if (k >= (int)sizeof(line) - 2)
		die("command too long");
	memcpy(line + k, "\r\n", 2);
	out_append(c, line, (size_t)k + 2);
	c->op = op;
	c->t_sent = now_ms();
	c->state = C_WAITING;
	if (!conn_flush(c))
		conn_failed(c);
}

static void send_append(struct conn *c, int user, int idx, int kind)
{
	static char msg[MSG_MAX];
	bool seen;
	size_t n = gen_message(msg, sizeof(msg), user, idx, kind, &seen);
	char line[128];
	int k;

	snprintf(c->tag, sizeof(c->tag), "a%u", ++c->tagn);
	k = snprintf(line, sizeof(line), "%s APPEND INBOX (%s) {%zu+}\r\n", c->tag,
	             seen && kind == 0 ? "\\Seen" : "", n);
	out_append(c, line, (size_t)k);
	out_append(c, msg, n);
	out_append(c, "\r\n", 2);
	G.fill_bytes += n;
	c->op = OP_APPEND;
	c->t_sent = now_ms();
	c->state = C_WAITING;
	if (!conn_flush(c))
		conn_failed(c);
}

static void send_login(struct conn *c)
{
	char u[128], p[128];

	snprintf(u, sizeof(u), G.user_fmt, c->user);
	snprintf(p, sizeof(p), G.pass_fmt, c->user);
	send_cmd(c, OP_LOGIN, "LOGIN \"%s\" \"%s\"", u, p);
}

/* One complete response (first line at p, len bytes up to its CRLF). */
static void handle_response(struct conn *c, const char *p, size_t len)
{
	if (c->state == C_GREETING) {
		if (len >= 4 && memcmp(p, "* OK", 4) == 0) {
			if (G.t_start && now_ms() >= G.t_start && now_ms() <= G.t_end)
				lat_push(&G.lat[OP_CONNECT], now_ms() - c->t_sent);
			c->state = C_OPEN;
			c->op = OP_COUNT;
			on_ready(c);
		} else {
			conn_failed(c);
		}
		return;
	}
	if (p[0] == '*') {
		if (len >= 5 && memcmp(p, "* BYE", 5) == 0)
			G.bye++;
		on_untagged(c, p, len);
		return;
	}
	if (p[0] == '+') {
		on_continuation(c);
		return;
	}
	{
		size_t tl = strlen(c->tag);

		if (len > tl + 1 && memcmp(p, c->tag, tl) == 0 && p[tl] == ' ') {
			const char *st = p + tl + 1;
			size_t sl = len - tl - 1;
			bool ok = sl >= 2 && memcmp(st, "OK", 2) == 0;

			/* RFC 9051 7.1: another session expunged a message this command named.
			 * A consequence of the concurrent mix, not a server error. */
			if (!ok && memmem(st, sl, "[EXPUNGEISSUED]", 15) != NULL) {
				G.expunge_issued++;
				ok = true;
			}
			if (!ok && getenv("IMAP_LOAD_DEBUG"))
				fprintf(stderr, "%s: %.*s\n", op_names[c->op], (int)len, p);
			on_tagged(c, ok);
		}
	}
}

/* Splits the input into responses, following literals {n} / {n+}. */
static void parse_input(struct conn *c)
{
	while (c->state != C_FREE) {
		char *crlf;
		size_t e;

		if (c->lit_left > 0) {
			size_t avail = c->in_len - c->scan;

			if (avail < c->lit_left) {
				c->lit_left -= avail;
				c->scan = c->in_len;
				break;
			}
			c->scan += c->lit_left;
			c->lit_left = 0;
		}
		crlf = memmem(c->in + c->scan, c->in_len - c->scan, "\r\n", 2);
		if (crlf == NULL) {
			if (c->in_len > c->scan + 1)
				c->scan = c->in_len - 1;
			break;
		}
		e = (size_t)(crlf - c->in);
		if (e > c->rstart && c->in[e - 1] == '}') {
			size_t b = e - 1;

			while (b > c->rstart && c->in[b] != '{')
				b--;
			if (c->in[b] == '{') {
				c->lit_left = strtoul(c->in + b + 1, NULL, 10);
				c->scan = e + 2;
				continue;
			}
		}
		{
			const char *start = c->in + c->rstart;
			const char *first = memmem(start, e + 2 - c->rstart, "\r\n", 2);

			c->rstart = e + 2;
			c->scan = c->rstart;
			handle_response(c, start, (size_t)(first - start));
		}
	}
	if (c->state == C_FREE)
		return;
	if (c->rstart == c->in_len) {
		c->in_len = c->rstart = c->scan = 0;
	} else if (c->rstart > c->in_cap / 2) {
		memmove(c->in, c->in + c->rstart, c->in_len - c->rstart);
		c->in_len -= c->rstart;
		c->scan -= c->rstart;
		c->rstart = 0;
	}
}

/* Reads what is available. Returns false on EOF or error. */
static bool conn_read(struct conn *c)
{
	uint32_t gen = c->gen;

	for (;;) {
		ssize_t k;

		if (c->in_cap - c->in_len < 16384) {
			if (c->in_cap >= IN_MAX)
				return false;
			c->in_cap = c->in_cap ? c->in_cap * 2 : 32768;
			c->in = xrealloc(c->in, c->in_cap);
		}
		if (c->ssl != NULL) {
			int r = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));

			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);

				if (e == SSL_ERROR_WANT_READ)
					return true;
				if (e == SSL_ERROR_WANT_WRITE) {
					ep_set(c, EPOLLIN | EPOLLOUT);
					return true;
				}
				return false;
			}
			k = r;
		} else {
			k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
			if (k == 0)
				return false;
			if (k < 0)
				return errno == EAGAIN || errno == EINTR;
		}
		c->in_len += (size_t)k;
		parse_input(c);
		if (c->state == C_FREE || c->gen != gen)
			return true;
	}
}

static void conn_handshake(struct conn *c)
{
	int r = SSL_connect(c->ssl);

	if (r == 1) {
		c->state = C_GREETING;
		ep_set(c, EPOLLIN);
		if (!conn_read(c))
			conn_failed(c);
		return;
	}
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		ep_set(c, EPOLLIN);
		break;
	case SSL_ERROR_WANT_WRITE:
		ep_set(c, EPOLLIN | EPOLLOUT);
		break;
	default:
		conn_failed(c);
	}
}

static void conn_event(struct conn *c, uint32_t ev)
{
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			conn_failed(c);
			return;
		}
		if (G.tls) {
			c->ssl = SSL_new(G.ctx);
			SSL_set_fd(c->ssl, c->fd);
			c->state = C_HANDSHAKE;
		} else {
			c->state = C_GREETING;
			ep_set(c, EPOLLIN);
		}
	}
	if (c->state == C_HANDSHAKE) {
		conn_handshake(c);
		return;
	}
	if ((ev & EPOLLOUT) && !conn_flush(c)) {
		conn_failed(c);
		return;
	}
	{
		uint32_t gen = c->gen;

		if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->state != C_FREE && gen == c->gen &&
		    !conn_read(c))
			conn_failed(c);
	}
}

/* ---- the mix ---- */

static bool in_window(double t)
{
	return G.t_start > 0 && t >= G.t_start && t <= G.t_end;
}

static enum op pick_op(struct conn *c, bool allow_select)
{
	int total = 0, x;

	for (size_t i = 0; i < sizeof(mix_weights) / sizeof(mix_weights[0]); i++)
		if ((allow_select || mix_weights[i].op != OP_SELECT) &&
		    !G.excluded[mix_weights[i].op])
			total += mix_weights[i].weight;
	x = (int)rnd_below(&c->rng, (uint32_t)total);
	for (size_t i = 0; i < sizeof(mix_weights) / sizeof(mix_weights[0]); i++) {
		if ((!allow_select && mix_weights[i].op == OP_SELECT) ||
		    G.excluded[mix_weights[i].op])
			continue;
		if (x < mix_weights[i].weight)
			return mix_weights[i].op;
		x -= mix_weights[i].weight;
	}
	return OP_FETCH_FLAGS;
}

static void window(struct conn *c, uint32_t size, uint32_t *lo, uint32_t *hi)
{
	if (c->exists <= size) {
		*lo = 1;
		*hi = c->exists;
		return;
	}
	*lo = 1 + rnd_below(&c->rng, c->exists - size + 1);
	*hi = *lo + size - 1;
}

static void mix_send(struct conn *c, enum op op)
{
	uint32_t lo, hi, n;

	if (c->exists == 0 && op != OP_SELECT)
		op = OP_APPEND;
	n = 1 + rnd_below(&c->rng, c->exists ? c->exists : 1);
	switch (op) {
	case OP_SELECT:
		send_cmd(c, op, "SELECT INBOX");
		break;
	case OP_FETCH_FLAGS:
		window(c, WINDOW_FLAGS, &lo, &hi);
		send_cmd(c, op, "FETCH %u:%u (UID FLAGS)", lo, hi);
		break;
	case OP_FETCH_ENV:
		window(c, WINDOW_ENVELOPE, &lo, &hi);
		send_cmd(c, op, "FETCH %u:%u (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)", lo,
		         hi);
		break;
	case OP_FETCH_BODY:
		send_cmd(c, op, "FETCH %u BODY.PEEK[]", n);
		break;
	case OP_STORE: {
		static const char *const forms[] = {"+FLAGS (\\Seen)", "-FLAGS (\\Seen)",
		                                    "+FLAGS (\\Flagged)", "-FLAGS (\\Flagged)"};

		send_cmd(c, op, "STORE %u %s", n, forms[rnd_below(&c->rng, 4)]);
		break;
	}
	case OP_SEARCH:
		switch (rnd_below(&c->rng, 3)) {
		case 0:
			send_cmd(c, op, "SEARCH UNSEEN");
			break;
		case 1:
			send_cmd(c, op, "SEARCH SUBJECT \"%s\"", PICK(&c->rng, words));
			break;
		default:
			send_cmd(c, op, "SEARCH FROM \"%s\"", PICK(&c->rng, last_names));
		}
		break;
	case OP_APPEND:
		send_append(c, c->user, (int)(rnd(&c->rng) & 0x7fffffff), 1);
		break;
	case OP_STORE_DEL:
		send_cmd(c, op, "STORE %u +FLAGS.SILENT (\\Deleted)", n);
		break;
	default:
		send_cmd(c, OP_FETCH_FLAGS, "FETCH 1 (FLAGS)");
	}
}

static void mix_next(struct conn *c, enum op finished)
{
	if (G.stopping) {
		conn_close(c);
		return;
	}
	switch (finished) {
	case OP_COUNT: /* greeting */
		send_login(c);
		return;
	case OP_LOGIN:
		send_cmd(c, OP_SELECT, "SELECT INBOX");
		c->sess_left = LOGIN_SESSION_OPS;
		return;
	case OP_STORE_DEL:
		send_cmd(c, OP_EXPUNGE, "EXPUNGE");
		return;
	case OP_LOGOUT:
		if (in_window(now_ms()))
			G.sessions++;
		conn_close(c);
		conn_start(c);
		return;
	default:
		break;
	}
	if (G.login_mode) {
		if (c->sess_left-- <= 0) {
			send_cmd(c, OP_LOGOUT, "LOGOUT");
			return;
		}
		mix_send(c, pick_op(c, false));
		return;
	}
	mix_send(c, pick_op(c, true));
}

/* ---- mode dispatch ---- */

static void fill_next(struct conn *c)
{
	if (c->fill_next < G.messages) {
		send_append(c, c->user, c->fill_next, 0);
		c->fill_next++;
		return;
	}
	if (c->phase == 0) {
		c->phase = 1;
		send_cmd(c, OP_LOGOUT, "LOGOUT");
		return;
	}
	G.fill_done_users++;
	conn_close(c);
}

static void hold_start_more(void);

static void on_ready(struct conn *c)
{
	switch (G.mode) {
	case M_MIX:
		mix_next(c, OP_COUNT);
		break;
	default:
		send_login(c);
	}
}

static void latency_try_trial(void);

static void on_tagged(struct conn *c, bool ok)
{
	double t = now_ms();
	enum op op = c->op;

	c->state = C_OPEN;
	c->op = OP_COUNT;
	if (G.mode == M_MIX) {
		if (in_window(t)) {
			G.done[op]++;
			if (!ok)
				G.errs[op]++;
			lat_push(&G.lat[op], t - c->t_sent);
		}
		mix_next(c, op);
		return;
	}
	G.done[op]++;
	if (!ok) {
		G.errs[op]++;
		if (op == OP_LOGIN || op == OP_SELECT || op == OP_IDLE) {
			conn_failed(c);
			return;
		}
	}
	switch (G.mode) {
	case M_FILL:
		if (op == OP_LOGOUT) {
			fill_next(c);
			return;
		}
		fill_next(c);
		return;
	case M_IDLE_HOLD:
		if (op == OP_LOGIN)
			send_cmd(c, OP_SELECT, "SELECT INBOX");
		else if (op == OP_SELECT)
			send_cmd(c, OP_IDLE, "IDLE");
		return;
	case M_LATENCY:
		if (c->slot == 0) { /* idler */
			if (op == OP_LOGIN)
				send_cmd(c, OP_SELECT, "SELECT INBOX");
			else if (op == OP_SELECT) {
				G.idler_exists = c->exists;
				send_cmd(c, OP_IDLE, "IDLE");
			}
			return;
		}
		if (op == OP_APPEND && G.trial_t0 > 0) {
			G.trial_t_ok = t;
			lat_push(&G.lat_append, t - G.trial_t0);
		}
		c->phase = 1; /* appender logged in, ready */
		latency_try_trial();
		return;
	default:
		return;
	}
}

static void on_untagged(struct conn *c, const char *line, size_t len)
{
	unsigned long n;
	char *end;

	if (len < 3 || line[2] < '0' || line[2] > '9')
		return;
	n = strtoul(line + 2, &end, 10);
	if ((size_t)(end - line) + 7 <= len && memcmp(end, " EXISTS", 7) == 0) {
		c->exists = (uint32_t)n;
		if (G.mode == M_LATENCY && c->slot == 0 && G.idler_ready && n > G.idler_exists) {
			G.idler_exists = (uint32_t)n;
			if (G.trial_t0 > 0 && G.trial_t_exists == 0) {
				G.trial_t_exists = now_ms();
				latency_try_trial();
			}
		}
	} else if ((size_t)(end - line) + 8 <= len && memcmp(end, " EXPUNGE", 8) == 0) {
		if (c->exists > 0)
			c->exists--;
	}
}

static void on_continuation(struct conn *c)
{
	if (c->op != OP_IDLE)
		return;
	c->state = C_OPEN;
	c->op = OP_COUNT;
	G.done[OP_IDLE]++;
	if (G.mode == M_IDLE_HOLD) {
		G.hold_idle++;
		hold_start_more();
	} else if (G.mode == M_LATENCY) {
		G.idler_ready = true;
		latency_try_trial();
	}
}

static void conn_failed(struct conn *c)
{
	if (getenv("IMAP_LOAD_DEBUG"))
		fprintf(stderr, "conn %d failed in state %d op %s: %s\n", c->slot, c->state,
		        c->op < OP_COUNT ? op_names[c->op] : "-",
		        ERR_error_string(ERR_get_error(), NULL));
	ERR_clear_error();
	G.conn_fail++;
	conn_close(c);
	switch (G.mode) {
	case M_MIX:
		if (!G.stopping)
			c->wake_at = now_ms() + RECONNECT_DELAY_MS;
		break;
	case M_IDLE_HOLD:
		G.hold_failed++;
		hold_start_more();
		break;
	case M_FILL:
		die("fill: connection for user %d failed", c->user);
		break;
	case M_LATENCY:
		die("latency: connection failed");
	}
}

/* ---- idle-hold ---- */

static long run_mem_cmd(void)
{
	FILE *f;
	long v = -1;

	if (G.mem_cmd == NULL)
		return -1;
	f = popen(G.mem_cmd, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	pclose(f);
	return v;
}

static void hold_start_more(void)
{
	while (G.hold_started < G.conns &&
	       G.hold_started - G.hold_idle - G.hold_failed < HANDSHAKE_PARALLEL) {
		struct conn *c = &G.conns_v[G.hold_started];

		c->user = G.first_user + G.hold_started % G.users;
		G.hold_started++;
		conn_start(c);
	}
}

/* ---- latency ---- */

static void latency_try_trial(void)
{
	struct conn *ap = &G.conns_v[1];
	double t = now_ms();

	if (!G.idler_ready || ap->phase == 0 || ap->state != C_OPEN)
		return;
	if (G.trial_t0 > 0) {
		if (G.trial_t_ok == 0 || G.trial_t_exists == 0)
			return; /* still running */
		lat_push(&G.lat_send, G.trial_t_exists - G.trial_t0);
		lat_push(&G.lat_ok, G.trial_t_exists - G.trial_t_ok);
		G.trial_t0 = 0;
		G.trial++;
	}
	if (G.trial >= G.trials) {
		G.stopping = true;
		return;
	}
	ap->wake_at = t + TRIAL_GAP_MS;
}

static void latency_timer(struct conn *c)
{
	double t = now_ms();

	if (c->slot != 1)
		return;
	if (G.trial_t0 > 0) { /* trial timed out */
		G.trial_missed++;
		G.trial_t0 = 0;
		G.trial++;
		latency_try_trial();
		return;
	}
	G.trial_t0 = t;
	G.trial_t_ok = G.trial_t_exists = 0;
	c->wake_at = t + TRIAL_TIMEOUT_MS;
	send_append(c, c->user, 1000000 + G.trial, 1);
}

/* ---- main loop ---- */

static void timers(void)
{
	double t = now_ms();

	for (int i = 0; i < G.n_conns; i++) {
		struct conn *c = &G.conns_v[i];

		if (c->wake_at == 0 || c->wake_at > t)
			continue;
		c->wake_at = 0;
		if (G.mode == M_MIX && c->state == C_FREE && !G.stopping)
			conn_start(c);
		else if (G.mode == M_LATENCY)
			latency_timer(c);
	}
}

static double next_timer(void)
{
	double m = 0;

	if (G.mode == M_IDLE_HOLD)
		return 0;
	for (int i = 0; i < G.n_conns; i++)
		if (G.conns_v[i].wake_at > 0 && (m == 0 || G.conns_v[i].wake_at < m))
			m = G.conns_v[i].wake_at;
	return m;
}

static bool finished(void);

static void loop(double deadline)
{
	struct epoll_event evs[512];

	while (!finished()) {
		double t = now_ms(), nt = next_timer();
		int wait = 100, n;

		if (deadline > 0 && t >= deadline)
			return;
		if (nt > 0)
			wait = nt <= t ? 0 : (int)(nt - t) + 1;
		if (wait > 100)
			wait = 100;
		n = epoll_wait(G.ep, evs, 512, wait);
		for (int i = 0; i < n; i++) {
			struct conn *c = &G.conns_v[(uint32_t)evs[i].data.u64];

			if (c->state != C_FREE && c->gen == (uint32_t)(evs[i].data.u64 >> 32))
				conn_event(c, evs[i].events);
		}
		timers();
	}
}

static bool finished(void)
{
	switch (G.mode) {
	case M_FILL:
		return G.fill_done_users == G.users;
	case M_IDLE_HOLD:
		return G.hold_idle + G.hold_failed == G.conns;
	case M_LATENCY:
		return G.stopping;
	default:
		return false;
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "imap-load: --timeout reached\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void alloc_conns(int n)
{
	G.n_conns = n;
	G.conns_v = calloc((size_t)n, sizeof(struct conn));
	if (G.conns_v == NULL)
		die("out of memory");
	for (int i = 0; i < n; i++) {
		G.conns_v[i].fd = -1;
		G.conns_v[i].slot = i;
		G.conns_v[i].rng = ((uint64_t)G.seed << 32) ^ (uint64_t)(i + 1) * 7919;
		G.conns_v[i].op = OP_COUNT;
	}
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int run_fill(void)
{
	double t0 = now_ms(), dt;

	alloc_conns(G.users);
	for (int i = 0; i < G.users; i++) {
		G.conns_v[i].user = i + 1;
		conn_start(&G.conns_v[i]);
	}
	loop(0);
	dt = (now_ms() - t0) / 1e3;
	printf("FILL server=%s users=%d messages=%d seconds=%.1f appends_per_s=%.0f "
	       "mean_bytes=%.0f errors=%llu\n",
	       G.server, G.users, G.messages, dt, G.done[OP_APPEND] / dt,
	       (double)G.fill_bytes / (G.users * (double)G.messages),
	       (unsigned long long)G.errs[OP_APPEND]);
	return G.errs[OP_APPEND] ? 1 : 0;
}

static int run_mix(void)
{
	double cpu0, dt;
	uint64_t total = 0, errs = 0;

	alloc_conns(G.clients);
	for (int i = 0; i < G.clients; i++) {
		G.conns_v[i].user = i % G.users + 1;
		conn_start(&G.conns_v[i]);
	}
	G.t0 = now_ms();
	G.t_start = G.t0 + G.warmup_s * 1e3;
	G.t_end = G.t_start + G.duration_s * 1e3;
	loop(G.t_start);
	cpu0 = cpu_seconds();
	loop(G.t_end);
	dt = G.duration_s;
	G.stopping = true;
	for (int op = OP_LOGIN; op < OP_COUNT; op++) {
		total += G.done[op];
		errs += G.errs[op];
	}
	char mixname[256] = "full";

	for (int op = OP_SELECT; op < OP_COUNT; op++)
		if (G.excluded[op])
			snprintf(mixname + strlen(mixname), sizeof(mixname) - strlen(mixname),
			         "-%s", op_names[op]);
	printf("RESULT mix=%s server=%s mode=%s clients=%d users=%d seconds=%.1f commands=%llu "
	       "cmds_per_s=%.1f sessions_per_s=%.1f errors=%llu expungeissued=%llu "
	       "conn_failures=%llu client_cpu_pct=%.0f\n",
	       mixname, G.server, G.login_mode ? "login" : "persistent", G.clients, G.users, dt,
	       (unsigned long long)total, total / dt, G.sessions / dt, (unsigned long long)errs,
	       (unsigned long long)G.expunge_issued, (unsigned long long)G.conn_fail,
	       100.0 * (cpu_seconds() - cpu0) / dt);
	for (int op = OP_CONNECT; op < OP_COUNT; op++) {
		struct latvec *l = &G.lat[op];

		if (l->n == 0)
			continue;
		printf("OP server=%s mode=%s op=%s n=%zu errors=%llu mean_ms=%.3f p50_ms=%.3f "
		       "p99_ms=%.3f\n",
		       G.server, G.login_mode ? "login" : "persistent", op_names[op], l->n,
		       (unsigned long long)G.errs[op], lat_mean(l), lat_pct(l, 50), lat_pct(l, 99));
	}
	for (int i = 0; i < G.n_conns; i++)
		conn_close(&G.conns_v[i]);
	return 0;
}

static int run_idle_hold(void)
{
	long before, after;
	double t0;

	alloc_conns(G.conns);
	before = run_mem_cmd();
	t0 = now_ms();
	hold_start_more();
	loop(0);
	{
		double setup = (now_ms() - t0) / 1e3;
		double settle = now_ms() + MEM_SETTLE_MS;

		/* let the server finish whatever the last commands left behind */
		G.mode = M_MIX;
		G.stopping = true;
		loop(settle);
		after = run_mem_cmd();
		printf("IDLE server=%s first_user=%d conns=%d idle=%d failed=%d setup_s=%.1f "
		       "mem_before_kib=%ld "
		       "mem_after_kib=%ld per_conn_bytes=%.0f\n",
		       G.server, G.first_user, G.conns, G.hold_idle, G.hold_failed, setup, before,
		       after,
		       G.hold_idle && before >= 0 && after >= 0
		               ? (after - before) * 1024.0 / G.hold_idle
		               : NAN);
		fflush(stdout);
	}
	if (G.hold_s > 0)
		loop(now_ms() + G.hold_s * 1e3);
	return G.hold_failed ? 1 : 0;
}

static int run_latency(void)
{
	alloc_conns(2);
	G.conns_v[0].user = G.conns_v[1].user = 1;
	conn_start(&G.conns_v[0]);
	conn_start(&G.conns_v[1]);
	loop(0);
	printf("LATENCY server=%s trials=%d missed=%d from_send_p50_ms=%.3f from_send_p99_ms=%.3f "
	       "from_ok_p50_ms=%.3f from_ok_p99_ms=%.3f append_p50_ms=%.3f append_p99_ms=%.3f\n",
	       G.server, G.trials, G.trial_missed, lat_pct(&G.lat_send, 50),
	       lat_pct(&G.lat_send, 99), lat_pct(&G.lat_ok, 50), lat_pct(&G.lat_ok, 99),
	       lat_pct(&G.lat_append, 50), lat_pct(&G.lat_append, 99));
	return G.trial_missed ? 1 : 0;
}

static int run_ports(int n)
{
	int fds[64];

	if (n < 1 || n > 64)
		die("ports: 1 to 64");
	for (int i = 0; i < n; i++) {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		socklen_t l = sizeof(sa);

		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &l) < 0)
			die("ports: %s", strerror(errno));
		printf("%d%s", ntohs(sa.sin_port), i + 1 < n ? " " : "\n");
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: imap-load ports N\n"
	        "       imap-load fill|mix|idle-hold|idle-latency --port P [options]\n"
	        "  --host H (127.0.0.1) --port P --tls --server NAME\n"
	        "  --user-fmt FMT (user%%d@bench.test) --pass-fmt FMT --users N (8)\n"
	        "  --first-user N (1): idle-hold uses users N .. N+users-1\n"
	        "  fill:  --messages M (2000)\n"
	        "  mix:   --mode persistent|login --clients N (16) --warmup S --duration S\n"
	        "         --exclude OP (diagnostics: leave SEARCH, SELECT, APPEND... out of the "
	        "mix)\n"
	        "  idle-hold: --conns N --mem-cmd CMD (prints KiB) --hold S\n"
	        "  idle-latency: --trials N (100)\n"
	        "  --timeout S (600) --seed N\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sub;
	struct rlimit rl;

	if (argc < 2)
		usage();
	sub = argv[1];
	if (strcmp(sub, "ports") == 0)
		return run_ports(argc > 2 ? atoi(argv[2]) : 1);
	if (strcmp(sub, "fill") == 0)
		G.mode = M_FILL;
	else if (strcmp(sub, "mix") == 0)
		G.mode = M_MIX;
	else if (strcmp(sub, "idle-hold") == 0)
		G.mode = M_IDLE_HOLD;
	else if (strcmp(sub, "idle-latency") == 0)
		G.mode = M_LATENCY;
	else
		usage();
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

#define ARG(name) (strcmp(a, name) == 0 && v != NULL && (i++, 1))
		if (strcmp(a, "--tls") == 0)
			G.tls = true;
		else if (ARG("--host"))
			G.host = v;
		else if (ARG("--port"))
			G.port = atoi(v);
		else if (ARG("--server"))
			G.server = v;
		else if (ARG("--user-fmt"))
			G.user_fmt = v;
		else if (ARG("--pass-fmt"))
			G.pass_fmt = v;
		else if (ARG("--users"))
			G.users = atoi(v);
		else if (ARG("--first-user"))
			G.first_user = atoi(v);
		else if (ARG("--clients"))
			G.clients = atoi(v);
		else if (ARG("--conns"))
			G.conns = atoi(v);
		else if (ARG("--messages"))
			G.messages = atoi(v);
		else if (ARG("--trials"))
			G.trials = atoi(v);
		else if (ARG("--warmup"))
			G.warmup_s = atof(v);
		else if (ARG("--duration"))
			G.duration_s = atof(v);
		else if (ARG("--hold"))
			G.hold_s = atof(v);
		else if (ARG("--timeout"))
			G.timeout_s = (unsigned)atoi(v);
		else if (ARG("--mem-cmd"))
			G.mem_cmd = v;
		else if (ARG("--seed"))
			G.seed = (unsigned)atoi(v);
		else if (ARG("--exclude")) {
			int k;

			for (k = OP_SELECT; k < OP_COUNT; k++)
				if (strcmp(v, op_names[k]) == 0)
					G.excluded[k] = true;
		} else if (ARG("--mode")) {
			if (strcmp(v, "login") == 0)
				G.login_mode = true;
			else if (strcmp(v, "persistent") != 0)
				usage();
		} else
			usage();
#undef ARG
	}
	if (G.port <= 0 || G.users < 1 || G.clients < 1 || G.clients > MAX_CONNS || G.conns < 1 ||
	    G.conns > MAX_CONNS || G.trials < 1 || G.messages < 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm(G.timeout_s);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	G.ep = epoll_create1(EPOLL_CLOEXEC);
	if (G.tls) {
		G.ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_min_proto_version(G.ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(G.ctx, SSL_VERIFY_NONE, NULL);
		SSL_CTX_set_mode(G.ctx, SSL_MODE_RELEASE_BUFFERS);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	switch (G.mode) {
	case M_FILL:
		return run_fill();
	case M_MIX:
		return run_mix();
	case M_IDLE_HOLD:
		return run_idle_hold();
	case M_LATENCY:
		return run_latency();
	}
	return 2;
}
