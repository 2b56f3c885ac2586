"""Photo files (stargan_tf.core.photo_files): output names that never clash."""
from stargan_tf.core.photo_files import output_stems


def test_output_stems_are_distinct_keeping_a_unique_stem_then_the_extension_then_a_number():
    names = ["a.jpg", "a.png", "a_jpg.bmp", "b.jpg", "B.png", "c.gif"]
    # a_jpg.bmp keeps its own unique stem, so a.jpg's a_jpg is taken: a_jpg_2. b and B clash where case is ignored.
    assert output_stems([f"/in/{name}" for name in names]) == ["a_jpg_2", "a_png", "a_jpg", "b_jpg", "B_png", "c"]
