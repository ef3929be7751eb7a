"""wias.inspect gives each page's facts as dicts; checked against tifffile's reading
of the same tags, and on a file wias did not write."""

import numpy as np
import tifffile
import wias
from PIL import Image

from helpers import pages


def test_inspect_facts_agree_with_tifffile(tmp_path):
    src = pages()
    path = tmp_path / "doc.tif"
    with wias.TiffWriter(path, compression="deflate") as doc:
        doc.write_page(src["gray8"], dpi=(300, 150))
        doc.write_page(src["rgb48"])
    facts = wias.inspect(path)
    assert [f["page"] for f in facts] == [1, 2]
    with tifffile.TiffFile(path) as t:
        for f, p in zip(facts, t.pages):
            assert (f["width"], f["height"]) == (p.imagewidth, p.imagelength)
            assert f["samples_per_pixel"] == p.samplesperpixel
            assert f["bits_per_sample"] == (p.bitspersample,) * p.samplesperpixel
            assert f["compression_code"] == p.compression == 8 and f["compression"] == "deflate"
            assert f["photometric"] == p.photometric
            assert f["ifd_offset"] == p.offset
            assert f["strips"] == len(p.dataoffsets)
            assert f["data_bytes"] == sum(p.databytecounts)
            assert f["tags"]["ImageWidth"] == p.imagewidth
            assert f["problems"] == []
    assert facts[0]["dpi"] == (300.0, 150.0)


def test_inspect_reads_another_producers_tiff(tmp_path):
    path = tmp_path / "pillow.tif"
    Image.fromarray(pages()["gray8"]).save(path, dpi=(118.11, 118.11), compression="tiff_lzw")
    (f,) = wias.inspect(str(path))
    assert (f["width"], f["height"], f["compression"]) == (29, 41, "lzw")
    assert round(f["dpi"][0]) == 118
