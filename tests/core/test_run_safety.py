"""A truncated newest checkpoint, another batch size on resume, a checkpoint save on a full disk: each stops with one
message naming the file or the setting, and what might be a good checkpoint is never deleted."""
import dataclasses
import glob
import logging
import os
import re
import resource
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, tiny_config
from stargan_tf import families
from stargan_tf.core import run_dir
from stargan_tf.core.config import ConfigError
from stargan_tf.core.trainer import prepare, train


@pytest.fixture
def two_checkpoints(tiny_data, tmp_path):
    """(config, model, manager) of a tiny StarGAN run directory holding run.json, ckpt-1 and ckpt-2 (iterations 1, 2)."""
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=3, model_save_step=1))
    manager = run_dir.checkpoint_manager(model, config.model_save_dir, 3)
    for iteration in (1, 2):
        model.step.assign(iteration * model.steps_per_iteration)
        manager.save(checkpoint_number=iteration)
    run_dir.write_run_file(config.model_save_dir, config.model_name, config, data.layout.to_json())
    return config, model, manager


def truncate_newest(directory):
    """Cuts ckpt-2's data file in half; returns (its index, its data file)."""
    (data,) = glob.glob(os.path.join(directory, "ckpt-2.data-*"))
    index = os.path.join(directory, "ckpt-2.index")
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    return index, data


def test_a_truncated_newest_checkpoint_is_named_and_inference_is_offered_the_previous_one(two_checkpoints):
    config, _, _ = two_checkpoints
    directory = config.model_save_dir
    index, data = truncate_newest(directory)
    family = families.get("stargan")
    with pytest.raises(ConfigError,
                       match=rf"^{re.escape(data)} \([\d,]+ bytes\) is truncated or damaged: tensor \S+, listed in "
                             rf"{re.escape(index)}, does not read back \(IndexError: .*\); pass --checkpoint=ckpt-1 to "
                             rf"use the previous checkpoint$"):
        family.serving_model(directory, 0, {})
    model, _ = family.load_model(directory, checkpoint="ckpt-1")
    assert int(model.iteration.numpy()) == 1
    with pytest.raises(ConfigError, match=f"--checkpoint=ckpt-7: no {re.escape(directory)}/ckpt-7.index; "
                                          f"{re.escape(directory)} has ckpt-1, ckpt-2"):
        family.load_model(directory, checkpoint="ckpt-7")


def test_export_of_a_truncated_checkpoint_exits_with_one_line(two_checkpoints, tmp_path):
    directory = two_checkpoints[0].model_save_dir
    _, data = truncate_newest(directory)
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "export.py"), f"--checkpoint_dir={directory}",
                             "--checkpoint=ckpt-2", f"--export_dir={tmp_path / 'exported'}"],
                            capture_output=True, text=True, timeout=300, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.fullmatch(rf"error: {re.escape(data)} .* is truncated or damaged: .*; pass --checkpoint=ckpt-1 to use "
                        rf"the previous checkpoint", result.stderr.strip().splitlines()[-1])


def test_training_from_a_truncated_newest_checkpoint_names_it_and_resumes_once_it_is_moved(two_checkpoints, tmp_path,
                                                                                          caplog):
    config, _, _ = two_checkpoints
    directory = config.model_save_dir
    index, data = truncate_newest(directory)
    before = sorted(os.listdir(directory))
    with pytest.raises(ConfigError,
                       match=rf"^{re.escape(data)} .* is truncated or damaged: .*; to resume from the previous "
                             rf"checkpoint {re.escape(directory)}/ckpt-1, move {re.escape(index)} and "
                             rf"{re.escape(data)} out of {re.escape(directory)} and run again$"):
        train(config)
    assert sorted(os.listdir(directory)) == before  # A damaged checkpoint is the user's to delete.
    for path in (index, data):
        shutil.move(path, tmp_path)
    with caplog.at_level(logging.INFO, logger="stargan_tf"):
        model = train(config)
    assert f"dropped {directory}/ckpt-2, whose files were gone" in caplog.text
    assert f"resumed from {directory}/ckpt-1" in caplog.text and int(model.iteration.numpy()) == 3


def test_resuming_with_another_batch_size_is_refused_unless_allowed(two_checkpoints):
    config, model, manager = two_checkpoints
    smaller = dataclasses.replace(config, batch_size=2)
    with pytest.raises(ConfigError, match=r"cannot resume .*ckpt-2 with these flags: batch_size: checkpoint has 4, this "
                                          r"run has 2 \(pass --allow_batch_size_change to resume with 2 anyway\)"):
        run_dir.restore_for_training(model, manager, smaller)
    allowed = dataclasses.replace(smaller, allow_batch_size_change=True)
    assert run_dir.restore_for_training(model, manager, allowed) == 2 * model.steps_per_iteration


FILE_SIZE_LIMIT = 16384  # bytes: above run.json, below a tiny model's checkpoint


def fill_the_disk_at_the_file_size_limit():
    """In the child: a write past FILE_SIZE_LIMIT fails with EFBIG, as one on a full disk does with ENOSPC."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def test_a_checkpoint_save_that_fails_for_lack_of_space_exits_with_one_line_and_no_partial_files(tiny_data, tmp_path):
    models = tmp_path / "models"
    flags = dict(dataset="celeba", image_size=16, g_conv_dim=4, d_conv_dim=4, g_repeat_num=1, d_repeat_num=2,
                 num_iters_decay=0, n_critic=1, batch_size=4, num_iters=1, model_save_step=1, sample_step=100,
                 use_tensorboard=False, celeba_image_dir=tiny_data.celeba_image_dir, attr_path=tiny_data.attr_path,
                 model_save_dir=models, sample_dir=tmp_path / "samples", log_dir=tmp_path / "logs")
    result = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "train.py")]
                            + [f"--{name}={value}" for name, value in flags.items()],
                            capture_output=True, text=True, timeout=300, preexec_fn=fill_the_disk_at_the_file_size_limit,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert re.fullmatch(rf"error: cannot save checkpoint {models}/ckpt-1: {models}/ckpt-1_temp/\S+; File too large; "
                        rf"removed its partial files ckpt-1_temp", result.stderr.strip().splitlines()[-1])
    assert sorted(os.listdir(models)) == ["run.json"]
    assert not glob.glob(str(tmp_path / "**" / "*.tempstate*"), recursive=True)
