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

struct kr_entry {
    uint8_t ki[E2E_KI_MAX]; /* the index key: EncryptedHeader bytes, else KIV */
    uint8_t ki_len;
    char *uid;              /* ROTPublicUID as text, or NULL */
    size_t number;          /* the entry number used in messages */
};

struct keyring {
    const char *name;       /* the file name, for messages */
    e2e_keyset *ks;         /* n expanded key sets, 64-byte aligned */
    struct kr_entry *e;     /* n entries, parallel to ks */
    size_t n;
    struct cli_index by_ki; /* built by keyring_index_ki */
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

/* keyring_index_ki builds the KI index (for open and seal --ki); duplicate
 * KIs are reported once on warn (if not NULL). Returns 0, -1 on OOM. */
int keyring_index_ki(struct keyring *kr, FILE *warn);
/* keyring_index_uid builds the ROTPublicUID index. Returns 0, -1 on OOM. */
int keyring_index_uid(struct keyring *kr);

/* keyring_find_ki returns the key set for the KI ki (len bytes) or NULL. */
const e2e_keyset *keyring_find_ki(const struct keyring *kr, const uint8_t *ki,
                                  size_t len);
/* keyring_find_uid returns the key set for ROTPublicUID text uid or NULL. */
const e2e_keyset *keyring_find_uid(const struct keyring *kr, const char *uid);

/* keyring_free clears (wipes) every key set and frees everything. */
void keyring_free(struct keyring *kr);

/* keyring_wiping_alloc installs jansson allocation functions that wipe each
 * block before freeing it, so base64 key text parsed from a keyring does not
 * linger in freed heap memory. Call once, before any jansson use. */
void keyring_wiping_alloc(void);

#endif /* E2E_CLI_KEYRING_H */
