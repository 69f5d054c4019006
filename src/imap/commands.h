/*
 * commands.h - the handlers of the command table, one per IMAP command.
 * Each runs on the thread its table entry says (see session.h) and ends with
 * exactly one tagged reply (imap_tagged or imap_bad).
 */
#ifndef TRESOR_IMAP_COMMANDS_H
#define TRESOR_IMAP_COMMANDS_H

#include <stdbool.h>

struct imap_session;

void imap_cmd_capability(struct imap_session *s);
void imap_cmd_noop(struct imap_session *s);
void imap_cmd_logout(struct imap_session *s);
void imap_cmd_id(struct imap_session *s);
void imap_cmd_enable(struct imap_session *s);
void imap_cmd_namespace(struct imap_session *s);
void imap_cmd_check(struct imap_session *s);
void imap_cmd_starttls(struct imap_session *s);
void imap_cmd_login(struct imap_session *s);
void imap_cmd_authenticate(struct imap_session *s);
void imap_cmd_select(struct imap_session *s);
void imap_cmd_examine(struct imap_session *s);
void imap_cmd_close(struct imap_session *s);
void imap_cmd_unselect(struct imap_session *s);
void imap_cmd_create(struct imap_session *s);
void imap_cmd_delete(struct imap_session *s);
void imap_cmd_rename(struct imap_session *s);
void imap_cmd_subscribe(struct imap_session *s);
void imap_cmd_unsubscribe(struct imap_session *s);
void imap_cmd_list(struct imap_session *s);
void imap_cmd_lsub(struct imap_session *s);
void imap_cmd_status(struct imap_session *s);
void imap_cmd_append(struct imap_session *s);
void imap_cmd_idle(struct imap_session *s);
void imap_cmd_expunge(struct imap_session *s);
void imap_cmd_copy(struct imap_session *s);
void imap_cmd_move(struct imap_session *s);
void imap_cmd_store(struct imap_session *s);
void imap_cmd_fetch(struct imap_session *s);
void imap_cmd_search(struct imap_session *s);

/* Helpers shared by command files. */
struct imap_arg;
/* A flag list to system flags and a space-separated keyword string (arena);
 * false if a flag is invalid (\Recent, unknown system flag, bad keyword). */
bool imap_parse_flag_list(struct imap_session *s, const struct imap_arg *list, unsigned *flags_r,
                          const char **keywords_r);
/* Special-use attributes as LIST writes them. */
void imap_write_special_use(struct imap_session *s, unsigned bits, bool *first);

#endif
