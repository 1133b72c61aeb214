/* trace_ct.c — constant-time check by single-stepping (ptrace), for every
 * implementation tier this CPU has, including those valgrind cannot run
 * (SHA-NI, AVX-512, VAES: valgrind 3.19's VEX does not implement them, so
 * test_ct sees only portable, aesni and avx2).
 *
 * How. For each case (one operation on one tier with fixed public inputs)
 * the parent forks a child per run. The child, on a static stack, makes that
 * run's secrets from the seed, builds everything else untraced (key sets,
 * messages, jobs) in static buffers, then calls trace_ct_begin (an int3), the
 * operation, trace_ct_end. The parent PTRACE_SINGLESTEPs from the int3 to the
 * first instruction of trace_ct_end and records, for every instruction:
 *   - its address (control flow), and
 *   - the effective address of every memory operand it is about to access,
 *     explicit or implicit (push/pop/call/ret, string instructions): each
 *     instruction is decoded once (Zydis) and its address computed from the
 *     registers before it runs (base + index * scale + displacement,
 *     RIP-relative, FS/GS base). A rep movs / rep stos is one step recording
 *     rdi, rsi, rcx and DF (which fix every byte it touches), run to its end
 *     under a breakpoint; repe cmps / repne scas are stepped per iteration.
 * All runs of a case start from the same parent state, stack and buffers, so
 * the public inputs (lengths, KI, nonce/IV, KIV, tag length, addresses) are
 * identical and only the secrets differ. A case passes when run 1..N-1 (other
 * secrets) execute exactly run 0's instruction sequence with exactly its
 * memory addresses at every step, and the child's own check after
 * trace_ct_end passed (a seal opens back, an open gives the plaintext, a
 * tampered open fails with the output wiped). A difference is reported with
 * the step, the instruction and the function (addr2line: the function, and
 * file:line where there is debug information; dladdr for libc).
 *
 * Secret per run: EncryptionKey, AuthenticationKey, plaintext, and for a
 * tampered open which byte of the body or tag is flipped (the last, the first
 * of the body, the first of the tag) and which bit, so a compare that stops at
 * the first difference takes another path. Public: every length, the KI, KIV,
 * CCM nonce / CS1 IV, suite and tag length, buffer addresses, and the verdict
 * of a tag check (valid and tampered opens are separate cases: after the
 * check the code may branch on the verdict, as e2e_ct_verify declares).
 *
 * Not checked: instructions whose timing depends on operand values (division,
 * for example), which bytes a masked (AVX-512 k-mask) load or store touches,
 * gathers/scatters (a VSIB operand is an error, not a pass: their addresses
 * are in vector registers this tracer does not read; the engine has none),
 * speculative execution, and code outside the traced region. Equal traces
 * over a few secrets show no dependence on those secrets for these inputs;
 * they are not a proof for all inputs (test_ct under valgrind tracks every
 * secret bit, on the tiers valgrind runs).
 *
 * Which cases run on which tier: see "plan" below. In short, every tier the
 * CPU has runs at least one batch; the full case matrix runs on the first
 * tier with the tables valgrind cannot run (SHA-NI, AVX-512, VAES), which
 * test_ct cannot check; the tables valgrind runs are test_ct's. Also: the
 * harness on constant-time code that must pass (e2e_ct_verify on a wrong tag,
 * a scan-all table lookup), and the Sigfox XOR.
 *
 *   trace_ct [--tiers all|sha-ni|no-sha-ni] [--tier NAME] [--runs N] [-v]
 *       sha-ni / no-sha-ni: only the tiers whose single-message SHA-256 is /
 *       is not SHA-NI (two ctest tests of about equal length that run side by
 *       side; the plan is the same);
 *       --tier: that tier alone (nothing folded into other tiers);
 *       --runs: secrets per case (3).
 *   trace_ct --self-check=branch|index
 *       a memcmp-style early-exit compare / a secret-indexed S-box, traced
 *       the same way: must be reported (exit 1), naming leaky_compare
 *       (control flow) / leaky_sbox (memory address, same control flow).
 * Exit: 0 no difference; 1 a trace differed (a leak); 2 a harness error (a
 * child crashed or got a wrong result, a VSIB operand, an undecodable
 * instruction, a fold that did not hold, ...). Seed: E2E_TEST_SEED, else the
 * clock; printed. Linux x86-64 only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "ct.h"
#include "testutil.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "trace_ct is for Linux x86-64"
#endif

/* ================================================================ markers */

/* trace_ct_begin stops the child (int3) where tracing starts; the parent
 * single-steps until the child is about to run trace_ct_end's first
 * instruction. Written in assembly so their code never changes. */
__asm__(".text\n"
        ".globl trace_ct_begin\n"
        ".type trace_ct_begin,@function\n"
        "trace_ct_begin:\n"
        "\tint3\n"
        "\tret\n"
        ".size trace_ct_begin,.-trace_ct_begin\n"
        ".globl trace_ct_end\n"
        ".type trace_ct_end,@function\n"
        "trace_ct_end:\n"
        "\tret\n"
        ".size trace_ct_end,.-trace_ct_end\n");
void trace_ct_begin(void);
void trace_ct_end(void);

/* ================================================================ decoding */

/* One memory operand, reduced to what its address needs: registers as
 * offsets into struct user_regs_struct (-1: none). */
enum { R_NONE = -1, R_RIP = -2 };
struct memop {
    int16_t base, index, seg;
    uint8_t scale, addr32;
    int64_t disp;
};
struct dentry {
    uint64_t rip;
    uint8_t used, len, nmem, vsib, repskip;
    struct memop m[4];
};

#define DCACHE_BITS 18
static struct dentry *dcache;
static ZydisDecoder zdec;
static ZydisFormatter zfmt;
static int decode_errors, vsib_seen;

static int reg_off(ZydisRegister r)
{
    if (r == ZYDIS_REGISTER_NONE)
        return R_NONE;
    if (r == ZYDIS_REGISTER_RIP || r == ZYDIS_REGISTER_EIP)
        return R_RIP;
    switch (ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r)) {
    case ZYDIS_REGISTER_RAX: return offsetof(struct user_regs_struct, rax);
    case ZYDIS_REGISTER_RBX: return offsetof(struct user_regs_struct, rbx);
    case ZYDIS_REGISTER_RCX: return offsetof(struct user_regs_struct, rcx);
    case ZYDIS_REGISTER_RDX: return offsetof(struct user_regs_struct, rdx);
    case ZYDIS_REGISTER_RSI: return offsetof(struct user_regs_struct, rsi);
    case ZYDIS_REGISTER_RDI: return offsetof(struct user_regs_struct, rdi);
    case ZYDIS_REGISTER_RBP: return offsetof(struct user_regs_struct, rbp);
    case ZYDIS_REGISTER_RSP: return offsetof(struct user_regs_struct, rsp);
    case ZYDIS_REGISTER_R8: return offsetof(struct user_regs_struct, r8);
    case ZYDIS_REGISTER_R9: return offsetof(struct user_regs_struct, r9);
    case ZYDIS_REGISTER_R10: return offsetof(struct user_regs_struct, r10);
    case ZYDIS_REGISTER_R11: return offsetof(struct user_regs_struct, r11);
    case ZYDIS_REGISTER_R12: return offsetof(struct user_regs_struct, r12);
    case ZYDIS_REGISTER_R13: return offsetof(struct user_regs_struct, r13);
    case ZYDIS_REGISTER_R14: return offsetof(struct user_regs_struct, r14);
    case ZYDIS_REGISTER_R15: return offsetof(struct user_regs_struct, r15);
    case ZYDIS_REGISTER_RIP: return R_RIP;
    case ZYDIS_REGISTER_FS: return offsetof(struct user_regs_struct, fs_base);
    case ZYDIS_REGISTER_GS: return offsetof(struct user_regs_struct, gs_base);
    default: return -3; /* a vector index (VSIB) or something unexpected */
    }
}

