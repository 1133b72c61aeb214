/* peers.h — find and load the peer modules (libe2e_bench_<peer>.so). */
#ifndef E2E_BENCH_PEERS_H
#define E2E_BENCH_PEERS_H

#include <stddef.h>

#include "shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The peers, in the order of the report's columns. */
extern const char *const bench_peer_names[]; /* "boringssl", "openssl", "ipsecmb" */
extern const size_t bench_n_peers;

/* bench_load_peer dlopen()s libe2e_bench_<name>.so (RTLD_NOW | RTLD_LOCAL)
 * from $E2E_BENCH_MODULE_DIR, else the executable's directory, else the
 * build directory compiled in, and returns its bench_impl; NULL with the
 * reason in err. */
const struct bench_impl *bench_load_peer(const char *name, char *err, size_t err_len);

/* bench_global_scope_clean is 1 when no libcrypto is in the process's
 * global symbol scope (dlsym(RTLD_DEFAULT, "AES_encrypt") finds nothing):
 * the condition under which every RTLD_LOCAL module binds to its own
 * libcrypto. Else 0 and err names the file that exports it. */
int bench_global_scope_clean(char *err, size_t err_len);

#ifdef __cplusplus
}
#endif

#endif /* E2E_BENCH_PEERS_H */
