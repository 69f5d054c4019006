/*
 * tls.c - server TLS context and the self-signed certificate made on first
 * start; see tls.h.
 */
#include "net/tls.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TLS_SELF_SIGNED_DAYS 3650

static char *ssl_error(const char *what)
{
	char detail[256];
	unsigned long e = ERR_get_error();

	ERR_error_string_n(e, detail, sizeof(detail));
	ERR_clear_error();
	return xasprintf("%s: %s", what, e ? detail : "unknown error");
}

static int add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

static X509 *make_cert(EVP_PKEY *pkey, const char *hostname)
{
	X509 *cert = X509_new();
	X509_NAME *name;
	char *san = xasprintf("DNS:%s,DNS:localhost,IP:127.0.0.1", hostname);
	unsigned char serial[16];
	BIGNUM *bn;

	if (RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	X509_set_version(cert, 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), (long)TLS_SELF_SIGNED_DAYS * 86400);
	X509_set_pubkey(cert, pkey);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)hostname, -1,
	                           -1, 0);
	X509_set_issuer_name(cert, name);
	if (add_ext(cert, NID_subject_alt_name, san) < 0 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    X509_sign(cert, pkey, EVP_sha256()) == 0)
		goto fail;
	free(san);
	return cert;
fail:
	free(san);
	X509_free(cert);
	return NULL;
}

static int write_pem(const char *path, X509 *cert, EVP_PKEY *pkey, char **error_r)
{
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ok = cert ? PEM_write_X509(f, cert)
	          : PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	fclose(f);
	if (!ok) {
		*error_r = xasprintf("writing %s failed", path);
		return -1;
	}
	return 0;
}

/* Makes data_dir/tls/{cert,key}.pem unless they exist; returns their paths. */
static int ensure_self_signed(const char *data_dir, const char *hostname, char **cert_r,
                              char **key_r, char **error_r)
{
	char *dir = xasprintf("%s/tls", data_dir);
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	int ret = -1;

	*cert_r = xasprintf("%s/cert.pem", dir);
	*key_r = xasprintf("%s/key.pem", dir);
	if (access(*cert_r, R_OK) == 0 && access(*key_r, R_OK) == 0) {
		free(dir);
		return 0;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = xasprintf("%s: %s", dir, strerror(errno));
		goto out;
	}
	pkey = EVP_EC_gen("P-256");
	cert = pkey ? make_cert(pkey, hostname) : NULL;
	if (cert == NULL) {
		*error_r = ssl_error("making the self-signed certificate");
		goto out;
	}
	/* Key first: a certificate without its key is never left behind. */
	if (write_pem(*key_r, NULL, pkey, error_r) < 0 ||
	    write_pem(*cert_r, cert, NULL, error_r) < 0)
		goto out;
	ret = 0;
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	free(dir);
	return ret;
}

SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *data_dir,
                            const char *hostname, char **error_r)
{
	char *gen_cert = NULL, *gen_key = NULL;
	SSL_CTX *ctx = NULL;

	if ((*cert == '\0') != (*key == '\0')) {
		*error_r = xstrdup("[tls] cert and key must be set together");
		return NULL;
	}
	if (*cert == '\0') {
		if (ensure_self_signed(data_dir, hostname, &gen_cert, &gen_key, error_r) < 0)
			goto out;
		cert = gen_cert;
		key = gen_key;
	}
	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char *what = xasprintf("loading %s and %s", cert, key);
		*error_r = ssl_error(what);
		free(what);
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
out:
	free(gen_cert);
	free(gen_key);
	return ctx;
}

void tls_describe(SSL *ssl, char *out, size_t size)
{
	snprintf(out, size, "version=%s cipher=%s", SSL_get_version(ssl),
	         SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
}
