#!/usr/bin/env python3
"""Peak RSS of writing one document of many small pages (issue 27 item 1: flat memory for
any page count), wias against libtiff's tiffcp in the same run. Driven by
bench/pages_rss.sh, which builds the programs.

For each page count N: `wias write -o doc.tif -` reads N identical 64x64 gray pages as a
PNM stream on stdin (so the page source keeps nothing per page), and `tiffcp` copies the
N-page file wias wrote into a new one (libtiff's writer, the same pages). Peak RSS and
CPU come from wait4() of each child.

Usage: pages_rss.py WIAS WORKDIR [N ...]   (default N: 10 1000 10000 100000)
"""
import os
import subprocess
import sys
import threading
import time

wias, work = sys.argv[1:3]
counts = [int(n) for n in sys.argv[3:]] or [10, 1000, 10000, 100000]
CODEC = os.environ.get("CODEC", "lzw")
os.makedirs(work, exist_ok=True)
W = H = 64
page = b"P5\n%d %d\n255\n" % (W, H) + bytes((x * 3 + y * 5) % 256 for y in range(H) for x in range(W))


def run(args, feed_pages=0):
    """(wall s, user+sys s, peak RSS KiB) of one child, given feed_pages pages on stdin."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdin=subprocess.PIPE if feed_pages else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=work)

    def feed():
        batch = page * 256
        left = feed_pages
        try:
            while left:
                k = min(left, 256)
                p.stdin.write(batch if k == 256 else page * k)
                left -= k
        finally:
            p.stdin.close()

    feeder = threading.Thread(target=feed) if feed_pages else None
    if feeder:
        feeder.start()
    err = []
    reader = threading.Thread(target=lambda: err.append(p.stderr.read()))
    reader.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    if feeder:
        feeder.join()
    reader.join()
    if status != 0:
        raise SystemExit(f"{args}: exit {status}: {err[0].decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


print(f"# pages_rss: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load {open('/proc/loadavg').read().split()[:3]}")
print(f"# {W}x{H} gray8 pages, --compression {CODEC}; peak RSS (wait4 ru_maxrss)")
print("| pages | wias write: RSS | wias CPU | tiffcp: RSS | tiffcp CPU | file bytes |")
print("|---|---|---|---|---|---|")
for n in counts:
    doc = os.path.join(work, "doc.tif")
    copy = os.path.join(work, "copy.tif")
    for f in (doc, copy):
        if os.path.exists(f):
            os.remove(f)
    w = run([wias, "write", "--compression", CODEC, "-o", doc, "-"], feed_pages=n)
    size = os.path.getsize(doc)
    t = run(["tiffcp", "-c", CODEC, doc, copy])
    print(f"| {n:,} | {w[2] / 1024:.1f} MiB | {w[1]:.2f} s | {t[2] / 1024:.1f} MiB | {t[1]:.2f} s | {size:,} |", flush=True)
