/* main.c — the e2ecrypt command-line tool: open, seal, xor, ki, gen.
 *
 * The tool is the one place in e2ecrypt that allocates: it reads records
 * line by line (getline), parses them (records.c), runs them through the
 * engine's batch API in groups of CLI_BATCH with one caller-owned scratch,
 * and writes one result line per record, in input order, through a large
 * stdio buffer. Key material decoded from the keyring is wiped once the key
 * sets are expanded (keyring.c), and every key set is cleared at exit.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2ecrypt.h"

#include "quick.h"
#include "cli.h"
#include "hex.h"
#include "keyring.h"
#include "records.h"

/* Records per e2e_batch_run call. */
#define CLI_BATCH 256
/* stdio buffer sizes for record input and result output. */
#define CLI_IOBUF (1u << 20)

/* ------------------------------------------------------------ help */

static const char help_top[] =
    "e2ecrypt - open and seal u-blox Thingstream end-to-end protected payloads\n"
    "\n"
    "Usage:\n"
    "  e2ecrypt open --keys FILE [--in FILE] [--out FILE] [--stats] [--impl NAME]\n"
    "  e2ecrypt seal --keys FILE (--uid UID | --ki HEX) [--in FILE] [--out FILE]\n"
    "                [--stats] [--impl NAME]\n"
    "  e2ecrypt xor  --key HEX [--legacy] [--in FILE] [--out FILE]\n"
    "  e2ecrypt ki   HEX\n"
    "  e2ecrypt gen  --keys-out FILE --records-out FILE [--count N] [--devices D]\n"
    "                [--seed S]\n"
    "  e2ecrypt bench [--seconds S] [--impl NAME]\n"
    "  e2ecrypt --version | --help | COMMAND --help\n"
    "\n"
    "Commands:\n"
    "  open  verify and decrypt records (AES_128_CCM, AES_128_CCM_8,\n"
    "        AES_128_CS1_HMAC_SHA256, HMAC_SHA256); one JSON result per record\n"
    "  seal  protect plaintext records with one key set (downlinks; uplinks as a\n"
    "        device would send them)\n"
    "  xor   the Sigfox fixed-key XOR, to read legacy devices only: NOT encryption\n"
    "  ki    decode the key identity (KI) header at the start of a message\n"
    "  gen   write a synthetic keyring and records (test data) for demos\n"
    "  bench a quick benchmark of the engine's workloads on this machine\n"
    "\n"
    "Records are read one per line from --in (default: stdin) and written one\n"
    "per line to --out (default: stdout), in input order. A record is bare hex\n"
    "(either case, white space around it ignored) or a JSON object\n"
    "{\"id\": <any JSON value>, \"data\": \"<hex>\"} (id optional; open echoes it).\n"
    "Blank lines are skipped. A line that is neither is a \"malformed\" record;\n"
    "the other records are still processed.\n"
    "\n"
    "The keyring (--keys) is NDJSON or a JSON array of the protection or integrity\n"
    "parameters the Thingstream REST API returns, optionally with\n"
    "\"EncryptedHeader\": \"<KI hex>\"; see 'e2ecrypt open --help'.\n"
    "\n"
    "Exit status: 0 every record ok; 1 some record was not ok (all records are\n"
    "still written); 2 usage, keyring or I/O error.\n"
    "\n"
    "Sigfox XOR is NOT encryption. The same key XOR-ed onto every frame is a\n"
    "many-time pad: XOR two frames and the key cancels out, one known frame gives\n"
    "the key away, and nothing detects a changed frame (no integrity). Use xor\n"
    "only to read existing devices; protect new traffic with AES_128_CCM or\n"
    "AES_128_CS1_HMAC_SHA256 (open/seal).\n"
    "\n"
    "Example:\n"
    "  e2ecrypt gen --keys-out keys.ndjson --records-out records.txt\n"
    "  e2ecrypt open --keys keys.ndjson --in records.txt --stats > results.ndjson\n";

