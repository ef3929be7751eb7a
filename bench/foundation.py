#!/usr/bin/env python3
"""Foundation benchmarks, driven by bench/foundation.sh (which builds the programs).

(a) Appending to a long document: the time of page 1 vs page 1000, wias reopening the
    file in a fresh process per page (`wias write --append`), wias reopening in one
    process (TiffWriter::append per page; transfer::write_page_buf with the IFD offset
    carried), and libtiff's `tiffwrite -a` loop (TIFFOpen "a" per page in one process,
    timed per page by tiffappend_timed, which compiles tiffwrite.c's own functions).
(b) Uncompressed throughput on the same PNM pages: `cat`, `wias write` to a file and to
    a pipe, and libtiff's `tiffwrite -c none`.

Usage: foundation.py WIAS APPEND_REOPEN PEERS_DIR WORKDIR
(PEERS_DIR holds tiffwrite and tiffappend_timed, built by bench/tiffwrite.sh)
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

wias, append_reopen, peers, work = sys.argv[1:5]
tiffwrite = os.path.join(peers, "tiffwrite")
tiffappend_timed = os.path.join(peers, "tiffappend_timed")
N = int(os.environ.get("PAGES", "1000"))
K = 10  # pages averaged at each end
os.makedirs(work, exist_ok=True)


def sh(cmd, **kw):
    subprocess.run(cmd, shell=True, check=True, cwd=work, **kw)


def timed(args, **kw):
    t = time.perf_counter()
    subprocess.run(args, check=True, cwd=work, **kw)
    return time.perf_counter() - t


def best(args, runs=5, **kw):
    return min(timed(args, **kw) for _ in range(runs))


def pages_in(path):
    out = subprocess.run(["tiffinfo", path], cwd=work, capture_output=True, text=True).stdout
    return out.count("TIFF Directory at offset")


# ---- (a) append page 1 vs page N ------------------------------------------------
sh("pgmramp -diagonal 256 256 > page.pgm")  # 64 KiB gray page, one strip
page_kib = os.path.getsize(os.path.join(work, "page.pgm")) / 1024

doc = os.path.join(work, "fresh.tif")
if os.path.exists(doc):
    os.remove(doc)
fresh = [timed([wias, "write", "--compression", "none", "--append", "-o", doc, "page.pgm"]) for _ in range(N)]
assert pages_in(doc) == N, "wias fresh-process document incomplete"
# The same question asked again, robust to a busy machine: alternate appends to a
# 1-page and to the N-page document, 30 each (the documents grow by 30 pages).
shutil.copy(doc, os.path.join(work, "long.tif"))
subprocess.run([wias, "write", "--compression", "none", "-o", "short.tif", "page.pgm"], check=True, cwd=work)
alt_short, alt_long = [], []
for _ in range(30):
    alt_short.append(timed([wias, "write", "--compression", "none", "--append", "-o", "short.tif", "page.pgm"]))
    alt_long.append(timed([wias, "write", "--compression", "none", "--append", "-o", "long.tif", "page.pgm"]))



def in_process(mode):
    out = os.path.join(work, f"inproc-{mode}.tif")
    text = subprocess.run([append_reopen, out, os.path.join(work, "page.pgm"), str(N), mode],
                          check=True, capture_output=True, text=True).stdout
    assert pages_in(out) == N, mode
    return [int(x) / 1e6 for x in text.split()]


inproc = in_process("walk")
carry = in_process("carry")

lt_out = subprocess.run([tiffappend_timed, os.path.join(work, "lt.tif"),
                         os.path.join(work, "page.pgm"), str(N)],
                        check=True, capture_output=True, text=True).stdout
libtiff = [int(x) / 1e6 for x in lt_out.split()]
assert pages_in("lt.tif") == N


def ms(x):
    return f"{x * 1000:.2f} ms"


def first(xs):  # pages 2..K+1 (page 1 creates the file or has no chain)
    return statistics.median(xs[1:K + 1])


def last(xs):
    return statistics.median(xs[-K:])


print(f"## (a) append to a {N}-page document ({page_kib:.0f} KiB gray page, reopen per page)")
print()
print(f"| writer | page 2-{K + 1} | page {N - K + 1}-{N} | ratio |")
print("|---|---|---|---|")
for name, a, b in [
    ("wias write --append (fresh process per page)", first(fresh), last(fresh)),
    (f"wias write --append, interleaved (pages 2-31 vs {N + 1}-{N + 30})",
     statistics.median(alt_short), statistics.median(alt_long)),
    ("wias TiffWriter::append (reopen in one process, walks the chain)",
     first(inproc), last(inproc)),
    ("wias transfer::write_page_buf (reopen in one process, IFD offset carried)",
     first(carry), last(carry)),
    ("libtiff, tiffwrite -a loop (reopen in one process)", first(libtiff), last(libtiff)),
]:
    print(f"| {name} | {ms(a)} | {ms(b)} | {b / a:.2f}x |")
print()
print(f"medians of {K} page times at each end (interleaved row: of 30)")
print()

# ---- (b) uncompressed throughput ------------------------------------------------
sh("test -f bw.pbm || pbmmake -gray 2481 3508 > bw.pbm")
sh("test -f gray.pgm || pgmramp -diagonal 2481 3508 > gray.pgm")
sh("test -f rgb.ppm || (pgmramp -lr 1654 2339 > r.pgm && pgmramp -tb 1654 2339 > g.pgm"
   " && pgmramp -ellipse 1654 2339 > b.pgm && rgb3toppm r.pgm g.pgm b.pgm > rgb.ppm)")
inputs = ["bw.pbm"] * 4 + ["gray.pgm"] * 4 + ["rgb.ppm"] * 4
mb = sum(os.path.getsize(os.path.join(work, f)) for f in inputs) / 1e6


def fresh_run(args, out, to_stdout):
    """One timed run writing a new file `out` (removed before, outside the timing)."""
    path = os.path.join(work, out)
    if os.path.exists(path):
        os.remove(path)
    if to_stdout:
        with open(path, "wb") as f:
            return timed(args, stdout=f)
    return timed(args)


commands = [
    ("cat PAGES > out", ["cat"] + inputs, "cat.out", True),
    ("wias write --compression none -o out.tif PAGES", [wias, "write", "--compression", "none", "-o", "w.tif"] + inputs, "w.tif", False),
    ("wias write --compression none -o - PAGES > out.tif", [wias, "write", "--compression", "none", "-o", "-"] + inputs, "pipe.tif", True),
    ("tiffwrite -c none -o out.tif PAGES (libtiff)",
     [tiffwrite, "-c", "none", "-o", "l.tif"] + inputs, "l.tif", False),
]
RUNS = 7
times = {name: [] for name, *_ in commands}
for _ in range(RUNS):  # interleaved, so load on the machine hits every command alike
    for name, args, out, to_stdout in commands:
        times[name].append(fresh_run(args, out, to_stdout))
t_cat = min(times[commands[0][0]])
t_lt = min(times[commands[3][0]])
for f in ["w.tif", "pipe.tif", "l.tif"]:
    assert pages_in(f) == len(inputs), f

print(f"## (b) uncompressed throughput: {len(inputs)} A4 pages (4 bw 300 dpi, 4 gray 300 dpi, "
      f"4 RGB 200 dpi), {mb:.0f} MB of PNM, best of {RUNS}, new output file each run")
print()
print("| command | time | MB/s | vs cat | vs libtiff |")
print("|---|---|---|---|---|")
for name, *_ in commands:
    t = min(times[name])
    print(f"| {name} | {ms(t)} | {mb / t:.0f} | {t_cat / t:.2f}x | {t_lt / t:.2f}x |")
print()
print("'vs' columns: speed relative to cat and to libtiff (above 1 = faster).")
