"""StarGAN v2 training iterations against the official core/solver.py code path (rebuilt in PyTorch, official
layout) from identical weights and inputs: the weights of G, F, E, D and of the moving averages, and every
logged loss, must agree. The Keras model is built as training_v2.build_model builds it, with the optimizers
passed to compile() here.

The generator is chaotic at float32 resolution: its leaky ReLUs make its gradient jump where a forward value
crosses zero, and the two frameworks' forward passes differ by about 1e-6 (relative), which flips a few
units. Adam's first steps, close to lr * sign(gradient), turn the small entries of the changed gradient into
steps of the other sign. The official code against itself, with its weights multiplied by 1 + 1e-6 * noise,
gives generator updates that differ by 4% (L2) after one iteration, as ours do. Networks whose gradients pass
through the generator's output (E in the G step, and everything after the first G update) inherit some of it.
So D and F, which the chaos does not reach in the first iteration, are compared entry by entry; E and G by the
L2 norm of the difference; later iterations by losses and L2 norms.
"""
import functools
import os

import numpy as np
import pytest
import tensorflow as tf
import torch

from parity_helpers import (aggregate_difference, loss_differences, one_torch_thread,  # noqa: F401 (fixture)
                            update_difference, worst)
from stargan_tf.families.stargan_v2.config import StarGANv2Config
from stargan_tf.core.optimizers import TorchAdam
from stargan_tf.interop import torch_reference_fan as reference_fan
from stargan_tf.interop import torch_reference_v2 as reference
from stargan_tf.families.stargan_v2.fan import load_fan_weights
from stargan_tf.families.stargan_v2.official import NETWORKS, keras_weights_from_official_v2, load_official_v2
from stargan_tf.families.stargan_v2.family import build_model

DOMAINS = ("cat", "dog", "wild")
ENTRYWISE_TOLERANCE = 1e-2  # D and F after one iteration: max |ours - official| / max |update| per tensor
# With the face path (FAN masks that cover part of the image), the networks are more sensitive to 1e-6 changes:
# over three seeds ours differ from the official by at most D 0.012, F 0.005 (entrywise), E 0.016, G 0.053 (L2);
# the official code against itself (weights times 1 + 1e-6 * noise) by up to D 0.034, F 0.047, E 0.032, G 0.045.
FACE_PATH_ENTRYWISE_TOLERANCE = 0.05
FACE_PATH_AGGREGATE_TOLERANCE = {"style_encoder": 0.05, "generator": 0.1}
# L2 of ours - official over L2 of the update, per network, after one iteration. Measured over three seeds: E at
# most 7e-4, G at most 0.042 (the official code against itself: 0.044). A loss weight off by 5% gives E 0.07.
AGGREGATE_TOLERANCE = {"style_encoder": 1e-2, "generator": 0.1}
LOSS_TOLERANCE = 1e-5  # relative, the losses computed before the iteration's first G update
AFTER_G_LOSS_TOLERANCE = 1e-3  # relative, the reference-guided G step's losses (measured 5e-5)
# Relative, every loss of every iteration: measured 2e-4; the official code against itself (weights times
# 1 + 1e-6 * noise) differs by up to 5e-4 over three iterations.
TRAJECTORY_LOSS_TOLERANCE = 1e-2
TRAJECTORY_TOLERANCE = 0.1  # L2 per network after the last iteration (measured at most 0.05)


def parity_config(**overrides) -> StarGANv2Config:
    """Tiny networks at 32x32 (the smallest size the official generator builds at); lambda_ds decays over 2.

    F's learning rate is 1e-4 instead of the official 1e-6: a 1e-6 step is only about 30 float32 steps of a
    weight of 0.3, too coarse to compare updates with. The moving average's beta is 0.5 instead of 0.999 for
    the same reason (a 0.999 average moves by 1e-3 of an update).
    """
    values = dict(image_size=32, base_dim=8, max_conv_dim=16, mapping_dim=16, style_dim=8, latent_dim=4,
                  batch_size=4, ds_iter=2, f_lr=1e-4, ema_beta=0.5)
    values.update(overrides)
    return StarGANv2Config(**values).validate()


def official_and_keras(config, optimizer, seed: int = 0, wing_dir=None):
    """(OfficialTrainerV2, our model) from the same random weights, imported from the official layout; with the face
    path (w_hpf > 0), a random FAN passed to ours as a wing.ckpt written in wing_dir."""
    c = config
    nets = {"generator": reference.Generator(c.image_size, c.style_dim, c.max_conv_dim, c.base_dim, w_hpf=c.w_hpf),
            "mapping_network": reference.MappingNetwork(len(DOMAINS), c.latent_dim, c.style_dim, c.mapping_dim),
            "style_encoder": reference.StyleEncoder(len(DOMAINS), c.image_size, c.style_dim, c.max_conv_dim,
                                                    c.base_dim),
            "discriminator": reference.Discriminator(len(DOMAINS), c.image_size, c.max_conv_dim, c.base_dim)}
    for index, net in enumerate(nets.values()):
        reference.randomize(net, seed + index)
    model = build_model(config, DOMAINS, functools.partial(optimizer, epsilon=1e-8))
    checkpoint = {name: net.state_dict() for name, net in nets.items()}
    load_official_v2(dict(zip(NETWORKS, model.translator_networks + (model.discriminator,))), checkpoint)
    load_official_v2(dict(zip(NETWORKS, model.ema_networks)), checkpoint)
    fan = None
    if c.w_hpf > 0:
        fan = reference_fan.sharpen(reference_fan.randomize(reference_fan.FAN(), seed + len(nets)), seed, c.image_size)
        torch.save({"state_dict": fan.state_dict()}, os.path.join(wing_dir, "wing.ckpt"))
        load_fan_weights(model.fan, os.path.join(wing_dir, "wing.ckpt"))
    return reference.OfficialTrainerV2(nets, config, config.ema_beta, fan), model


