#!/usr/bin/env python3
"""The Python binding against Pillow's save_all and img2pdf, in one run, on the same
20 A4 300 dpi pages (bench/gen_pages.py: bilevel text, gray and colour photo-like
pages with text), starting from NumPy arrays in memory, the way a scanning script
has its pages:

  TIFF  wias.TiffWriter (g4 bilevel, deflate otherwise)
        Pillow: Image.fromarray per page, then save(save_all=True, append_images=...),
        compression group4 (bilevel) / tiff_deflate (gray, RGB)
  PDF   wias.PdfWriter (auto: G4 bilevel, Flate with PNG row filters otherwise)
        img2pdf: each page made the file img2pdf copies best (Pillow: a G4 TIFF for
        bilevel, a PNG otherwise), then img2pdf.convert; "convert only" is that
        last step alone (in the same run)

Times: best of RUNS wall seconds per tool (tools alternating), and CPU seconds of
that run (wias encodes on every core; the others on one). Memory: each tool in its own
process reading the pages from the PNM files one by one, peak RSS (VmHWM): wias
writes each page as it is read; Pillow's save_all gets a list of the images (the
usual call) and, as its best case, a generator.

    python3 bench/python.py [--pages 20] [--runs 3] [--work target/bench-python]

Needs the wias package installed (pip install ./python), Pillow, img2pdf, numpy.
Not a test: timings depend on the machine and on what else runs on it.
"""

import argparse
import io
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"bilevel": "P4", "gray8": "P5", "rgb24": "P6"}


def load(path):
    """A PNM page as the array a script would have: bool (True = white), uint8 gray or
    (H, W, 3) uint8."""
    with open(path, "rb") as f:
        data = f.read()
    magic, w, h = data[:2], *map(int, data.split(b"\n")[1].split())
    if magic == b"P4":
        start = data.index(b"\n", data.index(b"\n") + 1) + 1
        bits = np.frombuffer(data, np.uint8, offset=start).reshape(h, -1)
        return ~np.unpackbits(bits, axis=1)[:, :w].astype(bool)  # PBM 1 = black
    start = len(b"\n".join(data.split(b"\n")[:3])) + 1
    a = np.frombuffer(data, np.uint8, offset=start)
    return a.reshape(h, w, 3) if magic == b"P6" else a.reshape(h, w)


def wias_tiff(pages, kind, out):
    import wias

    with wias.TiffWriter(out, compression="g4" if kind == "bilevel" else "deflate") as doc:
        for a in pages:
            doc.write_page(a, dpi=300)


def wias_pdf(pages, kind, out):
    import wias

    with wias.PdfWriter(out) as doc:
        for a in pages:
            doc.write_page(a, dpi=300)


def pillow_tiff(pages, kind, out, generator=False):
    from PIL import Image

    imgs = (Image.fromarray(a) for a in pages)
    if not generator:
        imgs = list(imgs)
    it = iter(imgs)
    first = next(it)
    first.save(out, save_all=True, append_images=it if generator else imgs[1:],
               compression="group4" if kind == "bilevel" else "tiff_deflate", dpi=(300, 300))


def img2pdf_inputs(pages, kind):
    from PIL import Image

    files = []
    for a in pages:
        b = io.BytesIO()
        if kind == "bilevel":
            Image.fromarray(a).save(b, "TIFF", compression="group4", dpi=(300, 300))
        else:
            Image.fromarray(a).save(b, "PNG", dpi=(300, 300))
        files.append(b.getvalue())
    return files


def img2pdf_all(pages, kind, out):
    """img2pdf from arrays; returns the (wall, CPU) seconds of its convert step alone."""
    import img2pdf

    inputs = img2pdf_inputs(pages, kind)
    wall, cpu, _ = timed(lambda: open(out, "wb").write(img2pdf.convert(inputs)))
    return wall, cpu


TOOLS = {
    "wias-tiff": wias_tiff,
    "pillow-tiff": pillow_tiff,
    "wias-pdf": wias_pdf,
    "img2pdf": img2pdf_all,
}


