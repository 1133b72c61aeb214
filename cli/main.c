/* main.c — the e2ecrypt command-line tool: open, seal, xor, ki, gen, bench.
 *
 * The tool is the one place in e2ecrypt that allocates. open, seal and xor
 * stream (stream.c): the input is read in blocks of about a megabyte, cut
 * at line ends, and each block's records are parsed into reused slots
 * (records.c), run through the engine's batch API in groups of CLI_BATCH with
 * a caller-owned scratch per thread, and formatted into the block's result
 * text, which is written with one write() per block, in input order. Memory
 * is a fixed ring of blocks, whatever the input's size. With --fetch, key
 * sets missing from the keyring are fetched from the REST API, once per key,
 * and appended to the keyring file (fetch.c). Key material decoded from the
 * keyring is wiped once the key sets are expanded (keyring.c), and every key
 * set is cleared at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "e2ecrypt.h"

#include "quick.h"
#include "cli.h"
#include "fetch.h"
#include "hex.h"
#include "keyring.h"
#include "records.h"
#include "stream.h"

/* Records per e2e_batch_run call. */
#define CLI_BATCH 256

/* ------------------------------------------------------------ help */

static const char help_top[] =
    "e2ecrypt - open and seal u-blox Thingstream end-to-end protected payloads\n"
    "\n"
    "Usage:\n"
    "  e2ecrypt open --keys FILE [--in FILE] [--out FILE] [--stats] [--impl NAME]\n"
    "                [--threads N] [--progress] [--fetch URL [--token-file FILE]\n"
    "                [--integrity] [--fetch-jobs N] [--fetch-timeout S]\n"
    "                [--fetch-retries N]]\n"
    "  e2ecrypt seal --keys FILE (--uid UID | --ki HEX) [--in FILE] [--out FILE]\n"
    "                [--stats] [--impl NAME] [--threads N] [--progress]\n"
    "                [--fetch URL [--token-file FILE] [--integrity] ...]\n"
    "  e2ecrypt xor  --key HEX [--legacy] [--in FILE] [--out FILE] [--threads N]\n"
    "                [--progress]\n"
    "  e2ecrypt ki   HEX\n"
    "  e2ecrypt gen  --keys-out FILE --records-out FILE [--count N] [--devices D]\n"
    "                [--seed S]\n"
    "  e2ecrypt bench [--seconds S] [--impl NAME] [--keys FILE --in FILE]\n"
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
    "per line to --out (default: stdout), in input order, streaming: any input\n"
    "size runs in the same memory, on --threads N threads (default: every CPU\n"
    "this process may use). A record is bare hex\n"
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
    "                     [--threads N] [--progress] [--fetch URL [--token-file FILE]\n"
    "                     [--integrity] [--fetch-jobs N] [--fetch-timeout S]\n"
    "                     [--fetch-retries N]]\n"
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
    "  --keys FILE   the keyring (required; with --fetch also the cache, created\n"
    "                when missing)\n"
    "  --in FILE     records (default: stdin; '-' also means stdin)\n"
    "  --out FILE    results (default: stdout; '-' also means stdout)\n"
    "  --stats       at the end, one line on stderr: records, ok, failures by\n"
    "                status, time and records per second, the engine used\n"
    "  --impl NAME   force an engine implementation (also: E2E_IMPL=NAME)\n"
    "  --threads N   worker threads (default: the CPUs available); results stay\n"
    "                in input order whatever N\n"
    "  --progress    records/s and ok/failed counts on stderr while running (the\n"
    "                default when stderr is a terminal)\n"
    "\n"
    "Streaming: the input is read in blocks of about 1 MiB, cut at line ends,\n"
    "and the results of each block are written with one write(), so memory stays\n"
    "the same for any input size (a fixed ring of 2N + 2 blocks; a line over\n"
    "16 MiB is reported malformed, without its id).\n"
    "\n"
    "Fetching key sets (Thingstream REST API):\n"
    "  --fetch URL          the API base, e.g. https://ssapi.services.u-blox.com/v1.\n"
    "                       For a KI the keyring lacks, POST\n"
    "                       URL/e2e/uplink/protectionparameters/get with\n"
    "                       {\"EncryptedHeader\":\"<KI hex>\"}; the answer is checked\n"
    "                       like a keyring entry, appended (with its EncryptedHeader)\n"
    "                       to --keys and synced to disk, then the record is opened.\n"
    "                       Every request is charged: each KI is asked for once, in\n"
    "                       this run and (cached in --keys) in every later one.\n"
    "  --token-file FILE    the Authorization token (else $E2E_API_TOKEN)\n"
    "  --integrity          ask .../integrityparameters/get instead\n"
    "  --fetch-jobs N       requests at once (default 4)\n"
    "  --fetch-timeout S    seconds per request (default 10)\n"
    "  --fetch-retries N    retries of a request after a 5xx, 408, 429, time-out or\n"
    "                       connection error, with exponential backoff (default 5)\n"
    "A KI the API rejects (another 4xx, or an answer that is not a valid key set)\n"
    "is unknown_key and not asked for again in this run. 401 or 403, or no answer\n"
    "after the last retry, stops the run with exit status 2 (the key sets fetched\n"
    "so far stay cached). With --fetch a summary line always ends the run:\n"
    "records, ok, failures by status, key sets fetched, charged requests, cache\n"
    "hits.\n"
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
    "                     [--stats] [--impl NAME] [--threads N] [--progress]\n"
    "                     [--fetch URL [--token-file FILE] [--integrity]\n"
    "                     [--fetch-timeout S] [--fetch-retries N]]\n"
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
    "  --in, --out, --stats, --impl, --threads, --progress  as for open\n"
    "  --fetch URL  when the keyring lacks the key set: for --uid, POST\n"
    "               URL/e2e/downlink/protectionparameters/get (with --integrity:\n"
    "               .../integrityparameters/get) with {\"ROTPublicUID\":\"<uid>\"};\n"
    "               for --ki, the uplink request open makes. The answer is checked,\n"
    "               appended to --keys and used; --token-file, --fetch-timeout and\n"
    "               --fetch-retries as for open.\n"
    "The UID or KI not being in the keyring (nor, with --fetch, known to the API)\n"
    "is an error (exit status 2).\n"
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
    "Usage: e2ecrypt xor --key HEX [--legacy] [--in FILE] [--out FILE] [--threads N]\n"
    "                    [--progress]\n"
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
    "  --in, --out, --threads, --progress  as for open\n"
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
    "Usage: e2ecrypt bench [--seconds S] [--impl NAME] [--keys FILE --in FILE]\n"
    "\n"
    "A quick, dependency-free run of the benchmark suite's workloads on this\n"
    "machine with e2ecrypt alone: open CCM with a new key set per message and\n"
    "with a reused one, open and seal CS1+HMAC, verify HMAC, Sigfox XOR; sizes\n"
    "5..16384 bytes; batches of 1, 16 and 256 messages. Prints messages/s,\n"
    "bytes/s and TSC ticks per byte per row. For the comparison with BoringSSL,\n"
    "OpenSSL and intel-ipsec-mb, run bench/run_bench.sh (README.md).\n"
    "\n"
    "With --keys and --in, instead: the engine's batched throughput on those\n"
    "records, as 'e2ecrypt open' would run them but with every record parsed\n"
    "and in memory beforehand: e2e_batch_run over CLI_BATCH (256) records per\n"
    "call, one thread, for at least S seconds (default 1), then one line:\n"
    "records, ok, passes, seconds and records per second. This is the yardstick\n"
    "for 'e2ecrypt open --threads 1' on the same file (parsing and formatting\n"
    "included there).\n"
    "\n"
    "Options:\n"
    "  --seconds S   time per row (default 0.05)\n"
    "  --impl NAME   force an engine implementation (also: E2E_IMPL=NAME)\n"
    "  --keys FILE, --in FILE  the records to time the engine on (see above)\n"
    "\n"
    "Example:\n"
    "  e2ecrypt bench --seconds 0.2\n"
    "  e2ecrypt bench --keys keys.ndjson --in records.txt\n";