static const char help_open[] =
    "Usage: e2ecrypt open --keys FILE [--in FILE] [--out FILE] [--stats] [--impl NAME]\n"
    "\n"
    "Verify and decrypt each record (KI || body) with the key set its KI names.\n"
    "The KI length comes from its top nibble (0x1: 16 bytes, continuous rotation;\n"
    "0x2: 12 bytes, automatic rotation); the key set's CipherSuite decides the\n"
    "algorithm. Per record, one JSON object on one line, members in this order:\n"
    "  {\"id\":...,\"status\":\"ok|auth_failed|unknown_key|malformed|unsupported\",\n"
    "   \"mode\":\"ccm|cs1-hmac|hmac\",\"ki\":\"<hex>\",\"data\":\"<plaintext hex>\"}\n"
    "id only when the record gave one (the same JSON value, compact); mode and ki\n"
    "whenever the KI was read and a key set found; ki also for unknown_key; data\n"
    "only when ok. A body shorter than the suite's minimum (the tag for CCM and\n"
    "HMAC, 16 bytes for CS1) is malformed; any other failed check is auth_failed.\n"
    "\n"
    "Options:\n"
    "  --keys FILE   the keyring (required)\n"
    "  --in FILE     records (default: stdin; '-' also means stdin)\n"
    "  --out FILE    results (default: stdout; '-' also means stdout)\n"
    "  --stats       at the end, one line on stderr: records, ok, failures by\n"
    "                status, time and records per second, the engine used\n"
    "  --impl NAME   force an engine implementation (also: E2E_IMPL=NAME)\n"
    "\n"
    "Keyring: NDJSON (one object per line; entries are numbered by line, from 1)\n"
    "or a JSON array (numbered by index, from 0). Each object is a REST API\n"
    "parameters response:\n"
    "  CipherSuite        AES_128_CCM, AES_128_CCM_8, AES_128_CS1_HMAC_SHA256 or\n"
    "                     HMAC_SHA256\n"
    "  EncryptionKey      base64, 16 bytes (AES suites; \"Key\" is accepted too)\n"
    "  AuthenticationKey  base64 (CS1 and HMAC suites)\n"
    "  KIV                base64; the HMAC covers it, and it is the KI when there\n"
    "                     is no EncryptedHeader\n"
    "  AESIV              base64, 16 bytes (CS1)\n"
    "  Nonce, AESNonce    CCM nonce, 7..13 bytes: the first present of Nonce,\n"
    "                     AESNonce, AESIV\n"
    "  MACLength          tag bits (default 128; 64 for AES_128_CCM_8)\n"
    "  KeyLength, AuthKeyLength  bits; when present they must match the keys\n"
    "  ROTPublicUID       string or number, compared as text (seal --uid)\n"
    "  EncryptedHeader    KI hex; records are matched by it when present, else\n"
    "                     by the KIV (a hash index, not a scan)\n"
    "Base64 may omit its '=' padding and may have non-zero unused bits in its\n"
    "last character (the REST documentation's samples do); any character outside\n"
    "the base64 alphabet is an error. Any problem in any entry - bad JSON, bad\n"
    "base64, a wrong key or IV length, an unknown suite, a missing field, a\n"
    "KeyLength that does not match - stops the tool with exit status 2 and a\n"
    "message naming the entry and the field. When two entries have the same KI,\n"
    "the later one is used and a warning says so.\n"
    "\n"
    "Exit status: 0 all ok, 1 some record not ok (all still written), 2 error.\n"
    "\n"
    "Example (long lines wrapped here; \"48454c4c4f\" is HELLO):\n"
    "  $ cat keys.ndjson\n"
    "  {\"CipherSuite\":\"HMAC_SHA256\",\"AuthenticationKey\":\"NR9u5wz3zpF17M5aSkOJpA==\",\n"
    "   \"KIV\":\"KgAABAAIAD+mYg0C\",\"ROTPublicUID\":\"00040008003fa662\",\"MACLength\":128}\n"
    "  $ echo '{\"id\":7,\"data\":\"2a0000040008003fa6620d0248454c4c4f'\\\n"
    "  'ca9f015b8b9a63f733cda4886a4312b0\"}' | e2ecrypt open --keys keys.ndjson\n"
    "  {\"id\":7,\"status\":\"ok\",\"mode\":\"hmac\",\"ki\":\"2a0000040008003fa6620d02\",\n"
    "   \"data\":\"48454c4c4f\"}\n";

static const char help_seal[] =
    "Usage: e2ecrypt seal --keys FILE (--uid UID | --ki HEX) [--in FILE] [--out FILE]\n"
    "                     [--stats] [--impl NAME]\n"
    "\n"
    "Protect each plaintext record with one key set and write, per record, the\n"
    "lower-case hex of the wire format for that key set's suite:\n"
    "  CCM        KI || CCM(P) || tag\n"
    "  CS1+HMAC   KI || CBC-CS1(P || T),  T = HMAC-SHA256(AuthKey, KIV || P)\n"
    "  HMAC-only  KI || P || T\n"
    "The KI written is the entry's EncryptedHeader when it has one, else its KIV.\n"
    "A record that cannot be sealed gives a line holding just its status token\n"
    "(e.g. \"malformed\"), the rest are processed, and the exit status is 1.\n"
    "Output lines carry no id: line N of the output is record N of the input.\n"
    "\n"
    "Options:\n"
    "  --keys FILE  the keyring (see 'e2ecrypt open --help')\n"
    "  --uid UID    the key set of this ROTPublicUID (text; a number in the\n"
    "               keyring matches its decimal digits). When several entries\n"
    "               share the UID, the last one in the keyring is used.\n"
    "  --ki HEX     the key set of this KI (looked up like open does)\n"
    "  --in, --out, --stats, --impl  as for open\n"
    "The UID or KI not being in the keyring is an error (exit status 2).\n"
    "\n"
    "Example (a downlink, the REST API's sample parameters):\n"
    "  $ cat down.json\n"
    "  [{\"MACLength\":128,\"KeyLength\":128,\"CipherSuite\":\"AES_128_CS1_HMAC_SHA256\",\n"
    "    \"AuthenticationKey\":\"lTZfP2dO5IAXvJT8FlXV5A==\",\"AuthKeyLength\":128,\n"
    "    \"EncryptionKey\":\"EuPzZxheaAoGAQ/+X2mYbg==\",\"KIV\":\"EQEBAIkoIrZnYX4vnjgCCC==\",\n"
    "    \"AESIV\":\"KgXYZgAAiSgisgADBBBBBB\",\"ROTPublicUID\":2000089282245}]\n"
    "  $ echo 54686520717569636b2062726f776e20666f78 |\n"
    "      e2ecrypt seal --keys down.json --uid 2000089282245\n";

