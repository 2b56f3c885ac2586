"""Checkpoint recovery after a crash: unit cases for each half-done save, and a real SIGKILL/SIGINT test."""
import glob
import logging
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from conftest import tiny_config
from stargan_tf.core.config import ConfigError
from stargan_tf.core.run_dir import checkpoint_manager, recover_checkpoints
from stargan_tf.core.trainer import prepare

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def save_numbered(directory, numbers):
    """A CheckpointManager (keeping 3) over one variable set to n, saved as ckpt-n for each n."""
    variable = tf.Variable(0.0)
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(value=variable), directory, max_to_keep=3)
    for number in numbers:
        variable.assign(float(number))
        manager.save(checkpoint_number=number)
    return manager


def recorded(directory):
    state = tf.train.get_checkpoint_state(directory)
    return [os.path.basename(path) for path in state.all_model_checkpoint_paths] if state else []


def value_of(prefix):
    return float(tf.train.load_checkpoint(prefix).get_tensor("value/.ATTRIBUTES/VARIABLE_VALUE"))


def test_a_clean_directory_is_left_alone(tmp_path, caplog):
    save_numbered(str(tmp_path), [1, 2, 3])
    before = sorted(os.listdir(tmp_path))
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        assert recover_checkpoints(str(tmp_path)) == str(tmp_path / "ckpt-3")
    assert sorted(os.listdir(tmp_path)) == before and not caplog.text
    assert recover_checkpoints(str(tmp_path / "none")) is None


def test_a_recorded_checkpoint_whose_deletion_began_is_dropped(tmp_path):
    # Killed while sweeping the oldest checkpoint: its index (deleted first) is gone, its data is not.
    save_numbered(str(tmp_path), [1, 2, 3])
    os.remove(tmp_path / "ckpt-1.index")
    assert recover_checkpoints(str(tmp_path)) == str(tmp_path / "ckpt-3")
    assert recorded(str(tmp_path)) == ["ckpt-2", "ckpt-3"]
    assert not glob.glob(str(tmp_path / "ckpt-1*"))


def test_a_written_but_unrecorded_checkpoint_is_adopted(tmp_path, caplog):
    # Killed between merging ckpt-4's files and recording it in the state file.
    manager = save_numbered(str(tmp_path), [1, 2, 3])
    manager.checkpoint.value.assign(4.0)
    manager.checkpoint.write(str(tmp_path / "ckpt-4"))
    with caplog.at_level(logging.WARNING, logger="stargan_tf"):
        assert recover_checkpoints(str(tmp_path)) == str(tmp_path / "ckpt-4")
    assert "adopted" in caplog.text and "ckpt-4" in caplog.text
    assert recorded(str(tmp_path)) == ["ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4"]
    assert value_of(tf.train.latest_checkpoint(str(tmp_path))) == 4.0


