"""A few fit steps per dataset mode, checkpoints, samples, and resume."""
import dataclasses
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.families.stargan.model import G_LOSS_NAMES
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare, train
from stargan_tf.families.stargan.family import build_model


def weights_of(model):
    return [w.numpy().copy() for w in model.generator.weights + model.discriminator.weights]


@pytest.mark.parametrize("dataset", ["celeba", "rafd", "both"])
def test_fit_changes_weights_and_gives_finite_losses(tiny_data, tmp_path, dataset):
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset=dataset))
    g_before = [w.numpy().copy() for w in model.generator.weights]
    d_before = [w.numpy().copy() for w in model.discriminator.weights]
    steps = 2 * config.n_critic * model.steps_per_iteration
    history = model.fit(data.training_dataset(config), epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    for name in ("d/loss_real", "d/loss_fake", "d/loss_cls", "d/loss_gp", "g/loss_fake", "g/loss_cls", "g/loss_rec"):
        assert np.isfinite(history.history[name]).all(), name
    assert history.history["g/loss_rec"][-1] > 0  # G was updated, so its losses were computed
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(g_before, model.generator.weights))
    assert all(not np.array_equal(a, b.numpy()) for a, b in zip(d_before, model.discriminator.weights))
    assert int(model.step.numpy()) == steps
    assert int(model.g_optimizer.iterations.numpy()) == 2 * model.steps_per_iteration
    assert int(model.d_optimizer.iterations.numpy()) == steps


def test_train_writes_checkpoints_samples_and_run_config(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path)
    train(config)
    assert sorted(f for f in os.listdir(config.model_save_dir) if f.endswith(".index")) == ["ckpt-2.index",
                                                                                            "ckpt-4.index"]
    assert os.path.isfile(os.path.join(config.model_save_dir, "run.json"))
    assert sorted(os.listdir(config.sample_dir)) == ["000002-celeba.png", "000002-rafd.png",
                                                     "000004-celeba.png", "000004-rafd.png"]


def test_resume_continues_step_optimizer_state_and_matches_an_uninterrupted_run(tiny_data, tmp_path):
    # No decay: the schedule depends on num_iters, which differs between the two halves here.
    through = train(tiny_config(tiny_data, tmp_path / "through", num_iters=4, num_iters_decay=0))
    first = tiny_config(tiny_data, tmp_path / "resumed", num_iters=2, num_iters_decay=0)
    train(first)
    resumed = train(dataclasses.replace(first, num_iters=4, resume=True))
    assert int(resumed.step.numpy()) == int(through.step.numpy()) == 8
    for a, b in ((resumed.d_optimizer, through.d_optimizer), (resumed.g_optimizer, through.g_optimizer)):
        assert int(a.iterations.numpy()) == int(b.iterations.numpy())
        assert float(a.learning_rate.numpy()) == pytest.approx(float(b.learning_rate.numpy()))
    for a, b in zip(weights_of(resumed), weights_of(through)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_existing_checkpoint_without_resume_is_refused(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, num_iters=2)
    train(config)
    with pytest.raises(ConfigError, match="already holds checkpoint .*pass --resume"):
        train(dataclasses.replace(config, resume=False))


def test_resume_with_other_architecture_names_the_setting(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, num_iters=2)
    train(config)
    with pytest.raises(ConfigError, match="g_conv_dim: checkpoint has 4, this run has 8"):
        train(dataclasses.replace(config, g_conv_dim=8, num_iters=4, resume=True))


def test_checkpoint_restores_into_a_fresh_model(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, num_iters=2)
    trained = train(config)
    config, data, fresh = prepare(config)
    checkpoint_manager(fresh, config.model_save_dir, 1).restore_or_initialize()
    for a, b in zip(weights_of(fresh), weights_of(trained)):
        np.testing.assert_array_equal(a, b)
    assert build_model(config, data.layout).step.numpy() == 0


def test_generator_alone_restores_every_weight_from_a_training_checkpoint(tiny_data, tmp_path):
    # Keras 3 keeps sublayers in Python lists, which tf.train.Checkpoint does not follow: the weights are
    # checkpointed by path, so a generator restored without its optimizer still gets every weight back.
    import keras
    import tensorflow as tf

    from stargan_tf.families.stargan.generator import Generator
    from stargan_tf.core.run_dir import weights_checkpoint

    config = tiny_config(tiny_data, tmp_path, num_iters=2, g_repeat_num=2)
    trained = train(config)
    keras.utils.set_random_seed(99)
    generator = Generator(trained.layout.label_dim, config.g_conv_dim, config.g_repeat_num, name="generator")
    generator(tf.zeros([1, 16, 16, 3]), tf.zeros([1, trained.layout.label_dim]))
    latest = tf.train.latest_checkpoint(config.model_save_dir)
    tf.train.Checkpoint(generator=weights_checkpoint(generator)).restore(latest).expect_partial()
    assert len(generator.weights) == len(trained.generator.weights) > 10
    for restored, expected in zip(generator.weights, trained.generator.weights):
        np.testing.assert_array_equal(restored.numpy(), expected.numpy())


@pytest.mark.parametrize("overrides, update_g", [
    (dict(), None),  # the paper's model under model.fit on one device: the G update inside tf.cond
    # Loss scaling, the self-attention / hinge variant, and the Python decision of distribute.fit.
    (dict(precision="mixed_float16", adv_loss="hinge", g_attention_at=("res0",), d_attention_at=("conv0",),
          d_spectral_norm=True), True),
])
def test_g_step_sharing_g_forward_with_the_d_step_equals_the_unshared_steps(tiny_data, tmp_path, overrides, update_g):
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", n_critic=1, **overrides))
    reference = build_model(config, data.layout)
    reference.set_weights(model.get_weights())
    for optimizer in (model.d_optimizer, model.g_optimizer, reference.d_optimizer, reference.g_optimizer):
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):  # float16 overflows at the initial
            optimizer.dynamic_scale.assign(256.0)  # scale, 32768, and the first updates would be skipped
    initial = weights_of(model)
    batch = next(iter(data.training_dataset(config)))
    x_real, c_org, c_trg, alpha = batch["image"], batch["label"], batch["target_label"], batch["alpha"]
    logs = tf.function(lambda: model.train_step(batch, update_g=update_g))()

    @tf.function  # as train_step runs (graph and eager results differ in the last bits)
    def unshared_steps():  # the official order, G(x_real, c_trg) computed by each update
        for optimizer, lr in zip((reference.d_optimizer, reference.g_optimizer), reference.learning_rates(0)):
            optimizer.learning_rate.assign(lr)
        d_logs = reference._d_step(x_real, c_org, c_trg, alpha)
        return d_logs, reference._g_step(x_real, c_org, c_trg)[1]

    d_logs, g_losses = unshared_steps()
    changed = [not np.array_equal(a, b) for a, b in zip(initial, weights_of(model))]
    g_count = len(model.generator.weights)
    assert any(changed[:g_count]) and any(changed[g_count:])  # both networks were updated
    for name, value in list(d_logs.items()) + list(zip(G_LOSS_NAMES, g_losses)):
        np.testing.assert_allclose(logs[name], np.mean(value), rtol=1e-5, err_msg=name)
    state = [v.numpy() for v in model.d_optimizer.variables + model.g_optimizer.variables]
    reference_state = [v.numpy() for v in reference.d_optimizer.variables + reference.g_optimizer.variables]
    for a, b in zip(weights_of(model) + state, weights_of(reference) + reference_state):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
