/*
 * stuff.h - a stored message as the lines of a POP3 multi-line response:
 * CRLF line ends, a leading dot doubled, the terminating "." line
 * (RFC 1939 3, byte-stuffing), and TOP's cut after n body lines (RFC 1939 7).
 *
 * Pure: bytes in, bytes out. Limits: none beyond the message itself (the
 * output is at most twice its size plus 5 bytes). Attacker control: the
 * message bytes (anyone can mail the account).
 */
#ifndef TRESOR_POP3_STUFF_H
#define TRESOR_POP3_STUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

/*
 * Appends data as a multi-line response body to out, ending with ".\r\n".
 * A bare LF becomes CRLF; a last line without a line end gets one. With
 * top_lines >= 0, only the header, the blank line after it and the first
 * top_lines lines of the body are written (TOP); -1 writes everything (RETR).
 */
void pop3_stuff(const char *data, size_t len, int64_t top_lines, struct evbuffer *out);

#endif