def test_an_unfinished_save_is_removed_and_the_previous_checkpoint_kept(tmp_path):
    manager = save_numbered(str(tmp_path), [1, 2])
    manager.checkpoint.write(str(tmp_path / "ckpt-3"))
    (data_file,) = glob.glob(str(tmp_path / "ckpt-3.data-*"))
    with open(data_file, "r+b") as f:
        f.truncate(os.path.getsize(data_file) // 2)
    os.makedirs(tmp_path / "ckpt-4_temp")
    (tmp_path / "ckpt-4_temp" / "part-00000-of-00001.index").write_bytes(b"partial")
    assert recover_checkpoints(str(tmp_path)) == str(tmp_path / "ckpt-2")
    assert recorded(str(tmp_path)) == ["ckpt-1", "ckpt-2"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-1.data-00000-of-00001", "ckpt-1.index",
                                            "ckpt-2.data-00000-of-00001", "ckpt-2.index"]
    assert value_of(tf.train.latest_checkpoint(str(tmp_path))) == 2.0


def snapshot(directory):
    """{path under directory: its bytes (None for a folder)}: what a test checks stayed untouched."""
    return {os.path.relpath(path, directory): None if os.path.isdir(path) else open(path, "rb").read()
            for path in glob.glob(os.path.join(directory, "**"), recursive=True)}


def without_root_file_access(*command):
    """Runs command, as root without the capabilities that let root read any file (chmod alone blocks no read)."""
    drop = "-dac_override,-dac_read_search"
    prefix = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}"] if os.geteuid() == 0 else []
    return subprocess.run(prefix + list(command), capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3"))


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root reads any file without setpriv")
def test_a_checkpoint_that_cannot_be_read_stops_recovery_with_nothing_changed(tmp_path):
    # The newest recorded index is there but the OS refuses to read it (as a permission problem or a flaky network
    # file system would): nothing proves it half-written, so nothing may go, not even a removable _temp folder.
    save_numbered(str(tmp_path), [1, 2, 3])
    os.makedirs(tmp_path / "ckpt-4_temp")
    os.chmod(tmp_path / "ckpt-3.index", 0)
    before = snapshot(tmp_path)
    result = without_root_file_access(sys.executable, "-c", "import sys; from stargan_tf.core.run_dir import "
                                      "recover_checkpoints; recover_checkpoints(sys.argv[1])", str(tmp_path))
    assert result.returncode != 0
    assert (f"cannot read {tmp_path / 'ckpt-3.index'}: Permission denied (EACCES); nothing in {tmp_path} was "
            f"changed") in result.stderr
    assert snapshot(tmp_path) == before


def test_a_recorded_checkpoint_with_a_damaged_index_stops_recovery_with_nothing_changed(tmp_path):
    save_numbered(str(tmp_path), [1, 2, 3])
    (tmp_path / "ckpt-3.index").write_bytes(b"not an index")
    before = snapshot(tmp_path)
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path / 'ckpt-3.index'} is damaged: not a checkpoint index")):
        recover_checkpoints(str(tmp_path))
    assert snapshot(tmp_path) == before


def test_a_recorded_checkpoint_moved_away_is_dropped_but_the_last_one_is_never_given_up(tmp_path):
    save_numbered(str(tmp_path), [1, 2])
    os.makedirs(tmp_path / "aside")
    for path in glob.glob(str(tmp_path / "ckpt-2.*")):
        shutil.move(path, tmp_path / "aside")
    assert recover_checkpoints(str(tmp_path)) == str(tmp_path / "ckpt-1")
    assert recorded(str(tmp_path)) == ["ckpt-1"]
    for path in glob.glob(str(tmp_path / "ckpt-1.*")):
        shutil.move(path, tmp_path / "aside")
    with pytest.raises(ConfigError, match="records ckpt-1 but no files of them are left: remove .*checkpoint to start "
                                          "over from step 0"):
        recover_checkpoints(str(tmp_path))
    assert recorded(str(tmp_path)) == ["ckpt-1"]


def checkpoint_numbers(directory):
    """{N: whether every tensor of ckpt-N reads back} for every ckpt-N.index in directory."""
    numbers = {}
    for path in glob.glob(os.path.join(directory, "ckpt-*.index")):
        prefix = path[:-len(".index")]
        try:
            reader = tf.train.load_checkpoint(prefix)
            numbers[int(prefix.rsplit("-", 1)[1])] = all(reader.get_tensor(name) is not None
                                                        for name in reader.get_variable_to_shape_map())
        except Exception:  # noqa: BLE001 - any failure to read is what this looks for
            numbers[int(prefix.rsplit("-", 1)[1])] = False
    return numbers


def newest_recorded(directory):
    names = recorded(directory)
    return int(names[-1].rsplit("-", 1)[1]) if names else 0


def tiny_flags(tiny_data):
    """scripts/train.py flags of a tiny StarGAN on the tiny CelebA-format data."""
    return dict(dataset="celeba", image_size=16, g_conv_dim=4, d_conv_dim=4, g_repeat_num=1, d_repeat_num=2,
                num_iters_decay=0, n_critic=2, celeba_image_dir=tiny_data.celeba_image_dir,
                attr_path=tiny_data.attr_path)


