/*
 * privs.c - the data directory and dropping root privileges.
 *
 * Started as root, Tresor binds its ports and then runs as [server] user
 * (default "tresor"), which owns data_dir. Admin commands run as root become
 * that user too before they touch the store, so every file in data_dir keeps
 * one owner.
 */
#include "cli/cli.h"

#include "base/config.h"
#include "base/mem.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool will_drop(const struct config *cfg)
{
	return geteuid() == 0 && cfg->user[0] != '\0';
}

/* Gives data_dir and the files directly in it (and in tls/) to uid:gid. */
static void chown_tree(const char *dir, uid_t uid, gid_t gid, int depth)
{
	DIR *d;
	struct dirent *e;

	if (chown(dir, uid, gid) < 0 || depth > 1 || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char *path;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (e->d_type == DT_DIR)
			chown_tree(path, uid, gid, depth + 1);
		else if (chown(path, uid, gid) < 0)
			fprintf(stderr, "tresor: chown %s: %s\n", path, strerror(errno));
		free(path);
	}
	closedir(d);
}

int cli_prepare_data_dir(const struct config *cfg)
{
	struct passwd *pw;

	if (mkdir(cfg->data_dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "tresor: cannot create %s: %s\n", cfg->data_dir, strerror(errno));
		return -1;
	}
	if (!will_drop(cfg))
		return 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		fprintf(stderr,
		        "tresor: user '%s' does not exist; create it (adduser --system --group "
		        "%s) or set [server] user\n",
		        cfg->user, cfg->user);
		return -1;
	}
	chown_tree(cfg->data_dir, pw->pw_uid, pw->pw_gid, 0);
	return 0;
}

int cli_drop_privileges(const struct config *cfg)
{
	struct passwd *pw;

	if (!will_drop(cfg))
		return 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL) {
		fprintf(stderr, "tresor: user '%s' does not exist\n", cfg->user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "tresor: cannot become %s: %s\n", cfg->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "tresor: privileges were not dropped\n");
		return -1;
	}
	return 0;
}
