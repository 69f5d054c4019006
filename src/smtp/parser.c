/*
 * parser.c - the pure SMTP command line parser; see parser.h.
 *
 * RFC 5321 4.1.1 (command syntax), 4.1.2 (Path, Mailbox, Local-part, Domain,
 * address-literal), 4.1.3 (IPv4/IPv6 address literals), 4.5.3.1 (size
 * limits); RFC 6531 3.3 (UTF-8 atext, qtext and U-labels); RFC 1869 and RFC
 * 5321 4.1.2 (esmtp-param); RFC 3461 4 (xtext); RFC 3030 2 (BDAT).
 *
 * Deviations, all stricter or harmless:
 *  - the verb ends at the first SP; any number of SPs may follow it, and
 *    trailing SPs of the line are ignored (clients send them);
 *  - XXX a U-label is checked for UTF-8 validity and LDH placement of its
 *    hyphens only, not against IDNA2008 (RFC 5891); ASCII labels are held to
 *    63 octets (RFC 1035 2.3.4), U-labels are not;
 *  - a General-address-literal ("[tag:...]" other than IPv6) is refused.
 *
 * Limits: SMTP_PATH_MAX, SMTP_LOCAL_PART_MAX, SMTP_DOMAIN_MAX,
 * SMTP_PARAMS_MAX, SMTP_BDAT_SIZE_MAX.
 * Attacker control: every byte of the line. Every read is bounded by the
 * length the caller gives; nothing is allocated; results are slices.
 */
#include "smtp/parser.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/str.h"

/* RFC 1035 2.3.4: a label is at most 63 octets. */
#define SMTP_LABEL_MAX 63
/* Longest address literal content: "IPv6:" and INET6_ADDRSTRLEN - 1. */
#define SMTP_LITERAL_MAX (5 + 45)
/* BDAT chunk sizes above 2^63 are refused (they cannot be a real chunk). */
#define SMTP_BDAT_SIZE_MAX ((uint64_t)1 << 63)

#define ERR_CHAR        "500 5.5.2 Invalid character in command"
#define ERR_PARAM       "501 5.5.4 Bad parameter syntax"
#define ERR_PARAMS_MANY "501 5.5.4 Too many parameters"
#define ERR_BDAT        "501 5.5.4 Syntax: BDAT size [LAST]"

/* The replies that differ between MAIL (sender) and RCPT (recipient). */
struct path_errors {
	const char *syntax;
	const char *address;
	const char *local_long;
	const char *domain_long;
	const char *path_long;
};

static const struct path_errors mail_errors = {
        .syntax = "501 5.5.4 Syntax: MAIL FROM:<address>",
        .address = "501 5.1.7 Bad sender address syntax",
        .local_long = "501 5.1.7 Sender local part too long",
        .domain_long = "501 5.1.7 Sender domain too long",
        .path_long = "501 5.1.7 Sender path too long",
};

static const struct path_errors rcpt_errors = {
        .syntax = "501 5.5.4 Syntax: RCPT TO:<address>",
        .address = "501 5.1.3 Bad recipient address syntax",
        .local_long = "501 5.1.3 Recipient local part too long",
        .domain_long = "501 5.1.3 Recipient domain too long",
        .path_long = "501 5.1.3 Recipient path too long",
};

static const struct {
	const char *name;
	enum smtp_verb verb;
} smtp_verbs[] = {
        {"HELO", SMTP_VERB_HELO}, {"EHLO", SMTP_VERB_EHLO},         {"MAIL", SMTP_VERB_MAIL},
        {"RCPT", SMTP_VERB_RCPT}, {"DATA", SMTP_VERB_DATA},         {"BDAT", SMTP_VERB_BDAT},
        {"RSET", SMTP_VERB_RSET}, {"NOOP", SMTP_VERB_NOOP},         {"QUIT", SMTP_VERB_QUIT},
        {"HELP", SMTP_VERB_HELP}, {"VRFY", SMTP_VERB_VRFY},         {"EXPN", SMTP_VERB_EXPN},
        {"AUTH", SMTP_VERB_AUTH}, {"STARTTLS", SMTP_VERB_STARTTLS},
};

/* ---- character classes ---- */

static bool is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_let_dig(unsigned char c)
{
	return is_alpha(c) || is_digit(c);
}

