/* e2ecrypt.h — the only public header of the e2ecrypt engine.
 *
 * e2ecrypt opens (decrypts/verifies) and seals (encrypts/signs) the payloads of
 * u-blox Thingstream End-to-end Data Protection:
 *
 *   AES_128_CCM, AES_128_CCM_8   KI || CCM(P) || tag          (SP 800-38C, no AAD)
 *   AES_128_CS1_HMAC_SHA256      KI || CBC-CS1(P || T)        (SP 800-38A addendum)
 *   HMAC_SHA256                  KI || P || T                 (integrity only)
 *
 * with T = the first tag_len bytes of HMAC-SHA256(AuthKey, KIV || P). The key
 * identity (KI) header's top nibble gives its length: 0x1 -> 16 bytes
 * (continuous rotation), 0x2 -> 12 bytes (automatic rotation).
 *
 * It also carries the Sigfox "XOR with a fixed key" scheme for compatibility.
 * THAT SCHEME IS NOT ENCRYPTION: a fixed key XOR-ed onto every frame is a
 * many-time pad; two frames XOR-ed together cancel the key. Use a suite above.
 *
 * Rules that hold for every function here:
 *  - No allocation. Every context (e2e_engine, e2e_keyset, e2e_scratch) is a
 *    fixed-size struct owned by the caller. The library links only libc.
 *  - Unauthenticated plaintext never leaves a function: on any failure the
 *    output buffer is wiped and the reported length is 0.
 *  - Tags are compared in constant time; no branch or table index depends on a
 *    key, a plaintext or a tag. Lengths and KI bytes are public.
 *  - Arguments go context, outputs, inputs. Lengths are size_t bytes.
 */
#ifndef E2ECRYPT_H
#define E2ECRYPT_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define E2E_VERSION "0.1.0"

/* ---------------------------------------------------------------- status */

/* e2e_status is the result of every call. e2e_status_name() gives the stable
 * token the CLI prints ("ok", "malformed", "auth_failed", ...). */
typedef enum e2e_status {
    E2E_OK = 0,
    E2E_ERR_MALFORMED,   /* "malformed": bad KI nibble, body too short or too long */
    E2E_ERR_AUTH,        /* "auth_failed": tag mismatch; no plaintext released */
    E2E_ERR_UNKNOWN_KEY, /* "unknown_key": no key set for this KI (caller side) */
    E2E_ERR_UNSUPPORTED, /* "unsupported": a parameter the scheme does not allow */
    E2E_ERR_PARAM,       /* "bad_param": a caller bug (null pointer, short buffer) */
    E2E_ERR_CPU          /* "cpu_unsupported": a forced implementation this CPU lacks */
} e2e_status;

/* e2e_status_name returns the stable lower-case token for s ("unknown" for an
 * out-of-range value). The string is static. */
const char *e2e_status_name(e2e_status s);

/* ---------------------------------------------------------------- suites */

typedef enum e2e_suite {
    E2E_SUITE_AES_128_CCM = 1,          /* tag 16 unless mac_len says otherwise */
    E2E_SUITE_AES_128_CCM_8 = 2,        /* tag 8 unless mac_len says otherwise */
    E2E_SUITE_AES_128_CS1_HMAC_SHA256 = 3,
    E2E_SUITE_HMAC_SHA256 = 4
} e2e_suite;

/* e2e_suite_name returns the REST API's name ("AES_128_CCM", ...) or NULL. */
const char *e2e_suite_name(e2e_suite s);
/* e2e_suite_parse maps the REST API's CipherSuite text (len bytes, not
 * NUL-terminated) to a suite; E2E_ERR_UNSUPPORTED if it names none. */
e2e_status e2e_suite_parse(e2e_suite *out, const char *name, size_t len);
/* e2e_suite_mode_name returns the CLI's mode token: "ccm", "cs1-hmac", "hmac". */
const char *e2e_suite_mode_name(e2e_suite s);

/* ---------------------------------------------------------------- KI */

