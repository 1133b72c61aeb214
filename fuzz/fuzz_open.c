/* fuzz_open.c — e2e_open on arbitrary wire messages against a fixed pool of
 * key sets (fz_keysets: every suite, both KI kinds, the seed document's
 * parameters, tags of 4..32 bytes).
 *
 * Input: sel rest...
 *   sel % FZ_NKEYSETS picks the key set.
 *   sel & 0x80 clear: rest is the message as is (the seed's example messages
 *     are in the corpus).
 *   sel & 0x80 set: "near-valid" mode: len8 plaintext... is sealed with the
 *     key set, then up to 8 edits (flip a bit, set a byte, truncate, append,
 *     delete a byte, rewrite the KI nibble) are applied, so the fuzzer works
 *     right at the edge of valid messages (CS1 tails, tag boundaries).
 *
 * Properties, for every implementation the CPU can run, out of place (out_cap
 * exactly msg_len, a separate heap block so ASan sees any overrun) and in
 * place (out == msg):
 *   - no crash, no out-of-bounds access, status in {ok, malformed,
 *     auth_failed}; all implementations and both placements agree on status,
 *     length and output;
 *   - on failure: out_len 0 and out[0..msg_len) all zero;
 *   - on E2E_OK: fz_check_reseal — the body is exactly what e2e_seal writes
 *     for that plaintext (the KI is not authenticated beyond its top nibble);
 *   - completeness: a message whose KI nibble announces the key set's KI
 *     length and whose body is the sealed body opens to the plaintext;
 *   - a short out_cap or a NULL out is E2E_ERR_PARAM with out_cap bytes
 *     wiped. */
#include "fuzz_common.h"

static struct fz_keypool pools[FZ_MAX_ENGINES];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const struct fz_engines *E = fz_single_engines();
    for (size_t e = 0; e < E->n; e++) {
        fz_keysets(&pools[e], &E->eng[e]);
        for (size_t i = 0; i < FZ_NKEYSETS; i++)
            FZ_ASSERT(memcmp(&pools[e].ks[i], &pools[0].ks[i], sizeof(e2e_keyset)) == 0,
                      "%s: key set %zu differs", E->name[e], i);
    }
    return 0;
}

/* near_valid builds a sealed message and applies the input's edits. Returns
 * a heap message; *complete is set when the edits left the body and the KI
 * nibble's length intact (so open must succeed). */