/* RFC 5322 3.2.3 atext, ASCII part. */
static bool is_atext(unsigned char c)
{
	return is_let_dig(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5321 4.1.2 qtextSMTP, ASCII part: %d32-33 / %d35-91 / %d93-126. */
static bool is_qtext(unsigned char c)
{
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

/* RFC 1869 esmtp-value: %d33-60 / %d62-126, ASCII part. */
static bool is_param_value_char(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=';
}

/* Length of the valid non-ASCII UTF-8 character at p (RFC 3629 4), or 0. */
static size_t utf8_char_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len = str_utf8_char(p, n, &cp);

	return len > 1 ? len : 0;
}

/* ---- a cursor over the bytes of a path ---- */

struct cursor {
	const unsigned char *p;
	size_t pos;
	size_t len;
	bool utf8; /* a non-ASCII character was taken */
};

static int cur_peek(const struct cursor *c)
{
	return c->pos < c->len ? c->p[c->pos] : -1;
}

static bool cur_take(struct cursor *c, unsigned char ch)
{
	if (cur_peek(c) != ch)
		return false;
	c->pos++;
	return true;
}

/* Takes one valid non-ASCII UTF-8 character (RFC 6531 3.3 UTF8-non-ascii). */
static bool cur_take_utf8(struct cursor *c)
{
	size_t n;

	if (cur_peek(c) < 0x80)
		return false;
	n = utf8_char_len(c->p + c->pos, c->len - c->pos);
	if (n == 0)
		return false;
	c->pos += n;
	c->utf8 = true;
	return true;
}

/* ---- RFC 5321 4.1.2 Local-part ---- */

/* Dot-string = Atom *("." Atom); Atom = 1*atext (RFC 6531: UTF-8 atext). */
static bool local_dot_string(struct cursor *c)
{
	for (;;) {
		size_t start = c->pos;

		for (;;) {
			int ch = cur_peek(c);

			if (ch >= 0 && ch < 0x80 && is_atext((unsigned char)ch))
				c->pos++;
			else if (!cur_take_utf8(c))
				break;
		}
		if (c->pos == start)
			return false;
		if (!cur_take(c, '.'))
			return true;
	}
}

/* Quoted-string = DQUOTE *QcontentSMTP DQUOTE; quoted-pairSMTP = "\" %d32-126. */
static bool local_quoted_string(struct cursor *c)
{
	if (!cur_take(c, '"'))
		return false;
	for (;;) {
		int ch = cur_peek(c);

		if (ch == '"') {
			c->pos++;
			return true;
		}
		if (ch == '\\') {
			c->pos++;
			ch = cur_peek(c);
			if (ch < 32 || ch > 126)
				return false;
			c->pos++;
		} else if (ch >= 0 && ch < 0x80 && is_qtext((unsigned char)ch)) {
			c->pos++;
		} else if (!cur_take_utf8(c)) {
			return false;
		}
	}
}

/* ---- RFC 5321 4.1.2 Domain, RFC 5890 U-labels ---- */

/* sub-domain = Let-dig [Ldh-str]; a U-label may hold UTF-8 characters. */
static bool domain_label(struct cursor *c)
{
	size_t start = c->pos;
	bool ascii = true, last_hyphen = false;

	for (;;) {
		int ch = cur_peek(c);

		if (ch >= 0 && ch < 0x80 && (is_let_dig((unsigned char)ch) || ch == '-')) {
			if (ch == '-' && c->pos == start)
				return false;
			last_hyphen = ch == '-';
			c->pos++;
		} else if (cur_take_utf8(c)) {
			ascii = false;
			last_hyphen = false;
		} else {
			break;
		}
	}
	if (c->pos == start || last_hyphen)
		return false;
	return !ascii || c->pos - start <= SMTP_LABEL_MAX;
}

/* Domain = sub-domain *("." sub-domain) */
static bool domain_name(struct cursor *c)
{
	for (;;) {
		if (!domain_label(c))
			return false;
		if (!cur_take(c, '.'))
			return true;
	}
}

/* RFC 5321 4.1.3: "[" IPv4-address-literal / "IPv6:" IPv6-addr "]". */
static bool domain_literal(struct cursor *c)
{
	char text[SMTP_LITERAL_MAX + 1];
	unsigned char addr[16];
	size_t start, n;
	int family = AF_INET;

	if (!cur_take(c, '['))
		return false;
	start = c->pos;
	while (c->pos < c->len && c->p[c->pos] != ']' && c->pos - start <= SMTP_LITERAL_MAX)
		c->pos++;
	n = c->pos - start;
	if (!cur_take(c, ']') || n == 0 || n > SMTP_LITERAL_MAX)
		return false;
	memcpy(text, c->p + start, n);
	text[n] = '\0';
	if (n > 5 && strncasecmp(text, "IPv6:", 5) == 0)
		family = AF_INET6;
	return inet_pton(family, family == AF_INET6 ? text + 5 : text, addr) == 1;
}

/* A-d-l = At-domain *( "," At-domain ), then ":"; RFC 5321 4.1.2 says to ignore it. */
static bool source_route(struct cursor *c)
{
	do {
		if (!cur_take(c, '@'))
			return false;
		if (!domain_name(c))
			return false;
	} while (cur_take(c, ','));
	return cur_take(c, ':');
}

/* ---- paths ---- */

static void set_slice(const char **p_r, size_t *len_r, const struct cursor *c, size_t start)
{
	*p_r = (const char *)c->p + start;
	*len_r = c->pos - start;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ) */
static bool path_mailbox(struct smtp_command *cmd, struct cursor *c)
{
	size_t start = c->pos;
	bool ok;

	ok = cur_peek(c) == '"' ? local_quoted_string(c) : local_dot_string(c);
	if (!ok)
		return false;
	set_slice(&cmd->local, &cmd->local_len, c, start);
	if (!cur_take(c, '@'))
		return false;
	start = c->pos;
	ok = cur_peek(c) == '[' ? domain_literal(c) : domain_name(c);
	if (!ok)
		return false;
	set_slice(&cmd->domain, &cmd->domain_len, c, start);
	return true;
}

/* "<>" (MAIL only) and "<Postmaster>" (RCPT only, RFC 5321 4.1.1.3). */
static bool path_special(struct smtp_command *cmd, struct cursor *c, bool is_mail)
{
	static const char postmaster[] = "Postmaster>";
	size_t n = sizeof(postmaster) - 1;
	const char *rest = (const char *)c->p + c->pos;

	if (is_mail && cur_take(c, '>')) {
		cmd->mailbox = rest;
		return true;
	}
	if (is_mail || c->len - c->pos < n || strncasecmp(rest, postmaster, n) != 0)
		return false;
	c->pos += n;
	cmd->postmaster = true;
	cmd->mailbox = cmd->local = rest;
	cmd->mailbox_len = cmd->local_len = n - 1;
	return true;
}

/*
 * Parses the path at the start of s (which begins with "<"), sets *end_r past
 * its ">"; returns NULL or the reply for a bad path.
 */
static const char *path_parse(struct smtp_command *cmd, const char *s, size_t len, bool is_mail,
                              size_t *end_r)
{
	const struct path_errors *err = is_mail ? &mail_errors : &rcpt_errors;
	struct cursor c = {.p = (const unsigned char *)s, .pos = 1, .len = len};
	size_t start;

	if (path_special(cmd, &c, is_mail)) {
		*end_r = c.pos;
		return NULL;
	}
	if (cur_peek(&c) == '@' && !source_route(&c))
		return err->address;
	c.utf8 = false; /* only the mailbox counts, the route is dropped */
	start = c.pos;
	if (!path_mailbox(cmd, &c) || !cur_take(&c, '>'))
		return err->address;
	cmd->mailbox = s + start;
	cmd->mailbox_len = c.pos - 1 - start;
	cmd->utf8 = c.utf8;
	/* RFC 5321 4.5.3.1.1-3 */
	if (cmd->local_len > SMTP_LOCAL_PART_MAX)
		return err->local_long;
	if (cmd->domain_len > SMTP_DOMAIN_MAX)
		return err->domain_long;
	if (c.pos > SMTP_PATH_MAX)
		return err->path_long;
	*end_r = c.pos;
	return NULL;
}

/* ---- esmtp parameters, RFC 5321 4.1.2 ---- */

/* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
static size_t param_keyword_len(const unsigned char *p, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_let_dig(p[0]))
		return 0;
	for (i = 1; i < n && (is_let_dig(p[i]) || p[i] == '-'); i++)
		;
	return i;
}

/* esmtp-value = 1*(%d33-60 / %d62-126), and UTF-8 (RFC 6531 3.3). */
static size_t param_value_len(const unsigned char *p, size_t n)
{
	size_t i = 0, u;

	while (i < n && p[i] != ' ') {
		if (p[i] < 0x80) {
			if (!is_param_value_char(p[i]))
				return 0;
			i++;
			continue;
		}
		u = utf8_char_len(p + i, n - i);
		if (u == 0)
			return 0;
		i += u;
	}
	return i;
}

/* Parses one param at p; returns its length, or 0 when it is malformed. */
static size_t param_parse(struct smtp_param *param, const unsigned char *p, size_t n)
{
	size_t k = param_keyword_len(p, n), v;

	if (k == 0)
		return 0;
	param->key = (const char *)p;
	param->key_len = k;
	if (k == n || p[k] == ' ')
		return k;
	if (p[k] != '=')
		return 0;
	v = param_value_len(p + k + 1, n - k - 1);
	if (v == 0)
		return 0;
	param->value = (const char *)p + k + 1;
	param->value_len = v;
	return k + 1 + v;
}

/* Mail-parameters / Rcpt-parameters: esmtp-param *(SP esmtp-param). */
static const char *params_parse(struct smtp_command *cmd, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	for (;;) {
		while (i < len && p[i] == ' ')
			i++;
		if (i == len)
			return NULL;
		if (cmd->n_params == SMTP_PARAMS_MAX)
			return ERR_PARAMS_MANY;
		n = param_parse(&cmd->params[cmd->n_params], p + i, len - i);
		if (n == 0)
			return ERR_PARAM;
		cmd->n_params++;
		i += n;
	}
}

/* ---- per-verb arguments ---- */

/* "MAIL FROM:" Reverse-path [SP Mail-parameters], "RCPT TO:" Forward-path ... */
static const char *mail_rcpt_parse(struct smtp_command *cmd, bool is_mail)
{
	const struct path_errors *err = is_mail ? &mail_errors : &rcpt_errors;
	const char *kw = is_mail ? "FROM:" : "TO:", *p = cmd->arg, *error;
	size_t n = cmd->arg_len, kw_len = strlen(kw), end = 0;

	if (p == NULL || n < kw_len || strncasecmp(p, kw, kw_len) != 0)
		return err->syntax;
	p += kw_len;
	n -= kw_len;
	/* Not in RFC 5321, but sent by many clients; Postfix accepts it. */
	if (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	if (n == 0 || *p != '<')
		return err->syntax;
	error = path_parse(cmd, p, n, is_mail, &end);
	if (error != NULL)
		return error;
	if (end == n)
		return NULL;
	if (p[end] != ' ')
		return err->syntax;
	return params_parse(cmd, p + end, n - end);
}

/* RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF */
static const char *bdat_parse(struct smtp_command *cmd)
{
	const char *p = cmd->arg, *sp;
	size_t n = cmd->arg_len, size_len;

	if (p == NULL)
		return ERR_BDAT;
	sp = memchr(p, ' ', n);
	size_len = sp != NULL ? (size_t)(sp - p) : n;
	if (!str_to_u64(p, size_len, SMTP_BDAT_SIZE_MAX, &cmd->bdat_size))
		return ERR_BDAT;
	if (sp == NULL)
		return NULL;
	p += size_len;
	n -= size_len;
	while (n > 0 && *p == ' ') {
		p++;
		n--;
	}
	if (!str_eqn_ci(p, n, "LAST"))
		return ERR_BDAT;
	cmd->bdat_last = true;
	return NULL;
}

/* The reply for a verb that needs an argument and has none, or NULL. */
static const char *arg_required(const struct smtp_command *cmd)
{
	if (cmd->arg != NULL)
		return NULL;
	switch (cmd->verb) {
	case SMTP_VERB_HELO:
		return "501 5.5.4 Syntax: HELO hostname";
	case SMTP_VERB_EHLO:
		return "501 5.5.4 Syntax: EHLO hostname";
	case SMTP_VERB_AUTH:
		return "501 5.5.4 Syntax: AUTH mechanism [initial-response]";
	case SMTP_VERB_VRFY:
		return "501 5.5.4 Syntax: VRFY string";
	case SMTP_VERB_EXPN:
		return "501 5.5.4 Syntax: EXPN string";
	default:
		return NULL;
	}
}

/* The reply for a verb that takes no argument and has one, or NULL. */
static const char *arg_forbidden(const struct smtp_command *cmd)
{
	if (cmd->arg == NULL)
		return NULL;
	switch (cmd->verb) {
	case SMTP_VERB_DATA:
		return "501 5.5.4 Syntax: DATA";
	case SMTP_VERB_RSET:
		return "501 5.5.4 Syntax: RSET";
	case SMTP_VERB_QUIT:
		return "501 5.5.4 Syntax: QUIT";
	case SMTP_VERB_STARTTLS:
		return "501 5.5.4 Syntax: STARTTLS";
	default:
		return NULL;
	}
}

static const char *args_parse(struct smtp_command *cmd)
{
	const char *error;

	switch (cmd->verb) {
	case SMTP_VERB_MAIL:
		return mail_rcpt_parse(cmd, true);
	case SMTP_VERB_RCPT:
		return mail_rcpt_parse(cmd, false);
	case SMTP_VERB_BDAT:
		return bdat_parse(cmd);
	default:
		error = arg_required(cmd);
		return error != NULL ? error : arg_forbidden(cmd);
	}
}

/* ---- the command line ---- */

/* RFC 5321 4.1.1: commands are printable text; CTLs other than HTAB are refused. */
static bool line_has_control(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

static enum smtp_verb verb_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < N_ELEMENTS(smtp_verbs); i++) {
		if (str_eqn_ci(s, len, smtp_verbs[i].name))
			return smtp_verbs[i].verb;
	}
	return SMTP_VERB_UNKNOWN;
}

int smtp_parse_command(const char *line, size_t len, struct smtp_command *cmd, const char **error_r)
{
	size_t i = 0;

	memset(cmd, 0, sizeof(*cmd));
	*error_r = NULL;
	if (line_has_control(line, len)) {
		*error_r = ERR_CHAR;
		return -1;
	}
	while (len > 0 && line[len - 1] == ' ')
		len--;
	while (i < len && line[i] != ' ')
		i++;
	cmd->verb_str = line;
	cmd->verb_len = i;
	cmd->verb = verb_lookup(line, i);
	while (i < len && line[i] == ' ')
		i++;
	if (i < len) {
		cmd->arg = line + i;
		cmd->arg_len = len - i;
	}
	*error_r = args_parse(cmd);
	return *error_r == NULL ? 0 : -1;
}

/* ---- helpers on a parsed command ---- */

const struct smtp_param *smtp_param_find(const struct smtp_command *cmd, const char *key)
{
	for (size_t i = 0; i < cmd->n_params; i++) {
		if (str_eqn_ci(cmd->params[i].key, cmd->params[i].key_len, key))
			return &cmd->params[i];
	}
	return NULL;
}

/* A bounded writer for smtp_address_canonical(). */
struct writer {
	char *out;
	size_t size;
	size_t len;
	bool overflow;
};

static void writer_put(struct writer *w, const char *s, size_t n)
{
	if (w->overflow || w->size - w->len <= n) {
		w->overflow = true;
		return;
	}
	memcpy(w->out + w->len, s, n);
	w->len += n;
}

/* The content of a quoted local part, without its quoted-pair backslashes. */
static size_t local_unquote(const char *local, size_t len, char *out)
{
	size_t i, n = 0;

	for (i = 1; i + 1 < len; i++) {
		if (local[i] == '\\')
			i++;
		out[n++] = local[i];
	}
	return n;
}

/* RFC 5321 4.1.2: a quoted local part whose content is a Dot-string is the same mailbox. */
static void canonical_local(struct writer *w, const char *local, size_t len)
{
	char content[SMTP_COMMAND_LINE_MAX];
	struct cursor c = {.p = (const unsigned char *)content};
	size_t i;

	if (len < 2 || local[0] != '"' || len > sizeof(content)) {
		writer_put(w, local, len);
		return;
	}
	c.len = local_unquote(local, len, content);
	if (c.len > 0 && local_dot_string(&c) && c.pos == c.len) {
		writer_put(w, content, c.len);
		return;
	}
	/* Otherwise the minimal quoting: only DQUOTE and backslash are escaped. */
	writer_put(w, "\"", 1);
	for (i = 0; i < c.len; i++) {
		if (content[i] == '"' || content[i] == '\\')
			writer_put(w, "\\", 1);
		writer_put(w, content + i, 1);
	}
	writer_put(w, "\"", 1);
}

size_t smtp_address_canonical(const struct smtp_command *cmd, char *out, size_t size)
{
	struct writer w = {.out = out, .size = size};

	if (cmd->domain == NULL || cmd->domain_len == 0 || cmd->local == NULL || size == 0)
		return 0;
	canonical_local(&w, cmd->local, cmd->local_len);
	writer_put(&w, "@", 1);
	writer_put(&w, cmd->domain, cmd->domain_len);
	if (w.overflow)
		return 0;
	out[w.len] = '\0';
	for (size_t i = 0; i < w.len; i++) {
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] - 'A' + 'a');
	}
	return w.len;
}

/* RFC 3461 4: hexchar = "+" 2(%x30-39 / %x41-46); upper-case hex digits only. */
static int xtext_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool smtp_xtext_decode(const char *in, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, n = 0;

	while (i < len) {
		int c = p[i];

		if (c == '+') {
			int hi, lo;

			if (len - i < 3)
				return false;
			hi = xtext_hex(p[i + 1]);
			lo = xtext_hex(p[i + 2]);
			/* "+00" would cut the NUL-terminated result short. */
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = hi * 16 + lo;
			i += 3;
		} else if (c >= 33 && c <= 126 && c != '=') {
			i++;
		} else {
			return false;
		}
		if (n + 1 >= size)
			return false;
		out[n++] = (char)c;
	}
	if (size == 0)
		return false;
	out[n] = '\0';
	return true;
}
