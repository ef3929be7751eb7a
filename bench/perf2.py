#!/usr/bin/env python3
"""Performance round 2 (issue 14), driven by bench/perf2.sh (which builds the programs
and runs bench/compare.sh for the codec table). Every figure runs its peer in the same
run; CPU time and peak RSS come from wait4() of each child process.

  (1) append across reopen: page 1 vs page N, fresh process per page, wias vs libtiff
  (2) peak RSS of many-page runs: wias scan (color, gray at 300 dpi), wias write deflate
  (4) two cores vs one (taskset -c 0), compressed pages
  (5) wias scan throughput per mode, and the share of time spent generating pages

Usage: perf2.py WIAS TIFFWRITE WORKDIR PAGEDIR
"""
import os
import statistics
import subprocess
import sys
import time

wias, tiffwrite, work, pagedir = sys.argv[1:5]
N = int(os.environ.get("APPEND_PAGES", "1000"))
ALT = int(os.environ.get("ALT", "30"))
MEM_PAGES = int(os.environ.get("MEM_PAGES", "50"))
SCAN_PAGES = int(os.environ.get("SCAN_PAGES", "100"))
SECTIONS = os.environ.get("SECTIONS", "append,mem,none,cores,scan").split(",")
os.makedirs(work, exist_ok=True)