/* fetch reads up to 16 code bytes of the child at a. */
static size_t fetch(pid_t pid, uint64_t a, uint8_t buf[16])
{
    struct iovec local = {buf, 16}, remote = {(void *)a, 16};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n == 16)
        return 16;
    /* near the end of a mapping: word by word */
    size_t got = 0;
    for (; got < 16; got += 8) {
        errno = 0;
        long w = ptrace(PTRACE_PEEKTEXT, pid, (void *)(a + got), 0);
        if (errno != 0)
            break;
        memcpy(buf + got, &w, 8);
    }
    return got;
}

static int decode_at(pid_t pid, uint64_t a, ZydisDecodedInstruction *in,
                     ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT])
{
    uint8_t buf[16];
    size_t n = fetch(pid, a, buf);
    return n > 0 && ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, buf, n, in, ops));
}

/* lookup returns the decoded memory operands of the instruction at rip. */
static const struct dentry *lookup(pid_t pid, uint64_t rip)
{
    size_t mask = ((size_t)1 << DCACHE_BITS) - 1;
    size_t h = (size_t)((rip * 0x9e3779b97f4a7c15ull) >> 40) & mask;
    for (;; h = (h + 1) & mask) {
        struct dentry *e = &dcache[h];
        if (e->used && e->rip == rip)
            return e;
        if (!e->used)
            break;
    }
    struct dentry *e = &dcache[h];
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->rip = rip;
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!decode_at(pid, rip, &in, ops)) {
        decode_errors++;
        fprintf(stderr, "trace_ct: cannot decode the instruction at %#llx\n",
                (unsigned long long)rip);
        return e;
    }
    e->len = in.length;
    switch (in.mnemonic) {
    case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
    case ZYDIS_MNEMONIC_MOVSQ: case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
    case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ:
        /* rep movs / rep stos: the bytes touched follow from rdi, rsi, rcx
         * and DF at the start, so one step records them (not repe cmps /
         * repne scas: where those stop depends on the data) */
        e->repskip = (in.attributes & ZYDIS_ATTRIB_HAS_REP) != 0;
        break;
    default:
        break;
    }
    if (in.mnemonic == ZYDIS_MNEMONIC_NOP)
        return e; /* nop [rax+rax*1]: an operand that is never accessed */
    for (unsigned i = 0; i < in.operand_count; i++) {
        const ZydisDecodedOperand *o = &ops[i];
        if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
            continue;
        if (o->mem.type == ZYDIS_MEMOP_TYPE_AGEN || o->mem.type == ZYDIS_MEMOP_TYPE_MIB)
            continue; /* lea, bnd*: no access */
        if (o->mem.type == ZYDIS_MEMOP_TYPE_VSIB) {
            e->vsib = 1;
            continue;
        }
        if (e->nmem == 4) {
            decode_errors++;
            continue;
        }
        struct memop *m = &e->m[e->nmem++];
        m->base = (int16_t)reg_off(o->mem.base);
        m->index = (int16_t)reg_off(o->mem.index);
        int fsgs = o->mem.segment == ZYDIS_REGISTER_FS || o->mem.segment == ZYDIS_REGISTER_GS;
        m->seg = (int16_t)(fsgs ? reg_off(o->mem.segment) : R_NONE);
        m->scale = o->mem.scale;
        m->disp = o->mem.disp.value;
        m->addr32 = in.address_width == 32;
        if (m->base == -3 || m->index == -3 || (m->index == R_RIP)) {
            e->vsib = 1;
            e->nmem--;
        }
    }
    return e;
}

static inline uint64_t reg_val(const struct user_regs_struct *r, int off)
{
    uint64_t v;
    memcpy(&v, (const char *)r + off, 8);
    return v;
}

/* addresses returns the digest of the addresses instruction e (at r->rip)
 * accesses (0: none): the address itself for one operand. */
static uint64_t addresses(const struct dentry *e, const struct user_regs_struct *r)
{
    if (e->vsib)
        vsib_seen++;
    uint64_t d = 0;
    for (unsigned i = 0; i < e->nmem; i++) {
        const struct memop *m = &e->m[i];
        uint64_t a = (uint64_t)m->disp;
        if (m->base == R_RIP)
            a += r->rip + e->len;
        else if (m->base >= 0)
            a += reg_val(r, m->base);
        if (m->index >= 0)
            a += reg_val(r, m->index) * (m->scale ? m->scale : 1);
        if (m->addr32)
            a &= 0xffffffffu;
        if (m->seg >= 0)
            a += reg_val(r, m->seg);
        d = i == 0 ? a : d * 0x100000001b3ull ^ a;
    }
    return d;
}

/* ================================================================ symbols */

/* describe writes "object+0xoff function at file:line" for a code address
 * (dladdr for the object, addr2line for the function and line). */
static const char *describe(uint64_t a)
{
    static char out[4][512];
    static unsigned which;
    char *b = out[which++ & 3];
    Dl_info di;
    memset(&di, 0, sizeof di);
    if (dladdr((void *)a, &di) == 0 || di.dli_fname == NULL) {
        snprintf(b, 512, "%#llx (no object)", (unsigned long long)a);
        return b;
    }
    const char *obj = strrchr(di.dli_fname, '/') ? strrchr(di.dli_fname, '/') + 1 : di.dli_fname;
    uint64_t off = a - (uint64_t)di.dli_fbase;
    char fname[400];
    snprintf(fname, sizeof fname, "%s", di.dli_fname);
    if (strcmp(obj, "trace_ct") == 0 || di.dli_fname[0] == '\0') {
        ssize_t n = readlink("/proc/self/exe", fname, sizeof fname - 1);
        if (n > 0)
            fname[n] = '\0';
    }
    char line[300] = "";
    char cmd[600];
    snprintf(cmd, sizeof cmd, "addr2line -f -i -C -p -e '%s' %#llx 2>/dev/null", fname,
             (unsigned long long)off);
    FILE *p = popen(cmd, "r");
    if (p != NULL) {
        if (fgets(line, sizeof line, p) == NULL)
            line[0] = '\0';
        pclose(p);
        line[strcspn(line, "\n")] = '\0';
    }
    if (line[0] == '\0' || strncmp(line, "??", 2) == 0)
        snprintf(line, sizeof line, "%s", di.dli_sname ? di.dli_sname : "?");
    snprintf(b, 512, "%s+%#llx %s", obj, (unsigned long long)off, line);
    return b;
}

static const char *insn_text(pid_t pid, uint64_t a)
{
    static char buf[2][160];
    static unsigned which;
    char *b = buf[which++ & 1];
    ZydisDecodedInstruction in;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!decode_at(pid, a, &in, ops) ||
        !ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&zfmt, &in, ops, in.operand_count_visible,
                                                      b, sizeof buf[0], a, NULL)))
        snprintf(b, sizeof buf[0], "?");
    return b;
}

/* ================================================================ tracing */

struct trace {
    uint64_t *rip, *addr;
    size_t n, cap;
};

struct outcome {
    size_t steps;
    int child_rc;        /* the child's exit status (0: its result check passed) */
    int harness_error;   /* crashed, did not reach a marker, VSIB, ... */
    /* first divergence from the reference */
    int cf_diverged, addr_diverged;
    size_t cf_step, addr_step;
    uint64_t cf_prev, cf_ref, cf_got, addr_rip, addr_ref, addr_got;
    char addr_insn[160];
};

static unsigned long long total_steps;
static size_t max_steps = 20u * 1000 * 1000;
static int verbose;

typedef void (*child_fn)(const void *c, unsigned run);

static struct {
    child_fn fn;
    const void *c;
    unsigned run;
} child_call;
static char child_stack[4 << 20] __attribute__((aligned(64)));

static void child_trampoline(void)
{
    child_call.fn(child_call.c, child_call.run); /* exits */
    _exit(71);
}

/* run_over lets the child run until it reaches `next` (a breakpoint there),
 * then restores the code and leaves *r at next. */
