/* records.h — parse record lines and format result lines.
 *
 * A record line is bare hex (either case; white space around it ignored) or
 * a JSON object {"id": <any JSON value>, "data": "<hex>"} ("id" optional and
 * echoed back by open; other members ignored). A blank line is no record.
 * A line that is neither — bad hex, an odd digit count where bytes are
 * needed, bad JSON, no "data" string — is a record marked bad (the commands
 * report it as "malformed") and processing goes on.
 *
 * Pure functions over caller-owned structs (no I/O), so a fuzzer can drive
 * them. Allocation failure exits the process (cli_oom).
 */
#ifndef E2E_CLI_RECORDS_H
#define E2E_CLI_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "e2ecrypt.h"

/* ------------------------------------------------------------ buffers */

/* cli_oom reports an allocation failure and exits with status 2. */
_Noreturn void cli_oom(void);
/* cli_xrealloc is realloc that exits through cli_oom on failure. */
void *cli_xrealloc(void *p, size_t n);

/* strbuf is a growable output buffer (not NUL-terminated). */
struct strbuf {
    char *p;
    size_t len, cap;
};
void sb_reserve(struct strbuf *sb, size_t extra);
void sb_put(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_putc(struct strbuf *sb, char c);
/* sb_hex appends the lower-case hex of n bytes. */
void sb_hex(struct strbuf *sb, const uint8_t *b, size_t n);
void sb_free(struct strbuf *sb);

/* ------------------------------------------------------------ records */

struct rec {
    size_t line;      /* 1-based line number in the input */
    int bad;          /* 1: malformed line (data not usable) */
    char *id;         /* compact JSON text of "id" (NUL-terminated, inside
                         idbuf), or NULL when not given */
    uint8_t *data;    /* decoded bytes (len), buffer reused across records */
    size_t len, cap;
    size_t digits;    /* hex digits as given (legacy XOR pads to this) */
    char *idbuf;      /* id storage, reused across records (id_cap bytes) */
    size_t id_cap;
    size_t id_len;    /* strlen(id) when id is set */
};

/* rec_parse parses one line (len bytes, newline included or not) into r,
 * reusing r's buffers: once they have grown to the largest record seen, a
 * record costs no allocation. pad_odd allows an odd digit count (a leading 0
 * nibble is implied: legacy Sigfox integers). Returns 0 for a blank line
 * (r untouched but for id, which is cleared), 1 for a record (r->bad says
 * whether it is malformed).
 *
 * JSON records: the common shapes (an object whose members are strings of
 * printable ASCII without escapes, integers, true, false or null) are read
 * by a small scanner in place; anything else (escapes, non-ASCII, numbers
 * with a fraction or exponent, nested values, duplicate or many members)
 * goes to jansson. Both give the same result for any line the scanner
 * accepts: the id is the compact JSON jansson would print. */
int rec_parse(struct rec *r, const char *line, size_t len, int pad_odd);

/* rec_free releases r's buffers. */
void rec_free(struct rec *r);

/* rec_format_open appends one open result line (with '\n'):
 * {"id":...,"status":"...","mode":"...","ki":"...","data":"..."}
 * id only when r->id; mode when mode != NULL; ki when ki != NULL; data
 * (pt, pt_len) only when st == E2E_OK. */
void rec_format_open(struct strbuf *sb, const struct rec *r, e2e_status st,
                     const char *mode, const uint8_t *ki, size_t ki_len,
                     const uint8_t *pt, size_t pt_len);
/* rec_format_open_n is rec_format_open with the status token
 * (e2e_status_name(st)) and the mode, and their lengths, given. */
void rec_format_open_n(struct strbuf *sb, const struct rec *r, e2e_status st,
                       const char *status, size_t status_len, const char *mode,
                       size_t mode_len, const uint8_t *ki, size_t ki_len, const uint8_t *pt,
                       size_t pt_len);

#endif /* E2E_CLI_RECORDS_H */