static const char usage_top[] =
    "Usage: e2ecrypt open|seal|xor|ki|gen|bench [OPTIONS]   (e2ecrypt --help for more)\n";

static const char *cmd_synopsis(const char *cmd)
{
    if (!cmd)
        return usage_top;
    if (!strcmp(cmd, "open"))
        return "Usage: e2ecrypt open --keys FILE [--in FILE] [--out FILE] [--stats] "
               "[--impl NAME] [--threads N] [--progress] [--fetch URL [--token-file FILE] "
               "[--integrity] [--fetch-jobs N] [--fetch-timeout S] [--fetch-retries N]]\n";
    if (!strcmp(cmd, "seal"))
        return "Usage: e2ecrypt seal --keys FILE (--uid UID | --ki HEX) [--in FILE] "
               "[--out FILE] [--stats] [--impl NAME] [--threads N] [--progress] "
               "[--fetch URL [--token-file FILE] [--integrity] [--fetch-timeout S] "
               "[--fetch-retries N]]\n";
    if (!strcmp(cmd, "xor"))
        return "Usage: e2ecrypt xor --key HEX [--legacy] [--in FILE] [--out FILE] "
               "[--threads N] [--progress]\n";
    if (!strcmp(cmd, "ki"))
        return "Usage: e2ecrypt ki HEX\n";
    if (!strcmp(cmd, "gen"))
        return "Usage: e2ecrypt gen --keys-out FILE --records-out FILE [--count N] "
               "[--devices D] [--seed S]\n";
    if (!strcmp(cmd, "bench"))
        return "Usage: e2ecrypt bench [--seconds S] [--impl NAME] [--keys FILE --in FILE]\n";
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

/* ------------------------------------------------------------ I/O */

/* io holds a command's record input and result output descriptors. */
struct io {
    int in_fd, out_fd;
    const char *in_name, *out_name;
};

static int io_open(struct io *io, const char *in, const char *out)
{
    memset(io, 0, sizeof *io);
    io->in_name = in && strcmp(in, "-") ? in : "stdin";
    io->out_name = out && strcmp(out, "-") ? out : "stdout";
    io->in_fd = in && strcmp(in, "-") ? open(in, O_RDONLY | O_CLOEXEC) : 0;
    if (io->in_fd < 0) {
        fprintf(stderr, "e2ecrypt: --in %s: %s\n", in, strerror(errno));
        return 2;
    }
    io->out_fd = out && strcmp(out, "-")
                     ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)
                     : 1;
    if (io->out_fd < 0) {
        fprintf(stderr, "e2ecrypt: --out %s: %s\n", out, strerror(errno));
        if (io->in_fd != 0)
            close(io->in_fd);
        return 2;
    }
    return 0;
}

/* io_close closes the files; returns 0, or 2 after reporting an error. */
static int io_close(struct io *io)
{
    int rc = 0;
    if (io->in_fd != 0)
        close(io->in_fd);
    if (io->out_fd != 1 && close(io->out_fd) != 0) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", io->out_name, strerror(errno));
        rc = 2;
    }
    return rc;
}

static void rate_text(char *buf, size_t cap, double rate)
{
    if (rate >= 1e6)
        snprintf(buf, cap, "%.2f M", rate / 1e6);
    else if (rate >= 1e3)
        snprintf(buf, cap, "%.1f k", rate / 1e3);
    else
        snprintf(buf, cap, "%.0f", rate);
}

/* print_stats prints the summary line; extra (may be "") goes at its end. */
static void print_stats(const char *cmd, const struct counts *c, double secs, double cpu,
                        const e2e_engine *eng, unsigned threads, const struct keyring *kr,
                        double kr_secs, const char *extra)
{
    double rate = (double)c->records / (secs > 1e-9 ? secs : 1e-9);
    char rbuf[32];
    size_t failed = c->records - c->by[E2E_OK];

    rate_text(rbuf, sizeof rbuf, rate);
    fprintf(stderr, "e2ecrypt %s: %zu records, %zu ok, %zu failed (%zu auth_failed, "
            "%zu unknown_key, %zu malformed", cmd, c->records, c->by[E2E_OK], failed,
            c->by[E2E_ERR_AUTH], c->by[E2E_ERR_UNKNOWN_KEY], c->by[E2E_ERR_MALFORMED]);
    if (c->by[E2E_ERR_UNSUPPORTED])
        fprintf(stderr, ", %zu unsupported", c->by[E2E_ERR_UNSUPPORTED]);
    if (c->by[E2E_ERR_PARAM] + c->by[E2E_ERR_CPU])
        fprintf(stderr, ", %zu other", c->by[E2E_ERR_PARAM] + c->by[E2E_ERR_CPU]);
    fprintf(stderr, ") in %.3f s, %s records/s, engine %s, %u thread%s, cpu %.3f s; keyring "
            "%zu key sets loaded in %.3f s%s\n", secs, rbuf, e2e_engine_name(eng), threads,
            threads == 1 ? "" : "s", cpu, kr->n, kr_secs, extra);
}

