#!/usr/bin/python3
"""plot.py — turn an e2ecrypt_bench JSON file into plots and a results table.

    /usr/bin/python3 bench/plot.py RESULTS.json [--out DIR] [--readme README.md]
                                    [--command "bench/run_bench.sh ..."]

Writes, into DIR (default: the JSON file's directory):
  <workload>.png   throughput (plaintext bytes/s) against plaintext size, one
                   line per implementation, one panel per batch size (1, 16,
                   256); sigfox_xor (one size, e2ecrypt only) as bars of
                   messages/s per batch size.
  latest.md        the results table: one row per workload/size/batch with
                   every implementation's messages/s from the same run and
                   e2ecrypt's ratio to the best peer.
and, with --readme, replaces everything between the markers
<!-- bench:begin --> and <!-- bench:end --> in that file with the table. If the
markers are missing the table is printed and the file is left alone.

Rows come from the medians when the run had repetitions, else from the single
runs. A row that failed (a cross-check, a missing peer) shows "FAILED".
Needs matplotlib (Debian python3-matplotlib) only for the PNGs; the table is
written even without it. Run it with /usr/bin/python3, the interpreter
Debian's matplotlib is installed for.
"""
import argparse
import json
import math
import os
import re
import sys

IMPLS = ["e2ecrypt", "boringssl", "openssl", "ipsecmb"]
PEERS = IMPLS[1:]
WORKLOADS = ["open_ccm_newkey", "open_ccm", "open_cs1_hmac", "seal_cs1_hmac",
             "verify_hmac", "sigfox_xor"]