static const char help_xor[] =
    "Usage: e2ecrypt xor --key HEX [--legacy] [--in FILE] [--out FILE]\n"
    "\n"
    "THIS IS NOT ENCRYPTION. It reproduces a blog post's scheme for Sigfox\n"
    "frames: XOR with the right-aligned tail of one fixed key. The same key on\n"
    "every frame is a many-time pad - XOR two frames and the key cancels out, a\n"
    "single known frame reveals the key - and there is no integrity at all.\n"
    "Use it only to read existing devices; protect new traffic with a real suite\n"
    "(AES_128_CCM or AES_128_CS1_HMAC_SHA256, see 'e2ecrypt seal --help').\n"
    "XOR is its own inverse: the same command decodes what it encoded.\n"
    "\n"
    "Per record, the lower-case hex result:\n"
    "  byte mode (default)  each data byte XOR the key byte at the same distance\n"
    "                       from the end; output as many digits as the input. Data\n"
    "                       longer than the key (or an odd digit count) gives a line\n"
    "                       \"malformed\"; the rest are processed; exit status 1.\n"
    "  --legacy             the blog's integer arithmetic: out = (in XOR key) mod\n"
    "                       2^bitlen(in), bitlen counting no leading zero bits. Any\n"
    "                       digit count; output zero-padded to the input's digit\n"
    "                       count. When the result has fewer significant bits than\n"
    "                       the input, the blog's decryption cannot give the input\n"
    "                       back: the result is still printed, with a warning on\n"
    "                       stderr naming the record's line.\n"
    "Options:\n"
    "  --key HEX    the key (the blog uses 12 bytes)\n"
    "  --legacy     the blog's integer arithmetic (see above)\n"
    "  --in, --out  as for open\n"
    "\n"
    "Example (the blog's own):\n"
    "  $ echo 1A2B3C | e2ecrypt xor --key ABCDEF1234567890ABCDEF12 --legacy\n"
    "  17c42e\n"
    "  $ echo 1A2B3C | e2ecrypt xor --key ABCDEF1234567890ABCDEF12\n"
    "  d7c42e\n";

static const char help_ki[] =
    "Usage: e2ecrypt ki HEX\n"
    "\n"
    "Decode the key identity (KI) header at the start of HEX (a KI or a whole\n"
    "message). Its top nibble gives its length: 0x1 -> 16 bytes (continuous\n"
    "rotation), 0x2 -> 12 bytes (automatic rotation). Prints\n"
    "  {\"mode\":\"continuous|automatic\",\"ki_len\":16|12,\"ki\":\"<hex>\"}\n"
    "or {\"status\":\"malformed\"} with exit status 1 for any other nibble, a\n"
    "message shorter than its KI, or bad hex.\n"
    "\n"
    "Example:\n"
    "  $ e2ecrypt ki 2a0000041908003fa6620001697e2fe027bc63a0c668d2c6a7973043b2307f8228\n"
    "  {\"mode\":\"automatic\",\"ki_len\":12,\"ki\":\"2a0000041908003fa6620001\"}\n";

static const char help_bench[] =
    "Usage: e2ecrypt bench [--seconds S] [--impl NAME]\n"
    "\n"
    "A quick, dependency-free run of the benchmark suite's workloads on this\n"
    "machine with e2ecrypt alone: open CCM with a new key set per message and\n"
    "with a reused one, open and seal CS1+HMAC, verify HMAC, Sigfox XOR; sizes\n"
    "5..16384 bytes; batches of 1, 16 and 256 messages. Prints messages/s,\n"
    "bytes/s and TSC ticks per byte per row. For the comparison with BoringSSL,\n"
    "OpenSSL and intel-ipsec-mb, run bench/run_bench.sh (README.md).\n"
    "\n"
    "Options:\n"
    "  --seconds S   time per row (default 0.05)\n"
    "  --impl NAME   force an engine implementation (also: E2E_IMPL=NAME)\n"
    "\n"
    "Example:\n"
    "  e2ecrypt bench --seconds 0.2\n";

static const char usage_top[] =
    "Usage: e2ecrypt open|seal|xor|ki|gen|bench [OPTIONS]   (e2ecrypt --help for more)\n";

static const char *cmd_synopsis(const char *cmd)
{
    if (!cmd)
        return usage_top;
    if (!strcmp(cmd, "open"))
        return "Usage: e2ecrypt open --keys FILE [--in FILE] [--out FILE] [--stats] "
               "[--impl NAME]\n";
    if (!strcmp(cmd, "seal"))
        return "Usage: e2ecrypt seal --keys FILE (--uid UID | --ki HEX) [--in FILE] "
               "[--out FILE] [--stats] [--impl NAME]\n";
    if (!strcmp(cmd, "xor"))
        return "Usage: e2ecrypt xor --key HEX [--legacy] [--in FILE] [--out FILE]\n";
    if (!strcmp(cmd, "ki"))
        return "Usage: e2ecrypt ki HEX\n";
    if (!strcmp(cmd, "gen"))
        return "Usage: e2ecrypt gen --keys-out FILE --records-out FILE [--count N] "
               "[--devices D] [--seed S]\n";
    if (!strcmp(cmd, "bench"))
        return "Usage: e2ecrypt bench [--seconds S] [--impl NAME]\n";
    return usage_top;
}

