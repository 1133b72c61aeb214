/* hex.c — hex, base64 and small text helpers for the e2ecrypt tool. */
#include "hex.h"

#include <string.h>

int cli_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

void cli_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && cli_is_space((unsigned char)p[0])) {
        p++;
        n--;
    }
    while (n > 0 && cli_is_space((unsigned char)p[n - 1]))
        n--;
    *s = p;
    *len = n;
}

/* hex_tab maps an ASCII hex digit to 0..15 and anything else to 0xff.
 * (Hex here is record and KI text: public, so a table lookup is fine.) */
#define H16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const uint8_t hex_tab[256] = {
    H16(0xff), H16(0xff), H16(0xff),
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    H16(0xff),
    0xff, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    H16(0xff),
    H16(0xff), H16(0xff), H16(0xff), H16(0xff), H16(0xff), H16(0xff), H16(0xff), H16(0xff)};
#undef H16

static int hex_val(unsigned char c)
{
    return hex_tab[c] == 0xff ? -1 : hex_tab[c];
}

/* Sixteen hex digits at a time, with GCC/clang vector extensions (SSE2 on
 * x86-64, NEON on aarch64, plain C elsewhere); little-endian only, where a
 * 16-bit lane holds two adjacent characters low byte first. */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CLI_HEX_VEC 1
typedef uint8_t cli_u8x16 __attribute__((vector_size(16)));
typedef uint16_t cli_u16x8 __attribute__((vector_size(16)));
typedef uint8_t cli_u8x8 __attribute__((vector_size(8)));

/* hex16_values turns the 16 characters at s into their digit values and
 * sets *ok to all-ones bytes where a character is a hex digit (0 elsewhere);
 * the values of other characters are unspecified. */
static inline cli_u8x16 hex16_values(const char *s, cli_u8x16 *ok)
{
    cli_u8x16 c, d, l, isd, isl;
    memcpy(&c, s, 16);
    d = c - (uint8_t)'0';                   /* '0'..'9' -> 0..9 */
    l = (c | (uint8_t)0x20) - (uint8_t)'a'; /* 'a'..'f', 'A'..'F' -> 0..5 */
    isd = (cli_u8x16)(d < 10);
    isl = (cli_u8x16)(l < 6);
    *ok = isd | isl;
    return (d & isd) | ((l + 10) & isl);
}

/* hex16_pack packs 16 digit values into 8 bytes at out. */
static inline void hex16_pack(uint8_t out[8], cli_u8x16 v)
{
    cli_u16x8 w;
    cli_u8x8 b;
    memcpy(&w, &v, 16);
    w = ((w & 0xff) << 4) | (w >> 8); /* first digit high, second low */
    b = __builtin_convertvector(w, cli_u8x8);
    memcpy(out, &b, 8);
}

/* all_ones is true when every byte of m is 0xff. */
static inline int all_ones(cli_u8x16 m)
{
    uint64_t m0, m1;
    memcpy(&m0, &m, 8);
    memcpy(&m1, (const uint8_t *)&m + 8, 8);
    return (m0 & m1) == ~(uint64_t)0;
}

/* hex16_decode decodes the 16 digits at s into out[0..8). Returns 0 when
 * one of them is not a hex digit (out is then unspecified). */
static inline int hex16_decode(uint8_t out[8], const char *s)
{
    cli_u8x16 ok, v = hex16_values(s, &ok);
    if (!all_ones(ok))
        return 0;
    hex16_pack(out, v);
    return 1;
}

/* hex_decode_blocks decodes n whole blocks of 16 digits (n >= 1) with one
 * validity check at the end. Returns 0 when some character was not a hex
 * digit (out then holds garbage, which the caller overwrites or drops). */
static inline int hex_decode_blocks(uint8_t *out, const char *s, size_t n)
{
    cli_u8x16 acc, ok;
    acc = (cli_u8x16){0} - 1;
    for (size_t k = 0; k < n; k++) {
        cli_u8x16 v = hex16_values(s + 16 * k, &ok);
        acc &= ok;
        hex16_pack(out + 8 * k, v);
    }
    return all_ones(acc);
}

/* hex8_encode writes the 16 lower-case digits of in[0..8) to out. */
static inline void hex8_encode(char *out, const uint8_t *in)
{
    cli_u8x8 b;
    cli_u16x8 w;
    cli_u8x16 n;
    memcpy(&b, in, 8);
    w = __builtin_convertvector(b, cli_u16x8);
    w = (w >> 4) | ((w & 15) << 8); /* high nibble first */
    memcpy(&n, &w, 16);
    n = n + (uint8_t)'0' + ((cli_u8x16)(n > 9) & (uint8_t)('a' - '0' - 10));
    memcpy(out, &n, 16);
}
#endif

