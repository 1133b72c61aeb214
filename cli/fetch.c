/* fetch.c — key sets fetched on a miss and cached in the keyring file
 * (fetch.h).
 *
 * Implementation notes. One mutex guards the table of keys asked for (a
 * cli_index from key bytes to entry), the queue of keys to fetch and the
 * tallies; one condition variable wakes the fetch threads (work queued,
 * shutdown), another the waiters (an answer, a stop). Entries are allocated
 * one by one and never move, so a waiter may hold a pointer to one. Each
 * fetch thread owns a libcurl easy handle (connections are reused) and a
 * fixed response buffer, wiped after every answer: it holds key material.
 *
 * Appends are committed in groups: a thread writes its line (one write(),
 * O_APPEND) under the append lock and takes a ticket; whoever then holds the
 * sync lock runs one fdatasync() that covers every line written before it
 * started, so concurrent fetches share a sync. An entry is published (and
 * its records opened) only after the sync that covers its line. */
#define _GNU_SOURCE
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#ifdef E2E_HAVE_CURL
#include <curl/curl.h>
#endif

#include "hex.h"
#include "index.h"
#include "records.h"

/* The longest key asked for: a KI is 16 bytes, a ROTPublicUID short text. */
#define FETCH_KEY_MAX 128
/* The largest answer read (a key set is a few hundred bytes). */
#define FETCH_BODY_MAX (64u * 1024)
/* Rejections named on stderr before the rest are only counted. */
#define FETCH_WARN_MAX 10
#define FETCH_THREADS_MAX 64

enum { FE_QUEUED, FE_INFLIGHT, FE_OK, FE_REJECTED };

struct fetch_entry {
    uint8_t key[FETCH_KEY_MAX];
    size_t key_len;
    int state;
    e2e_keyset *ks;           /* FE_OK: the key set */
    struct fetch_entry *next; /* the queue */
};

struct fetcher {
    struct fetch_cfg cfg;
    char *url;                /* the endpoint */
    const e2e_engine *eng;
    int fd;                   /* the keyring file, O_APPEND */
    int need_newline;         /* the file does not end in '\n' yet */

    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct cli_index table;   /* key -> index into entries */
    struct fetch_entry **entries;
    size_t n_entries, cap_entries;
    struct fetch_entry *qhead, *qtail;
    int shutdown, fatal;
    struct fetch_stats st;
    unsigned warned;

    pthread_mutex_t append_mu, sync_mu;
    uint64_t written, synced;

    pthread_t th[FETCH_THREADS_MAX];
    unsigned nth;
};

/* ------------------------------------------------------------ helpers */

/* jfree frees what jansson allocated (json_dumps): through jansson's
 * allocator, which keyring_wiping_alloc replaced. */
static void jfree(char *p)
{
    json_malloc_t ma;
    json_free_t fr;
    if (!p)
        return;
    json_get_alloc_funcs(&ma, &fr);
    fr(p);
}

static void key_text(const struct fetcher *f, const uint8_t *key, size_t len, char *out,
                     size_t cap)
{
    if (f->cfg.downlink) {
        size_t o = 0;
        for (size_t i = 0; i < len && o + 4 < cap; i++)
            out[o++] = key[i] >= 0x20 && key[i] < 0x7f ? (char)key[i] : '?';
        out[o] = '\0';
        return;
    }
    if (2 * len + 1 > cap)
        len = (cap - 1) / 2;
    *cli_hex_encode(out, key, len) = '\0';
}

static const char *key_name(const struct fetcher *f)
{
    return f->cfg.downlink ? "ROTPublicUID" : "KI";
}

/* fsync_dir makes a new file's directory entry durable. */
static void fsync_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    int fd;
    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* sleep_or_stop waits secs seconds unless the run stops. Returns 1 when it
 * stopped. Called with f->mu held. */
static int sleep_or_stop(struct fetcher *f, double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    ts.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (!f->shutdown && !f->fatal)
        if (pthread_cond_timedwait(&f->cv_work, &f->mu, &ts) == ETIMEDOUT)
            break;
    return f->shutdown || f->fatal;
}

