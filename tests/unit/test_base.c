/*
 * test_base.c - unit tests for the base layer: base/buf (growth, NUL
 * termination, printf, consume, steal, reset, room, and the abort past the
 * maximum as "fatal tests" run in a forked child), base/str (case-insensitive
 * comparison and search, trimming, comma lists, bounded integers), base/config
 * (defaults, every section, comments, errors naming file:line, bounds, long
 * lines, ./tresor.conf) and base/log (log_safe, and the line format on stderr
 * captured through a pipe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"

/* ---- helpers ---- */

/* Bytes of the child's stderr kept by tb_run_fatal. */
#define TB_FATAL_OUT_MAX 4096

/*
 * Runs fn(arg) in a forked child with stderr on a pipe. Returns true if the
 * child died of SIGABRT; the child's stderr is copied into out.
 */
static bool tb_run_fatal(void (*fn)(void *), void *arg, char *out, size_t out_size)
{
	int fds[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		fn(arg);
		_exit(0); /* returned: not fatal */
	}
	close(fds[1]);
	while (n + 1 < out_size && (r = read(fds[0], out + n, out_size - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

/* Writes text into dir/name; returns the path (newly allocated). */
static char *tb_write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *tb_mkdtemp(void)
{
	char *dir = xstrdup("/tmp/tresor-test-base-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

static void tb_rm(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

/* ---- buf ---- */

static void test_buf_init_defaults(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, BUF_MAX_DEFAULT);
	assert_int_equal(buf_room(&b), BUF_MAX_DEFAULT);
	buf_deinit(&b);

	buf_init(&b, 100);
	assert_int_equal(b.max, 100);
	assert_int_equal(buf_room(&b), 100);
	buf_deinit(&b);
	assert_null(b.data);
}

static void test_buf_append_nul_terminated(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	buf_append(&b, "abc", 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	assert_int_equal(b.data[3], '\0');
	buf_puts(&b, "de");
	buf_putc(&b, 'f');
	assert_int_equal(b.len, 6);
	assert_string_equal(b.data, "abcdef");
	/* Binary data with NUL bytes keeps its length. */
	buf_append(&b, "x\0y", 3);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.data, "abcdefx\0y", 10);
	/* An empty append on an empty buffer still gives a C string. */
	buf_deinit(&b);
	buf_init(&b, 0);
	buf_append(&b, "", 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_deinit(&b);
}

static void test_buf_grows(void **state)
{
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		buf_putc(&b, (char)('a' + i % 26));
	assert_int_equal(b.len, 10000);
	assert_true(b.cap > 10000);
	for (i = 0; i < 10000; i++)
		assert_int_equal(b.data[i], 'a' + i % 26);
	assert_int_equal(b.data[10000], '\0');
	buf_deinit(&b);
}

static void test_buf_printf(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "42-x");
	buf_printf(&b, " %05u|%c", 7u, 'z');
	assert_string_equal(b.data, "42-x 00007|z");
	assert_int_equal(b.len, strlen("42-x 00007|z"));
	buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 12);
	buf_deinit(&b);

	/* An empty printf on a fresh buffer allocates and terminates. */
	buf_init(&b, 0);
	buf_printf(&b, "%s", "");
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	buf_deinit(&b);

	/* A long printf crosses several growth steps. */
	buf_init(&b, 0);
	buf_printf(&b, "%0*d", 1000, 5);
	assert_int_equal(b.len, 1000);
	assert_int_equal(b.data[0], '0');
	assert_int_equal(b.data[999], '5');
	assert_int_equal(b.data[1000], '\0');
	buf_deinit(&b);
}

static void test_buf_room_and_exact_max(void **state)
{
	struct buf b;

	buf_init(&b, 16);
	buf_append(&b, "0123456789", 10);
	assert_int_equal(buf_room(&b), 6);
	buf_printf(&b, "%s", "abcdef"); /* exactly up to the maximum */
	assert_int_equal(buf_room(&b), 0);
	assert_int_equal(b.len, 16);
	assert_string_equal(b.data, "0123456789abcdef");
	buf_append(&b, "", 0); /* nothing past the maximum: fine */
	assert_int_equal(b.len, 16);
	buf_deinit(&b);
}

static void test_buf_consume(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "hello world");
	buf_consume(&b, 6);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "world");
	buf_consume(&b, 0);
	assert_string_equal(b.data, "world");
	buf_consume(&b, 5);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	/* The room comes back after consuming. */
	buf_deinit(&b);
	buf_init(&b, 8);
	buf_puts(&b, "12345678");
	assert_int_equal(buf_room(&b), 0);
	buf_consume(&b, 3);
	assert_int_equal(buf_room(&b), 3);
	buf_puts(&b, "abc");
	assert_string_equal(b.data, "45678abc");
	buf_deinit(&b);

	/* Consuming nothing from a buffer that never allocated is fine. */
	buf_init(&b, 0);
	buf_consume(&b, 0);
	assert_int_equal(b.len, 0);
	buf_deinit(&b);
}

static void test_buf_steal(void **state)
{
	struct buf b;
	size_t len = 99;
	char *s;

	buf_init(&b, 32);
	buf_puts(&b, "stolen");
	s = buf_steal(&b, &len);
	assert_string_equal(s, "stolen");
	assert_int_equal(len, 6);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 32);
	free(s);
	/* The buffer is usable again after a steal. */
	buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	s = buf_steal(&b, NULL);
	assert_string_equal(s, "again");
	free(s);
	/* Stealing from an empty buffer gives an allocated empty string. */
	s = buf_steal(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	buf_deinit(&b);
}

static void test_buf_reset_truncate_wipe(void **state)
{
	struct buf b;
	size_t cap;

	buf_init(&b, 0);
	buf_reset(&b); /* nothing allocated yet */
	assert_int_equal(b.len, 0);
	buf_puts(&b, "some text");
	cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(b.cap, cap);
	buf_puts(&b, "new");
	assert_string_equal(b.data, "new");
	buf_puts(&b, " and more");
	buf_truncate(&b, 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "new");
	buf_truncate(&b, 3); /* to its own length: nothing changes */
	assert_string_equal(b.data, "new");
	cap = b.cap;
	buf_reset_wipe(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_memory_equal(b.data, "\0\0\0", 3);
	buf_puts(&b, "new");
	buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_wipe(&b); /* twice is harmless */
}

static void test_xgrowarray(void **state)
{
	size_t cap = 0;
	int *v = NULL;

	(void)state;
	for (size_t n = 0; n < 100; n++) {
		v = xgrowarray(v, n, &cap, sizeof(*v), 4);
		assert_true(cap > n);
		v[n] = (int)n;
	}
	assert_int_equal(cap, 128); /* 4, 8, ... doubling */
	assert_int_equal(v[99], 99);
	assert_ptr_equal(xgrowarray(v, 50, &cap, sizeof(*v), 4), v); /* room: unchanged */
	assert_int_equal(cap, 128);
	free(v);
}

static void test_buf_new_free(void **state)
{
	struct buf *b = buf_new(10);

	assert_int_equal(b->max, 10);
	buf_puts(b, "x");
	buf_free(&b);
	assert_null(b);
	buf_free(&b);
	assert_null(b);
}

static void tb_append_past_max(void *arg)
{
	struct buf b;

	buf_init(&b, 8);
	buf_puts(&b, "12345678");
	buf_putc(&b, '9');
}

static void tb_printf_past_max(void *arg)
{
	struct buf b;

	buf_init(&b, 8);
	buf_puts(&b, "1234");
	buf_printf(&b, "%s", "56789");
}

static void tb_consume_past_len(void *arg)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "abc");
	buf_consume(&b, 4);
}

static void tb_not_fatal(void *arg)
{
	struct buf b;

	buf_init(&b, 8);
	buf_puts(&b, "12345678");
	buf_deinit(&b);
}

static void test_buf_fatal(void **state)
{
	char out[TB_FATAL_OUT_MAX];

	assert_true(tb_run_fatal(tb_append_past_max, NULL, out, sizeof(out)));
	assert_non_null(strstr(out, "buffer maximum 8 exceeded (len 8 + 1)"));
	assert_true(tb_run_fatal(tb_printf_past_max, NULL, out, sizeof(out)));
	assert_non_null(strstr(out, "buffer maximum 8 exceeded (len 4 + 5)"));
	assert_true(tb_run_fatal(tb_consume_past_len, NULL, out, sizeof(out)));
	assert_non_null(strstr(out, "assertion failed"));
	/* The helper itself can tell a normal exit from an abort. */
	assert_false(tb_run_fatal(tb_not_fatal, NULL, out, sizeof(out)));
	assert_string_equal(out, "");
}

/* ---- str ---- */

static void test_str_compare_ci(void **state)
{
	assert_true(str_eq_ci("Hello", "hELLO"));
	assert_true(str_eq_ci("", ""));
	assert_false(str_eq_ci("abc", "abd"));
	assert_false(str_eq_ci("abc", "abcd"));

	assert_true(str_eqn_ci("FETCH BODY", 5, "fetch"));
	assert_false(str_eqn_ci("FETCH BODY", 4, "fetch"));
	assert_false(str_eqn_ci("FETCH BODY", 6, "fetch"));
	assert_false(str_eqn_ci("fexch", 5, "fetch"));
	assert_true(str_eqn_ci("", 0, ""));

	assert_true(str_has_prefix_ci("Content-Type: text/plain", "content-type"));
	assert_true(str_has_prefix_ci("abc", ""));
	assert_false(str_has_prefix_ci("Con", "content"));
	assert_false(str_has_prefix_ci("Content", "contend"));
}

static void test_str_find_ci(void **state)
{
	const char *hay = "Hello World, hello";

	assert_ptr_equal(str_find_ci(hay, strlen(hay), "WORLD", 5), hay + 6);
	assert_ptr_equal(str_find_ci(hay, strlen(hay), "hello", 5), hay); /* first match */
	assert_ptr_equal(str_find_ci(hay, strlen(hay), "D, H", 4), hay + 10);
	assert_ptr_equal(str_find_ci(hay, strlen(hay), "LLO", 3), hay + 2);
	assert_null(str_find_ci(hay, strlen(hay), "worlds", 6));
	assert_null(str_find_ci(hay, strlen(hay), "xyz", 3));
	assert_ptr_equal(str_find_ci(hay, strlen(hay), "", 0), hay);
	assert_null(str_find_ci("ab", 2, "abc", 3));
	/* A match at the very end, and one just past the given length. */
	hay = "abcXYZ";
	assert_ptr_equal(str_find_ci(hay, 6, "xyz", 3), hay + 3);
	assert_null(str_find_ci(hay, 5, "xyz", 3));
	assert_ptr_equal(str_find_ci(hay, 6, "Z", 1), hay + 5);
	/* 8-bit bytes compare exactly. */
	hay = "caf\xc3\xa9";
	assert_ptr_equal(str_find_ci(hay, 5, "\xc3\xa9", 2), hay + 3);
	assert_null(str_find_ci(hay, 5, "\xc3\x89", 2));
}

static void test_str_trim_lower(void **state)
{
	char a[] = "  hi there \t\r\n", b[] = " \t \n", c[] = "", d[] = "x", e[] = "AbC-1 Ü";

	assert_string_equal(str_trim(a), "hi there");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "");
	assert_string_equal(str_trim(d), "x");
	str_lower(e);
	assert_string_equal(e, "abc-1 Ü");
}

static void test_str_split_list(void **state)
{
	char **items = NULL;
	size_t n;

	n = str_split_list("a, b,,c ,  , d e ,", &items);
	assert_int_equal(n, 4);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_string_equal(items[2], "c");
	assert_string_equal(items[3], "d e");
	str_list_free(&items, n);
	assert_null(items);

	n = str_split_list("single", &items);
	assert_int_equal(n, 1);
	assert_string_equal(items[0], "single");
	str_list_free(&items, n);

	n = str_split_list("", &items);
	assert_int_equal(n, 0);
	assert_null(items);
	str_list_free(&items, n);

	n = str_split_list(" , ,,\t", &items);
	assert_int_equal(n, 0);
	assert_null(items);
	str_list_free(&items, n);

	n = str_split_list(",x", &items);
	assert_int_equal(n, 1);
	assert_string_equal(items[0], "x");
	str_list_free(&items, n);
}

static void test_str_to_u64(void **state)
{
	uint64_t v = 12345;

	assert_true(str_to_u64("0", 1, 10, &v));
	assert_int_equal(v, 0);
	assert_true(str_to_u64("18446744073709551615", 20, UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	v = 7;
	assert_false(str_to_u64("18446744073709551616", 20, UINT64_MAX, &v));
	assert_false(str_to_u64("99999999999999999999", 20, UINT64_MAX, &v));
	assert_false(str_to_u64("184467440737095516150", 21, UINT64_MAX, &v));
	assert_int_equal(v, 7); /* untouched on failure */

	assert_true(str_to_u64("100", 3, 100, &v));
	assert_int_equal(v, 100);
	assert_false(str_to_u64("101", 3, 100, &v));
	assert_false(str_to_u64("1000", 4, 100, &v));
	assert_true(str_to_u64("4294967295", 10, UINT32_MAX, &v));
	assert_int_equal(v, 4294967295u);
	assert_false(str_to_u64("4294967296", 10, UINT32_MAX, &v));
	/* A single digit above a small maximum. */
	assert_true(str_to_u64("5", 1, 5, &v));
	assert_int_equal(v, 5);
	assert_false(str_to_u64("6", 1, 5, &v));
	assert_false(str_to_u64("9", 1, 0, &v));
	assert_false(str_to_u64("07", 2, 5, &v));
	assert_true(str_to_u64("0", 1, 0, &v));
	assert_int_equal(v, 0);

	assert_false(str_to_u64("", 0, 100, &v));
	assert_false(str_to_u64("12a", 3, 1000, &v));
	assert_false(str_to_u64("-1", 2, 1000, &v));
	assert_false(str_to_u64("+1", 2, 1000, &v));
	assert_false(str_to_u64(" 1", 2, 1000, &v));
	assert_false(str_to_u64("1 ", 2, 1000, &v));
	assert_false(str_to_u64("0x10", 4, 1000, &v));
	/* Only len bytes are read. */
	assert_true(str_to_u64("123abc", 3, 1000, &v));
	assert_int_equal(v, 123);
	assert_true(str_to_u64("0000000000000000000000042", 25, 100, &v));
	assert_int_equal(v, 42);
}

/* ---- config ---- */

static void test_config_defaults(void **state)
{
	struct config c;

	config_init_defaults(&c);
	assert_string_equal(c.hostname, "mail.example.test");
	assert_string_equal(c.data_dir, "./var");
	assert_string_equal(c.user, "tresor");
	assert_string_equal(c.log_level, "info");
	assert_int_equal(c.workers, 4);
	assert_string_equal(c.tls_cert, "");
	assert_string_equal(c.tls_key, "");
	assert_string_equal(c.imap_listen, "127.0.0.1:10143");
	assert_string_equal(c.imap_listen_tls, "127.0.0.1:10993");
	assert_int_equal(c.imap_idle_timeout, 1800);
	assert_int_equal(c.imap_append_limit, 52428800);
	assert_int_equal(c.imap_max_connections, 20000);
	assert_int_equal(c.imap_literal_plus, 1);
	assert_string_equal(c.pop3_listen, "127.0.0.1:10110");
	assert_string_equal(c.pop3_listen_tls, "127.0.0.1:10995");
	assert_string_equal(c.smtp_listen_mx, "127.0.0.1:10025");
	assert_string_equal(c.smtp_listen_submission, "127.0.0.1:10587");
	assert_string_equal(c.smtp_listen_submissions, "127.0.0.1:10465");
	assert_int_equal(c.auth_cache_ttl, 3600);
	assert_int_equal(c.auth_cache_size, 100000);
	assert_int_equal(c.auth_failure_delay_ms, 1000);
	assert_null(c.path);
	config_deinit(&c);
	assert_null(c.hostname);
	assert_null(c.path);
}

static const char tb_full_conf[] = "# Tresor test configuration\n"
                                   "; another comment style\n"
                                   "\n"
                                   "[server]\n"
                                   "hostname = mx.example.org\n"
                                   "  data_dir=/srv/tresor  \n"
                                   "user = mail\n"
                                   "log_level = debug\n"
                                   "workers = 64\n"
                                   "\t# indented comment\n"
                                   "[tls]\n"
                                   "cert = /etc/tresor/cert.pem\n"
                                   "key = /etc/tresor/key.pem\n"
                                   "[ imap ]\n"
                                   "listen = 0.0.0.0:143, [::]:143\n"
                                   "listen_tls =\n"
                                   "idle_timeout = 60\n"
                                   "append_limit = 1073741824\n"
                                   "max_connections = 1\n"
                                   "literal_plus = 0\n"
                                   "[pop3]\n"
                                   "listen = 0.0.0.0:110\r\n"
                                   "listen_tls = 0.0.0.0:995\n"
                                   "[smtp]\n"
                                   "listen_mx = 0.0.0.0:25\n"
                                   "listen_submission = 0.0.0.0:587\n"
                                   "listen_submissions = 0.0.0.0:465\n"
                                   "[auth]\n"
                                   "cache_ttl = 0\n"
                                   "cache_size = 10000000\n"
                                   "failure_delay_ms = 10000"; /* no final newline */

static void test_config_read_every_section(void **state)
{
	char *dir = tb_mkdtemp(), *path = tb_write_file(dir, "full.conf", tb_full_conf);
	char *error = NULL;
	struct config c;

	config_init_defaults(&c);
	assert_int_equal(config_read_file(&c, path, &error), 0);
	assert_null(error);
	assert_string_equal(c.hostname, "mx.example.org");
	assert_string_equal(c.data_dir, "/srv/tresor");
	assert_string_equal(c.user, "mail");
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.workers, 64);
	assert_string_equal(c.tls_cert, "/etc/tresor/cert.pem");
	assert_string_equal(c.tls_key, "/etc/tresor/key.pem");
	assert_string_equal(c.imap_listen, "0.0.0.0:143, [::]:143");
	assert_string_equal(c.imap_listen_tls, "");
	assert_int_equal(c.imap_idle_timeout, 60);
	assert_int_equal(c.imap_append_limit, 1073741824);
	assert_int_equal(c.imap_max_connections, 1);
	assert_int_equal(c.imap_literal_plus, 0);
	assert_string_equal(c.pop3_listen, "0.0.0.0:110");
	assert_string_equal(c.pop3_listen_tls, "0.0.0.0:995");
	assert_string_equal(c.smtp_listen_mx, "0.0.0.0:25");
	assert_string_equal(c.smtp_listen_submission, "0.0.0.0:587");
	assert_string_equal(c.smtp_listen_submissions, "0.0.0.0:465");
	assert_int_equal(c.auth_cache_ttl, 0);
	assert_int_equal(c.auth_cache_size, 10000000);
	assert_int_equal(c.auth_failure_delay_ms, 10000);
	assert_string_equal(c.path, path);
	/* Reading a second file over the first replaces only what it sets. */
	free(path);
	path = tb_write_file(dir, "more.conf", "[server]\nhostname = second.example\n");
	assert_int_equal(config_read_file(&c, path, &error), 0);
	assert_string_equal(c.hostname, "second.example");
	assert_string_equal(c.user, "mail");
	assert_string_equal(c.path, path);
	config_deinit(&c);
	free(path);
	tb_rm(dir, "full.conf");
	tb_rm(dir, "more.conf");
	rmdir(dir);
	free(dir);
}

/* Reads text as a file and expects an error equal to "<path>:<expected>". */
static void tb_config_error(const char *dir, const char *text, const char *expected)
{
	char *path = tb_write_file(dir, "bad.conf", text), *want, *error = NULL;
	struct config c;

	config_init_defaults(&c);
	assert_int_equal(config_read_file(&c, path, &error), -1);
	assert_non_null(error);
	want = xasprintf("%s:%s", path, expected);
	assert_string_equal(error, want);
	assert_null(c.path);
	free(want);
	free(error);
	config_deinit(&c);
	unlink(path);
	free(path);
}

/* Reads text as a file and expects it to be accepted. */
static void tb_config_ok(const char *dir, const char *text, struct config *c)
{
	char *path = tb_write_file(dir, "ok.conf", text), *error = NULL;

	config_init_defaults(c);
	assert_int_equal(config_read_file(c, path, &error), 0);
	assert_null(error);
	unlink(path);
	free(path);
}

static void test_config_errors(void **state)
{
	char *dir = tb_mkdtemp();

	tb_config_error(dir, "# c\n\n[nope]\n", "3: unknown section [nope]");
	tb_config_error(dir, "[server]\nhostname = a\nbogus = 1\n",
	                "3: unknown key bogus in [server]");
	tb_config_error(dir, "[imap]\nworkers = 4\n", "2: unknown key workers in [imap]");
	tb_config_error(dir, "hostname = x\n", "1: unknown key hostname in []");
	tb_config_error(dir, "[server]\njust text\n", "2: expected key = value");
	tb_config_error(dir, "[server\n", "1: malformed section header");
	tb_config_error(dir, "[server] x\n", "1: malformed section header");
	tb_config_error(dir, "[Server]\n", "1: unknown section [Server]");
	tb_config_error(dir, "[server]\nworkers = 0\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[server]\nworkers = 65\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[server]\nworkers = -1\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[server]\nworkers = four\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[server]\nworkers =\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[server]\nworkers = 99999999999999999999999\n",
	                "2: [server] workers must be a number from 1 to 64");
	tb_config_error(dir, "[imap]\nidle_timeout = 1\n",
	                "2: [imap] idle_timeout must be a number from 2 to 86400");
	tb_config_error(dir, "[imap]\nappend_limit = 1073741825\n",
	                "2: [imap] append_limit must be a number from 1024 to 1073741824");
	tb_config_error(dir, "[auth]\nfailure_delay_ms = 10001\n",
	                "2: [auth] failure_delay_ms must be a number from 0 to 10000");
	rmdir(dir);
	free(dir);
}

static void test_config_long_lines(void **state)
{
	char *dir = tb_mkdtemp(), *text, *value;
	struct config c;

	/* A comment line of exactly CONFIG_LINE_MAX bytes is accepted. */
	value = xmalloc(CONFIG_LINE_MAX + 2);
	memset(value, 'x', CONFIG_LINE_MAX + 1);
	value[0] = '#';
	value[CONFIG_LINE_MAX] = '\0';
	text = xasprintf("%s\n[server]\nworkers = 2\n", value);
	tb_config_ok(dir, text, &c);
	assert_int_equal(c.workers, 2);
	config_deinit(&c);
	free(text);
	/* One byte more is "line too long". */
	value[CONFIG_LINE_MAX] = 'x';
	value[CONFIG_LINE_MAX + 1] = '\0';
	text = xasprintf("[server]\n%s\nworkers = 2\n", value);
	tb_config_error(dir, text, "2: line too long");
	free(text);
	free(value);

	/* Values of CONFIG_VALUE_MAX bytes are accepted, one more is not. */
	value = xmalloc(CONFIG_VALUE_MAX + 2);
	memset(value, 'h', CONFIG_VALUE_MAX + 1);
	value[CONFIG_VALUE_MAX] = '\0';
	text = xasprintf("[server]\nhostname = %s\n", value);
	tb_config_ok(dir, text, &c);
	assert_int_equal(strlen(c.hostname), CONFIG_VALUE_MAX);
	config_deinit(&c);
	free(text);
	value[CONFIG_VALUE_MAX] = 'h';
	value[CONFIG_VALUE_MAX + 1] = '\0';
	text = xasprintf("[server]\nhostname = %s\n", value);
	tb_config_error(dir, text, "2: value of hostname is too long");
	free(text);
	free(value);
	rmdir(dir);
	free(dir);
}

static void test_config_missing_file(void **state)
{
	char *error = NULL;
	struct config c;

	config_init_defaults(&c);
	assert_int_equal(config_read_file(&c, "/nonexistent/tresor.conf", &error), -1);
	assert_string_equal(error, "/nonexistent/tresor.conf: No such file or directory");
	free(error);
	error = NULL;
	config_deinit(&c);
	/* config_load with an explicit path requires it to exist. */
	assert_int_equal(config_load(&c, "/nonexistent/tresor.conf", &error), -1);
	assert_string_equal(error, "/nonexistent/tresor.conf: No such file or directory");
	free(error);
	config_deinit(&c);
}

static void test_config_load_cwd(void **state)
{
	char *dir = tb_mkdtemp(), *path, *error = NULL, cwd[PATH_MAX];
	struct config c;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	/* No ./tresor.conf: the defaults. */
	assert_int_equal(config_load(&c, NULL, &error), 0);
	assert_null(error);
	assert_null(c.path);
	assert_string_equal(c.hostname, "mail.example.test");
	config_deinit(&c);
	/* With ./tresor.conf: read over the defaults. */
	path = tb_write_file(dir, "tresor.conf", "[server]\nhostname = cwd.example\n");
	assert_int_equal(config_load(&c, NULL, &error), 0);
	assert_null(error);
	assert_string_equal(c.path, "tresor.conf");
	assert_string_equal(c.hostname, "cwd.example");
	assert_int_equal(c.workers, 4);
	config_deinit(&c);
	/* A bad ./tresor.conf is an error, not a silent fallback. */
	free(path);
	path = tb_write_file(dir, "tresor.conf", "[server]\nworkers = 0\n");
	assert_int_equal(config_load(&c, NULL, &error), -1);
	assert_string_equal(error, "tresor.conf:2: [server] workers must be a number from 1 to 64");
	free(error);
	config_deinit(&c);
	assert_int_equal(chdir(cwd), 0);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

/* ---- log ---- */

static void test_log_safe(void **state)
{
	char out[LOG_SAFE_SIZE], in[100];
	const char *r;

	r = log_safe(out, "alice@example.org", 17);
	assert_ptr_equal(r, out);
	assert_string_equal(out, "alice@example.org");
	log_safe(out, "a b=c\r\n\x01\x7f\xff\x80z", 12);
	assert_string_equal(out, "a?b?c??????z");
	log_safe(out, "", 0);
	assert_string_equal(out, "");
	/* Only len bytes are read, NUL bytes included. */
	log_safe(out, "ab\0cd", 5);
	assert_string_equal(out, "ab?cd");
	log_safe(out, "abcdef", 3);
	assert_string_equal(out, "abc");

	memset(in, 'k', sizeof(in));
	log_safe(out, in, 64);
	assert_int_equal(strlen(out), 64);
	assert_int_equal(strspn(out, "k"), 64);
	log_safe(out, in, 65);
	assert_int_equal(strlen(out), 67);
	assert_int_equal(strspn(out, "k"), 64);
	assert_string_equal(out + 64, "...");
	log_safe(out, in, sizeof(in));
	assert_int_equal(strlen(out), 67);
	assert_string_equal(out + 64, "...");
}

/* Runs fn with stderr on a pipe; returns what was written (newly allocated). */
static char *tb_capture_stderr(void (*fn)(void))
{
	int fds[2], saved;
	char *out = xmalloc(65536);
	size_t n = 0;
	ssize_t r;

	fflush(stderr);
	assert_int_equal(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fds[1], STDERR_FILENO) >= 0);
	close(fds[1]);
	fn();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	while (n < 65535 && (r = read(fds[0], out + n, 65535 - n)) > 0)
		n += (size_t)r;
	out[n] = '\0';
	close(fds[0]);
	return out;
}

static void tb_log_some(void)
{
	log_set_level(LOG_DEBUG);
	log_debug("imap session=%s cmd=%s", "7f3a", "FETCH");
	log_info("plain info");
	log_warn("n=%d", 42);
	log_error("store error=%s", "disk");
	log_set_level(LOG_WARN);
	log_debug("hidden debug");
	log_info("hidden info");
	log_warn("shown warn");
	log_set_level(LOG_INFO);
}

/* Checks that line (without '\n') is "ts=... level=<level> <text>", ts within a minute of now. */
static void tb_check_line(const char *line, size_t len, const char *level, const char *text)
{
	regex_t re;
	regmatch_t m[2];
	char *copy = xstrndup(line, len), *want;
	struct tm tm;
	time_t ts;

	assert_int_equal(regcomp(&re,
	                         "^ts=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
	                         "\\.[0-9]{3}Z level=",
	                         REG_EXTENDED),
	                 0);
	assert_int_equal(regexec(&re, copy, 2, m, 0), 0);
	regfree(&re);
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(copy + m[1].rm_so, "%Y-%m-%dT%H:%M:%S", &tm));
	ts = timegm(&tm);
	assert_true(ts <= time(NULL) && ts >= time(NULL) - 60);
	want = xasprintf("level=%s %s", level, text);
	assert_string_equal(copy + m[0].rm_eo - strlen("level="), want);
	free(want);
	free(copy);
}

static void test_log_lines(void **state)
{
	char *out = tb_capture_stderr(tb_log_some), *p = out, *nl;
	const char *want[][2] = {
	        {"debug", "imap session=7f3a cmd=FETCH"},
	        {"info", "plain info"},
	        {"warn", "n=42"},
	        {"error", "store error=disk"},
	        {"warn", "shown warn"},
	};
	size_t i;

	for (i = 0; i < N_ELEMENTS(want); i++) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		tb_check_line(p, (size_t)(nl - p), want[i][0], want[i][1]);
		p = nl + 1;
	}
	assert_string_equal(p, ""); /* nothing else: the filtered lines are absent */
	free(out);
}

