/* index.c — byte-keyed hash index for the keyring (see index.h). */
#include "index.h"

#include <stdlib.h>
#include <string.h>

/* index_hash mixes the key eight bytes at a time (multiply and rotate, then
 * murmur3's fmix64 finaliser), so that keys differing only in their last
 * bytes - KIs that end in a message counter - spread over the whole table.
 * A KI costs two rounds. The keys are public (KIs, UIDs). */
static uint64_t index_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h = (h << 31) | (h >> 33);
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)p[i] << (8 * i);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h = (h << 31) | (h >> 33);
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

int cli_index_init(struct cli_index *ix, size_t expected)
{
    size_t cap = 16;
    while (cap < 2 * expected + 1)
        cap <<= 1;
    ix->slots = calloc(cap, sizeof ix->slots[0]);
    ix->mask = cap - 1;
    ix->count = 0;
    return ix->slots ? 0 : -1;
}

static int index_grow(struct cli_index *ix)
{
    size_t cap = (ix->mask + 1) * 2;
    struct cli_index_slot *ns = calloc(cap, sizeof ns[0]);
    if (!ns)
        return -1;
    for (size_t i = 0; i <= ix->mask; i++) {
        const struct cli_index_slot *s = &ix->slots[i];
        if (!s->key)
            continue;
        size_t j = s->hash & (cap - 1);
        while (ns[j].key)
            j = (j + 1) & (cap - 1);
        ns[j] = *s;
    }
    free(ix->slots);
    ix->slots = ns;
    ix->mask = cap - 1;
    return 0;
}

int cli_index_put(struct cli_index *ix, const uint8_t *key, size_t len,
                  uint32_t val, uint32_t *old)
{
    uint64_t h = index_hash(key, len);
    size_t j;

    if (2 * (ix->count + 1) > ix->mask + 1 && index_grow(ix) != 0)
        return -1;
    for (j = h & ix->mask; ix->slots[j].key; j = (j + 1) & ix->mask) {
        struct cli_index_slot *s = &ix->slots[j];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            *old = s->val;
            s->key = key;
            s->val = val;
            return 1;
        }
    }
    ix->slots[j].key = key;
    ix->slots[j].len = (uint32_t)len;
    ix->slots[j].val = val;
    ix->slots[j].hash = h;
    ix->count++;
    return 0;
}

int cli_index_get(const struct cli_index *ix, const uint8_t *key, size_t len,
                  uint32_t *val)
{
    uint64_t h = index_hash(key, len);
    for (size_t j = h & ix->mask; ix->slots[j].key; j = (j + 1) & ix->mask) {
        const struct cli_index_slot *s = &ix->slots[j];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            *val = s->val;
            return 1;
        }
    }
    return 0;
}

void cli_index_free(struct cli_index *ix)
{
    free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
    ix->count = 0;
}
