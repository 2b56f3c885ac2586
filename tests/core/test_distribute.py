"""Distributed training: 2 mirrored replicas equal one device; 2 workers stay in sync, resume, survive a kill.

The multi-worker code is the same for every family (StarGAN v2 is tested under MirroredStrategy, the same replica
code), so the worker tests run StarGAN.

The CPU is split into logical devices and workers run on 127.0.0.1, each in its own process with a timeout.
"""
import dataclasses
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import tiny_config, tiny_v2_config
from stargan_tf.core.config import ConfigError
from stargan_tf.core.distribute import weights_fingerprint
from stargan_tf.core.trainer import train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 600  # Seconds a subprocess may take before the test fails instead of hanging CI.
ITERATIONS = 12


def environment(**extra):
    path = os.pathsep.join([ROOT, os.path.join(ROOT, "tests")])
    return dict(os.environ, PYTHONPATH=path, TF_CPP_MIN_LOG_LEVEL="2", **extra)


# The self-attention variant adds spectral normalization, whose power-iteration vectors are updated in training
# calls (non-trainable variables written in replica context), and the hinge loss; and the moving average of G
# (also written in replica context).
VARIANTS = {"paper": {}, "attention_spectral_hinge": dict(g_attention_at=["res0"], d_attention_at=["conv0"],
                                                          d_spectral_norm=True, adv_loss="hinge", g_ema_beta=0.5)}


def mirrored_run(config, tmp_path, steps, loop=True):
    """The .npz of tests/mirrored_run.py: one device by model.fit, by distribute.fit (with loop: the loop is the
    same for every model, so one model checks it), and 2 mirrored replicas."""
    output = tmp_path / "weights.npz"
    subprocess.run([sys.executable, os.path.join(ROOT, "tests", "mirrored_run.py"), str(output),
                    json.dumps({"model": config.model_name, "config": config.to_dict(), "loop": loop}), str(steps)],
                   env=environment(), check=True, timeout=TIMEOUT)
    arrays = np.load(output)
    assert int(arrays["replicas"]) == 2
    count = len([key for key in arrays if key.startswith("fit/weight")])
    networks = int(arrays["networks"])
    assert count > networks >= 28  # the networks' weights, then the optimizers' state
    for index in range(count if loop else 0):  # distribute.fit on one device is model.fit, bit for bit.
        np.testing.assert_array_equal(arrays[f"loop/weight{index}"], arrays[f"fit/weight{index}"])
    for key in [key for key in arrays if loop and key.startswith("fit/log/")]:
        np.testing.assert_array_equal(arrays[f"loop/log/{key[8:]}"], arrays[key], err_msg=key)
    assert any(not np.array_equal(arrays[f"initial/weight{index}"], arrays[f"fit/weight{index}"])
               for index in range(networks))
    return arrays, count, networks


def without_zero_gradient_taps(array):
    """The array with the centre taps of G's first 7x7 convolution on the label channels zeroed (for the kernel and
    its Adam slots): the labels are constant over the image, so those taps add a constant per channel that the
    instance norm after them removes. Their exact gradient is zero, and Adam (torch's epsilon, 1e-8) turns the
    rounding noise they get into steps of +-lr."""
    if array.ndim == 4 and array.shape[:2] == (7, 7) and array.shape[2] > 3:
        array = array.copy()
        array[3, 3, 3:] = 0.0
    return array


@pytest.mark.parametrize("variant", VARIANTS)
def test_mirrored_two_replicas_match_one_device(tiny_data, tmp_path, variant):
    config = tiny_config(tiny_data, tmp_path, batch_size=8, n_critic=2, num_iters_decay=0, **VARIANTS[variant])
    arrays, count, _ = mirrored_run(config, tmp_path, steps=4, loop=variant == "paper")
    for index in range(count):
        expected = without_zero_gradient_taps(arrays[f"fit/weight{index}"])
        # Two replicas of 4 = one device of 8, up to float summation order (relative to the tensor's norm).
        difference = np.linalg.norm(without_zero_gradient_taps(arrays[f"mirrored/weight{index}"]) - expected)
        assert difference <= 1e-4 * np.linalg.norm(expected), index
    for key in [key for key in arrays if key.startswith("fit/log/")]:
        np.testing.assert_allclose(arrays[f"mirrored/log/{key[8:]}"], arrays[key], rtol=1e-5, err_msg=key)
    assert arrays["fit/log/g/loss_rec"][0] > 0  # The run included G updates.


def test_mirrored_two_replicas_match_one_device_for_stargan_v2(tiny_domains, tmp_path):
    """One official iteration (2 D and 2 G updates, EMA) on 2 replicas of 4 against one device of 8.

    StarGAN v2's Adam (beta1 = 0) makes its first steps about lr * sign(gradient), and its leaky ReLUs flip on
    float summation differences, so single weights can move in opposite directions: the weights are compared as
    a whole against the update's size, and the gradients' scale through Adam's second moments.
    """
    arrays, count, networks = mirrored_run(tiny_v2_config(tiny_domains, tmp_path, batch_size=8), tmp_path, steps=1,
                                           loop=False)
    logs = [key[8:] for key in arrays if key.startswith("fit/log/")]
    for name in logs:  # D's first losses come before any update; the later ones after updates of ~lr.
        rtol = 1e-5 if name.startswith("d/latent") else 1e-4
        np.testing.assert_allclose(arrays[f"mirrored/log/{name}"], arrays[f"fit/log/{name}"], rtol=rtol, err_msg=name)
    difference = sum(np.sum((arrays[f"mirrored/weight{i}"] - arrays[f"fit/weight{i}"]) ** 2) for i in range(networks))
    update = sum(np.sum((arrays[f"fit/weight{i}"] - arrays[f"initial/weight{i}"]) ** 2) for i in range(networks))
    assert np.sqrt(difference / update) < 0.1
    # A loss scaled wrong per replica would scale the second moments by its square.
    moments = [np.linalg.norm(arrays[f"mirrored/weight{i}"] - arrays[f"fit/weight{i}"])
               / np.linalg.norm(arrays[f"fit/weight{i}"]) for i in range(networks, count)
               if arrays[f"fit/weight{i}"].ndim >= 2 and np.linalg.norm(arrays[f"fit/weight{i}"]) > 0]
    assert len(moments) > 50 and np.median(moments) < 1e-2


