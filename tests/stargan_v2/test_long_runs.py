"""StarGAN v2 runs get StarGAN's long-run safety: TensorBoard, SIGTERM and exact resume, the NaN guard."""
import glob
import os
import signal

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_v2_config
from core.test_callbacks import SignalAtStep, read_events
from stargan_tf import families
from stargan_tf.core.callbacks import NonFiniteError, TrainingInterrupted
from stargan_tf.core.grids import grid_layout
from stargan_tf.core.trainer import train

LOSSES = [f"d/{mode}_{name}" for mode in ("latent", "ref") for name in ("real", "fake", "reg")] + [
    f"g/{mode}_{name}" for mode in ("latent", "ref") for name in ("adv", "sty", "ds", "cyc")]


def weights_of(model):
    return [weight.numpy() for network in model.networks.values() for weight in network.weights]


# Five iterations, lambda_ds decaying over four; the uninterrupted run is also the one whose TensorBoard is read.
SETTINGS = dict(num_iters=5, ds_iter=4, log_step=2, sample_step=2, model_save_step=4)


@pytest.fixture(scope="module")
def uninterrupted(tiny_domains, tmp_path_factory):
    """(config, trained model) of a run of SETTINGS without interruption."""
    config = tiny_v2_config(tiny_domains, tmp_path_factory.mktemp("uninterrupted"), **SETTINGS)
    return config, train(config)


def test_tensorboard_holds_every_loss_lambda_ds_learning_rates_speed_and_grids(uninterrupted):
    events = read_events(uninterrupted[0].log_dir)
    scalars = LOSSES + ["g/lambda_ds", "g/lr", "f/lr", "e/lr", "d/lr", "speed/images_per_second",
                        "speed/iterations_per_second"]
    assert sorted(events) == sorted(scalars + ["samples/latent", "samples/reference"])
    for tag in scalars:
        assert sorted(events[tag]) == [2, 4], tag
        assert all(np.isfinite(float(value)) for value in events[tag].values()), tag
    # lambda_ds at steps 1 and 3 (0-based) of a decay to 0 over 4 steps; F's learning rate is its own.
    assert float(events["g/lambda_ds"][2]) == pytest.approx(0.75) and float(events["g/lambda_ds"][4]) == 0.25
    assert float(events["f/lr"][2]) == pytest.approx(1e-6) and float(events["g/lr"][2]) == pytest.approx(1e-4)
    # Latent grid: 2 sources per domain x (source + 3 domains x 3 styles, styles grouped under their domain);
    # reference grid: references on top, named beside; 16 px tiles, enlarged and named.
    assert sorted(events["samples/latent"]) == [2, 4, 5]  # and at the end
    assert events["samples/latent"][4].shape == grid_layout(6, 10, 16, grouped=True).shape
    assert events["samples/reference"][2].shape == grid_layout(7, 4, 16, row_names=True).shape


def test_sigterm_checkpoints_and_the_resumed_run_matches_an_uninterrupted_one(uninterrupted, tiny_domains,
                                                                                tmp_path):
    through = uninterrupted[1]
    config = tiny_v2_config(tiny_domains, tmp_path / "interrupted", **SETTINGS)
    # Sent at the end of step 2, after the stop callback ran: the run stops at the end of the next iteration.
    with pytest.raises(TrainingInterrupted, match="stopped by SIGTERM at iteration 3 of 5; checkpoint .*ckpt-3;"):
        train(config, callbacks=[SignalAtStep(2, signal.SIGTERM)])
    resumed = train(config)
    assert int(resumed.step.numpy()) == int(through.step.numpy()) == 5
    for name in resumed.optimizer_targets:
        assert int(getattr(resumed, name).iterations.numpy()) == int(getattr(through, name).iterations.numpy())
    assert float(resumed.lambda_ds.numpy()) == float(through.lambda_ds.numpy()) == 0.0
    for a, b in zip(weights_of(resumed), weights_of(through)):  # EMA copies included
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_nan_loss_stops_naming_the_losses_and_keeps_the_last_good_checkpoint(tiny_domains, tmp_path, monkeypatch):
    family = families.get("stargan_v2")
    original = type(family).training_dataset

    def poisoned(self, config, data, start_step):
        def poison(index, batch):
            nan = tf.fill(tf.shape(batch["x_src"]), float("nan"))
            return dict(batch, x_src=tf.where(index + start_step == 3, nan, batch["x_src"]))
        return original(self, config, data, start_step).enumerate().map(poison)

    monkeypatch.setattr(type(family), "training_dataset", poisoned)
    config = tiny_v2_config(tiny_domains, tmp_path, num_iters=6, model_save_step=1, keep_checkpoints=2)
    with pytest.raises(NonFiniteError, match=r"non-finite loss at step 4 \(iteration 4\): .*d/latent_real = nan"):
        train(config)
    state = tf.train.get_checkpoint_state(config.model_save_dir)
    assert [os.path.basename(path) for path in state.all_model_checkpoint_paths] == ["ckpt-2", "ckpt-3"]
    reader = tf.train.load_checkpoint(state.model_checkpoint_path)
    for name, dtype in reader.get_variable_to_dtype_map().items():
        assert not dtype.is_floating or np.isfinite(reader.get_tensor(name)).all(), name
    assert not glob.glob(os.path.join(config.model_save_dir, "ckpt-4*"))
