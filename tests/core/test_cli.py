"""Flags fill the config: defaults are the paper's, presets apply, explicit flags win, bad values are named."""
import os
import subprocess
import sys

import pytest
from absl import flags

from stargan_tf.core import cli
from stargan_tf import families
from stargan_tf.core.config import ConfigError
from stargan_tf.families.stargan.config import PRESETS, StarGANConfig


def parse(*argv):
    flag_values = flags.FlagValues()
    cli.define_config_flags(StarGANConfig, PRESETS, flag_values)
    flag_values(["train.py", *argv])
    return cli.config_from_flags(StarGANConfig, PRESETS, flag_values)


def test_defaults_are_the_papers():
    config = parse()
    assert config == StarGANConfig()
    assert (config.lambda_cls, config.lambda_rec, config.lambda_gp, config.n_critic) == (1.0, 10.0, 10.0, 5)
    assert (config.g_lr, config.beta1, config.beta2, config.batch_size, config.image_size) == (1e-4, 0.5, 0.999, 16, 128)
    assert (config.num_iters, config.num_iters_decay) == (200000, 100000)


def test_preset_applies_and_explicit_flags_win():
    config = parse("--preset=quick", "--image_size=64", "--selected_attrs=Male,Young", "--c_dim=2", "--dataset=CelebA")
    assert config.image_size == 64 and config.g_conv_dim == 32 and config.dataset == "celeba"
    assert config.selected_attrs == ("Male", "Young")
    config.validate()


@pytest.mark.parametrize("argv, message", [
    (["--dataset=imagenet"], "--dataset='imagenet'"),
    (["--image_size=100"], "--image_size=100 must be divisible by 2\\*\\*d_repeat_num = 64"),
    (["--batch_size=-2"], "--batch_size=-2"),
    (["--c_dim=4"], "--c_dim=4 but --selected_attrs names 5"),
])
def test_bad_values_name_the_flag(argv, message):
    with pytest.raises(ConfigError, match=message):
        parse(*argv).validate()


def test_train_script_exits_with_the_flag_named(tmp_path):
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "train.py")
    result = subprocess.run([sys.executable, script, "--image_size=100", f"--model_save_dir={tmp_path}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "error: --image_size=100 must be divisible" in result.stderr


def test_options_of_the_other_model_family_are_refused():
    every = [families.get(name) for name in families.names()]
    flag_values = flags.FlagValues()
    cli.define_options(every, "translate_options", flag_values)
    flag_values(["translate.py", "--edit=+Male", "--source=Young"])
    with pytest.raises(ConfigError, match="--edit, --source: not an option for StarGAN v2 models; theirs: "
                                          "--num_styles, --reference, --reference_domain, --seed"):
        cli.family_options(families.get("stargan_v2"), every, "translate_options", flag_values)
    options = cli.family_options(families.get("stargan"), every, "translate_options", flag_values)
    assert options == {"edit": "+Male", "source": "Young", "save_attention": False, "attention_query": "0.5,0.5"}


def run_help(*args):
    script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "train.py")
    result = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def test_train_help_lists_the_chosen_familys_flags_with_its_defaults_in_groups():
    stargan, errors = run_help("--help")
    assert "--image_size=128" in stargan and "--batch_size=16" in stargan and "--dataset=celeba" in stargan
    assert "Self-attention variant:" in stargan and "Devices and precision:" in stargan
    assert "--lambda_ds" not in stargan and "absl" not in stargan and "--helpfull" not in stargan
    v2, _ = run_help("--model=stargan_v2", "--help")
    assert "--image_size=256" in v2 and "--batch_size=8" in v2 and "--lambda_ds=1.0" in v2
    assert "--dataset" not in v2
    assert "cuda" not in errors.lower()  # TensorFlow's start-up noise is quiet


@pytest.mark.parametrize("script", ["translate.py", "export.py", "evaluate.py", "import_official.py",
                                    "train_classifier.py"])
def test_every_script_has_a_help_that_lists_its_flags(script):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", script)
    result = subprocess.run([sys.executable, path, "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("usage: stargan-")
    assert result.stdout.count("\n  --") >= 3, result.stdout
