/* fuzz_records.c — the CLI's record-line parser and result formatter
 * (cli/records.c, read-only here): rec_parse and rec_format_open.
 *
 * Input: flags text...
 *   flags bit 0: pad_odd (legacy Sigfox integers); bit 1: the whole text is
 *   one "line" (embedded newlines and all), else it is split at '\n' and the
 *   lines go through one struct rec (buffer reuse); bits 2-4: the status
 *   formatted for a bad record (a good one gets its real e2e_open status);
 *   bit 5: format with a mode; bit 6: with a KI.
 *
 * Properties (models written here, independent of cli/hex.c):
 *   - blank (white space only) lines return 0 and clear the id;
 *   - bare hex: good exactly when every character is a hex digit and the
 *     count is even (or pad_odd); the bytes equal the model's decoding, with
 *     a leading 0 nibble for an odd count; digits = the trimmed count;
 *   - a line starting '{' (after white space) is good exactly when jansson
 *     parses it as an object (duplicates rejected) with a string "data" that
 *     is good hex after trimming; the id, when present, is compact JSON that
 *     parses back to a value equal to the given one (json_equal);
 *   - a good record is opened (as the CLI does) with a key set of the fixed
 *     pool, chosen by line number, with every implementation: they agree,
 *     and an ok passes fz_check_reseal;
 *   - the formatted result line ends in '\n', parses as one JSON object
 *     whose status is e2e_status_name(st), whose id equals the record's,
 *     whose mode / ki / data are exactly what was passed (data only for ok).
 * Plus no crash, leak or out-of-bounds access. */
#include <jansson.h>

#include "fuzz_common.h"
#include "records.h"

static struct fz_keypool pools[FZ_MAX_ENGINES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const struct fz_engines *E = fz_single_engines();
    for (size_t e = 0; e < E->n; e++)
        fz_keysets(&pools[e], &E->eng[e]);
    return 0;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* model_hex decodes s (n chars) into out (>= (n + 1) / 2 bytes); returns the
 * byte count or -1. */
static long model_hex(uint8_t *out, const char *s, size_t n, int pad_odd)
{
    if ((n & 1) && !pad_odd)
        return -1;
    size_t nb = (n + 1) / 2;
    for (size_t i = 0; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0)
            return -1;
    /* right-aligned: the digit at i lands in nibble (2 nb - n + i) */
    memset(out, 0, nb);
    for (size_t i = 0; i < n; i++) {
        size_t nib = 2 * nb - n + i;
        out[nib / 2] |= (uint8_t)(hexval((unsigned char)s[i]) << (nib & 1 ? 0 : 4));
    }
    return (long)nb;
}

static json_t *json_get_hex_field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    FZ_ASSERT(v == NULL || json_is_string(v), "result field %s is not a string", k);
    return v;
}

static void check_hex_field(json_t *o, const char *k, const uint8_t *b, size_t n)
{
    json_t *v = json_get_hex_field(o, k);
    FZ_ASSERT(v != NULL, "result has no %s", k);
    const char *s = json_string_value(v);
    size_t sl = json_string_length(v);
    FZ_ASSERT(sl == 2 * n, "result %s has %zu digits for %zu bytes", k, sl, n);
    for (size_t i = 0; i < n; i++) {
        static const char hx[] = "0123456789abcdef";
        FZ_ASSERT(s[2 * i] == hx[b[i] >> 4] && s[2 * i + 1] == hx[b[i] & 15],
                  "result %s: wrong hex at byte %zu", k, i);
    }
}

