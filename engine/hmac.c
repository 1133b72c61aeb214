/* hmac.c — SHA-256 streaming and HMAC-SHA256 over an implementation table.
 *
 * Implementation notes:
 *  - SHA-256 padding per FIPS 180-4 sec. 5.1.1; the compression function
 *    comes from the engine's SHA table (portable, SHA-NI, ...).
 *  - HMAC per RFC 2104 / FIPS 198-1: a key longer than the 64-byte block is
 *    hashed first; the states after one compression of key^ipad and key^opad
 *    are kept (e2e_hmac_key), so each message costs its own blocks plus one
 *    outer compression.
 *  - The wire formats authenticate KIV || P, so e2e_hmac_sha256 takes a
 *    prefix and a message and never copies them into one buffer. Where the
 *    engine has a whole-HMAC kernel (SHA-NI's hmac_msgs) one call does it
 *    all, laid out by e2e_hmac_msg_layout (which the batch scheduler uses
 *    too): a head block, the message's whole blocks in place, a tail.
 *  - Lengths are public; the data is hashed without data-dependent branches. */
#include <string.h>

#include "ct.h"
#include "internal.h"

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static const uint32_t sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static void ctx_start(e2e_sha256_ctx *c, const e2e_engine *eng, const uint32_t h[8],
                      uint64_t total)
{
    memcpy(c->h, h, sizeof c->h);
    c->total = total;
    c->fill = 0;
    c->blocks = e2e_sha_of(eng)->blocks;
}

void e2e_sha256_init(e2e_sha256_ctx *c, const e2e_engine *eng)
{
    ctx_start(c, eng, sha256_iv, 0);
}

void e2e_sha256_update(e2e_sha256_ctx *c, const uint8_t *in, size_t len)
{
    c->total += len;
    if (c->fill) {
        size_t take = 64 - c->fill;
        if (take > len)
            take = len;
        memcpy(c->buf + c->fill, in, take);
        c->fill += take;
        in += take;
        len -= take;
        if (c->fill < 64)
            return;
        c->blocks(c->h, c->buf, 1);
        c->fill = 0;
    }
    if (len >= 64) {
        c->blocks(c->h, in, len / 64);
        in += len & ~(size_t)63;
        len &= 63;
    }
    if (len) {
        memcpy(c->buf, in, len);
        c->fill = len;
    }
}

/* finish pads and writes the state without wiping (callers wipe). */
static void finish(e2e_sha256_ctx *c, uint8_t out[32])
{
    uint64_t bits = c->total * 8;
    size_t n = c->fill;
    c->buf[n++] = 0x80;
    if (n > 56) {
        memset(c->buf + n, 0, 64 - n);
        c->blocks(c->h, c->buf, 1);
        n = 0;
    }
    memset(c->buf + n, 0, 56 - n);
    store_be32(c->buf + 56, (uint32_t)(bits >> 32));
    store_be32(c->buf + 60, (uint32_t)bits);
    c->blocks(c->h, c->buf, 1);
    for (int i = 0; i < 8; i++)
        store_be32(out + 4 * i, c->h[i]);
}

void e2e_sha256_final(e2e_sha256_ctx *c, uint8_t out[32])
{
    finish(c, out);
    e2e_wipe(c, sizeof *c);
}

void e2e_sha256(const e2e_engine *eng, uint8_t out[32], const uint8_t *in, size_t len)
{
    e2e_sha256_ctx c;
    e2e_sha256_init(&c, eng);
    e2e_sha256_update(&c, in, len);
    e2e_sha256_final(&c, out);
}

void e2e_hmac_sha256_key(const e2e_engine *eng, e2e_hmac_key *hk,
                         const uint8_t *key, size_t key_len)
{
    uint8_t k0[64], pad[64];
    memset(k0, 0, sizeof k0);
    if (key_len > 64)
        e2e_sha256(eng, k0, key, key_len);
    else if (key_len)
        memcpy(k0, key, key_len);
    void (*blocks)(uint32_t *, const uint8_t *, size_t) = e2e_sha_of(eng)->blocks;

    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x36;
    memcpy(hk->inner, sha256_iv, sizeof hk->inner);
    blocks(hk->inner, pad, 1);
    for (int i = 0; i < 64; i++)
        pad[i] = k0[i] ^ 0x5c;
    memcpy(hk->outer, sha256_iv, sizeof hk->outer);
    blocks(hk->outer, pad, 1);
    e2e_wipe(k0, sizeof k0);
    e2e_wipe(pad, sizeof pad);
}

void (*e2e_hmac_msgs_of(const struct engine_impl *impl))(struct e2e_hmac_msg *, size_t)
{
    if (impl == NULL)
        return NULL;
    if (impl->sha_lanes != NULL && impl->sha_lanes->hmac_msgs != NULL)
        return impl->sha_lanes->hmac_msgs;
    if (impl->sha_narrow != NULL && impl->sha_narrow->hmac_msgs != NULL)
        return impl->sha_narrow->hmac_msgs;
    return NULL;
}

void e2e_hmac_sha256(const e2e_engine *eng, const e2e_hmac_key *hk, uint8_t out[32],
                     const uint8_t *prefix, size_t prefix_len,
                     const uint8_t *msg, size_t msg_len)
{
    void (*hmac_msgs)(struct e2e_hmac_msg *, size_t) = e2e_hmac_msgs_of(e2e_engine_impl(eng));
    if (hmac_msgs != NULL && prefix_len <= 64) {
        /* the whole HMAC in one kernel call, the state in registers */
        struct e2e_hmac_msg m;
        uint8_t head[64], tail[128];
        e2e_hmac_msg_layout(&m, head, tail, hk, prefix, prefix_len, msg, msg_len);
        hmac_msgs(&m, 1);
        for (int i = 0; i < 8; i++)
            store_be32(out + 4 * i, m.h[i]);
        e2e_wipe(&m, sizeof m);
        e2e_wipe(head, sizeof head);
        e2e_wipe(tail, sizeof tail);
        return;
    }
    e2e_sha256_ctx c;
    uint8_t ih[32];
    ctx_start(&c, eng, hk->inner, 64);
    if (prefix_len)
        e2e_sha256_update(&c, prefix, prefix_len);
    if (msg_len)
        e2e_sha256_update(&c, msg, msg_len);
    finish(&c, ih);
    ctx_start(&c, eng, hk->outer, 64);
    e2e_sha256_update(&c, ih, sizeof ih);
    finish(&c, out);
    e2e_wipe(&c, sizeof c);
    e2e_wipe(ih, sizeof ih);
}
