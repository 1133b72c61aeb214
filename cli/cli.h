/* cli.h — declarations shared by the e2ecrypt tool's source files. */
#ifndef E2E_CLI_CLI_H
#define E2E_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "e2ecrypt.h"

/* cli_opt describes one --option of a command. */
struct cli_opt {
    const char *name;  /* without the leading "--" */
    int takes_value;   /* 1: --name VALUE or --name=VALUE; 0: a flag */
    const char *value; /* set by cli_parse_opts (flags: "1") */
};

/* cli_parse_opts reads argv[0..argc) (the words after the command name)
 * against opts. Positional words go to pos (at most max_pos). Returns 0,
 * 1 when --help / -h was given, or 2 after printing a usage error. */
int cli_parse_opts(const char *cmd, int argc, char **argv, struct cli_opt *opts,
                   size_t n_opts, const char **pos, size_t max_pos, size_t *n_pos);

/* cli_usage_error prints "e2ecrypt: MESSAGE", the command's synopsis and a
 * pointer to its --help on stderr and returns 2 (the exit status). cmd may
 * be NULL for the top level. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* cli_engine initialises eng: the implementation named by impl (--impl),
 * else by the environment variable E2E_IMPL, else the best this CPU runs.
 * Returns 0, or 2 after printing why the named one cannot be used. */
int cli_engine(e2e_engine *eng, const char *impl);

/* cli_now returns a monotonic time in seconds. */
double cli_now(void);

/* counts are per-status tallies of records. */
struct counts {
    size_t records;
    size_t by[E2E_ERR_CPU + 1];
};

/* counts_add tallies one record of status st. */
static inline void counts_add(struct counts *c, e2e_status st)
{
    c->records++;
    if ((unsigned)st <= E2E_ERR_CPU)
        c->by[st]++;
}

/* cmd_gen runs "e2ecrypt gen" (gen.c); cli_help_gen is its --help text. */
int cmd_gen(int argc, char **argv);
extern const char cli_help_gen[];

#endif /* E2E_CLI_CLI_H */
