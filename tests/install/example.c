/* example.c — open one uplink with the e2ecrypt C API.
 * The message was sealed independently (Python cryptography's AESCCM) as
 * KI || AES-128-CCM(key, nonce, "HELLO") || 16-byte tag. */
#include <stdio.h>
#include <e2ecrypt.h>

static const uint8_t key[16] = {0x8f, 0x2b, 0x3c, 0x5e, 0x0a, 0x1d, 0x47, 0xe6,
                                0x9b, 0x0c, 0x7d, 0x13, 0xa4, 0xf5, 0x6e, 0x21};
static const uint8_t nonce[13] = {0x6c, 0x1d, 0x9e, 0x04, 0xb3, 0xa7, 0x5f,
                                  0x28, 0xe0, 0x91, 0x4a, 0x2b, 0x7c};
static const uint8_t msg[37] = {
    0x11, 0x01, 0x00, 0x00, 0x89, 0x29, 0x1e, 0x26, 0xec, 0x1a, 0xeb, 0x00, 0x74,
    0x45, 0x00, 0x00, 0x20, 0x85, 0x16, 0x65, 0x77, 0x1d, 0x8e, 0xe1, 0x47, 0x5a,
    0x4e, 0x94, 0x9e, 0x54, 0x51, 0xc0, 0x6f, 0x97, 0xdb, 0xc8, 0xb5};

int main(void)
{
    e2e_engine eng;
    e2e_keyset ks;
    e2e_keyset_params p = {.suite = E2E_SUITE_AES_128_CCM, .enc_key = key,
                           .enc_key_len = sizeof key, .iv = nonce, .iv_len = sizeof nonce};
    uint8_t out[sizeof msg];
    size_t n = 0;
    e2e_status st = e2e_engine_init(&eng, E2E_CPU_ALL);      /* picks AES-NI etc. */
    if (st == E2E_OK)
        st = e2e_keyset_init(&ks, &eng, &p);                  /* expand keys once */
    if (st == E2E_OK)
        st = e2e_open(&eng, &ks, out, sizeof out, &n, msg, sizeof msg);
    e2e_keyset_clear(&ks);
    if (st != E2E_OK) {
        fprintf(stderr, "open failed: %s\n", e2e_status_name(st));
        return 1;
    }
    printf("%.*s\n", (int)n, (const char *)out);             /* HELLO */
    return 0;
}
