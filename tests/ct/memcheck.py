#!/usr/bin/env python3
"""tests/ct/memcheck.py — run the ctest suite of a build under valgrind memcheck.

    tests/ct/memcheck.py BUILD_DIR [-j N] [-R REGEX] [-E REGEX] [--timeout S]
                         [--track-origins]

Asks ctest for the test list (ctest --show-only=json-v1, so the tests and
their arguments are exactly what ctest would run) and runs every test under

    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
             --read-inline-info=no

in the test's working directory, with the test's ENVIRONMENT property:

  - a test whose command is an executable of the build: that command under
    valgrind;
  - a test driven by Python (the CLI's test_cli.py): the interpreter natively
    and the tool under valgrind, through E2E_TEST_EMULATOR (test_cli.py runs
    the binary through it, as it does qemu in the cross build);
  - a cmake -P script that takes -DEMULATOR= (test_install): the programs it
    builds and runs go through valgrind the same way;
  - a test that already runs valgrind memcheck (test_ct and its self-checks):
    as ctest defines it;
  - the tests in NOT_UNDER_VALGRIND below: listed as not run, each with its
    reason. Any other test this script cannot place fails the run, so a new
    test is never skipped silently.

Any memcheck error (invalid read or write, use of uninitialised memory, a
definite leak) fails that test (exit 99); so does a test failure. A test that
fails with memcheck errors is run again with --track-origins=yes
--num-callers=30 --read-inline-info=yes so the report says where the
uninitialised bytes came from and names inlined frames (for every run that
costs ~1.5x; --track-origins asks for it). --read-inline-info=no only makes
start-up cheaper (~15% of a CLI invocation); it changes no check.

Tiers: valgrind 3.19 does not implement SHA-NI, AVX-512 or VAES, and its
virtual CPU's CPUID does not report them, so the engine's own CPU probe (which
every test goes through: e2e_engine_init, e2e_engine_init_named, engines_init)
finds a CPU without them and the tests print SKIP <tier> (cpu) for those tiers,
exactly as on such a CPU. The header line shows which tier the engine picks
under valgrind. Memory errors in those tiers' kernels are the AddressSanitizer
build's and the fuzz targets' to find (both run every tier natively).

Runtime: the exhaustive sweeps are capped with E2E_SWEEP_MAX (default here
64: every length 0..64 — empty, every partial block through four blocks, the
SHA-256 block — and batch sizes to 64, across every lane threshold; the tests'
own default is 300) and the differential tests' random long lengths with
E2E_DIFF_RANDOM_LENGTHS (default here 2: 65535 and 65536). Both can be set in
the environment. The longest tests start first. On the 2-core CI VM at -j2:
~3.5 minutes for the suite of commit ff8f378 (the CLI and benchmark tests are
~85% of it: every e2ecrypt invocation pays valgrind's start-up).

Exit status 0 when every test run passed. The build must not be a sanitizer
build (valgrind cannot run ASan binaries). Ends with the line
"memcheck: N passed, N failed, N skipped" (skipped: the NOT_UNDER_VALGRIND
tests, each listed above it with its reason).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--read-inline-info=no"]
# added when a test with memcheck errors runs again, for the report
DIAGNOSE = ["--track-origins=yes", "--num-callers=30", "--read-inline-info=yes"]

# Tests that cannot run under memcheck, and why.
_TRACE = ("ptrace single-steps a forked child and compares its instructions; under "
          "valgrind the child would be valgrind's JIT, not the engine's code (and it exists "
          "for the SHA-NI/AVX-512/VAES tiers valgrind cannot run)")
NOT_UNDER_VALGRIND = {
    "test_noalloc": "runs nm over libe2e_engine.a: no project code executes",
    "test_noalloc_canary": "runs nm over a canary archive (WILL_FAIL): no project code executes",
    "test_ct_trace_shani": _TRACE,
    "test_ct_trace_noshani": _TRACE,
    "test_ct_trace_selfcheck_branch": _TRACE,
    "test_ct_trace_selfcheck_index": _TRACE,
}

# Seconds each test took under this script on the 2-core CI VM (2026-11-23),
# to start the longest first: at -j2 the wall time is then close to half the
# sum. A test not listed starts before all of these (it may be long). The
# build's own Testing/Temporary/MemcheckCost.json, written after every run,
# takes precedence.
COST = {"bench_smoke": 116, "cli_stream": 175, "cli_seal": 68, "cli_fetch": 64,
        "bench_smoke_ccm8": 46, "cli_help": 45, "cli_oracle": 37, "test_diff_openssl": 29,
        "cli_keyring": 27, "cli_bench": 27, "bench_quick": 27, "cli_open": 23, "cli_faults": 18,
        "cli_crash": 18, "cli_xor": 16, "cli_ki": 13, "test_diff_boringssl": 12,
        "test_lanes": 12, "test_batch": 8, "cli_gen": 7, "bench_peers": 7, "test_kat": 4,
        "test_ct": 3, "test_install": 3, "test_keyset": 3, "test_ct_native": 2,
        "test_ct_selfcheck_branch": 2, "test_ct_selfcheck_index": 2, "test_dispatch_hits": 1,
        "test_dispatch": 1}


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def engine_under_valgrind(build_dir):
    exe = os.path.join(build_dir, "e2ecrypt")
    if not os.path.exists(exe):
        return "?"
    p = subprocess.run(["valgrind", "-q", exe, "--version"], capture_output=True, text=True)
    lines = (p.stdout.strip() or p.stderr.strip()).splitlines()
    return lines[-1] if lines else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("-j", type=int, default=min(2, os.cpu_count() or 2))
    ap.add_argument("-R", dest="include", help="only tests matching REGEX (ctest -R)")
    ap.add_argument("-E", dest="exclude", help="leave out tests matching REGEX (ctest -E)")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--track-origins", action="store_true",
                    help="run every test with --track-origins=yes --num-callers=30 (slower)")
    args = ap.parse_args()
    build_dir = os.path.abspath(args.build_dir)

    cmd = ["ctest", "--test-dir", build_dir, "--show-only=json-v1"]
    if args.include:
        cmd += ["-R", args.include]
    if args.exclude:
        cmd += ["-E", args.exclude]
    info = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    env = dict(os.environ)
    env.setdefault("E2E_SWEEP_MAX", "64")
    env.setdefault("E2E_DIFF_RANDOM_LENGTHS", "2")
    vg = VALGRIND + (DIAGNOSE if args.track_origins else [])
    print(f"memcheck: {' '.join(vg)}; E2E_SWEEP_MAX={env['E2E_SWEEP_MAX']} "
          f"E2E_DIFF_RANDOM_LENGTHS={env['E2E_DIFF_RANDOM_LENGTHS']}; under valgrind "
          f"{engine_under_valgrind(build_dir)}", flush=True)

    runs, not_run, unplaced = [], [], []
    for t in info.get("tests", []):
        name = t["name"]
        command = t.get("command") or []
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if name in NOT_UNDER_VALGRIND:
            not_run.append((name, NOT_UNDER_VALGRIND[name]))
            continue
        if not command:
            unplaced.append((name, "no command"))
            continue
        tenv = dict(env)
        for kv in props.get("ENVIRONMENT", []) or []:
            k, _, v = kv.partition("=")
            tenv[k] = v
        exe, base = command[0], os.path.basename(command[0])
        if props.get("WILL_FAIL"):
            unplaced.append((name, "WILL_FAIL: add it to NOT_UNDER_VALGRIND with a reason"))
            continue
        if base == "valgrind" or any(a.startswith("-DVALGRIND=") for a in command):
            wrapped, how = command, "its own valgrind run"
        elif base.startswith("python"):
            tenv["E2E_TEST_EMULATOR"] = " ".join(vg + ["-q"])
            wrapped, how = command, "tool under valgrind"
        elif base in ("cmake", "ctest") and any(a.startswith("-DEMULATOR=") for a in command):
            wrapped = [a if not a.startswith("-DEMULATOR=") else
                       "-DEMULATOR=" + shlex.join(vg + ["-q"]) for a in command]
            how = "its programs under valgrind"
        elif is_elf(exe) and os.path.abspath(exe).startswith(build_dir + os.sep):
            wrapped, how = vg + command, "under valgrind"
        else:
            unplaced.append((name, f"{base} is not a program of the build"))
            continue
        runs.append((name, wrapped, props.get("WORKING_DIRECTORY", build_dir), tenv, how))

    cost_file = os.path.join(build_dir, "Testing", "Temporary", "MemcheckCost.json")
    cost = dict(COST)
    try:
        with open(cost_file) as f:
            cost.update(json.load(f))
    except (OSError, ValueError):
        pass
    runs.sort(key=lambda r: -cost.get(r[0], 1e9))

    def run(item):
        name, command, cwd, tenv, how = item
        start = time.time()
        try:
            p = subprocess.run(command, cwd=cwd, env=tenv, capture_output=True,
                               text=True, timeout=args.timeout)
            rc, err = p.returncode, p.stderr + p.stdout
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        if rc == 99 and not args.track_origins and command[:len(vg)] == vg:
            # memcheck errors: again with origins, for the report
            p = subprocess.run(vg + DIAGNOSE + command[len(vg):], cwd=cwd,
                               env=tenv, capture_output=True, text=True, timeout=args.timeout)
            err = p.stderr + p.stdout
        return name, how, rc, time.time() - start, err

    failed = []
    t0 = time.time()
    took = {}
    with ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        for name, how, rc, secs, err in pool.map(run, runs):
            took[name] = round(secs, 1)
            ok = rc == 0
            print(f"{'ok  ' if ok else 'FAIL'} {name:32s} {secs:7.1f}s  {how}"
                  + ("" if ok else f"  (exit {rc}{': memcheck errors' if rc == 99 else ''})"),
                  flush=True)
            if not ok:
                failed.append(name)
                tail = "\n".join(err.splitlines()[-80:])
                print(tail, file=sys.stderr, flush=True)
    try:
        os.makedirs(os.path.dirname(cost_file), exist_ok=True)
        with open(cost_file, "w") as f:
            json.dump(took, f, indent=0, sort_keys=True)
    except OSError:
        pass
    for name, why in not_run:
        print(f"skip {name}: not run under valgrind: {why}")
    for name, why in unplaced:
        print(f"FAIL {name}: cannot place this test under valgrind ({why})")
    print(f"memcheck: wall {time.time() - t0:.0f} s at -j{args.j}")
    print(f"memcheck: {len(runs) - len(failed)} passed, {len(failed) + len(unplaced)} failed, "
          f"{len(not_run)} skipped")
    return 1 if failed or unplaced else 0


if __name__ == "__main__":
    sys.exit(main())
