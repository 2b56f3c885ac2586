"""Shared fixtures: tiny datasets in both formats and a tiny-network config."""
import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from stargan_tf.config import StarGANConfig  # noqa: E402
from stargan_tf.data.synthetic import write_celeba, write_rafd  # noqa: E402


@dataclasses.dataclass(frozen=True)
class TinyData:
    celeba_image_dir: str
    attr_path: str
    rafd_image_dir: str


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> TinyData:
    """48 CelebA-format and 8x4 RaFD-format synthetic images, written once per test session."""
    root = tmp_path_factory.mktemp("tiny_data")
    image_dir, attr_path = write_celeba(str(root / "celeba"), 48, seed=0)
    rafd_dir = write_rafd(str(root / "rafd"), 4, seed=0)
    return TinyData(image_dir, attr_path, rafd_dir)


def tiny_config(tiny_data: TinyData, run_dir, **overrides) -> StarGANConfig:
    """A config with tiny networks at 16x16 on the tiny data, writing under run_dir."""
    values = dict(dataset="both", image_size=16, g_conv_dim=4, d_conv_dim=4, g_repeat_num=1, d_repeat_num=2,
                  batch_size=4, num_iters=4, num_iters_decay=2, lr_update_step=1, n_critic=2, log_step=1,
                  sample_step=2, model_save_step=2, celeba_image_dir=tiny_data.celeba_image_dir,
                  attr_path=tiny_data.attr_path, rafd_image_dir=tiny_data.rafd_image_dir,
                  model_save_dir=str(run_dir / "models"), sample_dir=str(run_dir / "samples"),
                  log_dir=str(run_dir / "logs"))
    values.update(overrides)
    return StarGANConfig(**values).validate()


@pytest.fixture(scope="session")
def tiny_checkpoints(tiny_data, tmp_path_factory) -> dict:
    """Checkpoint directories (run.json + ckpt-1) of untrained tiny models: {"celeba": dir, "both": dir}."""
    from stargan_tf.training import checkpoint_manager, prepare, write_run_file

    directories = {}
    for dataset in ("celeba", "both"):
        config, data, model = prepare(tiny_config(tiny_data, tmp_path_factory.mktemp(dataset), dataset=dataset))
        checkpoint_manager(model, config.model_save_dir, 1).save()
        write_run_file(config.model_save_dir, config, data.layout)
        directories[dataset] = config.model_save_dir
    return directories


@pytest.fixture(scope="session")
def joint_saved_model(tiny_checkpoints, tmp_path_factory) -> str:
    """The tiny joint model exported as a SavedModel with the classify signature."""
    from stargan_tf.export import export_saved_model, load_checkpoint

    model, _ = load_checkpoint(tiny_checkpoints["both"])
    return export_saved_model(model, str(tmp_path_factory.mktemp("exported") / "joint" / "1"))
