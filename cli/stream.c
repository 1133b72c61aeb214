/* stream.c — the record pipeline (stream.h).
 *
 * Implementation notes. Chunk buffers form a ring of nslots; chunk number
 * seq lives in slot seq % nslots and moves FREE -> FILLED (reader) -> BUSY
 * (a worker) -> DONE -> FREE (writer, after writing it). Workers take chunks
 * in input order, the writer writes them in input order, and the reader
 * only fills a slot the writer has emptied: at most nslots chunks exist, so
 * memory is bounded by nslots times the largest chunk (STREAM_CHUNK, or a
 * line up to STREAM_LINE_MAX). One mutex and one condition variable guard
 * the ring; every change of state is broadcast (a handful of threads, a
 * change per megabyte of input). */
#define _GNU_SOURCE
#include "stream.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

/* The line that stands for one over STREAM_LINE_MAX: not hex, not JSON. */
static const char too_long_line[] = "\x01\n";

struct reader {
    int fd;
    const char *name;
    int count_lines;
    char *carry;           /* the start of a line that the last chunk cut */
    size_t carry_len, carry_cap;
    int eof, failed;
    size_t lines;          /* lines handed out so far */
};

struct pipeline {
    const struct stream_cfg *cfg;
    const struct stream_ops *ops;
    struct chunk *slots;
    unsigned nslots;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t next_work;    /* the next chunk a worker takes */
    uint64_t total;        /* chunks in the input, once eof is set */
    int eof, stop, reader_exited;
    struct reader rd;
    struct stream_result res;
    double t0, last_progress;
    int progress_shown;
    size_t shown_records;
};

/* ------------------------------------------------------------ helpers */

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

unsigned stream_cores(void)
{
    cpu_set_t set;
    long n;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* write_all writes n bytes to fd. Returns 0 or -1 (errno set). */
static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void chunk_reserve(struct chunk *c, size_t cap)
{
    if (c->in_cap >= cap)
        return;
    c->in = cli_xrealloc(c->in, cap);
    c->in_cap = cap;
}

static void chunk_free(struct chunk *c)
{
    free(c->in);
    sb_free(&c->out);
    sb_free(&c->msg);
    memset(c, 0, sizeof *c);
}

static size_t count_newlines(const char *p, size_t n)
{
    size_t k = 0;
    const char *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        k++;
        p++;
    }
    return k;
}

/* ------------------------------------------------------------ reader */

/* read_some reads into c->in after in_len. Returns bytes read, 0 at the end
 * of the input, -1 on an error (said on stderr). */
