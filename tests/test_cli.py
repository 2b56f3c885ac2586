"""Flags fill the config: defaults are the paper's, presets apply, explicit flags win, bad values are named."""
import os
import subprocess
import sys

import pytest
from absl import flags

from stargan_tf import cli
from stargan_tf.config import ConfigError, StarGANConfig


def parse(*argv):
    flag_values = flags.FlagValues()
    cli.define_config_flags(flag_values)
    flag_values(["train.py", *argv])
    return cli.config_from_flags(flag_values)


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
    script = os.path.join(os.path.dirname(__file__), "..", "scripts", "train.py")
    result = subprocess.run([sys.executable, script, "--image_size=100", f"--model_save_dir={tmp_path}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "error: --image_size=100 must be divisible" in result.stderr