/* print_impls lists the engine implementations after a help text. */
static void print_help(const char *text, int with_impls)
{
    fputs(text, stdout);
    if (with_impls) {
        const char *const *names = e2e_impl_names();
        fputs("\nEngine implementations (--impl, E2E_IMPL):", stdout);
        for (size_t i = 0; names && names[i]; i++)
            printf(" %s", names[i]);
        fputs("\n", stdout);
    }
}

/* ------------------------------------------------------------ shared */

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("e2ecrypt: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fputs(cmd_synopsis(cmd), stderr);
    if (cmd)
        fprintf(stderr, "Try 'e2ecrypt %s --help' for more.\n", cmd);
    return 2;
}

int cli_parse_opts(const char *cmd, int argc, char **argv, struct cli_opt *opts,
                   size_t n_opts, const char **pos, size_t max_pos, size_t *n_pos)
{
    int only_pos = 0;
    *n_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && !strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!only_pos && (!strcmp(a, "--help") || !strcmp(a, "-h")))
            return 1;
        if (!only_pos && a[0] == '-' && a[1] != '\0') {
            const char *name = a + 2, *eq;
            size_t nlen;
            struct cli_opt *o = NULL;
            if (a[1] != '-')
                return cli_usage_error(cmd, "unknown option '%s'", a);
            eq = strchr(name, '=');
            nlen = eq ? (size_t)(eq - name) : strlen(name);
            for (size_t k = 0; k < n_opts; k++)
                if (strlen(opts[k].name) == nlen && !strncmp(opts[k].name, name, nlen))
                    o = &opts[k];
            if (!o)
                return cli_usage_error(cmd, "unknown option '%.*s'", (int)(nlen + 2), a);
            if (o->takes_value) {
                if (eq)
                    o->value = eq + 1;
                else if (i + 1 < argc)
                    o->value = argv[++i];
                else
                    return cli_usage_error(cmd, "option '--%s' needs a value", o->name);
            } else {
                if (eq)
                    return cli_usage_error(cmd, "option '--%s' takes no value", o->name);
                o->value = "1";
            }
            continue;
        }
        if (*n_pos >= max_pos)
            return cli_usage_error(cmd, "unexpected argument '%s'", a);
        pos[(*n_pos)++] = a;
    }
    return 0;
}

int cli_engine(e2e_engine *eng, const char *impl)
{
    const char *from = "--impl";
    e2e_status st;
    if (!impl || !*impl) {
        impl = getenv("E2E_IMPL");
        from = "E2E_IMPL";
    }
    if (!impl || !*impl) {
        st = e2e_engine_init(eng, E2E_CPU_ALL);
        if (st != E2E_OK) {
            fprintf(stderr, "e2ecrypt: engine initialisation failed (%s)\n",
                    e2e_status_name(st));
            return 2;
        }
        return 0;
    }
    st = e2e_engine_init_named(eng, impl);
    if (st == E2E_OK)
        return 0;
    if (st == E2E_ERR_CPU) {
        fprintf(stderr, "e2ecrypt: %s %s: this CPU lacks the instructions it needs (%s)\n",
                from, impl, e2e_status_name(st));
    } else {
        const char *const *names = e2e_impl_names();
        fprintf(stderr, "e2ecrypt: %s %s: unknown implementation (%s); known:", from, impl,
                e2e_status_name(st));
        for (size_t i = 0; names && names[i]; i++)
            fprintf(stderr, " %s", names[i]);
        fputc('\n', stderr);
    }
    return 2;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* io holds a command's record input and result output. */
struct io {
    FILE *in, *out;
    const char *in_name, *out_name;
    char *line;
    size_t line_cap;
    size_t lineno;
};

static int io_open(struct io *io, const char *in, const char *out)
{
    memset(io, 0, sizeof *io);
    io->in_name = in && strcmp(in, "-") ? in : "stdin";
    io->out_name = out && strcmp(out, "-") ? out : "stdout";
    io->in = in && strcmp(in, "-") ? fopen(in, "rb") : stdin;
    if (!io->in) {
        fprintf(stderr, "e2ecrypt: --in %s: %s\n", in, strerror(errno));
        return 2;
    }
    io->out = out && strcmp(out, "-") ? fopen(out, "wb") : stdout;
    if (!io->out) {
        fprintf(stderr, "e2ecrypt: --out %s: %s\n", out, strerror(errno));
        if (io->in != stdin)
            fclose(io->in);
        return 2;
    }
    setvbuf(io->in, NULL, _IOFBF, CLI_IOBUF);
    setvbuf(io->out, NULL, _IOFBF, CLI_IOBUF);
    return 0;
}

/* io_next reads the next line; returns its length or -1 at the end. */
static ssize_t io_next(struct io *io)
{
    ssize_t n = getline(&io->line, &io->line_cap, io->in);
    if (n >= 0)
        io->lineno++;
    return n;
}

/* io_write writes sb's text and empties sb. */
static void io_write(struct io *io, struct strbuf *sb)
{
    if (sb->len)
        fwrite(sb->p, 1, sb->len, io->out);
    sb->len = 0;
}

/* io_close flushes and closes; returns 0, or 2 after reporting an error. */
static int io_close(struct io *io)
{
    int rc = 0;
    if (ferror(io->in)) {
        fprintf(stderr, "e2ecrypt: reading %s failed\n", io->in_name);
        rc = 2;
    }
    if (fflush(io->out) != 0 || ferror(io->out)) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", io->out_name, strerror(errno));
        rc = 2;
    }
    if (io->in != stdin)
        fclose(io->in);
    if (io->out != stdout && fclose(io->out) != 0 && rc == 0) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", io->out_name, strerror(errno));
        rc = 2;
    }
    free(io->line);
    io->line = NULL;
    return rc;
}

