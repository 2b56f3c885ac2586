"""--g_input_skip: G outputs a change to its input (or to the input's colours, smoothed), tanh(atanh(smooth_k(x)) +
conv); a run stores and resumes it like any setting that fixes what the weights mean."""
import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf.core.trainer import train
from stargan_tf.families.stargan.config import ConfigError, StarGANConfig
from stargan_tf.families.stargan.generator import Generator, inverse_tanh, smoothed


def residual_generator(input_skip=1):
    generator = Generator(2, conv_dim=8, repeat_num=1, input_skip=input_skip)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    images[0, :4, :4] = 1.0  # pure white and black: clipped, not infinite
    images[0, 4:8, :4] = -1.0
    return generator, images, np.eye(2, dtype=np.float32)


@pytest.mark.parametrize("input_skip", [1, 4])
def test_generator_with_a_silent_last_convolution_returns_its_input_smoothed(input_skip):
    generator, images, labels = residual_generator(input_skip)
    moved = np.asarray(generator(images, labels))
    assert np.abs(moved - images).mean() > 0.01  # an untrained G changes the image
    for weight in generator.to_rgb.weights:
        weight.assign(tf.zeros_like(weight))
    out = np.asarray(generator(images, labels))
    blocks = images.reshape(2, 16 // input_skip, input_skip, 16 // input_skip, input_skip, 3).mean(axis=(2, 4))
    expected = np.asarray(tf.image.resize(blocks, (16, 16), method="bilinear")) if input_skip > 1 else images
    np.testing.assert_allclose(out, np.clip(expected, -0.995, 0.995), atol=1e-5)
    assert np.isfinite(np.asarray(inverse_tanh(tf.constant([-1.0, 1.0])))).all()


def test_smoothing_keeps_a_flat_colour_and_removes_detail():
    flat = np.full((1, 16, 16, 3), 0.3, np.float32)
    np.testing.assert_allclose(np.asarray(smoothed(tf.constant(flat), 4)), flat, atol=1e-6)
    checkers = np.indices((16, 16)).sum(axis=0) % 2 * 2.0 - 1.0
    detail = np.repeat(checkers[None, :, :, None], 3, axis=3).astype(np.float32)
    assert np.abs(np.asarray(smoothed(tf.constant(detail), 4))).max() < 1e-6


def test_plain_generator_does_not_pass_its_input_through():
    generator = Generator(2, conv_dim=8, repeat_num=1)
    _, images, labels = residual_generator()
    generator(images, labels)
    for weight in generator.to_rgb.weights:
        weight.assign(tf.zeros_like(weight))
    assert np.abs(np.asarray(generator(images, labels))).max() == 0.0


def test_residual_generator_config_round_trips():
    generator, _, _ = residual_generator()
    assert Generator.from_config(generator.get_config()).input_skip == 1
    assert Generator(2).get_config()["input_skip"] == 0


def test_run_json_names_g_input_skip_only_when_on_and_a_resume_must_keep_it(tiny_data, tmp_path):
    assert "g_input_skip" not in tiny_config(tiny_data, tmp_path).to_dict()
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=2, g_input_skip=4)
    assert config.to_dict()["g_input_skip"] == 4
    assert StarGANConfig.from_dict(config.to_dict(), "run.json") == config
    model = train(config)
    assert model.generator.input_skip == 4
    with pytest.raises(ConfigError, match="g_input_skip: checkpoint has 4, this run has 0"):
        train(dataclasses.replace(config, g_input_skip=0, num_iters=4))


@pytest.mark.parametrize("value, message", [(-1, "g_input_skip"), (3, "divisible by --g_input_skip=3")])
def test_g_input_skip_that_cannot_work_is_named(tiny_data, tmp_path, value, message):
    with pytest.raises(ConfigError, match=message):
        tiny_config(tiny_data, tmp_path, g_input_skip=value)


def test_residual_generator_exports_to_saved_model_and_tflite_with_keras_parity(tiny_data, tmp_path):
    from stargan_tf.core import export
    from stargan_tf.core.trainer import prepare
    from stargan_tf.families.stargan.serving import ServingModel, TFLiteTranslator

    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", g_input_skip=4))
    serving = ServingModel(model.generator, data.layout, config.image_size)
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (3, 16, 16, 3)).astype(np.float32)
    images[0, :3] = 1.0
    targets = data.layout.embed("celeba", rng.integers(0, 2, (3, 5)))
    reference = model.generator(images, targets).numpy()
    loaded = tf.saved_model.load(export.export_saved_model(serving, str(tmp_path / "export" / "1"), warmup=False))
    outputs = loaded.signatures["translate_float"](image=tf.constant(images), target_labels=tf.constant(targets))
    np.testing.assert_allclose(outputs["translated"].numpy(), reference, atol=1e-5)
    translator = TFLiteTranslator(export.tflite_model(serving, "float32"), serving.layout)
    assert export.parity(reference, translator(images, targets))["max_abs_diff"] <= 1e-4


def test_a_run_of_the_plain_generator_resumed_with_the_skip_says_which_flag_resumes_it(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=2)
    train(config)
    with pytest.raises(ConfigError, match="g_input_skip: checkpoint has 0, this run has 4 .*pass --g_input_skip=0"):
        train(dataclasses.replace(config, g_input_skip=4, num_iters=4))
    assert int(train(dataclasses.replace(config, num_iters=4)).iteration.numpy()) == 4