static int run_over(pid_t pid, struct user_regs_struct *r, uint64_t next, int *st)
{
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)next, 0);
    if (errno != 0) {
        perror("trace_ct: PEEKTEXT");
        return 0;
    }
    long trap = (long)(((unsigned long)word & ~0xfful) | 0xcc);
    if (ptrace(PTRACE_POKETEXT, pid, (void *)next, (void *)trap) != 0 ||
        ptrace(PTRACE_CONT, pid, 0, 0) != 0 || waitpid(pid, st, 0) != pid) {
        perror("trace_ct: breakpoint");
        return 0;
    }
    if (!WIFSTOPPED(*st) || WSTOPSIG(*st) != SIGTRAP ||
        ptrace(PTRACE_GETREGS, pid, 0, r) != 0 || r->rip != next + 1) {
        fprintf(stderr, "trace_ct: child did not stop after the rep instruction before %#llx "
                        "(status %#x)\n", (unsigned long long)next, *st);
        return 0;
    }
    r->rip = next;
    if (ptrace(PTRACE_POKETEXT, pid, (void *)next, (void *)word) != 0 ||
        ptrace(PTRACE_SETREGS, pid, 0, r) != 0) {
        perror("trace_ct: restoring the breakpoint");
        return 0;
    }
    return 1;
}

/* abandon ends a child the parent gives up on. */
static void abandon(pid_t pid, struct outcome *o)
{
    int st;
    o->harness_error = 1;
    kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
        ;
}

/* trace_run forks a child that runs fn(c, run) and traces its region. With
 * ref == NULL the trace is stored in *store (the reference); otherwise it is
 * compared step by step with *ref. */
static void trace_run(child_fn fn, const void *c, unsigned run, const struct trace *ref,
                      struct trace *store, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        o->harness_error = 1;
        return;
    }
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
            _exit(70);
        /* on a static stack: the same stack addresses whichever function
         * forked (check_case or check_same) */
        static ucontext_t here, there;
        child_call.fn = fn;
        child_call.c = c;
        child_call.run = run;
        getcontext(&there);
        there.uc_stack.ss_sp = child_stack;
        there.uc_stack.ss_size = sizeof child_stack;
        there.uc_link = NULL;
        makecontext(&there, child_trampoline, 0);
        swapcontext(&here, &there);
        _exit(71);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
        fprintf(stderr, "trace_ct: child did not reach trace_ct_begin (status %#x)\n", st);
        abandon(pid, o);
        return;
    }
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0 || r.rip != (uint64_t)trace_ct_begin + 1) {
        fprintf(stderr, "trace_ct: stopped at %#llx, not after trace_ct_begin's int3\n",
                (unsigned long long)r.rip);
        abandon(pid, o);
        return;
    }
    const uint64_t end = (uint64_t)trace_ct_end;
    size_t n = 0;
    uint64_t prev = 0;
    if (store)
        store->n = 0;
    while (r.rip != end) {
        const struct dentry *de = lookup(pid, r.rip);
        uint64_t a = addresses(de, &r);
        if (de->repskip)
            a = (a * 0x100000001b3ull ^ r.rcx) * 0x100000001b3ull ^ (r.eflags & 0x400);
        if (store) {
            if (store->n == store->cap) {
                store->cap = store->cap ? 2 * store->cap : 1 << 16;
                store->rip = realloc(store->rip, store->cap * sizeof *store->rip);
                store->addr = realloc(store->addr, store->cap * sizeof *store->addr);
                if (store->rip == NULL || store->addr == NULL)
                    abort();
            }
            store->rip[store->n] = r.rip;
            store->addr[store->n++] = a;
        } else if (!o->cf_diverged) {
            if (n >= ref->n || ref->rip[n] != r.rip) {
                o->cf_diverged = 1;
                o->cf_step = n;
                o->cf_prev = prev;
                o->cf_ref = n < ref->n ? ref->rip[n] : end;
                o->cf_got = r.rip;
            } else if (ref->addr[n] != a && !o->addr_diverged) {
                o->addr_diverged = 1;
                o->addr_step = n;
                o->addr_rip = r.rip;
                o->addr_ref = ref->addr[n];
                o->addr_got = a;
                snprintf(o->addr_insn, sizeof o->addr_insn, "%s", insn_text(pid, r.rip));
            }
        }
        prev = r.rip;
        if (++n > max_steps) {
            fprintf(stderr, "trace_ct: more than %zu steps; giving up\n", max_steps);
            abandon(pid, o);
            return;
        }
        if (de->repskip) {
            /* run the whole rep movs / stos: a breakpoint after it */
            if (!run_over(pid, &r, r.rip + de->len, &st)) {
                abandon(pid, o);
                return;
            }
            continue;
        }
        if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0 || waitpid(pid, &st, 0) != pid) {
            perror("trace_ct: single-step");
            abandon(pid, o);
            return;
        }
        if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
            fprintf(stderr, "trace_ct: child %s %d at step %zu (after %s)\n",
                    WIFSTOPPED(st) ? "got signal" : "ended with status", st, n, describe(prev));
            abandon(pid, o);
            return;
        }
        if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0) {
            perror("trace_ct: PTRACE_GETREGS");
            abandon(pid, o);
            return;
        }
    }
    if (ref && !o->cf_diverged && n != ref->n) {
        o->cf_diverged = 1;
        o->cf_step = n;
        o->cf_prev = prev;
        o->cf_ref = ref->rip[n];
        o->cf_got = end;
    }
    o->steps = n;
    total_steps += n;
    if (ptrace(PTRACE_CONT, pid, 0, 0) != 0 || waitpid(pid, &st, 0) != pid) {
        abandon(pid, o);
        return;
    }
    if (!WIFEXITED(st)) {
        fprintf(stderr, "trace_ct: child did not exit after the traced region (status %#x)\n", st);
        if (WIFSTOPPED(st))
            abandon(pid, o);
        o->harness_error = 1;
        return;
    }
    o->child_rc = WEXITSTATUS(st);
}

/* ================================================================ reporting */

static unsigned long n_cases, n_leaks, n_errors;
static unsigned runs = 3;

/* report_divergence prints how run `run` left the reference trace. */
static void report_divergence(const char *tag, const char *what, const char *ref_name,
                              size_t ref_n, const char *run_name, const struct outcome *o)
{
    if (o->cf_diverged)
        printf("%s %s: control flow diverged at step %zu of %zu (%s vs %s):\n"
               "     after %s\n"
               "     %s went to %s\n"
               "     %s went to %s\n",
               tag, what, o->cf_step, ref_n, run_name, ref_name, describe(o->cf_prev), ref_name,
               describe(o->cf_ref), run_name, describe(o->cf_got));
    else
        printf("%s %s: memory address diverged at step %zu of %zu (%s vs %s), "
               "control flow identical:\n"
               "     at %s: %s\n"
               "     %s accessed %#llx, %s accessed %#llx\n",
               tag, what, o->addr_step, ref_n, run_name, ref_name, describe(o->addr_rip),
               o->addr_insn, ref_name, (unsigned long long)o->addr_ref, run_name,
               (unsigned long long)o->addr_got);
}

/* finish_case counts a case as an error, a leak or a pass. */
static void finish_case(const char *what, int bad, int leak, size_t n, unsigned nruns)
{
    if (vsib_seen) {
        fprintf(stderr, "FAIL %s: %d steps with a memory operand this tracer cannot compute "
                        "(VSIB: a gather or scatter)\n", what, vsib_seen);
        bad = 1;
    }
    if (decode_errors) {
        fprintf(stderr, "FAIL %s: %d instructions could not be decoded\n", what, decode_errors);
        bad = 1;
        decode_errors = 0;
    }
    if (n < 10 && !bad) {
        fprintf(stderr, "FAIL %s: only %zu steps traced: the region is empty?\n", what, n);
        bad = 1;
    }
    if (bad) {
        n_errors++;
        printf("ERR  %s\n", what);
    } else if (leak) {
        n_leaks++;
    } else if (verbose) {
        printf("ok   %s: %zu steps x %u run%s, same path and addresses\n", what, n, nruns,
               nruns == 1 ? " (= the traced tier's run 0)" : "s, different secrets");
    }
    fflush(stdout);
}

/* expect: kernel entry points a case must reach (its trace must contain
 * each), so a case cannot pass by not running what it is meant to test. */
