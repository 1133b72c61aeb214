/* shim.h — the one C interface through which the benchmark reaches e2ecrypt
 * and every peer (BoringSSL, OpenSSL 3, intel-ipsec-mb).
 *
 * Every implementation fills one struct bench_impl: a name, set-up and
 * tear-down that are never timed, and one function per workload, all with
 * the same signature (bench_op). The C++ harness (bench.cc) and the quick
 * run (quick.c) only build a bench_batch, call prepare once, call the
 * workload's bench_op in the timing loop and compare the outputs; all the
 * cryptography is behind this header.
 *
 * e2ecrypt's shim (shim_e2ecrypt.c) is linked in. Each peer is a separate
 * shared object, libe2e_bench_<peer>.so, exporting only
 * `const struct bench_impl *bench_impl_<peer>(void)`, and is dlopen()ed with
 * RTLD_LOCAL (peers.c): BoringSSL and OpenSSL both define AES_encrypt,
 * HMAC_Init_ex, SHA256..., so neither libcrypto may be in the executable's
 * global symbol scope. Each module then binds to its own libcrypto;
 * bench_impl.identity proves it at run time.
 *
 * The wire formats are e2ecrypt's (engine/keyset.c):
 *   CCM:        KI || CCM(EncKey, Nonce, P) || tag              (no AAD)
 *   CS1+HMAC:   KI || CBC-CS1(EncKey, AESIV, P || T)
 *   HMAC only:  KI || P || T
 *   T = first tag_len bytes of HMAC-SHA256(AuthKey, KIV || P). */
#ifndef E2E_BENCH_SHIM_H
#define E2E_BENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every output buffer has BENCH_HEADROOM writable bytes before out[i] and
 * BENCH_TAILROOM after out[i] + out_cap, so an implementation may put the
 * KIV in front of the plaintext (one contiguous HMAC input) or pad the last
 * CBC block in place, as a careful user of a job-based API would. */
#define BENCH_HEADROOM 64
#define BENCH_TAILROOM 64

/* The workloads, in the order of their benchmark names. */
enum bench_wl {
    BENCH_OPEN_CCM_NEWKEY = 0, /* open CCM; every message has its own key set */
    BENCH_OPEN_CCM,            /* open CCM; one key set for the batch */
    BENCH_OPEN_CS1_HMAC,       /* open CS1+HMAC; one key set (automatic rotation) */
    BENCH_SEAL_CS1_HMAC,       /* seal CS1+HMAC; one key set */
    BENCH_VERIFY_HMAC,         /* open the HMAC-only suite; one key set */
    BENCH_SIGFOX_XOR,          /* the Sigfox fixed-key XOR on 12-byte frames */
    BENCH_WL_COUNT
};

/* The suites, with e2ecrypt's values (e2e_suite). */
enum { BENCH_SUITE_CCM = 1, BENCH_SUITE_CCM_8 = 2, BENCH_SUITE_CS1_HMAC = 3,
       BENCH_SUITE_HMAC = 4 };

/* bench_keyset holds one key set's raw parameters, as the REST API gives
 * them (after base64 decoding); no implementation-specific state. */
struct bench_keyset {
    int suite;                /* BENCH_SUITE_* */
    uint8_t enc_key[16];      /* AES suites */
    uint8_t iv[16];           /* CS1: AESIV (16 bytes); CCM: the nonce */
    size_t iv_len;
    uint8_t auth_key[64];     /* HMAC suites */
    size_t auth_key_len;
    uint8_t kiv[64];          /* HMAC suites: the HMAC prefix */
    size_t kiv_len;
    uint8_t ki[16];           /* the KI seal writes */
    size_t ki_len;
    size_t tag_len;           /* bytes */
};