/* ------------------------------------------------------------ options */

/* stream_opts are the options open, seal and xor share. */
struct stream_opts {
    unsigned threads;
    int progress;
};

static int parse_uint(const char *cmd, const char *opt, const char *s, unsigned long lo,
                      unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < lo || v > hi)
        return cli_usage_error(cmd, "--%s %s: expected a whole number from %lu to %lu", opt,
                               s, lo, hi);
    *out = v;
    return 0;
}

static int parse_secs(const char *cmd, const char *opt, const char *s, double lo, double hi,
                      double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi))
        return cli_usage_error(cmd, "--%s %s: expected seconds from %g to %g", opt, s, lo, hi);
    *out = v;
    return 0;
}

static int stream_options(const char *cmd, const char *threads, const char *progress,
                          struct stream_opts *so)
{
    unsigned long n = stream_cores();
    if (n > STREAM_THREADS_MAX)
        n = STREAM_THREADS_MAX;
    if (threads && parse_uint(cmd, "threads", threads, 1, STREAM_THREADS_MAX, &n))
        return 2;
    so->threads = (unsigned)n;
    so->progress = isatty(2) ? 1 : progress ? 2 : 0;
    return 0;
}

/* fetch_opts: the --fetch options of open and seal (indexes into opts). */
struct fetch_opts {
    const char *url, *token_file, *integrity, *jobs, *timeout, *retries;
};

/* read_token reads the API token (--token-file, else E2E_API_TOKEN) into a
 * malloc'd string. Returns 0 or 2. */
static int read_token(const char *cmd, const char *file, char **out)
{
    char buf[8192];
    const char *s;
    size_t n;

    *out = NULL;
    if (file) {
        FILE *f = fopen(file, "rb");
        if (!f) {
            fprintf(stderr, "e2ecrypt: --token-file %s: %s\n", file, strerror(errno));
            return 2;
        }
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        if (n == sizeof buf) {
            fprintf(stderr, "e2ecrypt: --token-file %s: too long for a token\n", file);
            return 2;
        }
        s = buf;
    } else {
        s = getenv("E2E_API_TOKEN");
        if (!s || !*s)
            return cli_usage_error(cmd, "--fetch needs the API token: --token-file FILE or "
                                   "the environment variable E2E_API_TOKEN");
        n = strlen(s);
        if (n >= sizeof buf) {
            fputs("e2ecrypt: E2E_API_TOKEN: too long for a token\n", stderr);
            return 2;
        }
        memcpy(buf, s, n);
        s = buf;
    }
    cli_trim(&s, &n);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            fprintf(stderr, "e2ecrypt: the API token (%s) holds a control character\n",
                    file ? file : "E2E_API_TOKEN");
            cli_wipe(buf, sizeof buf);
            return 2;
        }
    }
    if (n == 0) {
        fprintf(stderr, "e2ecrypt: the API token (%s) is empty\n", file ? file : "E2E_API_TOKEN");
        return 2;
    }
    *out = cli_xrealloc(NULL, n + 1);
    memcpy(*out, s, n);
    (*out)[n] = '\0';
    cli_wipe(buf, sizeof buf);
    return 0;
}

/* fetch_config checks the --fetch options into cfg (token malloc'd in
 * *token). Returns 0, or 2 after a usage error. */
static int fetch_config(const char *cmd, const struct fetch_opts *fo, const char *keys,
                        int downlink, struct fetch_cfg *cfg, char **token)
{
    unsigned long jobs = 4, retries = 5;
    double timeout = 10;

    *token = NULL;
    if (!fo->url) {
        if (fo->token_file || fo->integrity || fo->jobs || fo->timeout || fo->retries)
            return cli_usage_error(cmd, "--token-file, --integrity and --fetch-* need --fetch "
                                   "URL");
        return 0;
    }
    if (strncmp(fo->url, "http://", 7) != 0 && strncmp(fo->url, "https://", 8) != 0)
        return cli_usage_error(cmd, "--fetch %s: expected an http:// or https:// URL", fo->url);
    if ((fo->jobs && parse_uint(cmd, "fetch-jobs", fo->jobs, 1, 64, &jobs)) ||
        (fo->retries && parse_uint(cmd, "fetch-retries", fo->retries, 0, 20, &retries)) ||
        (fo->timeout && parse_secs(cmd, "fetch-timeout", fo->timeout, 0.01, 3600, &timeout)))
        return 2;
    if (read_token(cmd, fo->token_file, token) != 0)
        return 2;
    memset(cfg, 0, sizeof *cfg);
    cfg->base_url = fo->url;
    cfg->token = *token;
    cfg->integrity = fo->integrity != NULL;
    cfg->downlink = downlink;
    cfg->jobs = (unsigned)jobs;
    cfg->timeout = timeout;
    cfg->retries = (unsigned)retries;
    cfg->backoff = 0.1;
    cfg->keys_path = keys;
    return 0;
}

static void free_token(char *token)
{
    if (token) {
        cli_wipe(token, strlen(token));
        free(token);
    }
}

/* load_keys initialises the engine and loads the keyring (with fetch: also
 * the cache, created when missing, torn tail left out). Returns 0 or 2. */
