/* peers.c — load the peer modules.
 *
 * Implementation notes: BoringSSL and OpenSSL 3 export the same names
 * (AES_encrypt, AES_cbc_encrypt, HMAC_Init_ex, SHA256, ...), so both cannot
 * be linked into one executable. Each peer is therefore a shared module
 * linked against its own library with -Bsymbolic and hidden visibility
 * (only bench_impl_<peer> is exported), and it is loaded here with
 * RTLD_LOCAL: its libcrypto joins only the module's own lookup scope, never
 * the global one. Because the executable itself links no libcrypto, every
 * undefined AES_* / HMAC_* reference of a module — and of the libcrypto it
 * pulled in — is then resolved inside that module's scope. Two conditions
 * are checked at run time rather than trusted: the global scope holds no
 * AES_encrypt (bench_global_scope_clean), and each module's identity
 * function proves where its code comes from. RTLD_DEEPBIND is not used: it
 * would also work but breaks AddressSanitizer builds. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peers.h"

const char *const bench_peer_names[] = {"boringssl", "openssl", "ipsecmb"};
const size_t bench_n_peers = sizeof bench_peer_names / sizeof bench_peer_names[0];

#ifndef E2E_BENCH_MODULE_DIR
#define E2E_BENCH_MODULE_DIR "."
#endif

static void *try_open(const char *dir, const char *name, char *err, size_t err_len)
{
    char path[PATH_MAX];
    if (dir == NULL || !dir[0])
        return NULL;
    snprintf(path, sizeof path, "%s/libe2e_bench_%s.so", dir, name);
    if (access(path, R_OK) != 0)
        return NULL;
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        snprintf(err, err_len, "dlopen %s: %s", path, dlerror());
    return h;
}

const struct bench_impl *bench_load_peer(const char *name, char *err, size_t err_len)
{
    char exe_dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof exe_dir - 1);
    exe_dir[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe_dir, '/');
    if (slash)
        *slash = '\0';
    const char *dirs[] = {getenv("E2E_BENCH_MODULE_DIR"), exe_dir, E2E_BENCH_MODULE_DIR};
    err[0] = '\0';
    void *h = NULL;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && h == NULL && !err[0]; i++)
        h = try_open(dirs[i], name, err, err_len);
    if (h == NULL) {
        if (!err[0])
            snprintf(err, err_len, "libe2e_bench_%s.so not found (set E2E_BENCH_MODULE_DIR)",
                     name);
        return NULL;
    }
    char sym[64];
    snprintf(sym, sizeof sym, "bench_impl_%s", name);
    bench_impl_entry entry;
    void *p = dlsym(h, sym);
    memcpy(&entry, &p, sizeof entry);
    if (entry == NULL) {
        snprintf(err, err_len, "libe2e_bench_%s.so has no %s", name, sym);
        return NULL;
    }
    return entry();
}

int bench_global_scope_clean(char *err, size_t err_len)
{
    static const char *const names[] = {"AES_encrypt", "HMAC_Init_ex", "EVP_sha256"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *p = dlsym(RTLD_DEFAULT, names[i]);
        if (p != NULL) {
            Dl_info info;
            snprintf(err, err_len, "%s is in the global symbol scope (from %s)", names[i],
                     dladdr(p, &info) && info.dli_fname ? info.dli_fname : "?");
            return 0;
        }
    }
    return 1;
}