typedef enum e2e_rotation {
    E2E_ROTATION_CONTINUOUS = 1, /* nibble 0x1, 16-byte KI */
    E2E_ROTATION_AUTOMATIC = 2   /* nibble 0x2, 12-byte KI */
} e2e_rotation;

/* e2e_ki_decode reads the KI header at the start of msg (msg_len bytes).
 * On E2E_OK, *ki_len is 16 or 12 and *rotation names the rotation type.
 * E2E_ERR_MALFORMED when the top nibble is neither 0x1 nor 0x2 or msg is
 * shorter than the KI it announces. The KI is public: this branches on it. */
e2e_status e2e_ki_decode(size_t *ki_len, e2e_rotation *rotation,
                         const uint8_t *msg, size_t msg_len);
/* e2e_rotation_name returns "continuous" or "automatic" (NULL otherwise). */
const char *e2e_rotation_name(e2e_rotation r);

/* ---------------------------------------------------------------- engine */

/* CPU feature bits, as probed once by e2e_cpu_features(). */
#define E2E_CPU_SSSE3    (1u << 0)
#define E2E_CPU_SSE41    (1u << 1)
#define E2E_CPU_AESNI    (1u << 2)
#define E2E_CPU_PCLMUL   (1u << 3)
#define E2E_CPU_AVX      (1u << 4)  /* and the OS saves ymm state (XCR0) */
#define E2E_CPU_AVX2     (1u << 5)
#define E2E_CPU_AVX512   (1u << 6)  /* F+BW+VL+DQ and the OS saves zmm state */
#define E2E_CPU_VAES     (1u << 7)  /* with AVX usable */
#define E2E_CPU_SHANI    (1u << 8)
#define E2E_CPU_ARM_AES  (1u << 16)
#define E2E_CPU_ARM_SHA2 (1u << 17)
#define E2E_CPU_ALL      0xffffffffu

/* e2e_cpu_features returns the E2E_CPU_* bits this CPU and OS support. */
uint32_t e2e_cpu_features(void);

#define E2E_ENGINE_BYTES 256
/* e2e_engine holds the implementation table chosen for this CPU. Caller-owned,
 * read-only after init, shareable between threads. */
typedef struct e2e_engine {
    alignas(64) unsigned char opaque[E2E_ENGINE_BYTES];
} e2e_engine;

/* e2e_engine_init picks the fastest implementation whose CPU needs are within
 * e2e_cpu_features() & allow_mask. E2E_CPU_ALL picks the best; 0 forces the
 * portable constant-time code. Never fails for lack of CPU features. */
e2e_status e2e_engine_init(e2e_engine *eng, uint32_t allow_mask);

/* e2e_engine_init_named forces an implementation tier by name: "best",
 * "portable", and on x86-64 "vaes512" (VAES/AVX-512 lanes), "avx512",
 * "avx2+shani", "avx2", "aesni+shani", "aesni", "shani" (portable AES with
 * SHA-NI); on aarch64 "armce", "armce-aes", "armce-sha2". e2e_impl_names()
 * lists those built in. E2E_ERR_CPU when this CPU lacks what the tier needs,
 * E2E_ERR_PARAM for an unknown name. */
e2e_status e2e_engine_init_named(e2e_engine *eng, const char *name);

/* e2e_engine_name names the tier in use, e.g. "vaes512" or "portable". */
const char *e2e_engine_name(const e2e_engine *eng);

/* e2e_impl_names lists the names e2e_engine_init_named accepts, NULL-ended. */
const char *const *e2e_impl_names(void);

/* ---------------------------------------------------------------- key sets */

#define E2E_KI_MAX 16
#define E2E_KIV_MAX 64
#define E2E_TAG_MAX 32
/* A sealed message is at most this much longer than its plaintext. */
#define E2E_SEAL_OVERHEAD_MAX (E2E_KI_MAX + E2E_TAG_MAX)

