"""Every precision trains with finite losses; policies, loss scaling and checkpoints behave as documented."""
import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf.core import precision
from stargan_tf.families.stargan import losses
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare, train

COMPUTE_DTYPES = {"float32": "float32", "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


@pytest.mark.parametrize("name", sorted(COMPUTE_DTYPES))
def test_every_precision_fits_with_finite_losses_and_float32_variables(tiny_data, tmp_path, name):
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", precision=name, n_critic=1))
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy does not leak out of build_model
    convolutions = [layer for layer in model.generator._flatten_layers() + model.discriminator._flatten_layers()
                    if isinstance(layer, keras.layers.Conv2D)]
    assert {layer.compute_dtype for layer in convolutions} == {COMPUTE_DTYPES[name]}
    assert {w.dtype for w in model.generator.weights + model.discriminator.weights} == {"float32"}
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer) == (name == "mixed_float16")
    g_before = [w.numpy().copy() for w in model.generator.trainable_weights]
    history = model.fit(data.training_dataset(config), epochs=1, steps_per_epoch=3, shuffle=False, verbose=0)
    for key, values in history.history.items():
        assert np.isfinite(values).all(), key
    assert history.history["g/loss_rec"][-1] > 0
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(g_before, model.generator.trainable_weights))
    outputs = model.generator(tf.zeros([1, 16, 16, 3]), tf.zeros([1, 5]))
    assert outputs.dtype == tf.float32


def test_unknown_precision_names_the_flag(tiny_data, tmp_path):
    with pytest.raises(ConfigError, match="--precision='float64'"):
        tiny_config(tiny_data, tmp_path, precision="float64")


def test_gradient_penalty_value_and_critic_gradient_do_not_depend_on_the_loss_scale():
    weights = tf.Variable([[0.3], [-0.4]])
    x_hat = tf.constant([[1.0, 2.0], [0.5, -1.0]])

    def penalty_and_gradient(scale):
        with tf.GradientTape() as tape:
            penalty = losses.gradient_penalty(lambda x: tf.matmul(x, weights), x_hat, loss_scale=scale)
            total = tf.reduce_sum(penalty)
        return penalty.numpy(), tape.gradient(total, weights).numpy()

    plain, scaled = penalty_and_gradient(1.0), penalty_and_gradient(32768.0)
    np.testing.assert_allclose(plain[0], [0.25, 0.25], rtol=1e-6)  # ||(0.3, -0.4)|| = 0.5 for each sample
    np.testing.assert_allclose(plain[1], [[-1.2], [1.6]], rtol=1e-5)  # 2 samples x 2 (||w|| - 1) w / ||w|| = -4 w
    np.testing.assert_allclose(scaled[0], plain[0], rtol=1e-6)
    np.testing.assert_allclose(scaled[1], plain[1], rtol=1e-6)


def test_float16_checkpoint_resumes_in_float32(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=2, precision="mixed_float16")
    trained = train(config)
    assert precision.checkpointable(trained.d_optimizer) is trained.d_optimizer.inner_optimizer
    resumed_config, _, fresh = prepare(dataclasses.replace(config, precision="float32"))
    checkpoint_manager(fresh, resumed_config.model_save_dir, 1).restore_or_initialize()
    assert int(fresh.d_optimizer.iterations.numpy()) == int(trained.d_optimizer.inner_optimizer.iterations.numpy())
    for a, b in zip(fresh.generator.weights, trained.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