struct expect {
    uint64_t fn[8];
    const char *name[8];
    size_t n;
};

/* FN: a kernel's entry address (0 for NULL) */
#define FN(f) ((uint64_t)(uintptr_t)(f))
#define FNP(f) ((const void *)(uintptr_t)(f))

static void expect_add(struct expect *e, uint64_t fn, const char *name)
{
    if (fn != 0 && e->n < 8) {
        e->fn[e->n] = fn;
        e->name[e->n++] = name;
    }
}

/* check_case traces runs 0..runs-1 of fn(c, .) (run 0 the reference, each
 * other run with other secrets compared with it) and reports. With save, the
 * reference trace is copied there; with ex, run 0 must have reached each of
 * those functions. */
static void check_case(const char *what, child_fn fn, const void *c, struct trace *save,
                       const struct expect *ex)
{
    static struct trace ref;
    struct outcome o0, o;
    n_cases++;
    vsib_seen = 0;
    trace_run(fn, c, 0, NULL, &ref, &o0);
    int bad = o0.harness_error || o0.child_rc != 0;
    if (o0.child_rc != 0)
        fprintf(stderr, "FAIL %s: run 0: the child's result check failed (exit %d)\n", what,
                o0.child_rc);
    for (size_t k = 0; ex != NULL && !bad && k < ex->n; k++) {
        size_t i = 0;
        while (i < ref.n && ref.rip[i] != ex->fn[k])
            i++;
        if (i == ref.n) {
            fprintf(stderr, "FAIL %s: never reached %s (%s): the case no longer fills that "
                            "family; see the batches in trace_ct.c\n",
                    what, ex->name[k], describe(ex->fn[k]));
            bad = 1;
        }
    }
    int leak = 0;
    for (unsigned run = 1; run < runs && !bad && !leak; run++) {
        trace_run(fn, c, run, &ref, NULL, &o);
        if (o.harness_error || o.child_rc != 0) {
            if (o.child_rc != 0)
                fprintf(stderr, "FAIL %s: run %u: the child's result check failed (exit %d)\n",
                        what, run, o.child_rc);
            bad = 1;
        } else if (o.cf_diverged || o.addr_diverged) {
            char rn[16];
            snprintf(rn, sizeof rn, "run %u", run);
            report_divergence("LEAK", what, "run 0", ref.n, rn, &o);
            leak = 1;
        }
    }
    if (save != NULL && !bad) {
        save->rip = realloc(save->rip, ref.n * sizeof *save->rip);
        save->addr = realloc(save->addr, ref.n * sizeof *save->addr);
        if (save->rip == NULL || save->addr == NULL)
            abort();
        memcpy(save->rip, ref.rip, ref.n * sizeof *ref.rip);
        memcpy(save->addr, ref.addr, ref.n * sizeof *ref.addr);
        save->n = save->cap = ref.n;
    }
    finish_case(what, bad, leak, ref.n, runs);
}

/* check_same traces run 0 of fn(c, .) on this tier and requires exactly the
 * trace `ref` another tier with the same tables gave (same instructions, same
 * addresses): the evidence that the tiers run the same code. */
static void check_same(const char *what, child_fn fn, const void *c, const struct trace *ref,
                       const char *ref_tier)
{
    struct outcome o;
    n_cases++;
    vsib_seen = 0;
    trace_run(fn, c, 0, ref, NULL, &o);
    int bad = o.harness_error || o.child_rc != 0;
    if (o.child_rc != 0)
        fprintf(stderr, "FAIL %s: the child's result check failed (exit %d)\n", what, o.child_rc);
    if (!bad && (o.cf_diverged || o.addr_diverged)) {
        printf("ERR  %s: not the code %s ran with the same tables and secrets:\n", what, ref_tier);
        report_divergence("    ", what, ref_tier, ref->n, "this tier", &o);
        bad = 1;
    }
    finish_case(what, bad, 0, o.steps, 1);
}

/* ================================================================ cases */

/* Public parameters of each suite; the keys come from the run's seed. */
struct suite_cfg {
    const char *name;
    e2e_suite suite;
    size_t iv_len, auth_len, kiv_len, ki_len, tag_len;
};
static const struct suite_cfg suites[] = {
    {"CCM", E2E_SUITE_AES_128_CCM, 13, 0, 0, 16, 16},
    {"CCM_8", E2E_SUITE_AES_128_CCM_8, 13, 0, 0, 16, 8},
    {"CS1+HMAC", E2E_SUITE_AES_128_CS1_HMAC_SHA256, 16, 16, 12, 0, 16},
    {"HMAC", E2E_SUITE_HMAC_SHA256, 0, 16, 12, 0, 16},
    {"CS1+HMAC key64 t32", E2E_SUITE_AES_128_CS1_HMAC_SHA256, 16, 64, 12, 16, 32},
};
#define N_SUITES 4 /* the first four for messages; the fifth only for key sets */
static const size_t lengths[] = {0, 15, 16, 17, 64, 300};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])
#define MAXMSG (320 + E2E_SEAL_OVERHEAD_MAX)
#define NJ 48 /* jobs and key sets */

/* The child's world: static, so every run sees the same addresses. */
static e2e_engine g_eng;
static e2e_keyset g_ks[NJ];
static e2e_keyset_params g_p[NJ];
static e2e_status g_st[NJ];
static uint8_t g_enc[NJ][16], g_auth[NJ][64];
static uint8_t g_kiv[64], g_iv[16], g_ki[16];
static uint8_t g_pt[NJ][320], g_msg[NJ][MAXMSG], g_out[NJ][MAXMSG];
static size_t g_ml[NJ], g_ol;
static e2e_job g_jobs[NJ];
static e2e_scratch g_scratch;
static uint64_t g_seed;

static void secrets_for(unsigned run)
{
    rng_seed(g_seed * 1000003u + run);
}

static void params_for(size_t i, const struct suite_cfg *s)
{
    rng_fill(g_enc[i], sizeof g_enc[i]);
    rng_fill(g_auth[i], sizeof g_auth[i]);
    e2e_keyset_params p = {.suite = s->suite, .tag_len = s->tag_len};
    if (s->suite != E2E_SUITE_HMAC_SHA256) {
        p.enc_key = g_enc[i];
        p.enc_key_len = 16;
        p.iv = g_iv;
        p.iv_len = s->iv_len;
    }
    if (s->auth_len) {
        p.auth_key = g_auth[i];
        p.auth_key_len = s->auth_len;
        p.kiv = g_kiv;
        p.kiv_len = s->kiv_len;
    }
    if (s->ki_len) {
        p.ki = g_ki;
        p.ki_len = s->ki_len;
    }
    g_p[i] = p;
}

static void public_init(void)
{
    /* public constants: a valid 12-byte automatic-rotation KIV/KI, a 16-byte
     * continuous-rotation KI, a nonce / IV */
    for (size_t i = 0; i < sizeof g_kiv; i++)
        g_kiv[i] = (uint8_t)(0x31 * i + 7);
    g_kiv[0] = 0x2a;
    for (size_t i = 0; i < sizeof g_ki; i++)
        g_ki[i] = (uint8_t)(0x17 * i + 3);
    g_ki[0] = 0x1f;
    for (size_t i = 0; i < sizeof g_iv; i++)
        g_iv[i] = (uint8_t)(0x5b * i + 1);
}

#define CHILD_FAIL(...)                       \
    do {                                      \
        fprintf(stderr, "child: " __VA_ARGS__); \
        fputc('\n', stderr);                  \
        _exit(3);                             \
    } while (0)

/* ---------------------------------------------------------------- key sets */

struct ks_case {
    const struct suite_cfg *s;
};

static void child_keyset(const void *cv, unsigned run)
{
    const struct ks_case *c = cv;
    secrets_for(run);
    params_for(0, c->s);
    trace_ct_begin();
    e2e_status st = e2e_keyset_init(&g_ks[0], &g_eng, &g_p[0]);
    trace_ct_end();
    if (st != E2E_OK)
        CHILD_FAIL("keyset_init %s: %s", c->s->name, e2e_status_name(st));
    _exit(0);
}

