/* noalloc_canary.c — a deliberately allocating archive. test_noalloc_canary
 * runs noalloc.cmake on it and must fail (WILL_FAIL): proof that the nm check
 * of the engine archive can fail at all. Never linked into anything. */
#include <stdlib.h>
#include <string.h>

char *e2e_noalloc_canary(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}