/* counts are per-status tallies for --stats. */
struct counts {
    size_t records;
    size_t by[E2E_ERR_CPU + 1];
};

static void count(struct counts *c, e2e_status st)
{
    c->records++;
    if ((unsigned)st <= E2E_ERR_CPU)
        c->by[st]++;
}

static void print_stats(const char *cmd, const struct counts *c, double secs,
                        const e2e_engine *eng, const struct keyring *kr, double kr_secs)
{
    double rate = (double)c->records / (secs > 1e-9 ? secs : 1e-9);
    char rbuf[32];
    size_t failed = c->records - c->by[E2E_OK];

    if (rate >= 1e6)
        snprintf(rbuf, sizeof rbuf, "%.2f M", rate / 1e6);
    else if (rate >= 1e3)
        snprintf(rbuf, sizeof rbuf, "%.1f k", rate / 1e3);
    else
        snprintf(rbuf, sizeof rbuf, "%.0f", rate);
    fprintf(stderr, "e2ecrypt %s: %zu records, %zu ok, %zu failed (%zu auth_failed, "
            "%zu unknown_key, %zu malformed", cmd, c->records, c->by[E2E_OK], failed,
            c->by[E2E_ERR_AUTH], c->by[E2E_ERR_UNKNOWN_KEY], c->by[E2E_ERR_MALFORMED]);
    if (c->by[E2E_ERR_UNSUPPORTED])
        fprintf(stderr, ", %zu unsupported", c->by[E2E_ERR_UNSUPPORTED]);
    if (c->by[E2E_ERR_PARAM] + c->by[E2E_ERR_CPU])
        fprintf(stderr, ", %zu other", c->by[E2E_ERR_PARAM] + c->by[E2E_ERR_CPU]);
    fprintf(stderr, ") in %.3f s, %s records/s, engine %s; keyring %zu key sets loaded "
            "in %.3f s\n", secs, rbuf, e2e_engine_name(eng), kr->n, kr_secs);
}

/* load_keys initialises the engine and loads the keyring. Returns 0 or 2. */
static int load_keys(const char *cmd, struct keyring *kr, e2e_engine *eng,
                     const char *keys, const char *impl, double *secs)
{
    char err[512];
    double t0;
    int rc;
    if (!keys)
        return cli_usage_error(cmd, "--keys FILE is required");
    if ((rc = cli_engine(eng, impl)) != 0)
        return rc;
    t0 = cli_now();
    if (keyring_load(kr, eng, keys, err, sizeof err) != 0) {
        fprintf(stderr, "e2ecrypt: %s\n", err);
        keyring_free(kr);
        return 2;
    }
    *secs = cli_now() - t0;
    return 0;
}

/* ------------------------------------------------------------ open */

struct open_slot {
    struct rec r;
    e2e_status st;
    const e2e_keyset *ks; /* the key set found, or NULL */
    uint8_t ki[E2E_KI_MAX];
    size_t ki_len;        /* 0: the KI could not be read */
    const uint8_t *pt;
    size_t pt_len;
};