/* keyset_init_many of n key sets: CCM, and one CS1+HMAC in the middle (with
 * n = 9: a group of 8 for the AES lanes' expand_n and a remainder). */
struct many_case {
    size_t n;
};

static void child_many(const void *cv, unsigned run)
{
    const struct many_case *c = cv;
    secrets_for(run);
    for (size_t i = 0; i < c->n; i++)
        params_for(i, &suites[i == c->n / 2 ? 2 : 0]);
    trace_ct_begin();
    e2e_status st = e2e_keyset_init_many(g_ks, &g_eng, g_p, g_st, c->n);
    trace_ct_end();
    if (st != E2E_OK)
        CHILD_FAIL("keyset_init_many: %s", e2e_status_name(st));
    for (size_t i = 0; i < c->n; i++) {
        e2e_keyset one;
        if (g_st[i] != E2E_OK || e2e_keyset_init(&one, &g_eng, &g_p[i]) != E2E_OK ||
            memcmp(&one, &g_ks[i], sizeof one) != 0)
            CHILD_FAIL("keyset_init_many entry %zu differs from keyset_init", i);
    }
    _exit(0);
}

/* ---------------------------------------------------------------- messages */

enum msg_op { OP_SEAL, OP_OPEN, OP_TAMPERED };
static const char *const op_names[] = {"seal", "open", "tampered"};

struct msg_case {
    const struct suite_cfg *s;
    size_t len;
    enum msg_op op;
};

/* tamper flips one secret bit of msg: which byte depends on the run (the
 * last, the first of the body, the first of the tag, then at random), so an
 * early-exit compare would take a different path. (That shows for CCM and
 * HMAC-only, where a flipped tag bit flips that bit of the compared tag; a
 * CS1 flip garbles a whole decrypted block, so there the compare's first
 * difference does not move.) */
static void tamper(uint8_t *msg, size_t ml, size_t ki_len, size_t tag_len, unsigned run)
{
    size_t body = ml - ki_len, pos;
    switch (run % 4) {
    case 0: pos = ml - 1; break;
    case 1: pos = ki_len; break;
    case 2: pos = ml - (tag_len < body ? tag_len : body); break;
    default: pos = ki_len + rng_below(body); break;
    }
    msg[pos] ^= (uint8_t)(1u << rng_below(8));
}

static void seal_one(size_t i, size_t len)
{
    size_t cap = e2e_seal_len(&g_ks[i], len);
    e2e_status st = e2e_seal(&g_eng, &g_ks[i], g_msg[i], cap, &g_ml[i], g_pt[i], len);
    if (st != E2E_OK)
        CHILD_FAIL("seal (untraced) of %zu bytes: %s", len, e2e_status_name(st));
}

static void child_msg(const void *cv, unsigned run)
{
    const struct msg_case *c = cv;
    secrets_for(run);
    params_for(0, c->s);
    if (e2e_keyset_init(&g_ks[0], &g_eng, &g_p[0]) != E2E_OK)
        CHILD_FAIL("keyset");
    rng_fill(g_pt[0], c->len);
    size_t ki_len = 0;
    e2e_keyset_ki(&g_ks[0], &ki_len);
    e2e_status st;
    if (c->op == OP_SEAL) {
        size_t cap = e2e_seal_len(&g_ks[0], c->len);
        trace_ct_begin();
        st = e2e_seal(&g_eng, &g_ks[0], g_msg[0], cap, &g_ml[0], g_pt[0], c->len);
        trace_ct_end();
        if (st != E2E_OK || g_ml[0] != cap)
            CHILD_FAIL("seal: %s", e2e_status_name(st));
        st = e2e_open(&g_eng, &g_ks[0], g_out[0], sizeof g_out[0], &g_ol, g_msg[0], g_ml[0]);
        if (st != E2E_OK || g_ol != c->len || memcmp(g_out[0], g_pt[0], c->len) != 0)
            CHILD_FAIL("the sealed message does not open back: %s", e2e_status_name(st));
        _exit(0);
    }
    seal_one(0, c->len);
    if (c->op == OP_TAMPERED)
        tamper(g_msg[0], g_ml[0], ki_len, e2e_keyset_tag_len(&g_ks[0]), run);
    memset(g_out[0], 0xa5, sizeof g_out[0]);
    trace_ct_begin();
    st = e2e_open(&g_eng, &g_ks[0], g_out[0], sizeof g_out[0], &g_ol, g_msg[0], g_ml[0]);
    trace_ct_end();
    if (c->op == OP_OPEN) {
        if (st != E2E_OK || g_ol != c->len || memcmp(g_out[0], g_pt[0], c->len) != 0)
            CHILD_FAIL("open: %s", e2e_status_name(st));
    } else if (st != E2E_ERR_AUTH || g_ol != 0 || !all_zero(g_out[0], g_ml[0])) {
        CHILD_FAIL("tampered open: %s, out_len %zu, output %s", e2e_status_name(st), g_ol,
                   all_zero(g_out[0], g_ml[0]) ? "wiped" : "NOT wiped");
    }
    _exit(0);
}

/* ---------------------------------------------------------------- batches */

struct bjob {
    uint8_t suite, op; /* suite index; OP_* */
    uint16_t len;
};
struct batch_case {
    const struct bjob *jobs;
    size_t n;
};

/* The batches, after engine/batch.c's passes: CCM opens of up to 256 bytes
 * (seals of up to 112) run in groups of equal block count, longer CCM in one
 * fused pass (the wide family's .ccm, from 9 jobs) or a CTR and a CBC-MAC
 * pass through the lane scheduler; HMACs as whole messages where the SHA
 * family has .hmac_msgs (SHA-NI), else those whose inner hash is 1 or 2
 * blocks in groups (the family's fused .hmac kernel), longer ones through
 * the lane scheduler (.blocks); CS1 seals of up to 16 blocks in
 * groups, longer ones through the scheduler. Each list picks the wide family
 * from wide_min jobs (16 lanes: 9 AES, 14 SHA), the narrow one from 2, one
 * lane for 1. Four kinds of job fill those lists:
 *   A  CCM 16 bytes (a 1-block group)      B  CCM 272 / seal 130 (long CCM)
 *   C  CS1+HMAC seal 17 (1-block HMAC group and a 3-block CS1 group)
 *   D  HMAC 120 bytes (a 3-block inner hash: the lane scheduler)
 * Valid, tampered and seal jobs are mixed. Which lane kernels a batch must
 * reach is checked on its trace (struct expect, in plan_tier), so a scheduler
 * change that stops a batch from filling a family fails here instead of
 * going unseen. */
#define A_OPEN {0, OP_OPEN, 16}, {1, OP_TAMPERED, 16}, {0, OP_SEAL, 16}
#define B_OPEN {0, OP_OPEN, 272}, {1, OP_TAMPERED, 272}, {0, OP_SEAL, 130}
#define C_SEAL {2, OP_SEAL, 17}, {2, OP_SEAL, 17}, {2, OP_SEAL, 17}
#define D_OPEN {3, OP_OPEN, 120}, {3, OP_TAMPERED, 120}, {3, OP_SEAL, 120}
/* 1 job per list: one lane everywhere */
static const struct bjob batch_one[] = {{0, OP_OPEN, 16}, {2, OP_SEAL, 17}, {3, OP_TAMPERED, 120}};
/* 3 per list: the narrow families (the wide ones where there is no narrow) */
static const struct bjob batch_narrow[] = {A_OPEN, B_OPEN, C_SEAL, D_OPEN};
/* 9 A, 9 B, 14 C (14 1-block HMACs, 14 CS1 groups), 14 D: the 16-lane ones */
static const struct bjob batch_wide[] = {A_OPEN, A_OPEN, A_OPEN, B_OPEN, B_OPEN, B_OPEN,
                                         C_SEAL, C_SEAL, C_SEAL, C_SEAL, {2, OP_SEAL, 17},
                                         {2, OP_SEAL, 17}, D_OPEN, D_OPEN, D_OPEN, D_OPEN,
                                         {3, OP_OPEN, 120}, {3, OP_OPEN, 120}};
