"""Importing official StarGAN checkpoints: output parity with PyTorch, the written run directory, clear errors."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from stargan_tf.families.stargan import official
from stargan_tf.interop import torch_reference as reference
from stargan_tf.interop.torch_checkpoint import CheckpointError, read_state_dict
from stargan_tf.data.labels import make_layout
from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator
from stargan_tf.core.run_dir import checkpoint_manager, read_run_config
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.families.stargan.family import build_model

TOLERANCE = 1e-4  # max abs difference allowed between PyTorch's and our outputs
from conftest import ROOT as REPO  # noqa: E402


def _inputs(batch, height, width, label_dim, seed=0):
    """NHWC images in [-1, 1] and 0/1 labels."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(-1, 1, (batch, height, width, 3)).astype(np.float32)
    return images, rng.integers(0, 2, (batch, label_dim)).astype(np.float32)


def _torch_generator_output(model, images, labels):
    with torch.no_grad():
        out = model(torch.from_numpy(images.transpose(0, 3, 1, 2)), torch.from_numpy(labels))
    return out.numpy().transpose(0, 2, 3, 1)


def _torch_discriminator_outputs(model, images):
    with torch.no_grad():
        src, cls = model(torch.from_numpy(images.transpose(0, 3, 1, 2)))
    return src.numpy().transpose(0, 2, 3, 1), cls.numpy()


def _save(model, path, zip_format=True):
    torch.save(model.state_dict(), path, _use_new_zipfile_serialization=zip_format)
    return str(path)


def _assert_close(ours, theirs, name):
    difference = np.abs(np.asarray(ours) - theirs).max()
    assert difference <= TOLERANCE, f"{name}: max abs difference {difference}"
    assert np.abs(theirs).max() > 1e-2, f"{name}: outputs too small for the comparison to mean anything"


def _import_generator(path, c_dim, conv_dim, repeat_num, images, labels):
    generator = Generator(c_dim, conv_dim, repeat_num)
    generator(images, labels)
    state = read_state_dict(path)
    official.load_official_weights(official.generator_weights(generator), state, path, lambda *_: "")
    return generator


def _import_discriminator(path, image_size, c_dim, conv_dim, repeat_num, images):
    discriminator = Discriminator(image_size, c_dim, conv_dim, repeat_num)
    discriminator(images)
    state = read_state_dict(path)
    official.load_official_weights(official.discriminator_weights(discriminator), state, path, lambda *_: "")
    return discriminator


def test_key_mapping_covers_exactly_the_official_parameters():
    generator, discriminator = Generator(5, 4, 2), Discriminator(32, 5, 4, 3)
    generator(*_inputs(1, 16, 16, 5))
    discriminator(_inputs(1, 32, 32, 5)[0])
    torch_g, torch_d = reference.Generator(5, 4, 2), reference.Discriminator(32, 5, 4, 3)
    assert set(official.generator_weights(generator)) == {name for name, _ in torch_g.named_parameters()}
    assert set(official.discriminator_weights(discriminator)) == {name for name, _ in torch_d.named_parameters()}
    assert len(official.generator_weights(generator)) == len(generator.weights)
    assert len(official.discriminator_weights(discriminator)) == len(discriminator.weights)


@pytest.mark.parametrize("zip_format", [True, False])
def test_generator_matches_pytorch_at_a_small_non_square_size(tmp_path, zip_format):
    torch_model = reference.randomize(reference.Generator(5, 8, 2), seed=1)
    path = _save(torch_model, tmp_path / "G.ckpt", zip_format)
    images, labels = _inputs(2, 24, 40, 5)
    generator = _import_generator(path, 5, 8, 2, images, labels)
    _assert_close(generator(images, labels), _torch_generator_output(torch_model, images, labels), "G")


@pytest.mark.parametrize("zip_format", [True, False])
def test_discriminator_heads_match_pytorch_at_a_small_size(tmp_path, zip_format):
    torch_model = reference.randomize(reference.Discriminator(32, 5, 8, 3), seed=2)
    path = _save(torch_model, tmp_path / "D.ckpt", zip_format)
    images, _ = _inputs(2, 32, 32, 5)
    src, cls = _import_discriminator(path, 32, 5, 8, 3, images)(images)
    torch_src, torch_cls = _torch_discriminator_outputs(torch_model, images)
    assert src.shape == torch_src.shape == (2, 4, 4, 1)
    _assert_close(src, torch_src, "D_src")
    _assert_close(cls, torch_cls, "D_cls")


def test_paper_size_generator_and_discriminator_match_pytorch_at_128(tmp_path):
    """The published checkpoints' shape: CelebA, c_dim 5, 128x128, conv dims 64, 6 residual blocks, 6 D convs."""
    images, labels = _inputs(1, 128, 128, 5)
    torch_g = reference.randomize(reference.Generator(5), seed=3)
    generator = _import_generator(_save(torch_g, tmp_path / "G.ckpt", zip_format=False), 5, 64, 6, images, labels)
    assert generator.count_params() == 8_430_528
    _assert_close(generator(images, labels), _torch_generator_output(torch_g, images, labels), "G at 128")
    torch_d = reference.randomize(reference.Discriminator(128, 5), seed=4)
    discriminator = _import_discriminator(_save(torch_d, tmp_path / "D.ckpt"), 128, 5, 64, 6, images)
    assert discriminator.count_params() == 44_762_048
    src, cls = discriminator(images)
    torch_src, torch_cls = _torch_discriminator_outputs(torch_d, images)
    _assert_close(src, torch_src, "D_src at 128")
    _assert_close(cls, torch_cls, "D_cls at 128")


