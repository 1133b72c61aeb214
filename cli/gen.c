/* gen.c — "e2ecrypt gen": synthetic but realistic Thingstream traffic.
 *
 * Writes a keyring (NDJSON, as the REST API returns parameters) and records
 * sealed with the engine, for demos and benchmarks. The traffic mixes:
 *   - continuous-rotation AES_128_CCM uplinks: one key set per message, a
 *     16-byte KI with nibble 0x1 carried as EncryptedHeader (so the keyring
 *     holds one entry per such message);
 *   - continuous-rotation AES_128_CCM_8 uplinks (MACLength 64), likewise;
 *   - automatic-rotation AES_128_CS1_HMAC_SHA256 devices: a 12-byte KIV with
 *     nibble 0x2, one to three key periods per device, each used for many
 *     messages; AESIV = KIV || 00000000, the shape of the documentation's
 *     sample response;
 *   - HMAC_SHA256 integrity-only devices, automatic rotation likewise.
 * Payloads are 5..200 bytes of sensor telemetry: JSON-ish text or packed
 * binary readings. Records are bare hex (some upper-case) or
 * {"id":...,"data":"..."} lines with integer, string or object ids.
 *
 * Every key comes from a xoshiro256** generator seeded by --seed: this is
 * test data, the keys are NOT secret and must never protect real traffic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2ecrypt.h"

#include "cli.h"
#include "hex.h"
#include "records.h"

const char cli_help_gen[] =
    "Usage: e2ecrypt gen --keys-out FILE --records-out FILE [--count N] [--devices D]\n"
    "                    [--seed S] [--impl NAME] [--payload-size N]\n"
    "                    [--format mixed|hex|json]\n"
    "\n"
    "Write a synthetic keyring (NDJSON) and N records sealed with it, for demos\n"
    "and benchmarks of 'e2ecrypt open'. The traffic is a realistic mix:\n"
    "continuous-rotation AES_128_CCM and AES_128_CCM_8 uplinks (one key set per\n"
    "message, a 16-byte KI given as EncryptedHeader), automatic-rotation\n"
    "AES_128_CS1_HMAC_SHA256 and HMAC_SHA256 devices (a 12-byte KIV used for\n"
    "many messages), payloads of 5..200 bytes of sensor telemetry, records as\n"
    "bare hex or {\"id\":...,\"data\":\"...\"} lines. Every record opens ok.\n"
    "\n"
    "The keys come from a deterministic generator seeded by --seed: this is\n"
    "TEST DATA, NOT REAL KEYS - never use them to protect anything.\n"
    "\n"
    "Options:\n"
    "  --keys-out FILE     the keyring to write (required)\n"
    "  --records-out FILE  the records to write (required)\n"
    "  --count N           records (default 200000)\n"
    "  --devices D         devices (default 1000)\n"
    "  --seed S            generator seed (default 1); same seed, same files\n"
    "  --impl NAME         engine implementation used to seal\n"
    "  --payload-size N    every payload exactly N bytes (1..1024; telemetry cut or\n"
    "                      padded with packed samples), for benchmarks\n"
    "  --format F          records as a mix of bare hex and JSON (mixed, the\n"
    "                      default), bare lower-case hex only (hex) or\n"
    "                      {\"id\":N,\"data\":\"...\"} only (json)\n"
    "\n"
    "Example:\n"
    "  e2ecrypt gen --keys-out keys.ndjson --records-out records.txt --count 100000\n"
    "  e2ecrypt open --keys keys.ndjson --in records.txt --stats >/dev/null\n";

/* ------------------------------------------------------------ generator */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* rng_next is xoshiro256** (Blackman and Vigna). */
static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* rng_below returns a value in [0, n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static void rng_bytes(struct rng *r, uint8_t *b, size_t n)
{
    while (n) {
        uint64_t v = rng_next(r);
        for (int i = 0; i < 8 && n; i++, n--, v >>= 8)
            *b++ = (uint8_t)v;
    }
}

/* fmix32 is murmur3's 32-bit finaliser: a bijection, so distinct inputs
 * give distinct serials. */
static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* ------------------------------------------------------------ devices */

enum dev_kind { DEV_CCM, DEV_CCM8, DEV_CS1, DEV_HMAC };
#define MAX_PERIODS 3

struct device {
    enum dev_kind kind;
    char uid[17];
    uint32_t serial;   /* goes into the KI */
    uint32_t msgs;     /* messages sent so far */
    unsigned periods;  /* automatic rotation: key periods in the keyring */
    unsigned style;    /* field naming variant */
    unsigned nonce_len;
    unsigned mac_bits;
    e2e_keyset *ks;    /* automatic rotation: periods key sets */
    /* the telemetry state */
    double temp, hum, bat;
};

static void put_b64(FILE *f, const char *name, const uint8_t *b, size_t n)
{
    char buf[4 * ((64 + 2) / 3) + 1];
    cli_b64_encode(buf, b, n);
    fprintf(f, "\"%s\":\"%s\"", name, buf);
}

/* new_keyset expands p or stops the program (the generator's own bug). */
static void new_keyset(e2e_keyset *ks, const e2e_engine *eng, const e2e_keyset_params *p)
{
    e2e_status st = e2e_keyset_init(ks, eng, p);
    if (st != E2E_OK) {
        fprintf(stderr, "e2ecrypt gen: internal error: e2e_keyset_init: %s\n",
                e2e_status_name(st));
        exit(2);
    }
}

/* automatic_period writes one key period of an automatic-rotation device to
 * the keyring and expands it into ks. */
static void automatic_period(FILE *kf, struct rng *r, const e2e_engine *eng,
                             struct device *d, unsigned period, e2e_keyset *ks)
{
    uint8_t kiv[12], iv[16], key[16], auth[16];
    e2e_keyset_params p;

    /* 2a 00 00 04 | serial (4) | 00 00 | period (2): like 2a0000041908003fa6620001 */
    kiv[0] = 0x2a;
    kiv[1] = 0x00;
    kiv[2] = 0x00;
    kiv[3] = 0x04;
    kiv[4] = (uint8_t)(d->serial >> 24);
    kiv[5] = (uint8_t)(d->serial >> 16);
    kiv[6] = (uint8_t)(d->serial >> 8);
    kiv[7] = (uint8_t)d->serial;
    kiv[8] = 0x00;
    kiv[9] = 0x00;
    kiv[10] = (uint8_t)(period >> 8);
    kiv[11] = (uint8_t)(period + 1);
    memcpy(iv, kiv, 12);
    memset(iv + 12, 0, 4);
    rng_bytes(r, key, sizeof key);
    rng_bytes(r, auth, sizeof auth);

    memset(&p, 0, sizeof p);
    p.kiv = kiv;
    p.kiv_len = sizeof kiv;
    p.auth_key = auth;
    p.auth_key_len = sizeof auth;
    p.tag_len = d->mac_bits / 8;
    fputc('{', kf);
    if (d->kind == DEV_CS1) {
        p.suite = E2E_SUITE_AES_128_CS1_HMAC_SHA256;
        p.enc_key = key;
        p.enc_key_len = sizeof key;
        p.iv = iv;
        p.iv_len = sizeof iv;
        fputs("\"CipherSuite\":\"AES_128_CS1_HMAC_SHA256\",", kf);
        put_b64(kf, "AESIV", iv, sizeof iv);
        fputc(',', kf);
        put_b64(kf, "KIV", kiv, sizeof kiv);
        fputc(',', kf);
        put_b64(kf, "EncryptionKey", key, sizeof key);
        fputc(',', kf);
        put_b64(kf, "AuthenticationKey", auth, sizeof auth);
        fprintf(kf, ",\"MACLength\":%u,\"KeyLength\":128,\"AuthKeyLength\":128,"
                "\"ROTPublicUID\":\"%s\"}\n", d->mac_bits, d->uid);
    } else {
        p.suite = E2E_SUITE_HMAC_SHA256;
        fputs("\"CipherSuite\":\"HMAC_SHA256\",", kf);
        put_b64(kf, "AuthenticationKey", auth, sizeof auth);
        fputc(',', kf);
        put_b64(kf, "KIV", kiv, sizeof kiv);
        fprintf(kf, ",\"ROTPublicUID\":\"%s\",\"MACLength\":%u,\"AuthKeyLength\":128}\n",
                d->uid, d->mac_bits);
    }
    new_keyset(ks, eng, &p);
    cli_wipe(key, sizeof key);
    cli_wipe(auth, sizeof auth);
}

/* continuous_keyset writes a fresh per-message key set of a continuous-
 * rotation device to the keyring and expands it into ks. */
static void continuous_keyset(FILE *kf, struct rng *r, const e2e_engine *eng,
                              struct device *d, e2e_keyset *ks)
{
    static const char *const key_names[] = {"EncryptionKey", "Key", "EncryptionKey"};
    static const char *const nonce_names[] = {"Nonce", "Nonce", "AESNonce"};
    uint8_t ki[16], key[16], nonce[13];
    char ki_hex[33];
    e2e_keyset_params p;
    uint32_t m = d->msgs;

    /* 11 01 00 00 | serial (4) | message (4) | random (4), like
     * 1101000089291e26ec1aeb0074450000 */
    ki[0] = 0x11;
    ki[1] = 0x01;
    ki[2] = 0x00;
    ki[3] = 0x00;
    ki[4] = (uint8_t)(d->serial >> 24);
    ki[5] = (uint8_t)(d->serial >> 16);
    ki[6] = (uint8_t)(d->serial >> 8);
    ki[7] = (uint8_t)d->serial;
    ki[8] = (uint8_t)(m >> 24);
    ki[9] = (uint8_t)(m >> 16);
    ki[10] = (uint8_t)(m >> 8);
    ki[11] = (uint8_t)m;
    rng_bytes(r, ki + 12, 4);
    rng_bytes(r, key, sizeof key);
    rng_bytes(r, nonce, d->nonce_len);
    *cli_hex_encode(ki_hex, ki, sizeof ki) = '\0';

    memset(&p, 0, sizeof p);
    p.suite = d->kind == DEV_CCM ? E2E_SUITE_AES_128_CCM : E2E_SUITE_AES_128_CCM_8;
    p.enc_key = key;
    p.enc_key_len = sizeof key;
    p.iv = nonce;
    p.iv_len = d->nonce_len;
    p.ki = ki;
    p.ki_len = sizeof ki;
    p.tag_len = d->mac_bits / 8;
    fprintf(kf, "{\"CipherSuite\":\"%s\",", e2e_suite_name(p.suite));
    put_b64(kf, key_names[d->style], key, sizeof key);
    fputc(',', kf);
    put_b64(kf, nonce_names[d->style], nonce, d->nonce_len);
    fprintf(kf, ",\"MACLength\":%u,\"KeyLength\":128,\"ROTPublicUID\":\"%s\","
            "\"EncryptedHeader\":\"%s\"}\n", d->mac_bits, d->uid, ki_hex);
    new_keyset(ks, eng, &p);
    cli_wipe(key, sizeof key);
}

/* ------------------------------------------------------------ payloads */

/* The largest --payload-size. */
#define GEN_PAYLOAD_MAX 1024

/* payload writes 5..200 bytes of telemetry for d into buf (200 bytes). */
static size_t payload(struct rng *r, struct device *d, uint8_t *buf)
{
    static const char *const states[] = {"ok", "ok", "ok", "low_bat", "door_open", "tamper"};
    uint32_t pick = rng_below(r, 100);
    int n;

    d->temp += (rng_unit(r) - 0.5) * 0.4;
    d->hum += (rng_unit(r) - 0.5) * 1.0;
    d->bat -= rng_unit(r) * 0.001;
    if (pick < 3) { /* the documentation's own example */
        memcpy(buf, "HELLO", 5);
        return 5;
    }
    if (pick < 60) { /* JSON-ish text, built in a roomy buffer, at most 200 */
        static const char *const w[] = {"boot", "fw=1.4.2", "rssi=-97", "retry", "gnss",
                                        "fix", "cell=2641", "psm", "edrx", "wake"};
        char t[512];
        size_t cap = sizeof t;
        n = snprintf(t, cap, "{\"seq\":%" PRIu32 ",\"t\":%.2f,\"h\":%.1f", d->msgs, d->temp,
                     d->hum);
        if (rng_below(r, 2))
            n += snprintf(t + n, cap - (size_t)n, ",\"p\":%.1f",
                          1013.25 + (rng_unit(r) - 0.5) * 30);
        if (rng_below(r, 2))
            n += snprintf(t + n, cap - (size_t)n, ",\"bat\":%.2f", d->bat);
        if (rng_below(r, 3) == 0)
            n += snprintf(t + n, cap - (size_t)n, ",\"co2\":%u", 400 + rng_below(r, 1600));
        if (rng_below(r, 4) == 0)
            n += snprintf(t + n, cap - (size_t)n, ",\"lat\":%.5f,\"lon\":%.5f",
                          47.37 + rng_unit(r) * 0.1, 8.54 + rng_unit(r) * 0.1);
        if (rng_below(r, 6) == 0)
            n += snprintf(t + n, cap - (size_t)n, ",\"st\":\"%s\"", states[rng_below(r, 6)]);
        if (rng_below(r, 8) == 0) { /* a verbose status message */
            unsigned words = 3 + rng_below(r, 20);
            n += snprintf(t + n, cap - (size_t)n, ",\"log\":\"");
            for (unsigned i = 0; i < words && n < 180; i++)
                n += snprintf(t + n, cap - (size_t)n, "%s%s", i ? " " : "", w[rng_below(r, 10)]);
            n += snprintf(t + n, cap - (size_t)n, "\"");
        }
        t[n++] = '}';
        if (n > 200)
            n = 200;
        memcpy(buf, t, (size_t)n);
        return (size_t)n;
    }
    /* Packed binary: type, sequence, then big-endian int16 samples. */
    {
        size_t samples = 1 + rng_below(r, 98), o = 0;
        int v = (int)(d->temp * 100);
        buf[o++] = (uint8_t)(0x10 + d->kind);
        buf[o++] = (uint8_t)(d->msgs >> 8);
        buf[o++] = (uint8_t)d->msgs;
        for (size_t i = 0; i < samples; i++) {
            v += (int)rng_below(r, 21) - 10;
            buf[o++] = (uint8_t)((unsigned)v >> 8);
            buf[o++] = (uint8_t)v;
        }
        return o;
    }
}

/* ------------------------------------------------------------ output */

enum { FMT_MIXED, FMT_HEX, FMT_JSON };

static void write_record(FILE *rf, struct rng *r, const struct device *d, uint64_t seq,
                         const uint8_t *msg, size_t len, char *hex, int format)
{
    uint32_t pick;
    *cli_hex_encode(hex, msg, len) = '\0';
    if (format == FMT_HEX) {
        fprintf(rf, "%s\n", hex);
        return;
    }
    if (format == FMT_JSON) {
        fprintf(rf, "{\"id\":%" PRIu64 ",\"data\":\"%s\"}\n", seq, hex);
        return;
    }
    pick = rng_below(r, 100);
    if (pick < 60) {
        fprintf(rf, "%s\n", hex);
    } else if (pick < 70) { /* upper-case hex */
        for (char *p = hex; *p; p++)
            if (*p >= 'a' && *p <= 'f')
                *p = (char)(*p - 'a' + 'A');
        fprintf(rf, "%s\n", hex);
    } else if (pick < 85) {
        fprintf(rf, "{\"id\":%" PRIu64 ",\"data\":\"%s\"}\n", seq, hex);
    } else if (pick < 97) {
        fprintf(rf, "{\"id\":\"%s/%" PRIu32 "\",\"data\":\"%s\"}\n", d->uid, d->msgs, hex);
    } else {
        fprintf(rf, "{\"data\":\"%s\",\"id\":{\"dev\":\"%s\",\"n\":%" PRIu64 "}}\n", hex,
                d->uid, seq);
    }
}

static int parse_count(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;
    if (!s)
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return cli_usage_error("gen", "--%s %s: expected a number up to %" PRIu64, opt, s, max);
    *out = v;
    return 0;
}

int cmd_gen(int argc, char **argv)
{
    struct cli_opt o[] = {{"keys-out", 1, NULL}, {"records-out", 1, NULL},
                          {"count", 1, NULL},    {"devices", 1, NULL},
                          {"seed", 1, NULL},     {"impl", 1, NULL},
                          {"payload-size", 1, NULL}, {"format", 1, NULL}};
    uint64_t count = 200000, ndev = 1000, seed = 1, psize = 0;
    int format = FMT_MIXED;
    uint64_t per_kind[4] = {0};
    size_t npos, nkeysets = 0;
    e2e_engine eng;
    struct rng r;
    struct device *devs;
    e2e_keyset *auto_ks, *cont_ks;
    FILE *kf, *rf;
    uint8_t pt[GEN_PAYLOAD_MAX], msg[GEN_PAYLOAD_MAX + E2E_SEAL_OVERHEAD_MAX];
    char hex[2 * sizeof msg + 1];
    int rc;

    rc = cli_parse_opts("gen", argc, argv, o, 8, NULL, 0, &npos);
    if (rc == 1) {
        fputs(cli_help_gen, stdout);
        return 0;
    }
    if (rc)
        return rc;
    if (!o[0].value || !o[1].value)
        return cli_usage_error("gen", "--keys-out FILE and --records-out FILE are required");
    if (parse_count("count", o[2].value, 1000000000ull, &count) ||
        parse_count("devices", o[3].value, 1000000ull, &ndev) ||
        parse_count("seed", o[4].value, UINT64_MAX, &seed) ||
        parse_count("payload-size", o[6].value, GEN_PAYLOAD_MAX, &psize))
        return 2;
    if (o[6].value && psize == 0)
        return cli_usage_error("gen", "--payload-size must be at least 1");
    if (o[7].value) {
        if (!strcmp(o[7].value, "mixed"))
            format = FMT_MIXED;
        else if (!strcmp(o[7].value, "hex"))
            format = FMT_HEX;
        else if (!strcmp(o[7].value, "json"))
            format = FMT_JSON;
        else
            return cli_usage_error("gen", "--format %s: expected mixed, hex or json", o[7].value);
    }
    if (ndev == 0)
        return cli_usage_error("gen", "--devices must be at least 1");
    if ((rc = cli_engine(&eng, o[5].value)) != 0)
        return rc;
    kf = fopen(o[0].value, "wb");
    if (!kf) {
        fprintf(stderr, "e2ecrypt: --keys-out %s: %s\n", o[0].value, strerror(errno));
        return 2;
    }
    rf = fopen(o[1].value, "wb");
    if (!rf) {
        fprintf(stderr, "e2ecrypt: --records-out %s: %s\n", o[1].value, strerror(errno));
        fclose(kf);
        return 2;
    }
    setvbuf(kf, NULL, _IOFBF, 1 << 20);
    setvbuf(rf, NULL, _IOFBF, 1 << 20);

    rng_seed(&r, seed);
    devs = calloc(ndev, sizeof devs[0]);
    auto_ks = aligned_alloc(alignof(e2e_keyset), ndev * MAX_PERIODS * sizeof(e2e_keyset));
    cont_ks = aligned_alloc(alignof(e2e_keyset), sizeof(e2e_keyset));
    if (!devs || !auto_ks || !cont_ks)
        cli_oom();

    /* Devices: 22% CCM, 8% CCM_8 (continuous rotation), 40% CS1+HMAC, 30%
     * HMAC-only (automatic rotation). */
    for (uint64_t i = 0; i < ndev; i++) {
        struct device *d = &devs[i];
        uint32_t k = rng_below(&r, 100);
        d->kind = k < 22 ? DEV_CCM : k < 30 ? DEV_CCM8 : k < 70 ? DEV_CS1 : DEV_HMAC;
        /* A bijection of i keeps serials (and so KIs) unique. */
        d->serial = fmix32((uint32_t)i + (uint32_t)(seed * 0x9e3779b9u));
        snprintf(d->uid, sizeof d->uid, "0004%04x%08" PRIx32,
                 (unsigned)(0x1208 + 0x100 * d->kind), d->serial);
        d->style = rng_below(&r, 3);
        d->nonce_len = rng_below(&r, 4) ? 13 : 12;
        d->mac_bits = d->kind == DEV_CCM8 ? 64
                      : (d->kind == DEV_HMAC && rng_below(&r, 10) == 0) ? 256 : 128;
        d->temp = 15 + rng_unit(&r) * 10;
        d->hum = 40 + rng_unit(&r) * 20;
        d->bat = 3.6;
        if (d->kind == DEV_CS1 || d->kind == DEV_HMAC) {
            d->periods = 1 + rng_below(&r, MAX_PERIODS);
            d->ks = &auto_ks[i * MAX_PERIODS];
            for (unsigned p = 0; p < d->periods; p++)
                automatic_period(kf, &r, &eng, d, p, &d->ks[p]);
            nkeysets += d->periods;
        }
    }

    for (uint64_t seq = 0; seq < count; seq++) {
        struct device *d = &devs[rng_below(&r, (uint32_t)ndev)];
        const e2e_keyset *ks;
        size_t len = payload(&r, d, pt), mlen;
        if (psize) { /* exactly psize bytes: cut, or pad with packed samples */
            if (len < psize)
                rng_bytes(&r, pt + len, (size_t)psize - len);
            len = (size_t)psize;
        }
        e2e_status st;

        if (d->kind == DEV_CCM || d->kind == DEV_CCM8) {
            continuous_keyset(kf, &r, &eng, d, cont_ks);
            nkeysets++;
            ks = cont_ks;
        } else {
            ks = &d->ks[rng_below(&r, d->periods)];
        }
        st = e2e_seal(&eng, ks, msg, sizeof msg, &mlen, pt, len);
        if (st != E2E_OK) {
            fprintf(stderr, "e2ecrypt gen: internal error: e2e_seal: %s\n",
                    e2e_status_name(st));
            exit(2);
        }
        if (ks == cont_ks)
            e2e_keyset_clear(cont_ks);
        write_record(rf, &r, d, seq, msg, mlen, hex, format);
        per_kind[d->kind]++;
        d->msgs++;
    }

    rc = 0;
    if (fclose(kf) != 0) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", o[0].value, strerror(errno));
        rc = 2;
    }
    if (fclose(rf) != 0) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", o[1].value, strerror(errno));
        rc = 2;
    }
    for (uint64_t i = 0; i < ndev; i++)
        for (unsigned p = 0; p < devs[i].periods; p++)
            e2e_keyset_clear(&devs[i].ks[p]);
    free(auto_ks);
    free(cont_ks);
    free(devs);
    if (rc == 0)
        fprintf(stderr, "e2ecrypt gen: %" PRIu64 " records (%" PRIu64 " ccm, %" PRIu64
                " ccm_8, %" PRIu64 " cs1-hmac, %" PRIu64 " hmac) from %" PRIu64
                " devices, %zu key sets -> %s, records -> %s (test keys, not secret)\n",
                count, per_kind[DEV_CCM], per_kind[DEV_CCM8], per_kind[DEV_CS1],
                per_kind[DEV_HMAC], ndev, nkeysets, o[0].value, o[1].value);
    return rc;
}