/* a new SHA lane family on a tier without AES lanes: HMAC-only, 3 per list */
static const struct bjob batch_sha[] = {{3, OP_OPEN, 17}, {3, OP_TAMPERED, 17}, {3, OP_SEAL, 17},
                                        D_OPEN};
_Static_assert(sizeof batch_wide / sizeof batch_wide[0] == 46, "9 + 9 + 14 + 14");
_Static_assert(sizeof batch_wide / sizeof batch_wide[0] <= NJ, "grow NJ");

static void child_batch(const void *cv, unsigned run)
{
    const struct batch_case *c = cv;
    secrets_for(run);
    for (size_t i = 0; i < c->n; i++) {
        const struct bjob *b = &c->jobs[i];
        params_for(i, &suites[b->suite]);
        if (e2e_keyset_init(&g_ks[i], &g_eng, &g_p[i]) != E2E_OK)
            CHILD_FAIL("keyset %zu", i);
        rng_fill(g_pt[i], b->len);
        e2e_job *j = &g_jobs[i];
        memset(j, 0, sizeof *j);
        j->keys = &g_ks[i];
        j->out = g_out[i];
        j->out_cap = sizeof g_out[i];
        if (b->op == OP_SEAL) {
            j->op = E2E_SEAL;
            j->in = g_pt[i];
            j->in_len = b->len;
        } else {
            seal_one(i, b->len);
            if (b->op == OP_TAMPERED) {
                size_t ki_len = 0;
                e2e_keyset_ki(&g_ks[i], &ki_len);
                tamper(g_msg[i], g_ml[i], ki_len, e2e_keyset_tag_len(&g_ks[i]), run + (unsigned)i);
            }
            j->op = E2E_OPEN;
            j->in = g_msg[i];
            j->in_len = g_ml[i];
        }
    }
    trace_ct_begin();
    e2e_status st = e2e_batch_run(&g_eng, g_jobs, c->n, &g_scratch);
    trace_ct_end();
    if (st != E2E_OK)
        CHILD_FAIL("batch_run: %s", e2e_status_name(st));
    for (size_t i = 0; i < c->n; i++) {
        const struct bjob *b = &c->jobs[i];
        const e2e_job *j = &g_jobs[i];
        e2e_status want = b->op == OP_TAMPERED ? E2E_ERR_AUTH : E2E_OK;
        if (j->status != want)
            CHILD_FAIL("batch job %zu: %s, want %s", i, e2e_status_name(j->status),
                       e2e_status_name(want));
        if (b->op == OP_OPEN && (j->out_len != b->len || memcmp(g_out[i], g_pt[i], b->len) != 0))
            CHILD_FAIL("batch job %zu: wrong plaintext", i);
        if (b->op == OP_SEAL) {
            size_t ol = 0;
            if (e2e_open(&g_eng, &g_ks[i], g_msg[i], sizeof g_msg[i], &ol, g_out[i], j->out_len) !=
                    E2E_OK || ol != b->len || memcmp(g_msg[i], g_pt[i], b->len) != 0)
                CHILD_FAIL("batch job %zu: the sealed message does not open back", i);
        }
    }
    _exit(0);
}

/* ---------------------------------------------------------------- Sigfox */

static void child_sigfox(const void *cv, unsigned run)
{
    (void)cv;
    secrets_for(run);
    uint8_t *key = g_enc[0], *in = g_pt[0], *out = g_out[0];
    rng_fill(key, 12);
    rng_fill(in, 12);
    /* the frame's leading bits (the legacy mode's "bit length") vary too */
    in[0] = run % 3 == 0 ? 0x00 : run % 3 == 1 ? 0x80 : (uint8_t)(in[0] | 1);
    in[1] = run % 2 ? 0x00 : in[1];
    int lossy = -1;
    trace_ct_begin();
    e2e_status a = e2e_sigfox_xor(out, key, 12, in, 12);
    e2e_status b = e2e_sigfox_xor_legacy(out + 16, &lossy, key, 12, in, 12);
    trace_ct_end();
    if (a != E2E_OK || b != E2E_OK || (lossy != 0 && lossy != 1))
        CHILD_FAIL("sigfox: %s %s lossy %d", e2e_status_name(a), e2e_status_name(b), lossy);
    _exit(0);
}

/* ---------------------------------------------------------------- harness controls */

/* leaky_compare is the classic mistake: memcmp-style, it stops at the first
 * difference. leaky_sbox indexes a table with a secret byte. Both are what
 * the self-checks must catch; ct_sbox (reads every entry, keeps one by mask)
 * and e2e_ct_verify are their constant-time counterparts the main run must
 * pass. */
__attribute__((noinline, used)) int leaky_compare(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static const uint8_t sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76};

__attribute__((noinline, used)) uint8_t leaky_sbox(const uint8_t *x, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc ^= sbox[x[i]];
    return acc;
}

__attribute__((noinline, used)) uint8_t ct_sbox(const uint8_t *x, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        for (uint32_t k = 0; k < 256; k++)
            v |= sbox[k] & e2e_value_barrier_u32(~e2e_ct_mask_nonzero(k ^ x[i]));
        acc ^= (uint8_t)v;
    }
    return acc;
}

struct ctl_case {
    int which; /* 0 leaky_compare, 1 leaky_sbox, 2 e2e_ct_verify, 3 ct_sbox */
};

static void child_control(const void *cv, unsigned run)
{
    const struct ctl_case *c = cv;
    secrets_for(run);
    uint8_t *mac = g_pt[0], *tag = g_pt[1];
    rng_fill(mac, 16);
    memcpy(tag, mac, 16);
    tag[(run * 7 + 3) % 16] ^= 0x10;   /* a wrong tag; where it differs is secret */
    volatile int r = 0;
    trace_ct_begin();
    switch (c->which) {
    case 0: r = leaky_compare(mac, tag, 16); break;
    case 1: r = leaky_sbox(mac, 16); break;
    case 2: r = e2e_ct_verify(mac, tag, 16); break;
    default: r = ct_sbox(mac, 1); break;
    }
    trace_ct_end();
    if (c->which == 3 && r != leaky_sbox(mac, 1))
        CHILD_FAIL("ct_sbox differs from the table lookup");
    if ((c->which == 0 || c->which == 2) && r != 0)
        CHILD_FAIL("a wrong tag compared equal");
    _exit(0);
}

/* ================================================================ plan */

/* What valgrind 3.19 executes (VEX implements these and its CPUID reports
 * them): a table that needs no more runs under test_ct, on a tier valgrind
 * runs (aesni, avx2, portable), with every secret bit tracked. SHA-NI,
 * AVX-512 and VAES it does not run: those tables are this tracer's job. */
#define VEX_RUNS (E2E_CPU_SSSE3 | E2E_CPU_SSE41 | E2E_CPU_AESNI | E2E_CPU_PCLMUL | \
                  E2E_CPU_AVX | E2E_CPU_AVX2)
static int vex_runs(uint32_t needs)
{
    return (needs & ~(uint32_t)VEX_RUNS) == 0;
}