long cli_hex_decode(uint8_t *out, size_t out_cap, const char *s, size_t len,
                    int pad_odd, size_t *bad_at)
{
    size_t i = 0, o = 0;
    size_t nbytes = (len + 1) / 2;

    *bad_at = 0;
    if ((len & 1) && !pad_odd)
        return -2;
    if (nbytes > out_cap)
        return -3;
    if (len & 1) {
        int v = hex_val((unsigned char)s[0]);
        if (v < 0) {
            *bad_at = 0;
            return -1;
        }
        out[o++] = (uint8_t)v;
        i = 1;
    }
#ifdef CLI_HEX_VEC
    /* Whole blocks; a block with a bad digit is left to the loop below,
     * which finds its position. The last few digits are done as one more
     * block that overlaps the one before (the overlap decodes to the same
     * bytes), when there are 16 digits to read. */
    if (len - i >= 16) {
        size_t n = (len - i) / 16;
        if (hex_decode_blocks(out + o, s + i, n)) {
            i += 16 * n;
            o += 8 * n;
        }
        /* else: the scalar loop below finds the bad character */
    }
    if (i < len && len - i < 16 && i >= 16 - (len - i) && !(len & 1)) {
        size_t back = 16 - (len - i); /* even: len and i are even here */
        if (hex16_decode(out + o - back / 2, s + i - back)) {
            o += (len - i) / 2;
            i = len;
        }
    }
#endif
    for (; i < len; i += 2) {
        unsigned hi = hex_tab[(unsigned char)s[i]];
        unsigned lo = hex_tab[(unsigned char)s[i + 1]];
        if ((hi | lo) & 0xf0) {
            *bad_at = hi & 0xf0 ? i : i + 1;
            return -1;
        }
        out[o++] = (uint8_t)(hi << 4 | lo);
    }
    return (long)o;
}

char *cli_hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i = 0;
#ifdef CLI_HEX_VEC
    for (; len - i >= 16; i += 16, out += 32) {
        hex8_encode(out, in + i);
        hex8_encode(out + 16, in + i + 8);
    }
    if (len - i >= 8) {
        hex8_encode(out, in + i);
        i += 8;
        out += 16;
    }
    if (i < len && i >= 8) { /* the tail: 8 bytes overlapping the last ones */
        size_t back = 8 - (len - i);
        hex8_encode(out - 2 * back, in + i - back);
        out += 2 * (len - i);
        i = len;
    }
#endif
    for (; i < len; i++) {
        *out++ = digits[in[i] >> 4];
        *out++ = digits[in[i] & 15];
    }
    return out;
}

/* b64_val maps a character of the standard base64 alphabet to 0..63,
 * anything else to -1. */
static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long cli_b64_decode(uint8_t *out, size_t out_cap, const char *s, size_t len,
                    size_t *bad_at)
{
    size_t d = len, pad, nbytes, o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    *bad_at = 0;
    /* d = where the data characters end: the first '='. */
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') {
            d = i;
            break;
        }
    }
    pad = len - d;
    for (size_t i = d; i < len; i++) {
        if (s[i] != '=') {
            *bad_at = i; /* data after padding */
            return b64_val((unsigned char)s[i]) < 0 ? CLI_B64_BAD_CHAR : CLI_B64_BAD_PAD;
        }
    }
    for (size_t i = 0; i < d; i++) {
        if (b64_val((unsigned char)s[i]) < 0) {
            *bad_at = i;
            return CLI_B64_BAD_CHAR;
        }
    }
    if (pad > 2) {
        *bad_at = d + 2;
        return CLI_B64_BAD_PAD;
    }
    if (pad > 0 && (d + pad) % 4 != 0) {
        *bad_at = d;
        return CLI_B64_BAD_PAD;
    }
    if (d % 4 == 1) {
        *bad_at = len;
        return CLI_B64_BAD_LEN;
    }
    nbytes = d / 4 * 3 + (d % 4 == 2 ? 1 : d % 4 == 3 ? 2 : 0);
    if (nbytes > out_cap) {
        *bad_at = len;
        return CLI_B64_TOO_LONG;
    }
    for (size_t i = 0; i < d; i++) {
        acc = acc << 6 | (uint32_t)b64_val((unsigned char)s[i]);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1; /* keep only the bits not yet emitted */
        }
    }
    /* Leftover bits (< 8) are dropped even when non-zero: see hex.h. */
    cli_wipe(&acc, sizeof acc);
    return (long)o;
}

size_t cli_b64_encode(char *out, const uint8_t *in, size_t len)
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = alpha[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = alpha[v >> 18];
        out[o++] = alpha[(v >> 12) & 63];
        out[o++] = alpha[(v >> 6) & 63];
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

void cli_wipe(void *p, size_t n)
{
    if (!n)
        return;
    memset(p, 0, n);
    /* The empty asm "uses" the memory, so the memset is not dead. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
