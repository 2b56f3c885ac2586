"""Photo files (stargan_tf.core.photo_files): output names that never clash, files that are no photo or too large
refused unread."""
import errno
import io
import os
import re
import struct
import zlib

import pytest
from PIL import Image

from conftest import failing_after
from stargan_tf.core import photo_files
from stargan_tf.core.photo_files import TranslateError, list_photos, output_stems, read_photo


def test_output_stems_are_distinct_keeping_a_unique_stem_then_the_extension_then_a_number():
    names = ["a.jpg", "a.png", "a_jpg.bmp", "b.jpg", "B.png", "c.gif"]
    # a_jpg.bmp keeps its own unique stem, so a.jpg's a_jpg is taken: a_jpg_2. b and B clash where case is ignored.
    assert output_stems([f"/in/{name}" for name in names]) == ["a_jpg_2", "a_png", "a_jpg", "b_jpg", "B_png", "c"]


def test_a_fifo_named_like_a_photo_is_refused_unopened_naming_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    assert list_photos(str(tmp_path / "pipe.jpg")) == [str(tmp_path / "pipe.jpg")]
    with failing_after(10), pytest.raises(TranslateError, match=f"^{tmp_path / 'pipe.jpg'}: a FIFO, not a regular "
                                                                 rf"file \(never opened\)$"):
        read_photo(str(tmp_path / "pipe.jpg"))


def png_header(path, width: int, height: int) -> None:
    """A PNG file of its header only (8-bit grayscale, no pixel data): all Pillow reads before decoding."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IEND", b""))


def test_a_photo_over_the_pixel_cap_is_refused_from_its_header_naming_its_size_and_the_limit(tmp_path):
    png_header(tmp_path / "huge.png", 13000, 13000)  # 169 megapixels: a 164 KB PNG once took 6.2 GB to translate
    with pytest.raises(TranslateError, match=f"^{re.escape(str(tmp_path / 'huge.png'))}: 13000x13000 pixels "
                                             r"\(169 megapixels\), more than the limit of 50,000,000 pixels "
                                             r"\(--max_pixels\); not decoded$"):
        read_photo(str(tmp_path / "huge.png"))
    Image.new("RGB", (30, 20)).save(tmp_path / "small.png")
    assert read_photo(str(tmp_path / "small.png"), max_pixels=600).shape == (20, 30, 3)
    with pytest.raises(TranslateError, match=r"small\.png: 30x20 pixels \(0\.0006 megapixels\), more than the limit of "
                                             r"599 pixels"):
        read_photo(str(tmp_path / "small.png"), max_pixels=599)
    # Beyond Pillow's own decompression-bomb limit Image.open refuses even to give the size.
    png_header(tmp_path / "bomb.png", 20000, 20000)
    with pytest.raises(TranslateError, match=r"bomb\.png: Image size \(400000000 pixels\) exceeds limit of \d+ pixels.*"
                                             r"; more than Pillow decodes, whatever the limit of 1,000,000,000 pixels "
                                             r"\(--max_pixels\); not decoded$"):
        read_photo(str(tmp_path / "bomb.png"), max_pixels=10 ** 9)


def disk_full_after(monkeypatch, files: int) -> None:
    """Output files after the first `files` fail as on a full disk: created, then ENOSPC on writing."""
    opened = []

    class FullDisk(io.FileIO):
        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def open_output(path, mode="r", *args, **kwargs):
        opened.append(path)
        return open(path, mode, *args, **kwargs) if len(opened) <= files else FullDisk(path, "wb")

    monkeypatch.setattr(photo_files, "open", open_output, raising=False)
