"""StarGAN v2's demo page without a browser: its handlers on a tiny v2 checkpoint (seed styles equal to
stargan-translate's, a reference's style, the interpolation strip and GIF, the messages) and the page built."""
import numpy as np
import pytest
from PIL import Image

from conftest import tiny_domains  # noqa: F401 (fixture)
from stargan_tf.families import load_translator
from stargan_tf.families.stargan_v2.translate import StyleTargets, latent_outputs
from stargan_v2.test_export import run_dir  # noqa: F401 (fixture)

pytest.importorskip("gradio", reason="the demo page needs gradio (pip install -e '.[demo]')")
from stargan_tf.core import demo  # noqa: E402
from stargan_tf.families.stargan_v2.demo import StarGANv2Page, build_page, parse_seed  # noqa: E402


@pytest.fixture(scope="module")
def page(run_dir):  # noqa: F811
    return StarGANv2Page(load_translator(run_dir[0]), demo.DemoSettings())


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """noise.png (no face: its centre crop is used) and notes.png (a text file), as uploads."""
    folder = tmp_path_factory.mktemp("demo_photos")
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 30, 3), np.uint8)).save(folder / "noise.png")
    (folder / "notes.png").write_text("not an image")
    return {name: {"path": str(folder / f"{name}.png"), "orig_name": f"{name}.png"} for name in ("noise", "notes")}


def test_a_seed_gives_translate_s_first_style_and_the_strip_runs_to_its_second(page, photos):
    state, message = page.on_upload(photos["noise"])
    assert message.startswith("noise.png: ") and message.endswith("Pick a domain and press Translate or New random "
                                                                  "style.")
    _, message, result, faces, strip, gif = page.on_translate(photos["noise"], state, "sad", 7, None, 0)
    assert message.endswith("Translated to sad with the random style of seed 7.") and strip is None and gif is None
    targets = StyleTargets.parse(page.translator, target="sad", num_styles=1, seed=7)
    np.testing.assert_array_equal(result, latent_outputs(page.translator, state.inputs.model_inputs, targets)[1][0, 0])
    assert faces.shape[1] == 2 * 96
    _, message, same, _, strip, gif = page.on_translate(photos["noise"], state, "sad", 7, None, 4)
    np.testing.assert_array_equal(same, result)
    assert strip.shape == (40 + 96, 4 * 96, 3)  # a header of column names, then 16 px tiles enlarged 6x
    np.testing.assert_array_equal(strip[40:, :96], result.repeat(6, axis=0).repeat(6, axis=1))
    with Image.open(gif) as frames:
        assert frames.n_frames == 4


def test_a_reference_s_style_and_the_messages(page, photos):
    _, message, result, _, strip, _ = page.on_translate(photos["noise"], None, "happy", 0, photos["noise"], 3)
    assert "Translated to happy with the style of the reference photo (noise.png: " in message
    assert "no interpolation strip: it runs between two random styles" in message
    assert result.shape == (16, 16, 3) and strip is None
    for seed in (-1, 1.5, None):
        assert page.on_translate(photos["noise"], None, "sad", seed, None, 0)[1] == (
            f"**Error:** Style seed: {seed!r} is not a whole number from 0 to 2147483647.")
    assert page.on_upload(photos["notes"]) == [None, "**Error:** notes.png: not a readable image "
                                                     "(UnidentifiedImageError: cannot identify image file 'notes.png')"]
    assert page.on_translate(photos["noise"], None, "sad", 0, photos["notes"], 0)[1].startswith(
        "**Error:** notes.png: not a readable image")
    assert page.on_translate(None, None, "sad", 0, None, 0)[1] == "**Error:** Upload a photo first."
    assert page.on_translate(photos["noise"], None, "sad", 0, None, 1)[1].startswith(
        "**Error:** Interpolation frames: 1 frame is no interpolation")
    assert parse_seed(12.0) == 12


def test_the_page_builds(page):
    import gradio as gr

    assert isinstance(build_page(page.translator, page.settings), gr.Blocks)
