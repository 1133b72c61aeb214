#!/usr/bin/python3
"""CLI tests for e2ecrypt, run through the real binary.

Usage: test_cli.py PATH/TO/e2ecrypt GROUP
GROUP is one of: help ki xor keyring open seal oracle gen stream fetch
faults crash (ctest runs each as its own test, cli_GROUP). Standard library
only. fetch, faults and crash run a mock of the REST API (mock_api.py) on
127.0.0.1 inside this process, on a port the system picks.

Independent oracles, so the tool is not only checked against itself:
  - HMAC_SHA256 records are built with Python's hmac/hashlib;
  - AES_128_CCM / CCM_8 and AES_128_CS1_HMAC_SHA256 records are built here
    from the openssl command line's raw AES (aes-128-ecb / aes-128-cbc with
    -nopad) following SP 800-38C and the u-blox documentation's own CS1
    sample code, and the CS1 construction is cross-checked against openssl's
    aes-128-cbc-cts; those tests are skipped (exit 77) without openssl;
  - the Sigfox legacy XOR is compared with the blog's Python code.

Prints "N passed, N failed" last; exits 1 on any failure.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1])
# A cross build runs the tool under an emulator ("qemu-aarch64 -cpu max ...").
EMULATOR = shlex.split(os.environ.get("E2E_TEST_EMULATOR", ""))


def _matching_loader(cmd):
    """_matching_loader: qemu's -L prefix (the cross toolchain's sysroot)
    supplies the dynamic loader, but the libraries the tool links (jansson,
    curl) and so libc come from Debian's multiarch directories: a loader and
    a libc of different glibc builds, under which pthread_create hangs (the
    tool starts threads by default). When the architecture's own loader is
    installed with its multiarch libc, run with -L / so the two match."""
    out = list(cmd)
    for i, a in enumerate(out[:-1]):
        if a == "-L" and out[i + 1] != "/":
            libdir = os.path.join(out[i + 1], "lib")
            loaders = [n for n in (os.listdir(libdir) if os.path.isdir(libdir) else [])
                       if n.startswith("ld-linux")]
            if loaders and all(os.path.exists(os.path.join("/lib", n)) for n in loaders):
                out[i + 1] = "/"
    return out


EMULATOR = _matching_loader(EMULATOR)
GROUP = sys.argv[2]
TMP = tempfile.mkdtemp(prefix="e2ecrypt-cli-")
OPENSSL = shutil.which("openssl")

passed = 0
failed = 0


def check(cond, what, detail=None):
    """check records one assertion."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)
        if detail is not None:
            print("      " + str(detail)[:2000])


