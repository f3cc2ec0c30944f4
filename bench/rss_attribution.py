#!/usr/bin/python3
"""Where the benchmark JVM's resident memory grows during training (issue 28).

Starts `djl-resnet benchmark --mode train --seconds 0 --steps N --rss-every K` with the given JVM
flags, finds the JVM that runs the steps (the relaunched child, else the JVM itself) and samples
its /proc/PID/smaps every --every-seconds: total RSS, the resident part of the `[heap]` (brk)
segment, which is where tcmalloc (TCMALLOC_SKIP_SBRK unset) and glibc's main arena put
LibTorch's tensors, and the resident part of the Java heap (its address range from
`jcmd PID GC.heap_info`). At exit tcmalloc prints its own accounting (MALLOCSTATS=1): bytes the
program holds against free bytes kept in its page heap and caches.

Environment variables reach the JVMs, so allocator settings can be tried the same way, e.g.
  TCMALLOC_RELEASE_RATE=10 bench/rss_attribution.py --steps 300
JVM flags: --jvm "..." (default: bench/compare.py's benchmark flags); --jvm "" runs java with its
defaults (G1, initial heap 1/64 of RAM).
Usage: bench/rss_attribution.py [--steps 300] [--rss-every 20] [--workload w28g]
                                [--every-seconds 10] [--jvm "..."]
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import time

from compare import JVM_FLAGS, ROOT, classpath  # bench/compare.py, beside this script


def children(pid):
    """Child processes of any thread of `pid` (the JVM forks from its Java main thread, not from
    the process's first thread)."""
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return kids


def java_heap_range(pid):
    out = subprocess.run(["jcmd", str(pid), "GC.heap_info"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True).stdout
    m = re.search(r"\[(0x[0-9a-f]+), (0x[0-9a-f]+)", out)
    return (int(m.group(1), 16), int(m.group(2), 16)) if m else None


def resident(pid, heap_range):
    """(total, brk heap, Java heap) resident MiB from /proc/PID/smaps."""
    total = brk = jheap = 0
    where = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+$", fields[0]):
                start = int(fields[0].split("-")[0], 16)
                if len(fields) > 5 and fields[5] == "[heap]":
                    where = "brk"
                elif heap_range and heap_range[0] <= start < heap_range[1]:
                    where = "java"
                else:
                    where = None
            elif fields[0] == "Rss:":
                kib = int(fields[1])
                total += kib
                brk += kib if where == "brk" else 0
                jheap += kib if where == "java" else 0
    return total / 1024, brk / 1024, jheap / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--rss-every", type=int, default=20)
    p.add_argument("--workload", default="w28g")
    p.add_argument("--every-seconds", type=float, default=10)
    p.add_argument("--jvm", default=JVM_FLAGS)
    a = p.parse_args()
    cp = "target/classes:" + classpath(False)
    cmd = (["java"] + shlex.split(a.jvm) + ["-Dai.djl.offline=true", "-cp", cp,
           "io.github.djlresnet.cli.Main", "benchmark", "--workload", a.workload, "--mode", "train",
           "--seconds", "0", "--steps", str(a.steps), "--rss-every", str(a.rss_every)])
    env = dict(os.environ, MALLOCSTATS="1")
    err_path = f"/tmp/rss_attribution.{os.getpid()}.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        ranges = {}  # pid -> its Java heap's address range
        print("time     step  RSS MiB  brk heap MiB  Java heap MiB", flush=True)
        while proc.poll() is None:
            time.sleep(a.every_seconds)
            kids = children(proc.pid)
            worker = kids[0] if kids else proc.pid
            try:
                if not ranges.get(worker):
                    ranges[worker] = java_heap_range(worker)
                total, brk, jheap = resident(worker, ranges[worker])
            except OSError:
                continue
            with open(err_path) as f:
                steps = re.findall(r"^rss_mib step=(\d+)", f.read(), re.M)
            print(f"{time.strftime('%H:%M:%S')} {steps[-1] if steps else '-':>5} {total:8.1f} "
                  f"{brk:13.1f} {jheap:14.1f}", flush=True)
        out = proc.stdout.read()
    print(out.strip().splitlines()[-1] if out.strip() else f"exit {proc.returncode}")
    with open(err_path) as f:
        text = f.read()
    print("".join(l + "\n" for l in text.splitlines() if l.startswith(("rss_mib", "MALLOC:"))), end="")
    os.unlink(err_path)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
