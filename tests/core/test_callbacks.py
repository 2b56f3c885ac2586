"""Long-run safety in train(): TensorBoard events, stop-and-resume on SIGTERM, the non-finite-loss guard."""
import glob
import os
import signal

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from conftest import tiny_config
from stargan_tf.core.callbacks import NonFiniteError, TrainingInterrupted
from stargan_tf.core.grids import grid_layout
from stargan_tf.families.stargan.data import RunData
from stargan_tf.core.callbacks import CheckpointCallback
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare, train


def weights_of(model):
    return [w.numpy() for w in model.generator.weights + model.discriminator.weights]


def read_events(log_dir):
    """{tag: {step: value (a float, or the decoded image for image summaries)}} from every event file."""
    events = {}
    for path in glob.glob(os.path.join(log_dir, "events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                tensor = tf.make_ndarray(value.tensor)
                if value.metadata.plugin_data.plugin_name == "images":
                    tensor = tf.io.decode_png(tensor[2]).numpy()  # [width, height, png...]
                events.setdefault(value.tag, {})[event.step] = tensor
    return events


def test_tensorboard_holds_losses_learning_rates_speed_and_sample_grids(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, num_iters=4, num_iters_decay=2, log_step=2, sample_step=2)
    train(config)
    events = read_events(config.log_dir)
    scalars = ["d/loss_real", "d/loss_fake", "d/loss_cls", "d/loss_gp", "g/loss_fake", "g/loss_cls", "g/loss_rec",
               "d/lr", "g/lr", "speed/images_per_second", "speed/iterations_per_second"]
    assert sorted(events) == sorted(scalars + ["samples/celeba", "samples/rafd"])
    for tag in scalars:
        assert sorted(events[tag]) == [2, 4], tag
        assert all(np.isfinite(float(value)) for value in events[tag].values()), tag
    # Logged at the end of iterations 1 and 3 (0-based): full rate, then half way down the 2-iteration decay.
    assert float(events["d/lr"][2]) == pytest.approx(1e-4) and float(events["d/lr"][4]) == pytest.approx(5e-5)
    assert float(events["g/lr"][4]) == pytest.approx(5e-5)
    assert float(events["d/loss_gp"][2]) >= 0 and float(events["speed/images_per_second"][4]) > 0
    # Rows: 4 CelebA test images, 8 RaFD images; columns: the input and its 5 + 8 translations, grouped by dataset;
    # 16 px tiles, enlarged and named as in the PNG files.
    assert events["samples/celeba"][4].shape == grid_layout(4, 14, 16, grouped=True).shape
    assert events["samples/rafd"][2].shape == grid_layout(8, 14, 16, grouped=True).shape
    assert sorted(events["samples/rafd"]) == [2, 4]
    np.testing.assert_array_equal(events["samples/rafd"][4],
                                  np.asarray(Image.open(os.path.join(config.sample_dir, "000004-rafd.png"))))


class SignalAtStep(keras.callbacks.Callback):
    """Sends a signal to this process when the given train step ends, as a preemption would."""

    def __init__(self, step, number):
        super().__init__()
        self.step, self.number = step, number

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.step.numpy()) == self.step:
            os.kill(os.getpid(), self.number)


def test_sigterm_checkpoints_and_the_resumed_run_matches_an_uninterrupted_one(tiny_data, tmp_path):
    # 6 iterations of both datasets, decaying over the last 4, a G update every 2nd iteration, checkpoints
    # every 4: SIGTERM mid-iteration 3 stops after it (step 6), off the checkpoint schedule and between G updates.
    settings = dict(num_iters=6, num_iters_decay=4, n_critic=2, model_save_step=4, sample_step=4)
    through = train(tiny_config(tiny_data, tmp_path / "through", **settings))
    config = tiny_config(tiny_data, tmp_path / "interrupted", **settings)
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(TrainingInterrupted, match="stopped by SIGTERM at iteration 3 of 6; checkpoint .*ckpt-3;"):
        train(config, callbacks=[SignalAtStep(5, signal.SIGTERM)])
    assert signal.getsignal(signal.SIGTERM) is handler
    assert tf.train.load_checkpoint(os.path.join(config.model_save_dir, "ckpt-3")).get_tensor(
        "step/.ATTRIBUTES/VARIABLE_VALUE") == 6
    resumed = train(config)
    assert int(resumed.step.numpy()) == int(through.step.numpy()) == 12
    for a, b in ((resumed.d_optimizer, through.d_optimizer), (resumed.g_optimizer, through.g_optimizer)):
        assert int(a.iterations.numpy()) == int(b.iterations.numpy())
        assert float(a.learning_rate.numpy()) == float(b.learning_rate.numpy())
    assert int(resumed.g_optimizer.iterations.numpy()) == 6  # iterations 1, 3, 5, one update per dataset
    for a, b in zip(weights_of(resumed), weights_of(through)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def poison_batch(monkeypatch, poisoned_step):
    """Makes the training input's batch number `poisoned_step` (0-based) all NaN images."""
    original = RunData.training_dataset

    def poisoned(self, config, start_step=0):
        def poison(index, batch):
            nan = tf.fill(tf.shape(batch["image"]), float("nan"))
            return dict(batch, image=tf.where(index + start_step == poisoned_step, nan, batch["image"]))
        return original(self, config, start_step).enumerate().map(poison)

    monkeypatch.setattr(RunData, "training_dataset", poisoned)


def test_nan_loss_stops_naming_loss_and_step_and_keeps_the_last_good_checkpoint(tiny_data, tmp_path, monkeypatch):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=8, model_save_step=1, keep_checkpoints=2)
    poison_batch(monkeypatch, poisoned_step=4)
    with pytest.raises(NonFiniteError, match=r"non-finite loss at step 5 \(iteration 5\): d/loss_cls = nan, "
                                             r"d/loss_fake = nan, d/loss_real = nan; the last checkpoint"):
        train(config)
    state = tf.train.get_checkpoint_state(config.model_save_dir)
    assert [os.path.basename(path) for path in state.all_model_checkpoint_paths] == ["ckpt-3", "ckpt-4"]
    for path in state.all_model_checkpoint_paths:
        reader = tf.train.load_checkpoint(path)
        for name, dtype in reader.get_variable_to_dtype_map().items():
            assert not dtype.is_floating or np.isfinite(reader.get_tensor(name)).all(), (path, name)
    assert not glob.glob(os.path.join(config.model_save_dir, "ckpt-5*"))


def test_checkpoint_callback_refuses_nan_weights(tiny_data, tmp_path):
    config, _, model = prepare(tiny_config(tiny_data, tmp_path))
    manager = checkpoint_manager(model, config.model_save_dir, 3)
    callback = CheckpointCallback(manager, 1)
    callback.set_model(model)
    callback.on_iteration(1, {})
    model.generator.weights[0].assign(tf.fill(model.generator.weights[0].shape, float("inf")))
    with pytest.raises(NonFiniteError, match=f"not saving checkpoint 2: variable {model.generator.weights[0].path} "
                                             "holds NaN or infinite values"):
        callback.on_iteration(2, {})
    assert manager.latest_checkpoint.endswith("ckpt-1") and len(manager.checkpoints) == 1
