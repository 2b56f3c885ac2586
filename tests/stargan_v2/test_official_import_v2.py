"""stargan-import-official --model=stargan_v2: official StarGAN v2 files into a run directory that translates as
the official networks do; wrong files and flags are refused, naming what does not fit."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from stargan_tf import families
from stargan_tf.families.stargan_v2.official import import_official_v2
from stargan_tf.interop import torch_reference_fan as reference_fan
from stargan_tf.interop import torch_reference_v2 as reference
from stargan_tf.interop.torch_checkpoint import CheckpointError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIZE, STYLE, LATENT, DOMAINS = 32, 8, 4, ("cat", "dog", "wild")


def _networks(seed: int) -> dict:
    """Official-layout networks at tiny widths (first 8, at most 16), randomized."""
    nets = {"generator": reference.Generator(SIZE, STYLE, 16, 8),
            "mapping_network": reference.MappingNetwork(len(DOMAINS), LATENT, STYLE, 16),
            "style_encoder": reference.StyleEncoder(len(DOMAINS), SIZE, STYLE, 16, 8),
            "discriminator": reference.Discriminator(len(DOMAINS), SIZE, 16, 8)}
    return {name: reference.randomize(net, seed + index) for index, (name, net) in enumerate(nets.items())}


def _save(nets: dict, path, names=("generator", "mapping_network", "style_encoder"), prefix="") -> str:
    """A file like the official core/checkpoint.py writes: {network: state_dict} (DataParallel adds `module.`)."""
    torch.save({name: {prefix + key: value for key, value in nets[name].state_dict().items()} for name in names},
               path)
    return str(path)


def _inputs():
    rng = np.random.default_rng(3)
    return (rng.uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32), np.array([2, 0], np.int32),
            rng.normal(size=(2, STYLE)).astype(np.float32), rng.normal(size=(2, LATENT)).astype(np.float32))


def _assert_same_outputs(generator, mapping, encoder, nets, discriminator=None):
    images, domains, styles, z = _inputs()
    torch_images, torch_domains = torch.from_numpy(images.transpose(0, 3, 1, 2).copy()), torch.from_numpy(domains)
    pairs = [(generator(images, styles), nets["generator"](torch_images, torch.from_numpy(styles)), True),
             (mapping(z, domains), nets["mapping_network"](torch.from_numpy(z), torch_domains.long()), False),
             (encoder(images, domains), nets["style_encoder"](torch_images, torch_domains.long()), False)]
    if discriminator is not None:
        pairs.append((discriminator(images, domains), nets["discriminator"](torch_images, torch_domains.long()),
                      False))
    for ours, theirs, is_image in pairs:
        theirs = theirs.detach().numpy()
        theirs = theirs.transpose(0, 2, 3, 1) if is_image else theirs
        assert np.abs(theirs).max() > 1e-2
        assert np.abs(np.asarray(ours) - theirs).max() <= 1e-4


def test_the_command_imports_the_moving_averages_into_a_run_directory_that_translates_as_the_official(tmp_path):
    nets = _networks(seed=10)
    output = tmp_path / "official_afhq"
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, "scripts", "import_official.py"), "--model=stargan_v2",
         f"--nets_ema={_save(nets, tmp_path / '100000_nets_ema.ckpt', prefix='module.')}",
         f"--domains={','.join(DOMAINS)}", f"--output={output}"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": REPO}, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "were NOT imported" in result.stdout and "32px, style 8, latent 4" in result.stdout
    model, config = families.get("stargan_v2").load_model(str(output))  # what translate, export, evaluate do
    assert (config.image_size, config.style_dim, config.latent_dim, config.base_dim, config.w_hpf) == (
        SIZE, STYLE, LATENT, 8, 0.0)
    assert model.domains == DOMAINS
    _assert_same_outputs(model.generator_ema, model.mapping_network_ema, model.style_encoder_ema, nets)
    sources = json.loads((output / "import.json").read_text())
    assert sources["nets_ema"]["path"].endswith("100000_nets_ema.ckpt") and len(sources["nets_ema"]["sha256"]) == 64
    assert sources["nets"].startswith("not imported")


def test_nets_fill_the_trained_networks_and_d(tmp_path):
    averages, trained = _networks(seed=20), _networks(seed=30)
    run = import_official_v2(_save(averages, tmp_path / "ema.ckpt"), str(tmp_path / "out"), DOMAINS,
                             _save(trained, tmp_path / "nets.ckpt", names=tuple(trained)))
    assert run.discriminator_imported
    model = run.model
    _assert_same_outputs(model.generator_ema, model.mapping_network_ema, model.style_encoder_ema, averages)
    _assert_same_outputs(model.generator, model.mapping_network, model.style_encoder, trained, model.discriminator)


def test_wrong_files_and_flags_are_refused_naming_what_does_not_fit(tmp_path):
    nets = _networks(seed=40)
    path = _save(nets, tmp_path / "ema.ckpt")
    with pytest.raises(CheckpointError, match=r"--domains names 2 \(female, male\), but .*has 3"):
        import_official_v2(path, str(tmp_path / "a"), ("female", "male"))
    state = {name: dict(nets[name].state_dict()) for name in ("generator", "mapping_network", "style_encoder")}
    state["generator"]["decode.0.conv1.weight"] = torch.zeros(16, 16, 5, 5)
    torch.save(state, tmp_path / "bad.ckpt")
    with pytest.raises(CheckpointError, match=r"decode\.0\.conv1\.weight: shape \[16, 16, 5, 5\]"):
        import_official_v2(str(tmp_path / "bad.ckpt"), str(tmp_path / "b"), DOMAINS)
    torch.save({"generator": nets["generator"].state_dict()}, tmp_path / "g_only.ckpt")
    with pytest.raises(CheckpointError, match="has no mapping_network, style_encoder"):
        import_official_v2(str(tmp_path / "g_only.ckpt"), str(tmp_path / "c"), DOMAINS)
    torch.save(nets["generator"].state_dict(), tmp_path / "plain.ckpt")
    with pytest.raises(CheckpointError, match="expected a dict of state_dicts"):
        import_official_v2(str(tmp_path / "plain.ckpt"), str(tmp_path / "d"), DOMAINS)


def test_the_high_pass_model_imports_with_the_face_landmark_network_and_translates_as_the_official(tmp_path):
    """The CelebA-HQ layout (w_hpf 1): refused without wing.ckpt, saying so; with it, the run directory holds the
    FAN and the masks it computes from each source image drive the generator, as the official get_heatmap."""
    nets = _networks(seed=50)
    nets["generator"] = reference.randomize(reference.Generator(SIZE, STYLE, 16, 8, w_hpf=1.0), 50)
    path, domains = _save(nets, tmp_path / "celeba_hq_ema.ckpt"), ("female", "male", "other")
    with pytest.raises(CheckpointError, match=r"high-pass face path.*--wing=.*wing\.ckpt"):
        import_official_v2(path, str(tmp_path / "refused"), domains)
    wing = reference_fan.randomize(reference_fan.FAN(), seed=51)
    torch.save({"state_dict": wing.state_dict()}, tmp_path / "wing.ckpt")
    with pytest.raises(CheckpointError, match="has no high-pass face path"):
        import_official_v2(_save(_networks(seed=52), tmp_path / "afhq.ckpt"), str(tmp_path / "afhq"), DOMAINS,
                           wing_path=str(tmp_path / "wing.ckpt"))
    output = tmp_path / "celeba_hq"
    import_official_v2(path, str(output), domains, wing_path=str(tmp_path / "wing.ckpt"))
    model, config = families.get("stargan_v2").load_model(str(output))
    assert config.w_hpf == 1.0 and model.fan is not None
    assert "wing" in json.loads((output / "import.json").read_text())
    images, domain_ids, _, z = _inputs()
    torch_images = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())
    with torch.no_grad():
        masks = reference_fan.masks_from_heatmaps(reference_fan.heatmaps_256(wing, torch_images))
        styles = nets["mapping_network"](torch.from_numpy(z), torch.from_numpy(domain_ids).long())
        expected = nets["generator"](torch_images, styles, masks).numpy().transpose(0, 2, 3, 1)
    output_images = np.asarray(model.latent_guided(images, domain_ids, z))
    assert np.abs(output_images - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())


def test_an_existing_run_is_never_overwritten(tmp_path):
    nets = _networks(seed=60)
    path, output = _save(nets, tmp_path / "ema.ckpt"), tmp_path / "out"
    import_official_v2(path, str(output), DOMAINS)
    before = {name: (output / name).read_bytes() for name in os.listdir(output)}
    with pytest.raises(CheckpointError, match="already holds checkpoint"):
        import_official_v2(path, str(output), DOMAINS)
    assert {name: (output / name).read_bytes() for name in os.listdir(output)} == before
