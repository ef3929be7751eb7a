#!/usr/bin/env python3
"""Appending one page to an N-page TIFF that libtiff wrote (issue 27 item 2), wias
against `tiffcp -a` in the same run; driven by bench/append_foreign.sh.

The document: N 64x64 gray pages, uncompressed, copied by `tiffcp` (so libtiff wrote
every byte, and no wias chain tail is there). Each timed run appends one 64x64 page to a
fresh copy of it (the copy is not timed): `wias write --compression none --append` and
`tiffcp -a page.tif copy.tif`, interleaved; then a second wias append to the copy wias
appended to once (which, having our tail now, should not walk). Medians of wait4's wall
and user+sys times.

Usage: append_foreign.py WIAS WORKDIR [N] [RUNS]
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

wias, work = sys.argv[1:3]
N = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
RUNS = int(sys.argv[4]) if len(sys.argv) > 4 else 15
os.makedirs(work, exist_ok=True)
W = H = 64
page = b"P5\n%d %d\n255\n" % (W, H) + bytes((x * 3 + y * 5) % 256 for y in range(H) for x in range(W))


def run(args, stdin=None):
    t = time.perf_counter()
    p = subprocess.Popen(args, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)
    if stdin == subprocess.PIPE:
        p.stdin.close()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read()
    p.stderr.close()
    if status != 0:
        raise SystemExit(f"{args}: exit {status}: {err.decode(errors='replace')}")
    return wall * 1e3, (ru.ru_utime + ru.ru_stime) * 1e3


def path(name):
    return os.path.join(work, name)


with open(path("page.pgm"), "wb") as f:
    f.write(page)
with open(path("pages.pgm"), "wb") as f:
    f.write(page * N)
run([wias, "write", "--compression", "none", "-o", "ours.tif", "pages.pgm"])
run(["tiffcp", "-c", "none", "ours.tif", "libtiff.tif"])
run([wias, "write", "--compression", "none", "-o", "page.tif", "page.pgm"])

rows = {"wias": [], "tiffcp": [], "wias2": []}
for _ in range(RUNS):
    shutil.copy(path("libtiff.tif"), path("w.tif"))
    rows["wias"].append(run([wias, "write", "--compression", "none", "--append", "-o", "w.tif", "page.pgm"]))
    shutil.copy(path("libtiff.tif"), path("l.tif"))
    rows["tiffcp"].append(run(["tiffcp", "-a", "page.tif", "l.tif"]))
    rows["wias2"].append(run([wias, "write", "--compression", "none", "--append", "-o", "w.tif", "page.pgm"]))


def med(k, i):
    return statistics.median(r[i] for r in rows[k])


print(f"# append_foreign: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {open('/proc/loadavg').read().split()[:3]}")
print(f"# one 64x64 gray page appended to a {N}-page TIFF libtiff wrote; medians of {RUNS} interleaved runs")
print("| append | wall ms | CPU ms | wall vs tiffcp -a |")
print("|---|---|---|---|")
for k, label in [("tiffcp", "tiffcp -a page.tif doc.tif"), ("wias", "wias write --append (first: walks)"),
                 ("wias2", "wias write --append (second: our tail)")]:
    print(f"| {label} | {med(k, 0):.1f} | {med(k, 1):.1f} | {med(k, 0) / med('tiffcp', 0):.2f}x |")
