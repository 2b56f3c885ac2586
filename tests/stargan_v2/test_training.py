"""StarGAN v2 training: EMA, weight decay semantics, fit steps, the lambda_ds schedule in the graph, train()."""
import dataclasses
import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch


from stargan_tf.core import faces
from stargan_tf.core.config import ConfigError
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.data.domains import training_dataset
from stargan_tf.core.grids import grid_layout
from stargan_tf.families.stargan_v2.samples import latent_grid, reference_grid
from stargan_tf.core.run_dir import read_run_config
from stargan_tf.interop import torch_reference_fan as reference_fan
from stargan_tf.core.trainer import prepare, train
from conftest import tiny_domains, tiny_v2_config  # noqa: F401 (fixture)


def values(variables):
    return [np.array(v.numpy()) for v in variables]


class StepLogs(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.seen = getattr(self, "seen", []) + [dict(logs)]


@pytest.fixture(scope="module")
def fitted(tiny_domains, tmp_path_factory):  # noqa: F811
    """(model, weights before, step logs) after 3 fit steps of a tiny model with ds_iter 4."""
    config, data, model = prepare(tiny_v2_config(tiny_domains, tmp_path_factory.mktemp("fit"), num_iters=3))
    before = {name: values(getattr(model, name).weights) for name in (
        "generator", "mapping_network", "style_encoder", "discriminator", "generator_ema")}
    logs = StepLogs()
    dataset = training_dataset(data.train, config.image_size, config.batch_size, config.latent_dim, config.seed)
    model.fit(dataset, epochs=1, steps_per_epoch=3, callbacks=[logs], shuffle=False, verbose=0)
    return model, before, logs.seen


def test_ema_starts_as_a_copy_and_follows_with_beta(tiny_domains, tmp_path):  # noqa: F811
    _, _, model = prepare(tiny_v2_config(tiny_domains, tmp_path, ema_beta=0.9))
    for network, ema in zip(model.translator_networks, model.ema_networks):
        assert [w.shape for w in network.weights] == [w.shape for w in ema.weights]
        for a, b in zip(values(network.weights), values(ema.weights)):
            np.testing.assert_array_equal(a, b)
    kernel = model.generator.from_rgb.kernel
    start = kernel.numpy()
    kernel.assign(start + 1.0)
    model.update_ema()
    np.testing.assert_allclose(model.generator_ema.from_rgb.kernel.numpy(), start + 0.1, rtol=1e-5, atol=1e-6)
    assert not any(w.trainable for ema in model.ema_networks for w in ema.weights)


def test_weight_decay_is_l2_added_to_the_gradient_not_decoupled(tiny_domains, tmp_path):  # noqa: F811
    # A zero loss gradient leaves only wd * w: torch's Adam (beta1 0) then steps by lr * sign(w) on the first
    # update, where AdamW would step by lr * wd * w.
    _, _, model = prepare(tiny_v2_config(tiny_domains, tmp_path, lr=1e-3, weight_decay=1e-2))
    weights = model.discriminator.trainable_variables
    start = values(weights)
    with tf.GradientTape() as tape:
        total = 0.0 * tf.add_n([tf.reduce_sum(w) for w in weights])
    model._apply(tape, total, [(model.d_optimizer, model.discriminator)])
    w, after = start[0].astype(np.float64), weights[0].numpy()
    gradient = 1e-2 * w
    # torch's Adam (TorchAdam) adds epsilon after the bias correction: g / (|g| + 1e-8) on the first step.
    np.testing.assert_allclose(after, w - 1e-3 * gradient / (np.abs(gradient) + 1e-8), rtol=1e-4, atol=1e-7)
    assert np.abs(after - w).min() > 10 * np.abs(1e-3 * gradient).max()  # not AdamW's lr * wd * w


def test_fit_steps_give_finite_losses_and_change_every_network(fitted):
    model, before, logs = fitted
    for name in ("d/latent_real", "d/latent_fake", "d/latent_reg", "d/ref_reg", "g/latent_adv", "g/latent_sty",
                 "g/latent_ds", "g/latent_cyc", "g/ref_adv", "g/ref_cyc"):
        assert np.isfinite([float(step[name]) for step in logs]).all(), name
    for name, start in before.items():
        after = values(getattr(model, name).weights)
        changed = [not np.array_equal(a, b) for a, b in zip(start, after)]
        assert sum(changed) >= 0.9 * len(changed), name  # every kernel; some biases may stay
    g_ema, g = values(model.generator_ema.weights), values(model.generator.weights)
    assert any(not np.allclose(a, b) for a, b in zip(g_ema, g))  # a moving average, not a copy
    assert int(model.step.numpy()) == 3
    # Per iteration: 2 D updates, 2 G updates (latent, reference), 1 F and 1 E update (latent only).
    assert [int(o.iterations.numpy()) for o in (model.d_optimizer, model.g_optimizer, model.f_optimizer,
                                                model.e_optimizer)] == [6, 6, 3, 3]


def test_lambda_ds_decays_inside_the_traced_step(fitted):
    model, _, logs = fitted
    np.testing.assert_allclose([float(step["g/lambda_ds"]) for step in logs], [1.0, 0.75, 0.5])
    assert float(model.lambda_ds.numpy()) == 0.5


def test_inference_functions_and_sample_grids(fitted):
    model, _, _ = fitted
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    domains = np.array([0, 2], np.int32)
    assert model.latent_guided(images, domains, rng.normal(size=(2, 4)).astype(np.float32)).shape == (2, 16, 16, 3)
    out = model.reference_guided(images, images[::-1], domains)
    np.testing.assert_allclose(out, model.generator_ema(images, model.style_encoder_ema(images[::-1], domains)))
    # 16 px tiles enlarged below their names: the source, 3 domains x 3 styles; the reference row named beside.
    latent = latent_grid(model, images, rng.normal(size=(3, 4)))
    assert latent.shape == grid_layout(2, 1 + 3 * 3, 16, grouped=True).shape
    assert reference_grid(model, images, images[:1], domains[:1]).shape == grid_layout(3, 2, 16, row_names=True).shape


def test_train_writes_checkpoints_samples_and_run_file_and_refuses_another_architecture(tiny_domains, tmp_path):  # noqa: F811
    config = tiny_v2_config(tiny_domains, tmp_path)
    train(config)
    assert sorted(f for f in os.listdir(config.model_save_dir) if f.endswith(".index")) == ["ckpt-2.index"]
    assert sorted(os.listdir(config.sample_dir)) == ["000002-latent.png", "000002-reference.png"]
    with open(os.path.join(config.model_save_dir, "run.json")) as f:
        run = json.load(f)
    assert run["model"] == "stargan_v2" and run["layout"] == {"domains": ["happy", "sad", "surprised"]}
    assert run["alignment"] == json.loads(json.dumps(faces.alignment_description(config.image_size, faces.SQUARE)))
    assert read_run_config(config.model_save_dir, type(config)) == config
    with pytest.raises(ConfigError, match="is a stargan_v2 run, not stargan"):
        read_run_config(config.model_save_dir, StarGANConfig)
    # Exact resume (EMA copies and optimizers included) is checked by the SIGTERM test in test_long_runs.py.
    with pytest.raises(ConfigError, match="style_dim: checkpoint has 8, this run has 16"):
        train(tiny_v2_config(tiny_domains, tmp_path, num_iters=4, resume=True, style_dim=16))


def test_training_with_the_high_pass_face_path_needs_the_landmark_network_and_keeps_it(tiny_domains, tmp_path):  # noqa: F811
    """w_hpf > 0 without --wing_path is refused before anything is written; with it the FAN's weights are loaded,
    the masks drive every generator call of the step, and the checkpoints hold the FAN for a resume."""
    config = tiny_v2_config(tiny_domains, tmp_path, image_size=32, w_hpf=1.0)
    with pytest.raises(ConfigError, match=r"--w_hpf=1.0: .*face-landmark network.*--wing_path=.*wing\.ckpt"):
        train(config)
    assert not os.path.exists(config.model_save_dir) or not os.listdir(config.model_save_dir)
    wing = reference_fan.sharpen(reference_fan.randomize(reference_fan.FAN(), seed=3), seed=3)
    torch.save({"state_dict": wing.state_dict()}, tmp_path / "wing.ckpt")
    model = train(dataclasses.replace(config, wing_path=str(tmp_path / "wing.ckpt")))
    first = model.fan.official_weights()["l0.bias"].numpy()
    np.testing.assert_allclose(first, wing.l0.bias.detach().numpy(), rtol=1e-6)
    assert read_run_config(config.model_save_dir, type(config)).wing_path == str(tmp_path / "wing.ckpt")
    (tmp_path / "wing.ckpt").unlink()  # a resume restores the FAN from the checkpoint, not from the moved file
    resumed = train(dataclasses.replace(config, wing_path=str(tmp_path / "wing.ckpt"), num_iters=3, resume=True))
    np.testing.assert_array_equal(resumed.fan.official_weights()["l0.bias"].numpy(), first)
    with pytest.raises(ConfigError, match=r"--wing_path=.*moved\.ckpt"):
        train(tiny_v2_config(tiny_domains, tmp_path / "fresh", image_size=32, w_hpf=1.0,
                             wing_path=str(tmp_path / "moved.ckpt")))
