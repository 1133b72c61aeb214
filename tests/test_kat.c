/* test_kat.c — every known-answer file in tests/vectors/ against every
 * implementation this CPU can run ("best", "portable", "aesni",
 * "aesni+shani", "shani"; the others print SKIP <name> (cpu)).
 *
 *   aes128_fips197.txt     expand() -> e2e_aes_key.enc/.dec, ecb_enc/ecb_dec
 *   cbc_sp800_38a.txt      cbc_enc/cbc_dec (one call and chained), cbcmac
 *   ctr_sp800_38a.txt      ctr32 (every prefix length, chained)
 *   ccm_sp800_38c.txt      e2e_ccm_seal / e2e_ccm_open with AAD
 *   ccm_rfc3610.txt        (the same)
 *   cs1_rfc3962.txt        e2e_cs1_encrypt / e2e_cs1_decrypt
 *   hmac_sha256_rfc4231.txt  e2e_hmac_sha256_key + e2e_hmac_sha256
 *   sha256_fips180.txt     e2e_sha256 and the streaming interface
 *   ki_thingstream.txt     e2e_ki_decode
 *   sigfox_xor.txt         e2e_sigfox_xor / e2e_sigfox_xor_legacy
 * and the status, suite, mode and rotation tokens.
 *
 * Usage: test_kat [VECTOR_DIR]  (default: the source tree's tests/vectors). */
#include "testutil.h"
#include "vecread.h"

#ifndef E2E_VECTOR_DIR
#define E2E_VECTOR_DIR "vectors"
#endif

static const char *vdir = E2E_VECTOR_DIR;
static int quiet; /* print each file's source only on the first pass */

/* ------------------------------------------------------------ helpers */

struct bytes {
    uint8_t *p;
    size_t n;
};

static int get_hex(const struct vec_record *r, const char *key, struct bytes *b)
{
    int ok = vec_hex(r, key, &b->p, &b->n) == 0;
    CHECK(ok, "record '%s': cannot read %s", vec_name(r), key);
    if (!ok) {
        b->p = xmalloc(1);
        b->n = 0;
    }
    return ok;
}

static unsigned long get_uint(const struct vec_record *r, const char *key)
{
    unsigned long v = 0;
    int ok = vec_uint(r, key, &v) == 0;
    CHECK(ok, "record '%s': cannot read %s", vec_name(r), key);
    return v;
}

/* load reads vdir/name, checks every record uses only keys, and that the
 * file still holds at least min_records (no vector silently dropped). */
static int load(struct vec_file *vf, const char *name, const char *keys, size_t min_records)
{
    int ok = vec_load_in(vf, vdir, name) == 0;
    CHECK(ok, "cannot load %s/%s", vdir, name);
    if (!ok)
        return 0;
    if (!quiet)
        printf("%s: %zu records, source: %s\n", name, vf->n, vf->source);
    CHECK(vf->n >= min_records, "%s: %zu records, expected at least %zu", name, vf->n,
          min_records);
    for (size_t i = 0; i < vf->n; i++)
        CHECK(vec_only_keys(&vf->records[i], vf->path, keys) == 0, "%s: bad keys", name);
    return 1;
}

static uint8_t gmul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    while (b) {
        if (b & 1)
            r ^= a;
        a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
        b >>= 1;
    }
    return r;
}

/* inv_mix_columns: FIPS 197 sec. 5.3.3 on one 16-byte block (column-major). */
static void inv_mix_columns(uint8_t out[16], const uint8_t in[16])
{
    for (int c = 0; c < 4; c++) {
        const uint8_t *s = in + 4 * c;
        for (int r = 0; r < 4; r++)
            out[4 * c + r] = gmul(s[r], 14) ^ gmul(s[(r + 1) % 4], 11) ^
                             gmul(s[(r + 2) % 4], 13) ^ gmul(s[(r + 3) % 4], 9);
    }
}

/* ------------------------------------------------------------ AES */

