"""The official face-landmark network (FAN) in Keras: wing.ckpt's weights load, heatmaps and the generator's masks
equal a PyTorch rebuild of the official code's, and files that do not fit are refused, naming the tensor."""
import numpy as np
import pytest
import tensorflow as tf
import torch

from stargan_tf.families.stargan_v2 import fan
from stargan_tf.interop import torch_reference_fan as reference
from stargan_tf.interop.torch_checkpoint import CheckpointError


@pytest.fixture(scope="module")
def networks(tmp_path_factory):
    """(ours loaded from a wing.ckpt-like file, the torch reference it was written from)."""
    theirs = reference.randomize(reference.FAN(), seed=0)
    path = tmp_path_factory.mktemp("wing") / "wing.ckpt"
    # As training scripts save it: beside the weights (and keys of modules the official FAN lacks), an epoch
    # count and an optimizer state, which the official loader ignores too.
    torch.save({"epoch": 7, "optimizer": {"state": {}, "param_groups": [{"lr": 1e-4, "params": [0, 1]}]},
                "state_dict": {**theirs.state_dict(), "m1.b1_4.conv1.weight": torch.zeros(1)}}, path)
    return fan.load_fan(str(path)), theirs


def _relative_difference(ours, theirs) -> float:
    scale = np.abs(theirs).max()
    assert scale > 1e-2
    return float(np.abs(np.asarray(ours) - theirs).max() / scale)


def test_every_weight_comes_from_one_official_tensor(networks):
    ours, theirs = networks
    keys = ours.official_weights()
    assert len(keys) == len(ours.weights)
    assert set(keys) == {key for key in theirs.state_dict() if not key.endswith("num_batches_tracked")}


def test_heatmaps_equal_the_official_networks_at_256_and_from_a_smaller_image(networks):
    ours, theirs = networks
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    torch_images = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        expected = theirs(torch_images * 0.5 + 0.5).numpy().transpose(0, 2, 3, 1)
    assert _relative_difference(ours(images * 0.5 + 0.5), expected) <= 1e-5
    small = rng.uniform(-1, 1, (1, 128, 128, 3)).astype(np.float32)
    expected = reference.heatmaps_256(theirs, torch.from_numpy(small.transpose(0, 3, 1, 2).copy()))
    assert _relative_difference(fan.heatmaps_256(ours, small), expected.numpy().transpose(0, 2, 3, 1)) <= 1e-5


def test_masks_equal_the_official_preprocessing():
    """On heatmaps shaped like a face's (a blob per landmark): the coarse and the fine mask, both non-trivial."""
    rng = np.random.default_rng(2)
    rows, columns = np.mgrid[0:256, 0:256]
    centres = rng.uniform(60, 200, (2, fan.LANDMARKS, 2))
    heatmaps = np.exp(-((rows - centres[..., :1, None]) ** 2 + (columns - centres[..., 1:, None]) ** 2)
                      / (2 * 6.0 ** 2)).astype(np.float32)  # [N, 98, 256, 256]
    expected = reference.masks_from_heatmaps(torch.from_numpy(heatmaps))
    ours = fan.masks_from_heatmaps(tf.constant(heatmaps.transpose(0, 2, 3, 1)))
    for mask, official in zip(ours, expected):
        official = official.numpy().transpose(0, 2, 3, 1)
        assert 0.01 < official.mean() < 0.5
        np.testing.assert_allclose(mask.numpy(), official, atol=1e-5)
    assert expected[1].sum() < expected[0].sum()  # the fine mask leaves the chin line, lips and eyebrows out


def test_files_that_do_not_fit_are_refused_naming_the_tensor(tmp_path):
    state = reference.FAN().state_dict()
    torch.save(state, tmp_path / "plain.ckpt")
    with pytest.raises(CheckpointError, match="plain.ckpt: expected the official wing.ckpt, a dict with a "
                                              "'state_dict'"):
        fan.load_fan(str(tmp_path / "plain.ckpt"))
    torch.save({"model": state}, tmp_path / "other.ckpt")
    with pytest.raises(CheckpointError, match="expected the official wing.ckpt"):
        fan.load_fan(str(tmp_path / "other.ckpt"))
    broken = {key: value for key, value in state.items() if key != "l0.bias"}
    broken["conv1.conv.weight"] = torch.zeros(64, 5, 7, 7)
    torch.save({"state_dict": broken}, tmp_path / "broken.ckpt")
    with pytest.raises(CheckpointError, match=r"l0\.bias: missing; conv1\.conv\.weight: expected shape "
                                              r"\[64, 6, 7, 7\], found \[64, 5, 7, 7\]"):
        fan.load_fan(str(tmp_path / "broken.ckpt"))
