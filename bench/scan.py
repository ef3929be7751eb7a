#!/usr/bin/env python3
"""Scanning throughput, round 3 (issue 14, goal 5), driven by bench/scan.sh (which builds
wias and sets up SANE's test backend). CPU time and peak RSS come from wait4() of each
child; the load average is printed before each measurement (the machine is shared).

  (a) `wias scan` of SCAN_PAGES A4 pages at 300 dpi per mode (bw, gray, color), default
      compression, into a file: wall, pages/s, CPU, CPU per page, peak RSS; then the
      same scan with `--compression none -o - > /dev/null` (generating + copying the
      bytes): the share of the CPU spent generating. With REF=path/to/other/wias (an
      earlier build) the same rows for it, in the same run, and the ratios.
  (b) the writer alone: `wias write` of WRITE_PAGES colour A4 300 dpi pages (PPM files
      of the virtual scanner's colour pages, read from the page cache), default
      compression, on one core (taskset -c 0) and on every core: pages/s, CPU per page.
      A 100 page-per-minute duplex scanner delivers 3.3 images/s.
  (c) SANE's test backend, its ADF (10 colour sheets at 300 dpi) into one TIFF with
      `wias scan --device sane:test:0`, and `scanimage --batch` of the same sheets.

Usage: scan.py WIAS WORKDIR [SECTIONS]     SECTIONS: some of scan,write,sane
"""
import os
import subprocess
import sys
import time

wias, work = sys.argv[1:3]
SECTIONS = (sys.argv[3] if len(sys.argv) > 3 else "scan,write,sane").split(",")
SCAN_PAGES = int(os.environ.get("SCAN_PAGES", "100"))
WRITE_PAGES = int(os.environ.get("WRITE_PAGES", "100"))
REF = os.environ.get("REF")
os.makedirs(work, exist_ok=True)
A4_300 = (2481, 3508)


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def run(args, stdout=subprocess.DEVNULL):
    """(wall s, user+sys s, peak RSS bytes) of one child."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE, cwd=work)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    err = p.stderr.read()
    p.stderr.close()
    if status != 0:
        raise SystemExit(f"{args}: exit {status}: {err.decode(errors='replace')}")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024


def scan_rows(name, prog):
    rows = {}
    for mode in ["bw", "gray", "color"]:
        base = [prog, "scan", "--mode", mode, "--dpi", "300", "--pages", str(SCAN_PAGES)]
        la = load()
        w, c, m = run(base + ["-o", f"scan-{mode}.tif"])
        size = os.path.getsize(os.path.join(work, f"scan-{mode}.tif"))
        with open(os.devnull, "wb") as null:
            g, gc, _ = run(base + ["--compression", "none", "-o", "-"], stdout=null)
        rows[mode] = (w, c, gc)
        print(
            f"| {name} | {mode} | {w:.2f} s | {SCAN_PAGES / w:.2f} | {c:.2f} s | "
            f"{c / SCAN_PAGES:.3f} s | {m / 2**20:.0f} MiB | {size / 1e6:.1f} MB | "
            f"{g:.2f} s / {gc:.2f} s | {gc / c:.0%} | {(c - gc) / SCAN_PAGES:.3f} s | {la} |"
        )
    return rows


def section_scan():
    print(f"## (a) wias scan of {SCAN_PAGES} A4 pages at 300 dpi, default compression")
    print()
    print("| build | mode | wall | pages/s | CPU | CPU/page | peak RSS | file | "
          "--compression none > /dev/null: wall / CPU | share of CPU generating | "
          "CPU/page writing | load before |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    new = scan_rows("this", wias)
    if REF:
        old = scan_rows("REF", REF)
        print()
        for mode in new:
            (w, c, g), (rw, rc, rg) = new[mode], old[mode]
            print(f"{mode}: wall this/REF {w / rw:.2f}, CPU this/REF {c / rc:.2f}, "
                  f"CPU generating this/REF {g / rg:.2f}")
    print()


def ppm_pages():
    """Four colour pages of the virtual scanner as PPM files (P6)."""
    import tifffile

    run([wias, "scan", "--mode", "color", "--dpi", "300", "--pages", "4",
         "--compression", "none", "-o", "ppm-src.tif"])
    paths = []
    with tifffile.TiffFile(os.path.join(work, "ppm-src.tif")) as t:
        for i, page in enumerate(t.pages):
            a = page.asarray()
            h, w, _ = a.shape
            path = os.path.join(work, f"page{i}.ppm")
            with open(path, "wb") as f:
                f.write(b"P6\n%d %d\n255\n" % (w, h))
                f.write(a.tobytes())
            paths.append(path)
    return paths


def section_write():
    pages = ppm_pages()
    inputs = [pages[i % len(pages)] for i in range(WRITE_PAGES)]
    print(f"## (b) the writer alone: wias write of {WRITE_PAGES} colour A4 300 dpi pages "
          "(PPM, page cache), default compression (Deflate + predictor)")
    print()
    print("| cores | wall | pages/s | CPU | CPU/page | one core's capacity (1 / CPU per page) | load before |")
    print("|---|---|---|---|---|---|---|")
    for cores, pre in [("1 (taskset -c 0)", ["taskset", "-c", "0"]), (f"{os.cpu_count()}", [])]:
        la = load()
        w, c, _ = run(pre + [wias, "write", "--dpi", "300", "-o", "write.tif"] + inputs)
        print(f"| {cores} | {w:.2f} s | {WRITE_PAGES / w:.2f} | {c:.2f} s | "
              f"{c / WRITE_PAGES:.3f} s | {WRITE_PAGES / c:.2f} pages/s | {la} |")
    print()


def section_sane():
    print("## (c) SANE test backend, ADF: 10 colour A4 sheets at 300 dpi")
    print()
    print("| program | wall | pages/s | CPU | CPU/page | load before |")
    print("|---|---|---|---|---|---|")
    pic = ["--test-picture", "Color pattern"]
    jobs = [
        ("wias scan --device sane:test:0 (Deflate)",
         [wias, "scan", "--device", "sane:test:0", "--source", "ADF", "--mode", "color",
          "--dpi", "300", "-o", "sane.tif", "--"] + pic),
        ("wias scan --device sane:test:0 --compression none",
         [wias, "scan", "--device", "sane:test:0", "--source", "ADF", "--mode", "color",
          "--dpi", "300", "--compression", "none", "-o", "sane-none.tif", "--"] + pic),
        ("scanimage --batch --format=tiff",
         ["scanimage", "-d", "test:0", "--source", "Automatic Document Feeder", "--mode",
          "Color", "--resolution", "300"] + pic + ["--batch=sane-%02d.tif", "--format=tiff"]),
    ]
    for name, args in jobs:
        la = load()
        w, c, _ = run(["timeout", "300"] + args)
        print(f"| {name} | {w:.2f} s | {10 / w:.2f} | {c:.2f} s | {c / 10:.3f} s | {la} |")
    print()


print(f"# scan.py: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores")
print()
if "scan" in SECTIONS:
    section_scan()
if "write" in SECTIONS:
    section_write()
if "sane" in SECTIONS:
    section_sane()
print(f"load average at end: {load()}")
