/* keyring.h — load a Thingstream keyring file into expanded key sets.
 *
 * A keyring is NDJSON (one REST API parameters object per line; blank lines
 * are skipped) or one JSON array of such objects; the first non-space
 * character decides ('[' -> array). A file holding one object spread over
 * several lines is read as a keyring of one entry.
 *
 * Entries are numbered in messages as "entry N": N is the 1-based line
 * number for NDJSON and the 0-based array index for an array.
 *
 * Fields (names as the REST API spells them; others are ignored):
 *   CipherSuite        AES_128_CCM | AES_128_CCM_8 | AES_128_CS1_HMAC_SHA256 |
 *                      HMAC_SHA256 (required)
 *   EncryptionKey|Key  base64, 16 bytes (AES suites; EncryptionKey wins)
 *   AuthenticationKey  base64, 1..64 bytes (CS1 and HMAC suites)
 *   KIV                base64, 1..64 bytes (CS1 and HMAC suites: the HMAC
 *                      prefix; every suite: the KI when no EncryptedHeader)
 *   Nonce|AESNonce|AESIV  CCM nonce, 7..13 bytes (the first present)
 *   AESIV              CS1 IV, 16 bytes
 *   MACLength          tag length in bits (a multiple of 8)
 *   KeyLength, AuthKeyLength  bits; when present they must match the keys
 *   ROTPublicUID       string or integer, compared as text (seal --uid)
 *   EncryptedHeader    KI hex (white space around it trimmed)
 * Fields a suite does not use are not read.
 *
 * Duplicates: when two entries share a KI (index key), the later entry wins
 * and a warning is printed once with a count; when several entries share a
 * ROTPublicUID (normal: continuous rotation gives one key set per message),
 * the later entry wins silently — the last key set fetched is the current one.
 */
#ifndef E2E_CLI_KEYRING_H
#define E2E_CLI_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "e2ecrypt.h"
#include "index.h"

/* kr_ki_slot is one slot of the KI index: the KI itself is in the slot, so
 * a lookup touches one cache line (two slots per 64-byte line). */
struct kr_ki_slot {
    uint8_t ki[E2E_KI_MAX];
    uint32_t val;           /* entry number + 1; 0: empty */
    uint8_t len;
    uint8_t pad[11];
};

struct kr_ki_index {
    struct kr_ki_slot *slots;
    size_t mask;            /* capacity - 1 (a power of two) */
};

struct kr_entry {
    uint8_t ki[E2E_KI_MAX]; /* the index key: EncryptedHeader bytes, else KIV */
    uint8_t ki_len;
    char *uid;              /* ROTPublicUID as text, or NULL */
    size_t number;          /* the entry number used in messages */
};

enum { KR_FORMAT_NDJSON, KR_FORMAT_ARRAY, KR_FORMAT_OBJECT };

struct keyring {
    const char *name;       /* the file name, for messages */
    int format;             /* KR_FORMAT_*: NDJSON (a one-line object too), a
                               JSON array, or one object over several lines */
    int tail_newline;       /* the text is empty or ends in '\n' */
    size_t torn_at, torn_len, torn_line; /* KR_SKIP_TORN: the torn last line
                               left out (torn_len 0: none) */
    e2e_keyset *ks;         /* n expanded key sets, 64-byte aligned */
    struct kr_entry *e;     /* n entries, parallel to ks */
    size_t n;
    struct kr_ki_index by_ki; /* built by keyring_index_ki */
    struct cli_index by_uid;/* built by keyring_index_uid */
    int have_ki, have_uid;
};

/* keyring_load reads the keyring file path and expands every entry with
 * eng. Returns 0, or -1 with a one-line message (without the "e2ecrypt: "
 * prefix) in err naming the file, the entry, the field and the reason. */
int keyring_load(struct keyring *kr, const e2e_engine *eng, const char *path,
                 char *err, size_t err_len);

/* keyring_load_buffer is keyring_load over text already in memory (len
 * bytes); name is used in messages. buf is not modified. */
int keyring_load_buffer(struct keyring *kr, const e2e_engine *eng,
                        const char *name, const char *buf, size_t len,
                        char *err, size_t err_len);

/* Flags of keyring_load_opts, for a keyring that is also the cache that
 * 'open --fetch' appends to:
 *   KR_ALLOW_EMPTY  an empty file (or one of blank lines) is a keyring of
 *                   no entries, not an error;
 *   KR_SKIP_TORN    NDJSON: a last line that has no newline and is not JSON
 *                   (an append cut short) is left out, and torn_at,
 *                   torn_len and torn_line say where it is. Any other bad
 *                   line is still an error. */
#define KR_ALLOW_EMPTY 1u
#define KR_SKIP_TORN 2u
int keyring_load_opts(struct keyring *kr, const e2e_engine *eng, const char *path,
                      unsigned flags, char *err, size_t err_len);
int keyring_load_buffer_opts(struct keyring *kr, const e2e_engine *eng, const char *name,
                             const char *buf, size_t len, unsigned flags, char *err,
                             size_t err_len);

/* keyring_entry_parse checks text (len bytes: one JSON object, e.g. a REST
 * API response) exactly as keyring_load checks an entry, and expands it into
 * ks. e gets the index KI and the ROTPublicUID (e->uid: malloc'd, the
 * caller frees it). Messages start with what (e.g. "--fetch: KI 2a00..:
 * response"). Returns 0, or -1 with err set and ks wiped. */
int keyring_entry_parse(const e2e_engine *eng, const char *what, const char *text, size_t len,
                        e2e_keyset *ks, struct kr_entry *e, char *err, size_t err_len);

/* keyring_index_ki builds the KI index (for open and seal --ki); duplicate
 * KIs are reported once on warn (if not NULL). Returns 0, -1 on OOM. */
int keyring_index_ki(struct keyring *kr, FILE *warn);
/* keyring_index_uid builds the ROTPublicUID index. Returns 0, -1 on OOM. */
int keyring_index_uid(struct keyring *kr);

/* keyring_find_ki returns the key set for the KI ki (len bytes) or NULL. */
const e2e_keyset *keyring_find_ki(const struct keyring *kr, const uint8_t *ki,
                                  size_t len);
/* keyring_prefetch_ki starts loading the index slot keyring_find_ki will
 * read for ki and returns ki's hash for keyring_find_ki_hashed: a batch
 * prefetches every record's slot, then looks them up, so the cache misses
 * of a large keyring overlap. */
uint64_t keyring_prefetch_ki(const struct keyring *kr, const uint8_t *ki, size_t len);
const e2e_keyset *keyring_find_ki_hashed(const struct keyring *kr, const uint8_t *ki,
                                         size_t len, uint64_t hash);
/* keyring_find_uid returns the key set for ROTPublicUID text uid or NULL. */
const e2e_keyset *keyring_find_uid(const struct keyring *kr, const char *uid);

/* keyring_free clears (wipes) every key set and frees everything. */
void keyring_free(struct keyring *kr);

/* keyring_wiping_alloc installs jansson allocation functions that wipe each
 * block before freeing it, so base64 key text parsed from a keyring does not
 * linger in freed heap memory. Call once, before any jansson use. */
void keyring_wiping_alloc(void);

/* cli_json_text gives a JSON string (trimmed) or integer (as decimal text in
 * num) as *s, *n; 0 for any other type. */
struct json_t;
int cli_json_text(const struct json_t *v, char num[32], const char **s, size_t *n);

#endif /* E2E_CLI_KEYRING_H */
