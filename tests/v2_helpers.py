"""Tiny StarGAN v2 data and config for tests (imported by the v2 test modules, so conftest.py stays v1's)."""
import pytest

from stargan_tf.config_v2 import StarGANv2Config
from stargan_tf.data.synthetic_v2 import write_domains


@pytest.fixture(scope="module")
def tiny_domains(tmp_path_factory) -> str:
    """Synthetic v2 data: 3 domains, 8 training and 2 validation images each; returns the root."""
    return write_domains(tmp_path_factory.mktemp("tiny_domains"), 8, 2, seed=0)


def tiny_v2_config(root: str, run_dir, **overrides) -> StarGANv2Config:
    """A config with tiny networks at 16x16 on the tiny domain data, writing under run_dir."""
    values = dict(image_size=16, base_dim=8, max_conv_dim=16, mapping_dim=16, style_dim=8, latent_dim=4,
                  batch_size=4, num_iters=2, ds_iter=4, log_step=1, sample_step=2, model_save_step=2,
                  train_img_dir=f"{root}/train", val_img_dir=f"{root}/val", model_save_dir=str(run_dir / "models"),
                  sample_dir=str(run_dir / "samples"), log_dir=str(run_dir / "logs"))
    values.update(overrides)
    return StarGANv2Config(**values).validate()
