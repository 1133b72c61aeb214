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

static inline char *put(char *o, const char *s, size_t n);

/* set_id stores the id text (n bytes) in r's reusable id buffer. */
static void set_id(struct rec *r, const char *s, size_t n)
{
    if (n + 1 > r->id_cap) {
        size_t cap = r->id_cap ? r->id_cap : 64;
        while (cap < n + 1)
            cap *= 2;
        r->idbuf = cli_xrealloc(r->idbuf, cap);
        r->id_cap = cap;
    }
    put(r->idbuf, s, n);
    r->idbuf[n] = '\0';
    r->id = r->idbuf;
    r->id_len = n;
}

/* ------------------------------------------------------------ JSON fast path
 *
 * scan_* read the subset of JSON that record lines use in practice, with no
 * allocation. Each returns a pointer past what it read, or NULL when the
 * text is outside the subset: the caller then hands the whole line to
 * jansson, which decides (and is authoritative for errors). Inside the
 * subset the result equals jansson's, including the id text: jansson prints
 * a string of printable ASCII without '"' or '\' exactly as given, a
 * canonical integer as its digits, and true/false/null as themselves. */

/* JSON's white space (not \v or \f, which cli_trim also strips). */
static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* scan_string reads "..." of printable ASCII without escapes. */
static const char *scan_string(const char *p, const char *end)
{
    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return NULL;
    }
    return NULL;
}

/* scan_value reads a string, a canonical integer of at most 18 digits (no
 * "-0": jansson prints it as 0), true, false or null; *is_string tells
 * which. */
static const char *scan_value(const char *p, const char *end, int *is_string)
{
    *is_string = 0;
    if (p >= end)
        return NULL;
    if (*p == '"') {
        *is_string = 1;
        return scan_string(p, end);
    }
    if (*p == '-' || (*p >= '0' && *p <= '9')) {
        const char *q = p + (*p == '-'), *d = q;
        while (q < end && *q >= '0' && *q <= '9')
            q++;
        if (q == d || q - d > 18 || (*d == '0' && (q - d > 1 || *p == '-')))
            return NULL;
        if (q < end && (*q == '.' || *q == 'e' || *q == 'E'))
            return NULL;
        return q;
    }
    static const char *const lit[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lit[i]);
        if ((size_t)(end - p) >= n && memcmp(p, lit[i], n) == 0)
            return p + n;
    }
    return NULL;
}

/* fast_hex_string reads the string at p (p[0] == '"') when it holds only
 * hex digits, with spaces around them: it finds the closing quote with
 * memchr and decodes the digits straight into r. Any other content (an
 * escape, a control or non-ASCII character, a non-hex character) makes it
 * return NULL without a verdict, and the careful scanner takes over. On
 * success it returns a pointer past the closing quote. */
static const char *fast_hex_string(struct rec *r, const char *p, const char *end, int pad_odd)
{
    const char *s = p + 1, *q = memchr(s, '"', (size_t)(end - s));
    size_t n, need, bad;
    long got;
    if (!q)
        return NULL;
    n = (size_t)(q - s);
    while (n && *s == ' ') {
        s++;
        n--;
    }
    while (n && s[n - 1] == ' ')
        n--;
    need = (n + 1) / 2 + 1;
    if (need > r->cap) {
        r->data = cli_xrealloc(r->data, need);
        r->cap = need;
    }
    got = cli_hex_decode(r->data, r->cap, s, n, pad_odd, &bad);
    if (got < 0)
        return NULL;
    r->len = (size_t)got;
    r->digits = n;
    return q + 1;
}

/* Members beyond this many go to jansson (the duplicate check is a scan). */
#define FAST_MAX_MEMBERS 8

/* parse_json_fast parses the object s (n bytes, trimmed, s[0] == '{') into
 * r. Returns 1 when done, 0 when jansson must decide. */