TITLES = {
    "open_ccm_newkey": "open AES-128-CCM, a new key set per message (continuous rotation)",
    "open_ccm": "open AES-128-CCM, one key set",
    "open_cs1_hmac": "open AES-128-CBC-CS1 + HMAC-SHA256 (automatic rotation)",
    "seal_cs1_hmac": "seal HMAC-SHA256 + AES-128-CBC-CS1 (automatic rotation)",
    "verify_hmac": "verify HMAC-SHA256 only",
    "sigfox_xor": "Sigfox fixed-key XOR, 12-byte frames (no peer implements it)",
}
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load(path):
    with open(path) as f:
        doc = json.load(f)
    ctx = doc.get("context", {})
    rows = {}
    have_median = any(b.get("aggregate_name") == "median" for b in doc["benchmarks"])
    for b in doc["benchmarks"]:
        if have_median and b.get("aggregate_name") != "median":
            continue
        if not have_median and b.get("run_type", "iteration") != "iteration":
            continue
        name = b.get("run_name") or b["name"]
        m = re.match(r"^(\w+)/(\w+)/(\d+)/(\d+)", name)
        if not m:
            continue
        key = (m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
        if b.get("error_occurred"):
            rows[key] = {"error": b.get("error_message", "failed")}
            continue
        rows[key] = {
            "msgs": float(b.get("msgs_per_s", 0.0)),
            "bytes": float(b.get("bytes_per_second", 0.0)),
            "cpb": float(b.get("cycles_per_byte", 0.0)),
            "label": b.get("label", ""),
        }
    reps = max([int(b.get("repetitions", 1) or 1) for b in doc["benchmarks"]] + [1])
    return ctx, rows, reps


def cpu_model(ctx):
    if ctx.get("cpu_model") and ctx["cpu_model"] != "unknown":
        return ctx["cpu_model"]
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def human(v):
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            x = v / div
            return f"{x:.3g}{suffix}" if x < 100 else f"{x:.0f}{suffix}"
    return f"{v:.3g}"


def keys_of(rows):
    """(workload, size, batch) in suite order."""
    seen = sorted({(w, s, b) for (w, _, s, b) in rows},
                  key=lambda k: (WORKLOADS.index(k[0]) if k[0] in WORKLOADS else 99, k[1], k[2]))
    return seen


def table(ctx, rows, reps, command):
    date = ctx.get("date", "")[:10]
    lines = []
    lines.append(f"Measured {date} on **{cpu_model(ctx)}** "
                 f"({ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz; "
                 f"one core pinned), e2ecrypt {ctx.get('e2ecrypt_version', '')} engine "
                 f"`{ctx.get('e2ecrypt_impl', '?')}`, "
                 f"{ctx.get('peer_boringssl', 'BoringSSL')}, {ctx.get('peer_openssl', 'OpenSSL')}, "
                 f"{ctx.get('peer_ipsecmb', 'intel-ipsec-mb')}; "
                 f"medians of {reps} repetition{'s' if reps != 1 else ''}. "
                 f"Command: `{command}`.")
    lines.append("")
    lines.append("Messages per second (plaintext size in bytes; batch = messages per call). "
                 "Ratio = e2ecrypt / the best peer in the same run; below 1 means a peer "
                 "is faster. Every peer's output was checked equal to e2ecrypt's before "
                 "timing. Plots: `bench/results/<workload>.png`.")
    lines.append("")
    lines.append("| workload | size | batch | e2ecrypt | BoringSSL | OpenSSL | ipsec-mb "
                 "| e2ecrypt / best peer |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for (w, s, b) in keys_of(rows):
        cells = []
        for impl in IMPLS:
            r = rows.get((w, impl, s, b))
            cells.append("—" if r is None else "FAILED" if "error" in r else human(r["msgs"]))
        e = rows.get((w, "e2ecrypt", s, b))
        peers = [(rows[(w, p, s, b)]["msgs"], p) for p in PEERS
                 if (w, p, s, b) in rows and "error" not in rows[(w, p, s, b)]]
        if e is None or "error" in e:
            ratio = "—"
        elif not peers:
            ratio = "n/a (no peer)"
        else:
            best, who = max(peers)
            x = e["msgs"] / best if best > 0 else float("inf")
            ratio = f"{x:.2f}x ({who})"
            if x < 1:
                ratio = f"**{ratio}**"
        lines.append(f"| {w} | {s} | {b} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines) + "\n"


def headline(rows):
    """Geometric-mean ratio to the best peer per batch size, and losing rows."""
    out = []
    by_batch = {}
    losses = []
    for (w, s, b) in keys_of(rows):
        e = rows.get((w, "e2ecrypt", s, b))
        peers = [(rows[(w, p, s, b)]["msgs"], p) for p in PEERS
                 if (w, p, s, b) in rows and "error" not in rows[(w, p, s, b)]]
        if not e or "error" in e or not peers:
            continue
        best, who = max(peers)
        x = e["msgs"] / best
        by_batch.setdefault(b, []).append(x)
        if x < 1:
            losses.append((x, f"{w}/{s}/{b}", who))
    for b in sorted(by_batch):
        xs = by_batch[b]
        g = math.exp(sum(math.log(x) for x in xs) / len(xs))
        out.append(f"batch {b}: geometric mean e2ecrypt/best peer {g:.2f}x over {len(xs)} rows "
                   f"(min {min(xs):.2f}x, max {max(xs):.2f}x)")
    out.append(f"rows where a peer is faster: {len(losses)} of "
               f"{sum(len(v) for v in by_batch.values())}")
    for x, name, who in sorted(losses)[:8]:
        out.append(f"  {name}: {x:.2f}x ({who} faster)")
    return "\n".join(out)


def plots(ctx, rows, outdir):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("plot.py: matplotlib missing (apt-get install python3-matplotlib; run with "
              "/usr/bin/python3): no PNGs", file=sys.stderr)
        return []
    styles = {"e2ecrypt": ("tab:red", "o"), "boringssl": ("tab:blue", "s"),
              "openssl": ("tab:green", "^"), "ipsecmb": ("tab:purple", "D")}
    written = []
    sub = f"{cpu_model(ctx)}, one core, {ctx.get('date', '')[:10]}, e2ecrypt engine " \
          f"{ctx.get('e2ecrypt_impl', '?')}"
    for w in WORKLOADS:
        keys = sorted(k for k in rows if k[0] == w)
        if not keys:
            continue
        if w == "sigfox_xor":
            # One size and no peer: messages/s per batch size.
            fig, ax = plt.subplots(figsize=(6, 4.4))
            pts = [(k[3], rows[k]["msgs"] / 1e6) for k in keys
                   if k[1] == "e2ecrypt" and "error" not in rows[k]]
            ax.bar([f"batch {b}" for b, _ in pts], [v for _, v in pts],
                   color=styles["e2ecrypt"][0], label="e2ecrypt")
            ax.set_ylabel("million 12-byte frames / s")
            ax.legend(fontsize=8)
        else:
            batches = sorted({k[3] for k in keys})
            sizes = sorted({k[2] for k in keys})
            fig, axes = plt.subplots(1, len(batches), figsize=(5.2 * len(batches), 4.4),
                                     squeeze=False)
            for ax, b in zip(axes[0], batches):
                for impl in IMPLS:
                    pts = [(k[2], rows[k]["bytes"] / 1e9) for k in keys
                           if k[1] == impl and k[3] == b and "error" not in rows[k]]
                    if not pts:
                        continue
                    color, marker = styles[impl]
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marker,
                            color=color, label=impl,
                            linewidth=2.2 if impl == "e2ecrypt" else 1.4)
                ax.set_xscale("log", base=2)
                ax.set_yscale("log")
                ax.set_xticks(sizes)
                ax.set_xticklabels([str(x) for x in sizes])
                ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
                ax.set_xlabel("plaintext bytes per message")
                ax.set_ylabel("plaintext GB/s")
                ax.grid(True, which="both", alpha=0.3)
                ax.legend(fontsize=8)
                ax.set_title(f"batch {b}")
        fig.suptitle(f"{TITLES.get(w, w)}\n{sub}", fontsize=10)
        fig.tight_layout()
        path = os.path.join(outdir, f"{w}.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def update_readme(path, text):
    try:
        with open(path) as f:
            doc = f.read()
    except OSError:
        doc = None
    if doc is None or BEGIN not in doc or END not in doc or doc.index(BEGIN) > doc.index(END):
        print(f"plot.py: {path} has no {BEGIN} ... {END} markers; the table (also in "
              f"latest.md) is:\n\n{text}")
        return False
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w") as f:
        f.write(head + BEGIN + "\n" + text + END + tail)
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("json")
    ap.add_argument("--out")
    ap.add_argument("--readme")
    ap.add_argument("--command", default="bench/run_bench.sh")
    a = ap.parse_args()
    outdir = a.out or os.path.dirname(os.path.abspath(a.json))
    os.makedirs(outdir, exist_ok=True)
    ctx, rows, reps = load(a.json)
    if not rows:
        print(f"plot.py: no benchmark rows in {a.json}", file=sys.stderr)
        return 1
    text = table(ctx, rows, reps, a.command)
    with open(os.path.join(outdir, "latest.md"), "w") as f:
        f.write(text)
    for p in plots(ctx, rows, outdir):
        print(f"plot.py: wrote {p}")
    if a.readme:
        if update_readme(a.readme, text):
            print(f"plot.py: refreshed the table in {a.readme}")
    print(headline(rows))
    failed = [k for k, r in rows.items() if "error" in r]
    if failed:
        print(f"plot.py: {len(failed)} row(s) FAILED, e.g. {'/'.join(map(str, failed[0]))}: "
              f"{rows[failed[0]]['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
