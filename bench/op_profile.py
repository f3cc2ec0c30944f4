#!/usr/bin/python3
"""Where a training step's time goes, per LibTorch operator, DJL against PyTorch (issue 6).

Runs `benchmark --profile` (LibTorch's legacy profiler inside the DJL benchmark) and
`bench/pytorch_peer.py --profile` (the same profiler in PyTorch 1.13) one after the other, reads
both Chrome traces, and prints each operator's self time per step side by side: time inside the
operator minus the operators it called. Time between operators (JNI and Java on one side, Python
on the other) is the step's wall time minus the outermost operators.

The profiler slows small operators down on both sides, so the img/s printed here is not a speed;
compare the columns with each other, and take speeds from bench/compare.py.

Usage: bench/op_profile.py [--workload w28g|w32|w224|s28g] [--mode train|infer] [--steps 10]
                           [--warmup 5] [--top 25] [--keep DIR] [--python /opt/torch213/bin/python]
                           [--bf16] [--channels-last]
(run from the project root after `mvn -q compile`; nothing else should be running)
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# the benchmark process's JVM flags, as bench/compare.py runs it
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=32m",
             "-Xss512k", "-XX:CICompilerCount=1", "-Xmx1g", "-Dai.djl.offline=true"]


def classpath():
    cp_file = os.path.join(ROOT, "target", "classpath.txt")
    if not os.path.exists(cp_file):
        subprocess.run(["mvn", "-q", "-B", "-o", "dependency:build-classpath",
                        "-Dmdep.outputFile=" + cp_file], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "classes") + ":" + open(cp_file).read().strip()


def run(command):
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("failed: " + " ".join(command) + "\n" + out.stderr[-2000:])
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def self_times(trace_file):
    """Self time in microseconds per operator name, and the outermost operators' total."""
    with open(trace_file) as f:
        events = json.load(f)
    if isinstance(events, dict):
        events = events.get("traceEvents", [])
    by_thread = collections.defaultdict(list)
    for e in events:
        if e.get("ph") == "X" and "dur" in e:
            by_thread[(e.get("pid"), e.get("tid"))].append(
                (float(e["ts"]), float(e["dur"]), e["name"]))
    own = collections.Counter()
    outer = 0.0
    for spans in by_thread.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        stack = []  # [end, name, children's time, duration]
        for ts, dur, name in spans:
            while stack and ts >= stack[-1][0]:
                end, n, children, d = stack.pop()
                own[n] += d - children
            if stack:
                stack[-1][2] += dur
            else:
                outer += dur
            stack.append([ts + dur, name, 0.0, dur])
        while stack:
            end, n, children, d = stack.pop()
            own[n] += d - children
    return own, outer


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="w28g", choices=["w28g", "w32", "w224", "s28g"])
    p.add_argument("--mode", default="train", choices=["train", "infer"])
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the PyTorch peer's Python (e.g. /opt/torch213/bin/python; default: %(default)s)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--bf16", action="store_true",
                   help="DJL --precision bf16 against torch.autocast bf16 (torch >= 2: --python)")
    p.add_argument("--channels-last", action="store_true",
                   help="DJL --channels-last against torch's channels_last memory format")
    p.add_argument("--keep", default=None, help="keep the two traces in this folder")
    a = p.parse_args()

    folder = a.keep or tempfile.mkdtemp(prefix="op-profile-")
    os.makedirs(folder, exist_ok=True)
    djl_trace = os.path.join(folder, f"djl-{a.workload}.json")
    torch_trace = os.path.join(folder, f"pytorch-{a.workload}.json")
    for f in (djl_trace, torch_trace):
        if os.path.exists(f):
            os.remove(f)
    common = ["--workload", a.workload, "--mode", a.mode, "--steps", str(a.steps),
              "--warmup", str(a.warmup)]
    djl_setting = (["--precision", "bf16"] if a.bf16 else []) + (["--channels-last"] if a.channels_last else [])
    torch_setting = ((["--autocast", "bf16"] if a.bf16 else [])
                     + (["--memory-format", "channels_last"] if a.channels_last else []))
    results = {
        "djl": run(["java"] + JVM_FLAGS + ["-cp", classpath(), "io.github.djlresnet.cli.Main",
                                           "benchmark", "--seconds", "0", "--profile", djl_trace]
                   + common + djl_setting),
        "pytorch": run([a.python, os.path.join(HERE, "pytorch_peer.py"), "--threads", "2",
                        "--profile", torch_trace] + common + torch_setting),
    }
    traces = {"djl": self_times(djl_trace), "pytorch": self_times(torch_trace)}

    print(f"{a.workload} {a.mode}, {a.steps} profiled steps each (milliseconds per step; "
          f"the profiler's own cost is included, so these are not speeds)")
    walls = {}
    for side in ("djl", "pytorch"):
        r = results[side]
        walls[side] = r["seconds"] / r["steps"] * 1e3
    outer = {side: traces[side][1] / a.steps / 1e3 for side in traces}
    print(f"{'':34s} {'DJL':>10s} {'PyTorch':>10s} {'DJL-PyTorch':>12s}")
    print(f"{'step wall time':34s} {walls['djl']:10.1f} {walls['pytorch']:10.1f} "
          f"{walls['djl'] - walls['pytorch']:12.1f}")
    print(f"{'inside operators':34s} {outer['djl']:10.1f} {outer['pytorch']:10.1f} "
          f"{outer['djl'] - outer['pytorch']:12.1f}")
    gap = {s: walls[s] - outer[s] for s in walls}
    print(f"{'between operators (JNI / Python)':34s} {gap['djl']:10.1f} {gap['pytorch']:10.1f} "
          f"{gap['djl'] - gap['pytorch']:12.1f}")
    print()
    names = set(traces["djl"][0]) | set(traces["pytorch"][0])
    rows = []
    for n in names:
        d = traces["djl"][0].get(n, 0.0) / a.steps / 1e3
        t = traces["pytorch"][0].get(n, 0.0) / a.steps / 1e3
        rows.append((max(d, t), n, d, t))
    rows.sort(reverse=True)
    print(f"{'operator (self time)':34s} {'DJL':>10s} {'PyTorch':>10s} {'DJL-PyTorch':>12s}")
    for _, n, d, t in rows[:a.top]:
        print(f"{n[:34]:34s} {d:10.2f} {t:10.2f} {d - t:12.2f}")
    rest_d = sum(r[2] for r in rows[a.top:])
    rest_t = sum(r[3] for r in rows[a.top:])
    print(f"{'(all other operators)':34s} {rest_d:10.2f} {rest_t:10.2f} {rest_d - rest_t:12.2f}")
    print(f"\ntraces: {djl_trace} {torch_trace}")


if __name__ == "__main__":
    main()
