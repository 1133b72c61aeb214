/* fetch.h — key sets fetched from the Thingstream REST API on a miss, and
 * cached in the keyring file.
 *
 * Every key-set request is a charged event, so each distinct key is asked
 * for once: a table holds every key asked for in this run (concurrent misses
 * for one key wait for the same request), and every key set fetched is
 * appended to the --keys file, which the next run loads, so it is never
 * fetched again. An append is one write() of one whole NDJSON line to a file
 * opened O_APPEND, then fdatasync(), before the key set is used: a crash
 * leaves either the whole line or (at worst, from a write cut short) a torn
 * last line, which the next run's load leaves out and removes (see
 * fetcher_open).
 *
 * Requests: POST {base}/e2e/uplink/protectionparameters/get (or
 * .../integrityparameters/get) with {"EncryptedHeader":"<KI hex>"}; for
 * seal --uid, POST {base}/e2e/downlink/... with {"ROTPublicUID":"<uid>"}.
 * Headers as the REST documentation gives them: accept and Content-Type
 * application/json, Authorization: <token>. At most `jobs` requests run at
 * once (one libcurl handle per fetch thread).
 *
 * Answers: 200 with a valid key set -> cached and used; a 200 whose body is
 * not a valid key set, or any other 4xx but 401/403/408/429 -> that key is
 * rejected for the rest of the run (its records are unknown_key) and not
 * asked for again in this run; 401/403 -> the run stops (exit 2); 5xx, 408,
 * 429, a time-out or a transport error (refused, reset, no answer) -> retried
 * with exponential backoff, and after the last retry the run stops (exit 2).
 */
#ifndef E2E_CLI_FETCH_H
#define E2E_CLI_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "e2ecrypt.h"
#include "keyring.h"

struct fetch_cfg {
    const char *base_url;  /* --fetch (a trailing '/' is ignored) */
    const char *token;     /* the Authorization header's value */
    int integrity;         /* integrityparameters, not protectionparameters */
    int downlink;          /* keys are ROTPublicUIDs: the downlink endpoints */
    unsigned jobs;         /* requests at once (fetch threads), >= 1 */
    double timeout;        /* seconds for one request */
    unsigned retries;      /* retries after the first attempt */
    double backoff;        /* seconds before the first retry; doubles */
    const char *keys_path; /* the keyring file, appended to */
};

struct fetcher;
struct fetch_entry;

/* fetch_stats are the fetcher's tallies for the summary line. */
struct fetch_stats {
    size_t requests;  /* HTTP requests sent (each one is charged) */
    size_t retries;   /* of which repeats after a failed attempt */
    size_t fetched;   /* key sets fetched, cached and used */
    size_t rejected;  /* keys the API (or validation) rejected */
};

/* fetch_create_keys creates the keyring file path, empty and mode 0600,
 * when it does not exist, and makes that durable. Returns 0 or -1 (errno). */
int fetch_create_keys(const char *path);

/* fetcher_open checks cfg, opens cfg->keys_path for appending (creating it,
 * mode 0600, when missing), removes the torn last line kr reports
 * (kr->torn_len, see KR_SKIP_TORN) and starts the fetch threads. kr must be
 * the keyring loaded from that file (KR_ALLOW_EMPTY | KR_SKIP_TORN); it must
 * be NDJSON. Returns 0, or 2 after saying why on stderr. */
int fetcher_open(struct fetcher **out, const struct fetch_cfg *cfg, const e2e_engine *eng,
                 const struct keyring *kr);

/* fetch_request asks for the key set of key (KI bytes; for downlink the
 * ROTPublicUID's text). Never blocks on the network: a key not asked for
 * before is queued. *ready is set to 1 when the answer is already known
 * (fetched, or rejected), else 0 (wait with fetch_wait). */
struct fetch_entry *fetch_request(struct fetcher *f, const uint8_t *key, size_t len,
                                  int *ready);

/* fetch_wait waits until every entry of v[0..n) has its answer. Returns 0,
 * or -1 when the run must stop (the reason is on stderr). */
int fetch_wait(struct fetcher *f, struct fetch_entry *const *v, size_t n);

/* fetch_keyset is an answered entry's key set, or NULL when it was rejected
 * (the records are unknown_key). The key set lives until fetcher_close. */
const e2e_keyset *fetch_keyset(const struct fetch_entry *e);

/* fetch_get asks for one key and waits: the key set, or NULL (rejected, or
 * the run must stop: *fatal says which). */
const e2e_keyset *fetch_get(struct fetcher *f, const uint8_t *key, size_t len, int *fatal);

/* fetcher_stats copies the tallies so far (any thread). */
void fetcher_stats(struct fetcher *f, struct fetch_stats *st);

/* fetcher_close stops the fetch threads, closes the file and frees (wipes)
 * every key set. */
void fetcher_close(struct fetcher *f);

#endif /* E2E_CLI_FETCH_H */