static int cmd_open(int argc, char **argv)
{
    struct cli_opt o[] = {{"keys", 1, NULL}, {"in", 1, NULL}, {"out", 1, NULL},
                          {"stats", 0, NULL}, {"impl", 1, NULL}};
    static e2e_scratch scratch;
    e2e_engine eng;
    struct keyring kr;
    struct io io;
    struct strbuf sb = {0};
    struct counts cnt = {0};
    struct open_slot *slots;
    e2e_job jobs[CLI_BATCH];
    size_t npos;
    double kr_secs = 0, t0;
    int rc;

    rc = cli_parse_opts("open", argc, argv, o, 5, NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_open, 1);
        return 0;
    }
    if (rc)
        return rc;
    if ((rc = load_keys("open", &kr, &eng, o[0].value, o[4].value, &kr_secs)) != 0)
        return rc;
    if (keyring_index_ki(&kr, stderr) != 0)
        cli_oom();
    if ((rc = io_open(&io, o[1].value, o[2].value)) != 0) {
        keyring_free(&kr);
        return rc;
    }
    slots = calloc(CLI_BATCH, sizeof slots[0]);
    if (!slots)
        cli_oom();

    t0 = cli_now();
    for (;;) {
        size_t n = 0, nj = 0;
        ssize_t len;
        while (n < CLI_BATCH && (len = io_next(&io)) >= 0) {
            struct open_slot *s = &slots[n];
            e2e_rotation rot;
            if (!rec_parse(&s->r, io.line, (size_t)len, 0))
                continue;
            s->r.line = io.lineno;
            s->ks = NULL;
            s->ki_len = 0;
            s->pt = NULL;
            s->pt_len = 0;
            n++;
            if (s->r.bad ||
                e2e_ki_decode(&s->ki_len, &rot, s->r.data, s->r.len) != E2E_OK) {
                s->ki_len = 0;
                s->st = E2E_ERR_MALFORMED;
                continue;
            }
            memcpy(s->ki, s->r.data, s->ki_len);
            s->ks = keyring_find_ki(&kr, s->ki, s->ki_len);
            if (!s->ks) {
                s->st = E2E_ERR_UNKNOWN_KEY;
                continue;
            }
            jobs[nj] = (e2e_job){.keys = s->ks, .in = s->r.data, .in_len = s->r.len,
                                 .out = s->r.data, .out_cap = s->r.len, .op = E2E_OPEN,
                                 .user = s};
            nj++;
        }
        if (n == 0)
            break;
        if (nj && e2e_batch_run(&eng, jobs, nj, &scratch) != E2E_OK) {
            fputs("e2ecrypt: internal error: e2e_batch_run refused the batch\n", stderr);
            exit(2);
        }
        for (size_t j = 0; j < nj; j++) {
            struct open_slot *s = jobs[j].user;
            s->st = jobs[j].status;
            s->pt = jobs[j].out;
            s->pt_len = jobs[j].out_len;
        }
        for (size_t i = 0; i < n; i++) {
            struct open_slot *s = &slots[i];
            const char *mode = s->ks ? e2e_suite_mode_name(e2e_keyset_suite(s->ks)) : NULL;
            const uint8_t *ki = s->ki_len ? s->ki : NULL;
            rec_format_open(&sb, &s->r, s->st, mode, ki, s->ki_len, s->pt, s->pt_len);
            count(&cnt, s->st);
        }
        io_write(&io, &sb);
    }
    double secs = cli_now() - t0;

    rc = io_close(&io);
    if (o[3].value)
        print_stats("open", &cnt, secs, &eng, &kr, kr_secs);
    for (size_t i = 0; i < CLI_BATCH; i++)
        rec_free(&slots[i].r);
    free(slots);
    sb_free(&sb);
    keyring_free(&kr);
    if (rc)
        return rc;
    return cnt.by[E2E_OK] == cnt.records ? 0 : 1;
}

/* ------------------------------------------------------------ seal */

struct seal_slot {
    struct rec r;
    e2e_status st;
    uint8_t *out;
    size_t out_cap, out_len;
};