static int load_keys(const char *cmd, struct keyring *kr, e2e_engine *eng,
                     const char *keys, const char *impl, int fetch, double *secs)
{
    char err[512];
    double t0;
    int rc;
    if (!keys)
        return cli_usage_error(cmd, "--keys FILE is required");
    if ((rc = cli_engine(eng, impl)) != 0)
        return rc;
    if (fetch && fetch_create_keys(keys) != 0) {
        fprintf(stderr, "e2ecrypt: --keys %s: cannot create it: %s\n", keys, strerror(errno));
        return 2;
    }
    t0 = cli_now();
    if (keyring_load_opts(kr, eng, keys, fetch ? KR_ALLOW_EMPTY | KR_SKIP_TORN : 0, err,
                          sizeof err) != 0) {
        fprintf(stderr, "e2ecrypt: %s\n", err);
        keyring_free(kr);
        return 2;
    }
    *secs = cli_now() - t0;
    return 0;
}

/* fetch_summary writes "; fetch: ..." for the summary line. */
static void fetch_summary(struct fetcher *f, size_t hits, char *buf, size_t cap)
{
    struct fetch_stats st;
    if (!f) {
        buf[0] = '\0';
        return;
    }
    fetcher_stats(f, &st);
    snprintf(buf, cap, "; fetch: %zu key sets fetched, %zu charged requests (%zu retries), "
             "%zu keys rejected, %zu cache hits", st.fetched, st.requests, st.retries,
             st.rejected, hits);
}

static void fetch_progress(void *arg, char *buf, size_t cap)
{
    struct fetcher *f = *(struct fetcher **)arg;
    struct fetch_stats st;
    if (!f)
        return;
    fetcher_stats(f, &st);
    snprintf(buf, cap, "%zu key sets fetched, %zu requests", st.fetched, st.requests);
}

/* ------------------------------------------------------------ open */

struct open_ctx {
    struct fetcher *f;        /* first: fetch_progress reads it */
    const e2e_engine *eng;
    const struct keyring *kr;
};

struct open_slot {
    struct rec r;
    e2e_status st;
    const e2e_keyset *ks;     /* the key set found, or NULL */
    struct fetch_entry *fe;   /* a fetch to wait for, or NULL */
    uint8_t ki[E2E_KI_MAX];
    size_t ki_len;            /* 0: the KI could not be read */
    uint64_t hash;            /* the KI's index hash */
    size_t pt_len;
};

/* Names (and lengths) of the status tokens and suite modes, looked up
 * once per worker rather than per record. */
#define OPEN_NAMES (E2E_ERR_CPU + 1)
#define OPEN_MODES (E2E_SUITE_HMAC_SHA256 + 1)

struct open_worker {
    const struct open_ctx *ctx;
    e2e_scratch *scratch;
    const char *status[OPEN_NAMES], *mode[OPEN_MODES];
    size_t status_len[OPEN_NAMES], mode_len[OPEN_MODES];
    struct open_slot slots[CLI_BATCH];
    e2e_job jobs[CLI_BATCH];
    struct fetch_entry *pend[CLI_BATCH];
};

/* worker_alloc allocates a zeroed worker of size bytes with its own
 * e2e_scratch at *scratch; NULL (nothing left allocated) when out of memory. */
static void *worker_alloc(size_t size, e2e_scratch **scratch)
{
    void *w = calloc(1, size);
    if (!w)
        return NULL;
    *scratch = aligned_alloc(alignof(e2e_scratch), sizeof(e2e_scratch));
    if (!*scratch) {
        free(w);
        return NULL;
    }
    return w;
}

/* worker_release wipes the plaintext of n record slots spaced stride bytes
 * apart from first and the scratch, then frees them and the worker. */
static void worker_release(void *w, struct rec *first, size_t stride, size_t n,
                           e2e_scratch *scratch)
{
    for (size_t i = 0; i < n; i++) {
        struct rec *r = (struct rec *)(void *)((char *)first + i * stride);
        cli_wipe(r->data, r->cap); /* plaintext */
        rec_free(r);
    }
    cli_wipe(scratch, sizeof *scratch);
    free(scratch);
    free(w);
}

static void *open_worker_new(void *arg)
{
    e2e_scratch *scratch;
    struct open_worker *w = worker_alloc(sizeof *w, &scratch);
    if (!w)
        return NULL;
    w->ctx = arg;
    w->scratch = scratch;
    for (int i = 0; i < OPEN_NAMES; i++) {
        w->status[i] = e2e_status_name((e2e_status)i);
        w->status_len[i] = strlen(w->status[i]);
    }
    for (int i = 0; i < OPEN_MODES; i++) {
        w->mode[i] = e2e_suite_mode_name((e2e_suite)i);
        w->mode_len[i] = w->mode[i] ? strlen(w->mode[i]) : 0;
    }
    return w;
}

static void open_worker_free(void *p)
{
    struct open_worker *w = p;
    worker_release(w, &w->slots[0].r, sizeof w->slots[0], CLI_BATCH, w->scratch);
}

/* open_flush finds the key sets of slots[0..n) (fetching the missing
 * ones), opens them in one batch and appends their results to c. Returns 0
 * or -1 (stop). */
static int open_flush(struct open_worker *w, struct chunk *c, size_t n)
{
    const struct open_ctx *x = w->ctx;
    size_t nj = 0, npend = 0;

    /* Key sets: the index slots were prefetched while parsing. */
    for (size_t i = 0; i < n; i++) {
        struct open_slot *s = &w->slots[i];
        if (!s->ki_len)
            continue;
        s->ks = keyring_find_ki_hashed(x->kr, s->ki, s->ki_len, s->hash);
        if (s->ks) {
            c->hits++;
        } else if (x->f) {
            int ready;
            struct fetch_entry *e = fetch_request(x->f, s->ki, s->ki_len, &ready);
            if (ready) {
                s->ks = fetch_keyset(e);
                c->hits += s->ks != NULL;
            } else {
                s->fe = e;
                w->pend[npend++] = e;
            }
        }
        if (!s->ks && !s->fe)
            s->st = E2E_ERR_UNKNOWN_KEY;
    }
    if (npend && fetch_wait(x->f, w->pend, npend) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct open_slot *s = &w->slots[i];
        if (s->fe) {
            s->ks = fetch_keyset(s->fe);
            s->fe = NULL;
            if (!s->ks)
                s->st = E2E_ERR_UNKNOWN_KEY;
        }
        if (s->ks)
            w->jobs[nj++] = (e2e_job){.keys = s->ks, .in = s->r.data, .in_len = s->r.len,
                                      .out = s->r.data, .out_cap = s->r.len, .op = E2E_OPEN,
                                      .user = s};
    }
    if (nj && e2e_batch_run(x->eng, w->jobs, nj, w->scratch) != E2E_OK) {
        fputs("e2ecrypt: internal error: e2e_batch_run refused the batch\n", stderr);
        exit(2);
    }
    for (size_t j = 0; j < nj; j++) {
        struct open_slot *s = w->jobs[j].user;
        s->st = w->jobs[j].status;
        s->pt_len = w->jobs[j].out_len;
    }
    for (size_t i = 0; i < n; i++) {
        struct open_slot *s = &w->slots[i];
        unsigned suite = s->ks ? (unsigned)e2e_keyset_suite(s->ks) : 0;
        const char *mode = suite < OPEN_MODES ? w->mode[suite] : NULL;
        size_t mode_len = suite < OPEN_MODES ? w->mode_len[suite] : 0;
        if ((unsigned)s->st < OPEN_NAMES)
            rec_format_open_n(&c->out, &s->r, s->st, w->status[s->st], w->status_len[s->st],
                              mode, mode_len, s->ki_len ? s->ki : NULL, s->ki_len, s->r.data,
                              s->pt_len);
        else
            rec_format_open(&c->out, &s->r, s->st, mode, s->ki_len ? s->ki : NULL, s->ki_len,
                            s->r.data, s->pt_len);
        counts_add(&c->cnt, s->st);
    }
    return 0;
}