def timed(f, *args):
    """(wall, CPU) seconds of f(*args), and what f returned."""
    c0, t0 = time.process_time(), time.perf_counter()
    r = f(*args)
    return time.perf_counter() - t0, time.process_time() - c0, r


def page_files(work, n):
    pages = os.path.join(work, "pages")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_pages.py"), pages, str(n)],
                   check=True, stdout=subprocess.DEVNULL)
    return {k: [os.path.join(pages, f"{k}-{i:02d}.pnm") for i in range(n)] for k in KINDS}


def memory_child(tool, kind, files, out):
    """Runs in its own process: pages read one by one from their files."""
    stream = (load(p) for p in files)
    if tool == "baseline":  # the imports and one page, nothing written
        import wias  # noqa: F401
        from PIL import Image  # noqa: F401
        next(stream)
    elif tool == "pillow-tiff-generator":
        pillow_tiff(stream, kind, out, generator=True)
    else:
        TOOLS[tool](stream, kind, out)
    # This process's own high-water mark: ru_maxrss from wait4 would carry the
    # parent's over the fork (Linux keeps it across exec), VmHWM belongs to the new
    # address space.
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM:"))
    print(int(hwm.split()[1]))


def peak_rss(tool, kind, files, out):
    """Peak RSS in MiB of a child running memory_child (its VmHWM)."""
    run = subprocess.run([sys.executable, __file__, "--child", tool, kind, out, *files],
                         check=True, capture_output=True, text=True)
    return int(run.stdout.split()[-1]) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(HERE, "..", "target", "bench-python"))
    ap.add_argument("--child", nargs="+")
    args = ap.parse_args()
    if args.child:
        tool, kind, out, *files = args.child
        memory_child(tool, kind, files, out)
        return
    import img2pdf
    import PIL
    import wias

    os.makedirs(args.work, exist_ok=True)
    files = page_files(args.work, args.pages)
    print(f"{args.pages} A4 300 dpi pages per kind; wias {wias.__version__}, Pillow {PIL.__version__}, "
          f"img2pdf {img2pdf.__version__}; load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores")
    print()
    print("| kind | tool | best wall s | CPU s | bytes | wall / wias | CPU / wias |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        pages = [load(p) for p in files[kind]]
        best = {}
        for _ in range(args.runs):
            for tool, f in TOOLS.items():
                out = os.path.join(args.work, f"{kind}-{tool}.{'pdf' if 'pdf' in tool else 'tif'}")
                w, c, part = timed(f, pages, kind, out)
                if tool not in best or w < best[tool][0]:
                    best[tool] = (w, c, os.path.getsize(out))
                if part and ("img2pdf convert only" not in best or part[0] < best["img2pdf convert only"][0]):
                    best["img2pdf convert only"] = (*part, None)
        for tool, (w, c, size) in best.items():
            ref = best["wias-pdf" if tool.startswith("img2pdf") or tool == "wias-pdf" else "wias-tiff"]
            print(f"| {kind} | {tool} | {w:.3f} | {c:.2f} | {size if size is not None else ''} | "
                  f"{w / ref[0]:.1f} | {c / ref[1]:.1f} |")
        del pages
    print()
    print("| kind | baseline MiB (imports + 1 page) | wias-tiff | wias-pdf | pillow-tiff (list) | pillow-tiff (generator) | one page MiB |")
    print("|---|---|---|---|---|---|---|")
    for kind in KINDS:
        row = [peak_rss(t, kind, files[kind], os.path.join(args.work, f"mem-{kind}-{t}.{'pdf' if 'pdf' in t else 'tif'}"))
               for t in ("baseline", "wias-tiff", "wias-pdf", "pillow-tiff", "pillow-tiff-generator")]
        page_mib = load(files[kind][0]).nbytes / 2**20
        print(f"| {kind} | " + " | ".join(f"{v:.0f}" for v in row) + f" | {page_mib:.1f} |")


if __name__ == "__main__":
    main()