static void tb_log_long(void)
{
	char *big = xmalloc(5001);

	memset(big, 'z', 5000);
	big[5000] = '\0';
	log_error("big=%s", big);
	log_error("after");
	free(big);
}

static void test_log_long_line_cut(void **state)
{
	char *out = tb_capture_stderr(tb_log_long), *nl = strchr(out, '\n');

	assert_non_null(nl);
	/* Cut below LOG_LINE_MAX bytes (the buffer keeps its NUL), still one line. */
	assert_int_equal((size_t)(nl - out) + 1, LOG_LINE_MAX - 1);
	assert_int_equal(nl[-1], 'z');
	assert_non_null(strstr(out, " level=error big=zzz"));
	tb_check_line(nl + 1, strlen(nl + 1) - 1, "error", "after");
	assert_int_equal(out[strlen(out) - 1], '\n');
	free(out);
}

/* One character through str_utf8_char: its length and code point, or 0. */
static size_t utf8(const char *s, size_t n, uint32_t *cp)
{
	return str_utf8_char((const unsigned char *)s, n, cp);
}

static void test_utf8_char(void **state)
{
	uint32_t cp = 0;

	assert_int_equal(utf8("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(utf8("\xc3\xb6", 2, &cp), 2); /* U+00F6 */
	assert_int_equal(cp, 0xf6);
	assert_int_equal(utf8("\xe2\x82\xac", 3, &cp), 3); /* U+20AC */
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(utf8("\xf0\x9f\x93\xa7", 4, &cp), 4); /* U+1F4E7 */
	assert_int_equal(cp, 0x1f4e7);
	assert_int_equal(utf8("\xf4\x8f\xbf\xbf", 4, &cp), 4); /* U+10FFFF, the last */
	/* Refused: overlong forms, surrogates, past U+10FFFF, stray and truncated bytes. */
	assert_int_equal(utf8("\xc0\xaf", 2, &cp), 0);
	assert_int_equal(utf8("\xe0\x80\xaf", 3, &cp), 0);
	assert_int_equal(utf8("\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(utf8("\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(utf8("\x80", 1, &cp), 0);
	assert_int_equal(utf8("\xc3\x28", 2, &cp), 0);
	assert_int_equal(utf8("\xe2\x82\xac", 2, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_buf_init_defaults),
	        cmocka_unit_test(test_buf_append_nul_terminated),
	        cmocka_unit_test(test_buf_grows),
	        cmocka_unit_test(test_buf_printf),
	        cmocka_unit_test(test_buf_room_and_exact_max),
	        cmocka_unit_test(test_buf_consume),
	        cmocka_unit_test(test_buf_steal),
	        cmocka_unit_test(test_buf_reset_truncate_wipe),
	        cmocka_unit_test(test_xgrowarray),
	        cmocka_unit_test(test_buf_new_free),
	        cmocka_unit_test(test_buf_fatal),
	        cmocka_unit_test(test_str_compare_ci),
	        cmocka_unit_test(test_str_find_ci),
	        cmocka_unit_test(test_str_trim_lower),
	        cmocka_unit_test(test_str_split_list),
	        cmocka_unit_test(test_str_to_u64),
	        cmocka_unit_test(test_config_defaults),
	        cmocka_unit_test(test_config_read_every_section),
	        cmocka_unit_test(test_config_errors),
	        cmocka_unit_test(test_config_long_lines),
	        cmocka_unit_test(test_config_missing_file),
	        cmocka_unit_test(test_config_load_cwd),
	        cmocka_unit_test(test_log_safe),
	        cmocka_unit_test(test_log_lines),
	        cmocka_unit_test(test_log_long_line_cut),
	        cmocka_unit_test(test_utf8_char),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
