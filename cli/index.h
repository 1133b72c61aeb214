/* index.h — a byte-keyed hash index (open addressing, linear probing).
 *
 * Maps a byte string (a KI, a ROTPublicUID's text) to a 32-bit value (an
 * entry number in the keyring). The index borrows the key bytes: they must
 * outlive it. Load factor stays at or under one half, so a miss costs a
 * short probe whatever the key.
 */
#ifndef E2E_CLI_INDEX_H
#define E2E_CLI_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct cli_index_slot {
    const uint8_t *key; /* NULL: empty */
    uint32_t len;
    uint32_t val;
    uint64_t hash;
};

struct cli_index {
    struct cli_index_slot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t count;
};

/* cli_index_init sizes ix for up to expected keys. Returns 0, -1 on OOM. */
int cli_index_init(struct cli_index *ix, size_t expected);

/* cli_index_put maps key (len bytes, borrowed) to val. Returns 0 for a new
 * key, 1 when the key was present (its value is replaced; the previous one
 * goes to *old), -1 on OOM. */
int cli_index_put(struct cli_index *ix, const uint8_t *key, size_t len,
                  uint32_t val, uint32_t *old);

/* cli_index_get looks key up. Returns 1 and sets *val when found, else 0. */
int cli_index_get(const struct cli_index *ix, const uint8_t *key, size_t len,
                  uint32_t *val);

/* cli_index_free releases the table (not the keys). */
void cli_index_free(struct cli_index *ix);

#endif /* E2E_CLI_INDEX_H */