static ssize_t read_some(struct reader *rd, struct chunk *c)
{
    for (;;) {
        ssize_t n = read(rd->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        fprintf(stderr, "e2ecrypt: reading %s failed: %s\n", rd->name, strerror(errno));
        rd->failed = 1;
        return -1;
    }
}

/* discard_line drops input up to and including the next newline, reading
 * through c's buffer past keep bytes; what follows the newline is kept at
 * c->in + keep. Returns 0, or -1 on a read error. */
static int discard_line(struct reader *rd, struct chunk *c, size_t keep)
{
    for (;;) {
        ssize_t n;
        char *nl;
        c->in_len = keep;
        n = read_some(rd, c);
        if (n < 0)
            return -1;
        if (n == 0) {
            rd->eof = 1;
            return 0;
        }
        nl = memchr(c->in + keep, '\n', (size_t)n);
        if (nl) {
            size_t rest = (size_t)n - (size_t)(nl + 1 - (c->in + keep));
            memmove(c->in + keep, nl + 1, rest);
            c->in_len = keep + rest;
            return 0;
        }
    }
}

/* read_chunk fills c with whole lines. Returns 1 for a chunk, 0 at the end
 * of the input, -1 on a read error. */
static int read_chunk(struct reader *rd, struct chunk *c)
{
    size_t scanned = 0; /* bytes of c->in known to hold no newline */
    size_t cap = rd->carry_len * 2;
    int standin = 0;    /* c->in starts with the stand-in line */

    if (cap > STREAM_LINE_MAX)
        cap = STREAM_LINE_MAX;
    chunk_reserve(c, cap > STREAM_CHUNK ? cap : STREAM_CHUNK);
    if (rd->carry_len)
        memcpy(c->in, rd->carry, rd->carry_len);
    c->in_len = rd->carry_len;
    scanned = rd->carry_len;
    rd->carry_len = 0;

    for (;;) {
        char *nl = NULL;
        ssize_t n = 0;
        if (!rd->eof && c->in_len < c->in_cap) {
            n = read_some(rd, c);
            if (n < 0)
                return -1;
            if (n == 0)
                rd->eof = 1;
            c->in_len += (size_t)n;
            /* A read that did not fill the buffer (a pipe, a terminal, the
             * end of a file) hands out the lines that have come so far, so
             * a slow stream is not held back; a file fills whole chunks. */
        }
        if (c->in_len > scanned)
            nl = memrchr(c->in + scanned, '\n', c->in_len - scanned);
        if (!nl && standin && !rd->eof && c->in_len == c->in_cap && c->in_cap >= STREAM_LINE_MAX)
            nl = c->in + 1; /* another long line: hand out the stand-in first */
        if (nl) {
            size_t keep = (size_t)(nl + 1 - c->in);
            size_t rest = c->in_len - keep;
            if (rest > rd->carry_cap) {
                rd->carry = cli_xrealloc(rd->carry, rest);
                rd->carry_cap = rest;
            }
            if (rest)
                memcpy(rd->carry, c->in + keep, rest);
            rd->carry_len = rest;
            c->in_len = keep;
            break;
        }
        if (rd->eof) {
            if (c->in_len == 0)
                return 0;
            break; /* the last line, without a newline */
        }
        scanned = c->in_len;
        if (c->in_len < c->in_cap)
            continue; /* a short read without a newline yet */
        /* The buffer holds part of one line. */
        if (c->in_cap < STREAM_LINE_MAX) {
            cap = c->in_cap * 2;
            chunk_reserve(c, cap > STREAM_LINE_MAX ? STREAM_LINE_MAX : cap);
            continue;
        }
        /* Over the limit: a stand-in line, the rest of the line dropped. */
        memcpy(c->in, too_long_line, 2);
        standin = 1;
        if (discard_line(rd, c, 2) < 0)
            return -1;
        scanned = 2;
        if (rd->eof && c->in_len == 2)
            break; /* nothing after it */
    }
    if (rd->count_lines) {
        c->first_line = rd->lines + 1;
        rd->lines += count_newlines(c->in, c->in_len);
        if (c->in_len && c->in[c->in_len - 1] != '\n')
            rd->lines++;
    }
    return 1;
}

/* ------------------------------------------------------------ writer */

static void progress(struct pipeline *p, int final)
{
    const struct stream_cfg *cfg = p->cfg;
    double now = cli_now(), secs = now - p->t0;
    const struct counts *c = &p->res.cnt;
    char line[512], extra[256] = "";
    size_t failed = c->records - c->by[E2E_OK];
    double rate = (double)c->records / (secs > 1e-9 ? secs : 1e-9);
    int n;

    if (!cfg->progress)
        return;
    /* The first chunk is shown at once, then one line per interval; the
     * final counts once (unless the last line already showed them). */
    if (!final && p->progress_shown && now - p->last_progress < (cfg->progress == 1 ? 0.25 : 1.0))
        return;
    if (final && p->progress_shown && p->shown_records == c->records && cfg->progress == 2)
        return;
    p->last_progress = now;
    p->shown_records = c->records;
    if (p->ops->progress_extra)
        p->ops->progress_extra(p->ops->arg, extra, sizeof extra);
    n = snprintf(line, sizeof line, "%se2ecrypt %s: %zu records, %zu ok, %zu failed, %.0f "
                 "records/s%s%s%s", cfg->progress == 1 ? "\r\033[K" : "", cfg->cmd,
                 c->records, c->by[E2E_OK], failed, rate, extra[0] ? ", " : "", extra,
                 cfg->progress == 2 || final ? "\n" : "");
    if (n > 0)
        (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    p->progress_shown = 1;
}

/* put_out writes a processed chunk: results, then its stderr text. Returns
 * 0 or -1 (said on stderr). */
static int put_out(struct pipeline *p, struct chunk *c)
{
    if (c->msg.len)
        (void)!write(2, c->msg.p, c->msg.len);
    if (c->out.len && write_all(p->cfg->out_fd, c->out.p, c->out.len) != 0) {
        fprintf(stderr, "e2ecrypt: writing %s failed: %s\n", p->cfg->out_name,
                strerror(errno));
        return -1;
    }
    p->res.cnt.records += c->cnt.records;
    for (size_t i = 0; i <= E2E_ERR_CPU; i++)
        p->res.cnt.by[i] += c->cnt.by[i];
    p->res.hits += c->hits;
    progress(p, 0);
    return 0;
}

/* reset_chunk empties c's results for reuse; large buffers from an unusual
 * chunk are given back, so memory stays near the typical chunk's need. */
static void reset_chunk(struct chunk *c)
{
    if (c->out.cap > 32 * (size_t)STREAM_CHUNK)
        sb_free(&c->out);
    if (c->msg.cap > (size_t)STREAM_CHUNK)
        sb_free(&c->msg);
    c->out.len = 0;
    c->msg.len = 0;
    memset(&c->cnt, 0, sizeof c->cnt);
    c->hits = 0;
    c->first_line = 0;
}

/* ------------------------------------------------------------ threads */

static void *reader_main(void *arg)
{
    struct pipeline *p = arg;
    for (uint64_t seq = 0;; seq++) {
        struct chunk *c = &p->slots[seq % p->nslots];
        int r;
        pthread_mutex_lock(&p->mu);
        while (c->state != SLOT_FREE && !p->stop)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) {
            p->reader_exited = 1;
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        pthread_mutex_unlock(&p->mu);
        reset_chunk(c);
        r = read_chunk(&p->rd, c);
        pthread_mutex_lock(&p->mu);
        if (r <= 0) {
            p->eof = 1;
            p->total = seq;
            p->reader_exited = 1;
            if (r < 0)
                p->stop = 1;
        } else {
            c->seq = seq;
            c->state = SLOT_FILLED;
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (r <= 0)
            return NULL;
    }
}

static void *worker_main(void *arg)
{
    struct pipeline *p = arg;
    void *w = p->ops->worker_new(p->ops->arg);
    if (!w)
        cli_oom();
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct chunk *c;
        int rc;
        for (;;) {
            if (p->stop || (p->eof && p->next_work >= p->total))
                goto out;
            c = &p->slots[p->next_work % p->nslots];
            if (c->state == SLOT_FILLED && c->seq == p->next_work)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
        }
        p->next_work++;
        c->state = SLOT_BUSY;
        pthread_mutex_unlock(&p->mu);
        rc = p->ops->process(w, c);
        pthread_mutex_lock(&p->mu);
        if (rc) {
            p->stop = 1;
            p->res.stopped = 1;
        }
        c->state = SLOT_DONE;
        pthread_cond_broadcast(&p->cv);
    }
out:
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    p->ops->worker_free(w);
    return NULL;
}

/* run_threads: workers and a reader thread; the caller writes. */
static int run_threads(struct pipeline *p)
{
    unsigned nw = p->cfg->threads;
    pthread_t rd, wk[STREAM_THREADS_MAX];
    unsigned started = 0;
    int rc = 0, reader_done;

    p->nslots = 2 * nw + 2;
    p->slots = calloc(p->nslots, sizeof p->slots[0]);
    if (!p->slots)
        cli_oom();
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (; started < nw; started++)
        if (pthread_create(&wk[started], NULL, worker_main, p) != 0)
            break;
    if (started == 0 || pthread_create(&rd, NULL, reader_main, p) != 0) {
        fprintf(stderr, "e2ecrypt: cannot start threads\n");
        exit(2);
    }

    for (uint64_t seq = 0;; seq++) {
        struct chunk *c = &p->slots[seq % p->nslots];
        pthread_mutex_lock(&p->mu);
        while (!p->stop && !(p->eof && seq >= p->total) &&
               !(c->state == SLOT_DONE && c->seq == seq))
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || (p->eof && seq >= p->total)) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);
        if (put_out(p, c) != 0) {
            rc = 2;
            pthread_mutex_lock(&p->mu);
            p->stop = 1;
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_lock(&p->mu);
        c->state = SLOT_FREE;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }

    pthread_mutex_lock(&p->mu);
    if (p->stop)
        rc = 2;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(wk[i], NULL);
    pthread_mutex_lock(&p->mu);
    if (!p->reader_exited) {
        /* After a stop: the reader ends at once unless it is blocked on its
         * input (a pipe or a terminal); give it a second. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        while (!p->reader_exited)
            if (pthread_cond_timedwait(&p->cv, &p->mu, &ts) != 0)
                break;
    }
    reader_done = p->reader_exited;
    pthread_mutex_unlock(&p->mu);
    if (reader_done) {
        pthread_join(rd, NULL);
        for (unsigned i = 0; i < p->nslots; i++)
            chunk_free(&p->slots[i]);
        free(p->slots);
    } else {
        /* The reader may be blocked on its input: leave it (and the ring it
         * may still touch) to the process exit that follows a stop. */
        pthread_detach(rd);
    }
    return rc;
}

/* run_inline: one thread reads, processes and writes each chunk. */
static int run_inline(struct pipeline *p)
{
    struct chunk c;
    void *w = p->ops->worker_new(p->ops->arg);
    int rc = 0;

    if (!w)
        cli_oom();
    memset(&c, 0, sizeof c);
    for (;;) {
        int r;
        reset_chunk(&c);
        r = read_chunk(&p->rd, &c);
        if (r < 0) {
            rc = 2;
            break;
        }
        if (r == 0)
            break;
        if (p->ops->process(w, &c) != 0) {
            p->res.stopped = 1;
            rc = 2;
            break;
        }
        if (put_out(p, &c) != 0) {
            rc = 2;
            break;
        }
    }
    p->ops->worker_free(w);
    chunk_free(&c);
    return rc;
}

int stream_run(const struct stream_cfg *cfg, const struct stream_ops *ops,
               struct stream_result *res)
{
    struct pipeline p;
    double cpu0 = cpu_now();
    int rc;

    memset(&p, 0, sizeof p);
    p.cfg = cfg;
    p.ops = ops;
    p.rd.fd = cfg->in_fd;
    p.rd.name = cfg->in_name;
    p.rd.count_lines = cfg->count_lines;
    p.t0 = cli_now();
    p.last_progress = p.t0;
    if (cfg->threads <= 1)
        rc = run_inline(&p);
    else
        rc = run_threads(&p);
    p.res.secs = cli_now() - p.t0;
    p.res.cpu_secs = cpu_now() - cpu0;
    if (rc == 0 || p.progress_shown)
        progress(&p, 1);
    free(p.rd.carry);
    *res = p.res;
    return rc;
}
