#!/usr/bin/env python3
"""Two concurrent writers, killed at random moments (bench/racetest.sh runs this).

Each trial starts from a missing document. Two writers add pages to it at the same
time, one `wias write --append` per page (as a service adding pages as they arrive
does); writer A's pages are gray 8x2 images of value 1..K, writer B's of value
101..100+K. Now and then a third command replaces the document (`wias write -o`
without --append, or `wias scan -o`), and now and then a command is killed with
SIGKILL a random moment after it starts. At the end of a trial the document must:
- read cleanly with libtiff (`tiffinfo -D`: no error, no warning) and Pillow,
- be called sound by `wias inspect`,
- hold every page whose command exited 0 and started after the last replacement that
  exited 0 (or was killed: it may have renamed its file in first) had ended, once, and in each writer's order (pages acknowledged before
  that replacement were replaced, as asked),
- hold no page that was never written.

Usage: racetest.py WIAS TRIALS [SEED]
"""
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

from PIL import Image, ImageSequence

WIAS, TRIALS = os.path.abspath(sys.argv[1]), int(sys.argv[2])
SEED = int(sys.argv[3]) if len(sys.argv) > 3 else random.randrange(1 << 30)
K = 12


def pgm(path, value):
    with open(path, "wb") as f:
        f.write(b"P5 8 2 255\n" + bytes([value]) * 16)


def page_values(path):
    with Image.open(path) as im:
        return [frame.convert("L").getpixel((0, 0)) for frame in ImageSequence.Iterator(im)]


def trial(n, rng, d):
    doc = os.path.join(d, "doc.tif")
    for v in list(range(1, K + 1)) + list(range(101, 101 + K)) + [250]:
        pgm(os.path.join(d, f"p{v}.pgm"), v)
    log = []  # (time it started, time it ended, kind, value, status, killed)
    errors = []
    lock = threading.Lock()

    def run(args, kind, value):
        started = time.monotonic()
        p = subprocess.Popen([WIAS] + args, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        killed = False
        if rng.random() < 0.15:
            time.sleep(rng.random() * 0.01)
            try:
                p.send_signal(signal.SIGKILL)
                killed = True
            except ProcessLookupError:
                pass
        _, err = p.communicate()
        status = p.returncode
        with lock:
            log.append((started, time.monotonic(), kind, value, status, killed))
        if status not in (0, 1, -9) or (status == 1 and b"locked" not in err):
            with lock:
                errors.append(f"trial {n}: {args}: status {status}: {err.decode()}")

    def writer(first):
        for v in range(first, first + K):
            run(["write", "--append", "-o", "doc.tif", f"p{v}.pgm"], "append", v)

    def replacer():
        for _ in range(2):
            time.sleep(rng.random() * 0.05)
            if rng.random() < 0.5:
                run(["write", "-o", "doc.tif", "p250.pgm"], "replace", 250)
            else:
                run(["scan", "-o", "doc.tif", "--pages", "1", "--dpi", "10", "--mode", "gray"], "scan", None)

    threads = [threading.Thread(target=writer, args=(1,)), threading.Thread(target=writer, args=(101,))]
    if rng.random() < 0.5:
        threads.append(threading.Thread(target=replacer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    if not os.path.exists(doc):
        assert all(s != 0 for _, _, k, _, s, _ in log if k == "append"), f"trial {n}: acked pages but no file"
        return
    info = subprocess.run(["tiffinfo", "-D", doc], capture_output=True, text=True)
    assert info.returncode == 0 and not info.stderr.strip(), f"trial {n}: libtiff: {info.stderr}"
    insp = subprocess.run([WIAS, "inspect", doc], capture_output=True, text=True)
    assert "verdict: sound" in insp.stdout, f"trial {n}: wias inspect: {insp.stdout[-500:]}"
    values = page_values(doc)
    # Pages acknowledged by commands that started after the last replacement that
    # succeeded had ended must all be there (one that overlapped it may have been
    # replaced, as asked).
    # A replacement killed after its rename has replaced the document too.
    replaced = [end for _, end, k, _, s, _ in log if k in ("replace", "scan") and s in (0, -9)]
    since = max(replaced) if replaced else 0
    acked = [v for start, _, k, v, s, _ in log if k == "append" and s == 0 and start > since]
    missing = [v for v in acked if v not in values]
    assert not missing, f"trial {n}: acknowledged pages {missing} lost; file holds {values}"
    appended = [v for v in values if v != 250 and v < 200]
    assert len(appended) == len(set(appended)), f"trial {n}: a page twice: {values}"
    for lo in (1, 101):
        mine = [v for v in appended if lo <= v < lo + K]
        assert mine == sorted(mine), f"trial {n}: writer {lo}'s pages out of order: {values}"
    possible = set(range(1, K + 1)) | set(range(101, 101 + K)) | {250}
    extra = [v for v in values if v not in possible]
    # A scanned page is gray, not one of ours: only allowed as the first page.
    assert all(i == 0 for i, v in enumerate(values) if v not in possible), f"trial {n}: {values}"
    return len(values), len(acked), len(extra)


def main():
    rng = random.Random(SEED)
    print(f"race test: {TRIALS} trials, seed {SEED}")
    pages = acked = 0
    for n in range(TRIALS):
        with tempfile.TemporaryDirectory() as d:
            r = trial(n, rng, d)
            if r:
                pages += r[0]
                acked += r[1]
    print(f"race test: {TRIALS} trials, {acked} acknowledged appends checked, {pages} pages read back, 0 lost")


main()
