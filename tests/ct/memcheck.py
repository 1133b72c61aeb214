#!/usr/bin/env python3
"""tests/ct/memcheck.py — run the ctest suite of a build under valgrind memcheck.

    tests/ct/memcheck.py BUILD_DIR [-j N] [-R REGEX] [-E REGEX] [--timeout S]

Asks ctest for the test list (ctest --show-only=json-v1, so the tests and
their arguments are exactly what ctest would run) and runs every test whose
command is an executable of the build under

    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
             --track-origins=yes

in the test's working directory, with the test's ENVIRONMENT property. A test
driven by a Python script (the CLI's test_cli.py) runs the interpreter
natively and the tool under valgrind, through E2E_TEST_EMULATOR (test_cli.py
runs the binary through it, as it does qemu in the cross build). Tests that
are other scripts (cmake -P, sh: the install and nm checks) and tests already
run under valgrind (tests/ct) are listed as skipped. Any memcheck error — invalid read or
write, use of uninitialised memory, a definite leak — fails that test; so does
a test failure.

Runtime is bounded by E2E_DIFF_RANDOM_LENGTHS (the differential tests' random
lengths; default here 2, every fixed length still runs) and --timeout per
test (default 1800 s). Exit status 0 when every test passed.

The build must not be a sanitizer build (valgrind cannot run ASan binaries).
"""
import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

VALGRIND = ["valgrind", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--track-origins=yes", "--num-callers=30"]


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-R", dest="include", help="only tests matching REGEX (ctest -R)")
    ap.add_argument("-E", dest="exclude", help="skip tests matching REGEX (ctest -E)")
    ap.add_argument("--timeout", type=int, default=1800)
    args = ap.parse_args()

    cmd = ["ctest", "--test-dir", args.build_dir, "--show-only=json-v1"]
    if args.include:
        cmd += ["-R", args.include]
    if args.exclude:
        cmd += ["-E", args.exclude]
    info = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

    env = dict(os.environ)
    env.setdefault("E2E_DIFF_RANDOM_LENGTHS", "2")
    runs, skipped = [], []
    for t in info.get("tests", []):
        command = t.get("command") or []
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        if not command:
            skipped.append((t["name"], "no command"))
            continue
        exe = command[0]
        if os.path.basename(exe) == "valgrind":
            skipped.append((t["name"], "already runs under valgrind"))
            continue
        if props.get("WILL_FAIL"):
            skipped.append((t["name"], "WILL_FAIL"))
            continue
        tenv = dict(env)
        for kv in props.get("ENVIRONMENT", []) or []:
            k, _, v = kv.partition("=")
            tenv[k] = v
        base = os.path.basename(exe)
        if base.startswith("python"):
            # the interpreter natively, the tool under valgrind
            tenv["E2E_TEST_EMULATOR"] = " ".join(VALGRIND + ["-q"])
            wrapped = command
        elif not is_elf(exe) or base in ("cmake", "ctest", "sh", "bash"):
            skipped.append((t["name"], "a script, not a test executable"))
            continue
        else:
            wrapped = VALGRIND + command
        runs.append((t["name"], wrapped, props.get("WORKING_DIRECTORY", args.build_dir), tenv))

    def run(item):
        name, command, cwd, tenv = item
        start = time.time()
        try:
            p = subprocess.run(command, cwd=cwd, env=tenv, capture_output=True,
                               text=True, timeout=args.timeout)
            rc, err = p.returncode, p.stderr + p.stdout
        except subprocess.TimeoutExpired:
            rc, err = "timeout", ""
        return name, rc, time.time() - start, err

    failed = []
    with ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        for name, rc, secs, err in pool.map(run, runs):
            ok = rc == 0
            print(f"{'ok  ' if ok else 'FAIL'} {name:32s} {secs:7.1f}s"
                  + ("" if ok else f"  (exit {rc}{': memcheck errors' if rc == 99 else ''})"),
                  flush=True)
            if not ok:
                failed.append(name)
                tail = "\n".join(err.splitlines()[-60:])
                print(tail, file=sys.stderr)
    for name, why in skipped:
        print(f"skip {name:32s} ({why})")
    print(f"memcheck: {len(runs) - len(failed)} passed, {len(failed)} failed, "
          f"{len(skipped)} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
