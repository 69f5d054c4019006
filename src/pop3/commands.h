/*
 * commands.h - the POP3 command handlers, one file per family: cmd-auth.c
 * (USER, PASS, AUTH, APOP), cmd-list.c (STAT, LIST, UIDL), cmd-retr.c (RETR,
 * TOP), cmd-dele.c (DELE, RSET), cmd-misc.c (NOOP, QUIT, CAPA, STLS).
 */
#ifndef TRESOR_POP3_COMMANDS_H
#define TRESOR_POP3_COMMANDS_H

#include "pop3/session.h"

pop3_cmd_fn pop3_cmd_user;
pop3_cmd_fn pop3_cmd_pass;
pop3_cmd_fn pop3_cmd_auth;
pop3_cmd_fn pop3_cmd_apop;
pop3_cmd_fn pop3_cmd_stat;
pop3_cmd_fn pop3_cmd_list;
pop3_cmd_fn pop3_cmd_uidl;
pop3_cmd_fn pop3_cmd_retr;
pop3_cmd_fn pop3_cmd_top;
pop3_cmd_fn pop3_cmd_dele;
pop3_cmd_fn pop3_cmd_rset;
pop3_cmd_fn pop3_cmd_noop;
pop3_cmd_fn pop3_cmd_quit;
pop3_cmd_fn pop3_cmd_capa;
pop3_cmd_fn pop3_cmd_stls;

#endif
