"""TorchAdam: torch.optim.Adam's update (under loss scaling and MirroredStrategy too), Keras Adam's checkpoints,
and its config round trip."""
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
import torch

from conftest import tiny_config
from parity_helpers import update_difference
from stargan_tf.core import precision
from stargan_tf.core.optimizers import TorchAdam
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare
from stargan_tf.families.stargan.family import build_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def assert_equals_torch(ours: np.ndarray, torch_weights: np.ndarray, steps: int) -> None:
    """Within one float32 rounding of the largest weight per step (the order of the operations on the moments
    and weights differs from torch's by rounding only)."""
    difference = np.abs(ours - torch_weights).max()
    assert difference <= steps * np.spacing(np.abs(torch_weights).max()), difference


def gradients(count: int, size: int, seed: int = 0) -> list[np.ndarray]:
    """Gradients from 1e-10 to 1 in magnitude: where the epsilon placement matters, and where it does not."""
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=size) * 10.0 ** rng.uniform(-10, 0, size)).astype(np.float32) for _ in range(count)]


def torch_adam_weights(initial, steps, **options) -> np.ndarray:
    parameter = torch.nn.Parameter(torch.tensor(initial))
    optimizer = torch.optim.Adam([parameter], **options)
    for gradient in steps:
        parameter.grad = torch.tensor(gradient)
        optimizer.step()
    return parameter.detach().numpy()


@pytest.mark.parametrize("betas, amsgrad", [((0.5, 0.999), False), ((0.0, 0.99), False), ((0.9, 0.999), True)])
def test_steps_equal_torch_adam_where_keras_adam_does_not(betas, amsgrad):
    """StarGAN's betas, StarGAN v2's, and amsgrad; 30 steps."""
    initial, steps = np.random.default_rng(1).normal(size=200).astype(np.float32), gradients(30, 200)
    expected = torch_adam_weights(initial, steps, lr=1e-2, betas=betas, amsgrad=amsgrad)
    results = {}
    for name, optimizer in (("torch", TorchAdam(1e-2, beta_1=betas[0], beta_2=betas[1], amsgrad=amsgrad)),
                            ("keras", keras.optimizers.Adam(1e-2, beta_1=betas[0], beta_2=betas[1], epsilon=1e-8,
                                                            amsgrad=amsgrad))):
        weights = tf.Variable(initial)
        for gradient in steps:
            optimizer.apply_gradients([(tf.constant(gradient), weights)])
        results[name] = weights.numpy()
    assert_equals_torch(results["torch"], expected, len(steps))
    assert update_difference(results["keras"], initial, expected) > 1e-2  # same epsilon value, Keras's placement


def test_under_loss_scaling_the_steps_equal_torch_adam():
    """Wrapped in the LossScaleOptimizer that --precision=mixed_float16 uses, on a scaled loss."""
    initial = np.random.default_rng(2).normal(size=50).astype(np.float32)
    targets = gradients(5, 50, seed=3)
    optimizer = precision.optimizer_for(TorchAdam(1e-2, beta_1=0.5, beta_2=0.999), "mixed_float16")
    assert isinstance(precision.checkpointable(optimizer), TorchAdam)
    weights = tf.Variable(initial)
    for target in targets:  # loss sum(target * w): its gradient is the target
        with tf.GradientTape() as tape:
            loss = optimizer.scale_loss(tf.reduce_sum(target * weights))
        optimizer.apply_gradients([(tape.gradient(loss, weights), weights)])
    assert float(optimizer.dynamic_scale) > 1  # the gradients were scaled, and unscaled before the update
    expected = torch_adam_weights(initial, targets, lr=1e-2, betas=(0.5, 0.999))
    assert_equals_torch(weights.numpy(), expected, len(targets))


