#!/usr/bin/env python3
"""Times `BINARY --help` for each binary given, alternating them so machine load hits both alike.

    Tools/cli-startup.py OLD/kyso NEW/kyso [--runs 40]

Prints the median and minimum wall-clock time per binary (time.perf_counter around subprocess.run).
"""
import statistics
import subprocess
import sys
import time

args = sys.argv[1:]
runs = 40
if "--runs" in args:
    at = args.index("--runs")
    runs = int(args[at + 1])
    del args[at:at + 2]
if not args:
    sys.exit(__doc__)
times = {binary: [] for binary in args}
for _ in range(runs):
    for binary in args:
        start = time.perf_counter()
        subprocess.run([binary, "--help"], stdout=subprocess.DEVNULL, check=True)
        times[binary].append((time.perf_counter() - start) * 1000)
for binary in args:
    print(f"{binary}: median {statistics.median(times[binary]):.1f} ms, min {min(times[binary]):.1f} ms over {runs} runs")
