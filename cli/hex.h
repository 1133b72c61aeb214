/* hex.h — hex, base64 and small text helpers for the e2ecrypt tool.
 *
 * These are pure functions over caller buffers (no allocation, no I/O), kept
 * apart from main.c so a fuzzer can drive them directly.
 */
#ifndef E2E_CLI_HEX_H
#define E2E_CLI_HEX_H

#include <stddef.h>
#include <stdint.h>

/* cli_is_space is true for the ASCII white space characters ' ', \t, \n,
 * \v, \f, \r. */
int cli_is_space(int c);

/* cli_trim narrows [*s, *s + *len) to exclude leading and trailing white
 * space. */
void cli_trim(const char **s, size_t *len);

/* cli_hex_decode decodes len hex digits (either case, no prefix, no white
 * space) into out (out_cap bytes). An odd digit count is an error unless
 * pad_odd is set, in which case a leading 0 nibble is implied (legacy Sigfox
 * integers). Returns the byte count, or -1 for a non-hex character (its
 * 0-based offset in *bad_at), -2 for an odd digit count, -3 when out_cap is
 * too small (callers pass at least (len + 1) / 2 bytes). */
long cli_hex_decode(uint8_t *out, size_t out_cap, const char *s, size_t len,
                    int pad_odd, size_t *bad_at);

/* cli_hex_encode writes 2 * len lower-case hex digits of in to out (no NUL)
 * and returns a pointer just past them. */
char *cli_hex_encode(char *out, const uint8_t *in, size_t len);

/* cli_b64_decode decodes standard base64 (RFC 4648 section 4 alphabet) from
 * s (len characters) into out (out_cap bytes).
 *
 * Leniency, chosen deliberately because the u-blox documentation's own
 * sample responses are not canonical:
 *  - the '=' padding may be missing ("KgXYZgAAiSgisgADBBBBBB");
 *  - non-zero bits left over in the last character are ignored
 *    ("EQEBAIkoIrZnYX4vnjgCCC==" decodes to 16 bytes).
 * Strict about everything else: a character outside the alphabet (this
 * includes white space and the URL-safe '-' and '_'), '=' anywhere but at the
 * end, more than two '=', padding that does not complete a 4-character group,
 * and a length that leaves a single dangling character are all errors.
 *
 * Returns the byte count, or a negative cli_b64_err with *bad_at set to the
 * 0-based offset of the character at fault (or len for a length problem). */
enum cli_b64_err {
    CLI_B64_BAD_CHAR = -1, /* character outside the alphabet */
    CLI_B64_BAD_PAD = -2,  /* misplaced or excess '=' */
    CLI_B64_BAD_LEN = -3,  /* one dangling character (length 4k + 1) */
    CLI_B64_TOO_LONG = -4  /* decodes to more than out_cap bytes */
};
long cli_b64_decode(uint8_t *out, size_t out_cap, const char *s, size_t len,
                    size_t *bad_at);

/* cli_b64_encode writes canonical padded base64 of in (len bytes) to out,
 * NUL-terminated; out needs 4 * ((len + 2) / 3) + 1 bytes. Returns the
 * character count. */
size_t cli_b64_encode(char *out, const uint8_t *in, size_t len);

/* cli_wipe overwrites n bytes at p with zeros in a way the compiler may not
 * drop (for decoded key material). */
void cli_wipe(void *p, size_t n);

#endif /* E2E_CLI_HEX_H */