class TrainProcess:
    """scripts/train.py with a tiny network in a subprocess, saving a checkpoint every iteration."""

    def __init__(self, family_flags, run_dir, num_iters):
        flags = dict(family_flags, batch_size=4, num_iters=num_iters, log_step=5, sample_step=100000,
                     model_save_step=1, keep_checkpoints=2, model_save_dir=run_dir / "models",
                     sample_dir=run_dir / "samples", log_dir=run_dir / "logs")
        self.log_path = run_dir / f"train-{len(glob.glob(str(run_dir / 'train-*.log')))}.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "scripts", "train.py")] + [f"--{k}={v}" for k, v in flags.items()],
            stdout=subprocess.DEVNULL, stderr=self.log,
            env=dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="2"))

    def output(self):
        self.log.flush()
        return self.log_path.read_text()

    def wait_until(self, condition, what, timeout=120):
        deadline = time.time() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"training exited ({self.process.returncode}) before {what}:\n{self.output()[-3000:]}")
            if time.time() > deadline:
                self.process.kill()
                pytest.fail(f"timed out waiting for {what}:\n{self.output()[-3000:]}")
            time.sleep(0.001)

    def resumed_step(self):
        match = re.search(r"resumed from \S+ckpt-(\d+) at step (\d+)", self.output())
        return int(match.group(2)) if match else 0


def test_sigkill_at_random_moments_and_ctrl_c_never_lose_a_checkpoint(tiny_data, tmp_path):
    """Killed twice inside a save and once at a random moment, then Ctrl-C. Recovery is the same code for every
    family (StarGAN v2's exact resume is tested after SIGTERM)."""
    family_flags = tiny_flags(tiny_data)
    models = str(tmp_path / "models")
    rng = random.Random(3)
    kill_points, torn, step = [], 0, 0
    for kill in range(3):
        run = TrainProcess(family_flags, tmp_path, num_iters=100000)
        # Each run resumes from the newest complete checkpoint the previous kill left, then makes progress.
        run.wait_until(lambda: newest_recorded(models) > step, "a new checkpoint")
        assert run.resumed_step() == step
        if kill % 2 == 0:  # Inside a save: as soon as its temporary shard directory appears.
            run.wait_until(lambda: glob.glob(os.path.join(models, "ckpt-*_temp")), "a save in progress")
        else:
            time.sleep(rng.uniform(0.0, 0.3))
        run.process.kill()
        run.process.wait()
        numbers, names = checkpoint_numbers(models), recorded(models)
        # What the kill interrupted shows in the directory: a temporary directory, a checkpoint written but not
        # recorded, or a recorded one whose deletion had begun.
        torn += bool(glob.glob(os.path.join(models, "ckpt-*_temp")) or set(numbers) - {
            int(name.rsplit("-", 1)[1]) for name in names} or any(not os.path.exists(os.path.join(
                models, name + ".index")) for name in names))
        assert numbers[newest_recorded(models)], "the newest recorded checkpoint must be complete"
        newest_complete = max(number for number, complete in numbers.items() if complete)
        assert newest_complete >= newest_recorded(models) > step  # The step only moves forward.
        step = newest_complete
        kill_points.append(step)
    # Ctrl-C: a checkpoint at the iteration reached, named in the message, and exit status 130.
    run = TrainProcess(family_flags, tmp_path, num_iters=100000)
    run.wait_until(lambda: newest_recorded(models) > step, "a new checkpoint")
    assert run.resumed_step() == step
    run.process.send_signal(signal.SIGINT)
    assert run.process.wait(timeout=120) == 128 + signal.SIGINT
    match = re.search(r"stopped by SIGINT at iteration (\d+) of 100000; checkpoint (\S+);", run.output())
    assert match and match.group(2) == os.path.join(models, f"ckpt-{match.group(1)}"), run.output()[-2000:]
    step = int(match.group(1))
    assert newest_recorded(models) == step
    # Every recorded checkpoint reads back, and the final weights load into a new model.
    numbers = checkpoint_numbers(models)
    assert recorded(models) == [f"ckpt-{step - 1}", f"ckpt-{step}"]
    assert all(numbers[int(name.rsplit("-", 1)[1])] for name in recorded(models))
    config, _, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", model_save_dir=models))
    checkpoint_manager(model, models, 2).checkpoint.restore(tf.train.latest_checkpoint(models)
                                                            ).assert_existing_objects_matched()
    assert int(model.step.numpy()) == step
    assert all(np.isfinite(weight.numpy()).all() for network in model.networks.values() for weight in network.weights)
    print(f"kill points (resumed steps): {kill_points}; kills that left a save half done: {torn}")
    assert torn >= 1