/* bench_batch is one benchmark's input: n messages processed per call.
 * Open and verify: in[i] is a wire message (KI || body); the plaintext goes
 * to out[i] and out_len[i] is its length, or 0 (and out[i] wiped) when the
 * message is rejected. Seal: in[i] is a plaintext; the wire message goes to
 * out[i]. Sigfox: in[i] is a frame, out[i] gets frame XOR key.
 * The pointers and lengths never change after prepare (an implementation
 * may keep them, e.g. in a job array); only the bytes behind in[i] may
 * (the tamper check flips one in place). */
struct bench_batch {
    enum bench_wl wl;
    size_t n;                          /* messages per call (the batch size) */
    size_t size;                       /* plaintext bytes of every message */
    const struct bench_keyset *keys;   /* n_keys entries */
    size_t n_keys;                     /* n for BENCH_OPEN_CCM_NEWKEY, else 1 */
    const uint8_t *const *in;
    const size_t *in_len;
    uint8_t *const *out;
    size_t out_cap;                    /* bytes at every out[i] (plus the rooms) */
    size_t *out_len;
    const uint8_t *xor_key;            /* Sigfox: the 96-bit key */
    size_t xor_key_len;
    const void *eng;                   /* the const e2e_engine * that built the
                                          batch; only the e2ecrypt shim uses it */
};

/* bench_op runs the workload once over all b->n messages and returns how
 * many were accepted (all of them for seal and Sigfox). For
 * BENCH_OPEN_CCM_NEWKEY the key set-up of every message (b->keys[i]) is part
 * of the call; for the others it happened in prepare. */
typedef size_t (*bench_op)(void *ctx, const struct bench_batch *b);

struct bench_impl {
    const char *name;                 /* "e2ecrypt", "boringssl", "openssl", "ipsecmb" */
    /* version describes the library and code path in use ("BoringSSL",
     * "OpenSSL 3.0.19 ...", "intel-ipsec-mb 1.3.0 avx512"). */
    const char *(*version)(void);
    /* identity writes where this implementation's code really comes from
     * (the files its symbols resolved to, a library-only API that worked)
     * into buf and returns 1 if it is the library it claims to be. */
    int (*identity)(char *buf, size_t buf_len);
    /* prepare builds the contexts for b (pre-expanded keys, HMAC key states,
     * job arrays); never timed. NULL with a message in err on failure. */
    void *(*prepare)(const struct bench_batch *b, char *err, size_t err_len);
    /* note says which API path the workload uses (the row note). */
    const char *(*note)(const void *ctx);
    void (*release)(void *ctx);
    /* One function per workload; NULL when the implementation has none. */
    bench_op open_ccm_newkey;
    bench_op open_ccm;
    bench_op open_cs1_hmac;
    bench_op seal_cs1_hmac;
    bench_op verify_hmac;
    bench_op sigfox_xor;
};

/* The linked-in implementation. */
const struct bench_impl *bench_impl_e2ecrypt(void);

/* What every peer module exports (only this symbol is visible). */
typedef const struct bench_impl *(*bench_impl_entry)(void);
#if defined(__GNUC__)
#define BENCH_EXPORT __attribute__((visibility("default")))
#else
#define BENCH_EXPORT
#endif

/* bench_impl_op returns impl's function for workload wl, or NULL. */
static inline bench_op bench_impl_op(const struct bench_impl *impl, enum bench_wl wl)
{
    switch (wl) {
    case BENCH_OPEN_CCM_NEWKEY: return impl->open_ccm_newkey;
    case BENCH_OPEN_CCM: return impl->open_ccm;
    case BENCH_OPEN_CS1_HMAC: return impl->open_cs1_hmac;
    case BENCH_SEAL_CS1_HMAC: return impl->seal_cs1_hmac;
    case BENCH_VERIFY_HMAC: return impl->verify_hmac;
    case BENCH_SIGFOX_XOR: return impl->sigfox_xor;
    default: return NULL;
    }
}

#ifdef __cplusplus
}
#endif

#endif /* E2E_BENCH_SHIM_H */
