#!/usr/bin/env python3
"""Markdown table of medians from bench/perf.sh's GNU `time -v` logs.

Usage: bench/perf_table.py PERF_DIR   (default bench/out/perf)
Reads PERF_DIR/commands.tsv (label TAB command), PERF_DIR/runs/LABEL.N.time
(timed runs; LABEL.warmup.time is ignored) and PERF_DIR/posenet_ms.txt.
"""
import glob
import os
import re
import statistics
import sys


def wall_seconds(text):
    # "Elapsed (wall clock) time (h:mm:ss or m:ss): 1:02.34" or "0:05.43"
    m = re.search(r"Elapsed \(wall clock\) time.*: ([0-9:.]+)\s*$", text, re.M)
    s = 0.0
    for part in m.group(1).split(":"):
        s = s * 60 + float(part)
    return s


def max_rss_kib(text):
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))


def runs_of(folder, label):
    out = []
    for f in glob.glob(os.path.join(folder, "runs", f"{label}.*.time")):
        if f.endswith(".warmup.time"):
            continue
        text = open(f).read()
        out.append((wall_seconds(text), max_rss_kib(text)))
    return out


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "bench/out/perf"
    rows = []
    for line in open(os.path.join(folder, "commands.tsv")):
        label, cmd = line.rstrip("\n").split("\t", 1)
        r = runs_of(folder, label)
        walls = [w for w, _ in r]
        rows.append({"label": label, "cmd": cmd, "n": len(r),
                     "wall": statistics.median(walls), "min": min(walls), "max": max(walls),
                     "rss": statistics.median(k for _, k in r) / 1024})
    by = {r["label"]: r for r in rows}
    cp = by.get("cp")
    tq8, np8 = by.get("tfjs-quant-uint8"), by.get("numpy-uint8")
    vs_numpy = np8["wall"] / tq8["wall"] if tq8 and np8 and tq8["wall"] > 0 else None

    n = max(r["n"] for r in rows)
    print(f"Medians of {n} timed runs each, input in the page cache (1 untimed warm-up run per command).")
    print()
    print("| command | median wall s | min / max s | ÷ cp -r | numpy ÷ tfjs-quant (uint8) | median peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio_cp = f"{r['wall'] / cp['wall']:.2f}" if cp and cp["wall"] > 0 else "—"
        ratio_np = f"{vs_numpy:.1f}×" if vs_numpy and r["label"] in ("tfjs-quant-uint8", "numpy-uint8") else "—"
        print(f"| `{r['cmd']}` | {r['wall']:.2f} | {r['min']:.2f} / {r['max']:.2f} | {ratio_cp} | "
              f"{ratio_np} | {r['rss']:.0f} |")

    pose = os.path.join(folder, "posenet_ms.txt")
    if os.path.exists(pose):
        ms = [float(x) for x in open(pose) if x.strip()]
        cmd = open(os.path.join(folder, "posenet.cmd")).read().strip()
        print()
        print(f"posenet end to end (`{cmd}`): median {statistics.median(ms):.1f} ms "
              f"(min {min(ms):.1f}, max {max(ms):.1f}, {len(ms)} runs after 1 warm-up, wall clock "
              f"of the process measured by bash)")


if __name__ == "__main__":
    main()
