"""Comparisons shared by the step-parity tests of both families (ours against a PyTorch rebuild of the official
training code)."""
import numpy as np
import pytest
import torch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The tiny torch references run several times faster on one thread than competing with TensorFlow's pool."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def update_difference(ours: np.ndarray, before: np.ndarray, after: np.ndarray) -> float:
    """max |ours - official| over max |official update| of one tensor (all three in the same layout)."""
    update = np.abs(after - before).max()
    assert update > 0, "the official tensor did not move: comparing it would mean nothing"
    return float(np.abs(ours - after).max() / update)


def loss_differences(steps) -> dict:
    """For [(official losses, our logs)], the largest relative difference of each loss the official step logged."""
    worst = {}
    for theirs, ours in steps:
        for name, value in theirs.items():
            worst[name] = max(worst.get(name, 0.0), abs(ours[name] - value) / abs(value))
    return worst


def worst(differences: dict) -> tuple:
    """(name, value) of the largest difference."""
    name = max(differences, key=differences.get)
    return name, differences[name]


def aggregate_difference(triples) -> float:
    """For [(ours, official before, official after)] over a network's tensors: the L2 norm of ours - official over
    the L2 norm of the official update. Robust to the few entries float32 chaos flips (see the v2 test)."""
    difference = sum(float(np.sum((ours - after) ** 2)) for ours, _, after in triples)
    update = sum(float(np.sum((after - before) ** 2)) for _, before, after in triples)
    assert update > 0, "the official network did not move: comparing it would mean nothing"
    return (difference / update) ** 0.5
