/* keyring.c — load a Thingstream keyring into expanded key sets (keyring.h).
 *
 * Every problem with an entry is a configuration error: the load stops at
 * the first one with a message naming the file, the entry (its number, and
 * its ROTPublicUID / EncryptedHeader when it has them), the field and the
 * reason. Decoded key bytes live in stack buffers that are wiped as soon as
 * the key set is expanded; the file text is wiped after parsing.
 */
#include "keyring.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <jansson.h>

#include "hex.h"

/* ------------------------------------------------------------ allocation */

/* A size header in front of every jansson block, big enough to keep the
 * block's alignment at max_align_t. */
#define WIPE_HDR 16

static void *wiping_malloc(size_t n)
{
    unsigned char *p = malloc(n + WIPE_HDR);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + WIPE_HDR;
}

static void wiping_free(void *q)
{
    size_t n;
    unsigned char *p;
    if (!q)
        return;
    p = (unsigned char *)q - WIPE_HDR;
    memcpy(&n, p, sizeof n);
    cli_wipe(q, n);
    free(p);
}

void keyring_wiping_alloc(void)
{
    json_set_alloc_funcs(wiping_malloc, wiping_free);
}

/* big_alloc allocates bytes aligned to align; a large block (the key sets
 * and the KI index of a big keyring) is aligned to 2 MiB and marked for
 * transparent huge pages, so looking records' key sets up at random does
 * not miss the TLB on every record. Free with free(). */
#define BIG_PAGE (2u << 20)
static void *big_alloc(size_t align, size_t bytes)
{
    void *p;
    if (bytes < 2 * (size_t)BIG_PAGE)
        return aligned_alloc(align, (bytes + align - 1) / align * align);
    bytes = (bytes + BIG_PAGE - 1) / BIG_PAGE * BIG_PAGE;
    p = aligned_alloc(BIG_PAGE, bytes);
#ifdef MADV_HUGEPAGE
    if (p)
        (void)madvise(p, bytes, MADV_HUGEPAGE); /* advice only: may be refused */
#endif
    return p;
}

/* ------------------------------------------------------------ messages */

struct kr_ctx {
    const char *name;   /* file name */
    size_t number;      /* entry number */
    const char *what;   /* NULL: "keyring NAME: entry N"; else this text */
    char who[256];      /* " (ROTPublicUID x, EncryptedHeader y)" or "" */
    char *err;
    size_t err_len;
};

/* printable copies at most max characters of s (n bytes) to out, replacing
 * anything that is not printable ASCII with '?' and marking a cut with "...". */
static void printable(char *out, size_t out_cap, const char *s, size_t n, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 4 < out_cap; i++) {
        if (i == max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[o] = '\0';
}

/* entry_fail writes "keyring NAME: entry N (WHO): FIELD: reason" to err. */
static int entry_fail(struct kr_ctx *c, const char *field, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (c->what)
        snprintf(c->err, c->err_len, "%s%s: %s%s%s", c->what, c->who, field ? field : "",
                 field ? ": " : "", reason);
    else
        snprintf(c->err, c->err_len, "keyring %s: entry %zu%s: %s%s%s", c->name,
                 c->number, c->who, field ? field : "", field ? ": " : "", reason);
    return -1;
}

/* ------------------------------------------------------------ fields */

/* Buffers for decoded fields: larger than anything valid, so that an
 * over-long value is reported with its real length. */
#define FIELD_MAX 128

struct field {
    const char *name;        /* the field actually read, for messages */
    uint8_t buf[FIELD_MAX];
    size_t len;
    int present;
};

/* get_b64 decodes the base64 string field name of obj into f. A missing
 * (or null) field leaves f->present 0 and is not an error here. */
static int get_b64(struct kr_ctx *c, json_t *obj, const char *name, struct field *f)
{
    json_t *v = json_object_get(obj, name);
    size_t bad;
    long n;

    f->present = 0;
    f->len = 0;
    f->name = name;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return entry_fail(c, name, "must be a base64 string");
    n = cli_b64_decode(f->buf, sizeof f->buf, json_string_value(v), json_string_length(v), &bad);
    switch (n) {
    case CLI_B64_BAD_CHAR:
        return entry_fail(c, name, "bad base64 at character %zu", bad + 1);
    case CLI_B64_BAD_PAD:
        return entry_fail(c, name, "bad base64 padding at character %zu", bad + 1);
    case CLI_B64_BAD_LEN:
        return entry_fail(c, name, "bad base64: truncated (%zu characters)", json_string_length(v));
    case CLI_B64_TOO_LONG:
        return entry_fail(c, name, "too long (decodes to more than %d bytes)", FIELD_MAX);
    default:
        break;
    }
    f->len = (size_t)n;
    f->present = 1;
    return 0;
}

/* get_bits reads an integer field (a JSON integer or a string of digits).
 * Returns 1 when present, 0 when absent, -1 on error. */
static int get_bits(struct kr_ctx *c, json_t *obj, const char *name, long long *out)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        long long x = 0;
        cli_trim(&s, &n);
        if (n == 0 || n > 9)
            return entry_fail(c, name, "must be an integer");
        for (size_t i = 0; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return entry_fail(c, name, "must be an integer");
            x = x * 10 + (s[i] - '0');
        }
        *out = x;
    } else {
        return entry_fail(c, name, "must be an integer");
    }
    if (*out <= 0)
        return entry_fail(c, name, "must be positive, not %lld", *out);
    return 1;
}