def draw_inputs(config, rng) -> dict:
    """One iteration's inputs (NHWC images, int domains, latent codes), as the official InputFetcher gives them."""
    n, size = config.batch_size, config.image_size
    images = lambda: rng.uniform(-1, 1, (n, size, size, 3)).astype(np.float32)  # noqa: E731
    domains = lambda: rng.integers(0, len(DOMAINS), n).astype(np.int32)  # noqa: E731
    latents = lambda: rng.normal(size=(n, config.latent_dim)).astype(np.float32)  # noqa: E731
    return {"x_src": images(), "y_src": domains(), "x_ref": images(), "x_ref2": images(), "y_ref": domains(),
            "z_trg": latents(), "z_trg2": latents()}


def to_torch(value: np.ndarray) -> torch.Tensor:
    """NHWC images to NCHW, int32 domains to int64 (torch indexes with longs)."""
    if value.ndim == 4:
        return torch.from_numpy(value.transpose(0, 3, 1, 2).copy())
    return torch.from_numpy(value.astype(np.int64) if value.dtype == np.int32 else value)


def train_both(config, optimizer, iterations: int, compare_after=(), seed: int = 0, wing_dir=None):
    """Both trained for `iterations` official iterations on the same inputs.

    Returns ({iterations done: {network name: [(ours, official before, official after)] per tensor}} for the
    counts in compare_after, [(official losses, our logs)] per iteration, the official lambda_ds per iteration).
    """
    trainer, model = official_and_keras(config, optimizer, seed, wing_dir)
    pairs = [(name, trainer.nets[name], ours) for name, ours in zip(NETWORKS, model.translator_networks + (model.discriminator,))]
    pairs += [(f"{name}_ema", trainer.nets_ema[name], ema) for name, ema in zip(NETWORKS, model.ema_networks)]
    initial = [keras_weights_from_official_v2(ours, net.state_dict()) for _, net, ours in pairs]
    rng, steps, lambda_ds, snapshots = np.random.default_rng(seed), [], [], {}
    for done in range(1, iterations + 1):
        inputs = draw_inputs(config, rng)
        lambda_ds.append(trainer.lambda_ds)
        logs = model.train_step({key: tf.constant(value) for key, value in inputs.items()})
        theirs = trainer.iteration(**{key: to_torch(value) for key, value in inputs.items()})
        steps.append((theirs, {key: float(value) for key, value in logs.items()}))
        if done in compare_after:
            snapshots[done] = {
                name: [(variable.numpy(), before, after) for (variable, before), (_, after)
                       in zip(befores, keras_weights_from_official_v2(ours, net.state_dict()))]
                for (name, net, ours), befores in zip(pairs, initial)}
    return snapshots, steps, lambda_ds


def entrywise(triples) -> float:
    """The largest update_difference over a network's tensors."""
    return max(update_difference(*triple) for triple in triples)


@pytest.fixture(scope="module")
def trained():
    """Three iterations (lambda_ds 1, 0.5, 0), the weights compared after the first and the last."""
    return train_both(parity_config(), TorchAdam, iterations=3, compare_after=(1, 3))


@pytest.fixture(scope="module")
def trained_with_face_path(tmp_path_factory):
    """One iteration with the high-pass face path (w_hpf 1, the CelebA-HQ layout): masks of the real images in
    every step, the cycle's of the fake ones, from the same random FAN."""
    return train_both(parity_config(w_hpf=1.0), TorchAdam, iterations=1, compare_after=(1,),
                      wing_dir=str(tmp_path_factory.mktemp("wing")))


@pytest.mark.parametrize("run", ["trained", "trained_with_face_path"])
def test_one_iteration_equals_the_official_iteration(run, request):
    """Two D updates, G+F+E then G updates, the weight decay and the moving averages, then every logged loss."""
    snapshots, steps, _ = request.getfixturevalue(run)
    after_one = snapshots[1]
    face_path = run == "trained_with_face_path"
    tolerance = FACE_PATH_ENTRYWISE_TOLERANCE if face_path else ENTRYWISE_TOLERANCE
    for name in ("discriminator", "mapping_network", "mapping_network_ema"):
        assert entrywise(after_one[name]) <= tolerance, (name, entrywise(after_one[name]))
    for name, tolerance in (FACE_PATH_AGGREGATE_TOLERANCE if face_path else AGGREGATE_TOLERANCE).items():
        for network in (name, f"{name}_ema"):
            difference = aggregate_difference(after_one[network])
            assert difference <= tolerance, (network, difference)
    losses = loss_differences(steps[:1])
    assert len(losses) == 14  # D latent/ref: real, fake, reg; G latent/ref: adv, sty, ds, cyc
    before_g = {name: value for name, value in losses.items() if not name.startswith("g/ref")}
    assert worst(before_g)[1] <= LOSS_TOLERANCE, worst(before_g)
    assert worst(losses)[1] <= AFTER_G_LOSS_TOLERANCE, worst(losses)


def test_iterations_follow_the_official_trajectory_through_the_diversity_weight_decay(trained):
    """lambda_ds as the official decrement gives it, the losses of every iteration, then every network."""
    snapshots, steps, official_lambda_ds = trained
    assert [ours["g/lambda_ds"] for _, ours in steps] == official_lambda_ds == [1.0, 0.5, 0.0]
    assert worst(loss_differences(steps))[1] <= TRAJECTORY_LOSS_TOLERANCE, worst(loss_differences(steps))
    for name, triples in snapshots[3].items():
        assert aggregate_difference(triples) <= TRAJECTORY_TOLERANCE, (name, aggregate_difference(triples))