def run(args, stdout=subprocess.DEVNULL, cwd=work):
    """(wall s, user+sys s, peak RSS bytes) of one child."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read()
    p.stderr.close()
    if status != 0:
        raise SystemExit(f"{args}: exit {status}: {err.decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024


def pages_in(path):
    out = subprocess.run(["tiffinfo", path], cwd=work, capture_output=True, text=True).stdout
    return out.count("TIFF Directory at offset")


def med(xs, i):
    return statistics.median(x[i] for x in xs)


print(f"load average at start: {open('/proc/loadavg').read().split()[:3]}, cores: {os.cpu_count()}")
print()

# ---- (1) append across reopen ---------------------------------------------------------
def section_append():
    subprocess.run("pgmramp -diagonal 256 256 > page.pgm", shell=True, check=True, cwd=work)
    page = os.path.join(work, "page.pgm")
    for f in ["w1.tif", "wN.tif", "wW.tif", "l1.tif", "lN.tif"]:
        if os.path.exists(os.path.join(work, f)):
            os.remove(os.path.join(work, f))
    run([wias, "write", "--compression", "none", "-o", "w1.tif", page])
    run([wias, "write", "--compression", "none", "-o", "wN.tif"] + [page] * N)
    run([wias, "write", "--compression", "none", "-o", "wW.tif"] + [page] * N)
    run([tiffwrite, "-c", "none", "-o", "page.tif", page])
    run([tiffwrite, "-c", "none", "-o", "l1.tif", page])
    run([tiffwrite, "-c", "none", "-o", "lN.tif"] + [page] * N)


    def drop_tail(path):
        """Cuts the 32-byte chain tail off a document of ours, so the append walks."""
        p = os.path.join(work, path)
        with open(p, "r+b") as f:
            f.seek(-32, 2)
            if f.read(8) == b"wias-end":
                f.truncate(os.path.getsize(p) - 32)


    rows = {k: [] for k in ["w1", "wN", "wW", "l1", "lN"]}
    for _ in range(ALT):  # interleaved, so load on the machine hits every row alike
        rows["w1"].append(run([wias, "write", "--compression", "none", "--append", "-o", "w1.tif", page]))
        rows["wN"].append(run([wias, "write", "--compression", "none", "--append", "-o", "wN.tif", page]))
        drop_tail("wW.tif")
        rows["wW"].append(run([wias, "write", "--compression", "none", "--append", "-o", "wW.tif", page]))
        rows["l1"].append(run(["tiffcp", "-a", "page.tif", "l1.tif"]))
        rows["lN"].append(run(["tiffcp", "-a", "page.tif", "lN.tif"]))
    for f, want in [("w1.tif", 1 + ALT), ("wN.tif", N + ALT), ("wW.tif", N + ALT), ("l1.tif", 1 + ALT), ("lN.tif", N + ALT)]:
        assert pages_in(f) == want, f

    print(f"## (1) append one 64 KiB gray page in a fresh process: to a 1-page vs a {N}-page document")
    print()
    print("| writer | to 1 page: wall / CPU | to N pages: wall / CPU | ratio wall | ratio CPU |")
    print("|---|---|---|---|---|")
    for name, a, b in [
        ("wias write --append (chain tail)", "w1", "wN"),
        ("wias write --append, tail cut off (walks the chain)", "w1", "wW"),
        ("libtiff tiffcp -a page.tif doc.tif", "l1", "lN"),
    ]:
        wa, ca = med(rows[a], 0), med(rows[a], 1)
        wb, cb = med(rows[b], 0), med(rows[b], 1)
        print(f"| {name} | {wa*1e3:.2f} / {ca*1e3:.2f} ms | {wb*1e3:.2f} / {cb*1e3:.2f} ms | {wb/wa:.2f}x | {cb/max(ca,1e-4):.2f}x |")
    print(f"\nmedians of {ALT} interleaved appends each (CPU = user+sys, 4 ms clock granularity on some kernels)")
    print()


if "append" in SECTIONS:
    section_append()

# ---- (2) peak memory -----------------------------------------------------------------
def section_mem():
    MiB = 1 << 20
    print(f"## (2) peak RSS over {MEM_PAGES} pages (wait4 ru_maxrss)")
    print()
    print("| command | one page | peak RSS | peak - page | goal (page + 16 MiB) |")
    print("|---|---|---|---|---|")
    rgb = os.path.join(pagedir, "rgb24-00.pnm")
    gray = os.path.join(pagedir, "gray8-00.pnm")


    def pnm_payload(p):
        with open(p, "rb") as f:
            head = f.read(64).split()
        w, h = int(head[1]), int(head[2])
        return w * h * (3 if head[0] == b"P6" else 1)


    mem = [
        ("wias scan --mode color --dpi 300", [wias, "scan", "--mode", "color", "--dpi", "300", "--pages", str(MEM_PAGES), "-o", "sc.tif"], 2481 * 3508 * 3),
        ("wias scan --mode gray --dpi 300", [wias, "scan", "--mode", "gray", "--dpi", "300", "--pages", str(MEM_PAGES), "-o", "sg.tif"], 2481 * 3508),
        ("wias scan --mode bw --dpi 300", [wias, "scan", "--mode", "bw", "--dpi", "300", "--pages", str(MEM_PAGES), "-o", "sb.tif"], (2481 + 7) // 8 * 3508),
        ("wias write --compression deflate (RGB A4)", [wias, "write", "--compression", "deflate", "-o", "wd.tif"] + [rgb] * MEM_PAGES, pnm_payload(rgb)),
        ("libtiff tiffwrite -c deflate -p 2 (RGB A4)", [tiffwrite, "-c", "deflate", "-p", "2", "-o", "ld.tif"] + [rgb] * MEM_PAGES, pnm_payload(rgb)),
        ("wias write --compression none (RGB A4)", [wias, "write", "--compression", "none", "-o", "wn.tif"] + [rgb] * MEM_PAGES, pnm_payload(rgb)),
        ("wias write --compression jpeg (gray A4)", [wias, "write", "--compression", "jpeg", "-o", "wj.tif"] + [gray] * MEM_PAGES, pnm_payload(gray)),
    ]
    for name, args, page_bytes in mem:
        _, _, rss = run(args)
        ok = "met" if rss <= page_bytes + 16 * MiB else "missed"
        print(f"| {name} | {page_bytes/MiB:.1f} MiB | {rss/MiB:.1f} MiB | {(rss-page_bytes)/MiB:.1f} MiB | {ok} |")
    print()


if "mem" in SECTIONS:
    section_mem()

# ---- (3b) uncompressed vs cat ---------------------------------------------------------
def section_none():
    kinds = ["bilevel", "gray8", "rgb24"]
    pages = [os.path.join(pagedir, f"{k}-{i:02d}.pnm") for k in kinds for i in range(4)]
    mb = sum(os.path.getsize(p) for p in pages) / 1e6
    cat, wi, lt = [], [], []
    def fresh(name):
        # Every program writes a new file: removing the last run's output (144 MB of
        # page cache to drop) is not timed for anyone. (Before round 3, Python's
        # truncating open did it, untimed, for cat only; wias paid for it itself.)
        try:
            os.unlink(os.path.join(work, name))
        except FileNotFoundError:
            pass

    for _ in range(7):  # interleaved, best of 7
        for name in ("cat.out", "none.tif", "none-lt.tif"):
            fresh(name)
        with open(os.path.join(work, "cat.out"), "wb") as f:
            cat.append(run(["cat"] + pages, stdout=f))
        wi.append(run([wias, "write", "--compression", "none", "-o", "none.tif"] + pages))
        lt.append(run([tiffwrite, "-c", "none", "-o", "none-lt.tif"] + pages))
    print(f"## (3b) uncompressed: {len(pages)} A4 pages ({mb:.0f} MB of PNM), best of 7 (wall / CPU)")
    print()
    print("| command | wall | CPU | wall vs cat |")
    print("|---|---|---|---|")
    tc = min(x[0] for x in cat)
    for name, xs in [("cat PAGES > out", cat), ("wias write --compression none", wi), ("libtiff tiffwrite -c none", lt)]:
        w = min(x[0] for x in xs)
        c = min(x[1] for x in xs)
        print(f"| {name} | {w*1e3:.1f} ms | {c*1e3:.1f} ms | {w/tc:.2f}x |")
    print()


if "none" in SECTIONS:
    section_none()

# ---- (4) two cores vs one -------------------------------------------------------------
def section_cores():
    print("## (4) two cores vs one: 10 A4 pages, `taskset -c 0` / both cores, best of 3")
    print("(wall, and CPU = user+sys per page: equal CPU means no work was added by the second thread)")
    print()
    print("| pages, codec | 1 core wall | 2 cores wall | speed-up | CPU/page 1 core | CPU/page 2 cores |")
    print("|---|---|---|---|---|---|")
    for kind, codec in [("gray8", "deflate"), ("gray8", "lzw"), ("gray8", "jpeg"), ("rgb24", "deflate"), ("rgb24", "jpeg"), ("bilevel", "g4")]:
        pages = [os.path.join(pagedir, f"{kind}-{i:02d}.pnm") for i in range(10)]
        args = [wias, "write", "--compression", codec, "-o", f"tc-{kind}-{codec}.tif"] + pages
        one, two = [], []
        for _ in range(3):
            one.append(run(["taskset", "-c", "0"] + args))
            two.append(run(args))
        w1, w2 = min(x[0] for x in one), min(x[0] for x in two)
        c1, c2 = min(x[1] for x in one), min(x[1] for x in two)
        print(f"| {kind} {codec} | {w1:.3f} s | {w2:.3f} s | {w1/w2:.2f}x | {c1*100:.1f} ms | {c2*100:.1f} ms |")
    print()


if "cores" in SECTIONS:
    section_cores()

# ---- (5) scan throughput --------------------------------------------------------------
def section_scan():
    print(f"## (5) wias scan of {SCAN_PAGES} A4 pages at 300 dpi")
    print()
    print("| mode | wall | pages/s | CPU | generating only (-o - --compression none > /dev/null) | share generating |")
    print("|---|---|---|---|---|---|")
    for mode in ["bw", "gray", "color"]:
        base = [wias, "scan", "--mode", mode, "--dpi", "300", "--pages", str(SCAN_PAGES)]
        w, c, _ = run(base + ["-o", f"scan-{mode}.tif"])
        with open(os.devnull, "wb") as null:
            g, gc, _ = run(base + ["--compression", "none", "-o", "-"], stdout=null)
        print(f"| {mode} | {w:.2f} s | {SCAN_PAGES/w:.2f} | {c:.2f} s | {g:.2f} s (CPU {gc:.2f} s) | {gc/c:.0%} of CPU |")
    print()


if "scan" in SECTIONS:
    section_scan()

print(f"load average at end: {open('/proc/loadavg').read().split()[:3]}")