def test_under_mirrored_strategy_the_steps_equal_torch_adam(tmp_path):
    """Two replicas, half the batch each: the all-reduced gradient takes torch's update."""
    rng = np.random.default_rng(4)
    data = {"weights": rng.normal(size=(4, 2)).astype(np.float32), "inputs": rng.normal(size=(8, 4)).astype(np.float32),
            "targets": rng.normal(size=(8, 2)).astype(np.float32)}
    np.savez(tmp_path / "data.npz", **data)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([ROOT, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "core", "mirrored_torch_adam.py"),
                    str(tmp_path / "data.npz"), str(tmp_path / "out.npz")], env=env, check=True, timeout=300)
    result = np.load(tmp_path / "out.npz")
    assert int(result["replicas"]) == 2
    weights = torch.nn.Parameter(torch.tensor(data["weights"]))
    optimizer = torch.optim.Adam([weights], lr=1e-2, betas=(0.5, 0.999))
    for _ in range(3):
        optimizer.zero_grad()
        loss = ((torch.tensor(data["inputs"]) @ weights - torch.tensor(data["targets"])) ** 2).sum(1).mean()
        loss.backward()
        optimizer.step()
    assert_equals_torch(result["weights"], weights.detach().numpy(), 3)


def test_a_keras_adam_checkpoint_restores_into_torch_adam(tmp_path):
    """The same slots: iterations, learning rate, momentums and velocities come back, and the next step is torch's."""
    variable = tf.Variable(np.random.default_rng(5).normal(size=6).astype(np.float32))
    keras_adam = keras.optimizers.Adam(1e-2, beta_1=0.5, beta_2=0.999)
    history = gradients(3, 6, seed=6)
    for gradient in history:
        keras_adam.apply_gradients([(tf.constant(gradient), variable)])
    path = tf.train.Checkpoint(optimizer=keras_adam, variable=variable).save(str(tmp_path / "ckpt"))

    restored_variable = tf.Variable(tf.zeros(6))
    torch_adam = TorchAdam(5e-4, beta_1=0.5, beta_2=0.999)
    torch_adam.build([restored_variable])
    tf.train.Checkpoint(optimizer=torch_adam, variable=restored_variable).restore(path).assert_consumed()
    assert [v.name for v in torch_adam.variables] == [v.name for v in keras_adam.variables]
    for ours, theirs in zip(torch_adam.variables, keras_adam.variables):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())

    slots = {v.name.split("_")[-1]: torch.tensor(v.numpy()) for v in keras_adam.variables if v.shape == (6,)}
    parameter = torch.nn.Parameter(torch.tensor(variable.numpy()))
    torch_optimizer = torch.optim.Adam([parameter], lr=1e-2, betas=(0.5, 0.999))
    torch_optimizer.state[parameter] = {"step": torch.tensor(3.0), "exp_avg": slots["momentum"],
                                        "exp_avg_sq": slots["velocity"]}
    step = gradients(1, 6, seed=7)[0]
    parameter.grad = torch.tensor(step)
    torch_optimizer.step()
    torch_adam.apply_gradients([(tf.constant(step), restored_variable)])
    assert_equals_torch(restored_variable.numpy(), parameter.detach().numpy(), 4)


def test_a_training_checkpoint_written_with_keras_adam_resumes_with_torch_adam(tiny_data, tmp_path):
    """A StarGAN checkpoint written with keras Adam (as before TorchAdam) restores into today's build_model."""
    config, data, _ = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", n_critic=1))
    model = build_model(config, data.layout, keras.optimizers.Adam)
    model.fit(data.training_dataset(config), epochs=1, steps_per_epoch=1, shuffle=False, verbose=0)
    path = checkpoint_manager(model, config.model_save_dir, 1).save()

    resumed = build_model(config, data.layout)
    checkpoint_manager(resumed, str(tmp_path / "unused"), 1).checkpoint.restore(path).assert_consumed()
    for ours, theirs in ((resumed.d_optimizer, model.d_optimizer), (resumed.g_optimizer, model.g_optimizer)):
        assert isinstance(ours, TorchAdam) and int(ours.iterations) == 1
        for a, b in zip(ours.variables, theirs.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_config_round_trips():
    optimizer = TorchAdam(2e-4, beta_1=0.5, beta_2=0.999, amsgrad=True)
    config = optimizer.get_config()
    assert config["epsilon"] == 1e-8 and config["beta_1"] == 0.5 and config["learning_rate"] == pytest.approx(2e-4)
    assert TorchAdam.from_config(config).get_config() == config
    copy = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(copy) is TorchAdam and copy.get_config() == config
