"""StarGAN v2 data: domain folders, class-balanced batches with references of the target domain, determinism."""
import os

import numpy as np
import pytest
from PIL import Image

from stargan_tf.core import cli
from stargan_tf.families.stargan.config import ConfigError, StarGANConfig
from stargan_tf import families
from stargan_tf.families.stargan_v2.config import PRESETS, StarGANv2Config
from stargan_tf.data.domains import read_domain_data, sample_batch, training_dataset
from stargan_tf.data.files import DataError
from conftest import tiny_domains  # noqa: F401 (fixture)

COLOURS = {"blue": (0, 0, 255), "red": (255, 0, 0)}


@pytest.fixture(scope="module")
def solid_domains(tmp_path_factory):
    """Domain 'blue' (6 images) and 'red' (2): an image's colour tells its domain."""
    root = tmp_path_factory.mktemp("solid")
    for name, count in (("blue", 6), ("red", 2)):
        os.makedirs(root / "train" / name)
        for i in range(count):
            Image.new("RGB", (20, 24), COLOURS[name]).save(root / "train" / name / f"{i}.png")
    return str(root / "train")


def domain_of(images):
    """0 (blue) or 1 (red) per image, from its mean colour."""
    return (images[..., 0].mean(axis=(1, 2)) > images[..., 2].mean(axis=(1, 2))).astype(int)


def test_read_domain_data_reads_sorted_domains_and_checks_val(tiny_domains, tmp_path):  # noqa: F811
    data = read_domain_data(f"{tiny_domains}/train", f"{tiny_domains}/val")
    assert data.layout.names == ("happy", "sad", "surprised")
    assert (len(data.train), len(data.val)) == (24, 6)
    assert all(path.rsplit("-", 1)[1] in ("black.jpg", "blond.jpg", "red.jpg", "blue.jpg") for path in data.train.paths)
    os.makedirs(tmp_path / "val" / "happy")
    Image.new("RGB", (8, 8)).save(tmp_path / "val" / "happy" / "a.png")
    with pytest.raises(DataError, match="validation domains \\['happy'\\] .* differ"):
        read_domain_data(f"{tiny_domains}/train", str(tmp_path / "val"))
    with pytest.raises(DataError, match="training directory .*nowhere does not exist"):
        read_domain_data(str(tmp_path / "nowhere"))


def test_batches_are_class_balanced_with_references_of_the_target_domain(solid_domains):
    data = read_domain_data(solid_domains)
    dataset = training_dataset(data.train, 8, 16, 4, seed=3, randcrop_prob=0.5)
    # Static image shapes: an unknown channel count would send the networks' first convolution through XLA.
    for key in ("x_src", "x_ref", "x_ref2"):
        assert dataset.element_spec[key].shape.as_list() == [16, 8, 8, 3], key
    batches = list(dataset.take(8).as_numpy_iterator())
    y_src = np.concatenate([b["y_src"] for b in batches])
    y_ref = np.concatenate([b["y_ref"] for b in batches])
    for batch in batches:
        assert batch["x_src"].shape == (16, 8, 8, 3) and batch["z_trg"].shape == (16, 4)
        np.testing.assert_array_equal(domain_of(batch["x_src"]), batch["y_src"])
        np.testing.assert_array_equal(domain_of(batch["x_ref"]), batch["y_ref"])
        np.testing.assert_array_equal(domain_of(batch["x_ref2"]), batch["y_ref"])
        assert np.abs(batch["z_trg"] - batch["z_trg2"]).max() > 0
    # 6 blue and 2 red images, yet each domain is drawn about half the time (128 draws: 64 +- 5.7 std).
    assert 40 < (y_src == 1).sum() < 88 and 40 < (y_ref == 1).sum() < 88


def test_batches_are_a_function_of_seed_and_position(tiny_domains):  # noqa: F811
    files = read_domain_data(f"{tiny_domains}/train").train
    first = list(training_dataset(files, 16, 4, 4, seed=1).take(3).as_numpy_iterator())
    again = list(training_dataset(files, 16, 4, 4, seed=1).take(3).as_numpy_iterator())
    resumed = next(training_dataset(files, 16, 4, 4, seed=1, start_batch=2).as_numpy_iterator())
    other = next(training_dataset(files, 16, 4, 4, seed=2).as_numpy_iterator())
    for key in first[2]:
        np.testing.assert_array_equal(first[2][key], again[2][key])
        np.testing.assert_array_equal(first[2][key], resumed[key])
    assert not np.array_equal(first[0]["x_src"], other["x_src"])
    assert first[0]["x_src"].min() >= -1 and first[0]["x_src"].max() <= 1


def test_sample_batch_takes_the_first_images_of_each_domain(tiny_domains):  # noqa: F811
    images, domains = sample_batch(read_domain_data(f"{tiny_domains}/train", f"{tiny_domains}/val").val, 2, 16)
    assert images.shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(domains, [0, 0, 1, 1, 2, 2])


def parse(*argv):
    from absl import flags

    flag_values = flags.FlagValues()
    cli.define_config_flags(StarGANv2Config, PRESETS, flag_values)
    flag_values(["train.py", *argv])
    return cli.config_from_flags(StarGANv2Config, PRESETS, flag_values)


def test_v2_flags_default_to_the_official_settings_and_presets_apply():
    config = parse()
    assert config == StarGANv2Config()
    assert (config.lr, config.f_lr, config.beta1, config.beta2, config.weight_decay) == (1e-4, 1e-6, 0.0, 0.99, 1e-4)
    assert (config.batch_size, config.num_iters, config.latent_dim, config.style_dim, config.ema_beta) == (
        8, 100000, 16, 64, 0.999)
    quick = parse("--preset=quick", "--batch_size=4")
    assert (quick.image_size, quick.batch_size) == (32, 4)


def test_a_flag_of_the_other_model_family_is_an_error():
    stargan, stargan_v2 = families.get("stargan"), families.get("stargan_v2")
    with pytest.raises(ConfigError, match="--dataset is a stargan flag: stargan_v2 does not use it"):
        cli.refuse_foreign_flags(["train.py", "--dataset=rafd"], stargan_v2, [stargan, stargan_v2])
    with pytest.raises(ConfigError, match="--lambda_ds is a stargan_v2 flag: stargan does not use it"):
        cli.refuse_foreign_flags(["train.py", "--lambda_ds", "2"], stargan, [stargan, stargan_v2])
    cli.refuse_foreign_flags(["train.py", "--image_size=64", "--noresume"], stargan, [stargan, stargan_v2])


@pytest.mark.parametrize("overrides, message", [
    (dict(image_size=48), "--image_size=48: StarGAN v2 needs a power of two"),
    (dict(beta2=1.0), "--beta2=1.0: must be in"),
    (dict(val_img_dir="x"), "--val_img_dir needs --train_img_dir"),
])
def test_bad_v2_settings_name_the_flag(overrides, message):
    with pytest.raises(ConfigError, match=message):
        StarGANv2Config(**overrides).validate()
