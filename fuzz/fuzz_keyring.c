/* fuzz_keyring.c — the CLI's keyring parser (cli/keyring.c, read-only here)
 * through keyring_load_buffer, with every implementation the CPU can run.
 *
 * Input: the keyring text itself (NDJSON, a JSON array, or one object over
 * several lines; see cli/keyring.h). fuzz/dict/keyring.dict holds the field
 * names, suite names and base64/hex fragments.
 *
 * Properties:
 *   - no crash, leak (LeakSanitizer) or out-of-bounds access, whatever the
 *     text; keyring_free after any outcome;
 *   - failure: -1 with a NUL-terminated, non-empty message inside err that
 *     starts "keyring fuzz"; success: 0 and n >= 1 entries;
 *   - every entry's index KI is a valid KI (nibble 0x1 -> 16 bytes, 0x2 ->
 *     12) and its key set is initialised; a ROTPublicUID has no NUL;
 *   - the outcome (status, message, key set bytes) is the same for every
 *     implementation;
 *   - the KI and UID indexes find, for each entry, the last entry with that
 *     KI / UID (the later entry wins);
 *   - each key set seals and opens a short message. */
#include "fuzz_common.h"
#include "keyring.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    keyring_wiping_alloc();
    fz_single_engines();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fz_engines *E = fz_single_engines();
    /* exactly size bytes, no terminator: the parser must not read past it */
    char *buf = fz_xmalloc(size);
    memcpy(buf, data, size);
    struct keyring kr0;
    int rc0 = 0;
    char err0[512];

    for (size_t e = 0; e < E->n; e++) {
        struct keyring kr;
        char err[512];
        memset(err, 'X', sizeof err);
        int rc = keyring_load_buffer(&kr, &E->eng[e], "fuzz", buf, size, err, sizeof err);
        FZ_ASSERT(rc == 0 || rc == -1, "keyring_load_buffer = %d", rc);
        if (rc != 0) {
            FZ_ASSERT(memchr(err, '\0', sizeof err) != NULL, "error message not terminated");
            FZ_ASSERT(strncmp(err, "keyring fuzz", 12) == 0, "error message: %s", err);
        } else {
            FZ_ASSERT(kr.n >= 1, "keyring with no entries loaded");
            for (size_t i = 0; i < kr.n; i++) {
                const struct kr_entry *en = &kr.e[i];
                FZ_ASSERT((en->ki_len == 16 && en->ki[0] >> 4 == 1) ||
                              (en->ki_len == 12 && en->ki[0] >> 4 == 2),
                          "entry %zu: index KI %s", i, fz_hex(en->ki, en->ki_len));
                FZ_ASSERT(e2e_keyset_suite(&kr.ks[i]) != 0, "entry %zu: key set not set up", i);
            }
            FZ_ASSERT(keyring_index_ki(&kr, NULL) == 0, "index_ki");
            FZ_ASSERT(keyring_index_uid(&kr) == 0, "index_uid");
            for (size_t i = 0; i < kr.n; i++) {
                size_t last = i;
                for (size_t j = i + 1; j < kr.n; j++)
                    if (kr.e[j].ki_len == kr.e[i].ki_len &&
                        memcmp(kr.e[j].ki, kr.e[i].ki, kr.e[i].ki_len) == 0)
                        last = j;
                FZ_ASSERT(keyring_find_ki(&kr, kr.e[i].ki, kr.e[i].ki_len) == &kr.ks[last],
                          "find_ki(entry %zu) is not entry %zu", i, last);
                if (kr.e[i].uid) {
                    last = i;
                    for (size_t j = i + 1; j < kr.n; j++)
                        if (kr.e[j].uid && strcmp(kr.e[j].uid, kr.e[i].uid) == 0)
                            last = j;
                    FZ_ASSERT(keyring_find_uid(&kr, kr.e[i].uid) == &kr.ks[last],
                              "find_uid(entry %zu) is not entry %zu", i, last);
                }
                /* usable: seal and open 5 bytes */
                static const uint8_t pt[5] = {'H', 'E', 'L', 'L', 'O'};
                uint8_t m[5 + E2E_SEAL_OVERHEAD_MAX], back[sizeof m];
                size_t ml = 0, bl = 0;
                e2e_status st = e2e_seal(&E->eng[e], &kr.ks[i], m, sizeof m, &ml, pt, 5);
                if (st == E2E_OK) {
                    st = e2e_open(&E->eng[e], &kr.ks[i], back, sizeof back, &bl, m, ml);
                    FZ_ASSERT(st == E2E_OK && bl == 5 && memcmp(back, pt, 5) == 0,
                              "entry %zu: open(seal(HELLO)) = %s", i, e2e_status_name(st));
                } else {
                    /* CS1 with a 4..10-byte tag: P || T under one block */
                    FZ_ASSERT(st == E2E_ERR_MALFORMED &&
                                  e2e_keyset_suite(&kr.ks[i]) == E2E_SUITE_AES_128_CS1_HMAC_SHA256 &&
                                  e2e_keyset_tag_len(&kr.ks[i]) < 11,
                              "entry %zu: seal(HELLO) = %s", i, e2e_status_name(st));
                }
            }
        }
        if (e == 0) {
            rc0 = rc;
            kr0 = kr;
            memcpy(err0, err, sizeof err);
            continue;
        }
        FZ_ASSERT(rc == rc0, "%s: load = %d, %s: %d", E->name[e], rc, E->name[0], rc0);
        if (rc != 0)
            FZ_ASSERT(strcmp(err, err0) == 0, "%s: message differs: %s / %s", E->name[e], err,
                      err0);
        else {
            FZ_ASSERT(kr.n == kr0.n, "%s: %zu entries, %s: %zu", E->name[e], kr.n, E->name[0],
                      kr0.n);
            for (size_t i = 0; i < kr.n; i++)
                FZ_ASSERT(memcmp(&kr.ks[i], &kr0.ks[i], sizeof(e2e_keyset)) == 0,
                          "%s: entry %zu's key set differs", E->name[e], i);
        }
        keyring_free(&kr);
    }
    keyring_free(&kr0);
    free(buf);
    return 0;
}
