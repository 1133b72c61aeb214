/* stream.h — the record pipeline behind open, seal and xor.
 *
 * Input is read in large blocks and cut into chunks of whole lines (about
 * STREAM_CHUNK bytes each). Worker threads turn a chunk's lines into its
 * result text, each with its own state (for open and seal: an e2e_scratch
 * and a vector of record slots run through e2e_batch_run); a writer puts the
 * results out in input order with one write() per chunk. A fixed ring of
 * chunk buffers bounds the memory whatever the input's size: the reader
 * waits for a free buffer, so a slow output slows the input down rather than
 * queueing it.
 *
 *   threads == 1: no threads: read, process and write one chunk at a time.
 *   threads == N: N workers, one reader and one writer thread (the caller's),
 *                 2N + 2 chunk buffers.
 *
 * A line longer than STREAM_LINE_MAX is not kept: it reaches the command as
 * a line holding one byte 0x01 (which every command reports as malformed).
 */
#ifndef E2E_CLI_STREAM_H
#define E2E_CLI_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "records.h"

/* Bytes of input per chunk (a chunk ends at the last newline in it). */
#define STREAM_CHUNK (256u << 10)
/* The longest line kept whole; longer ones become a malformed record. */
#define STREAM_LINE_MAX (16u << 20)
/* Most worker threads. */
#define STREAM_THREADS_MAX 64

/* chunk is one block of whole input lines and its results. */
struct chunk {
    char *in;          /* whole lines; the last one may lack '\n' at the end */
    size_t in_len, in_cap;
    size_t first_line; /* 1-based number of in's first line (0: not counted) */
    struct strbuf out; /* results, written to the output in order */
    struct strbuf msg; /* text for stderr (warnings), printed in order */
    struct counts cnt; /* per-status tallies of the chunk's records */
    size_t hits;       /* open/seal: records whose key set was at hand */
    int state;         /* pipeline state (stream.c) */
    uint64_t seq;      /* position in the input */
};

/* stream_ops is a command's part of the work. */
struct stream_ops {
    void *arg;
    /* worker_new makes one worker's state (NULL: out of memory). */
    void *(*worker_new)(void *arg);
    void (*worker_free)(void *w);
    /* process turns c->in into c->out (and c->msg, c->cnt, c->hits).
     * Returns 0, or -1 to stop the whole run (it has said why on stderr). */
    int (*process)(void *w, struct chunk *c);
    /* progress_extra may append text to a progress line (NULL: none). */
    void (*progress_extra)(void *arg, char *buf, size_t cap);
};

struct stream_cfg {
    const char *cmd;        /* "open", for messages */
    int in_fd, out_fd;
    const char *in_name, *out_name;
    unsigned threads;       /* 1..STREAM_THREADS_MAX */
    int progress;           /* 0: none; 1: one line redrawn (a terminal);
                               2: a line per second (--progress elsewhere) */
    int count_lines;        /* number the lines (chunk.first_line) */
};

struct stream_result {
    struct counts cnt;      /* records written, by status */
    size_t hits;
    double secs;            /* from the first read to the last write */
    double cpu_secs;        /* CPU time of the process (all threads) in that span */
    int stopped;            /* a worker stopped the run */
};

/* stream_run runs the pipeline until the input ends (or a worker or an I/O
 * error stops it). Returns 0, or 2 after an I/O error or a stop (said on
 * stderr). On a stop the results of the chunks not yet written are lost and
 * the process should exit soon: a reader blocked on its input is left
 * behind. */
int stream_run(const struct stream_cfg *cfg, const struct stream_ops *ops,
               struct stream_result *res);

/* stream_cores is the number of CPUs this process may run on. */
unsigned stream_cores(void);

#endif /* E2E_CLI_STREAM_H */