static int open_process(void *p, struct chunk *c)
{
    struct open_worker *w = p;
    const struct open_ctx *x = w->ctx;
    const char *q = c->in, *end = c->in + c->in_len;
    size_t n = 0;

    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t len = nl ? (size_t)(nl - q) : (size_t)(end - q);
        struct open_slot *s = &w->slots[n];
        e2e_rotation rot;
        const char *line = q;

        q = nl ? nl + 1 : end;
        if (!rec_parse(&s->r, line, len, 0))
            continue;
        s->ks = NULL;
        s->fe = NULL;
        s->ki_len = 0;
        s->pt_len = 0;
        n++;
        if (s->r.bad || e2e_ki_decode(&s->ki_len, &rot, s->r.data, s->r.len) != E2E_OK) {
            s->ki_len = 0;
            s->st = E2E_ERR_MALFORMED;
        } else {
            if (s->ki_len == 16) /* (constant sizes: no call) */
                memcpy(s->ki, s->r.data, 16);
            else
                memcpy(s->ki, s->r.data, 12);
            s->hash = keyring_prefetch_ki(x->kr, s->ki, s->ki_len);
        }
        if (n == CLI_BATCH) {
            if (open_flush(w, c, n) != 0)
                return -1;
            n = 0;
        }
    }
    if (n && open_flush(w, c, n) != 0)
        return -1;
    return 0;
}

static int cmd_open(int argc, char **argv)
{
    struct cli_opt o[] = {{"keys", 1, NULL},        {"in", 1, NULL},
                          {"out", 1, NULL},         {"stats", 0, NULL},
                          {"impl", 1, NULL},        {"threads", 1, NULL},
                          {"progress", 0, NULL},    {"fetch", 1, NULL},
                          {"token-file", 1, NULL},  {"integrity", 0, NULL},
                          {"fetch-jobs", 1, NULL},  {"fetch-timeout", 1, NULL},
                          {"fetch-retries", 1, NULL}};
    e2e_engine eng;
    struct keyring kr;
    struct io io;
    struct stream_opts so;
    struct fetch_cfg fc;
    struct open_ctx ctx = {0};
    struct stream_cfg sc;
    struct stream_ops ops;
    struct stream_result res;
    char *token = NULL, extra[256];
    size_t npos;
    double kr_secs = 0;
    int rc, src;

    rc = cli_parse_opts("open", argc, argv, o, sizeof o / sizeof o[0], NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_open, 1);
        return 0;
    }
    if (rc)
        return rc;
    if (stream_options("open", o[5].value, o[6].value, &so))
        return 2;
    {
        struct fetch_opts fo = {o[7].value, o[8].value, o[9].value, o[10].value, o[11].value,
                                o[12].value};
        if (!o[0].value)
            return cli_usage_error("open", "--keys FILE is required");
        if (fetch_config("open", &fo, o[0].value, 0, &fc, &token))
            return 2;
    }
    if ((rc = load_keys("open", &kr, &eng, o[0].value, o[4].value, token != NULL,
                        &kr_secs)) != 0) {
        free_token(token);
        return rc;
    }
    if (keyring_index_ki(&kr, stderr) != 0)
        cli_oom();
    if ((rc = io_open(&io, o[1].value, o[2].value)) != 0) {
        keyring_free(&kr);
        free_token(token);
        return rc;
    }
    if (token && fetcher_open(&ctx.f, &fc, &eng, &kr) != 0) {
        io_close(&io);
        keyring_free(&kr);
        free_token(token);
        return 2;
    }
    ctx.eng = &eng;
    ctx.kr = &kr;
    sc = (struct stream_cfg){.cmd = "open", .in_fd = io.in_fd, .out_fd = io.out_fd,
                             .in_name = io.in_name, .out_name = io.out_name,
                             .threads = so.threads, .progress = so.progress};
    ops = (struct stream_ops){.arg = &ctx, .worker_new = open_worker_new,
                              .worker_free = open_worker_free, .process = open_process,
                              .progress_extra = ctx.f ? fetch_progress : NULL};
    src = stream_run(&sc, &ops, &res);
    rc = io_close(&io);
    if (o[3].value || ctx.f) {
        fetch_summary(ctx.f, res.hits, extra, sizeof extra);
        print_stats("open", &res.cnt, res.secs, res.cpu_secs, &eng, so.threads, &kr, kr_secs, extra);
    }
    /* (After a stop, the fetch threads see it and end within a second.) */
    fetcher_close(ctx.f);
    keyring_free(&kr);
    free_token(token);
    if (src)
        return src;
    if (rc)
        return rc;
    return res.cnt.by[E2E_OK] == res.cnt.records ? 0 : 1;
}

/* ------------------------------------------------------------ seal */