/* Which code a case reaches depends only on the engine's tables
 * (engine/internal.h struct engine_impl: single-message AES and SHA-256,
 * wide and narrow AES and SHA-256 lane families; nothing else in it steers
 * the code), and single-stepping costs ~25-30 us an instruction on the CI VM.
 * So, going through the tiers fastest first:
 *   key sets, messages   the full matrix (5 key sets; CCM, CCM_8, CS1+HMAC,
 *                        HMAC x 0, 15, 16, 17, 64, 300 bytes x seal, open,
 *                        tampered open) on the first tier with an AES or
 *                        SHA-256 table valgrind cannot run (SHA-NI here); where
 *                        such a tier's partner table is portable (~7,000
 *                        instructions an AES block), the suites reaching the
 *                        new table at 17 bytes. A tier whose tables were all
 *                        traced, or run under valgrind, but whose pair is new
 *                        runs the case where the two meet (tampered CS1+HMAC,
 *                        17 bytes) if one of them is valgrind's blind spot.
 *                        The mode code around the tables sees the same
 *                        lengths, pointers and values whatever the tables
 *                        (they compute the same function), so a table's trace
 *                        does not depend on its partner.
 *   keyset_init_many     9 key sets where the AES lanes' expand_n is one
 *                        valgrind cannot run and was not traced.
 *   batches              every tier: one job per scheduler list (one lane
 *                        everywhere); a tier with the same six tables as one
 *                        traced runs it once with run 0's secrets and must give
 *                        exactly that tier's trace (same instructions, same
 *                        addresses), so the fold is checked, not assumed. Where
 *                        the tier brings a lane family valgrind cannot run and
 *                        that was not traced: 3 jobs per list (the narrow
 *                        families, or the wide ones without a narrow one), and
 *                        where a narrow family exists 46 jobs (9 / 14 per list:
 *                        the 16-lane ones); their traces must reach each of
 *                        those families' kernels.
 * Everything else is printed as where it was traced, or as test_ct's. */
struct tables {
    const void *aes, *sha, *al, *an, *sl, *sn;
    const char *tier;
    struct trace one; /* the 1-per-list batch's reference trace */
    int have_one;
};
static struct tables seen_pair[16], seen_all[16];
static size_t n_pair, n_all;
struct seen {
    const void *table;
    const char *tier;
};
static struct seen seen_tab[32];
static size_t n_tab;

/* traced_on returns the tier a table was traced on (NULL: not yet); with
 * mark, records it as traced on tier. */
static const char *traced_on(const void *table, const char *tier, int mark)
{
    for (size_t i = 0; i < n_tab; i++)
        if (seen_tab[i].table == table)
            return seen_tab[i].tier;
    if (mark && n_tab < 32)
        seen_tab[n_tab++] = (struct seen){table, tier};
    return NULL;
}

/* first_with returns the entry already seen with the same first n_cmp
 * tables (of aes, sha, al, an, sl, sn), or NULL after recording t. */
static struct tables *first_with(struct tables *seen, size_t *n, const struct tables *t,
                                 size_t n_cmp)
{
    const void *b[6] = {t->aes, t->sha, t->al, t->an, t->sl, t->sn};
    for (size_t i = 0; i < *n; i++) {
        const void *a[6] = {seen[i].aes, seen[i].sha, seen[i].al, seen[i].an, seen[i].sl,
                            seen[i].sn};
        if (memcmp(a, b, n_cmp * sizeof a[0]) == 0)
            return &seen[i];
    }
    if (*n < 16) {
        seen[*n] = *t;
        seen[*n].have_one = 0;
        memset(&seen[*n].one, 0, sizeof seen[*n].one);
        (*n)++;
    }
    return NULL;
}

static struct ks_case ks_cases[5];
static struct msg_case msg_cases[3][N_SUITES][N_LENGTHS];
static struct many_case many_case = {9};
#define BATCH(a) {a, sizeof a / sizeof a[0]}
static const struct batch_case b_one = BATCH(batch_one), b_sha = BATCH(batch_sha),
                               b_narrow = BATCH(batch_narrow), b_wide = BATCH(batch_wide);

static void messages(const char *name, int soft, int aes_new, int sha_new)
{
    char what[160];
    /* suites: 0 CCM, 1 CCM_8, 2 CS1+HMAC, 3 HMAC, 4 CS1+HMAC key64 (key set only) */
    int want[5] = {1, 1, 1, 1, 1};
    if (soft) {
        want[0] = aes_new;
        want[1] = want[4] = 0;
        want[3] = sha_new;
    }
    for (size_t s = 0; s < 5; s++) {
        if (!want[s])
            continue;
        ks_cases[s].s = &suites[s];
        snprintf(what, sizeof what, "%s keyset_init %s", name, suites[s].name);
        check_case(what, child_keyset, &ks_cases[s], NULL, NULL);
    }
    for (int op = 0; op < 3; op++)
        for (size_t s = 0; s < N_SUITES; s++)
            for (size_t l = 0; l < N_LENGTHS; l++) {
                if (!want[s] || (soft && lengths[l] != 17))
                    continue;
                struct msg_case *c = &msg_cases[op][s][l];
                *c = (struct msg_case){&suites[s], lengths[l], (enum msg_op)op};
                snprintf(what, sizeof what, "%s %s %s %zu", name, op_names[op], suites[s].name,
                         lengths[l]);
                check_case(what, child_msg, c, NULL, NULL);
            }
}

/* plan_tier decides, and with run set traces, the cases of tier `name`
 * (g_eng). Every tier goes through it in order, so the decisions are the
 * same whichever group of tiers this process runs. */
