"""The examples in the docstrings, the package README and the main README's Python
section run as written, and the stubs match the module."""

import doctest
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import wias

ROOT = Path(__file__).resolve().parents[2]


def docstring_tests():
    finder = doctest.DocTestFinder()
    seen = {}
    for obj in [wias, wias.TiffWriter, wias.PdfWriter, wias.inspect, wias.Error]:
        for t in finder.find(obj, getattr(obj, "__qualname__", "wias"), module=False, globs={}):
            if t.examples:
                seen.setdefault(t.name.split(".", 1)[-1] if t.name.startswith("wias.") else t.name, t)
    return sorted(seen.items())


@pytest.mark.parametrize("name, test", docstring_tests(), ids=lambda v: v if isinstance(v, str) else "")
def test_docstring_examples(name, test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0, name


def test_every_public_item_has_a_docstring_example():
    names = {n for n, _ in docstring_tests()}
    for n in ["TiffWriter", "TiffWriter.write_page", "TiffWriter.write_encoded_page", "PdfWriter", "PdfWriter.write_page", "inspect"]:
        assert n in names


def python_blocks(path, section=None):
    text = path.read_text()
    if section:
        text = text.split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize(
    "path, section",
    [(ROOT / "python" / "README.md", None), (ROOT / "README.md", "## Python")],
    ids=["python/README.md", "README.md"],
)
def test_readme_examples_run(tmp_path, path, section):
    blocks = python_blocks(path, section)
    assert blocks
    for code in blocks:
        run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    if section:
        assert run.stdout == "g4\n"


def test_stubs_match_the_module():
    stubtest = pytest.importorskip("mypy.stubtest")
    run = subprocess.run([sys.executable, "-m", "mypy.stubtest", "wias"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
