#!/usr/bin/python3
"""Alternating runs of `djl-resnet benchmark` in several precision/layout variants (fp32, bf16,
channels-last), each run a fresh JVM, variants interleaved round by round so that a change in the
machine's load hits all of them alike. Prints each variant's median and range of images/s and its
ratio to fp32 per round (median and range), and keeps the raw JSON lines.

    mvn -q -B compile
    /usr/bin/python3 bench/precision.py --workload w224 --mode train --rounds 3 --seconds 30 \
        --variants fp32,bf16,fp32-cl,bf16-cl
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402  (the same JVM flags and class path as the PyTorch comparison)

FLAGS = {"fp32": [], "bf16": ["--precision", "bf16"], "fp32-cl": ["--channels-last"],
         "bf16-cl": ["--precision", "bf16", "--channels-last"]}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workload", default="w224")
    p.add_argument("--mode", default="train")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=30)
    p.add_argument("--variants", default="fp32,bf16,bf16-cl")
    p.add_argument("--extra", default="", help="more benchmark options, e.g. '--warmup 2'")
    a = p.parse_args()
    variants = a.variants.split(",")
    cp = compare.classpath(False)
    out_path = os.path.join(compare.ROOT, "bench", "results",
                            time.strftime("precision-%Y%m%d-%H%M%S.jsonl"))
    speeds = {v: [] for v in variants}
    with open(out_path, "w") as out:
        for r in range(a.rounds):
            for v in variants:
                cmd = shlex.split(compare.DEFAULT_JAVA.format(
                    workload=a.workload, mode=a.mode, seconds=a.seconds, classpath=cp))
                cmd += FLAGS[v] + shlex.split(a.extra)
                res = subprocess.run(cmd, cwd=compare.ROOT, capture_output=True, text=True)
                line = [l for l in res.stdout.splitlines() if l.startswith("{")]
                if res.returncode != 0 or not line:
                    sys.exit(f"{v} failed ({res.returncode}): {res.stderr[-2000:]}")
                j = json.loads(line[-1])
                j["variant"] = v
                j["round"] = r + 1
                out.write(json.dumps(j) + "\n")
                out.flush()
                speeds[v].append(j["images_per_sec"])
                print(f"round {r + 1} {v:8s} {j['images_per_sec']:8.2f} img/s  "
                      f"rss {j['peak_rss_mib']:.0f} MiB", flush=True)
    print(f"\n{a.workload} {a.mode}, {a.rounds} alternating rounds of {a.seconds:g} s ({out_path})")
    base = speeds.get("fp32")
    for v in variants:
        s = speeds[v]
        line = f"{v:8s} img/s median {statistics.median(s):.2f} ({min(s):.2f}-{max(s):.2f})"
        if base and v != "fp32":
            ratios = [x / y for x, y in zip(s, base)]
            line += (f"  ratio to fp32 median {statistics.median(ratios):.2f}"
                     f" ({min(ratios):.2f}-{max(ratios):.2f})")
        print(line)


if __name__ == "__main__":
    main()
