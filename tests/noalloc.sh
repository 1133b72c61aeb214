#!/bin/sh
# noalloc.sh — the engine archive must not allocate and must link only libc.
#
#   noalloc.sh NM ARCHIVE [sanitize]
#
# Lists the archive's external references: symbols some member uses (nm -u)
# that no member defines (nm -g --defined-only). Fails when
#   - any of them is an allocator (malloc, calloc, realloc, free, aligned_alloc,
#     posix_memalign, strdup, strndup or a relative), or
#   - any of them is outside a short, explicit allow-list of libc functions and
#     compiler-runtime symbols (so "links only libc" is checked, not assumed).
# With "sanitize" (the -DE2E_SANITIZE=ON build) the sanitizers' own runtime
# entry points (__asan_*, __ubsan_*, ...) are allowed too.
# Prints every reference with its verdict and ends with "N passed, N failed".
set -u
NM=${1:?usage: noalloc.sh NM ARCHIVE [sanitize]}
ARCHIVE=${2:?usage: noalloc.sh NM ARCHIVE [sanitize]}
SANITIZE=${3:-}

[ -f "$ARCHIVE" ] || { echo "no such archive: $ARCHIVE"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The symbol is the last field of each line; "member.o:" headers and blank
# lines are skipped.
syms() { awk 'NF && $0 !~ /:$/ { print $NF }' | sort -u; }

if ! "$NM" -u "$ARCHIVE" > "$tmp/u.raw" 2> "$tmp/err" ||
   ! "$NM" -g --defined-only "$ARCHIVE" > "$tmp/d.raw" 2>> "$tmp/err"; then
    cat "$tmp/err"
    echo "0 passed, 1 failed"
    exit 1
fi
syms < "$tmp/u.raw" > "$tmp/u"
syms < "$tmp/d.raw" > "$tmp/d"
comm -23 "$tmp/u" "$tmp/d" > "$tmp/ext"

# Allocators and their aliases: none may appear.
forbidden="malloc calloc realloc reallocarray free aligned_alloc posix_memalign memalign
  valloc pvalloc strdup strndup __strdup __strndup __libc_malloc __libc_free"
# libc string/memory functions the code or the compiler emits, the aarch64
# HWCAP query, and compiler-runtime symbols that distributions' default flags
# (stack protector, fortify) or __builtin_cpu_supports may introduce.
# (bcmp: clang turns memcmp-for-equality into it.)
allowed="memcpy memmove memset memcmp bcmp strlen strcmp strncmp strcpy strcat
  __memcpy_chk __memmove_chk __memset_chk __strcpy_chk __strcat_chk
  getauxval __getauxval __stack_chk_fail __stack_chk_guard
  __cpu_model __cpu_features2 __cpu_indicator_init _GLOBAL_OFFSET_TABLE_"
# One space between words and around the list, so " name " matches exactly.
forbidden=" $(echo $forbidden) "
allowed=" $(echo $allowed) "

pass=0
fail=0
ndef=$(wc -l < "$tmp/d")
next=$(wc -l < "$tmp/ext")
echo "archive: $ARCHIVE"
echo "defined global symbols: $ndef; external references: $next"
while read -r s; do
    case "$forbidden" in
    *" $s "*) echo "  $s    <- ALLOCATION (forbidden)"; fail=$((fail + 1)); continue ;;
    esac
    case "$allowed" in
    *" $s "*) echo "  $s"; pass=$((pass + 1)); continue ;;
    esac
    if [ "$SANITIZE" = sanitize ]; then
        case "$s" in
        __asan_*|__ubsan_*|__lsan_*|__sanitizer_*) echo "  $s (sanitizer runtime)"; pass=$((pass + 1)); continue ;;
        esac
    fi
    echo "  $s    <- NOT ALLOWED (outside the libc allow-list)"
    fail=$((fail + 1))
done < "$tmp/ext"
# nm reading nothing at all must not pass.
if [ "$ndef" -eq 0 ]; then
    echo "no defined symbols read from the archive"
    fail=$((fail + 1))
else
    pass=$((pass + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