static uint8_t *near_valid(struct fz_in *in, const e2e_engine *eng, const e2e_keyset *ks,
                           size_t *msg_len, uint8_t **pt_out, size_t *pt_len_out,
                           int *complete)
{
    uint8_t lsel = fz_u8(in);
    size_t pt_len = lsel < 0xf0 ? lsel % 80 : fz_u16(in) % 2048;
    uint8_t *pt = fz_xmalloc(pt_len);
    fz_fill(in, pt, pt_len);
    e2e_keyset s;
    fz_with_ki(&s, ks);
    size_t cap = e2e_seal_len(&s, pt_len), got = 0, ki_len = 0;
    e2e_keyset_ki(&s, &ki_len);
    /* room for appends */
    size_t room = cap + 8 * 16;
    uint8_t *m = fz_xmalloc(room), *orig = fz_xmalloc(cap);
    e2e_status st = e2e_seal(eng, &s, m, cap, &got, pt, pt_len);
    if (st != E2E_OK) {
        /* CS1 with P || T under a block: nothing to open; use raw bytes. */
        FZ_ASSERT(st == E2E_ERR_MALFORMED, "seal: %s", e2e_status_name(st));
        got = 0;
    }
    memcpy(orig, m, got);
    size_t len = got;
    unsigned nedit = fz_u8(in) % 9;
    for (unsigned i = 0; i < nedit; i++) {
        uint8_t op = fz_u8(in);
        size_t pos = fz_u16(in);
        uint8_t val = fz_u8(in);
        switch (op % 6) {
        case 0: /* flip a bit */
            if (len)
                m[pos % len] ^= (uint8_t)(1u << (val & 7));
            break;
        case 1: /* set a byte */
            if (len)
                m[pos % len] = val;
            break;
        case 2: /* truncate */
            len = pos % (len + 1);
            break;
        case 3: /* append up to 16 bytes */
            {
                size_t k = val % 17;
                fz_fill(in, m + len, k);
                len += k;
            }
            break;
        case 4: /* delete one byte */
            if (len) {
                size_t at = pos % len;
                memmove(m + at, m + at + 1, len - at - 1);
                len--;
            }
            break;
        case 5: /* rewrite the KI nibble (0..3), keep the low nibble */
            if (len)
                m[0] = (uint8_t)((m[0] & 0x0f) | (val & 0x30));
            break;
        }
    }
    *complete = 0;
    if (got && len >= 1) {
        size_t nib = m[0] >> 4, kl = nib == 1 ? 16 : nib == 2 ? 12 : 0;
        if (kl == ki_len && len == got && memcmp(m + kl, orig + kl, got - kl) == 0)
            *complete = 1;
    }
    uint8_t *msg = fz_xmalloc(len);
    memcpy(msg, m, len);
    free(m);
    free(orig);
    e2e_keyset_clear(&s);
    *msg_len = len;
    *pt_out = pt;
    *pt_len_out = pt_len;
    return msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_single_engines();
    struct fz_in in;
    fz_in_init(&in, data, size);
    uint8_t sel = fz_u8(&in);
    size_t which = sel % FZ_NKEYSETS;
    uint8_t *msg, *pt = NULL;
    size_t msg_len, pt_len = 0;
    int complete = 0;
    if (sel & 0x80) {
        msg = near_valid(&in, &E->eng[0], &pools[0].ks[which], &msg_len, &pt, &pt_len,
                         &complete);
    } else {
        msg_len = in.n;
        msg = fz_xmalloc(msg_len);
        fz_bytes(&in, msg, msg_len);
    }

    uint8_t *out = fz_xmalloc(msg_len), *inplace = fz_xmalloc(msg_len),
            *first = fz_xmalloc(msg_len);
    e2e_status st0 = E2E_OK;
    size_t len0 = 0;
    for (size_t e = 0; e < E->n; e++) {
        const e2e_engine *eng = &E->eng[e];
        const e2e_keyset *ks = &pools[e].ks[which];
        size_t ol = 77, il = 77;
        memset(out, 0xcc, msg_len);
        e2e_status st = e2e_open(eng, ks, out, msg_len, &ol, msg, msg_len);
        memcpy(inplace, msg, msg_len);
        e2e_status si = e2e_open(eng, ks, inplace, msg_len, &il, inplace, msg_len);
        FZ_ASSERT(st == E2E_OK || st == E2E_ERR_MALFORMED || st == E2E_ERR_AUTH,
                  "%s: open = %s", E->name[e], e2e_status_name(st));
        FZ_ASSERT(si == st && il == ol, "%s (%s): in-place open %s/%zu, out of place %s/%zu",
                  E->name[e], pools[e].what[which], e2e_status_name(si), il,
                  e2e_status_name(st), ol);
        if (st != E2E_OK) {
            FZ_ASSERT(ol == 0 && fz_all_zero(out, msg_len) && fz_all_zero(inplace, msg_len),
                      "%s (%s): failed open (%s) left output", E->name[e],
                      pools[e].what[which], e2e_status_name(st));
        } else {
            FZ_ASSERT(memcmp(out, inplace, ol) == 0, "%s: in-place plaintext differs",
                      E->name[e]);
            fz_check_reseal(eng, ks, msg, msg_len, out, ol);
        }
        if (complete)
            FZ_ASSERT(st == E2E_OK && ol == pt_len && memcmp(out, pt, pt_len) == 0,
                      "%s (%s): a sealed message (KI bytes aside) did not open: %s",
                      E->name[e], pools[e].what[which], e2e_status_name(st));
        if (e == 0) {
            st0 = st;
            len0 = ol;
            memcpy(first, out, msg_len);
        } else {
            FZ_ASSERT(st == st0 && ol == len0 && memcmp(out, first, ol) == 0,
                      "%s: open differs from %s (%s vs %s)", E->name[e], E->name[0],
                      e2e_status_name(st), e2e_status_name(st0));
        }
    }

    /* Caller bugs: short out_cap, NULL out, NULL out_len. */
    if (msg_len > 0) {
        size_t cap = msg_len - 1, ol = 5;
        uint8_t *small = fz_xmalloc(cap);
        memset(small, 0xcc, cap);
        e2e_status st = e2e_open(&E->eng[0], &pools[0].ks[which], small, cap, &ol, msg, msg_len);
        FZ_ASSERT(st == E2E_ERR_PARAM && ol == 0 && fz_all_zero(small, cap),
                  "open with out_cap %zu < %zu: %s", cap, msg_len, e2e_status_name(st));
        free(small);
        FZ_ASSERT(e2e_open(&E->eng[0], &pools[0].ks[which], NULL, msg_len, &ol, msg,
                           msg_len) == E2E_ERR_PARAM,
                  "open(out NULL)");
    }
    FZ_ASSERT(e2e_open(&E->eng[0], &pools[0].ks[which], out, msg_len, NULL, msg, msg_len) ==
                  E2E_ERR_PARAM,
              "open(out_len NULL)");

    free(out);
    free(inplace);
    free(first);
    free(msg);
    free(pt);
    return 0;
}