/* e2e_keyset_params are the raw protection or integrity parameters of one key
 * set, as the REST API returns them (after base64 decoding). */
typedef struct e2e_keyset_params {
    e2e_suite suite;
    const uint8_t *enc_key;  /* EncryptionKey (AES suites): 16 bytes */
    size_t enc_key_len;
    const uint8_t *auth_key; /* AuthenticationKey (HMAC suites): 1..64 bytes */
    size_t auth_key_len;
    const uint8_t *kiv;      /* KIV, the HMAC prefix (HMAC suites): 1..64 bytes */
    size_t kiv_len;
    const uint8_t *iv;       /* CS1: AESIV, 16 bytes; CCM: the nonce, 7..13 bytes */
    size_t iv_len;
    const uint8_t *ki;       /* the KI that seal writes; NULL: the KIV. 12 or 16
                                bytes whose top nibble matches the length */
    size_t ki_len;
    size_t tag_len;          /* bytes (MACLength/8); 0: the suite's default, 16
                                (8 for AES_128_CCM_8). CCM: 4..16 even; HMAC: 4..32 */
} e2e_keyset_params;

#define E2E_KEYSET_BYTES 1024
/* e2e_keyset holds one expanded key set: AES encryption and decryption round
 * keys and the HMAC-SHA256 inner/outer states, so a message costs no key
 * set-up. Caller-owned; usable with any engine; read-only while in use, so
 * one key set may serve many threads. Wipe it with e2e_keyset_clear. */
typedef struct e2e_keyset {
    alignas(64) unsigned char opaque[E2E_KEYSET_BYTES];
} e2e_keyset;

/* e2e_keyset_init expands p into ks using eng's implementation.
 * E2E_ERR_UNSUPPORTED for a suite, key, IV/nonce, KIV or tag length the scheme
 * does not allow; E2E_ERR_PARAM for null pointers. On failure ks is wiped. */
e2e_status e2e_keyset_init(e2e_keyset *ks, const e2e_engine *eng,
                           const e2e_keyset_params *p);
/* e2e_keyset_init_many builds n key sets ks[i] from p[i] at once, running
 * several AES key expansions side by side: continuous rotation brings a new
 * key set with every message. st[i] gets each one's status, as
 * e2e_keyset_init would return it. The call returns E2E_ERR_PARAM only for a
 * bad call (null eng, or null arrays with n > 0). */
e2e_status e2e_keyset_init_many(e2e_keyset *ks, const e2e_engine *eng,
                                const e2e_keyset_params *p, e2e_status *st, size_t n);
/* e2e_keyset_clear wipes every byte of ks (keys, states, parameters). */
void e2e_keyset_clear(e2e_keyset *ks);
/* e2e_keyset_suite, _tag_len: the suite and tag length in use (0 if ks is
 * not initialised). */
e2e_suite e2e_keyset_suite(const e2e_keyset *ks);
size_t e2e_keyset_tag_len(const e2e_keyset *ks);
/* e2e_keyset_ki returns the KI seal writes and stores its length in *len. */
const uint8_t *e2e_keyset_ki(const e2e_keyset *ks, size_t *len);

/* ---------------------------------------------------------------- messages */

/* e2e_seal_len is the exact wire length seal produces for pt_len bytes. */
size_t e2e_seal_len(const e2e_keyset *ks, size_t pt_len);

/* e2e_open verifies and decrypts one wire message msg (KI || body) with ks.
 * The KI length comes from its top nibble; ks's suite decides the algorithm.
 * out needs out_cap >= msg_len; out may equal msg (in place) but must not
 * overlap it otherwise. On E2E_OK, *out_len is the plaintext length. Else
 * *out_len is 0 and out[0..msg_len) is wiped. E2E_ERR_MALFORMED: bad KI nibble,
 * body shorter than the suite's minimum (the tag for CCM and HMAC, 16 bytes
 * for CS1) or longer than the CCM nonce allows; E2E_ERR_AUTH: any other
 * failed check. */