struct seal_ctx {
    struct fetcher *f;        /* first: fetch_progress reads it */
    const e2e_engine *eng;
    const e2e_keyset *ks;
};

struct seal_slot {
    struct rec r;
    e2e_status st;
    uint8_t *out;
    size_t out_cap, out_len;
};

struct seal_worker {
    const struct seal_ctx *ctx;
    e2e_scratch *scratch;
    struct seal_slot slots[CLI_BATCH];
    e2e_job jobs[CLI_BATCH];
};

static void *seal_worker_new(void *arg)
{
    e2e_scratch *scratch;
    struct seal_worker *w = worker_alloc(sizeof *w, &scratch);
    if (!w)
        return NULL;
    w->ctx = arg;
    w->scratch = scratch;
    return w;
}

static void seal_worker_free(void *p)
{
    struct seal_worker *w = p;
    for (size_t i = 0; i < CLI_BATCH; i++)
        free(w->slots[i].out);
    worker_release(w, &w->slots[0].r, sizeof w->slots[0], CLI_BATCH, w->scratch);
}

static void seal_flush(struct seal_worker *w, struct chunk *c, size_t n, size_t nj)
{
    if (nj && e2e_batch_run(w->ctx->eng, w->jobs, nj, w->scratch) != E2E_OK) {
        fputs("e2ecrypt: internal error: e2e_batch_run refused the batch\n", stderr);
        exit(2);
    }
    for (size_t j = 0; j < nj; j++) {
        struct seal_slot *s = w->jobs[j].user;
        s->st = w->jobs[j].status;
        s->out_len = w->jobs[j].out_len;
    }
    for (size_t i = 0; i < n; i++) {
        struct seal_slot *s = &w->slots[i];
        if (s->st == E2E_OK)
            sb_hex(&c->out, s->out, s->out_len);
        else
            sb_puts(&c->out, e2e_status_name(s->st));
        sb_putc(&c->out, '\n');
        counts_add(&c->cnt, s->st);
    }
}

static int seal_process(void *p, struct chunk *c)
{
    struct seal_worker *w = p;
    const e2e_keyset *ks = w->ctx->ks;
    const char *q = c->in, *end = c->in + c->in_len;
    size_t n = 0, nj = 0;

    while (q < end) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t len = nl ? (size_t)(nl - q) : (size_t)(end - q), need;
        struct seal_slot *s = &w->slots[n];
        const char *line = q;

        q = nl ? nl + 1 : end;
        if (!rec_parse(&s->r, line, len, 0))
            continue;
        s->out_len = 0;
        n++;
        need = s->r.bad ? 0 : e2e_seal_len(ks, s->r.len);
        if (s->r.bad || need < s->r.len) { /* need < len: overflow, no such message */
            s->st = E2E_ERR_MALFORMED;
        } else {
            if (need > s->out_cap) {
                s->out = cli_xrealloc(s->out, need);
                s->out_cap = need;
            }
            w->jobs[nj++] = (e2e_job){.keys = ks, .in = s->r.data, .in_len = s->r.len,
                                      .out = s->out, .out_cap = s->out_cap, .op = E2E_SEAL,
                                      .user = s};
        }
        if (n == CLI_BATCH) {
            seal_flush(w, c, n, nj);
            n = nj = 0;
        }
    }
    if (n)
        seal_flush(w, c, n, nj);
    c->hits = 0;
    return 0;
}

static int cmd_seal(int argc, char **argv)
{
    struct cli_opt o[] = {{"keys", 1, NULL},          {"uid", 1, NULL},
                          {"ki", 1, NULL},            {"in", 1, NULL},
                          {"out", 1, NULL},           {"stats", 0, NULL},
                          {"impl", 1, NULL},          {"threads", 1, NULL},
                          {"progress", 0, NULL},      {"fetch", 1, NULL},
                          {"token-file", 1, NULL},    {"integrity", 0, NULL},
                          {"fetch-timeout", 1, NULL}, {"fetch-retries", 1, NULL}};
    e2e_engine eng;
    struct keyring kr;
    struct io io;
    struct stream_opts so;
    struct fetch_cfg fc;
    struct seal_ctx ctx = {0};
    struct stream_cfg sc;
    struct stream_ops ops;
    struct stream_result res;
    const e2e_keyset *ks;
    char *token = NULL, extra[256];
    size_t npos, hits = 1;
    double kr_secs = 0;
    int rc, src;

    rc = cli_parse_opts("seal", argc, argv, o, sizeof o / sizeof o[0], NULL, 0, &npos);
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
    if (stream_options("seal", o[7].value, o[8].value, &so))
        return 2;
    {
        struct fetch_opts fo = {o[9].value, o[10].value, o[11].value, NULL, o[12].value,
                                o[13].value};
        if (!o[0].value)
            return cli_usage_error("seal", "--keys FILE is required");
        if (fetch_config("seal", &fo, o[0].value, o[1].value != NULL, &fc, &token))
            return 2;
        fc.jobs = 1;
    }
    if ((rc = load_keys("seal", &kr, &eng, o[0].value, o[6].value, token != NULL,
                        &kr_secs)) != 0) {
        free_token(token);
        return rc;
    }
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
        if (!ks && token && n > 0) {
            int fatal;
            if (fetcher_open(&ctx.f, &fc, &eng, &kr) != 0) {
                free(uid);
                keyring_free(&kr);
                free_token(token);
                return 2;
            }
            ks = fetch_get(ctx.f, (const uint8_t *)uid, n, &fatal);
            hits = 0;
            if (fatal) {
                free(uid);
                fetcher_close(ctx.f);
                keyring_free(&kr);
                free_token(token);
                return 2;
            }
        }
        free(uid);
        if (!ks) {
            fprintf(stderr, "e2ecrypt: seal: ROTPublicUID %s is not in keyring %s%s\n",
                    o[1].value, o[0].value, token ? " and the API has no key set for it" : "");
            fetcher_close(ctx.f);
            keyring_free(&kr);
            free_token(token);
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
        if (!ks && token) {
            size_t ki_len;
            e2e_rotation rot;
            int fatal;
            if (e2e_ki_decode(&ki_len, &rot, ki, (size_t)kl) != E2E_OK || ki_len != (size_t)kl) {
                keyring_free(&kr);
                free_token(token);
                return cli_usage_error("seal", "--ki %s: not a KI (nibble 0x1: 16 bytes, "
                                       "0x2: 12 bytes)", o[2].value);
            }
            if (fetcher_open(&ctx.f, &fc, &eng, &kr) != 0) {
                keyring_free(&kr);
                free_token(token);
                return 2;
            }
            ks = fetch_get(ctx.f, ki, (size_t)kl, &fatal);
            hits = 0;
            if (fatal) {
                fetcher_close(ctx.f);
                keyring_free(&kr);
                free_token(token);
                return 2;
            }
        }
        if (!ks) {
            fprintf(stderr, "e2ecrypt: seal: KI %s is not in keyring %s%s\n", o[2].value,
                    o[0].value, token ? " and the API has no key set for it" : "");
            fetcher_close(ctx.f);
            keyring_free(&kr);
            free_token(token);
            return 2;
        }
    }
    if ((rc = io_open(&io, o[3].value, o[4].value)) != 0) {
        fetcher_close(ctx.f);
        keyring_free(&kr);
        free_token(token);
        return rc;
    }
    ctx.eng = &eng;
    ctx.ks = ks;
    sc = (struct stream_cfg){.cmd = "seal", .in_fd = io.in_fd, .out_fd = io.out_fd,
                             .in_name = io.in_name, .out_name = io.out_name,
                             .threads = so.threads, .progress = so.progress};
    ops = (struct stream_ops){.arg = &ctx, .worker_new = seal_worker_new,
                              .worker_free = seal_worker_free, .process = seal_process};
    src = stream_run(&sc, &ops, &res);
    rc = io_close(&io);
    if (o[5].value || token) {
        fetch_summary(ctx.f, hits, extra, sizeof extra);
        if (token && !ctx.f)
            snprintf(extra, sizeof extra, "; fetch: 0 key sets fetched, 0 charged requests "
                     "(0 retries), 0 keys rejected, 1 cache hits");
        print_stats("seal", &res.cnt, res.secs, res.cpu_secs, &eng, so.threads, &kr, kr_secs, extra);
    }
    fetcher_close(ctx.f);
    keyring_free(&kr);
    free_token(token);
    if (src)
        return src;
    if (rc)
        return rc;
    return res.cnt.by[E2E_OK] == res.cnt.records ? 0 : 1;
}

