#!/usr/bin/python3
"""Where a training step's time goes, DJL against PyTorch, by oneDNN primitive (issue 6).

Both LibTorch builds run their convolutions through oneDNN. With ONEDNN_VERBOSE=1 (DNNL_VERBOSE=1
for the older oneDNN in Debian's PyTorch 1.13) every primitive execution prints its time; this
script runs each side for a few training steps, sums those times per (primitive, direction,
implementation) and per step, and prints both sides next to each other. What is not oneDNN
(BatchNorm, ReLU, additions, pooling, the optimizer) is the step's wall time minus the oneDNN sum.

Usage: bench/onednn_profile.py [--workload w224] [--mode train|infer] [--steps 3] [--warmup 1]
                               [--by-shape N] [--python /opt/torch213/bin/python]
                               [--channels-last]
--channels-last runs both sides on channels-last activations (DJL's `benchmark --channels-last`,
the peer's `--memory-format channels_last`).
--by-shape N also prints the N costliest (primitive, direction, problem shape) rows of each side,
with their implementation and executions per step, to compare one layer's kernel on both sides.
(run from the project root after `mvn -q compile`; the two runs take turns, never overlap)
"""
import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def djl_command(workload, steps, warmup, mode="train", channels_last=False):
    cp_file = os.path.join(ROOT, "target", "classpath.txt")
    if not os.path.exists(cp_file):
        subprocess.run(["mvn", "-q", "-B", "-o", "dependency:build-classpath",
                        "-Dmdep.outputFile=" + cp_file], cwd=ROOT, check=True)
    cp = os.path.join(ROOT, "target", "classes") + ":" + open(cp_file).read().strip()
    return ["java", "-Xmx2g", "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-cp", cp,
            "io.github.djlresnet.cli.Main", "benchmark", "--workload", workload, "--mode", mode,
            "--seconds", "0", "--steps", str(steps), "--warmup", str(warmup)] + (
                ["--channels-last"] if channels_last else [])


def peer_command(workload, steps, warmup, mode="train", python="/usr/bin/python3",
                 channels_last=False):
    return [python, os.path.join(HERE, "pytorch_peer.py"), "--workload", workload,
            "--mode", mode, "--steps", str(steps), "--warmup", str(warmup), "--threads", "2"] + (
                ["--memory-format", "channels_last"] if channels_last else [])


def run(command):
    env = dict(os.environ, ONEDNN_VERBOSE="1", DNNL_VERBOSE="1")
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("failed: " + " ".join(command) + "\n" + out.stderr[-2000:])
    shapes = collections.Counter()
    counts = collections.Counter()
    result = None
    for line in out.stdout.splitlines() + out.stderr.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            continue
        fields = line.split(",")
        if not fields[0].endswith("_verbose") or "exec" not in fields[:4]:
            continue
        i = fields.index("exec")
        # exec,<engine>,<primitive>,<implementation>,<direction>,...,<time ms>
        try:
            key = (fields[i + 2], fields[i + 4], fields[i + 3])
            ms = float(fields[-1])
        except (IndexError, ValueError):
            continue
        # the field before the time is the problem (e.g. mb128_ic256oc256_ih2oh2kh3...)
        shape = key + (fields[-2],)
        shapes[shape] += ms
        counts[shape] += 1
    times = collections.Counter()
    for shape, ms in shapes.items():
        times[shape[:3]] += ms
    return result, times, shapes, counts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workload", default="w224")
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--by-shape", type=int, default=0, metavar="N")
    p.add_argument("--mode", default="train", choices=["train", "infer"])
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the PyTorch peer's Python (e.g. /opt/torch213/bin/python; default: %(default)s)")
    p.add_argument("--channels-last", action="store_true",
                   help="both sides on channels-last activations")
    a = p.parse_args()
    sides = {}
    for name, command in (("djl", djl_command(a.workload, a.steps, a.warmup, a.mode,
                                              a.channels_last)),
                          ("pytorch", peer_command(a.workload, a.steps, a.warmup, a.mode, a.python,
                                                   a.channels_last))):
        sides[name] = run(command)
    # verbose lines cover warm-up and timed steps alike: report per executed step
    for name, (result, times, _, _) in sides.items():
        total_steps = a.steps + a.warmup
        step_ms = 1000 * result["seconds"] / result["steps"]
        dnnl_ms = sum(times.values()) / total_steps
        print(f"{name}: {step_ms:.0f} ms a timed step; oneDNN {dnnl_ms:.0f} ms a step "
              f"(averaged over all {total_steps} steps); the rest {step_ms - dnnl_ms:.0f} ms")
    print(f"{'primitive':<14} {'direction':<18} {'impl (djl | pytorch)':<40} {'djl ms/step':>11} {'pt ms/step':>11}")
    rows = collections.defaultdict(lambda: [0.0, 0.0, set(), set()])
    for k in set(sides["djl"][1]) | set(sides["pytorch"][1]):
        row = rows[(k[0], k[1])]
        for j, name in enumerate(("djl", "pytorch")):
            t = sides[name][1][k]
            if t:
                row[j] += t / (a.steps + a.warmup)
                row[2 + j].add(k[2])
    for (prim, direction), (d, t, di, ti) in sorted(rows.items(), key=lambda r: -(r[1][0] + r[1][1])):
        impl = "/".join(sorted(di)) + " | " + "/".join(sorted(ti))
        print(f"{prim:<14} {direction:<18} {impl[:40]:<40} {d:>11.1f} {t:>11.1f}")
    if a.by_shape:
        print_by_shape(sides, a.steps + a.warmup, a.by_shape)


def print_by_shape(sides, total_steps, n):
    for name, (_, _, shapes, counts) in sides.items():
        print(f"\n{name}: the {n} costliest primitives by problem shape")
        print(f"{'ms/step':>8} {'runs/step':>9}  {'primitive':<12} {'direction':<17} {'impl':<28} problem")
        for k, ms in shapes.most_common(n):
            print(f"{ms / total_steps:>8.2f} {counts[k] / total_steps:>9.1f}  {k[0]:<12} {k[1]:<17} {k[2][:28]:<28} {k[3]}")


if __name__ == "__main__":
    main()
