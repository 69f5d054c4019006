/*
 * commands.h - the SMTP command handlers, one file per command or family:
 * cmd-helo.c (HELO, EHLO), cmd-starttls.c, cmd-auth.c, cmd-mail.c,
 * cmd-rcpt.c, cmd-data.c (DATA, BDAT, the commit of a message), cmd-misc.c
 * (RSET, NOOP, QUIT, HELP, VRFY, EXPN).
 */
#ifndef TRESOR_SMTP_COMMANDS_H
#define TRESOR_SMTP_COMMANDS_H

#include "smtp/session.h"

smtp_cmd_fn smtp_cmd_helo;
smtp_cmd_fn smtp_cmd_ehlo;
smtp_cmd_fn smtp_cmd_starttls;
smtp_cmd_fn smtp_cmd_auth;
smtp_cmd_fn smtp_cmd_mail;
smtp_cmd_fn smtp_cmd_rcpt;
smtp_cmd_fn smtp_cmd_data;
smtp_cmd_fn smtp_cmd_bdat;
smtp_cmd_fn smtp_cmd_rset;
smtp_cmd_fn smtp_cmd_noop;
smtp_cmd_fn smtp_cmd_quit;
smtp_cmd_fn smtp_cmd_help;
smtp_cmd_fn smtp_cmd_vrfy;
smtp_cmd_fn smtp_cmd_expn;

#endif
