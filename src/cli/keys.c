/*
 * keys.c - `tresor key`: the OpenPGP keys an account's mail is sealed to
 * (DESIGN.md, "Zero-access sealing").
 *
 *   key generate ADDRESS [--rsa BITS]   a key pair; passphrase from stdin
 *   key import ADDRESS FILE|-           a public key made elsewhere
 *   key list ADDRESS                    one line per key, with its state now
 *   key export ADDRESS [FPR]            armored public key(s)
 *   key export-secret ADDRESS [FPR]     armored passphrase-protected secret key(s)
 *   key del ADDRESS [FPR]               one key, or all
 *
 * The passphrase protects the secret key, which the server keeps only so the
 * account's bridge can fetch it; the passphrase itself is never stored and is
 * held in secure memory (sodium_malloc) while the key is made.
 *
 * Limits: CRYPTO_KEY_MAX bytes of key file, CRYPTO_PASSPHRASE_MAX bytes of
 * passphrase, STORE_KEYS_MAX keys per account (checked by the store). Attacker control: the key
 * file (a user's key handed to the administrator), checked by crypto_key_import.
 */
#include "cli/cli.h"

#include "base/mem.h"
#include "base/str.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

#define KEY_USAGE                                                                                  \
	"usage: tresor key generate ADDRESS [--rsa BITS] | key import ADDRESS FILE|- |\n"          \
	"       tresor key list ADDRESS | key export|export-secret|del ADDRESS [FINGERPRINT]\n"

/* Reads a whole key file (or stdin for "-"), at most CRYPTO_KEY_MAX bytes. */
static char *read_key_file(const char *path, size_t *len_r)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *data;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "tresor: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	data = xmalloc(CRYPTO_KEY_MAX + 1);
	n = fread(data, 1, CRYPTO_KEY_MAX + 1, f);
	if (f != stdin)
		fclose(f);
	if (n > CRYPTO_KEY_MAX) {
		fprintf(stderr, "tresor: %s is larger than %zu bytes: not a key\n", path,
		        CRYPTO_KEY_MAX);
		free(data);
		return NULL;
	}
	*len_r = n;
	return data;
}

/*
 * librnp prints its parser's complaints about a bad key file straight to
 * stderr; the administrator gets one clear line from us instead. (Only this
 * single-threaded command does that: the server never parses key files.)
 */
static void stderr_quiet(bool quiet)
{
	static int saved = -1;
	int null;

	fflush(stderr);
	if (quiet && saved < 0 && (null = open("/dev/null", O_WRONLY)) >= 0) {
		saved = dup(STDERR_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	} else if (!quiet && saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
		saved = -1;
	}
}

static int store_new_key(struct store *s, const struct store_user *u, const struct crypto_key *k,
                         const char *verb)
{
	struct store_key sk = {
	        .fingerprint = (char *)k->fingerprint,
	        .created = time(NULL),
	        .public_key = k->public_key,
	        .public_len = k->public_len,
	        .secret_key = k->secret_key,
	        .secret_len = k->secret_len,
	};
	int ret = cli_report(s, store_key_add(s, u->id, &sk), "key", k->fingerprint);

	if (ret == 0)
		printf("%s: %s\n", verb, k->fingerprint);
	return ret;
}

static int key_generate(struct store *s, const struct store_user *u, unsigned rsa_bits)
{
	char err[CRYPTO_ERROR_MAX];
	struct crypto_key k;
	char *pass;
	int ret;

	pass = cli_read_secret(CRYPTO_PASSPHRASE_MAX);
	if (pass == NULL) {
		fprintf(stderr, "tresor: no passphrase on stdin (one line, 1 to %d bytes)\n",
		        CRYPTO_PASSPHRASE_MAX);
		return 1;
	}
	ret = crypto_key_generate(u->address, pass, rsa_bits, &k, err, sizeof(err));
	sodium_free(pass);
	if (ret != CRYPTO_OK) {
		fprintf(stderr, "tresor: %s\n", err);
		return 1;
	}
	ret = store_new_key(s, u, &k, "fingerprint");
	crypto_key_deinit(&k);
	return ret;
}

static int key_import(struct store *s, const struct store_user *u, const char *path)
{
	char err[CRYPTO_ERROR_MAX];
	struct crypto_key k;
	size_t len = 0;
	char *data;
	int ret;

	if ((data = read_key_file(path, &len)) == NULL)
		return 1;
	stderr_quiet(true);
	ret = crypto_key_import(data, len, time(NULL), &k, err, sizeof(err));
	stderr_quiet(false);
	free(data);
	if (ret != CRYPTO_OK) {
		fprintf(stderr, "tresor: %s: %s\n", path, err);
		return 1;
	}
	ret = store_new_key(s, u, &k, "imported");
	crypto_key_deinit(&k);
	return ret;
}

static void key_print(const struct store_key *sk)
{
	enum crypto_key_state st = CRYPTO_KEY_UNUSABLE;
	char created[sizeof("YYYY-MM-DD")] = "?";
	struct crypto_key k;
	struct tm tm;

	if (crypto_key_inspect(sk->public_key, sk->public_len, time(NULL), &k, &st) != CRYPTO_OK) {
		printf("%s unreadable\n", sk->fingerprint);
		return;
	}
	if (gmtime_r(&k.created, &tm) != NULL)
		strftime(created, sizeof(created), "%Y-%m-%d", &tm);
	printf("%s %s %u created=%s state=%s secret=%s uid=%s\n", sk->fingerprint, k.algorithm,
	       k.bits, created, crypto_key_state_name(st), sk->secret_key != NULL ? "yes" : "no",
	       k.user_id);
	crypto_key_deinit(&k);
}

/* Prints one key armored (public, or its protected secret part). */
static int key_export(const struct store_key *k, bool secret)
{
	struct buf out;
	int ret = 0;

	buf_init(&out, 0);
	if (crypto_key_armor(secret ? k->secret_key : k->public_key,
	                     secret ? k->secret_len : k->public_len, secret, &out) != CRYPTO_OK) {
		fprintf(stderr, "tresor: key %s cannot be exported\n", k->fingerprint);
		ret = 1;
	} else {
		fwrite(out.data, 1, out.len, stdout);
	}
	buf_deinit(&out);
	return ret;
}

/*
 * list, export, export-secret: every key, or the one with fingerprint fpr.
 * export-secret without fpr prints the keys that have a secret part (those
 * the server made) and passes over imported ones.
 */
static int key_show(struct store *s, const struct store_user *u, const char *verb, const char *fpr)
{
	bool secret = strcmp(verb, "export-secret") == 0, list = strcmp(verb, "list") == 0;
	struct store_key *keys = NULL;
	size_t n = 0, shown = 0, matched = 0;
	int ret;

	ret = cli_report(s, store_key_list(s, u->id, true, &keys, &n), "keys of", u->address);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		if (fpr != NULL && strcmp(fpr, keys[i].fingerprint) != 0)
			continue;
		matched++;
		if (secret && keys[i].secret_key == NULL)
			continue;
		shown++;
		if (list)
			key_print(&keys[i]);
		else
			ret = key_export(&keys[i], secret);
	}
	if (ret == 0 && fpr != NULL && matched == 0) {
		fprintf(stderr, "tresor: key %s does not exist\n", fpr);
		ret = 1;
	} else if (ret == 0 && !list && shown == 0) {
		fprintf(stderr, "tresor: %s: %s\n", fpr != NULL ? fpr : u->address,
		        matched > 0 ? "no secret key (the key was imported; only its public part "
		                      "is here)"
		                    : "the account has no keys");
		ret = 1;
	}
	store_keys_free(&keys, n);
	return ret;
}