/* stop_run records a fatal error (said once on stderr) and wakes everyone. */
static void stop_run(struct fetcher *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stop_run(struct fetcher *f, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&f->mu);
    if (!f->fatal) {
        char msg[1024];
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        fprintf(stderr, "e2ecrypt: --fetch: %s\n", msg);
        f->fatal = 1;
    }
    pthread_cond_broadcast(&f->cv_done);
    pthread_cond_broadcast(&f->cv_work);
    pthread_mutex_unlock(&f->mu);
}

/* reject records that a key is rejected for the rest of the run. */
static void reject(struct fetcher *f, struct fetch_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reject(struct fetcher *f, struct fetch_entry *e, const char *fmt, ...)
{
    char key[2 * FETCH_KEY_MAX + 1], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    key_text(f, e->key, e->key_len, key, sizeof key);
    pthread_mutex_lock(&f->mu);
    e->state = FE_REJECTED;
    f->st.rejected++;
    if (f->warned < FETCH_WARN_MAX)
        fprintf(stderr, "e2ecrypt: --fetch: %s %s: %s; not asked for again in this run, "
                "its records are unknown_key\n", key_name(f), key, msg);
    else if (f->warned == FETCH_WARN_MAX)
        fprintf(stderr, "e2ecrypt: --fetch: more keys rejected (not listed; the summary "
                "counts them)\n");
    f->warned++;
    pthread_cond_broadcast(&f->cv_done);
    pthread_mutex_unlock(&f->mu);
}

/* append_durable appends line (len bytes, no newline) as one NDJSON line and
 * returns once it is on disk. Returns 0, or -1 with errno set. */
static int append_durable(struct fetcher *f, const char *line, size_t len)
{
    char *buf = malloc(len + 2);
    size_t n = 0;
    ssize_t w;
    uint64_t ticket, target;
    int err = 0;

    if (!buf)
        return -1;
    pthread_mutex_lock(&f->append_mu);
    if (f->need_newline)
        buf[n++] = '\n';
    memcpy(buf + n, line, len);
    n += len;
    buf[n++] = '\n';
    do {
        w = write(f->fd, buf, n);
    } while (w < 0 && errno == EINTR);
    if (w != (ssize_t)n) {
        err = w < 0 ? errno : EIO; /* a short write: the next load removes the torn line */
        pthread_mutex_unlock(&f->append_mu);
        cli_wipe(buf, n);
        free(buf);
        errno = err;
        return -1;
    }
    f->need_newline = 0;
    ticket = ++f->written;
    pthread_mutex_unlock(&f->append_mu);
    cli_wipe(buf, n);
    free(buf);

    pthread_mutex_lock(&f->sync_mu);
    if (f->synced < ticket) {
        pthread_mutex_lock(&f->append_mu);
        target = f->written;
        pthread_mutex_unlock(&f->append_mu);
        if (fdatasync(f->fd) != 0)
            err = errno;
        else
            f->synced = target;
    }
    pthread_mutex_unlock(&f->sync_mu);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ one answer */

/* same_text compares a JSON value (string, trimmed; or integer) with text. */
static int same_text(json_t *v, const char *text, size_t len, int hex)
{
    char num[32];
    const char *s;
    size_t n;
    if (!cli_json_text(v, num, &s, &n) || n != len)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char a = s[i], b = text[i];
        if (hex && a >= 'A' && a <= 'F')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

/* accept_answer checks a 200 answer (body, len) for e, caches it and fills
 * e->ks. Returns 0; 1 when it is not a valid key set (reason in why); -1
 * when the append failed (reason in why; the run must stop). */
static int accept_answer(struct fetcher *f, struct fetch_entry *e, const char *body, size_t len,
                         char *why, size_t why_len)
{
    char key[2 * FETCH_KEY_MAX + 1], what[2 * FETCH_KEY_MAX + 64];
    json_error_t je;
    json_t *obj, *v;
    char *line = NULL;
    struct kr_entry ke;
    e2e_keyset *ks;
    int rc = 1;

    key_text(f, e->key, e->key_len, key, sizeof key);
    obj = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!obj || !json_is_object(obj)) {
        snprintf(why, why_len, "the answer is not a JSON object (%s)",
                 obj ? "another JSON value" : je.text);
        json_decref(obj);
        return 1;
    }
    if (f->cfg.downlink) {
        v = json_object_get(obj, "ROTPublicUID");
        if (v && !json_is_null(v)) {
            if (!same_text(v, (const char *)e->key, e->key_len, 0)) {
                snprintf(why, why_len, "the answer is for another ROTPublicUID");
                goto out;
            }
        } else {
            json_object_set_new(obj, "ROTPublicUID", json_stringn((const char *)e->key,
                                                                   e->key_len));
        }
    } else {
        v = json_object_get(obj, "EncryptedHeader");
        if (v && !json_is_null(v) && !same_text(v, key, strlen(key), 1)) {
            snprintf(why, why_len, "the answer's EncryptedHeader is not the KI asked for");
            goto out;
        }
        json_object_set_new(obj, "EncryptedHeader", json_string(key));
    }
    line = json_dumps(obj, JSON_COMPACT);
    if (!line)
        cli_oom();

    ks = aligned_alloc(alignof(e2e_keyset), sizeof *ks);
    if (!ks)
        cli_oom();
    snprintf(what, sizeof what, "%s %s: the answer", key_name(f), key);
    if (keyring_entry_parse(f->eng, what, line, strlen(line), ks, &ke, why, why_len) != 0) {
        free(ks);
        goto out;
    }
    if (f->cfg.downlink ? !(ke.uid && strlen(ke.uid) == e->key_len &&
                            memcmp(ke.uid, e->key, e->key_len) == 0)
                        : !(ke.ki_len == e->key_len && memcmp(ke.ki, e->key, e->key_len) == 0)) {
        snprintf(why, why_len, "the answer's key set is not for the %s asked for", key_name(f));
        e2e_keyset_clear(ks);
        free(ks);
        free(ke.uid);
        goto out;
    }
    free(ke.uid);
    if (append_durable(f, line, strlen(line)) != 0) {
        snprintf(why, why_len, "appending to %s failed: %s", f->cfg.keys_path, strerror(errno));
        e2e_keyset_clear(ks);
        free(ks);
        rc = -1;
        goto out;
    }
    e->ks = ks;
    rc = 0;
out:
    if (line) {
        cli_wipe(line, strlen(line));
        jfree(line);
    }
    json_decref(obj);
    return rc;
}

/* ------------------------------------------------------------ HTTP */

#ifdef E2E_HAVE_CURL

struct body {
    char *p;
    size_t len;
    int too_big;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct body *b = arg;
    size_t n = size * nmemb;
    if (n > FETCH_BODY_MAX - b->len) {
        b->too_big = 1;
        return 0; /* aborts the transfer */
    }
    memcpy(b->p + b->len, ptr, n);
    b->len += n;
    return n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct fetcher *f = arg;
    int stop;
    (void)a, (void)b, (void)c, (void)d;
    pthread_mutex_lock(&f->mu);
    stop = f->shutdown || f->fatal;
    pthread_mutex_unlock(&f->mu);
    return stop; /* non-zero aborts the request */
}

/* retryable: errors that a later attempt may not see. */
static int retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

/* fetch_one asks for e's key set until it has an answer. */
static void fetch_one(struct fetcher *f, CURL *c, struct curl_slist *hdr, struct body *b,
                      struct fetch_entry *e)
{
    char key[2 * FETCH_KEY_MAX + 1], why[1024], last[256] = "";
    char *req;
    double delay = f->cfg.backoff;

    key_text(f, e->key, e->key_len, key, sizeof key);
    {
        json_t *o = json_object();
        if (f->cfg.downlink)
            json_object_set_new(o, "ROTPublicUID",
                                json_stringn((const char *)e->key, e->key_len));
        else
            json_object_set_new(o, "EncryptedHeader", json_string(key));
        req = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (!req)
            cli_oom();
    }
    for (unsigned attempt = 0;; attempt++) {
        CURLcode rc;
        long status = 0;

        pthread_mutex_lock(&f->mu);
        if (f->fatal || f->shutdown) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        f->st.requests++;
        if (attempt)
            f->st.retries++;
        pthread_mutex_unlock(&f->mu);

        b->len = 0;
        b->too_big = 0;
        curl_easy_setopt(c, CURLOPT_URL, f->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(req));
        rc = curl_easy_perform(c);
        if (rc == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

        if (rc == CURLE_ABORTED_BY_CALLBACK)
            break; /* the run is stopping */
        if (rc == CURLE_WRITE_ERROR && b->too_big) {
            reject(f, e, "the answer is larger than %u bytes", FETCH_BODY_MAX);
            break;
        }
        if (rc == CURLE_OK && status == 200) {
            int a = accept_answer(f, e, b->p, b->len, why, sizeof why);
            cli_wipe(b->p, b->len);
            if (a == 0) {
                pthread_mutex_lock(&f->mu);
                e->state = FE_OK;
                f->st.fetched++;
                pthread_cond_broadcast(&f->cv_done);
                pthread_mutex_unlock(&f->mu);
            } else if (a > 0) {
                reject(f, e, "%s", why);
            } else {
                stop_run(f, "%s %s: %s", key_name(f), key, why);
            }
            break;
        }
        cli_wipe(b->p, b->len);
        if (rc == CURLE_OK && (status == 401 || status == 403)) {
            stop_run(f, "%s %s: HTTP %ld from %s: the API refused the token (--token-file "
                     "or E2E_API_TOKEN); stopping", key_name(f), key, status, f->url);
            break;
        }
        if (rc == CURLE_OK && !(status >= 500 || status == 408 || status == 429)) {
            reject(f, e, "HTTP %ld from the API", status);
            break;
        }
        if (rc != CURLE_OK && !retryable(rc)) {
            stop_run(f, "%s %s: %s: %s; stopping", key_name(f), key, f->url,
                     curl_easy_strerror(rc));
            break;
        }
        if (rc == CURLE_OK)
            snprintf(last, sizeof last, "HTTP %ld", status);
        else
            snprintf(last, sizeof last, "%s", curl_easy_strerror(rc));
        if (attempt >= f->cfg.retries) {
            stop_run(f, "%s %s: no answer from %s after %u attempts (last: %s); stopping "
                     "(the key sets fetched so far are cached in %s)", key_name(f), key,
                     f->url, attempt + 1, last, f->cfg.keys_path);
            break;
        }
        pthread_mutex_lock(&f->mu);
        /* jitter: 75%..125% of the delay, so retries do not march in step */
        int stopped = sleep_or_stop(f, delay * (0.75 + 0.5 * (double)(rand() % 1000) / 1000));
        pthread_mutex_unlock(&f->mu);
        if (stopped)
            break;
        delay *= 2;
    }
    jfree(req);
}

static void *fetch_thread(void *arg)
{
    struct fetcher *f = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = NULL;
    struct body b = {0};
    char *auth;

    b.p = malloc(FETCH_BODY_MAX);
    auth = malloc(strlen(f->cfg.token) + 32);
    if (!c || !b.p || !auth)
        cli_oom();
    sprintf(auth, "Authorization: %s", f->cfg.token);
    hdr = curl_slist_append(hdr, "accept: application/json");
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, auth);
    cli_wipe(auth, strlen(auth));
    free(auth);
    if (!hdr)
        cli_oom();
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "e2ecrypt/" E2E_VERSION);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, f);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(f->cfg.timeout * 1000));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(f->cfg.timeout * 1000));
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif

    pthread_mutex_lock(&f->mu);
    for (;;) {
        struct fetch_entry *e;
        while (!f->qhead && !f->shutdown && !f->fatal)
            pthread_cond_wait(&f->cv_work, &f->mu);
        if (f->shutdown || f->fatal)
            break;
        e = f->qhead;
        f->qhead = e->next;
        if (!f->qhead)
            f->qtail = NULL;
        e->state = FE_INFLIGHT;
        pthread_mutex_unlock(&f->mu);
        fetch_one(f, c, hdr, &b, e);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);

    for (struct curl_slist *h = hdr; h; h = h->next)
        cli_wipe(h->data, strlen(h->data));
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    cli_wipe(b.p, FETCH_BODY_MAX);
    free(b.p);
    return NULL;
}