def _restore(checkpoint_dir):
    """The model from a checkpoint directory, as export and resume rebuild it: run.json, then the checkpoint."""
    config = read_run_config(checkpoint_dir, StarGANConfig)
    layout = make_layout(config.datasets, config.selected_attrs)
    with open(os.path.join(checkpoint_dir, "run.json")) as f:
        assert json.load(f)["layout"] == json.loads(json.dumps(layout.to_json()))
    model = build_model(config, layout)
    manager = checkpoint_manager(model, checkpoint_dir, config.keep_checkpoints)
    manager.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    return config, layout, model


def test_import_script_writes_a_checkpoint_directory_that_restores_to_pytorch_outputs(tmp_path):
    torch_g = reference.randomize(reference.Generator(3, 8, 1), seed=5)
    torch_d = reference.randomize(reference.Discriminator(16, 3, 8, 2), seed=6)
    output = tmp_path / "imported"
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "scripts", "import_official.py"),
         f"--generator={_save(torch_g, tmp_path / '200000-G.ckpt', zip_format=False)}",
         f"--discriminator={_save(torch_d, tmp_path / '200000-D.ckpt', zip_format=False)}",
         "--c_dim=3", "--selected_attrs=Black_Hair,Blond_Hair,Male", "--image_size=16", f"--output={output}"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": REPO}, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "imported D" in result.stdout
    config, layout, model = _restore(str(output))
    assert (config.c_dim, config.image_size, config.g_conv_dim, config.g_repeat_num, config.d_conv_dim,
            config.d_repeat_num) == (3, 16, 8, 1, 8, 2)
    assert layout.names == ["Black_Hair", "Blond_Hair", "Male"]
    assert int(model.step.numpy()) == 0
    images, labels = _inputs(2, 16, 16, 3)
    _assert_close(model.generator(images, labels), _torch_generator_output(torch_g, images, labels), "G")
    src, cls = model.discriminator(images)
    torch_src, torch_cls = _torch_discriminator_outputs(torch_d, images)
    _assert_close(src, torch_src, "D_src")
    _assert_close(cls, torch_cls, "D_cls")
    sources = json.loads((output / "import.json").read_text())
    assert sources["discriminator"]["path"].endswith("200000-D.ckpt")
    assert len(sources["generator"]["sha256"]) == 64


def test_joint_generator_imports_without_discriminator_and_records_the_random_d(tmp_path):
    """An official 'Both' model: 5 CelebA + 8 RaFD labels + 2 mask channels; D left random and noted."""
    torch_g = reference.randomize(reference.Generator(15, 4, 1), seed=7)
    output = tmp_path / "joint"
    run = official.import_official(_save(torch_g, tmp_path / "G.ckpt"), str(output), dataset="both",
                                   image_size=16, d_conv_dim=4, d_repeat_num=2)
    assert not run.discriminator_imported
    assert run.layout.label_dim == 15 and run.layout.names[-2:] == ["mask:celeba", "mask:rafd"]
    images, labels = _inputs(2, 16, 16, 15)
    _assert_close(run.model.generator(images, labels), _torch_generator_output(torch_g, images, labels), "G")
    assert "not imported: randomly initialised" in json.loads((output / "import.json").read_text())["discriminator"]
    assert read_run_config(str(output), StarGANConfig).dataset == "both"


def test_mismatched_c_dim_names_the_expected_and_found_shapes(tmp_path):
    path = _save(reference.Generator(5, 4, 1), tmp_path / "G.ckpt")
    with pytest.raises(CheckpointError, match=r"G.ckpt does not fit the model: main.0.weight: expected shape "
                                              r"\[4, 6, 7, 7\], found \[4, 8, 7, 7\] .*3 image \+ 5 label channels"):
        official.import_official(path, str(tmp_path / "out"), c_dim=3, selected_attrs=("Black_Hair", "Male", "Young"),
                                 image_size=16, d_conv_dim=4, d_repeat_num=2)
    assert not (tmp_path / "out" / "run.json").exists()


def test_mismatched_image_size_names_the_expected_and_found_shapes(tmp_path):
    g_path = _save(reference.Generator(5, 4, 1), tmp_path / "G.ckpt")
    d_path = _save(reference.Discriminator(32, 5, 4, 2), tmp_path / "D.ckpt")
    with pytest.raises(CheckpointError, match=r"D.ckpt does not fit the model: conv2.weight: expected shape "
                                              r"\[5, 8, 4, 4\], found \[5, 8, 8, 8\] .*trained with c_dim 5 at "
                                              r"image_size 32"):
        official.import_official(g_path, str(tmp_path / "out"), d_path, image_size=16)


def test_swapped_files_and_an_existing_checkpoint_are_refused(tmp_path):
    g_path = _save(reference.Generator(5, 4, 1), tmp_path / "G.ckpt")
    d_path = _save(reference.Discriminator(16, 5, 4, 2), tmp_path / "D.ckpt")
    with pytest.raises(CheckpointError, match="D.ckpt holds an official StarGAN discriminator, given as the generator"):
        official.import_official(d_path, str(tmp_path / "out"), g_path, image_size=16)
    official.import_official(g_path, str(tmp_path / "out"), d_path, image_size=16)
    with pytest.raises(CheckpointError, match="already holds checkpoint"):
        official.import_official(g_path, str(tmp_path / "out"), d_path, image_size=16)
