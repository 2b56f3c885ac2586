"""The self-attention variant exports like the base model (SavedModel and TFLite parity with Keras), and
translate.py shows where its attention blocks look on a photo."""
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import tiny_config
from stargan_tf import families
from stargan_tf.core import export
from stargan_tf.core.grids import grid_layout
from stargan_tf.core.photo_files import TranslateError
from stargan_tf.families.stargan import translate
from stargan_tf.families.stargan.serving import ServingModel, TFLiteTranslator
from stargan_tf.families.stargan.attention import SelfAttention
from stargan_tf.core.run_dir import checkpoint_manager, write_run_file
from stargan_tf.core.trainer import prepare


@pytest.fixture(scope="module")
def attention_model(tiny_data, tmp_path_factory):
    """A tiny attention StarGAN whose attention blocks are switched on (gamma 0.8), and parity inputs."""
    config, data, model = prepare(tiny_config(tiny_data, tmp_path_factory.mktemp("attention"), dataset="celeba",
                                              g_attention_at=("down1", "res0"), d_attention_at=("conv0",)))
    blocks = [layer for layer in model.generator._flatten_layers() if isinstance(layer, SelfAttention)]
    assert len(blocks) == 2
    for block in blocks:
        block.gamma.assign(0.8)
    serving = ServingModel(model.generator, data.layout, config.image_size)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    targets = data.layout.embed("celeba", rng.integers(0, 2, (3, 5)))
    reference = model.generator(images, targets).numpy()
    # The blocks matter: with gamma 0 the output differs.
    for block in blocks:
        block.gamma.assign(0.0)
    assert np.abs(model.generator(images, targets).numpy() - reference).max() > 1e-4
    for block in blocks:
        block.gamma.assign(0.8)
    checkpoint_manager(model, config.model_save_dir, 1).save()
    write_run_file(config.model_save_dir, config.model_name, config, families.get(config.model_name).layout(data))
    return serving, images, targets, reference, config.model_save_dir


def test_attention_saved_model_matches_keras(attention_model, tmp_path):
    serving, images, targets, reference, _ = attention_model
    path = export.export_saved_model(serving, str(tmp_path / "attention" / "1"), warmup=False)
    loaded = tf.saved_model.load(path)
    outputs = loaded.signatures["translate_float"](image=tf.constant(images), target_labels=tf.constant(targets))
    np.testing.assert_allclose(outputs["translated"].numpy(), reference, atol=1e-5)


@pytest.mark.parametrize("variant, max_abs_diff, min_psnr", [("float32", 1e-4, None), ("float16", 1e-2, None),
                                                             ("int8_dynamic", None, 30.0)])
def test_attention_tflite_parity(attention_model, variant, max_abs_diff, min_psnr):
    serving, images, targets, reference, _ = attention_model
    translator = TFLiteTranslator(export.tflite_model(serving, variant), serving.layout)
    result = export.parity(reference, translator(images, targets))
    if max_abs_diff is not None:
        assert result["max_abs_diff"] <= max_abs_diff, result
    if min_psnr is not None:
        assert result["psnr_db"] >= min_psnr, result


def test_translate_saves_attention_maps_of_a_checkpoint(attention_model, tiny_checkpoints, tmp_path):
    *_, checkpoint_dir = attention_model
    translator = families.load_translator(checkpoint_dir)
    photo = np.array(Image.new("RGB", (20, 24), (200, 120, 40)))
    photo[5:15, 4:12] = (30, 30, 30)
    Image.fromarray(photo).save(tmp_path / "face.png")
    targets = translate.Targets.parse(translator.layout, all_domains=True)
    pictures = {}
    for query in ((0.5, 0.5), (0.0, 1.0)):
        report = translate.translate_photos(translator, [str(tmp_path / "face.png")], str(tmp_path / str(query)),
                                            targets, attention_query=query)
        assert [path.rsplit("_", 1)[1] for path in report.written][-2:] == ["grid.png", "attention.png"]
        pictures[query] = np.asarray(Image.open(report.written[-1]))
    # The photo, then 5 CelebA targets x 2 G blocks, then 1 D block, each 16x16, enlarged below their names.
    layout = grid_layout(1, 1 + 5 * 2 + 1, 16, grouped=True)
    assert pictures[(0.5, 0.5)].shape == layout.shape
    tiles = {query: picture[layout.top:, layout.left:][::layout.scale, ::layout.scale]
             for query, picture in pictures.items()}
    changed = np.abs(tiles[(0.5, 0.5)][:, 16:].astype(int) - tiles[(0.0, 1.0)][:, 16:]).max(axis=-1) > 10
    # Another query position gives other maps, not only other markers (at most 2 x 11 x 9 pixels).
    assert changed.sum() > 400, changed.sum()
    with pytest.raises(TranslateError, match="has no self-attention blocks"):
        translate.translate_photos(families.load_translator(tiny_checkpoints["celeba"]), [str(tmp_path / "face.png")],
                                   str(tmp_path / "none"), targets, attention_query=(0.5, 0.5))