#endif /* E2E_HAVE_CURL */

/* ------------------------------------------------------------ the table */

int fetcher_open(struct fetcher **out, const struct fetch_cfg *cfg, const e2e_engine *eng,
                 const struct keyring *kr)
{
#ifndef E2E_HAVE_CURL
    (void)cfg, (void)eng, (void)kr;
    *out = NULL;
    fputs("e2ecrypt: --fetch: this e2ecrypt was built without libcurl\n", stderr);
    return 2;
#else
    struct fetcher *f;
    const char *ep;
    size_t blen;
    struct stat sb;

    *out = NULL;
    if (kr->format != KR_FORMAT_NDJSON) {
        fprintf(stderr, "e2ecrypt: --fetch appends fetched key sets to --keys %s as NDJSON "
                "lines, but it holds %s; convert it to one object per line\n",
                cfg->keys_path, kr->format == KR_FORMAT_ARRAY ? "a JSON array"
                                                              : "one object over several lines");
        return 2;
    }
    f = calloc(1, sizeof *f);
    if (!f)
        cli_oom();
    f->cfg = *cfg;
    f->eng = eng;
    if (f->cfg.jobs < 1)
        f->cfg.jobs = 1;
    if (f->cfg.jobs > FETCH_THREADS_MAX)
        f->cfg.jobs = FETCH_THREADS_MAX;
    ep = cfg->downlink ? (cfg->integrity ? "/e2e/downlink/integrityparameters/get"
                                         : "/e2e/downlink/protectionparameters/get")
                       : (cfg->integrity ? "/e2e/uplink/integrityparameters/get"
                                         : "/e2e/uplink/protectionparameters/get");
    blen = strlen(cfg->base_url);
    while (blen && cfg->base_url[blen - 1] == '/')
        blen--;
    f->url = malloc(blen + strlen(ep) + 1);
    if (!f->url)
        cli_oom();
    memcpy(f->url, cfg->base_url, blen);
    strcpy(f->url + blen, ep);

    f->fd = open(cfg->keys_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (f->fd < 0) {
        fprintf(stderr, "e2ecrypt: --keys %s: cannot open it to append: %s\n", cfg->keys_path,
                strerror(errno));
        free(f->url);
        free(f);
        return 2;
    }
    if (kr->torn_len) {
        /* Remove the torn line, only if the file is still as it was read. */
        if (fstat(f->fd, &sb) != 0 || (size_t)sb.st_size != kr->torn_at + kr->torn_len ||
            ftruncate(f->fd, (off_t)kr->torn_at) != 0 || fdatasync(f->fd) != 0) {
            fprintf(stderr, "e2ecrypt: --keys %s: cannot remove the torn last line (line %zu) "
                    "- has the file changed? Remove it by hand\n", cfg->keys_path,
                    kr->torn_line);
            close(f->fd);
            free(f->url);
            free(f);
            return 2;
        }
        fprintf(stderr, "e2ecrypt: keyring %s: warning: line %zu (%zu bytes, no newline) is "
                "not JSON: an append that did not finish; removed it\n", cfg->keys_path,
                kr->torn_line, kr->torn_len);
        f->need_newline = 0;
    } else {
        f->need_newline = !kr->tail_newline;
    }

    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->append_mu, NULL);
    pthread_mutex_init(&f->sync_mu, NULL);
    pthread_cond_init(&f->cv_work, NULL);
    pthread_cond_init(&f->cv_done, NULL);
    if (cli_index_init(&f->table, 1024) != 0)
        cli_oom();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("e2ecrypt: --fetch: libcurl initialisation failed\n", stderr);
        exit(2);
    }
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (f->nth = 0; f->nth < f->cfg.jobs; f->nth++)
        if (pthread_create(&f->th[f->nth], NULL, fetch_thread, f) != 0)
            break;
    if (f->nth == 0) {
        fputs("e2ecrypt: --fetch: cannot start threads\n", stderr);
        exit(2);
    }
    *out = f;
    return 0;
