# toolchain-aarch64.cmake — cross-build e2ecrypt for aarch64 Linux on a
# Debian x86-64 host, and run every test under qemu.
#
#   cmake -G Ninja -S . -B build-aarch64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
#   ctest --test-dir build-aarch64
#
# Needs (scripts/aarch64-test installs them): gcc-aarch64-linux-gnu,
# qemu-user, and the arm64 multiarch libraries the tests and the CLI link:
# libssl-dev:arm64, libjansson-dev:arm64 and android-libboringssl:arm64
# (the runtime only: android-libboringssl-dev is Multi-Arch: foreign, so its
# arm64 copy would replace the native one; its headers are the same for
# every architecture and the native package provides them).
#
# Layout: the cross compiler's own sysroot is /usr/aarch64-linux-gnu (libc);
# Debian multiarch puts the arm64 libraries in /usr/lib/aarch64-linux-gnu and
# their headers in /usr/include (+ /usr/include/aarch64-linux-gnu). Those
# include directories go AFTER the cross compiler's own (-idirafter), so the
# cross libc headers always win over the host's.
#
# CMAKE_CROSSCOMPILING_EMULATOR makes ctest (add_test with a target as its
# command) run each test binary as qemu-aarch64 -cpu max, a CPU with the AES
# and SHA-2 extensions, so the armce kernels are the ones tested. Another
# CPU: -DE2E_QEMU_CPU=cortex-a53 (has them too) or any name
# `qemu-aarch64 -cpu help` lists. Tests that start binaries from a script
# (cli/tests/test_cli.py, tests/install_test.cmake) must prefix the same
# command themselves; noalloc.sh runs only CMAKE_NM, a host program.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(E2E_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${E2E_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${E2E_CROSS_TRIPLE}-g++)
# The ar/nm/ranlib that read aarch64 objects (noalloc.sh runs CMAKE_NM).
find_program(CMAKE_AR ${E2E_CROSS_TRIPLE}-ar)
find_program(CMAKE_NM ${E2E_CROSS_TRIPLE}-nm)
find_program(CMAKE_RANLIB ${E2E_CROSS_TRIPLE}-ranlib)
find_program(CMAKE_STRIP ${E2E_CROSS_TRIPLE}-strip)
find_program(CMAKE_OBJDUMP ${E2E_CROSS_TRIPLE}-objdump)
# Debian's multiarch library directory (CMake also derives it from the
# compiler; set it so find_library never looks at the host's).
set(CMAKE_LIBRARY_ARCHITECTURE ${E2E_CROSS_TRIPLE})

# Headers of the arm64 -dev packages, after the cross compiler's own.
set(CMAKE_C_FLAGS_INIT "-idirafter /usr/include/${E2E_CROSS_TRIPLE} -idirafter /usr/include")
set(CMAKE_CXX_FLAGS_INIT "${CMAKE_C_FLAGS_INIT}")
# The arm64 libraries' own dependencies are resolved at link time from here.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-L/usr/lib/${E2E_CROSS_TRIPLE} -Wl,-rpath-link,/usr/lib/${E2E_CROSS_TRIPLE}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}")

# Search the host for programs, only the target's places for libraries and
# headers: the cross sysroot, then / (so /usr/lib/aarch64-linux-gnu and
# /usr/include are found, and x86-64 libraries never are, since
# CMAKE_LIBRARY_ARCHITECTURE selects the aarch64 multiarch directory).
set(CMAKE_FIND_ROOT_PATH /usr/${E2E_CROSS_TRIPLE} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (libjansson for the CLI): the arm64 .pc files only.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${E2E_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")

# BoringSSL (tests/test_diff_boringssl): Debian ships the arm64 library as
# android/libcrypto.so.0 in android-libboringssl (the libcrypto.so link is in
# the -dev package, which is installed for the host). Preset the cache entry
# tests/CMakeLists.txt looks for, unless the caller chose one.
if(NOT DEFINED E2E_BORINGSSL_CRYPTO AND
   EXISTS /usr/lib/${E2E_CROSS_TRIPLE}/android/libcrypto.so.0)
  set(E2E_BORINGSSL_CRYPTO /usr/lib/${E2E_CROSS_TRIPLE}/android/libcrypto.so.0
      CACHE FILEPATH "BoringSSL libcrypto (aarch64)")
endif()

# Every test binary runs under qemu; -L gives it the cross loader and libc.
set(E2E_QEMU_CPU max CACHE STRING "qemu-aarch64 -cpu for the tests (max, cortex-a53, ...)")
find_program(E2E_QEMU_AARCH64 qemu-aarch64)
if(NOT E2E_QEMU_AARCH64)
  set(E2E_QEMU_AARCH64 qemu-aarch64)
endif()
# qemu's -L root for the target's loader: with the multiarch libc6:arm64
# installed (scripts/aarch64-test installs it with the arm64 libraries), "/"
# pairs /lib/ld-linux-aarch64.so.1 with the same libc the binaries link; the
# cross toolchain's own loader (/usr/aarch64-linux-gnu) with that libc hangs
# in pthread_create, and the CLI starts threads by default.
if(EXISTS /lib/ld-linux-aarch64.so.1)
  set(E2E_QEMU_ROOT /)
else()
  set(E2E_QEMU_ROOT /usr/${E2E_CROSS_TRIPLE})
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR
    "${E2E_QEMU_AARCH64};-cpu;${E2E_QEMU_CPU};-L;${E2E_QEMU_ROOT}")