def run(args, stdin="", env=None):
    """run the tool; returns (exit status, stdout, stderr) as text."""
    e = dict(os.environ)
    e.pop("E2E_IMPL", None)
    e.pop("E2E_API_TOKEN", None)
    if env:
        e.update(env)
    p = subprocess.run(EMULATOR + [BIN] + args, input=stdin.encode(), capture_output=True, env=e,
                       timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def path(name):
    return os.path.join(TMP, name)


def write(name, text):
    with open(path(name), "w", encoding="utf-8") as f:
        f.write(text)
    return path(name)


def ndjson(entries):
    return "".join(json.dumps(e) + "\n" for e in entries)


def b64(b):
    return base64.b64encode(b).decode()


def det(label, n):
    """det gives n deterministic test bytes (not secret; readable source)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (label, i)).encode()).digest()
        i += 1
    return out[:n]


def lines(text):
    return [l for l in text.split("\n") if l != ""]


# ---------------------------------------------------------------- oracles

def hmac_tag(auth, kiv, pt, t):
    return hmac.new(auth, kiv + pt, hashlib.sha256).digest()[:t]


def hmac_wire(auth, kiv, ki, pt, t):
    """HMAC-only: KI || P || T (T over the KIV, per the u-blox sample code)."""
    return ki + pt + hmac_tag(auth, kiv, pt, t)


def openssl_enc(cipher, key, data, iv=None, nopad=True):
    args = [OPENSSL, "enc", "-" + cipher, "-K", key.hex()]
    if nopad:
        args.append("-nopad")
    if iv is not None:
        args += ["-iv", iv.hex()]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def ccm_wire(key, nonce, ki, pt, t):
    """SP 800-38C CCM (no associated data) from openssl's raw AES:
    the CBC-MAC is the last block of AES-CBC (IV 0) over B0 || P || zero
    padding; the key stream is AES-ECB over the counter blocks."""
    n = len(nonce)
    q = 15 - n
    b0 = bytes([((t - 2) // 2) << 3 | (q - 1)]) + nonce + len(pt).to_bytes(q, "big")
    blocks = b0 + pt + bytes(-len(pt) % 16)
    mac = openssl_enc("aes-128-cbc", key, blocks, bytes(16))[-16:][:t]
    m = (len(pt) + 15) // 16
    ctrs = b"".join(bytes([q - 1]) + nonce + i.to_bytes(q, "big") for i in range(m + 1))
    s = openssl_enc("aes-128-ecb", key, ctrs)
    return ki + xor(pt, s[16:]) + xor(mac, s[:t])


def cs1_wire(key, iv, auth, kiv, ki, pt, t):
    """CS1+HMAC as the u-blox documentation's sample code does it: zero-pad
    P || T, CBC-encrypt, cut the second-to-last block to the partial length."""
    p = pt + hmac_tag(auth, kiv, pt, t)
    d = len(p) % 16
    c = openssl_enc("aes-128-cbc", key, p + bytes(-len(p) % 16), iv)
    if d:
        c = c[:-32] + c[-32:-16][:d] + c[-16:]
    return ki + c


def blog_sigfox_encrypt(data, key):
    """The blog's sigfoxEncrypt, ported to Python 3 unchanged in substance."""
    binData = bin(int(data, 16))
    intKey = int(key, 16)
    intData = int(data, 16)
    encodedData = bin(intData ^ intKey)
    strEncodedData = str(encodedData)
    startPoint = len(encodedData) - len(binData) + 2
    dataLength = len(binData) + startPoint
    encryptedData = strEncodedData[startPoint:dataLength]
    return int(encryptedData, 2)


# ---------------------------------------------------------------- keyring

KI_CCM = bytes.fromhex("1101000089291e26ec1aeb0074450000")
KI_CCM8 = bytes.fromhex("1101000089291e26ec1aeb0074450001")
KI_CCM_AESIV = bytes.fromhex("1101000089291e26ec1aeb0074450002")
KIV_CS1 = bytes.fromhex("2a0000041908003fa6620001")
KIV_CS1_EH = bytes.fromhex("2a0000040008003fb2520001")  # the HMAC prefix
EH_CS1 = bytes.fromhex("2a0000041908003fa6620099")     # the KI on the wire
KIV_HMAC = bytes.fromhex("2a0000040008003fa6620d02")
KIV_HMAC256 = bytes.fromhex("2a0000040008003fa6620d03")

SUITES = {
    # name: dict(entry, params for the oracle)
    "ccm": dict(entry={"CipherSuite": "AES_128_CCM", "EncryptionKey": b64(det("ccm-k", 16)),
                       "Nonce": b64(det("ccm-n", 13)), "MACLength": 128, "KeyLength": 128,
                       "ROTPublicUID": "0004120800000001", "EncryptedHeader": KI_CCM.hex()},
                kind="ccm", key=det("ccm-k", 16), nonce=det("ccm-n", 13), ki=KI_CCM, t=16,
                mode="ccm"),
    "ccm8": dict(entry={"CipherSuite": "AES_128_CCM_8", "Key": b64(det("ccm8-k", 16)),
                        "AESNonce": b64(det("ccm8-n", 12)),
                        "ROTPublicUID": "0004120800000002",
                        "EncryptedHeader": KI_CCM8.hex().upper()},
                 kind="ccm", key=det("ccm8-k", 16), nonce=det("ccm8-n", 12), ki=KI_CCM8, t=8,
                 mode="ccm"),
    "ccm_aesiv": dict(entry={"CipherSuite": "AES_128_CCM", "EncryptionKey": b64(det("c3-k", 16)),
                             "AESIV": b64(det("c3-n", 7)), "MACLength": 32,
                             "ROTPublicUID": "0004120800000006",
                             "EncryptedHeader": " " + KI_CCM_AESIV.hex() + "\t"},
                      kind="ccm", key=det("c3-k", 16), nonce=det("c3-n", 7), ki=KI_CCM_AESIV,
                      t=4, mode="ccm"),
    "cs1": dict(entry={"CipherSuite": "AES_128_CS1_HMAC_SHA256",
                       "AESIV": b64(KIV_CS1 + bytes(4)), "KIV": b64(KIV_CS1),
                       "EncryptionKey": b64(det("cs1-k", 16)),
                       "AuthenticationKey": b64(det("cs1-a", 16)), "MACLength": 128,
                       "KeyLength": 128, "AuthKeyLength": 128,
                       "ROTPublicUID": "00041208003fa662"},
                kind="cs1", key=det("cs1-k", 16), iv=KIV_CS1 + bytes(4), auth=det("cs1-a", 16),
                kiv=KIV_CS1, ki=KIV_CS1, t=16, mode="cs1-hmac"),
    "cs1_eh": dict(entry={"CipherSuite": "AES_128_CS1_HMAC_SHA256",
                          "AESIV": b64(det("cs1e-iv", 16)), "KIV": b64(KIV_CS1_EH),
                          "EncryptionKey": b64(det("cs1e-k", 16)),
                          "AuthenticationKey": b64(det("cs1e-a", 32)), "MACLength": 96,
                          "ROTPublicUID": 4000089282245, "EncryptedHeader": EH_CS1.hex()},
                   kind="cs1", key=det("cs1e-k", 16), iv=det("cs1e-iv", 16),
                   auth=det("cs1e-a", 32), kiv=KIV_CS1_EH, ki=EH_CS1, t=12, mode="cs1-hmac"),
    "hmac": dict(entry={"CipherSuite": "HMAC_SHA256", "AuthenticationKey": b64(det("h-a", 16)),
                        "KIV": b64(KIV_HMAC), "ROTPublicUID": "00040008003fa662",
                        "MACLength": 128, "AuthKeyLength": 128},
                 kind="hmac", auth=det("h-a", 16), kiv=KIV_HMAC, ki=KIV_HMAC, t=16, mode="hmac"),
    "hmac256": dict(entry={"CipherSuite": "HMAC_SHA256", "AuthenticationKey": b64(det("h2-a", 64)),
                           "KIV": b64(KIV_HMAC256), "ROTPublicUID": "00040008003fa663",
                           "MACLength": 256},
                    kind="hmac", auth=det("h2-a", 64), kiv=KIV_HMAC256, ki=KIV_HMAC256, t=32,
                    mode="hmac"),
}


def oracle_wire(s, pt):
    if s["kind"] == "ccm":
        return ccm_wire(s["key"], s["nonce"], s["ki"], pt, s["t"])
    if s["kind"] == "cs1":
        return cs1_wire(s["key"], s["iv"], s["auth"], s["kiv"], s["ki"], pt, s["t"])
    return hmac_wire(s["auth"], s["kiv"], s["ki"], pt, s["t"])


def full_keyring():
    return write("keys.ndjson", ndjson(s["entry"] for s in SUITES.values()))


def uid_text(s):
    return str(s["entry"]["ROTPublicUID"])


# The u-blox documentation's downlink sample response (CS1, a 16-byte KIV,
# ROTPublicUID as a number, non-canonical base64 with and without padding).
SEED_DOWNLINK = """{
"MACLength": 128,
"KeyLength": 128,
"CipherSuite": "AES_128_CS1_HMAC_SHA256",
"AuthenticationKey": "lTZfP2dO5IAXvJT8FlXV5A==",
"AuthKeyLength": 128,
"EncryptionKey": "EuPzZxheaAoGAQ/+X2mYbg==",
"KIV": "EQEBAIkoIrZnYX4vnjgCCC==",
"AESIV": "KgXYZgAAiSgisgADBBBBBB",
"ROTPublicUID": 2000089282245
}
"""

# The documentation's integrity-only sample (HMAC_SHA256, 12-byte KIV).
SEED_HMAC = {"CipherSuite": "HMAC_SHA256", "AuthenticationKey": "NR9u5wz3zpF17M5aSkOJpA==",
             "KIV": "KgAABAAIAD+mYg0C", "ROTPublicUID": "00040008003fa662", "MACLength": 128,
             "AuthKeyLength": 128}

OPEN_LINE = re.compile(r'^\{("id":.*,)?"status":"(ok|auth_failed|unknown_key|malformed|'
                       r'unsupported)"(,"mode":"(ccm|cs1-hmac|hmac)")?(,"ki":"[0-9a-f]+")?'
                       r'(,"data":"[0-9a-f]*")?\}$')


def parse_open(out):
    """parse_open checks every result line's shape and member order."""
    res = []
    for l in lines(out):
        check(OPEN_LINE.match(l) is not None, "open result line shape", l)
        pairs = json.loads(l, object_pairs_hook=lambda p: p)
        keys = [k for k, _ in pairs]
        order = [k for k in ["id", "status", "mode", "ki", "data"] if k in keys]
        check(keys == order, "open result member order", l)
        res.append(json.loads(l))
    return res


# ---------------------------------------------------------------- groups

def t_help():
    rc, out, err = run(["--help"])
    check(rc == 0, "--help exits 0", rc)
    for word in ["open", "seal", "xor", "ki", "gen", "Example"]:
        check(word in out, "top-level help mentions " + word)
    check("NOT encryption" in out or "not encryption" in out.lower(),
          "top-level help says XOR is not encryption")
    check("many-time pad" in out, "top-level help explains the many-time pad")
    check("AES_128_CCM" in out and "AES_128_CS1_HMAC_SHA256" in out,
          "top-level help points to the real suites")
    for cmd in ["open", "seal", "xor", "ki", "gen"]:
        rc, out, err = run([cmd, "--help"])
        check(rc == 0, cmd + " --help exits 0", rc)
        check("Usage: e2ecrypt " + cmd in out, cmd + " --help shows its usage", out[:200])
        check("Example" in out and "e2ecrypt " + cmd in out.split("Example", 1)[1],
              cmd + " --help has an example of the command")
    rc, out, err = run(["xor", "--help"])
    check("NOT ENCRYPTION" in out.upper() and "integrity" in out,
          "xor --help says plainly it is not encryption and has no integrity")
    check("AES_128_CCM" in out, "xor --help points to a real suite")
    rc, out, err = run(["gen", "--help"])
    check("NOT REAL KEYS" in out.upper(), "gen --help says the keys are test data")
    rc, out, err = run(["open", "--help"])
    check("EncryptedHeader" in out and "KIV" in out and "later one is used" in out,
          "open --help documents indexing and duplicates")

    rc, out, err = run(["--version"])
    check(rc == 0 and re.match(r"^e2ecrypt \d+\.\d+\.\d+ \(engine: [a-z0-9+]+\)\n$", out),
          "--version format", out)
    rc, out2, err = run(["--version"], env={"E2E_IMPL": "portable"})
    check(rc == 0 and out2.rstrip().endswith("(engine: portable)"),
          "--version names the engine E2E_IMPL forces", out2)

    for args in (["frobnicate"], ["--frobnicate"], [], ["open", "--keys"],
                 ["open", "--nope", "x"], ["xor", "--key", "00", "--legacy=1"],
                 ["ki", "11", "22"], ["ki"], ["seal", "--keys", "x"], ["gen"],
                 ["xor"], ["open", "-k", "x"]):
        rc, out, err = run(args)
        check(rc == 2, "usage error exits 2: %s" % args, (rc, err))
        check(out == "", "usage error writes nothing on stdout: %s" % args, out)
        check("Usage:" in err, "usage error prints usage on stderr: %s" % args, err)

    # --impl: every implementation named in the help either runs or is
    # refused with a reason (exit 2); an unknown one is a usage error.
    keys = write("hk.ndjson", json.dumps(SEED_HMAC) + "\n")
    rec = "2a0000040008003fa6620d0248454c4c4fca9f015b8b9a63f733cda4886a4312b0\n"
    rc, out, err = run(["--help"])
    m = re.search(r"Engine implementations \(--impl, E2E_IMPL\):(.*)", out)
    check(m is not None, "help lists the engine implementations")
    names = m.group(1).split() if m else []
    check("portable" in names, "portable implementation listed", names)
    for name in names:
        rc, out, err = run(["open", "--keys", keys, "--impl", name, "--stats"], rec)
        if rc == 0:
            check('"data":"48454c4c4f"' in out, "--impl %s opens" % name, out)
            if name != "best":
                check("engine " + name in err, "--stats names engine %s" % name, err)
        else:
            check(rc == 2 and name in err and "lacks" in err,
                  "--impl %s refused with a reason" % name, (rc, err))
        rc2, out2, err2 = run(["open", "--keys", keys], rec, env={"E2E_IMPL": name})
        check(rc2 == rc, "E2E_IMPL=%s behaves like --impl" % name, (rc, rc2, err2))
    rc, out, err = run(["open", "--keys", keys, "--impl", "nonesuch"], rec)
    check(rc == 2 and "nonesuch" in err and "unknown implementation" in err,
          "--impl unknown -> exit 2 with the reason", (rc, err))
    check(out == "", "--impl unknown writes no results")
    rc, out, err = run(["open", "--keys", keys], rec, env={"E2E_IMPL": "nonesuch"})
    check(rc == 2 and "E2E_IMPL" in err, "E2E_IMPL unknown -> exit 2", (rc, err))


def t_ki():
    rc, out, err = run(["ki", "1101000089291e26ec1aeb0074450000"])
    check(rc == 0, "ki 0x1 exits 0", (rc, err))
    check(out.strip() == '{"mode":"continuous","ki_len":16,"ki":"1101000089291e26ec1aeb0074450000"}',
          "ki 0x1 -> continuous, 16", out)
    whole = "2a0000041908003fa6620001697e2fe027bc63a0c668d2c6a7973043b2307f8228"
    rc, out, err = run(["ki", whole])
    check(rc == 0 and json.loads(out) == {"mode": "automatic", "ki_len": 12,
                                          "ki": "2a0000041908003fa6620001"},
          "ki 0x2 on a whole message -> automatic, first 12 bytes", out)
    rc, out, err = run(["ki", "2A0000041908003FA6620001"])
    check(rc == 0 and json.loads(out)["ki"] == "2a0000041908003fa6620001",
          "ki accepts upper case, prints lower case", out)
    rc, out, err = run(["ki", " 1101000089291e26ec1aeb0074450000 "])
    check(rc == 0 and json.loads(out)["ki_len"] == 16, "ki trims white space", out)
    for bad in ["3f0000041908003fa6620001", "0101000089291e26ec1aeb0074450000",
                "2a00000419", "1101000089291e26ec1aeb00744500", "zz", "2a0",
                "f1101000089291e26ec1aeb0074450000"]:
        rc, out, err = run(["ki", bad])
        check(rc == 1, "ki %s exits 1" % bad, rc)
        check(out.strip() == '{"status":"malformed"}', "ki %s -> malformed" % bad, out)


def t_xor():
    key = "ABCDEF1234567890ABCDEF12"
    rc, out, err = run(["xor", "--key", key, "--legacy"], "1A2B3C\n")
    check(rc == 0 and out.strip().lower() == "17c42e", "seed Sigfox example, legacy -> 17C42E",
          (rc, out, err))
    rc, out, err = run(["xor", "--key", key], "1A2B3C\n")
    check(rc == 0 and out.strip().lower() == "d7c42e", "seed Sigfox example, bytes -> D7C42E",
          (rc, out, err))
    rc, out, err = run(["xor", "--key=" + key.lower()], "d7c42e\n")
    check(rc == 0 and out.strip().lower() == "1a2b3c", "byte mode is its own inverse", out)

    # Data longer than the key: a malformed line, the rest processed, exit 1.
    inp = "1A2B3C\n\n" + "00" * 13 + "\n" + '{"id":9,"data":"1a2b3c"}\n' + "  1a2b3c  \n"
    rc, out, err = run(["xor", "--key", key], inp)
    check(rc == 1, "xor: data longer than the key -> exit 1", rc)
    check(lines(out) == ["d7c42e", "malformed", "d7c42e", "d7c42e"],
          "xor: malformed line in place, rest processed, blank skipped", out)
    rc, out, err = run(["xor", "--key", key], "abc\nzz\n" + "00" * 12 + "\n")
    check(rc == 1 and lines(out) == ["malformed", "malformed", key.lower()],
          "xor byte mode: odd digits and bad hex are malformed", out)

    # Legacy: any digit count, zero-padded to the input's digits.
    rc, out, err = run(["xor", "--key", key, "--legacy"], "001A2B3C\nabc\n1\n")
    check(lines(out) == ["0017c42e", "5ae", "1"], "legacy pads to the input's digit count", out)
    # Lossy: the result loses significant bits -> warning naming the line.
    rc, out, err = run(["xor", "--key", key, "--legacy"], "1A2B3C\n\nEF12\n")
    check(rc == 0 and lines(out) == ["17c42e", "0000"], "legacy lossy still prints", (rc, out))
    check("line 3" in err and "will not give the input back" in err,
          "legacy lossy warns naming the line", err)
    rc, out, err = run(["xor", "--key", key, "--legacy"], "1A2B3C\n")
    check(err == "", "no warning when not lossy", err)
    rc, out, err = run(["xor", "--key", key, "--legacy"], "00" * 13 + "\n1a2b3c\n")
    check(rc == 1 and lines(out) == ["malformed", "17c42e"],
          "legacy: longer than the key -> malformed, rest processed", out)

    # Legacy against the blog's own code on many values.
    vals = ["1A2B3C", "FF", "0F", "1", "7", "ABCDEF", "123456789ABCDEF0", "80", "8000",
            "DEADBEEF", "ABCDEF1234567890ABCDEF12", "5", "C0FFEE", "1234567"]
    for i in range(40):
        vals.append(det("sigfox", 12 + i)[i % 12:i % 12 + 1 + i % 11].hex())
    vals = [v for v in vals if int(v, 16) != 0]
    rc, out, err = run(["xor", "--key", key, "--legacy"], "".join(v + "\n" for v in vals))
    got = lines(out)
    check(len(got) == len(vals), "legacy: one line per value", len(got))
    for v, g in zip(vals, got):
        want = blog_sigfox_encrypt(v, key)
        check(int(g, 16) == want and len(g) == len(v),
              "legacy %s matches the blog's code (%x)" % (v, want), g)

    rc, out, err = run(["xor", "--key", "zz"], "00\n")
    check(rc == 2 and out == "", "xor: bad key -> exit 2", (rc, err))
    rc, out, err = run(["xor", "--key", "abc"], "00\n")
    check(rc == 2, "xor byte mode: odd key -> exit 2", rc)


def t_keyring():
    good = SUITES["hmac"]["entry"]
    rec = "00\n"

    def expect_fail(name, text, must, what):
        k = write(name, text)
        rc, out, err = run(["open", "--keys", k], rec)
        check(rc == 2, what + ": exit 2", (rc, err))
        check(out == "", what + ": no results written", out)
        check(len(lines(err)) == 1, what + ": one message", err)
        for m in must:
            check(m in err, what + ": message has %r" % m, err)

    # Bad JSON, NDJSON (entry = line number) and array (entry = index).
    expect_fail("badjson.ndjson", json.dumps(good) + "\n\n" + '{"CipherSuite": "HMAC_SHA256",\n',
                ["badjson.ndjson", "entry 3", "bad JSON"], "bad JSON (NDJSON line 3)")
    expect_fail("badjson.json", "[" + json.dumps(good) + ",\n " + '{"CipherSuite":,}' + "]",
                ["entry 1", "bad JSON", "line 2"], "bad JSON (array entry 1)")
    expect_fail("notobj.json", "[" + json.dumps(good) + ", 42]", ["entry 1", "not a JSON object"],
                "array element not an object")
    # Bad base64 (a character outside the alphabet), named by field and UID.
    e = dict(SUITES["cs1"]["entry"])
    e["EncryptionKey"] = "iGoE1W*NYd6+vcJxZmB2QQ=="
    expect_fail("b64.ndjson", json.dumps(good) + "\n" + json.dumps(e) + "\n",
                ["entry 2", "ROTPublicUID 00041208003fa662", "EncryptionKey", "bad base64",
                 "character 7"], "bad base64")
    e = dict(good, AuthenticationKey="NR9u5wz3zpF17M5aSkOJpA=\u00e9")
    expect_fail("b64b.json", json.dumps([good, good, e]), ["entry 2", "AuthenticationKey",
                                                          "base64"], "bad base64 (non-ASCII)")
    e = dict(good, KIV="KgAABAAIAD+mYg0C====")
    expect_fail("b64c.json", json.dumps([e]), ["entry 0", "KIV", "padding"], "excess padding")
    e = dict(good, AuthenticationKey="NR9u5wz3zpF17M5aSkOJp")
    expect_fail("b64d.json", json.dumps([e]), ["AuthenticationKey", "truncated"],
                "truncated base64")
    # Wrong key / IV / nonce lengths, each named.
    e = dict(SUITES["ccm"]["entry"], EncryptionKey=b64(bytes(15)))
    expect_fail("klen.json", json.dumps([e]), ["entry 0", "EncryptedHeader " + KI_CCM.hex(),
                                              "EncryptionKey", "wrong length", "15"],
                "wrong key length")
    e = dict(SUITES["cs1"]["entry"], AESIV="KgXYZgAAiSgisgADBBBB")
    expect_fail("ivlen.json", json.dumps([e]), ["AESIV", "wrong length", "15"],
                "wrong AESIV length")
    e = dict(SUITES["ccm"]["entry"], Nonce=b64(bytes(14)))
    expect_fail("nlen.json", json.dumps([e]), ["Nonce", "wrong length", "14"],
                "wrong nonce length")
    e = dict(SUITES["ccm"]["entry"], KeyLength=256)
    expect_fail("kl.json", json.dumps([e]), ["KeyLength", "256"], "KeyLength mismatch")
    e = dict(good, AuthKeyLength=256)
    expect_fail("akl.json", json.dumps([e]), ["AuthKeyLength", "256"], "AuthKeyLength mismatch")
    e = dict(good, MACLength=100)
    expect_fail("ml.json", json.dumps([e]), ["MACLength", "100"], "MACLength not bytes")
    e = dict(SUITES["ccm"]["entry"], MACLength=72)
    expect_fail("ml2.json", json.dumps([e]), ["MACLength", "72"], "MACLength not a CCM tag")
    # Unknown suite.
    e = dict(good, CipherSuite="AES_256_GCM")
    expect_fail("suite.ndjson", "\n" + json.dumps(e) + "\n",
                ["entry 2", "ROTPublicUID 00040008003fa662", "CipherSuite", "AES_256_GCM"],
                "unknown suite")
    # Missing required fields.
    e = dict(good)
    del e["AuthenticationKey"]
    expect_fail("miss.json", json.dumps([e]), ["AuthenticationKey", "missing"], "missing key")
    e = dict(SUITES["ccm"]["entry"])
    del e["Nonce"]
    expect_fail("miss2.json", json.dumps([e]), ["Nonce", "missing"], "missing nonce")
    e = dict(SUITES["ccm"]["entry"])
    del e["EncryptedHeader"]
    expect_fail("miss3.json", json.dumps([e]), ["EncryptedHeader", "KIV"], "nothing to index by")
    e = dict(good)
    del e["CipherSuite"]
    expect_fail("miss4.json", json.dumps([e]), ["CipherSuite", "missing"], "missing suite")
    # A KI that cannot be one.
    e = dict(SUITES["ccm"]["entry"], EncryptedHeader="290000020000192800bfff1")
    expect_fail("eh.json", json.dumps([e]), ["EncryptedHeader", "odd"], "odd EncryptedHeader")
    e = dict(SUITES["ccm"]["entry"], EncryptedHeader="3101000089291e26ec1aeb0074450000")
    expect_fail("eh2.json", json.dumps([e]), ["EncryptedHeader", "nibble"], "bad KI nibble")
    e = dict(good, KIV=b64(bytes.fromhex("2a0000040008003fa6620d0200")))
    expect_fail("kiv.json", json.dumps([e]), ["KIV", "12"], "KIV length does not match nibble")
    e = dict(good, ROTPublicUID=[1])
    expect_fail("uid.json", json.dumps([e]), ["ROTPublicUID"], "bad ROTPublicUID type")
    expect_fail("dupfield.ndjson", '{"CipherSuite":"HMAC_SHA256","CipherSuite":"X"}\n',
                ["entry 1", "duplicate"], "duplicate member")
    expect_fail("empty.ndjson", "\n  \n", ["no key sets"], "empty keyring")
    expect_fail("empty.json", "[]", ["no key sets"], "empty array")
    rc, out, err = run(["open", "--keys", path("does-not-exist.json")], rec)
    check(rc == 2 and "does-not-exist.json" in err, "missing keyring file -> exit 2", err)

    # The documentation's own samples load (non-canonical base64 included).
    k = write("seed.json", SEED_DOWNLINK)
    rc, out, err = run(["open", "--keys", k], "")
    check(rc == 0 and err == "", "seed's downlink sample loads as a one-object file", (rc, err))
    k = write("seed2.json", "[" + SEED_DOWNLINK + "," + json.dumps(SEED_HMAC) + "]")
    rc, out, err = run(["open", "--keys", k], "")
    check(rc == 0, "seed samples load as an array", (rc, err))

    # Fields the suite does not use are not read.
    e = dict(good, EncryptionKey="!!not base64!!", AESIV="??")
    k = write("unused.json", json.dumps([e]))
    rc, out, err = run(["open", "--keys", k], "")
    check(rc == 0, "fields a suite does not use are ignored", (rc, err))

    # Duplicate KIs: the later entry wins, with one warning.
    first = dict(good, AuthenticationKey=b64(det("old", 16)))
    k = write("dup.ndjson", ndjson([first, SUITES["ccm"]["entry"], good]))
    pt = b"dup"
    wire = hmac_wire(SUITES["hmac"]["auth"], KIV_HMAC, KIV_HMAC, pt, 16)
    rc, out, err = run(["open", "--keys", k], wire.hex() + "\n")
    check(rc == 0 and json.loads(out)["data"] == pt.hex(), "duplicate KI: later entry used", out)
    check("warning" in err and "entry 3" in err and "entry 1" in err,
          "duplicate KI: a warning naming the entries", err)


def t_open():
    k = full_keyring()
    karr = write("keys.json", json.dumps([s["entry"] for s in SUITES.values()], indent=2))
    hm = SUITES["hmac"]
    pt = b"HELLO"
    good = hmac_wire(hm["auth"], hm["kiv"], hm["ki"], pt, 16).hex()
    bad_tag = good[:-1] + ("0" if good[-1] != "0" else "1")
    bad_body = good[:30] + ("0" if good[30] != "0" else "1") + good[31:]
    unknown = "2a0000040008003fa6620dff" + "00" * 20
    short = hm["ki"].hex() + "00" * 15           # body shorter than the tag
    cs1 = SUITES["cs1"]
    cs1_short = cs1["ki"].hex() + "00" * 15      # CS1 body under 16 bytes
    bad_nibble = "3a0000040008003fa6620d02" + "00" * 20
    too_short_ki = "2a00000400"

    # Every status, in input order, exit 1, all written.
    inp = "\n".join([good, bad_tag, bad_body, unknown, short, cs1_short, bad_nibble,
                     too_short_ki, "xyz", "abc", "", "   ", good.upper(),
                     "  \t" + good + " \t", good + "\r"]) + "\n"
    for keys in (k, karr):
        rc, out, err = run(["open", "--keys", keys], inp)
        check(rc == 1, "open: some not ok -> exit 1", (rc, err))
        res = parse_open(out)
        st = [r["status"] for r in res]
        check(st == ["ok", "auth_failed", "auth_failed", "unknown_key", "malformed",
                     "malformed", "malformed", "malformed", "malformed", "malformed", "ok",
                     "ok", "ok"], "open: statuses in input order, blank lines skipped", st)
        if len(res) == 13:
            check(res[0] == {"status": "ok", "mode": "hmac", "ki": hm["ki"].hex(),
                             "data": pt.hex()}, "open ok: mode, ki, data", res[0])
            check(res[1] == {"status": "auth_failed", "mode": "hmac", "ki": hm["ki"].hex()},
                  "auth_failed: mode and ki, no data", res[1])
            check(res[3] == {"status": "unknown_key", "ki": "2a0000040008003fa6620dff"},
                  "unknown_key: ki, no mode", res[3])
            check(res[4] == {"status": "malformed", "mode": "hmac", "ki": hm["ki"].hex()},
                  "short body: malformed with mode and ki (KI read, key found)", res[4])
            check(res[5] == {"status": "malformed", "mode": "cs1-hmac", "ki": cs1["ki"].hex()},
                  "CS1 body under 16 bytes: malformed", res[5])
            check(res[6] == {"status": "malformed"}, "bad nibble: malformed only", res[6])
            check(res[7] == {"status": "malformed"}, "message shorter than its KI", res[7])
            check(all(r.get("data") == pt.hex() for r in res[10:]),
                  "upper case, white space and CR records open", res[10:])

    rc, out, err = run(["open", "--keys", k], good + "\n\n" + good + "\n")
    check(rc == 0 and len(lines(out)) == 2, "open: all ok -> exit 0", (rc, out))
    rc, out, err = run(["open", "--keys", k], "")
    check(rc == 0 and out == "", "open: no records -> exit 0, no output", (rc, out))

    # JSON records: ids of several JSON types echoed as the same value.
    ids = ['1', '-7', '"abc"', '"x\\"y\\u00e9/\\n"', 'null', 'true', 'false', '1.5', '0.1',
           '1e3', '12345678901234', '[1,"a",{"b":null}]', '{"dev":"00040008003fa662","n":[1,2]}',
           '""', '{}', '[]']
    inp = "".join('{"id":%s,"data":"%s"}\n' % (i, good) for i in ids)
    inp += '{"data":"%s"}\n' % good                     # no id
    inp += '  {"data" : "%s" , "id" : "spaced", "extra": 1}  \n' % good.upper()
    inp += '{"id":"bad-hex","data":"zz"}\n'
    inp += '{"id":"odd","data":"abc"}\n'
    inp += '{"id":"nodata"}\n'
    inp += '{"id":"numdata","data":12}\n'
    inp += '{"id":3,"data":"%s"\n' % good                # bad JSON: no id recoverable
    inp += '{"id":"auth","data":"%s"}\n' % bad_tag
    rc, out, err = run(["open", "--keys", k], inp)
    check(rc == 1, "JSON records with bad ones -> exit 1", rc)
    res = parse_open(out)
    check(len(res) == len(ids) + 8, "one result per JSON record", len(res))
    outl = lines(out)
    for n, i in enumerate(ids):
        if n >= len(res):
            break
        check(res[n].get("id", "MISSING") == json.loads(i) and res[n]["status"] == "ok",
              "id %s echoed as the same value" % i, outl[n])
    for n, i in enumerate(['1', '-7', '"abc"', 'null', 'true', 'false', '1.5', '0.1',
                           '12345678901234', '[1,"a",{"b":null}]', '""', '{}', '[]']):
        check(any(l.startswith('{"id":%s,"status"' % i) for l in outl),
              "compact id %s echoed text for text" % i)
    if len(res) == len(ids) + 8:
        tail = res[len(ids):]
        check("id" not in tail[0] and tail[0]["status"] == "ok", "no id -> no id member", tail[0])
        check(tail[1].get("id") == "spaced" and tail[1]["status"] == "ok",
              "JSON record with spaces, upper-case data and extra members", tail[1])
        check(tail[2] == {"id": "bad-hex", "status": "malformed"}, "bad hex in JSON", tail[2])
        check(tail[3] == {"id": "odd", "status": "malformed"}, "odd digits in JSON", tail[3])
        check(tail[4] == {"id": "nodata", "status": "malformed"}, "missing data", tail[4])
        check(tail[5] == {"id": "numdata", "status": "malformed"}, "non-string data", tail[5])
        check(tail[6] == {"status": "malformed"}, "bad JSON record", tail[6])
        check(tail[7] == {"id": "auth", "status": "auth_failed", "mode": "hmac",
                          "ki": hm["ki"].hex()}, "auth_failed with id", tail[7])

    # KI by EncryptedHeader (CCM, no KIV) and by KIV (CS1, HMAC), via the
    # engine's seal, every suite at once; and an EncryptedHeader entry whose
    # KIV differs is not found by its KIV.
    recs = []
    for name, s in SUITES.items():
        rc, out, err = run(["seal", "--keys", k, "--uid", uid_text(s)], "0102030405\n")
        check(rc == 0, "seal %s" % name, (rc, err))
        recs.append(out.strip())
    rc, out, err = run(["open", "--keys", k], "\n".join(recs) + "\n")
    res = parse_open(out)
    check(rc == 0 and [r["status"] for r in res] == ["ok"] * len(SUITES),
          "open finds every suite (EncryptedHeader and KIV)", out)
    check([r.get("mode") for r in res] == [s["mode"] for s in SUITES.values()],
          "mode per suite", [r.get("mode") for r in res])
    check([r.get("ki") for r in res] == [s["ki"].hex() for s in SUITES.values()],
          "ki per suite (EncryptedHeader when present)", [r.get("ki") for r in res])
    wrong = KIV_CS1_EH.hex() + recs[list(SUITES).index("cs1_eh")][len(EH_CS1.hex()):]
    rc, out, err = run(["open", "--keys", k], wrong + "\n")
    check(json.loads(out)["status"] == "unknown_key",
          "an entry with an EncryptedHeader is not indexed by its KIV", out)

    # --in / --out files, '-' for stdin.
    inf = write("in.txt", good + "\n" + bad_tag + "\n")
    outf = path("out.ndjson")
    rc, out, err = run(["open", "--keys", k, "--in", inf, "--out", outf])
    check(rc == 1 and out == "", "--out: nothing on stdout", (rc, out))
    with open(outf) as f:
        got = [json.loads(l)["status"] for l in f]
    check(got == ["ok", "auth_failed"], "--in/--out files", got)
    rc, out, err = run(["open", "--keys", k, "--in", "-"], good + "\n")
    check(rc == 0 and json.loads(out)["status"] == "ok", "--in - reads stdin", out)
    rc, out, err = run(["open", "--keys", k, "--in", path("nope.txt")])
    check(rc == 2 and "nope.txt" in err, "--in missing file -> exit 2", (rc, err))

    # --stats: one line on stderr with the counts.
    rc, out, err = run(["open", "--keys", k, "--stats"],
                       "\n".join([good, good, bad_tag, unknown, "zz"]) + "\n")
    m = re.match(r"^e2ecrypt open: (\d+) records, (\d+) ok, (\d+) failed \((\d+) auth_failed, "
                 r"(\d+) unknown_key, (\d+) malformed\) in [0-9.]+ s, [0-9.]+ (M |k )?records/s, "
                 r"engine [a-z0-9+]+", err)
    check(m is not None and len(lines(err)) == 1, "--stats line format", err)
    if m:
        check(m.groups()[:6] == ("5", "2", "3", "1", "1", "1"), "--stats counts", m.groups())
    rc, out, err = run(["open", "--keys", k], good + "\n")
    check(err == "", "no stats without --stats", err)


def t_seal():
    k = full_keyring()
    pts = [b"", b"\x00", b"HELLO", b"x" * 15, b"y" * 16, b"z" * 17, bytes(range(31)),
           bytes(range(32)), bytes(range(33)), bytes(range(200)), b"The quick brown fox jumps"]
    inp = "".join('{"id":%d,"data":"%s"}\n' % (i, p.hex()) for i, p in enumerate(pts))
    for name, s in SUITES.items():
        for how in (["--uid", uid_text(s)], ["--ki", s["ki"].hex().upper()]):
            rc, out, err = run(["seal", "--keys", k] + how, inp)
            sealed = lines(out)
            if name.startswith("cs1"):
                # P || T under 16 bytes cannot be CS1: a malformed line.
                want_bad = [i for i, p in enumerate(pts) if len(p) + s["t"] < 16]
            else:
                want_bad = []
            check(rc == (1 if want_bad else 0), "seal %s %s exit" % (name, how[0]), (rc, err))
            check(len(sealed) == len(pts), "seal %s %s: one line per record" % (name, how[0]))
            for i in want_bad:
                check(sealed[i] == "malformed", "seal %s: short CS1 -> malformed" % name, sealed[i])
            good = [l for i, l in enumerate(sealed) if i not in want_bad]
            check(all(re.match(r"^[0-9a-f]+$", l) for l in good), "seal output is lower-case hex")
            for i, l in enumerate(sealed):
                if i in want_bad:
                    continue
                check(l.startswith(s["ki"].hex()), "seal %s writes the KI first" % name, l)
                check(len(l) // 2 == len(s["ki"]) + len(pts[i]) + s["t"],
                      "seal %s length = KI + P + tag" % name, (len(l) // 2, len(pts[i])))
            rc, out, err = run(["open", "--keys", k], "".join(l + "\n" for l in good))
            res = parse_open(out)
            want = [p.hex() for i, p in enumerate(pts) if i not in want_bad]
            check(rc == 0 and [r.get("data") for r in res] == want,
                  "seal -> open round trip, %s via %s" % (name, how[0]), out[:300])

    # A bad record gives its status token; the rest are processed; exit 1.
    rc, out, err = run(["seal", "--keys", k, "--uid", "00040008003fa662"],
                       "48454c4c4f\nnothex\n\n48454c4c4f\n")
    check(rc == 1 and len(lines(out)) == 3 and lines(out)[1] == "malformed",
          "seal: bad record -> malformed line, rest processed, exit 1", (rc, out))
    check(lines(out)[0] == lines(out)[2], "seal is deterministic for one key set")

    # UID / KI not in the keyring, and option errors: exit 2.
    rc, out, err = run(["seal", "--keys", k, "--uid", "0000000000000000"], "00\n")
    check(rc == 2 and "not in" in err and "0000000000000000" in err and out == "",
          "seal: unknown uid -> exit 2", (rc, err))
    rc, out, err = run(["seal", "--keys", k, "--ki", "2a0000040008003fa6620dff"], "00\n")
    check(rc == 2 and "not in" in err, "seal: unknown ki -> exit 2", (rc, err))
    rc, out, err = run(["seal", "--keys", k, "--ki", "xyz"], "00\n")
    check(rc == 2, "seal: bad --ki hex -> exit 2", rc)
    rc, out, err = run(["seal", "--keys", k], "00\n")
    check(rc == 2 and "--uid" in err, "seal: neither --uid nor --ki -> exit 2", (rc, err))
    rc, out, err = run(["seal", "--keys", k, "--uid", "a", "--ki", "2a"], "00\n")
    check(rc == 2, "seal: both --uid and --ki -> exit 2", rc)

    # The documentation's CS1 downlink sample: ROTPublicUID as a number, a
    # 16-byte KIV (nibble 0x1), base64 without padding / with odd bits.
    seed = write("seed-down.json", SEED_DOWNLINK)
    msg = b"The quick brown fox jumps over the lazy dog."
    rc, out, err = run(["seal", "--keys", seed, "--uid", "2000089282245"], msg.hex() + "\n")
    check(rc == 0, "seed downlink sample: seal by numeric ROTPublicUID", (rc, err))
    kiv = base64.b64decode("EQEBAIkoIrZnYX4vnjgCCC==")
    check(out.startswith(kiv.hex()) and len(kiv) == 16, "seed sample: the KIV is the KI", out)
    check(len(out.strip()) // 2 == 16 + len(msg) + 16, "seed sample: KI + P + 16-byte tag", out)
    rc2, out2, err2 = run(["open", "--keys", seed], out)
    check(rc2 == 0 and json.loads(out2)["data"] == msg.hex(), "seed sample: seal -> open", out2)
    rc3, out3, err3 = run(["seal", "--keys", seed, "--ki", kiv.hex()], msg.hex() + "\n")
    check(out3 == out, "seed sample: --ki gives the same wire as --uid", out3)
    if OPENSSL:
        enc = base64.b64decode("EuPzZxheaAoGAQ/+X2mYbg==")
        auth = base64.b64decode("lTZfP2dO5IAXvJT8FlXV5A==")
        # Python's b64decode needs the padding the sample lacks.
        iv = base64.b64decode("KgXYZgAAiSgisgADBBBBBB==")
        want = cs1_wire(enc, iv, auth, kiv, kiv, msg, 16)
        check(out.strip() == want.hex(), "seed sample: seal equals the documentation's "
              "CS1 algorithm (openssl oracle)", (out.strip(), want.hex()))


def t_oracle():
    k = full_keyring()
    hm = SUITES["hmac"]
    # HMAC-only with hashlib: always available.
    for name in ("hmac", "hmac256"):
        s = SUITES[name]
        pts = [b"HELLO", b"", b"The quick brown fox jumps over the lazy dog.", bytes(range(256))]
        wires = [hmac_wire(s["auth"], s["kiv"], s["ki"], p, s["t"]) for p in pts]
        rc, out, err = run(["open", "--keys", k], "".join(w.hex() + "\n" for w in wires))
        res = parse_open(out)
        check(rc == 0 and [r.get("data") for r in res] == [p.hex() for p in pts],
              "open %s records made by Python hmac" % name, out[:300])
        rc, out, err = run(["seal", "--keys", k, "--uid", uid_text(s)],
                           "".join(p.hex() + "\n" for p in pts if p))
        check(lines(out) == [w.hex() for p, w in zip(pts, wires) if p],
              "seal %s equals Python hmac" % name, out[:300])
    # The documentation's integrity sample keys with "HELLO" (also open --help).
    kk = write("seedh.ndjson", json.dumps(SEED_HMAC) + "\n")
    auth = base64.b64decode(SEED_HMAC["AuthenticationKey"])
    kiv = base64.b64decode(SEED_HMAC["KIV"])
    w = hmac_wire(auth, kiv, kiv, b"HELLO", 16).hex()
    check(w == "2a0000040008003fa6620d0248454c4c4fca9f015b8b9a63f733cda4886a4312b0",
          "help's HMAC example is right", w)
    rc, out, err = run(["open", "--keys", kk], '{"id":7,"data":"%s"}\n' % w)
    check(out.strip() == '{"id":7,"status":"ok","mode":"hmac","ki":"2a0000040008003fa6620d02",'
          '"data":"48454c4c4f"}', "open --help's example output", out)

    if not OPENSSL:
        # scripts/run installs openssl; a missing oracle is a failure, not a skip.
        check(False, "the openssl command (the CCM/CS1 oracle) is installed", "not found")
        return
    # Self-check of the CS1 construction against openssl's own CBC-CTS (CS1).
    key, iv = det("cts-k", 16), det("cts-iv", 16)
    for n in (17, 31, 37, 48):
        p = det("cts-p", n)
        c = openssl_enc("aes-128-cbc", key, p + bytes(-n % 16), iv)
        d = n % 16
        mine = c[:-32] + c[-32:-16][:d] + c[-16:] if d else c
        try:
            cts = openssl_enc("aes-128-cbc-cts", key, p, iv, nopad=False)
        except subprocess.CalledProcessError:
            cts = None
        if cts is not None:
            check(mine == cts, "oracle self-check: CS1 construction = openssl CBC-CTS (%d)" % n)

    lens = [0, 1, 5, 15, 16, 17, 31, 32, 33, 100, 255]
    for name, s in SUITES.items():
        pts = [det("pt-" + name, n) for n in lens]
        if s["kind"] == "cs1":
            pts = [p for p in pts if len(p) + s["t"] >= 16]
        wires = [oracle_wire(s, p) for p in pts]
        rc, out, err = run(["open", "--keys", k],
                           "".join('{"id":%d,"data":"%s"}\n' % (i, w.hex())
                                   for i, w in enumerate(wires)))
        res = parse_open(out)
        check(rc == 0 and [r.get("data") for r in res] == [p.hex() for p in pts],
              "open %s records made by the openssl oracle" % name, out[:300])
        rc, out, err = run(["seal", "--keys", k, "--ki", s["ki"].hex()],
                           "".join('{"data":"%s"}\n' % p.hex() for p in pts))
        got = lines(out)
        check(got == [w.hex() for w in wires], "seal %s equals the openssl oracle" % name,
              [(g, w.hex()) for g, w in zip(got, wires) if g != w.hex()][:2])
        # One flipped bit anywhere after the KI -> auth_failed, no data.
        w = wires[3]
        flips = [bytearray(w) for _ in range(3)]
        for j, pos in enumerate([len(s["ki"]), len(w) // 2 + 3, len(w) - 1]):
            flips[j][pos] ^= 0x01
        rc, out, err = run(["open", "--keys", k], "".join(bytes(f).hex() + "\n" for f in flips))
        res = parse_open(out)
        check(rc == 1 and all(r["status"] == "auth_failed" and "data" not in r for r in res),
              "%s: flipped bit -> auth_failed, no data" % name, out)
    return 0


def t_gen():
    kf, rf = path("gen-keys.ndjson"), path("gen-records.txt")
    args = ["gen", "--keys-out", kf, "--records-out", rf, "--count", "3000", "--devices", "60",
            "--seed", "7"]
    rc, out, err = run(args)
    check(rc == 0, "gen exits 0", (rc, err))
    check("3000 records" in err, "gen reports what it wrote", err)
    with open(kf) as f:
        keys = [json.loads(l) for l in f if l.strip()]
    with open(rf) as f:
        recs = [l.rstrip("\n") for l in f]
    check(len(recs) == 3000, "gen writes --count records", len(recs))
    suites = {e["CipherSuite"] for e in keys}
    check(suites == {"AES_128_CCM", "AES_128_CCM_8", "AES_128_CS1_HMAC_SHA256", "HMAC_SHA256"},
          "gen keyring mixes every suite", suites)
    cont = [e for e in keys if e["CipherSuite"].startswith("AES_128_CCM")]
    check(cont and all(e["EncryptedHeader"][0] == "1" and len(e["EncryptedHeader"]) == 32
                       for e in cont), "continuous CCM entries: 16-byte KI, nibble 0x1")
    auto = [e for e in keys if "KIV" in e]
    check(auto and all(base64.b64decode(e["KIV"])[0] >> 4 == 2 and
                       len(base64.b64decode(e["KIV"])) == 12 for e in auto),
          "automatic entries: 12-byte KIV, nibble 0x2")
    check(len(cont) > 300, "continuous rotation: one key set per message", len(cont))
    check(any(r.startswith("{") for r in recs) and any(not r.startswith("{") for r in recs),
          "gen records mix bare hex and JSON")
    sizes = []
    for r in recs:
        data = json.loads(r)["data"] if r.startswith("{") else r
        sizes.append(len(data) // 2)
    check(min(sizes) >= 12 + 5 + 4 and max(sizes) <= 16 + 200 + 32, "gen record sizes", (min(sizes), max(sizes)))

    rc, out, err = run(["open", "--keys", kf, "--in", rf, "--stats"])
    check(rc == 0, "every generated record opens (exit 0)", (rc, err))
    check("3000 records, 3000 ok, 0 failed" in err, "--stats: all verified", err)
    res = [json.loads(l) for l in lines(out)]
    check(len(res) == 3000 and all(r["status"] == "ok" for r in res), "3000 ok results")
    plain = [bytes.fromhex(r["data"]) for r in res]
    check(all(5 <= len(p) <= 200 for p in plain), "payloads are 5..200 bytes")
    check(any(p.startswith(b'{"seq":') for p in plain), "some payloads are JSON-ish telemetry")

    # HMAC_SHA256 records verified independently with Python hmac.
    by_kiv = {base64.b64decode(e["KIV"]): e for e in keys if e["CipherSuite"] == "HMAC_SHA256"}
    n = 0
    for r in recs:
        w = bytes.fromhex(json.loads(r)["data"] if r.startswith("{") else r)
        e = by_kiv.get(w[:12])
        if e is None:
            continue
        t = e["MACLength"] // 8
        want = hmac_tag(base64.b64decode(e["AuthenticationKey"]), w[:12], w[12:-t], t)
        check(w[-t:] == want, "generated HMAC record verifies with Python hmac")
        n += 1
    check(n > 100, "enough HMAC records checked independently", n)

    # Deterministic per seed.
    kf2, rf2 = path("gen-keys2.ndjson"), path("gen-records2.txt")
    rc, out, err = run(["gen", "--keys-out", kf2, "--records-out", rf2, "--count", "3000",
                        "--devices", "60", "--seed", "7"])
    check(open(kf).read() == open(kf2).read() and open(rf).read() == open(rf2).read(),
          "same seed, same files")
    rc, out, err = run(["gen", "--keys-out", kf2, "--records-out", rf2, "--count", "3000",
                        "--devices", "60", "--seed", "8"])
    check(open(rf).read() != open(rf2).read(), "another seed, other files")
    rc, out, err = run(["gen", "--keys-out", kf2, "--records-out", rf2, "--count", "-1"])
    check(rc == 2, "gen: bad --count -> exit 2", rc)
    rc, out, err = run(["gen", "--keys-out", kf2, "--records-out", rf2, "--devices", "0"])
    check(rc == 2, "gen: --devices 0 -> exit 2", rc)

# ---------------------------------------------------------------- streaming

def run_proc(args, stdin=b"", env=None, timeout=300):
    """run_proc runs the tool with bytes in and out; returns (rc, out, err, maxrss KiB)."""
    e = dict(os.environ)
    e.pop("E2E_IMPL", None)
    e.pop("E2E_API_TOKEN", None)
    if env:
        e.update(env)
    p = subprocess.Popen(EMULATOR + [BIN] + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e)
    out_err = {}

    def feed():
        try:
            p.stdin.write(stdin)
            p.stdin.close()
        except BrokenPipeError:
            pass

    t = threading.Thread(target=feed)
    t.start()
    def drain(name, f):
        out_err[name] = f.read()
    t1 = threading.Thread(target=drain, args=("out", p.stdout))
    t2 = threading.Thread(target=drain, args=("err", p.stderr))
    t1.start()
    t2.start()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    t.join()
    t1.join()
    t2.join()
    return p.returncode, out_err["out"], out_err["err"].decode("utf-8", "replace"), ru.ru_maxrss


def xor_model(line, key):
    """xor_model: byte-mode e2ecrypt xor of one input line (None: blank)."""
    s = line.strip(" \t\r\n\v\f")
    if s == "":
        return None
    try:
        if len(s) % 2:
            raise ValueError
        b = bytes.fromhex(s)
        if any(c not in "0123456789abcdefABCDEF" for c in s):
            raise ValueError
    except ValueError:
        return "malformed"
    if len(b) > len(key):
        return "malformed"
    return bytes(x ^ y for x, y in zip(b, key[len(key) - len(b):])).hex()


def t_stream():
    key = det("stream-key", 12)
    # ~3 MB of lines of every length around several chunk boundaries: hex
    # of 0..13 bytes, upper case, blank lines, CRLF, spaces, junk, and no
    # newline after the last line.
    parts = []
    i = 0
    size = 0
    while size < 3 * 1024 * 1024 + 4321:
        k = i % 17
        if k == 0:
            l = ""
        elif k == 1:
            l = "  " + det("s", 5 + i % 7).hex().upper() + " \r"
        elif k == 2:
            l = "zz" + "0" * (i % 5)
        elif k == 3:
            l = "0" * (2 * 13)
        else:
            l = det("l%d" % i, i % 13).hex()
        parts.append(l)
        size += len(l) + 1
        i += 1
    text = "\n".join(parts)  # no newline at the end
    want = [xor_model(l, key) for l in parts]
    want = "".join(w + "\n" for w in want if w is not None).encode()
    f = write("stream.txt", text)
    outs = {}
    for threads in ("1", "2", "3", "8"):
        rc, out, err, _ = run_proc(["xor", "--key", key.hex(), "--in", f, "--threads", threads])
        outs[threads] = out
        check(rc == 1 and out == want, "xor --threads %s over chunk boundaries equals the model"
              % threads, (rc, err, len(out), len(want)))
    rc, out, err, _ = run_proc(["xor", "--key", key.hex(), "--threads", "2"], text.encode())
    check(out == want, "xor from a pipe equals the model", (rc, err))

    # open: the same results, byte for byte, whatever the thread count,
    # on records spanning many chunks.
    kf, rf = path("st-keys.ndjson"), path("st-recs.txt")
    rc, out, err = run(["gen", "--keys-out", kf, "--records-out", rf, "--count", "40000",
                        "--devices", "200", "--seed", "9"])
    check(rc == 0 and os.path.getsize(rf) > 5 * 1024 * 1024, "gen 40000 records (> 5 MB)",
          (rc, err))
    ref = None
    for threads in ("1", "2", "4"):
        rc, out, err, _ = run_proc(["open", "--keys", kf, "--in", rf, "--threads", threads,
                                    "--stats"])
        check(rc == 0 and out.count(b"\n") == 40000 and b'"status":"ok"' in out,
              "open --threads %s: 40000 ok results" % threads, (rc, err))
        check(("%s thread" % threads) in err, "--stats names the thread count", err)
        if ref is None:
            ref = out
        check(out == ref, "open --threads %s: same output, same order as --threads 1" % threads)
    with open(rf, "rb") as fh:
        recs_bytes = fh.read()
    rc, out, err, _ = run_proc(["open", "--keys", kf, "--threads", "2"], recs_bytes)
    check(out == ref, "open from a pipe, 2 threads: same output")
    res = [json.loads(l) for l in ref.decode().splitlines()[:3]]
    rec_lines = recs_bytes.decode().splitlines()
    for r, l in zip(res, rec_lines):
        if l.startswith("{"):
            check(r.get("id") == json.loads(l).get("id"), "ids stay with their records", (r, l))

    # JSON records: the in-place scanner and jansson agree (ids of every
    # kind, escapes, reals, spaces, duplicates, nesting).
    k = full_keyring()
    hm = SUITES["hmac"]
    good = hmac_wire(hm["auth"], hm["kiv"], hm["ki"], b"HELLO", 16).hex()
    variants = ['{"id":1,"data":"%s"}', '{ "data" : " %s " , "id" : "a b" }',
                '{"id":"x\\u0041","data":"%s"}', '{"id":1.25,"data":"%s"}',
                '{"id":-0,"data":"%s"}', '{"id":[1,{"a":null}],"data":"%s"}',
                '{"id":1,"data":"%s","id":2}', '{"id":1,"data":"%s",}', '{"data":"%s"} x',
                '{"id":true,"data":"%s","z":false,"y":null,"w":-12}',
                '{"id":"\\t","data":"%s"}', '{"data":"\\u0030%s"}', '{"data":"%s\\t"}',
                '{"id":123456789012345678901234567890,"data":"%s"}', '{"id":"é","data":"%s"}',
                '{"id":01,"data":"%s"}', '{"id":1e2,"data":"%s"}', '{"data":"%s","extra":[]}',
                '{"data": "%s"\t}', '{"data":"%s"}\x0b']
    lines_in = [v % good for v in variants]
    rc, out, err = run(["open", "--keys", k, "--threads", "1"], "\n".join(lines_in) + "\n")
    got = lines(out)
    check(len(got) == len(variants), "one result per JSON variant", (len(got), err))
    for v, l, g in zip(variants, lines_in, got):
        # The model: Python's json (duplicates rejected, as jansson does;
        # integers must fit in 64 bits, as in jansson), after the white-space
        # trim the tool applies to every line.
        l = l.strip(" \t\r\n\v\f")
        try:
            pairs = json.loads(l, object_pairs_hook=lambda p: p)
            keys = [a for a, _ in pairs]
            obj = json.loads(l) if len(keys) == len(set(keys)) else None
            if obj is not None and isinstance(obj.get("id"), int) and \
                    not -2**63 <= obj["id"] < 2**63:
                obj = None
        except ValueError:
            obj = None
        if obj is None or not isinstance(obj.get("data"), str):
            want_status = "malformed"
        else:
            want_status = "ok" if obj["data"].strip(" \t\r\n\v\f").lower() == good else "malformed"
        r = json.loads(g)
        check(r["status"] == want_status, "JSON variant %r: %s" % (v, want_status), g)
        if obj is not None and "id" in obj:
            check("id" in r and r["id"] == obj["id"], "JSON variant %r: id echoed" % v, g)

    # A line over 16 MiB is one malformed record (no id, no ki); a 15 MiB
    # one is read whole; the lines around them are not disturbed.
    big_ok = "2a0000040008003fa6620dff" + "ab" * (15 * 1024 * 1024 // 2 - 12)
    big_bad = '{"id":5,"data":"' + "2a0000040008003fa6620dff" + "cd" * (17 * 1024 * 1024 // 2) + '"}'
    inp = good + "\n" + big_ok + "\n" + good + "\n" + big_bad + "\n" + good + "\n"
    rc, out, err, _ = run_proc(["open", "--keys", k, "--threads", "2"], inp.encode())
    res = [json.loads(l) for l in out.decode().splitlines()]
    check([r["status"] for r in res] == ["ok", "unknown_key", "ok", "malformed", "ok"],
          "15 MiB line read whole, 17 MiB line malformed, neighbours fine",
          ([r["status"] for r in res], err))
    if len(res) == 5:
        check(res[1].get("ki") == "2a0000040008003fa6620dff" and res[3] == {"status": "malformed"},
              "the over-long line has no id and no ki", (res[1].get("ki"), res[3]))

    # Streaming: a result comes out while the input is still open.
    e = dict(os.environ)
    e.pop("E2E_IMPL", None)
    p = subprocess.Popen(EMULATOR + [BIN, "open", "--keys", k, "--threads", "2"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=e)
    p.stdin.write((good + "\n").encode())
    p.stdin.flush()
    first = [None]
    reader = threading.Thread(target=lambda: first.__setitem__(0, p.stdout.readline()))
    reader.start()
    reader.join(20)
    check(first[0] is not None and b'"status":"ok"' in first[0],
          "a record's result is written before the input ends", first[0])
    p.stdin.write((bad_hex_line() + "\n").encode())
    p.stdin.close()
    rest = p.stdout.read()
    p.wait(60)
    check(p.returncode == 1 and b"malformed" in rest, "the stream then ends normally",
          (p.returncode, rest))

    # --progress: periodic lines on stderr (not a terminal here) only when
    # asked for.
    p = subprocess.Popen(EMULATOR + [BIN, "open", "--keys", k, "--progress", "--threads", "1"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=e)
    p.stdin.write(((good + "\n") * 500).encode())
    p.stdin.flush()
    time.sleep(1.6)
    p.stdin.write(((good + "\n") * 500).encode())
    p.stdin.close()
    perr = p.stderr.read().decode()
    p.wait(60)
    prog = re.findall(r"e2ecrypt open: (\d+) records, (\d+) ok, (\d+) failed, \d+ records/s", perr)
    check(len(prog) >= 2, "--progress: a line while running and one at the end", perr)
    check(prog and prog[-1] == ("1000", "1000", "0"), "--progress: final counts", prog)
    check(prog and int(prog[0][0]) < 1000, "--progress: the first line is mid-run", prog)
    rc, out, err = run(["open", "--keys", k], (good + "\n") * 10)
    check(err == "", "no progress without --progress when stderr is not a terminal", err)

    # Memory stays flat: peak RSS for a 4x larger input grows by (much)
    # less than the input. (Peak RSS through a small launcher: a child forked
    # from this big test process would count the parent's pages.)
    blob = "".join(det("m%d" % i, 12).hex() + "\n" for i in range(4096)).encode()
    f1 = path("m1.txt")
    f4 = path("m4.txt")
    with open(f1, "wb") as fh:
        for _ in range(400):
            fh.write(blob)  # ~40 MB
    with open(f4, "wb") as fh:
        for _ in range(1600):
            fh.write(blob)  # ~160 MB
    rss = {}
    for name, fpath in (("40MB", f1), ("160MB", f4)):
        for threads in ("1", "2"):
            rc, out, err, maxrss = peak_rss(["xor", "--key", key.hex(), "--in", fpath,
                                             "--out", os.devnull, "--threads", threads])
            check(rc == 0, "xor %s --threads %s" % (name, threads), err)
            rss[(name, threads)] = maxrss
    for threads in ("1", "2"):
        a, b = rss[("40MB", threads)], rss[("160MB", threads)]
        check(b - a < 8 * 1024 and b < 100 * 1024,
              "--threads %s: peak RSS flat: %d KiB for 40 MB, %d KiB for 160 MB" % (threads, a, b))
    os.unlink(f1)
    os.unlink(f4)

    # Legacy XOR warnings name the right line, in order, past the first
    # chunk and with several threads.
    n_before = 150000
    inp = ("1A2B3C\n" * n_before) + "EF12\n" + ("1A2B3C\n" * 1000) + "EF12\n"
    rc, out, err, _ = run_proc(["xor", "--key", "ABCDEF1234567890ABCDEF12", "--legacy",
                                "--threads", "3"], inp.encode())
    warn = re.findall(r"line (\d+):", err)
    check(warn == [str(n_before + 1), str(n_before + 1002)],
          "legacy warnings name lines %d and %d" % (n_before + 1, n_before + 1002), warn)

    # Errors: an output that cannot be written, a bad --threads.
    if os.path.exists("/dev/full"):
        rc, out, err = run(["xor", "--key", key.hex(), "--out", "/dev/full"], "00\n" * 10)
        check(rc == 2 and "writing /dev/full failed" in err, "--out /dev/full -> exit 2", (rc, err))
    for bad in ("0", "x", "-1", "65"):
        rc, out, err = run(["open", "--keys", k, "--threads", bad], good + "\n")
        check(rc == 2 and "--threads" in err, "--threads %s -> usage error" % bad, (rc, err))


LAUNCHER = ("import os, sys\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    os.execvp(sys.argv[1], sys.argv[1:])\n"
            "_, st, ru = os.wait4(pid, 0)\n"
            "sys.stderr.write('\\nMAXRSS %d\\n' % ru.ru_maxrss)\n"
            "sys.exit(os.waitstatus_to_exitcode(st) & 255)\n")


def peak_rss(args):
    """peak_rss runs the tool from a small launcher process and returns
    (rc, out, err, the tool's peak RSS in KiB)."""
    e = dict(os.environ)
    e.pop("E2E_IMPL", None)
    e.pop("E2E_API_TOKEN", None)
    p = subprocess.run([sys.executable, "-c", LAUNCHER] + EMULATOR + [BIN] + args,
                       capture_output=True, env=e, timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    m = re.search(r"\nMAXRSS (\d+)\n", err)
    return p.returncode, p.stdout, err, int(m.group(1)) if m else 1 << 30


def bad_hex_line():
    return "nothex"


# ---------------------------------------------------------------- fetch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def entry_ki(e):
    """entry_ki: the KI a keyring entry is indexed by (hex)."""
    if e.get("EncryptedHeader"):
        return e["EncryptedHeader"].strip().lower()
    return base64.b64decode(e["KIV"]).hex()


def record_ki(line):
    data = json.loads(line)["data"] if line.startswith("{") else line
    b = bytes.fromhex(data.strip())
    return b[:16 if b[0] >> 4 == 1 else 12].hex()


def api_params(e):
    """api_params: the REST API's answer for a keyring entry (no EncryptedHeader)."""
    d = dict(e)
    d.pop("EncryptedHeader", None)
    return d


def gen_data(name, count, devices, seed):
    kf, rf = path(name + "-keys.ndjson"), path(name + "-recs.txt")
    rc, out, err = run(["gen", "--keys-out", kf, "--records-out", rf, "--count", str(count),
                        "--devices", str(devices), "--seed", str(seed)])
    check(rc == 0, "gen for %s" % name, err)
    with open(kf) as f:
        keys = [json.loads(l) for l in f if l.strip()]
    with open(rf) as f:
        recs = [l.rstrip("\n") for l in f]
    used = []
    seen = set()
    for r in recs:
        ki = record_ki(r)
        if ki not in seen:
            seen.add(ki)
            used.append(ki)
    return kf, rf, keys, recs, used


def reference(name, keys, rf, leave_out):
    """reference: open's output with the keyring minus leave_out (those KIs
    are unknown_key), what a run that fetches must print too."""
    k = write(name + "-ref.ndjson", ndjson(e for e in keys if entry_ki(e) not in leave_out))
    rc, out, err = run(["open", "--keys", k, "--in", rf])
    return out


SUMMARY = re.compile(r"fetch: (\d+) key sets fetched, (\d+) charged requests \((\d+) retries\), "
                     r"(\d+) keys rejected, (\d+) cache hits")


def summary(err):
    m = SUMMARY.search(err)
    check(m is not None, "the summary line has the fetch counts", err)
    return tuple(int(x) for x in m.groups()) if m else (None,) * 5


def cache_lines(f):
    """cache_lines: every line of the cache file must be a whole, valid entry."""
    with open(f, "rb") as fh:
        data = fh.read()
    check(data == b"" or data.endswith(b"\n"), "cache file ends with a newline", data[-80:])
    out = []
    for l in data.split(b"\n")[:-1] if data else []:
        try:
            o = json.loads(l)
        except ValueError:
            check(False, "cache line is valid JSON", l[:200])
            continue
        check(isinstance(o, dict) and "CipherSuite" in o and "EncryptedHeader" in o,
              "cache line is a key set with its EncryptedHeader", l[:200])
        out.append(o)
    return out


def t_fetch():
    from mock_api import MockAPI, TOKEN
    kf, rf, keys, recs, used = gen_data("fe", 400, 30, 11)
    by_ki = {entry_ki(e): api_params(e) for e in keys}
    missing = set(used[:3])                        # the API does not know these: 404
    db = {k: v for k, v in by_ki.items() if k not in missing}
    ref = reference("fe", keys, rf, missing)
    n_known = sum(1 for r in recs if record_ki(r) not in missing)
    tok = write("token", TOKEN + "\n")
    cache = path("cache.ndjson")                   # does not exist yet
    api = MockAPI(uplink=db).start()
    try:
        args = ["open", "--keys", cache, "--in", rf, "--fetch", api.url, "--token-file", tok,
                "--fetch-jobs", "3"]
        rc, out, err = run(args + ["--threads", "2"])
        check(rc == 1, "fetch run: exit 1 (some records unknown_key)", (rc, err[-500:]))
        check(out == ref, "fetch run: every result equals the reference run's",
              [(a, b) for a, b in zip(lines(out), lines(ref)) if a != b][:2])
        check(api.violations == [], "requests have the documented headers and body",
              api.violations[:3])
        check(all(p == "/v1/e2e/uplink/protectionparameters/get" for p, _ in api.requests),
              "uplink protectionparameters endpoint", set(p for p, _ in api.requests))
        per = {k: api.count(k) for k in used}
        check(all(v == 1 for v in per.values()), "each distinct KI asked for exactly once",
              [(k, v) for k, v in per.items() if v != 1][:5])
        check(api.count() == len(used), "charged requests = distinct KIs (%d)" % len(used),
              api.count())
        check(1 <= api.max_inflight <= 3, "at most --fetch-jobs requests at once",
              api.max_inflight)
        fetched, requests, retries, rejected, hits = summary(err)
        check((fetched, requests, retries, rejected) == (len(used) - 3, len(used), 0, 3),
              "summary: fetched, charged requests, retries, rejected",
              (fetched, requests, retries, rejected))
        check(hits is not None and hits <= n_known, "summary: cache hits", hits)
        check(err.count("HTTP 404") == 3 and "unknown_key" in err,
              "each rejected KI is named once on stderr", err)
        cached = cache_lines(cache)
        eh = [o["EncryptedHeader"] for o in cached]
        check(sorted(eh) == sorted(set(used) - missing), "the cache holds each fetched key set once",
              (len(eh), len(set(used) - missing)))
        check(all(o == dict(db[o["EncryptedHeader"]], EncryptedHeader=o["EncryptedHeader"])
                  for o in cached), "cache lines are the API's answers plus EncryptedHeader")
        check(os.stat(cache).st_mode & 0o777 == 0o600, "the cache file is created mode 0600",
              oct(os.stat(cache).st_mode))

        # A restart asks for nothing it has cached; only the rejected KIs
        # (unknown to the API last time) are asked again.
        api.reset_counts()
        rc, out, err = run(args + ["--threads", "1"])
        check(out == ref, "restart: the same results", err[-300:])
        check(sorted(k for _, k in api.requests) == sorted(missing),
              "restart: no cached KI asked for again (%d requests, the 3 rejected ones)"
              % api.count(), api.requests[:5])
        fetched, requests, retries, rejected, hits = summary(err)
        check((fetched, requests, rejected, hits) == (0, 3, 3, n_known),
              "restart summary: 0 fetched, 3 requests, 3 rejected, every known record a "
              "cache hit", (fetched, requests, rejected, hits, n_known))
        check(len(cache_lines(cache)) == len(used) - 3, "restart: the cache is unchanged")
        rc, out, err = run(["open", "--keys", cache, "--in", rf])
        check(out == ref, "the cache is a keyring for a plain open", err[-300:])

        # Many chunks, two threads, one slow API: concurrent misses for one
        # KI (in different chunks) make one request.
        api.reset_counts()
        api.delay = 0.05
        big = path("big.txt")
        with open(rf) as f:
            body = f.read()
        with open(big, "w") as f:
            f.write(body * 40)
        cache2 = path("cache2.ndjson")
        rc, out, err = run(["open", "--keys", cache2, "--in", big, "--fetch", api.url,
                            "--token-file", tok, "--threads", "2", "--fetch-jobs", "4"])
        api.delay = 0
        check(out == ref * 40, "40 copies of the records: results in order", err[-300:])
        check(all(api.count(k) == 1 for k in used) and api.count() == len(used),
              "concurrent misses in several chunks: one request per KI", api.count())
        check(api.max_inflight >= 2, "requests run in parallel", api.max_inflight)

        # The token from E2E_API_TOKEN; a wrong one stops the run (401).
        cache3 = path("cache3.ndjson")
        api.reset_counts()
        rc, out, err = run(["open", "--keys", cache3, "--in", rf, "--fetch", api.url],
                           env={"E2E_API_TOKEN": TOKEN})
        check(rc == 1 and out == ref, "token from E2E_API_TOKEN", (rc, err[-300:]))
        cache4 = path("cache4.ndjson")
        api.reset_counts()
        rc, out, err = run(["open", "--keys", cache4, "--in", rf, "--fetch", api.url,
                            "--fetch-jobs", "1"], env={"E2E_API_TOKEN": "wrong"})
        check(rc == 2 and "401" in err and "token" in err, "401: the run stops, exit 2",
              (rc, err[-300:]))
        check(api.count() == 1, "401: no request after it", api.count())
        check(cache_lines(cache4) == [], "401: nothing cached")

        # --integrity asks the integrity endpoint.
        api.reset_counts()
        cache5 = path("cache5.ndjson")
        rc, out, err = run(["open", "--keys", cache5, "--in", rf, "--fetch", api.url + "/",
                            "--token-file", tok, "--integrity"])
        check(out == ref and api.count() == len(used) and
              all(p == "/v1/e2e/uplink/integrityparameters/get" for p, _ in api.requests),
              "--integrity: uplink integrityparameters", set(p for p, _ in api.requests))

        # A torn last line (an append cut short) is removed and its KI
        # fetched again; a last line without a newline but valid is kept.
        whole = open(cache, "rb").read().split(b"\n")[:-1]
        torn = path("torn.ndjson")
        with open(torn, "wb") as f:
            f.write(b"\n".join(whole[:5]) + b"\n" + whole[5][:37])
        api.reset_counts()
        rc, out, err = run(["open", "--keys", torn, "--in", rf, "--fetch", api.url,
                            "--token-file", tok])
        check(out == ref, "torn cache: the same results", err[-300:])
        check("line 6" in err and "removed it" in err, "torn last line: said and removed", err)
        first5 = [json.loads(l)["EncryptedHeader"] for l in whole[:5]]
        check(all(api.count(k) == 0 for k in first5) and
              api.count(json.loads(whole[5])["EncryptedHeader"]) == 1,
              "torn cache: the 5 whole lines are not fetched again, the torn one is")
        check(len(cache_lines(torn)) == len(used) - 3, "torn cache repaired: every line valid")
        nonl = path("nonl.ndjson")
        with open(nonl, "wb") as f:
            f.write(b"\n".join(whole[:5]))
        api.reset_counts()
        rc, out, err = run(["open", "--keys", nonl, "--in", rf, "--fetch", api.url,
                            "--token-file", tok])
        check(out == ref and api.count() == len(used) - 5 + 0 and
              len(cache_lines(nonl)) == len(used) - 3,
              "a last line without a newline is kept; appends start on a new line",
              (api.count(), err[-300:]))

        # Usage errors.
        arr = write("arr.json", json.dumps([keys[0]]))
        rc, out, err = run(["open", "--keys", arr, "--fetch", api.url, "--token-file", tok], "")
        check(rc == 2 and "JSON array" in err, "--fetch with a JSON array keyring -> exit 2", err)
        rc, out, err = run(["open", "--keys", path("c9"), "--fetch", api.url], "")
        check(rc == 2 and "E2E_API_TOKEN" in err, "--fetch without a token -> exit 2", err)
        rc, out, err = run(["open", "--keys", path("c9"), "--fetch", api.url, "--token-file",
                            path("nope")], "")
        check(rc == 2 and "nope" in err, "--token-file missing -> exit 2", err)
        rc, out, err = run(["open", "--keys", cache, "--fetch", "ftp://x", "--token-file", tok], "")
        check(rc == 2 and "http" in err, "--fetch ftp:// -> exit 2", err)
        rc, out, err = run(["open", "--keys", cache, "--integrity"], "")
        check(rc == 2 and "--fetch" in err, "--integrity without --fetch -> exit 2", err)

        # seal --fetch: downlink parameters by ROTPublicUID, cached.
        seed = json.loads(SEED_DOWNLINK)
        hmac_seed = dict(SEED_HMAC)
        api.downlink = {"2000089282245": seed, "00040008003fa662": hmac_seed}
        msg = b"The quick brown fox jumps over the lazy dog."
        want_rc, want, _ = run(["seal", "--keys", write("sd.json", SEED_DOWNLINK), "--uid",
                                "2000089282245"], msg.hex() + "\n")
        dcache = path("down.ndjson")
        api.reset_counts()
        for attempt in (1, 2):
            rc, out, err = run(["seal", "--keys", dcache, "--uid", "2000089282245", "--fetch",
                                api.url, "--token-file", tok], msg.hex() + "\n")
            check(rc == 0 and out == want, "seal --uid --fetch (run %d): same wire as with the "
                  "keyring" % attempt, (rc, out, err[-300:]))
        check(api.requests == [("/v1/e2e/downlink/protectionparameters/get", "2000089282245")],
              "seal: one downlink request, then the cache", api.requests)
        dl = cache_lines_any(dcache)
        check(len(dl) == 1 and str(dl[0].get("ROTPublicUID")) == "2000089282245",
              "seal: the downlink key set is cached with its ROTPublicUID", dl)
        api.reset_counts()
        rc, out, err = run(["seal", "--keys", dcache, "--uid", "00040008003fa662", "--fetch",
                            api.url, "--token-file", tok, "--integrity"], "48454c4c4f\n")
        check(rc == 0 and out.strip() == "2a0000040008003fa6620d0248454c4c4fca9f015b8b9a63f733cda4886a4312b0",
              "seal --integrity: the documentation's HMAC sample", (rc, out, err[-300:]))
        check(api.requests == [("/v1/e2e/downlink/integrityparameters/get", "00040008003fa662")],
              "seal --integrity: the downlink integrity endpoint", api.requests)
        rc, out, err = run(["seal", "--keys", dcache, "--uid", "0000000000000001", "--fetch",
                            api.url, "--token-file", tok], "00\n")
        check(rc == 2 and "no key set" in err and out == "", "seal: UID the API does not know "
              "-> exit 2", (rc, err))
        # seal --ki with --fetch: the uplink request.
        some = sorted(set(used) - missing)[0]
        api.reset_counts()
        rc, out, err = run(["seal", "--keys", path("ski.ndjson"), "--ki", some, "--fetch",
                            api.url, "--token-file", tok], "0102\n")
        check(rc == 0 and out.startswith(some) and api.requests ==
              [("/v1/e2e/uplink/protectionparameters/get", some)],
              "seal --ki --fetch: uplink parameters", (rc, api.requests, err[-300:]))
    finally:
        api.stop()


def cache_lines_any(f):
    with open(f) as fh:
        return [json.loads(l) for l in fh if l.strip()]


def t_faults():
    from mock_api import MockAPI, TOKEN
    kf, rf, keys, recs, used = gen_data("fa", 240, 16, 21)
    by_ki = {entry_ki(e): api_params(e) for e in keys}
    check(len(used) >= 12, "enough distinct KIs", len(used))
    (k500, k503, k429, kslow, kreset, kmal, knot, kbad, kwrong, k404) = used[1:11]
    rejected = {kmal, knot, kbad, kwrong, k404}
    db = {k: v for k, v in by_ki.items() if k != k404}
    ref = reference("fa", keys, rf, rejected)
    tok = write("token", TOKEN)
    api = MockAPI(uplink=db).start()
    try:
        api.fault(k500, 500, 500)
        api.fault(k503, 503)
        api.fault(k429, 429)
        api.fault(kslow, "slow:4")
        api.fault(kreset, "reset")
        api.fault(kmal, "malformed")
        api.fault(knot, "notobject")
        api.fault(kbad, "badkey")
        api.fault(kwrong, "wrongeh")
        cache = path("fa-cache.ndjson")
        t0 = time.time()
        rc, out, err = run(["open", "--keys", cache, "--in", rf, "--fetch", api.url,
                            "--token-file", tok, "--fetch-timeout", "1.5", "--fetch-retries", "3",
                            "--threads", "2", "--fetch-jobs", "4"])
        check(rc == 1, "faults: exit 1", (rc, err[-500:]))
        check(out == ref, "faults: every record's result as expected",
              [(a, b) for a, b in zip(lines(out), lines(ref)) if a != b][:2])
        want = {k: 1 for k in used}
        want.update({k500: 3, k503: 2, k429: 2, kslow: 2, kreset: 2})
        got = {k: api.count(k) for k in used}
        check(got == want, "faults: exact requests per KI (5xx/429/time-out/reset retried once "
              "per fault, rejected ones once)", [(k[:8], got[k], want[k]) for k in used
                                                 if got[k] != want[k]])
        fetched, requests, retries, nrej, hits = summary(err)
        check((fetched, requests, retries, nrej) == (len(used) - 5, len(used) + 6, 6, 5),
              "faults: summary counts", (fetched, requests, retries, nrej))
        for k in (kmal, knot, kbad, kwrong, k404):
            check(k in err, "faults: rejected KI %s named on stderr" % k[:8])
        check("not a JSON object" in err and "bad base64" in err and
              "EncryptedHeader is not the KI" in err, "faults: the reasons are given", err)
        cached = cache_lines(cache)
        check(sorted(o["EncryptedHeader"] for o in cached) == sorted(set(used) - rejected),
              "faults: the cache holds exactly the valid key sets")
        check(time.time() - t0 < 60, "faults: done in time")

        # Retries run out: the run stops (exit 2) after 1 + retries attempts.
        api.reset_counts()
        api.fault(used[11], *([500] * 10))
        cache2 = path("fa-cache2.ndjson")
        with open(rf) as f:
            only = [l for l in f if record_ki(l.rstrip("\n")) == used[11]]
        rc, out, err = run(["open", "--keys", cache2, "--fetch", api.url, "--token-file", tok,
                            "--fetch-retries", "2", "--fetch-jobs", "1"], "".join(only))
        check(rc == 2 and "after 3 attempts" in err and "HTTP 500" in err,
              "retries exhausted: exit 2 with the reason", (rc, err[-400:]))
        check(api.count(used[11]) == 3, "retries exhausted: exactly 3 requests", api.count())
        api.faults_by_key.clear()

        # 403 stops the run too.
        api.reset_counts()
        api.faults_by_number = {1: 403}
        rc, out, err = run(["open", "--keys", path("fa-cache3.ndjson"), "--in", rf, "--fetch",
                            api.url, "--token-file", tok, "--fetch-jobs", "1"])
        check(rc == 2 and "403" in err, "403: exit 2", (rc, err[-300:]))
        check(api.count() == 1, "403: no request after it", api.count())
    finally:
        api.stop()


def t_crash():
    from mock_api import MockAPI, TOKEN
    kf, rf, keys, recs, used = gen_data("cr", 120, 60, 31)
    by_ki = {entry_ki(e): api_params(e) for e in keys}
    ref = reference("cr", keys, rf, set())
    tok = write("token", TOKEN)
    api = MockAPI(uplink=by_ki).start()
    cache = path("cr-cache.ndjson")
    try:
        api.delay = 0.1
        e = dict(os.environ)
        e.pop("E2E_IMPL", None)
        p = subprocess.Popen(EMULATOR + [BIN, "open", "--keys", cache, "--in", rf, "--out",
                                          path("cr-out.ndjson"), "--fetch", api.url,
                                          "--token-file", tok, "--fetch-jobs", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=e)
        deadline = time.time() + 60
        n = 0
        while time.time() < deadline:
            if os.path.exists(cache):
                with open(cache, "rb") as f:
                    n = f.read().count(b"\n")
                if n >= 6:
                    break
            time.sleep(0.01)
        p.send_signal(signal.SIGKILL)
        p.wait(30)
        p.stderr.close()
        asked = api.count()
        check(p.returncode == -signal.SIGKILL, "the run was killed with SIGKILL", p.returncode)
        check(n >= 6 and asked < len(used), "killed mid-run (%d of %d KIs asked for)"
              % (asked, len(used)))
        cached = cache_lines(cache)
        eh = [o["EncryptedHeader"] for o in cached]
        check(len(eh) == len(set(eh)) and all(k in by_ki for k in eh),
              "after kill -9: every cache line whole and valid, no duplicates", eh)
        rc, out, err = run(["open", "--keys", cache], "")
        check(rc == 0 and err == "", "after kill -9: the cache loads as a keyring", (rc, err))

        # Restart: the cached KIs are never asked for again; the others once.
        api.delay = 0
        first = {k: api.count(k) for k in used}
        api.reset_counts()
        rc, out, err = run(["open", "--keys", cache, "--in", rf, "--fetch", api.url,
                            "--token-file", tok])
        check(rc == 0 and out == ref, "restart after kill -9: every record ok", err[-300:])
        check(all(api.count(k) == 0 for k in eh), "restart: no cached KI fetched again")
        check(all(api.count(k) == 1 for k in used if k not in eh) and
              api.count() == len(used) - len(eh),
              "restart: each KI not cached asked for once (%d)" % (len(used) - len(eh)),
              api.count())
        check(all(first[k] + api.count(k) == 1 for k in eh),
              "across the kill and the restart: one request for every cached KI")
        final = cache_lines(cache)
        check(sorted(o["EncryptedHeader"] for o in final) == sorted(used),
              "the cache ends with every KI once")
    finally:
        api.stop()



GROUPS = {"help": t_help, "ki": t_ki, "xor": t_xor, "keyring": t_keyring, "open": t_open,
          "seal": t_seal, "oracle": t_oracle, "gen": t_gen, "stream": t_stream,
          "fetch": t_fetch, "faults": t_faults, "crash": t_crash}


def main():
    if GROUP not in GROUPS:
        print("unknown group %s (known: %s)" % (GROUP, " ".join(GROUPS)))
        return 2
    if not os.access(BIN, os.X_OK):
        print("not executable: " + BIN)
        return 2
    try:
        GROUPS[GROUP]()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        return 1
    if passed == 0:
        print("no check ran")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
