/* records.c — parse record lines and format result lines (records.h). */
#include "records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hex.h"

/* ------------------------------------------------------------ buffers */

void cli_oom(void)
{
    fputs("e2ecrypt: out of memory\n", stderr);
    exit(2);
}

void *cli_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        cli_oom();
    return q;
}

void sb_reserve(struct strbuf *sb, size_t extra)
{
    if (sb->cap - sb->len >= extra)
        return;
    size_t ncap = sb->cap ? sb->cap : 4096;
    while (ncap - sb->len < extra)
        ncap *= 2;
    sb->p = cli_xrealloc(sb->p, ncap);
    sb->cap = ncap;
}

void sb_put(struct strbuf *sb, const char *s, size_t n)
{
    sb_reserve(sb, n);
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
}

void sb_puts(struct strbuf *sb, const char *s)
{
    sb_put(sb, s, strlen(s));
}

void sb_putc(struct strbuf *sb, char c)
{
    sb_reserve(sb, 1);
    sb->p[sb->len++] = c;
}

void sb_hex(struct strbuf *sb, const uint8_t *b, size_t n)
{
    sb_reserve(sb, 2 * n);
    cli_hex_encode(sb->p + sb->len, b, n);
    sb->len += 2 * n;
}

void sb_free(struct strbuf *sb)
{
    free(sb->p);
    sb->p = NULL;
    sb->len = sb->cap = 0;
}

/* ------------------------------------------------------------ ids */

/* jdumps is json_dumps with the result copied to plain malloc memory (the
 * text jansson returns comes from its own allocator, see
 * keyring_wiping_alloc, and must go back to it). */
static char *jdumps(const json_t *v, size_t flags)
{
    json_malloc_t m;
    json_free_t f;
    char *s = json_dumps(v, flags), *copy;
    size_t n;
    if (!s)
        cli_oom();
    n = strlen(s);
    copy = cli_xrealloc(NULL, n + 1);
    memcpy(copy, s, n + 1);
    json_get_alloc_funcs(&m, &f);
    f(s);
    return copy;
}

static int has_real(json_t *v)
{
    if (json_is_real(v))
        return 1;
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            if (has_real(json_array_get(v, i)))
                return 1;
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (has_real(x))
                return 1;
        }
    }
    return 0;
}

/* dump_id renders id as compact JSON, the same value as given. Numbers with
 * a fraction or exponent come back in the shortest form that reads back to
 * the same double (jansson's default 17 digits would turn 0.1 into
 * 0.10000000000000001). Member order and string contents are kept. */
static char *dump_id(json_t *id)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    if (has_real(id)) {
        for (int prec = 1; prec <= 17; prec++) {
            char *s = jdumps(id, flags | JSON_REAL_PRECISION(prec));
            json_t *back;
            back = json_loads(s, JSON_DECODE_ANY, NULL);
            if (back && json_equal(back, id)) {
                json_decref(back);
                return s;
            }
            json_decref(back);
            free(s);
        }
    }
    return jdumps(id, flags);
}

/* ------------------------------------------------------------ records */

/* set_data decodes hex s (n chars, already trimmed) into r. */
static void set_data(struct rec *r, const char *s, size_t n, int pad_odd)
{
    size_t need = (n + 1) / 2 + 1, bad; /* + 1: never NULL, even for no bytes */
    long got;
    if (need > r->cap) {
        r->data = cli_xrealloc(r->data, need);
        r->cap = need;
    }
    got = cli_hex_decode(r->data, r->cap, s, n, pad_odd, &bad);
    r->digits = n;
    if (got < 0) {
        r->bad = 1;
        r->len = 0;
        return;
    }
    r->len = (size_t)got;
}

int rec_parse(struct rec *r, const char *line, size_t len, int pad_odd)
{
    const char *s = line;
    size_t n = len;

    free(r->id);
    r->id = NULL;
    cli_trim(&s, &n);
    if (n == 0)
        return 0;
    r->bad = 0;
    r->len = 0;
    r->digits = 0;
    if (s[0] != '{') {
        set_data(r, s, n, pad_odd);
        return 1;
    }

    json_t *obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *id, *data;
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        r->bad = 1;
        return 1;
    }
    id = json_object_get(obj, "id");
    if (id)
        r->id = dump_id(id);
    data = json_object_get(obj, "data");
    if (!json_is_string(data)) {
        r->bad = 1;
    } else {
        const char *d = json_string_value(data);
        size_t dn = json_string_length(data);
        cli_trim(&d, &dn);
        set_data(r, d, dn, pad_odd);
    }
    json_decref(obj);
    return 1;
}

void rec_free(struct rec *r)
{
    free(r->id);
    free(r->data);
    memset(r, 0, sizeof *r);
}

void rec_format_open(struct strbuf *sb, const struct rec *r, e2e_status st,
                     const char *mode, const uint8_t *ki, size_t ki_len,
                     const uint8_t *pt, size_t pt_len)
{
    sb_putc(sb, '{');
    if (r->id) {
        sb_puts(sb, "\"id\":");
        sb_puts(sb, r->id);
        sb_putc(sb, ',');
    }
    sb_puts(sb, "\"status\":\"");
    sb_puts(sb, e2e_status_name(st));
    sb_putc(sb, '"');
    if (mode) {
        sb_puts(sb, ",\"mode\":\"");
        sb_puts(sb, mode);
        sb_putc(sb, '"');
    }
    if (ki) {
        sb_puts(sb, ",\"ki\":\"");
        sb_hex(sb, ki, ki_len);
        sb_putc(sb, '"');
    }
    if (st == E2E_OK) {
        sb_puts(sb, ",\"data\":\"");
        sb_hex(sb, pt, pt_len);
        sb_putc(sb, '"');
    }
    sb_puts(sb, "}\n");
}