static void one_line(struct rec *r, const char *line, size_t len, uint8_t flags, size_t lineno)
{
    int pad_odd = flags & 1;
    r->line = lineno;
    int rc = rec_parse(r, line, len, pad_odd);
    const char *s = line;
    size_t n = len;
    trim(&s, &n);
    if (n == 0) {
        FZ_ASSERT(rc == 0 && r->id == NULL, "blank line: rc %d", rc);
        return;
    }
    FZ_ASSERT(rc == 1, "rec_parse = %d for a non-blank line", rc);

    uint8_t *want = fz_xmalloc(n / 2 + 1);
    long wl = -1;
    json_t *given_id = NULL, *obj = NULL;
    if (s[0] != '{') {
        wl = model_hex(want, s, n, pad_odd);
        FZ_ASSERT(r->id == NULL, "bare hex with an id");
        FZ_ASSERT(r->digits == n, "digits %zu, want %zu", r->digits, n);
    } else {
        obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
        if (obj && json_is_object(obj)) {
            given_id = json_object_get(obj, "id");
            json_t *d = json_object_get(obj, "data");
            if (json_is_string(d)) {
                const char *ds = json_string_value(d);
                size_t dn = json_string_length(d);
                trim(&ds, &dn);
                free(want);
                want = fz_xmalloc(dn / 2 + 1);
                wl = model_hex(want, ds, dn, pad_odd);
                FZ_ASSERT(r->digits == dn, "digits %zu, want %zu", r->digits, dn);
            }
        }
        if (given_id) {
            FZ_ASSERT(r->id != NULL, "the id was dropped");
            json_t *back = json_loads(r->id, JSON_DECODE_ANY, NULL);
            FZ_ASSERT(back != NULL && json_equal(back, given_id), "id %s does not read back",
                      r->id);
            FZ_ASSERT(strchr(r->id, '\n') == NULL, "id is not compact: %s", r->id);
            json_decref(back);
        } else {
            FZ_ASSERT(r->id == NULL, "an id appeared: %s", r->id);
        }
    }
    FZ_ASSERT(r->bad == (wl < 0), "bad = %d, model %s", r->bad, wl < 0 ? "bad" : "good");
    if (wl >= 0)
        FZ_ASSERT(r->len == (size_t)wl && memcmp(r->data, want, (size_t)wl) == 0,
                  "decoded %s, model %s", fz_hex(r->data, r->len), fz_hex(want, (size_t)wl));

    /* What the CLI does next: open the record (key set chosen by the line
     * number) with every implementation; they must agree. A bad record gets
     * the status from the flags (any value, "unknown" included). */
    const struct fz_engines *E = fz_single_engines();
    e2e_status st = (e2e_status)((flags >> 2) & 7);
    uint8_t *pt = fz_xmalloc(r->bad ? 0 : r->len), *pt2 = fz_xmalloc(r->bad ? 0 : r->len);
    size_t pt_len = 0, which = lineno % FZ_NKEYSETS;
    if (!r->bad) {
        st = e2e_open(&E->eng[0], &pools[0].ks[which], pt, r->len, &pt_len, r->data, r->len);
        for (size_t e = 1; e < E->n; e++) {
            size_t l2 = 0;
            e2e_status s2 = e2e_open(&E->eng[e], &pools[e].ks[which], pt2, r->len, &l2,
                                     r->data, r->len);
            FZ_ASSERT(s2 == st && l2 == pt_len && memcmp(pt, pt2, pt_len) == 0,
                      "%s: open of the record differs from %s", E->name[e], E->name[0]);
        }
        if (st == E2E_OK)
            fz_check_reseal(&E->eng[0], &pools[0].ks[which], r->data, r->len, pt, pt_len);
    }
    const char *mode = (flags & 32) ? e2e_suite_mode_name(E2E_SUITE_AES_128_CCM) : NULL;
    static const uint8_t ki[12] = {0x2a, 0, 0, 4, 0x19, 8, 0, 0x3f, 0xa6, 0x62, 0, 1};
    struct strbuf sb = {0};
    rec_format_open(&sb, r, st, mode, (flags & 64) ? ki : NULL, sizeof ki, pt, pt_len);
    FZ_ASSERT(sb.len > 0 && sb.p[sb.len - 1] == '\n', "result line does not end in newline");
    FZ_ASSERT(memchr(sb.p, '\n', sb.len - 1) == NULL, "result line has an inner newline");
    json_error_t je;
    json_t *res = json_loadb(sb.p, sb.len - 1, JSON_REJECT_DUPLICATES, &je);
    FZ_ASSERT(res != NULL && json_is_object(res), "result line is not JSON: %s (%.*s)", je.text,
              (int)(sb.len > 200 ? 200 : sb.len), sb.p);
    json_t *v = json_object_get(res, "status");
    FZ_ASSERT(json_is_string(v) && strcmp(json_string_value(v), e2e_status_name(st)) == 0,
              "status");
    v = json_object_get(res, "id");
    if (given_id)
        FZ_ASSERT(v != NULL && json_equal(v, given_id), "result id differs");
    else
        FZ_ASSERT(v == NULL, "result has an id");
    v = json_object_get(res, "mode");
    FZ_ASSERT(mode ? json_is_string(v) && strcmp(json_string_value(v), mode) == 0 : v == NULL,
              "mode");
    if (flags & 64)
        check_hex_field(res, "ki", ki, sizeof ki);
    else
        FZ_ASSERT(json_object_get(res, "ki") == NULL, "ki");
    if (st == E2E_OK)
        check_hex_field(res, "data", pt, pt_len);
    else
        FZ_ASSERT(json_object_get(res, "data") == NULL, "data for a failed record");
    json_decref(res);
    json_decref(obj);
    sb_free(&sb);
    free(want);
    free(pt);
    free(pt2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    uint8_t flags = data[0];
    size_t len = size - 1;
    char *text = fz_xmalloc(len);
    memcpy(text, data + 1, len);
    struct rec r;
    memset(&r, 0, sizeof r);
    if (flags & 2) {
        one_line(&r, text, len, flags, 1);
    } else {
        size_t pos = 0, lineno = 0;
        while (pos <= len) {
            const char *nl = memchr(text + pos, '\n', len - pos);
            size_t end = nl ? (size_t)(nl - text) : len;
            /* each line in its own exact-size block (ASan) */
            char *line = fz_xmalloc(end - pos);
            memcpy(line, text + pos, end - pos);
            one_line(&r, line, end - pos, flags, ++lineno);
            free(line);
            pos = end + 1;
        }
    }
    rec_free(&r);
    free(text);
    return 0;
}