/* "--rsa BITS" as the optional last two arguments of generate. */
static bool parse_rsa(int argc, char **argv, unsigned *bits_r)
{
	uint64_t v;

	*bits_r = 0;
	if (argc == 2)
		return true;
	if (argc != 4 || strcmp(argv[2], "--rsa") != 0 ||
	    !str_to_u64(argv[3], strlen(argv[3]), CRYPTO_RSA_MAX, &v) || v < CRYPTO_RSA_MIN)
		return false;
	*bits_r = (unsigned)v;
	return true;
}

static bool key_args_valid(int argc, char **argv, unsigned *rsa_bits)
{
	if (argc < 2)
		return false;
	if (strcmp(argv[0], "generate") == 0)
		return parse_rsa(argc, argv, rsa_bits);
	if (strcmp(argv[0], "import") == 0)
		return argc == 3;
	if (strcmp(argv[0], "list") == 0)
		return argc == 2;
	return (strcmp(argv[0], "export") == 0 || strcmp(argv[0], "export-secret") == 0 ||
	        strcmp(argv[0], "del") == 0) &&
	       argc <= 3;
}

/* Deletes one key or all; says so when the account is no longer sealed. */
static int key_del(struct store *s, const struct store_user *u, const char *fpr)
{
	struct store_user after = {0};
	int ret = cli_report(s, store_key_del(s, u->id, fpr), "key", fpr ? fpr : "of the account");

	if (ret == 0 && store_user_lookup(s, u->address, &after) == STORE_OK && after.n_keys == 0)
		printf("%s has no keys left: mail that arrives from now on is stored unsealed\n",
		       u->address);
	store_user_deinit(&after);
	return ret;
}

int cli_usable_keys(struct store *s, uint64_t user_id, unsigned *usable_r)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	int ret = store_key_list(s, user_id, false, &keys, &n);

	*usable_r = 0;
	for (size_t i = 0; ret == STORE_OK && i < n; i++) {
		enum crypto_key_state st;
		struct crypto_key k;

		if (crypto_key_inspect(keys[i].public_key, keys[i].public_len, time(NULL), &k,
		                       &st) != CRYPTO_OK)
			continue;
		*usable_r += st == CRYPTO_KEY_USABLE;
		crypto_key_deinit(&k);
	}
	store_keys_free(&keys, n);
	return ret;
}

static int key_run(struct store *s, const struct store_user *u, int argc, char **argv,
                   unsigned rsa_bits)
{
	const char *fpr = argc == 3 ? argv[2] : NULL;

	if (strcmp(argv[0], "generate") == 0)
		return key_generate(s, u, rsa_bits);
	if (strcmp(argv[0], "import") == 0)
		return key_import(s, u, argv[2]);
	if (strcmp(argv[0], "del") == 0)
		return key_del(s, u, fpr);
	return key_show(s, u, argv[0], fpr);
}

int cli_key(struct config *cfg, int argc, char **argv)
{
	struct store_user u = {0};
	unsigned rsa_bits = 0;
	struct store *s;
	int ret;

	if (!key_args_valid(argc, argv, &rsa_bits)) {
		fputs(KEY_USAGE, stderr);
		return 2;
	}
	str_lower(argv[1]);
	if (argc == 3 && strcmp(argv[0], "import") != 0)
		str_upper(argv[2]);
	if (!cli_valid_address(argv[1])) {
		fprintf(stderr, "tresor: '%s' is not an address (local@domain)\n", argv[1]);
		return 2;
	}
	if ((s = cli_open_store(cfg)) == NULL)
		return 1;
	ret = cli_report(s, store_user_lookup(s, argv[1], &u), "account", argv[1]);
	if (ret == 0)
		ret = key_run(s, &u, argc, argv, rsa_bits);
	store_user_deinit(&u);
	store_close(&s);
	return ret;
}
