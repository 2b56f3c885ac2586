"""The moving average of StarGAN's generator (--g_ema_beta): its updates, its checkpoint, and who translates with it."""
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf import families
from stargan_tf.core.ema import warmed_up_decay
from stargan_tf.core.trainer import prepare, train
from stargan_tf.families.stargan.config import ConfigError, StarGANConfig


def weights(network):
    return [weight.numpy().copy() for weight in network.weights]


def test_warmed_up_decay_is_the_smaller_of_beta_and_the_warm_up():
    decays = warmed_up_decay(0.5, tf.constant([0, 1, 8, 9, 1000], tf.int64)).numpy()
    np.testing.assert_allclose(decays, [0.1, 2 / 11, 0.5, 0.5, 0.5], rtol=1e-6)
    assert warmed_up_decay(0.999, 1000).numpy() == pytest.approx(1001 / 1010)


def test_average_follows_each_g_update_with_the_warmed_up_decay(tiny_data, tmp_path):
    beta = 0.2
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", n_critic=2, g_lr=1e-2,
                                              num_iters_decay=0, g_ema_beta=beta))
    assert model.network_names == ("generator", "discriminator", "generator_ema")
    assert not model.generator_ema.trainable_weights
    start = weights(model.generator)
    assert all(np.array_equal(a, b) for a, b in zip(start, weights(model.generator_ema)))
    recorded = []  # (G's weights, G_ema's weights, G updates so far) after each step
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: recorded.append(
        (weights(model.generator), weights(model.generator_ema), int(model.g_optimizer.iterations.numpy()))))
    model.fit(data.training_dataset(config), epochs=1, steps_per_epoch=6, shuffle=False, verbose=0,
              callbacks=[record])

    assert [updates for _, _, updates in recorded] == [0, 1, 1, 2, 2, 3]  # G every n_critic-th step
    expected, previous_updates = start, 0
    for g_weights, ema_weights, updates in recorded:
        if updates > previous_updates:  # a G update: ema = w + d * (ema - w), d = min(beta, (1 + n) / (10 + n))
            decay = min(beta, (1 + updates) / (10 + updates))
            expected = [w + decay * (ema - w) for w, ema in zip(g_weights, expected)]
        previous_updates = updates
        for actual, wanted in zip(ema_weights, expected):
            np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-7)
    # The average lags G (g_lr 1e-2 moves G well beyond float noise), and the model translates with the average.
    assert max(np.abs(g - ema).max() for g, ema in zip(*recorded[-1][:2])) > 1e-3
    images, labels = data.fixed_batch("celeba", 2, config.image_size)
    np.testing.assert_array_equal(model(images, labels), model.generator_ema(images, labels))


def test_without_beta_there_is_no_average_and_run_json_does_not_name_it(tiny_data, tmp_path):
    config, _, model = prepare(tiny_config(tiny_data, tmp_path))
    assert model.network_names == ("generator", "discriminator") and model.translator is model.generator
    assert "g_ema_beta" not in config.to_dict()
    assert StarGANConfig.from_dict(config.to_dict(), "run.json") == config
    assert dataclasses.replace(config, g_ema_beta=0.5).to_dict()["g_ema_beta"] == 0.5


def test_switching_the_average_on_or_off_is_an_architecture_change_but_another_beta_is_not():
    on, off, other = StarGANConfig(g_ema_beta=0.5), StarGANConfig(), StarGANConfig(g_ema_beta=0.9)
    assert off.architecture_mismatches(on)[0].startswith("g_ema_beta: checkpoint has 0.5, this run has 0.0")
    assert on.architecture_mismatches(off)[0].startswith("g_ema_beta: checkpoint has 0.0, this run has 0.5")
    assert other.architecture_mismatches(on) == []
    with pytest.raises(ConfigError, match="--g_ema_beta=1.0: must be in"):
        StarGANConfig(g_ema_beta=1.0).validate()


def test_checkpoint_holds_the_average_which_loading_serving_and_translation_use(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", n_critic=1, num_iters=2, g_lr=1e-2, g_ema_beta=0.5)
    trained = train(config)
    stored = dict(tf.train.list_variables(tf.train.latest_checkpoint(config.model_save_dir)))
    ema_keys = sorted(name for name in stored if name.startswith("generator_ema/"))
    assert ema_keys == sorted(name.replace("generator/", "generator_ema/", 1) for name in stored
                              if name.startswith("generator/"))

    family = families.get("stargan")
    model, _ = family.load_model(config.model_save_dir)
    assert model.translator is model.generator_ema
    for loaded, expected in zip(model.generator_ema.weights + model.generator.weights,
                                trained.generator_ema.weights + trained.generator.weights):
        np.testing.assert_array_equal(loaded.numpy(), expected.numpy())
    images = np.random.default_rng(0).uniform(-1, 1, [2, 16, 16, 3]).astype(np.float32)
    labels = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1]], np.float32)
    averaged, raw = model.generator_ema(images, labels).numpy(), model.generator(images, labels).numpy()
    assert np.abs(averaged - raw).max() > 1e-3

    serving_model = family.serving_model(config.model_save_dir, 0, {})
    assert serving_model.generator.name == "generator_ema"
    np.testing.assert_allclose(serving_model.translate_float(images, labels)["translated"], averaged, atol=1e-6)
    translator = families.load_translator(config.model_save_dir)
    translated = translator.signatures["translate_float"](image=tf.constant(images), target_labels=tf.constant(labels))
    np.testing.assert_allclose(translated["translated"], averaged, atol=1e-6)
    assert translator.networks[0].name == "generator_ema"

    with pytest.raises(ConfigError, match="g_ema_beta: checkpoint has 0.5, this run has 0.0"):
        train(dataclasses.replace(config, g_ema_beta=0.0, num_iters=4))