def test_strategy_flags_are_checked(tiny_data, tmp_path):
    with pytest.raises(ConfigError, match="--strategy='tpu': expected one of default, mirrored, multi_worker"):
        tiny_config(tiny_data, tmp_path, strategy="tpu")
    with pytest.raises(ConfigError, match="--devices=/gpu:0 needs --strategy=mirrored"):
        tiny_config(tiny_data, tmp_path, devices=("/gpu:0",))
    with pytest.raises(ConfigError, match="--devices: no device /gpu:7 here"):
        train(tiny_config(tiny_data, tmp_path, strategy="mirrored", devices=("/gpu:7",)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """Two scripts/train.py --strategy=multi_worker processes on 127.0.0.1 sharing one model_save_dir."""

    def __init__(self, config, run_dir):
        self.config, self.run_dir, self.launches = config, run_dir, 0

    def start(self):
        self.launches += 1
        cluster = {"worker": [f"127.0.0.1:{free_port()}" for _ in range(2)]}
        self.processes, self.outputs = [], []
        for index in range(2):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})
            output = self.run_dir / f"worker{index}-launch{self.launches}.log"
            flags = [f"--{name}={','.join(value) if isinstance(value, list) else value}"
                     for name, value in self.config.to_dict().items() if name not in ("resume", "devices")]
            flags += ["--resume", "--strategy=multi_worker", f"--sample_dir={self.run_dir}/samples{index}",
                      f"--model={self.config.model_name}"]
            with open(output, "w") as log:
                self.processes.append(subprocess.Popen(
                    [sys.executable, os.path.join(ROOT, "scripts", "train.py")] + flags,
                    env=environment(TF_CONFIG=tf_config), stdout=log, stderr=subprocess.STDOUT))
            self.outputs.append(output)
        return self

    def wait(self):
        codes = [process.wait(timeout=TIMEOUT) for process in self.processes]
        return codes

    def log(self, index):
        return self.outputs[index].read_text()

    def fingerprints(self):
        return [re.findall(r"weights fingerprint (\w+)", self.log(index))[-1] for index in range(2)]

    def kill(self):
        for process in self.processes:
            if process.poll() is None:
                process.kill()


@pytest.fixture(scope="module")
def finished_cluster(tiny_data, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("two_workers")
    config = tiny_config(tiny_data, run_dir, num_iters=ITERATIONS, num_iters_decay=0, model_save_step=4,
                         sample_step=ITERATIONS)
    cluster = Cluster(config, run_dir).start()
    try:
        assert cluster.wait() == [0, 0], cluster.log(0) + cluster.log(1)
    finally:
        cluster.kill()
    return cluster


def test_two_workers_end_with_identical_weights_and_only_the_chief_writes(finished_cluster):
    first, second = finished_cluster.fingerprints()
    assert first == second
    run_dir = finished_cluster.run_dir
    assert sorted(os.listdir(run_dir / "samples0")) == [f"{ITERATIONS:06d}-celeba.png", f"{ITERATIONS:06d}-rafd.png"]
    assert not (run_dir / "samples1").exists()
    assert f"trained to step {2 * ITERATIONS};" in finished_cluster.log(1)


def test_chief_checkpoint_resumes_on_one_device(finished_cluster):
    config = dataclasses.replace(finished_cluster.config, resume=True,
                                 sample_dir=str(finished_cluster.run_dir / "single_device_samples"))
    restored = train(config)  # The run is complete: this only restores.
    assert weights_fingerprint(restored) == finished_cluster.fingerprints()[0]
    continued = train(dataclasses.replace(config, num_iters=ITERATIONS + 1))
    assert int(continued.step.numpy()) == 2 * (ITERATIONS + 1)


def test_killed_worker_restarts_and_training_finishes_from_the_backup(finished_cluster, tmp_path):
    config = dataclasses.replace(finished_cluster.config, model_save_dir=str(tmp_path / "models"))
    cluster = Cluster(config, tmp_path).start()
    try:
        checkpoint = tmp_path / "models" / "ckpt-4.index"
        deadline = time.time() + TIMEOUT
        while not checkpoint.exists() and time.time() < deadline and cluster.processes[0].poll() is None:
            time.sleep(0.02)
        assert checkpoint.exists() and cluster.processes[1].poll() is None, cluster.log(0)
        cluster.processes[1].send_signal(signal.SIGKILL)
        # The survivor's collectives are aborted: it exits with an error telling to restart everyone.
        assert cluster.processes[0].wait(timeout=TIMEOUT) != 0
        assert "a worker of the cluster is gone" in cluster.log(0)
        cluster.start()  # What a cluster manager does: restart every worker with the same command.
        assert cluster.wait() == [0, 0], cluster.log(0) + cluster.log(1)
    finally:
        cluster.kill()
    for index in range(2):
        resumed = re.search(r"resumed from \S+ckpt-(\d+) at step", cluster.log(index))
        assert resumed and int(resumed.group(1)) >= 4
    # Exact resume: the same weights as the uninterrupted run.
    assert cluster.fingerprints() == finished_cluster.fingerprints()