static int cmd_seal(int argc, char **argv)
{
    struct cli_opt o[] = {{"keys", 1, NULL}, {"uid", 1, NULL},   {"ki", 1, NULL},
                          {"in", 1, NULL},   {"out", 1, NULL},   {"stats", 0, NULL},
                          {"impl", 1, NULL}};
    static e2e_scratch scratch;
    e2e_engine eng;
    struct keyring kr;
    struct io io;
    struct strbuf sb = {0};
    struct counts cnt = {0};
    struct seal_slot *slots;
    e2e_job jobs[CLI_BATCH];
    const e2e_keyset *ks;
    size_t npos;
    double kr_secs = 0, t0;
    int rc;

    rc = cli_parse_opts("seal", argc, argv, o, 7, NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_seal, 1);
        return 0;
    }
    if (rc)
        return rc;
    if (!o[1].value == !o[2].value)
        return cli_usage_error("seal", "give exactly one of --uid UID and --ki HEX");
    if (o[2].value) {
        /* Check the KI's hex before loading anything. */
        const char *s = o[2].value;
        size_t n = strlen(s), bad;
        uint8_t tmp[E2E_KI_MAX];
        cli_trim(&s, &n);
        if (cli_hex_decode(tmp, sizeof tmp, s, n, 0, &bad) <= 0)
            return cli_usage_error("seal", "--ki %s: not a KI in hex (12 or 16 bytes)",
                                   o[2].value);
    }
    if ((rc = load_keys("seal", &kr, &eng, o[0].value, o[6].value, &kr_secs)) != 0)
        return rc;
    if (o[1].value) {
        const char *s = o[1].value;
        size_t n = strlen(s);
        char *uid;
        cli_trim(&s, &n);
        uid = cli_xrealloc(NULL, n + 1);
        memcpy(uid, s, n);
        uid[n] = '\0';
        if (keyring_index_uid(&kr) != 0)
            cli_oom();
        ks = keyring_find_uid(&kr, uid);
        free(uid);
        if (!ks) {
            fprintf(stderr, "e2ecrypt: seal: ROTPublicUID %s is not in keyring %s\n",
                    o[1].value, o[0].value);
            keyring_free(&kr);
            return 2;
        }
    } else {
        const char *s = o[2].value;
        size_t n = strlen(s), bad;
        uint8_t ki[E2E_KI_MAX];
        long kl;
        cli_trim(&s, &n);
        kl = cli_hex_decode(ki, sizeof ki, s, n, 0, &bad);
        if (keyring_index_ki(&kr, stderr) != 0)
            cli_oom();
        ks = keyring_find_ki(&kr, ki, (size_t)kl);
        if (!ks) {
            fprintf(stderr, "e2ecrypt: seal: KI %s is not in keyring %s\n", o[2].value,
                    o[0].value);
            keyring_free(&kr);
            return 2;
        }
    }
    if ((rc = io_open(&io, o[3].value, o[4].value)) != 0) {
        keyring_free(&kr);
        return rc;
    }
    slots = calloc(CLI_BATCH, sizeof slots[0]);
    if (!slots)
        cli_oom();

    t0 = cli_now();
    for (;;) {
        size_t n = 0, nj = 0;
        ssize_t len;
        while (n < CLI_BATCH && (len = io_next(&io)) >= 0) {
            struct seal_slot *s = &slots[n];
            size_t need;
            if (!rec_parse(&s->r, io.line, (size_t)len, 0))
                continue;
            s->r.line = io.lineno;
            s->out_len = 0;
            n++;
            if (s->r.bad) {
                s->st = E2E_ERR_MALFORMED;
                continue;
            }
            need = e2e_seal_len(ks, s->r.len);
            if (need < s->r.len) { /* overflow: no such message */
                s->st = E2E_ERR_MALFORMED;
                continue;
            }
            if (need > s->out_cap) {
                s->out = cli_xrealloc(s->out, need);
                s->out_cap = need;
            }
            jobs[nj] = (e2e_job){.keys = ks, .in = s->r.data, .in_len = s->r.len,
                                 .out = s->out, .out_cap = s->out_cap, .op = E2E_SEAL,
                                 .user = s};
            nj++;
        }
        if (n == 0)
            break;
        if (nj && e2e_batch_run(&eng, jobs, nj, &scratch) != E2E_OK) {
            fputs("e2ecrypt: internal error: e2e_batch_run refused the batch\n", stderr);
            exit(2);
        }
        for (size_t j = 0; j < nj; j++) {
            struct seal_slot *s = jobs[j].user;
            s->st = jobs[j].status;
            s->out_len = jobs[j].out_len;
        }
        for (size_t i = 0; i < n; i++) {
            struct seal_slot *s = &slots[i];
            if (s->st == E2E_OK)
                sb_hex(&sb, s->out, s->out_len);
            else
                sb_puts(&sb, e2e_status_name(s->st));
            sb_putc(&sb, '\n');
            count(&cnt, s->st);
        }
        io_write(&io, &sb);
    }
    double secs = cli_now() - t0;

    rc = io_close(&io);
    if (o[5].value)
        print_stats("seal", &cnt, secs, &eng, &kr, kr_secs);
    for (size_t i = 0; i < CLI_BATCH; i++) {
        rec_free(&slots[i].r);
        free(slots[i].out);
    }
    free(slots);
    sb_free(&sb);
    keyring_free(&kr);
    if (rc)
        return rc;
    return cnt.by[E2E_OK] == cnt.records ? 0 : 1;
}

/* ------------------------------------------------------------ xor */

static int cmd_xor(int argc, char **argv)
{
    struct cli_opt o[] = {{"key", 1, NULL}, {"legacy", 0, NULL}, {"in", 1, NULL},
                          {"out", 1, NULL}};
    struct io io;
    struct strbuf sb = {0};
    struct rec r = {0};
    uint8_t *key, *out = NULL;
    size_t npos, out_cap = 0, nbad = 0, bad;
    long klen;
    int legacy, rc;
    ssize_t len;

    rc = cli_parse_opts("xor", argc, argv, o, 4, NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_xor, 0);
        return 0;
    }
    if (rc)
        return rc;
    legacy = o[1].value != NULL;
    if (!o[0].value)
        return cli_usage_error("xor", "--key HEX is required");
    {
        const char *s = o[0].value;
        size_t n = strlen(s);
        cli_trim(&s, &n);
        key = cli_xrealloc(NULL, n / 2 + 1);
        klen = cli_hex_decode(key, n / 2 + 1, s, n, legacy, &bad);
        if (klen <= 0) {
            free(key);
            return cli_usage_error("xor", "--key: %s", klen == -2 ? "odd number of hex digits"
                                   : klen == 0 ? "empty" : "not hex");
        }
    }
    if ((rc = io_open(&io, o[2].value, o[3].value)) != 0) {
        free(key);
        return rc;
    }
    while ((len = io_next(&io)) >= 0) {
        e2e_status st;
        int lossy = 0;
        if (!rec_parse(&r, io.line, (size_t)len, legacy))
            continue;
        if (r.bad) {
            nbad++;
            sb_puts(&sb, "malformed\n");
            continue;
        }
        if (r.len + 1 > out_cap) { /* + 1: never NULL, even for no bytes */
            out = cli_xrealloc(out, r.len + 1);
            out_cap = r.len + 1;
        }
        if (legacy)
            st = e2e_sigfox_xor_legacy(out, &lossy, key, (size_t)klen, r.data, r.len);
        else
            st = e2e_sigfox_xor(out, key, (size_t)klen, r.data, r.len);
        if (st != E2E_OK) {
            nbad++;
            sb_puts(&sb, e2e_status_name(st));
            sb_putc(&sb, '\n');
            continue;
        }
        if (legacy && (r.digits & 1)) {
            /* Drop the implied leading nibble: the result is below
             * 2^bitlen(in) <= 16^digits, so that nibble is 0. */
            size_t at = sb.len;
            sb_hex(&sb, out, r.len);
            memmove(sb.p + at, sb.p + at + 1, sb.len - at - 1);
            sb.len--;
        } else {
            sb_hex(&sb, out, r.len);
        }
        sb_putc(&sb, '\n');
        if (lossy)
            fprintf(stderr, "e2ecrypt xor: warning: line %zu: the legacy result has fewer "
                    "significant bits than the input, so the blog's decryption will not "
                    "give the input back\n", io.lineno);
        if (sb.len >= CLI_IOBUF / 2)
            io_write(&io, &sb);
    }
    io_write(&io, &sb);
    rc = io_close(&io);
    rec_free(&r);
    cli_wipe(key, (size_t)klen);
    free(key);
    if (out)
        cli_wipe(out, out_cap);
    free(out);
    sb_free(&sb);
    if (rc)
        return rc;
    return nbad ? 1 : 0;
}

