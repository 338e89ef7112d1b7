#!/usr/bin/env python3
"""Markdown table from bench/auto.sh's JSON reports, beside the issue's baseline."""
import json
import sys

# Issue 4's plain search: one evaluation per tensor of 256+ elements, 8 inputs each.
BASELINE = {  # model: (% of f32 @30, evals @30, % @40, evals @40, all-float16 dB)
    "posenet": (46, 54, 53, 60, "25.9"),
    "faceres-deep": (48, 74, 48, 74, "14.1"),
    "efficientpose": (49, 137, 50, 137, "31.0"),
    "blazeface": (49, 60, 50, 61, "exact"),
    "mobilefacenet": (27, 105, 43, 105, "68.3"),
    "handskeleton": (25, 96, 34, 102, "66.4"),
}


def db(m):
    v = m["sqnr_db"]
    return v if isinstance(v, str) else f"{v:.1f}"


def main():
    folder, models = sys.argv[1], sys.argv[2:]
    print("| model | budget | MB | % of f32 | baseline % | final SQNR dB | evaluations | inferences | "
          "baseline inferences | wall s | all-uint8 dB | all-float16 dB |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        for i, b in enumerate((30, 40)):
            r = json.load(open(f"{folder}/{m}-{b}.json"))
            base = BASELINE.get(m)
            pct = 100 * r["sizes"]["chosen"] / r["sizes"]["float32"]
            base_pct = f"{base[2 * i]}%" if base else "-"
            base_inf = str(base[2 * i + 1] * 8) if base else "-"
            ok = "" if r["budget_holds"] else " (MISSED)"
            print(f"| {m} | sqnr>={b} | {r['sizes']['chosen'] / 1e6:.2f} | {pct:.1f}% | {base_pct} | "
                  f"{db(r['metrics']['final'])}{ok} | {r['evaluations']} | {r['inferences']} | {base_inf} | "
                  f"{r['seconds']:.1f} | {db(r['metrics']['all_uint8'])} | {db(r['metrics']['all_float16'])} |")


if __name__ == "__main__":
    main()
