"""The self-attention variant exports like the base model: SavedModel and TFLite parity with Keras."""
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf import export
from stargan_tf.attention import SelfAttention
from stargan_tf.training import prepare


@pytest.fixture(scope="module")
def attention_model(tiny_data, tmp_path_factory):
    """A tiny attention StarGAN whose attention blocks are switched on (gamma 0.8), and parity inputs."""
    config, data, model = prepare(tiny_config(tiny_data, tmp_path_factory.mktemp("attention"), dataset="celeba",
                                              g_attention_at=("down1", "res0"), d_attention_at=("conv0",)))
    blocks = [layer for layer in model.generator._flatten_layers() if isinstance(layer, SelfAttention)]
    assert len(blocks) == 2
    for block in blocks:
        block.gamma.assign(0.8)
    serving = export.ServingModel(model.generator, data.layout, config.image_size)
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
    return serving, images, targets, reference


def test_attention_saved_model_matches_keras(attention_model, tmp_path):
    serving, images, targets, reference = attention_model
    path = export.export_saved_model(serving, str(tmp_path / "attention" / "1"), warmup=False)
    loaded = tf.saved_model.load(path)
    outputs = loaded.signatures["translate_float"](image=tf.constant(images), target_labels=tf.constant(targets))
    np.testing.assert_allclose(outputs["translated"].numpy(), reference, atol=1e-5)


@pytest.mark.parametrize("variant, max_abs_diff, min_psnr", [("float32", 1e-4, None), ("float16", 1e-2, None),
                                                             ("int8_dynamic", None, 30.0)])
def test_attention_tflite_parity(attention_model, variant, max_abs_diff, min_psnr):
    serving, images, targets, reference = attention_model
    result = export.parity(reference, export.TFLiteTranslator(export.tflite_model(serving, variant))(images, targets))
    if max_abs_diff is not None:
        assert result["max_abs_diff"] <= max_abs_diff, result
    if min_psnr is not None:
        assert result["psnr_db"] >= min_psnr, result