/* ------------------------------------------------------------ ki */

static int cmd_ki(int argc, char **argv)
{
    const char *pos[1];
    size_t npos, n, bad, ki_len;
    e2e_rotation rot;
    uint8_t *b;
    long got;
    char hex[2 * E2E_KI_MAX + 1];
    int rc = cli_parse_opts("ki", argc, argv, NULL, 0, pos, 1, &npos);
    if (rc == 1) {
        print_help(help_ki, 0);
        return 0;
    }
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage_error("ki", "give the KI (or a message) in hex");
    const char *s = pos[0];
    n = strlen(s);
    cli_trim(&s, &n);
    b = cli_xrealloc(NULL, n / 2 + 1);
    got = cli_hex_decode(b, n / 2 + 1, s, n, 0, &bad);
    if (got < 0 || e2e_ki_decode(&ki_len, &rot, b, (size_t)got) != E2E_OK) {
        free(b);
        printf("{\"status\":\"%s\"}\n", e2e_status_name(E2E_ERR_MALFORMED));
        return 1;
    }
    *cli_hex_encode(hex, b, ki_len) = '\0';
    printf("{\"mode\":\"%s\",\"ki_len\":%zu,\"ki\":\"%s\"}\n", e2e_rotation_name(rot), ki_len,
           hex);
    free(b);
    return 0;
}

/* ------------------------------------------------------------ bench */

static int cmd_bench(int argc, char **argv)
{
    struct cli_opt o[] = {{"seconds", 1, NULL}, {"impl", 1, NULL}};
    size_t npos;
    e2e_engine eng;
    double secs = 0.05;
    int rc = cli_parse_opts("bench", argc, argv, o, 2, NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_bench, 1);
        return 0;
    }
    if (rc)
        return rc;
    if (o[0].value) {
        char *end;
        secs = strtod(o[0].value, &end);
        if (*end || !(secs > 0 && secs <= 60))
            return cli_usage_error("bench", "--seconds takes a number in (0, 60]");
    }
    if ((rc = cli_engine(&eng, o[1].value)) != 0)
        return rc;
    return e2e_quick_bench(stdout, &eng, secs) == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    const char *cmd;
    int rc;

    keyring_wiping_alloc();
    if (argc < 2)
        return cli_usage_error(NULL, "no command given");
    cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        print_help(help_top, 1);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        e2e_engine eng;
        if ((rc = cli_engine(&eng, NULL)) != 0)
            return rc;
        printf("e2ecrypt %s (engine: %s)\n", E2E_VERSION, e2e_engine_name(&eng));
        return 0;
    }
    if (!strcmp(cmd, "open"))
        rc = cmd_open(argc - 2, argv + 2);
    else if (!strcmp(cmd, "seal"))
        rc = cmd_seal(argc - 2, argv + 2);
    else if (!strcmp(cmd, "xor"))
        rc = cmd_xor(argc - 2, argv + 2);
    else if (!strcmp(cmd, "ki"))
        rc = cmd_ki(argc - 2, argv + 2);
    else if (!strcmp(cmd, "gen"))
        rc = cmd_gen(argc - 2, argv + 2);
    else if (!strcmp(cmd, "bench"))
        rc = cmd_bench(argc - 2, argv + 2);
    else if (cmd[0] == '-')
        rc = cli_usage_error(NULL, "unknown option '%s'", cmd);
    else
        rc = cli_usage_error(NULL, "unknown command '%s'", cmd);
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "e2ecrypt: writing stdout failed: %s\n", strerror(errno));
        rc = 2;
    }
    return rc;
}