static void plan_tier(const char *name, int run)
{
    const struct engine_impl *im = e2e_engine_impl(&g_eng);
    struct tables t = {im->aes, im->sha, im->aes_lanes, im->aes_narrow, im->sha_lanes,
                       im->sha_narrow, name, {0}, 0};
    const struct e2e_aes_lane_impl *ael = im->aes_lanes, *aen = im->aes_narrow;
    const struct e2e_sha_lane_impl *shl = im->sha_lanes, *shn = im->sha_narrow;
    char what[160];

    /* key sets and messages */
    int aes_vex = vex_runs(im->aes->needs), sha_vex = vex_runs(im->sha->needs);
    const char *aes_at = traced_on(im->aes, name, 0), *sha_at = traced_on(im->sha, name, 0);
    int aes_new = !aes_vex && aes_at == NULL, sha_new = !sha_vex && sha_at == NULL;
    int new_pair = first_with(seen_pair, &n_pair, &t, 2) == NULL;
    if (aes_new || sha_new) {
        traced_on(im->aes, name, 1);
        traced_on(im->sha, name, 1);
        if (run)
            messages(name, im->aes == &e2e_aes_impl_portable || im->sha == &e2e_sha_impl_portable,
                     aes_new, sha_new);
    } else if (run) {
        printf("     %s: key sets and messages: AES %s, SHA-256 %s\n", name,
               aes_vex ? "runs under valgrind (test_ct)" : "traced on an earlier tier",
               sha_vex ? "runs under valgrind (test_ct)" : "traced on an earlier tier");
        if (new_pair && !(aes_vex && sha_vex)) {
            /* a new pair: one case where the two tables meet */
            static struct msg_case meet;
            meet = (struct msg_case){&suites[2], 17, OP_TAMPERED};
            snprintf(what, sizeof what, "%s tampered CS1+HMAC 17", name);
            check_case(what, child_msg, &meet, NULL, NULL);
        }
    }

    /* keyset_init_many: the AES lanes' expand_n */
    if (ael != NULL && !vex_runs(ael->needs) && traced_on(FNP(ael->expand_n), name, 1) == NULL) {
        if (run) {
            struct expect ex = {0};
            expect_add(&ex, FN(ael->expand_n), "the AES lanes' expand_n");
            snprintf(what, sizeof what, "%s keyset_init_many x%zu", name, many_case.n);
            check_case(what, child_many, &many_case, NULL, &ex);
        }
    } else if (run) {
        printf("     %s: keyset_init_many: %s\n", name,
               ael == NULL || vex_runs(ael->needs) ? "no lanes valgrind cannot run (test_ct)"
                                                   : "traced on an earlier tier");
    }

    /* batches: one job per list on every tier */
    struct tables *rp = first_with(seen_all, &n_all, &t, 6);
    if (run && rp != NULL && rp->have_one) {
        snprintf(what, sizeof what, "%s batch_run %zu jobs = %s's", name, b_one.n, rp->tier);
        check_same(what, child_batch, &b_one, &rp->one, rp->tier);
    } else if (run) {
        if (rp == NULL)
            rp = &seen_all[n_all - 1];
        snprintf(what, sizeof what, "%s batch_run %zu jobs", name, b_one.n);
        check_case(what, child_batch, &b_one, &rp->one, NULL);
        rp->have_one = rp->one.n > 0;
    }
    /* the narrow and wide batches where a lane family is new */
    int new_family = 0;
    const void *fams[4] = {ael, aen, shl, shn};
    uint32_t needs[4] = {ael ? ael->needs : 0, aen ? aen->needs : 0, shl ? shl->needs : 0,
                         shn ? shn->needs : 0};
    for (size_t f = 0; f < 4; f++)
        if (fams[f] != NULL && !vex_runs(needs[f]) && traced_on(fams[f], name, 1) == NULL)
            new_family = 1;
    if (!run)
        return;
    if (!new_family) {
        printf("     %s: batches: no lane family that valgrind cannot run and that was not "
               "traced on an earlier tier\n", name);
        return;
    }
    /* the narrow families, or the wide ones where there is no narrow */
    const struct e2e_aes_lane_impl *af = aen ? aen : ael;
    const struct e2e_aes_lane_impl *cf = aen && aen->ctr ? aen : ael;
    const struct e2e_sha_lane_impl *sf = shn ? shn : shl;
    struct expect ex = {0};
    /* the scheduler runs whole HMACs where a family has them (wide first) */
    void (*msgs)(struct e2e_hmac_msg *, size_t) =
        shl && shl->hmac_msgs ? shl->hmac_msgs : shn && shn->hmac_msgs ? shn->hmac_msgs : NULL;
    if (msgs != NULL) {
        expect_add(&ex, FN(msgs), "the SHA lanes' whole HMACs");
    } else if (sf != NULL) {
        expect_add(&ex, FN(sf->blocks), "the SHA lanes' blocks");
        expect_add(&ex, FN(sf->hmac), "the SHA lanes' fused hmac");
    }
    if (ael != NULL) {
        expect_add(&ex, FN(af->cbcmac), "the AES lanes' cbcmac");
        expect_add(&ex, FN(af->cbcenc), "the AES lanes' cbcenc");
        if (ael->ctr != NULL)
            expect_add(&ex, FN(cf->ctr), "the AES lanes' ctr");
        snprintf(what, sizeof what, "%s batch_run %zu jobs", name, b_narrow.n);
        check_case(what, child_batch, &b_narrow, NULL, &ex);
    } else if (shl != NULL) {
        snprintf(what, sizeof what, "%s batch_run %zu HMAC jobs", name, b_sha.n);
        check_case(what, child_batch, &b_sha, NULL, &ex);
    }
    if (aen != NULL || shn != NULL) {
        struct expect ew = {0};
        if (msgs != NULL) {
            expect_add(&ew, FN(msgs), "the SHA lanes' whole HMACs");
        } else if (shl != NULL) {
            expect_add(&ew, FN(shl->blocks), "the wide SHA lanes' blocks");
            expect_add(&ew, FN(shl->hmac), "the wide SHA lanes' fused hmac");
        }
        if (ael != NULL) {
            expect_add(&ew, FN(ael->cbcmac), "the wide AES lanes' cbcmac");
            expect_add(&ew, FN(ael->cbcenc), "the wide AES lanes' cbcenc");
            expect_add(&ew, FN(ael->ctr), "the wide AES lanes' ctr");
            if (ael->ccm != NULL)  /* 9 long CCM jobs: the fused pass */
                expect_add(&ew, FN(ael->ccm), "the wide AES lanes' fused ccm");
        }
        snprintf(what, sizeof what, "%s batch_run %zu jobs", name, b_wide.n);
        check_case(what, child_batch, &b_wide, NULL, &ew);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: trace_ct [--tiers all|sha-ni|no-sha-ni] [--tier NAME] [--runs N] [-v]\n"
                    "       trace_ct --self-check=branch|index\n");
    exit(2);
}

static void setup_tracer(void)
{
    dcache = calloc((size_t)1 << DCACHE_BITS, sizeof *dcache);
    if (dcache == NULL)
        abort();
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&zdec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
        !ZYAN_SUCCESS(ZydisFormatterInit(&zfmt, ZYDIS_FORMATTER_STYLE_INTEL))) {
        fprintf(stderr, "trace_ct: Zydis init failed\n");
        exit(2);
    }
}

static int finish(double t0)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double secs = ts.tv_sec + ts.tv_nsec / 1e9 - t0;
    printf("trace_ct: %lu cases, %llu instructions single-stepped in %.1f s; %lu leaks, "
           "%lu errors\n",
           n_cases, total_steps, secs, n_leaks, n_errors);
    printf("%lu passed, %lu failed\n", n_cases - n_leaks - n_errors, n_leaks + n_errors);
    fflush(stdout);
    return n_errors ? 2 : n_leaks ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *only = NULL, *self = NULL, *group = "all";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tier") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--tiers") == 0 && i + 1 < argc)
            group = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strncmp(argv[i], "--self-check=", 13) == 0)
            self = argv[i] + 13;
        else if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else
            usage();
    }
    if (runs < 2 || (strcmp(group, "all") != 0 && strcmp(group, "sha-ni") != 0 &&
                     strcmp(group, "no-sha-ni") != 0))
        usage();
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t0 = ts.tv_sec + ts.tv_nsec / 1e9;
    setup_tracer();
    public_init();
    const char *e = getenv("E2E_TEST_SEED");
    g_seed = e && *e ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("trace_ct: seed 0x%016llx (re-run with E2E_TEST_SEED=0x%016llx), %u secrets per case\n",
           (unsigned long long)g_seed, (unsigned long long)g_seed, runs);

    if (self != NULL) {
        static const struct ctl_case leaky_branch = {0}, leaky_index = {1};
        if (strcmp(self, "branch") == 0)
            check_case("self-check: a branch on a secret", child_control, &leaky_branch, NULL,
                       NULL);
        else if (strcmp(self, "index") == 0)
            check_case("self-check: a table index from a secret", child_control, &leaky_index,
                       NULL, NULL);
        else
            usage();
        return finish(t0);
    }

    /* the harness on constant-time code: no false alarms */
    static const struct ctl_case ctl_verify = {2}, ctl_sbox = {3};
    check_case("control: e2e_ct_verify", child_control, &ctl_verify, NULL, NULL);
    check_case("control: ct_sbox", child_control, &ctl_sbox, NULL, NULL);
    if (strcmp(group, "sha-ni") != 0)
        check_case("sigfox_xor + legacy", child_sigfox, NULL, NULL, NULL);

    size_t tiers_run = 0;
    for (const char *const *nm = e2e_impl_names(); *nm != NULL; nm++) {
        if (strcmp(*nm, "best") == 0 || (only != NULL && strcmp(*nm, only) != 0))
            continue; /* --tier: that tier alone, nothing folded */
        e2e_status st = e2e_engine_init_named(&g_eng, *nm);
        if (st == E2E_ERR_CPU) {
            printf("SKIP %s (cpu)\n", *nm);
            continue;
        }
        if (st != E2E_OK || e2e_engine_impl(&g_eng) == NULL) {
            printf("ERR  %s: %s\n", *nm, e2e_status_name(st));
            n_errors++;
            continue;
        }
        /* the group: tiers whose SHA-256 table is SHA-NI or not (tiers
         * folded into one another have the same tables, so the same group) */
        int shani = (e2e_engine_impl(&g_eng)->sha->needs & E2E_CPU_SHANI) != 0;
        int run = !(shani && strcmp(group, "no-sha-ni") == 0) &&
                  !(!shani && strcmp(group, "sha-ni") == 0);
        unsigned long leaks0 = n_leaks, errs0 = n_errors, cases0 = n_cases;
        unsigned long long steps0 = total_steps;
        plan_tier(*nm, run);
        if (!run)
            continue;
        tiers_run++;
        printf("%-4s %-12s %lu cases, %llu instructions traced\n",
               n_leaks == leaks0 && n_errors == errs0 ? "ok" : "FAIL", *nm, n_cases - cases0,
               total_steps - steps0);
    }
    if (tiers_run == 0 && only != NULL) {
        printf("ERR  no runnable tier named %s\n", only);
        n_errors++;
    } else if (tiers_run == 0) {
        printf("SKIP no %s tier on this CPU\n", group);
    }
    return finish(t0);
}