/* ------------------------------------------------------------ xor */

struct xor_ctx {
    const uint8_t *key;
    size_t key_len;
    int legacy;
};

struct xor_worker {
    const struct xor_ctx *ctx;
    struct rec r;
    uint8_t *out;
    size_t out_cap;
};

static void *xor_worker_new(void *arg)
{
    struct xor_worker *w = calloc(1, sizeof *w);
    if (w)
        w->ctx = arg;
    return w;
}

static void xor_worker_free(void *p)
{
    struct xor_worker *w = p;
    if (w->out)
        cli_wipe(w->out, w->out_cap);
    cli_wipe(w->r.data, w->r.cap);
    rec_free(&w->r);
    free(w->out);
    free(w);
}

static int xor_process(void *p, struct chunk *c)
{
    struct xor_worker *w = p;
    const struct xor_ctx *x = w->ctx;
    const char *q = c->in, *end = c->in + c->in_len;
    size_t lineno = c->first_line;

    for (; q < end; lineno++) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t len = nl ? (size_t)(nl - q) : (size_t)(end - q);
        const char *line = q;
        e2e_status st;
        int lossy = 0;

        q = nl ? nl + 1 : end;
        if (!rec_parse(&w->r, line, len, x->legacy))
            continue;
        if (w->r.bad) {
            counts_add(&c->cnt, E2E_ERR_MALFORMED);
            sb_puts(&c->out, "malformed\n");
            continue;
        }
        if (w->r.len + 1 > w->out_cap) { /* + 1: never NULL, even for no bytes */
            w->out = cli_xrealloc(w->out, w->r.len + 1);
            w->out_cap = w->r.len + 1;
        }
        if (x->legacy)
            st = e2e_sigfox_xor_legacy(w->out, &lossy, x->key, x->key_len, w->r.data, w->r.len);
        else
            st = e2e_sigfox_xor(w->out, x->key, x->key_len, w->r.data, w->r.len);
        counts_add(&c->cnt, st);
        if (st != E2E_OK) {
            sb_puts(&c->out, e2e_status_name(st));
            sb_putc(&c->out, '\n');
            continue;
        }
        if (x->legacy && (w->r.digits & 1)) {
            /* Drop the implied leading nibble: the result is below
             * 2^bitlen(in) <= 16^digits, so that nibble is 0. */
            size_t at = c->out.len;
            sb_hex(&c->out, w->out, w->r.len);
            memmove(c->out.p + at, c->out.p + at + 1, c->out.len - at - 1);
            c->out.len--;
        } else {
            sb_hex(&c->out, w->out, w->r.len);
        }
        sb_putc(&c->out, '\n');
        if (lossy) {
            char msg[256];
            int n = snprintf(msg, sizeof msg, "e2ecrypt xor: warning: line %zu: the legacy "
                             "result has fewer significant bits than the input, so the "
                             "blog's decryption will not give the input back\n", lineno);
            sb_put(&c->msg, msg, (size_t)n);
        }
    }
    return 0;
}

