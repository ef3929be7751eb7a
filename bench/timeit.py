#!/usr/bin/env python3
"""Runs a command (stdout discarded) and prints "WALL CPU" in seconds, CPU being
user + system time of the command: wall time shows what a user waits for, CPU time
what the work costs when other programs share the cores.

    timeit.py CMD ARGS...
"""
import resource
import subprocess
import sys
import time

# Python's own start-up may already have waited for children (≈0.09 s of CPU on the
# machine of BENCHMARKS.md "Codecs, round 3"): count only what the command adds.
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.perf_counter()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = ru.ru_utime + ru.ru_stime - before.ru_utime - before.ru_stime
print("%.3f %.3f" % (wall, cpu))