#endif
}

int fetch_create_keys(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? 0 : -1;
    if (fsync(fd) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    close(fd);
    fsync_dir(path);
    return 0;
}

struct fetch_entry *fetch_request(struct fetcher *f, const uint8_t *key, size_t len, int *ready)
{
    struct fetch_entry *e;
    uint32_t i, old;

    if (len > FETCH_KEY_MAX)
        len = FETCH_KEY_MAX; /* (callers pass KIs and short UIDs) */
    pthread_mutex_lock(&f->mu);
    if (cli_index_get(&f->table, key, len, &i)) {
        e = f->entries[i];
        *ready = e->state == FE_OK || e->state == FE_REJECTED;
        pthread_mutex_unlock(&f->mu);
        return e;
    }
    e = calloc(1, sizeof *e);
    if (!e)
        cli_oom();
    memcpy(e->key, key, len);
    e->key_len = len;
    e->state = FE_QUEUED;
    if (f->n_entries == f->cap_entries) {
        f->cap_entries = f->cap_entries ? 2 * f->cap_entries : 256;
        f->entries = cli_xrealloc(f->entries, f->cap_entries * sizeof f->entries[0]);
    }
    f->entries[f->n_entries] = e;
    if (cli_index_put(&f->table, e->key, len, (uint32_t)f->n_entries, &old) < 0)
        cli_oom();
    f->n_entries++;
    if (f->qtail)
        f->qtail->next = e;
    else
        f->qhead = e;
    f->qtail = e;
    *ready = 0;
    pthread_cond_signal(&f->cv_work);
    pthread_mutex_unlock(&f->mu);
    return e;
}

int fetch_wait(struct fetcher *f, struct fetch_entry *const *v, size_t n)
{
    int rc = 0;
    pthread_mutex_lock(&f->mu);
    for (size_t i = 0; i < n; i++) {
        while (!f->fatal && v[i]->state != FE_OK && v[i]->state != FE_REJECTED)
            pthread_cond_wait(&f->cv_done, &f->mu);
        if (f->fatal) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

const e2e_keyset *fetch_keyset(const struct fetch_entry *e)
{
    return e->state == FE_OK ? e->ks : NULL;
}

const e2e_keyset *fetch_get(struct fetcher *f, const uint8_t *key, size_t len, int *fatal)
{
    int ready;
    struct fetch_entry *e = fetch_request(f, key, len, &ready);
    *fatal = 0;
    if (!ready && fetch_wait(f, &e, 1) != 0) {
        *fatal = 1;
        return NULL;
    }
    return fetch_keyset(e);
}

void fetcher_stats(struct fetcher *f, struct fetch_stats *st)
{
    pthread_mutex_lock(&f->mu);
    *st = f->st;
    pthread_mutex_unlock(&f->mu);
}

void fetcher_close(struct fetcher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    f->shutdown = 1;
    pthread_cond_broadcast(&f->cv_work);
    pthread_cond_broadcast(&f->cv_done);
    pthread_mutex_unlock(&f->mu);
    for (unsigned i = 0; i < f->nth; i++)
        pthread_join(f->th[i], NULL);
#ifdef E2E_HAVE_CURL
    curl_global_cleanup();
#endif
    for (size_t i = 0; i < f->n_entries; i++) {
        if (f->entries[i]->ks) {
            e2e_keyset_clear(f->entries[i]->ks);
            free(f->entries[i]->ks);
        }
        free(f->entries[i]);
    }
    free(f->entries);
    cli_index_free(&f->table);
    close(f->fd);
    free(f->url);
    free(f);
}