/* check_ki checks that bytes (len) can serve as a KI: its top nibble must
 * announce exactly len bytes. */
static int check_ki(struct kr_ctx *c, const char *field, const uint8_t *b, size_t len)
{
    size_t ki_len;
    e2e_rotation rot;
    if (len == 0)
        return entry_fail(c, field, "empty: cannot serve as the KI");
    if (e2e_ki_decode(&ki_len, &rot, b, len) != E2E_OK) {
        if ((b[0] >> 4) != 1 && (b[0] >> 4) != 2)
            return entry_fail(c, field, "cannot serve as the KI: top nibble 0x%x is "
                              "neither 0x1 (16-byte KI) nor 0x2 (12-byte KI)", b[0] >> 4);
        return entry_fail(c, field, "cannot serve as the KI: top nibble 0x%x needs %d "
                          "bytes, it has %zu", b[0] >> 4, (b[0] >> 4) == 1 ? 16 : 12, len);
    }
    if (ki_len != len)
        return entry_fail(c, field, "cannot serve as the KI: top nibble 0x%x needs %zu "
                          "bytes, it has %zu", b[0] >> 4, ki_len, len);
    return 0;
}

/* describe fills c->who from the entry's ROTPublicUID and EncryptedHeader,
 * read leniently (a wrong type shows up later as that field's error). */
static void describe(struct kr_ctx *c, json_t *obj)
{
    char uid[80] = "", eh[80] = "";
    json_t *v;

    c->who[0] = '\0';
    if (!json_is_object(obj))
        return;
    v = json_object_get(obj, "ROTPublicUID");
    if (json_is_string(v))
        printable(uid, sizeof uid, json_string_value(v), json_string_length(v), 40);
    else if (json_is_integer(v))
        snprintf(uid, sizeof uid, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    v = json_object_get(obj, "EncryptedHeader");
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        cli_trim(&s, &n);
        printable(eh, sizeof eh, s, n, 40);
    }
    if (uid[0] && eh[0])
        snprintf(c->who, sizeof c->who, " (ROTPublicUID %s, EncryptedHeader %s)", uid, eh);
    else if (uid[0])
        snprintf(c->who, sizeof c->who, " (ROTPublicUID %s)", uid);
    else if (eh[0])
        snprintf(c->who, sizeof c->who, " (EncryptedHeader %s)", eh);
}

/* ------------------------------------------------------------ one entry */

struct decoded {
    struct field key, auth, kiv, iv, eh;
};