static int cmd_xor(int argc, char **argv)
{
    struct cli_opt o[] = {{"key", 1, NULL}, {"legacy", 0, NULL}, {"in", 1, NULL},
                          {"out", 1, NULL}, {"threads", 1, NULL}, {"progress", 0, NULL}};
    struct io io;
    struct stream_opts so;
    struct xor_ctx ctx;
    struct stream_cfg sc;
    struct stream_ops ops;
    struct stream_result res;
    uint8_t *key;
    size_t npos, bad;
    long klen;
    int legacy, rc, src;

    rc = cli_parse_opts("xor", argc, argv, o, sizeof o / sizeof o[0], NULL, 0, &npos);
    if (rc == 1) {
        print_help(help_xor, 0);
        return 0;
    }
    if (rc)
        return rc;
    legacy = o[1].value != NULL;
    if (!o[0].value)
        return cli_usage_error("xor", "--key HEX is required");
    if (stream_options("xor", o[4].value, o[5].value, &so))
        return 2;
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
    ctx = (struct xor_ctx){.key = key, .key_len = (size_t)klen, .legacy = legacy};
    sc = (struct stream_cfg){.cmd = "xor", .in_fd = io.in_fd, .out_fd = io.out_fd,
                             .in_name = io.in_name, .out_name = io.out_name,
                             .threads = so.threads, .progress = so.progress,
                             .count_lines = legacy};
    ops = (struct stream_ops){.arg = &ctx, .worker_new = xor_worker_new,
                              .worker_free = xor_worker_free, .process = xor_process};
    src = stream_run(&sc, &ops, &res);
    rc = io_close(&io);
    cli_wipe(key, (size_t)klen);
    free(key);
    if (src)
        return src;
    if (rc)
        return rc;
    return res.cnt.by[E2E_OK] == res.cnt.records ? 0 : 1;
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

/* bench_records times the engine alone on the records of a file: every
 * record parsed, key set looked up and held in memory first, then
 * e2e_batch_run over CLI_BATCH records per call, pass after pass, for at
 * least secs seconds. This is what 'open' spends in the engine. */
static int bench_records(const e2e_engine *eng, const char *keys, const char *in, double secs)
{
    struct keyring kr;
    char err[512];
    FILE *f;
    char *line = NULL;
    size_t line_cap = 0, n = 0, cap = 0, arena_len = 0, arena_cap = 0, ok = 0, skipped = 0;
    ssize_t len;
    struct rec r = {0};
    struct brec {
        size_t off, len;
        const e2e_keyset *ks;
    } *recs = NULL;
    uint8_t *arena = NULL, *out;
    e2e_job *jobs;
    e2e_scratch *scratch;
    double t0, t, best = 0;
    size_t passes = 0;

    if (keyring_load(&kr, eng, keys, err, sizeof err) != 0) {
        fprintf(stderr, "e2ecrypt: %s\n", err);
        keyring_free(&kr);
        return 2;
    }
    if (keyring_index_ki(&kr, NULL) != 0)
        cli_oom();
    f = fopen(in, "rb");
    if (!f) {
        fprintf(stderr, "e2ecrypt: --in %s: %s\n", in, strerror(errno));
        keyring_free(&kr);
        return 2;
    }
    while ((len = getline(&line, &line_cap, f)) >= 0) {
        size_t ki_len;
        e2e_rotation rot;
        const e2e_keyset *ks;
        if (!rec_parse(&r, line, (size_t)len, 0))
            continue;
        if (r.bad || e2e_ki_decode(&ki_len, &rot, r.data, r.len) != E2E_OK ||
            !(ks = keyring_find_ki(&kr, r.data, ki_len))) {
            skipped++;
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            recs = cli_xrealloc(recs, cap * sizeof recs[0]);
        }
        if (arena_len + r.len > arena_cap) {
            arena_cap = arena_cap ? 2 * arena_cap : 1 << 24;
            while (arena_cap < arena_len + r.len)
                arena_cap *= 2;
            arena = cli_xrealloc(arena, arena_cap);
        }
        memcpy(arena + arena_len, r.data, r.len);
        recs[n++] = (struct brec){arena_len, r.len, ks};
        arena_len += r.len;
    }
    fclose(f);
    free(line);
    rec_free(&r);
    if (n == 0) {
        fprintf(stderr, "e2ecrypt: bench: no record of %s has a key set in %s\n", in, keys);
        keyring_free(&kr);
        free(recs);
        free(arena);
        return 2;
    }
    out = cli_xrealloc(NULL, arena_len);
    jobs = cli_xrealloc(NULL, CLI_BATCH * sizeof jobs[0]);
    scratch = aligned_alloc(alignof(e2e_scratch), sizeof *scratch);
    if (!scratch)
        cli_oom();

    t0 = cli_now();
    do {
        double p0 = cli_now();
        ok = 0;
        for (size_t i = 0; i < n; i += CLI_BATCH) {
            size_t m = n - i < CLI_BATCH ? n - i : CLI_BATCH;
            for (size_t j = 0; j < m; j++) {
                const struct brec *b = &recs[i + j];
                jobs[j] = (e2e_job){.keys = b->ks, .in = arena + b->off, .in_len = b->len,
                                    .out = out + b->off, .out_cap = b->len, .op = E2E_OPEN};
            }
            if (e2e_batch_run(eng, jobs, m, scratch) != E2E_OK) {
                fputs("e2ecrypt: internal error: e2e_batch_run refused the batch\n", stderr);
                exit(2);
            }
            for (size_t j = 0; j < m; j++)
                ok += jobs[j].status == E2E_OK;
        }
        t = cli_now() - p0;
        if (best == 0 || t < best)
            best = t;
        passes++;
    } while (cli_now() - t0 < secs);

    printf("engine batched: %zu records (%zu ok, %zu skipped: malformed or no key set), "
           "best of %zu passes %.3f s, %.0f records/s (e2e_batch_run, %d per call, one "
           "thread, engine %s)\n", n, ok, skipped, passes, best, (double)n / best, CLI_BATCH,
           e2e_engine_name(eng));
    cli_wipe(out, arena_len);
    free(out);
    free(arena);
    free(recs);
    free(jobs);
    cli_wipe(scratch, sizeof *scratch);
    free(scratch);
    keyring_free(&kr);
    return ok == n ? 0 : 1;
}

static int cmd_bench(int argc, char **argv)
{
    struct cli_opt o[] = {{"seconds", 1, NULL}, {"impl", 1, NULL}, {"keys", 1, NULL},
                          {"in", 1, NULL}};
    size_t npos;
    e2e_engine eng;
    double secs = 0;
    int rc = cli_parse_opts("bench", argc, argv, o, 4, NULL, 0, &npos);
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
    if (!o[2].value != !o[3].value)
        return cli_usage_error("bench", "--keys and --in go together");
    if ((rc = cli_engine(&eng, o[1].value)) != 0)
        return rc;
    if (o[2].value)
        return bench_records(&eng, o[2].value, o[3].value, secs > 0 ? secs : 1.0);
    return e2e_quick_bench(stdout, &eng, secs > 0 ? secs : 0.05) == 0 ? 0 : 1;
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