static void kat_aes(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "aes128_fips197.txt",
              "name key plaintext ciphertext expanded_enc expanded_dec", 2))
        return;
    const struct e2e_aes_impl *aes = e2e_engine_impl(&te->eng)->aes;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, pt, ct;
        get_hex(r, "key", &key);
        get_hex(r, "plaintext", &pt);
        get_hex(r, "ciphertext", &ct);
        CHECK(key.n == 16 && pt.n == 16 && ct.n == 16, "%s: field sizes", nm);
        if (key.n != 16 || pt.n != 16 || ct.n != 16)
            goto next;
        e2e_aes_key k;
        memset(&k, 0xa5, sizeof k);
        e2e_aes128_key_init(&te->eng, &k, key.p);
        if (vec_get(r, "expanded_enc")) {
            struct bytes e;
            get_hex(r, "expanded_enc", &e);
            CHECK(e.n == 176 && memcmp(k.enc, e.p, 176) == 0, "%s [%s]: enc schedule %s",
                  nm, te->name, hexstr(&k.enc[0][0], 176));
            free(e.p);
        }
        if (vec_get(r, "expanded_dec")) {
            struct bytes d;
            get_hex(r, "expanded_dec", &d);
            CHECK(d.n == 176 && memcmp(k.dec, d.p, 176) == 0, "%s [%s]: dec schedule", nm,
                  te->name);
            free(d.p);
        }
        /* The documented dec layout, re-derived from enc (FIPS 197 5.3.5). */
        CHECK(memcmp(k.enc[0], key.p, 16) == 0, "%s [%s]: enc[0] != key", nm, te->name);
        CHECK(memcmp(k.dec[0], k.enc[10], 16) == 0 && memcmp(k.dec[10], k.enc[0], 16) == 0,
              "%s [%s]: dec[0]/dec[10] layout", nm, te->name);
        for (int j = 1; j < 10; j++) {
            uint8_t want[16];
            inv_mix_columns(want, k.enc[10 - j]);
            CHECK(memcmp(k.dec[j], want, 16) == 0, "%s [%s]: dec[%d] != InvMixColumns(enc[%d])",
                  nm, te->name, j, 10 - j);
        }
        /* Also the table's own expand(), directly. */
        e2e_aes_key k2;
        memset(&k2, 0x5a, sizeof k2);
        aes->expand(&k2, key.p);
        CHECK(memcmp(&k, &k2, sizeof k) == 0, "%s [%s]: expand() != e2e_aes128_key_init", nm,
              te->name);

        /* ECB, 1..9 identical blocks (so every lane width sees the vector). */
        uint8_t in[10 * 16], out[10 * 16]; /* 9 used; 10 quiets a GCC 12 false -Wstringop-overflow */
        for (size_t nb = 1; nb <= 9; nb++) {
            for (size_t b = 0; b < nb; b++)
                memcpy(in + 16 * b, pt.p, 16);
            memset(out, 0, sizeof out);
            aes->ecb_enc(&k, out, in, nb);
            int ok = 1;
            for (size_t b = 0; b < nb; b++)
                ok &= memcmp(out + 16 * b, ct.p, 16) == 0;
            CHECK(ok, "%s [%s]: ecb_enc x%zu = %s", nm, te->name, nb, hexstr(out, 16));
            aes->ecb_dec(&k, in, out, nb);
            ok = 1;
            for (size_t b = 0; b < nb; b++)
                ok &= memcmp(in + 16 * b, pt.p, 16) == 0;
            CHECK(ok, "%s [%s]: ecb_dec x%zu", nm, te->name, nb);
            /* in place */
            aes->ecb_enc(&k, in, in, nb);
            CHECK(memcmp(in, out, 16 * nb) == 0, "%s [%s]: ecb_enc in place x%zu", nm,
                  te->name, nb);
            aes->ecb_dec(&k, in, in, nb);
            ok = 1;
            for (size_t b = 0; b < nb; b++)
                ok &= memcmp(in + 16 * b, pt.p, 16) == 0;
            CHECK(ok, "%s [%s]: ecb_dec in place x%zu", nm, te->name, nb);
        }
    next:
        free(key.p);
        free(pt.p);
        free(ct.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ CBC, CBC-MAC */

static void kat_cbc(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "cbc_sp800_38a.txt", "name key iv plaintext ciphertext", 1))
        return;
    const struct e2e_aes_impl *aes = e2e_engine_impl(&te->eng)->aes;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, iv, pt, ct;
        get_hex(r, "key", &key);
        get_hex(r, "iv", &iv);
        get_hex(r, "plaintext", &pt);
        get_hex(r, "ciphertext", &ct);
        int sizes = key.n == 16 && iv.n == 16 && pt.n == ct.n && pt.n % 16 == 0 && pt.n > 0;
        CHECK(sizes, "%s: field sizes", nm);
        if (sizes) {
            size_t n = pt.n, nb = n / 16;
            e2e_aes_key k;
            e2e_aes128_key_init(&te->eng, &k, key.p);
            uint8_t *out = xmalloc(n), v[16];
            /* One call. */
            memcpy(v, iv.p, 16);
            aes->cbc_enc(&k, v, out, pt.p, nb);
            CHECK(memcmp(out, ct.p, n) == 0, "%s [%s]: cbc_enc = %s", nm, te->name,
                  hexstr(out, n));
            CHECK(memcmp(v, ct.p + n - 16, 16) == 0, "%s [%s]: cbc_enc iv out", nm, te->name);
            memcpy(v, iv.p, 16);
            aes->cbc_dec(&k, v, out, ct.p, nb);
            CHECK(memcmp(out, pt.p, n) == 0, "%s [%s]: cbc_dec", nm, te->name);
            CHECK(memcmp(v, ct.p + n - 16, 16) == 0, "%s [%s]: cbc_dec iv out", nm, te->name);
            /* Block by block, chaining through iv (F.2.1 lists each step). */
            memcpy(v, iv.p, 16);
            for (size_t b = 0; b < nb; b++)
                aes->cbc_enc(&k, v, out + 16 * b, pt.p + 16 * b, 1);
            CHECK(memcmp(out, ct.p, n) == 0, "%s [%s]: cbc_enc chained", nm, te->name);
            memcpy(v, iv.p, 16);
            for (size_t b = 0; b < nb; b++)
                aes->cbc_dec(&k, v, out + 16 * b, ct.p + 16 * b, 1);
            CHECK(memcmp(out, pt.p, n) == 0, "%s [%s]: cbc_dec chained", nm, te->name);
            /* In place. */
            memcpy(out, pt.p, n);
            memcpy(v, iv.p, 16);
            aes->cbc_enc(&k, v, out, out, nb);
            CHECK(memcmp(out, ct.p, n) == 0, "%s [%s]: cbc_enc in place", nm, te->name);
            memcpy(v, iv.p, 16);
            aes->cbc_dec(&k, v, out, out, nb);
            CHECK(memcmp(out, pt.p, n) == 0, "%s [%s]: cbc_dec in place", nm, te->name);
            /* CBC-MAC from the same data: starting from the IV, the MAC is
             * the last CBC ciphertext block. */
            memcpy(v, iv.p, 16);
            aes->cbcmac(&k, v, pt.p, nb);
            CHECK(memcmp(v, ct.p + n - 16, 16) == 0, "%s [%s]: cbcmac", nm, te->name);
            free(out);
        }
        free(key.p);
        free(iv.p);
        free(pt.p);
        free(ct.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ CTR */

static void ctr_add(uint8_t ctr[16], uint32_t k)
{
    uint32_t c = (uint32_t)ctr[12] << 24 | (uint32_t)ctr[13] << 16 | (uint32_t)ctr[14] << 8 | ctr[15];
    c += k;
    ctr[12] = (uint8_t)(c >> 24);
    ctr[13] = (uint8_t)(c >> 16);
    ctr[14] = (uint8_t)(c >> 8);
    ctr[15] = (uint8_t)c;
}

static void kat_ctr(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "ctr_sp800_38a.txt", "name key ctr plaintext ciphertext", 1))
        return;
    const struct e2e_aes_impl *aes = e2e_engine_impl(&te->eng)->aes;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, ctr, pt, ct;
        get_hex(r, "key", &key);
        get_hex(r, "ctr", &ctr);
        get_hex(r, "plaintext", &pt);
        get_hex(r, "ciphertext", &ct);
        int sizes = key.n == 16 && ctr.n == 16 && pt.n == ct.n;
        CHECK(sizes, "%s: field sizes", nm);
        if (sizes) {
            e2e_aes_key k;
            e2e_aes128_key_init(&te->eng, &k, key.p);
            uint8_t *out = xmalloc(pt.n), c[16], want[16];
            /* Every prefix length: output and the next unused counter. */
            for (size_t len = 0; len <= pt.n; len++) {
                memcpy(c, ctr.p, 16);
                memset(out, 0, pt.n);
                aes->ctr32(&k, c, out, pt.p, len);
                CHECK(memcmp(out, ct.p, len) == 0, "%s [%s]: ctr32 len %zu", nm, te->name, len);
                memcpy(want, ctr.p, 16);
                ctr_add(want, (uint32_t)((len + 15) / 16));
                CHECK(memcmp(c, want, 16) == 0, "%s [%s]: ctr32 len %zu next counter %s", nm,
                      te->name, len, hexstr(c, 16));
            }
            /* Chained whole-block calls equal one call. */
            memcpy(c, ctr.p, 16);
            for (size_t off = 0; off < pt.n; off += 16)
                aes->ctr32(&k, c, out + off, pt.p + off, pt.n - off < 16 ? pt.n - off : 16);
            CHECK(memcmp(out, ct.p, pt.n) == 0, "%s [%s]: ctr32 chained", nm, te->name);
            /* In place, decrypting. */
            memcpy(out, ct.p, ct.n);
            memcpy(c, ctr.p, 16);
            aes->ctr32(&k, c, out, out, ct.n);
            CHECK(memcmp(out, pt.p, pt.n) == 0, "%s [%s]: ctr32 in place", nm, te->name);
            free(out);
        }
        free(key.p);
        free(ctr.p);
        free(pt.p);
        free(ct.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ CCM */

static void kat_ccm_file(const struct t_engine *te, const char *file)
{
    struct vec_file vf;
    size_t want = strcmp(file, "ccm_rfc3610.txt") == 0 ? 24 : 4;
    if (!load(&vf, file, "name key nonce aad aad_repeat plaintext ciphertext tag_len", want))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, nonce, aad1, pt, ct;
        get_hex(r, "key", &key);
        get_hex(r, "nonce", &nonce);
        get_hex(r, "aad", &aad1);
        get_hex(r, "plaintext", &pt);
        get_hex(r, "ciphertext", &ct);
        size_t tag = get_uint(r, "tag_len");
        size_t rep = vec_get(r, "aad_repeat") ? get_uint(r, "aad_repeat") : 1;
        size_t aad_len = aad1.n * rep;
        uint8_t *aad = xmalloc(aad_len);
        for (size_t j = 0; j < rep; j++)
            memcpy(aad + j * aad1.n, aad1.p, aad1.n);
        int sizes = key.n == 16 && ct.n == pt.n + tag;
        CHECK(sizes, "%s: field sizes", nm);
        if (sizes) {
            e2e_aes_key k;
            e2e_aes128_key_init(&te->eng, &k, key.p);
            uint8_t *out = xmalloc(ct.n), *buf = xmalloc(ct.n);
            memset(out, 0xa5, ct.n);
            e2e_status st = e2e_ccm_seal(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len,
                                         pt.p, pt.n);
            CHECK(st == E2E_OK, "%s [%s]: seal %s", nm, te->name, e2e_status_name(st));
            CHECK(memcmp(out, ct.p, ct.n) == 0, "%s [%s]: seal = %s", nm, te->name,
                  hexstr(out, ct.n));
            memset(out, 0xa5, ct.n);
            st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len, ct.p, ct.n);
            CHECK(st == E2E_OK, "%s [%s]: open %s", nm, te->name, e2e_status_name(st));
            CHECK(memcmp(out, pt.p, pt.n) == 0, "%s [%s]: open plaintext", nm, te->name);
            /* In place (out == ct). */
            memcpy(buf, ct.p, ct.n);
            st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, buf, aad, aad_len, buf, ct.n);
            CHECK(st == E2E_OK && memcmp(buf, pt.p, pt.n) == 0, "%s [%s]: open in place %s", nm,
                  te->name, e2e_status_name(st));
            /* A flipped bit in the ciphertext, the tag or the AAD, or a
             * different nonce: auth_failed and the output wiped. */
            size_t flips[3] = {0, ct.n - 1, ct.n / 2};
            for (int f = 0; f < 3; f++) {
                memcpy(buf, ct.p, ct.n);
                buf[flips[f]] ^= (uint8_t)(1u << (f * 3));
                memset(out, 0xa5, ct.n);
                st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len, buf,
                                  ct.n);
                CHECK(st == E2E_ERR_AUTH, "%s [%s]: flipped byte %zu: %s", nm, te->name,
                      flips[f], e2e_status_name(st));
                CHECK(all_zero(out, pt.n), "%s [%s]: output not wiped after auth failure", nm,
                      te->name);
            }
            if (aad_len) {
                aad[aad_len - 1] ^= 0x80;
                st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len, ct.p,
                                  ct.n);
                CHECK(st == E2E_ERR_AUTH, "%s [%s]: flipped AAD: %s", nm, te->name,
                      e2e_status_name(st));
                aad[aad_len - 1] ^= 0x80;
                st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len - 1,
                                  ct.p, ct.n);
                CHECK(st == E2E_ERR_AUTH, "%s [%s]: short AAD: %s", nm, te->name,
                      e2e_status_name(st));
            }
            nonce.p[0] ^= 1;
            st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len, ct.p, ct.n);
            CHECK(st == E2E_ERR_AUTH, "%s [%s]: other nonce: %s", nm, te->name,
                  e2e_status_name(st));
            nonce.p[0] ^= 1;
            /* Shorter than the tag: malformed. */
            st = e2e_ccm_open(&te->eng, &k, nonce.p, nonce.n, tag, out, aad, aad_len, ct.p,
                              tag - 1);
            CHECK(st == E2E_ERR_MALFORMED, "%s [%s]: ct shorter than tag: %s", nm, te->name,
                  e2e_status_name(st));
            free(out);
            free(buf);
        }
        free(aad);
        free(key.p);
        free(nonce.p);
        free(aad1.p);
        free(pt.p);
        free(ct.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ CS1 */

static void kat_cs1(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "cs1_rfc3962.txt", "name key iv plaintext ciphertext rfc3962_output", 6))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, iv, pt, ct, cs3;
        get_hex(r, "key", &key);
        get_hex(r, "iv", &iv);
        get_hex(r, "plaintext", &pt);
        get_hex(r, "ciphertext", &ct);
        get_hex(r, "rfc3962_output", &cs3);
        size_t n = pt.n;
        int sizes = key.n == 16 && iv.n == 16 && ct.n == n && cs3.n == n && n >= 16;
        CHECK(sizes, "%s: field sizes", nm);
        if (sizes) {
            e2e_aes_key k;
            e2e_aes128_key_init(&te->eng, &k, key.p);
            uint8_t *out = xmalloc(n), *sw = xmalloc(n);
            memset(out, 0xa5, n);
            e2e_status st = e2e_cs1_encrypt(&te->eng, &k, iv.p, out, pt.p, n);
            CHECK(st == E2E_OK && memcmp(out, ct.p, n) == 0, "%s [%s]: cs1 encrypt %s = %s", nm,
                  te->name, e2e_status_name(st), hexstr(out, n));
            /* The engine's CS1 output reordered to RFC 3962's CS3 must match
             * the RFC as printed. */
            size_t d = n % 16, tail = d ? d : 16;
            memcpy(sw, out, n - 16 - tail);
            memcpy(sw + n - 16 - tail, out + n - 16, 16);
            memcpy(sw + n - tail, out + n - 16 - tail, tail);
            CHECK(memcmp(sw, cs3.p, n) == 0, "%s [%s]: as CS3 %s", nm, te->name, hexstr(sw, n));
            memset(out, 0xa5, n);
            st = e2e_cs1_decrypt(&te->eng, &k, iv.p, out, ct.p, n);
            CHECK(st == E2E_OK && memcmp(out, pt.p, n) == 0, "%s [%s]: cs1 decrypt %s", nm,
                  te->name, e2e_status_name(st));
            memcpy(out, pt.p, n);
            st = e2e_cs1_encrypt(&te->eng, &k, iv.p, out, out, n);
            CHECK(st == E2E_OK && memcmp(out, ct.p, n) == 0, "%s [%s]: encrypt in place", nm,
                  te->name);
            st = e2e_cs1_decrypt(&te->eng, &k, iv.p, out, out, n);
            CHECK(st == E2E_OK && memcmp(out, pt.p, n) == 0, "%s [%s]: decrypt in place", nm,
                  te->name);
            /* Under one block: malformed. */
            st = e2e_cs1_encrypt(&te->eng, &k, iv.p, out, pt.p, 15);
            CHECK(st == E2E_ERR_MALFORMED, "%s [%s]: 15-byte encrypt: %s", nm, te->name,
                  e2e_status_name(st));
            st = e2e_cs1_decrypt(&te->eng, &k, iv.p, out, ct.p, 15);
            CHECK(st == E2E_ERR_MALFORMED, "%s [%s]: 15-byte decrypt: %s", nm, te->name,
                  e2e_status_name(st));
            free(out);
            free(sw);
        }
        free(key.p);
        free(iv.p);
        free(pt.p);
        free(ct.p);
        free(cs3.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ HMAC */

static void kat_hmac(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "hmac_sha256_rfc4231.txt", "name key data mac", 7))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, data, mac;
        get_hex(r, "key", &key);
        get_hex(r, "data", &data);
        get_hex(r, "mac", &mac);
        CHECK(mac.n >= 16 && mac.n <= 32, "%s: mac size", nm);
        if (mac.n <= 32) {
            e2e_hmac_key hk;
            uint8_t out[32];
            e2e_hmac_sha256_key(&te->eng, &hk, key.p, key.n);
            e2e_hmac_sha256(&te->eng, &hk, out, NULL, 0, data.p, data.n);
            CHECK(memcmp(out, mac.p, mac.n) == 0, "%s [%s]: %s", nm, te->name, hexstr(out, 32));
            /* prefix || msg split at every point gives the same MAC. */
            for (size_t s = 0; s <= data.n; s++) {
                memset(out, 0, sizeof out);
                e2e_hmac_sha256(&te->eng, &hk, out, data.p, s, data.p + s, data.n - s);
                CHECK(memcmp(out, mac.p, mac.n) == 0, "%s [%s]: split at %zu", nm, te->name, s);
            }
        }
        free(key.p);
        free(data.p);
        free(mac.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ SHA-256 */

static void kat_sha(const struct t_engine *te)
{
    struct vec_file vf;
    if (!load(&vf, "sha256_fips180.txt", "name msg msg_repeat digest", 4))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes msg, dg;
        get_hex(r, "msg", &msg);
        get_hex(r, "digest", &dg);
        size_t rep = vec_get(r, "msg_repeat") ? get_uint(r, "msg_repeat") : 1;
        CHECK(dg.n == 32, "%s: digest size", nm);
        size_t total = msg.n * rep;
        uint8_t *m = xmalloc(total), out[32];
        for (size_t j = 0; j < rep; j++)
            memcpy(m + j * msg.n, msg.p, msg.n);
        memset(out, 0, sizeof out);
        e2e_sha256(&te->eng, out, m, total);
        CHECK(memcmp(out, dg.p, 32) == 0, "%s [%s]: one-shot %s", nm, te->name, hexstr(out, 32));
        /* Streaming in uneven pieces (1, 2, 3, ... 70 bytes, repeating). */
        e2e_sha256_ctx c;
        e2e_sha256_init(&c, &te->eng);
        size_t off = 0, step = 1;
        while (off < total) {
            size_t n = total - off < step ? total - off : step;
            e2e_sha256_update(&c, m + off, n);
            off += n;
            step = step % 70 + 1;
        }
        memset(out, 0, sizeof out);
        e2e_sha256_final(&c, out);
        CHECK(memcmp(out, dg.p, 32) == 0, "%s [%s]: streamed", nm, te->name);
        /* And byte by byte for the short ones. */
        if (total < 1000) {
            e2e_sha256_init(&c, &te->eng);
            for (size_t j = 0; j < total; j++)
                e2e_sha256_update(&c, m + j, 1);
            e2e_sha256_final(&c, out);
            CHECK(memcmp(out, dg.p, 32) == 0, "%s [%s]: byte by byte", nm, te->name);
        }
        free(m);
        free(msg.p);
        free(dg.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ KI */

static void kat_ki(void)
{
    struct vec_file vf;
    if (!load(&vf, "ki_thingstream.txt", "name msg status ki_len rotation ki", 25))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes msg;
        get_hex(r, "msg", &msg);
        const char *want = vec_get(r, "status");
        size_t ki_len = 99;
        e2e_rotation rot = (e2e_rotation)0;
        e2e_status st = e2e_ki_decode(&ki_len, &rot, msg.p, msg.n);
        CHECK(want && strcmp(e2e_status_name(st), want) == 0, "%s: status %s, want %s", nm,
              e2e_status_name(st), want ? want : "?");
        if (st == E2E_OK && want && strcmp(want, "ok") == 0) {
            struct bytes ki;
            get_hex(r, "ki", &ki);
            CHECK(ki_len == get_uint(r, "ki_len"), "%s: ki_len %zu", nm, ki_len);
            const char *rn = e2e_rotation_name(rot);
            CHECK(rn && vec_get(r, "rotation") && strcmp(rn, vec_get(r, "rotation")) == 0,
                  "%s: rotation %s", nm, rn ? rn : "(null)");
            CHECK(ki.n == ki_len && ki_len <= msg.n && memcmp(msg.p, ki.p, ki.n) == 0,
                  "%s: ki bytes", nm);
            free(ki.p);
        }
        free(msg.p);
    }
    vec_free(&vf);
    /* A NULL message with length 0 is malformed too, not a crash. */
    size_t kl;
    e2e_rotation rot;
    e2e_status st = e2e_ki_decode(&kl, &rot, NULL, 0);
    CHECK(st == E2E_ERR_MALFORMED || st == E2E_ERR_PARAM, "ki_decode(NULL, 0) = %s",
          e2e_status_name(st));
}

/* ------------------------------------------------------------ Sigfox */

static void kat_sigfox(void)
{
    struct vec_file vf;
    if (!load(&vf, "sigfox_xor.txt",
              "name key data byte_status byte legacy_status legacy lossy", 18))
        return;
    for (size_t i = 0; i < vf.n; i++) {
        const struct vec_record *r = &vf.records[i];
        const char *nm = vec_name(r);
        struct bytes key, data;
        get_hex(r, "key", &key);
        get_hex(r, "data", &data);
        const char *bs = vec_get(r, "byte_status"), *ls = vec_get(r, "legacy_status");
        uint8_t *out = xmalloc(data.n), *buf = xmalloc(data.n);

        memset(out, 0xa5, data.n);
        e2e_status st = e2e_sigfox_xor(out, key.p, key.n, data.p, data.n);
        CHECK(bs && strcmp(e2e_status_name(st), bs) == 0, "%s: byte mode %s, want %s", nm,
              e2e_status_name(st), bs ? bs : "?");
        if (st == E2E_OK) {
            struct bytes want;
            get_hex(r, "byte", &want);
            CHECK(want.n == data.n && memcmp(out, want.p, want.n) == 0, "%s: byte mode = %s",
                  nm, hexstr(out, data.n));
            memcpy(buf, data.p, data.n);
            st = e2e_sigfox_xor(buf, key.p, key.n, buf, data.n);
            CHECK(st == E2E_OK && memcmp(buf, want.p, want.n) == 0, "%s: byte mode in place",
                  nm);
            /* XOR is its own inverse. */
            st = e2e_sigfox_xor(buf, key.p, key.n, want.p, want.n);
            CHECK(st == E2E_OK && memcmp(buf, data.p, data.n) == 0, "%s: byte mode inverse", nm);
            free(want.p);
        }

        memset(out, 0xa5, data.n);
        int lossy = 7;
        st = e2e_sigfox_xor_legacy(out, &lossy, key.p, key.n, data.p, data.n);
        CHECK(ls && strcmp(e2e_status_name(st), ls) == 0, "%s: legacy %s, want %s", nm,
              e2e_status_name(st), ls ? ls : "?");
        if (st == E2E_OK) {
            struct bytes want;
            get_hex(r, "legacy", &want);
            unsigned long wl = get_uint(r, "lossy");
            CHECK(want.n == data.n && memcmp(out, want.p, want.n) == 0, "%s: legacy = %s", nm,
                  hexstr(out, data.n));
            CHECK((unsigned long)lossy == wl, "%s: lossy %d, want %lu", nm, lossy, wl);
            memcpy(buf, data.p, data.n);
            lossy = 7;
            st = e2e_sigfox_xor_legacy(buf, &lossy, key.p, key.n, buf, data.n);
            CHECK(st == E2E_OK && memcmp(buf, want.p, want.n) == 0 &&
                      (unsigned long)lossy == wl,
                  "%s: legacy in place", nm);
            /* Not lossy means the blog's decryption (the same operation on
             * the result) gives the data back. */
            if (wl == 0) {
                st = e2e_sigfox_xor_legacy(buf, &lossy, key.p, key.n, want.p, want.n);
                CHECK(st == E2E_OK && memcmp(buf, data.p, data.n) == 0,
                      "%s: legacy round trip", nm);
            }
            free(want.p);
        }
        free(out);
        free(buf);
        free(key.p);
        free(data.p);
    }
    vec_free(&vf);
}

/* ------------------------------------------------------------ tokens */

static void check_tokens(void)
{
    static const struct {
        e2e_status s;
        const char *name;
    } st[] = {
        {E2E_OK, "ok"},
        {E2E_ERR_MALFORMED, "malformed"},
        {E2E_ERR_AUTH, "auth_failed"},
        {E2E_ERR_UNKNOWN_KEY, "unknown_key"},
        {E2E_ERR_UNSUPPORTED, "unsupported"},
        {E2E_ERR_PARAM, "bad_param"},
        {E2E_ERR_CPU, "cpu_unsupported"},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        const char *n = e2e_status_name(st[i].s);
        CHECK(n && strcmp(n, st[i].name) == 0, "e2e_status_name(%d) = %s, want %s",
              (int)st[i].s, n ? n : "(null)", st[i].name);
    }
    CHECK(E2E_OK == 0, "E2E_OK must be 0");
    const char *u = e2e_status_name((e2e_status)99);
    CHECK(u && strcmp(u, "unknown") == 0, "e2e_status_name(99) = %s", u ? u : "(null)");

    static const struct {
        e2e_suite s;
        const char *name, *mode;
    } su[] = {
        {E2E_SUITE_AES_128_CCM, "AES_128_CCM", "ccm"},
        {E2E_SUITE_AES_128_CCM_8, "AES_128_CCM_8", "ccm"},
        {E2E_SUITE_AES_128_CS1_HMAC_SHA256, "AES_128_CS1_HMAC_SHA256", "cs1-hmac"},
        {E2E_SUITE_HMAC_SHA256, "HMAC_SHA256", "hmac"},
    };
    for (size_t i = 0; i < sizeof su / sizeof su[0]; i++) {
        const char *n = e2e_suite_name(su[i].s), *m = e2e_suite_mode_name(su[i].s);
        CHECK(n && strcmp(n, su[i].name) == 0, "suite name %s", n ? n : "(null)");
        CHECK(m && strcmp(m, su[i].mode) == 0, "mode name %s", m ? m : "(null)");
        e2e_suite p = (e2e_suite)0;
        e2e_status s = e2e_suite_parse(&p, su[i].name, strlen(su[i].name));
        CHECK(s == E2E_OK && p == su[i].s, "parse %s", su[i].name);
        /* Not NUL-terminated: the length rules. */
        s = e2e_suite_parse(&p, su[i].name, strlen(su[i].name) - 1);
        CHECK(s == E2E_ERR_UNSUPPORTED, "parse of a prefix of %s: %s", su[i].name,
              e2e_status_name(s));
    }
    e2e_suite p;
    CHECK(e2e_suite_parse(&p, "AES_128_GCM", 11) == E2E_ERR_UNSUPPORTED, "parse unknown suite");
    CHECK(e2e_suite_parse(&p, "aes_128_ccm", 11) == E2E_ERR_UNSUPPORTED,
          "suite names are case-sensitive tokens");
    CHECK(e2e_suite_name((e2e_suite)0) == NULL, "suite 0 has no name");
    const char *c = e2e_rotation_name(E2E_ROTATION_CONTINUOUS);
    const char *a = e2e_rotation_name(E2E_ROTATION_AUTOMATIC);
    CHECK(c && strcmp(c, "continuous") == 0, "rotation name continuous");
    CHECK(a && strcmp(a, "automatic") == 0, "rotation name automatic");
}

int main(int argc, char **argv)
{
    if (argc > 1)
        vdir = argv[1];
    printf("test_kat: vectors from %s\n", vdir);
    check_tokens();
    kat_ki();
    kat_sigfox();
    size_t n = engines_init();
    for (size_t i = 0; i < n; i++) {
        const struct t_engine *te = &t_engines[i];
        unsigned long before = t_failed;
        kat_aes(te);
        kat_cbc(te);
        kat_ctr(te);
        kat_ccm_file(te, "ccm_sp800_38c.txt");
        kat_ccm_file(te, "ccm_rfc3610.txt");
        kat_cs1(te);
        kat_hmac(te);
        kat_sha(te);
        printf("%-12s %s\n", te->name, t_failed == before ? "ok" : "FAILED");
        quiet = 1;
    }
    return t_summary();
}
