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
    for (size_t i = 0; i < len; i++) {
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