e2e_status e2e_open(const e2e_engine *eng, const e2e_keyset *ks,
                    uint8_t *out, size_t out_cap, size_t *out_len,
                    const uint8_t *msg, size_t msg_len);

/* e2e_seal writes ks's KI || protected(pt) to out. out needs out_cap >=
 * e2e_seal_len(ks, pt_len) and must not overlap pt. E2E_ERR_MALFORMED when a
 * CS1 P || T would be under 16 bytes or CCM's length field cannot hold pt_len. */
e2e_status e2e_seal(const e2e_engine *eng, const e2e_keyset *ks,
                    uint8_t *out, size_t out_cap, size_t *out_len,
                    const uint8_t *pt, size_t pt_len);

/* ---------------------------------------------------------------- batches */

enum { E2E_OPEN = 1, E2E_SEAL = 2 };

/* e2e_job is one message of a batch. */
typedef struct e2e_job {
    const e2e_keyset *keys; /* borrowed for the duration of e2e_batch_run */
    const uint8_t *in;      /* open: KI || body; seal: plaintext */
    size_t in_len;
    uint8_t *out;           /* caller buffer; may equal in for open */
    size_t out_cap;         /* open: >= in_len; seal: >= e2e_seal_len() */
    size_t out_len;         /* set by the engine; 0 unless status == E2E_OK */
    e2e_status status;      /* per job; one bad record never stops the batch */
    uint8_t op;             /* E2E_OPEN or E2E_SEAL */
    void *user;             /* returned untouched (e.g. the record id) */
} e2e_job;
/* Bytes of a job's out past out_len, up to in_len (open) or the wire length
 * (seal), are unspecified: the scheduler may use them as scratch. They never
 * hold plaintext that failed its check, nor key material, after return. */

#define E2E_SCRATCH_BYTES 32768
/* e2e_scratch is caller-owned lane state for e2e_batch_run (one per thread). */
typedef struct e2e_scratch {
    alignas(64) unsigned char opaque[E2E_SCRATCH_BYTES];
} e2e_scratch;

/* e2e_batch_run runs n jobs and sets each job's status and out_len. It returns
 * E2E_ERR_PARAM only for a caller bug in the call itself (null eng, jobs with
 * n > 0, or scratch); a bad job is reported in its own status and the rest run. */
e2e_status e2e_batch_run(const e2e_engine *eng, e2e_job *jobs, size_t n,
                         e2e_scratch *scratch);

/* ---------------------------------------------------------------- Sigfox XOR
 *
 * NOT SECURE. These reproduce the "encryption" of a public blog post for
 * Sigfox frames: XOR with the right-aligned tail of a fixed 96-bit key. The
 * same key on every frame is a many-time pad — XOR two frames and the key is
 * gone; a known frame reveals the key. There is no integrity at all. Use them
 * only to read legacy devices; protect new traffic with a suite above. */

/* e2e_sigfox_xor (byte mode) writes in XOR the last in_len bytes of key to
 * out (in_len bytes; out may equal in). E2E_ERR_MALFORMED if in_len > key_len. */
e2e_status e2e_sigfox_xor(uint8_t *out, const uint8_t *key, size_t key_len,
                          const uint8_t *in, size_t in_len);

/* e2e_sigfox_xor_legacy reproduces the blog's integer arithmetic: in and key
 * are big-endian integers and out = (in XOR key) mod 2^bitlen(in), bitlen
 * counting no leading zeros (bitlen(0) = 0), written as in_len big-endian
 * bytes. *lossy is set to 1 when the blog's decryption would not give in back
 * (the result has fewer significant bits than in), else 0. out may equal in.
 * E2E_ERR_MALFORMED if in_len > key_len. Constant time in the data. */
e2e_status e2e_sigfox_xor_legacy(uint8_t *out, int *lossy, const uint8_t *key,
                                 size_t key_len, const uint8_t *in, size_t in_len);

#ifdef __cplusplus
}
#endif

#endif /* E2ECRYPT_H */