static int parse_json_fast(struct rec *r, const char *s, size_t n, int pad_odd)
{
    const char *p = s + 1, *end = s + n;
    const char *key[FAST_MAX_MEMBERS];
    size_t key_len[FAST_MAX_MEMBERS], nkeys = 0;
    const char *id = NULL, *data = NULL, *q;
    size_t id_len = 0, data_len = 0;
    int data_is_string = 0, data_done = 0;

    p = skip_ws(p, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            const char *k = p, *v;
            int is_string;
            p = scan_string(p, end);
            if (!p || nkeys == FAST_MAX_MEMBERS)
                return 0;
            /* the key's text between the quotes */
            key[nkeys] = k + 1;
            key_len[nkeys] = (size_t)(p - k) - 2;
            for (size_t i = 0; i < nkeys; i++)
                if (key_len[i] == key_len[nkeys] &&
                    memcmp(key[i], key[nkeys], key_len[i]) == 0)
                    return 0; /* a duplicate: jansson rejects the line */
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                return 0;
            p = skip_ws(p + 1, end);
            v = p;
            if (key_len[nkeys] == 4 && memcmp(key[nkeys], "data", 4) == 0 && p < end &&
                *p == '"' && !data && (q = fast_hex_string(r, p, end, pad_odd)) != NULL) {
                /* decoded already: a string of hex digits (and spaces) */
                data_done = 1;
                p = q;
                data = v;
                data_len = (size_t)(p - v);
                data_is_string = 1;
                nkeys++;
                goto next_member;
            }
            p = scan_value(p, end, &is_string);
            if (!p)
                return 0;
            if (key_len[nkeys] == 2 && memcmp(key[nkeys], "id", 2) == 0) {
                id = v;
                id_len = (size_t)(p - v);
            } else if (key_len[nkeys] == 4 && memcmp(key[nkeys], "data", 4) == 0) {
                data = v;
                data_len = (size_t)(p - v);
                data_is_string = is_string;
            }
            nkeys++;
        next_member:
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            return 0;
        }
    }
    if (p != end)
        return 0; /* text after the object */

    if (id)
        set_id(r, id, id_len);
    if (data_done) {
        /* set_data ran in fast_hex_string */
    } else if (!data || !data_is_string) {
        r->bad = 1;
        r->len = 0;
        r->digits = 0;
    } else {
        const char *d = data + 1;
        size_t dn = data_len - 2;
        cli_trim(&d, &dn);
        set_data(r, d, dn, pad_odd);
    }
    return 1;
}

int rec_parse(struct rec *r, const char *line, size_t len, int pad_odd)
{
    const char *s = line;
    size_t n = len;

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
    if (parse_json_fast(r, s, n, pad_odd))
        return 1;

    /* Everything else: jansson. */
    json_t *obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
    json_t *id, *data;
    r->id = NULL;
    r->bad = 0;
    r->len = 0;
    r->digits = 0;
    if (!obj || !json_is_object(obj)) {
        json_decref(obj);
        r->bad = 1;
        return 1;
    }
    id = json_object_get(obj, "id");
    if (id) {
        char *t = dump_id(id);
        set_id(r, t, strlen(t));
        free(t);
    }
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
    free(r->idbuf);
    free(r->data);
    memset(r, 0, sizeof r[0]);
}

/* put copies n bytes to o and returns the end. Short copies (ids, status
 * and mode names) are done inline with overlapping word moves rather than
 * a call; nothing is read or written outside [s, s + n) and [o, o + n). */
static inline char *put(char *o, const char *s, size_t n)
{
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(o, &a, 4);
        memcpy(o + n - 4, &b, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            o[i] = s[i];
    } else {
        memcpy(o, s, n);
    }
    return o + n;
}

#define PUT_LIT(o, lit) put((o), (lit), sizeof(lit) - 1)

void rec_format_open(struct strbuf *sb, const struct rec *r, e2e_status st,
                     const char *mode, const uint8_t *ki, size_t ki_len,
                     const uint8_t *pt, size_t pt_len)
{
    const char *status = e2e_status_name(st);
    rec_format_open_n(sb, r, st, status, strlen(status), mode, mode ? strlen(mode) : 0, ki,
                      ki_len, pt, pt_len);
}

void rec_format_open_n(struct strbuf *sb, const struct rec *r, e2e_status st,
                       const char *status, size_t status_len, const char *mode,
                       size_t mode_len, const uint8_t *ki, size_t ki_len, const uint8_t *pt,
                       size_t pt_len)
{
    size_t id_len = r->id ? (r->id == r->idbuf ? r->id_len : strlen(r->id)) : 0;
    /* {"id":ID,"status":"S","mode":"M","ki":"K","data":"D"}\n */
    size_t need = 2 + (r->id ? 6 + id_len : 0) + 11 + status_len + (mode ? 10 + mode_len : 0) +
                  (ki ? 8 + 2 * ki_len : 0) + (st == E2E_OK ? 10 + 2 * pt_len : 0) + 1;
    char *o;

    sb_reserve(sb, need);
    o = sb->p + sb->len;
    *o++ = '{';
    if (r->id) {
        o = PUT_LIT(o, "\"id\":");
        o = put(o, r->id, id_len);
        *o++ = ',';
    }
    o = PUT_LIT(o, "\"status\":\"");
    o = put(o, status, status_len);
    *o++ = '"';
    if (mode) {
        o = PUT_LIT(o, ",\"mode\":\"");
        o = put(o, mode, mode_len);
        *o++ = '"';
    }
    if (ki) {
        o = PUT_LIT(o, ",\"ki\":\"");
        o = cli_hex_encode(o, ki, ki_len);
        *o++ = '"';
    }
    if (st == E2E_OK) {
        o = PUT_LIT(o, ",\"data\":\"");
        o = cli_hex_encode(o, pt, pt_len);
        *o++ = '"';
    }
    *o++ = '}';
    *o++ = '\n';
    sb->len = (size_t)(o - sb->p);
}