/* cli_json_text: keyring.h. */
int cli_json_text(const struct json_t *v, char num[32], const char **s, size_t *n)
{
    if (json_is_string(v)) {
        *s = json_string_value(v);
        *n = json_string_length(v);
        cli_trim(s, n);
        return 1;
    }
    if (json_is_integer(v)) {
        *n = (size_t)snprintf(num, 32, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *s = num;
        return 1;
    }
    return 0;
}

/* build_entry_inner validates obj and expands it into ks / e; d holds the
 * decoded bytes (wiped by the caller). */
static int build_entry_inner(struct kr_ctx *c, const e2e_engine *eng, json_t *obj,
                             e2e_keyset *ks, struct kr_entry *e, struct decoded *d)
{
    json_t *v;
    e2e_suite suite;
    const char *suite_text;
    size_t suite_len;
    long long bits;
    int r, aes, hmac, ccm;
    size_t tag_len = 0;
    e2e_keyset_params p;
    e2e_status st;
    const struct field *ki_field;

    if (!json_is_object(obj))
        return entry_fail(c, NULL, "not a JSON object");

    /* ROTPublicUID: string or integer, kept as text. */
    e->uid = NULL;
    v = json_object_get(obj, "ROTPublicUID");
    if (v && !json_is_null(v)) {
        char num[32];
        const char *s;
        size_t n;
        if (!cli_json_text(v, num, &s, &n))
            return entry_fail(c, "ROTPublicUID", "must be a string or an integer");
        if (n == 0)
            return entry_fail(c, "ROTPublicUID", "empty");
        if (memchr(s, '\0', n))
            return entry_fail(c, "ROTPublicUID", "contains a NUL character");
        e->uid = malloc(n + 1);
        if (!e->uid)
            return entry_fail(c, NULL, "out of memory");
        memcpy(e->uid, s, n);
        e->uid[n] = '\0';
    }

    /* CipherSuite. */
    v = json_object_get(obj, "CipherSuite");
    if (!v || json_is_null(v))
        return entry_fail(c, "CipherSuite", "missing");
    if (!json_is_string(v))
        return entry_fail(c, "CipherSuite", "must be a string");
    suite_text = json_string_value(v);
    suite_len = json_string_length(v);
    if (e2e_suite_parse(&suite, suite_text, suite_len) != E2E_OK) {
        char shown[80];
        printable(shown, sizeof shown, suite_text, suite_len, 40);
        return entry_fail(c, "CipherSuite", "unknown suite \"%s\" (known: AES_128_CCM, "
                          "AES_128_CCM_8, AES_128_CS1_HMAC_SHA256, HMAC_SHA256)", shown);
    }
    ccm = suite == E2E_SUITE_AES_128_CCM || suite == E2E_SUITE_AES_128_CCM_8;
    aes = ccm || suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256;
    hmac = !ccm;

    /* EncryptedHeader: KI hex. */
    d->eh.present = 0;
    d->eh.name = "EncryptedHeader";
    v = json_object_get(obj, "EncryptedHeader");
    if (v && !json_is_null(v)) {
        const char *s;
        size_t n, bad;
        long got;
        if (!json_is_string(v))
            return entry_fail(c, "EncryptedHeader", "must be a hex string");
        s = json_string_value(v);
        n = json_string_length(v);
        cli_trim(&s, &n);
        got = cli_hex_decode(d->eh.buf, sizeof d->eh.buf, s, n, 0, &bad);
        if (got == -1)
            return entry_fail(c, "EncryptedHeader", "bad hex at character %zu", bad + 1);
        if (got == -2)
            return entry_fail(c, "EncryptedHeader", "odd number of hex digits (%zu)", n);
        if (got < 0)
            return entry_fail(c, "EncryptedHeader", "too long (%zu hex digits)", n);
        d->eh.len = (size_t)got;
        d->eh.present = 1;
        if (check_ki(c, "EncryptedHeader", d->eh.buf, d->eh.len))
            return -1;
    }

    /* Keys and IVs, each checked for presence and length by name. */
    if (aes) {
        if (get_b64(c, obj, "EncryptionKey", &d->key))
            return -1;
        if (!d->key.present && get_b64(c, obj, "Key", &d->key))
            return -1;
        if (!d->key.present)
            return entry_fail(c, "EncryptionKey", "missing (%s needs EncryptionKey or Key)",
                              e2e_suite_name(suite));
        if (d->key.len != 16)
            return entry_fail(c, d->key.name, "wrong length: %zu bytes, AES-128 needs 16",
                              d->key.len);
    }
    if (ccm) {
        static const char *const nonce_names[] = {"Nonce", "AESNonce", "AESIV"};
        for (size_t i = 0; i < 3 && !d->iv.present; i++)
            if (get_b64(c, obj, nonce_names[i], &d->iv))
                return -1;
        if (!d->iv.present)
            return entry_fail(c, "Nonce", "missing (%s needs Nonce, AESNonce or AESIV)",
                              e2e_suite_name(suite));
        if (d->iv.len < 7 || d->iv.len > 13)
            return entry_fail(c, d->iv.name, "wrong length: %zu bytes, a CCM nonce has "
                              "7 to 13", d->iv.len);
    } else if (suite == E2E_SUITE_AES_128_CS1_HMAC_SHA256) {
        if (get_b64(c, obj, "AESIV", &d->iv))
            return -1;
        if (!d->iv.present)
            return entry_fail(c, "AESIV", "missing (%s needs it)", e2e_suite_name(suite));
        if (d->iv.len != 16)
            return entry_fail(c, "AESIV", "wrong length: %zu bytes, CS1 needs a 16-byte IV",
                              d->iv.len);
    }
    if (hmac) {
        if (get_b64(c, obj, "AuthenticationKey", &d->auth))
            return -1;
        if (!d->auth.present)
            return entry_fail(c, "AuthenticationKey", "missing (%s needs it)",
                              e2e_suite_name(suite));
        if (d->auth.len < 1 || d->auth.len > 64)
            return entry_fail(c, "AuthenticationKey", "wrong length: %zu bytes, HMAC-SHA256 "
                              "keys here have 1 to 64", d->auth.len);
    }
    if (get_b64(c, obj, "KIV", &d->kiv))
        return -1;
    if (hmac && !d->kiv.present)
        return entry_fail(c, "KIV", "missing (%s needs it)", e2e_suite_name(suite));
    if (d->kiv.present && (d->kiv.len < 1 || d->kiv.len > E2E_KIV_MAX))
        return entry_fail(c, "KIV", "wrong length: %zu bytes, a KIV has 1 to %d",
                          d->kiv.len, E2E_KIV_MAX);

    /* Declared lengths must agree with the keys. */
    if ((r = get_bits(c, obj, "KeyLength", &bits)) < 0)
        return -1;
    if (r && aes && (unsigned long long)bits != 8ull * d->key.len)
        return entry_fail(c, "KeyLength", "says %lld bits but %s has %zu", bits,
                          d->key.name, 8 * d->key.len);
    if ((r = get_bits(c, obj, "AuthKeyLength", &bits)) < 0)
        return -1;
    if (r && hmac && (unsigned long long)bits != 8ull * d->auth.len)
        return entry_fail(c, "AuthKeyLength", "says %lld bits but AuthenticationKey has %zu",
                          bits, 8 * d->auth.len);

    /* MACLength (bits) -> tag length. */
    if ((r = get_bits(c, obj, "MACLength", &bits)) < 0)
        return -1;
    if (r) {
        if (bits % 8 != 0)
            return entry_fail(c, "MACLength", "%lld bits is not a whole number of bytes", bits);
        tag_len = (size_t)(bits / 8);
        if (ccm && (tag_len < 4 || tag_len > 16 || tag_len % 2))
            return entry_fail(c, "MACLength", "%lld bits is not a CCM tag length (32 to 128 "
                              "in steps of 16)", bits);
        if (!ccm && (tag_len < 4 || tag_len > 32))
            return entry_fail(c, "MACLength", "%lld bits is not an HMAC-SHA256 tag length "
                              "(32 to 256)", bits);
    }

    /* The index key: EncryptedHeader, else KIV; either must be a KI. */
    if (d->eh.present) {
        ki_field = &d->eh;
    } else if (d->kiv.present) {
        ki_field = &d->kiv;
        if (check_ki(c, "KIV", d->kiv.buf, d->kiv.len))
            return -1;
    } else {
        return entry_fail(c, NULL, "neither EncryptedHeader nor KIV: nothing to find the "
                          "key set by");
    }
    memcpy(e->ki, ki_field->buf, ki_field->len);
    e->ki_len = (uint8_t)ki_field->len;

    memset(&p, 0, sizeof p);
    p.suite = suite;
    if (aes) {
        p.enc_key = d->key.buf;
        p.enc_key_len = d->key.len;
        p.iv = d->iv.buf;
        p.iv_len = d->iv.len;
    }
    if (hmac) {
        p.auth_key = d->auth.buf;
        p.auth_key_len = d->auth.len;
    }
    if (d->kiv.present) {
        p.kiv = d->kiv.buf;
        p.kiv_len = d->kiv.len;
    }
    if (d->eh.present) {
        p.ki = d->eh.buf;
        p.ki_len = d->eh.len;
    }
    p.tag_len = tag_len;
    st = e2e_keyset_init(ks, eng, &p);
    cli_wipe(&p, sizeof p);
    if (st != E2E_OK)
        return entry_fail(c, NULL, "key set rejected by the engine (%s)", e2e_status_name(st));
    return 0;
}

/* build_entry expands obj into kr's slot i, entry number number. */
static int build_entry(struct keyring *kr, const e2e_engine *eng, json_t *obj, size_t i,
                       size_t number, char *err, size_t err_len)
{
    struct kr_ctx c;
    struct decoded d;
    int r;

    c.name = kr->name;
    c.number = number;
    c.what = NULL;
    c.err = err;
    c.err_len = err_len;
    describe(&c, obj);
    memset(&d, 0, sizeof d);
    kr->e[i].number = number;
    r = build_entry_inner(&c, eng, obj, &kr->ks[i], &kr->e[i], &d);
    cli_wipe(&d, sizeof d);
    if (r == 0) {
        kr->n = i + 1;
    } else {
        e2e_keyset_clear(&kr->ks[i]);
        free(kr->e[i].uid);
        kr->e[i].uid = NULL;
    }
    return r;
}

/* ------------------------------------------------------------ the file */

static int kr_alloc(struct keyring *kr, size_t n, char *err, size_t err_len)
{
    size_t bytes = (n ? n : 1) * sizeof(e2e_keyset);
    kr->ks = big_alloc(alignof(e2e_keyset), bytes);
    kr->e = calloc(n ? n : 1, sizeof kr->e[0]);
    if (!kr->ks || !kr->e) {
        snprintf(err, err_len, "keyring %s: out of memory for %zu key sets", kr->name, n);
        return -1;
    }
    return 0;
}

/* array_error names the entry of a JSON array keyring that jansson could
 * not parse: it walks the elements with jansson itself (one value at a
 * time, JSON_DISABLE_EOF_CHECK), skipping only white space and commas by
 * hand, so the message can say "entry N". */
static void array_error(const struct keyring *kr, const char *buf, size_t len,
                        const json_error_t *whole, char *err, size_t err_len)
{
    size_t pos = 0, entry = 0;

    while (pos < len && cli_is_space((unsigned char)buf[pos]))
        pos++;
    pos++; /* the '[' */
    for (;;) {
        json_error_t je;
        json_t *v;
        while (pos < len && (cli_is_space((unsigned char)buf[pos]) || buf[pos] == ','))
            pos++;
        if (pos >= len || buf[pos] == ']')
            break;
        v = json_loadb(buf + pos, len - pos,
                       JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
        if (!v) {
            int line = 1;
            size_t col = (size_t)(je.column > 0 ? je.column : 0), bol = pos;
            for (size_t i = 0; i < pos; i++)
                line += buf[i] == '\n';
            if (je.line <= 1) { /* the column counts from where the entry starts */
                while (bol > 0 && buf[bol - 1] != '\n')
                    bol--;
                col += pos - bol;
            }
            snprintf(err, err_len, "keyring %s: entry %zu: bad JSON at line %d, column %zu: "
                     "%s", kr->name, entry, line + (je.line > 1 ? je.line - 1 : 0), col,
                     je.text);
            return;
        }
        json_decref(v);
        pos += (size_t)je.position;
        entry++;
    }
    /* The elements parse one by one: the problem is around them. */
    snprintf(err, err_len, "keyring %s: bad JSON at line %d, column %d: %s", kr->name,
             whole->line, whole->column, whole->text);
}

static int load_array(struct keyring *kr, const e2e_engine *eng, const char *buf,
                      size_t len, char *err, size_t err_len)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    int rc = -1;

    if (!root) {
        array_error(kr, buf, len, &je, err, err_len);
        return -1;
    }
    if (!json_is_array(root)) {
        snprintf(err, err_len, "keyring %s: expected a JSON array of key sets", kr->name);
        goto out;
    }
    if (json_array_size(root) == 0) {
        snprintf(err, err_len, "keyring %s: no key sets (empty array)", kr->name);
        goto out;
    }
    if (kr_alloc(kr, json_array_size(root), err, err_len))
        goto out;
    for (size_t i = 0; i < json_array_size(root); i++)
        if (build_entry(kr, eng, json_array_get(root, i), i, i, err, err_len))
            goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

static int load_ndjson(struct keyring *kr, const e2e_engine *eng, const char *buf,
                       size_t len, unsigned flags, char *err, size_t err_len)
{
    size_t count = 0, i = 0, lineno = 0;
    const char *p, *end = buf + len;

    /* Count the entries (non-blank lines) to size the key set array. */
    for (p = buf; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = (nl ? (size_t)(nl - p) : (size_t)(end - p));
        cli_trim(&s, &n);
        if (n)
            count++;
        p = nl ? nl + 1 : end;
    }
    if (count == 0 && !(flags & KR_ALLOW_EMPTY)) {
        snprintf(err, err_len, "keyring %s: no key sets (empty file)", kr->name);
        return -1;
    }
    if (kr_alloc(kr, count, err, err_len))
        return -1;
    for (p = buf; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *start = p;
        size_t n = (nl ? (size_t)(nl - p) : (size_t)(end - p));
        json_error_t je;
        json_t *obj;
        int r;

        lineno++;
        p = nl ? nl + 1 : end;
        cli_trim(&s, &n);
        if (!n)
            continue;
        obj = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
        if (!obj && !nl && (flags & KR_SKIP_TORN)) {
            /* The last line, with no newline, is not JSON: a write cut
             * short. Leave it out and say where it starts. */
            kr->torn_at = (size_t)(start - buf);
            kr->torn_len = (size_t)(end - start);
            kr->torn_line = lineno;
            break;
        }
        if (!obj) {
            snprintf(err, err_len, "keyring %s: entry %zu: bad JSON at column %d: %s "
                     "(an NDJSON keyring holds one object per line)", kr->name, lineno,
                     je.column, je.text);
            return -1;
        }
        r = build_entry(kr, eng, obj, i++, lineno, err, err_len);
        json_decref(obj);
        if (r)
            return -1;
    }
    if (kr->n == 0 && !(flags & KR_ALLOW_EMPTY)) {
        snprintf(err, err_len, "keyring %s: no key sets (empty file)", kr->name);
        return -1;
    }
    return 0;
}

int keyring_load_buffer_opts(struct keyring *kr, const e2e_engine *eng, const char *name,
                             const char *buf, size_t len, unsigned flags, char *err,
                             size_t err_len)
{
    size_t k = 0;

    memset(kr, 0, sizeof *kr);
    kr->name = name;
    kr->format = KR_FORMAT_NDJSON;
    kr->tail_newline = len == 0 || buf[len - 1] == '\n';
    while (k < len && cli_is_space((unsigned char)buf[k]))
        k++;
    if (k == len) {
        if (flags & KR_ALLOW_EMPTY)
            return kr_alloc(kr, 0, err, err_len);
        snprintf(err, err_len, "keyring %s: no key sets (empty file)", name);
        return -1;
    }
    if (buf[k] == '[') {
        kr->format = KR_FORMAT_ARRAY;
        return load_array(kr, eng, buf, len, err, err_len);
    }
    if (buf[k] == '{') {
        /* One object over several lines (a saved REST response)? */
        json_t *one = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
        if (one) {
            int r = -1;
            size_t line = 1; /* numbered like NDJSON: the line it starts on */
            const char *s = buf + k;
            size_t n = len - k;
            for (size_t i = 0; i < k; i++)
                line += buf[i] == '\n';
            cli_trim(&s, &n);
            if (memchr(s, '\n', n))
                kr->format = KR_FORMAT_OBJECT;
            if (json_is_object(one) && kr_alloc(kr, 1, err, err_len) == 0)
                r = build_entry(kr, eng, one, 0, line, err, err_len);
            json_decref(one);
            if (r == 0 || kr->ks)
                return r;
        }
    }
    return load_ndjson(kr, eng, buf, len, flags, err, err_len);
}

int keyring_load_buffer(struct keyring *kr, const e2e_engine *eng, const char *name,
                        const char *buf, size_t len, char *err, size_t err_len)
{
    return keyring_load_buffer_opts(kr, eng, name, buf, len, 0, err, err_len);
}

int keyring_load_opts(struct keyring *kr, const e2e_engine *eng, const char *path,
                      unsigned flags, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int r;

    memset(kr, 0, sizeof *kr);
    kr->name = path;
    if (!f) {
        snprintf(err, err_len, "keyring %s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (cap - len < 65536) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = malloc(ncap);
            if (!nb) {
                if (buf)
                    cli_wipe(buf, len);
                free(buf);
                fclose(f);
                snprintf(err, err_len, "keyring %s: out of memory", path);
                return -1;
            }
            if (buf) {
                memcpy(nb, buf, len);
                cli_wipe(buf, len);
                free(buf);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, err_len, "keyring %s: read error: %s", path, strerror(errno));
        cli_wipe(buf, len);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    r = keyring_load_buffer_opts(kr, eng, path, buf, len, flags, err, err_len);
    cli_wipe(buf, len);
    free(buf);
    return r;
}

int keyring_load(struct keyring *kr, const e2e_engine *eng, const char *path, char *err,
                 size_t err_len)
{
    return keyring_load_opts(kr, eng, path, 0, err, err_len);
}

int keyring_entry_parse(const e2e_engine *eng, const char *what, const char *text, size_t len,
                        e2e_keyset *ks, struct kr_entry *e, char *err, size_t err_len)
{
    struct kr_ctx c;
    struct decoded d;
    json_error_t je;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    int r;

    memset(e, 0, sizeof *e);
    if (!obj) {
        snprintf(err, err_len, "%s: bad JSON at column %d: %s", what, je.column, je.text);
        return -1;
    }
    c.name = what;
    c.number = 0;
    c.what = what;
    c.err = err;
    c.err_len = err_len;
    describe(&c, obj);
    memset(&d, 0, sizeof d);
    r = build_entry_inner(&c, eng, obj, ks, e, &d);
    cli_wipe(&d, sizeof d);
    json_decref(obj);
    if (r != 0) {
        e2e_keyset_clear(ks);
        free(e->uid);
        e->uid = NULL;
    }
    return r;
}

/* ------------------------------------------------------------ indexes */

/* ki_hash mixes a KI (up to 16 bytes; public) into 64 bits: two word
 * multiplies and murmur3's fmix64, so KIs that differ only in a message
 * counter or their last bytes spread over the whole table. */
static inline uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint32_t load32(const uint8_t *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* ki_words reads a KI into two words (12 and 16 bytes without a call; any
 * other length, which no valid KI has, byte by byte). */
static inline void ki_words(const uint8_t *ki, size_t len, uint64_t *w0, uint64_t *w1)
{
    if (len == 16) {
        *w0 = load64(ki);
        *w1 = load64(ki + 8);
    } else if (len == 12) {
        *w0 = load64(ki);
        *w1 = load32(ki + 8);
    } else {
        uint8_t b[16] = {0};
        for (size_t i = 0; i < len && i < 16; i++)
            b[i] = ki[i];
        *w0 = load64(b);
        *w1 = load64(b + 8);
    }
}

static inline uint64_t ki_hash(const uint8_t *ki, size_t len)
{
    uint64_t w0, w1, h;
    ki_words(ki, len, &w0, &w1);
    h = (w0 * 0x9e3779b97f4a7c15ull) ^ ((w1 + len) * 0xc2b2ae3d27d4eb4full);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static inline int ki_slot_is(const struct kr_ki_slot *s, const uint8_t *ki, size_t len)
{
    uint64_t a0, a1, b0, b1;
    if (s->len != len)
        return 0;
    ki_words(ki, len, &a0, &a1);
    ki_words(s->ki, len, &b0, &b1);
    return a0 == b0 && a1 == b1;
}

int keyring_index_ki(struct keyring *kr, FILE *warn)
{
    size_t dups = 0, first_new = 0, first_old = 0, cap = 16;
    if (kr->have_ki)
        return 0;
    /* load factor at most 2/3: a hit is found in its first or second slot
     * (two per cache line), and the table stays small enough to cache */
    while (cap < kr->n + kr->n / 2 + 1)
        cap <<= 1;
    kr->by_ki.slots = big_alloc(64, cap * sizeof(struct kr_ki_slot));
    if (!kr->by_ki.slots)
        return -1;
    memset(kr->by_ki.slots, 0, cap * sizeof(struct kr_ki_slot));
    kr->by_ki.mask = cap - 1;
    for (size_t i = 0; i < kr->n; i++) {
        const struct kr_entry *e = &kr->e[i];
        size_t j = (size_t)ki_hash(e->ki, e->ki_len) & kr->by_ki.mask;
        struct kr_ki_slot *s;
        for (;; j = (j + 1) & kr->by_ki.mask) {
            s = &kr->by_ki.slots[j];
            if (!s->val || ki_slot_is(s, e->ki, e->ki_len))
                break;
        }
        if (s->val && dups++ == 0) {
            first_new = e->number;
            first_old = kr->e[s->val - 1].number;
        }
        memcpy(s->ki, e->ki, e->ki_len);
        s->len = e->ki_len;
        s->val = (uint32_t)i + 1; /* the later entry wins */
    }
    if (dups && warn)
        fprintf(warn, "e2ecrypt: keyring %s: warning: %zu entr%s repeat%s the KI of an "
                "earlier entry; the later entry is used (first: entry %zu repeats entry "
                "%zu)\n", kr->name, dups, dups == 1 ? "y" : "ies", dups == 1 ? "s" : "",
                first_new, first_old);
    kr->have_ki = 1;
    return 0;
}

int keyring_index_uid(struct keyring *kr)
{
    if (kr->have_uid)
        return 0;
    if (cli_index_init(&kr->by_uid, kr->n))
        return -1;
    for (size_t i = 0; i < kr->n; i++) {
        uint32_t old;
        if (!kr->e[i].uid)
            continue;
        if (cli_index_put(&kr->by_uid, (const uint8_t *)kr->e[i].uid, strlen(kr->e[i].uid),
                          (uint32_t)i, &old) < 0)
            return -1;
    }
    kr->have_uid = 1;
    return 0;
}

static const e2e_keyset *find_ki_at(const struct keyring *kr, const uint8_t *ki, size_t len,
                                     uint64_t h)
{
    for (size_t j = (size_t)h & kr->by_ki.mask;; j = (j + 1) & kr->by_ki.mask) {
        const struct kr_ki_slot *s = &kr->by_ki.slots[j];
        if (!s->val)
            return NULL;
        if (ki_slot_is(s, ki, len))
            return &kr->ks[s->val - 1];
    }
}

const e2e_keyset *keyring_find_ki(const struct keyring *kr, const uint8_t *ki, size_t len)
{
    if (!kr->have_ki || len > E2E_KI_MAX)
        return NULL;
    return find_ki_at(kr, ki, len, ki_hash(ki, len));
}

uint64_t keyring_prefetch_ki(const struct keyring *kr, const uint8_t *ki, size_t len)
{
    uint64_t h;
    if (!kr->have_ki || len > E2E_KI_MAX)
        return 0;
    h = ki_hash(ki, len);
    __builtin_prefetch(&kr->by_ki.slots[(size_t)h & kr->by_ki.mask]);
    return h;
}

const e2e_keyset *keyring_find_ki_hashed(const struct keyring *kr, const uint8_t *ki,
                                         size_t len, uint64_t hash)
{
    if (!kr->have_ki || len > E2E_KI_MAX)
        return NULL;
    return find_ki_at(kr, ki, len, hash);
}

const e2e_keyset *keyring_find_uid(const struct keyring *kr, const char *uid)
{
    uint32_t i;
    if (!kr->have_uid || !cli_index_get(&kr->by_uid, (const uint8_t *)uid, strlen(uid), &i))
        return NULL;
    return &kr->ks[i];
}

void keyring_free(struct keyring *kr)
{
    for (size_t i = 0; i < kr->n; i++)
        e2e_keyset_clear(&kr->ks[i]);
    if (kr->e)
        for (size_t i = 0; i < kr->n; i++)
            free(kr->e[i].uid);
    free(kr->ks);
    free(kr->e);
    if (kr->have_ki)
        free(kr->by_ki.slots);
    if (kr->have_uid)
        cli_index_free(&kr->by_uid);
    memset(kr, 0, sizeof *kr);
}
