"""Photo files (stargan_tf.core.photo_files): output names that never clash, files that are no photo refused."""
import contextlib
import os
import signal

import pytest

from stargan_tf.core.photo_files import TranslateError, list_photos, output_stems, read_photo


def test_output_stems_are_distinct_keeping_a_unique_stem_then_the_extension_then_a_number():
    names = ["a.jpg", "a.png", "a_jpg.bmp", "b.jpg", "B.png", "c.gif"]
    # a_jpg.bmp keeps its own unique stem, so a.jpg's a_jpg is taken: a_jpg_2. b and B clash where case is ignored.
    assert output_stems([f"/in/{name}" for name in names]) == ["a_jpg_2", "a_png", "a_jpg", "b_jpg", "B_png", "c"]


@contextlib.contextmanager
def failing_after(seconds: int):
    """Turns a hang (opening a FIFO nobody writes to) into a test failure."""
    def hang(*_):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_fifo_named_like_a_photo_is_refused_unopened_naming_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.jpg")
    assert list_photos(str(tmp_path / "pipe.jpg")) == [str(tmp_path / "pipe.jpg")]
    with failing_after(10), pytest.raises(TranslateError, match=f"^{tmp_path / 'pipe.jpg'}: a FIFO, not a regular "
                                                                 rf"file \(never opened\)$"):
        read_photo(str(tmp_path / "pipe.jpg"))
