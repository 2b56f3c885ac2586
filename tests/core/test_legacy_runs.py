"""Run directories written before the model-family layout still translate, resume, export and evaluate.

tests/data/legacy_runs holds tiny runs of each family written by that code, with its translations of a fixed
photo; their data paths point to data written with the same seeds as the tiny fixtures.
"""
import dataclasses
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf

from conftest import ROOT
from stargan_tf import families
from stargan_tf.core import export
from stargan_tf.core.run_dir import RUN_FILE, read_run_config
from stargan_tf.core.trainer import train

LEGACY = os.path.join(ROOT, "tests", "data", "legacy_runs")
STARGAN_RUNS = ("stargan", "stargan_attention")


def copy_run(name, tmp_path, tiny_data=None, tiny_domains=None):
    """A copy of a legacy run directory whose run.json names this session's copies of its data."""
    directory = str(tmp_path / name)
    shutil.copytree(os.path.join(LEGACY, name, "models"), directory)
    path = os.path.join(directory, RUN_FILE)
    with open(path) as f:
        run = json.load(f)
    config = run["config"]
    config.update(model_save_dir=directory, sample_dir=str(tmp_path / "samples"), log_dir=str(tmp_path / "logs"))
    if tiny_data is not None and "attr_path" in config:
        config.update(celeba_image_dir=tiny_data.celeba_image_dir, attr_path=tiny_data.attr_path,
                      rafd_image_dir=tiny_data.rafd_image_dir)
    if tiny_domains is not None and "train_img_dir" in config:
        config.update(train_img_dir=f"{tiny_domains}/train", val_img_dir=f"{tiny_domains}/val")
    with open(path, "w") as f:
        json.dump(run, f)
    return directory


@pytest.fixture(scope="module")
def photo():
    return np.load(os.path.join(LEGACY, "photo.npy"))


@pytest.mark.parametrize("name", STARGAN_RUNS)
def test_legacy_stargan_runs_translate_as_before(name, photo):
    translator = families.load_translator(os.path.join(LEGACY, name, "models"))
    target = np.zeros(translator.layout.label_dim, np.float32)
    target[1] = target[-2] = 1.0
    expected = np.load(os.path.join(LEGACY, name, "expected_translation.npy"))
    assert np.abs(translator.translate(photo, target).astype(int) - expected).max() <= 1


def test_legacy_stargan_v2_run_translates_as_before(photo):
    directory = os.path.join(LEGACY, "stargan_v2")
    translator = families.load_translator(os.path.join(directory, "models"))
    z = np.load(os.path.join(directory, "z.npy"))
    latent = translator.latent_guided(photo, np.array([0, 1, 2]), z)
    assert np.abs(latent.astype(int) - np.load(os.path.join(directory, "expected_latent.npy"))).max() <= 1
    reference = translator.reference_guided(photo, photo[::-1], 1)
    assert np.abs(reference.astype(int) - np.load(os.path.join(directory, "expected_reference.npy"))).max() <= 1


@pytest.mark.parametrize("name", STARGAN_RUNS + ("stargan_v2",))
def test_legacy_runs_resume_one_more_iteration(name, tmp_path, tiny_data, tiny_domains):
    directory = copy_run(name, tmp_path, tiny_data, tiny_domains)
    family = families.for_run(directory)
    stored = read_run_config(directory, family.config_class)
    model = train(dataclasses.replace(stored, num_iters=stored.num_iters + 1))
    assert int(model.iteration.numpy()) == stored.num_iters + 1
    assert tf.train.latest_checkpoint(directory).endswith(f"ckpt-{stored.num_iters + 1}")


@pytest.mark.parametrize("name", STARGAN_RUNS + ("stargan_v2",))
def test_legacy_runs_export_a_saved_model_equal_to_keras(name, tmp_path):
    directory = copy_run(name, tmp_path)
    family = families.for_run(directory)
    model = family.serving_model(directory, export.SQUARE, {})
    results = export.export_formats(model, str(tmp_path / "exported"), 1, ["saved_model"], model.example_inputs(2))
    assert results["saved_model"]["max_abs_diff"] < 1e-4


@pytest.mark.parametrize("name", ["stargan_attention", "stargan_v2"])
def test_legacy_runs_evaluate(name, tmp_path, tiny_data, tiny_domains):
    directory = copy_run(name, tmp_path, tiny_data, tiny_domains)
    family = families.for_run(directory)
    report = family.evaluate(directory, str(tmp_path / "classifier"), str(tmp_path / "eval"), 5, "", 2,
                             {"num_outs": 2} if family.name == "stargan_v2" else {})
    assert report["iteration"] == read_run_config(directory, family.config_class).num_iters
    assert os.path.isfile(tmp_path / "eval" / "report.json")
