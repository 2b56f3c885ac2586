"""Shared fixtures: tiny datasets of every format and tiny-network configs of both families."""
import contextlib
import dataclasses
import os
import signal

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from stargan_tf.core.grids import grid_layout  # noqa: E402
from stargan_tf.data.synthetic import write_celeba, write_rafd  # noqa: E402
from stargan_tf.data.synthetic_domains import write_domains  # noqa: E402
from stargan_tf.families.stargan.config import StarGANConfig  # noqa: E402
from stargan_tf.families.stargan_v2.config import StarGANv2Config  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository

# Grappler's graph rewrites take about a third of a tiny network's training time (tracing is the rest) and change
# nothing the tests check: off in the tests' own process. Scripts the tests start run with them, as users' runs do.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


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


@pytest.fixture(scope="session")
def tiny_affectnet(tmp_path_factory) -> tuple[str, str, str]:
    """(image folder, training.csv, validation.csv) of 40 + 16 synthetic AffectNet-format photos of 96x80."""
    from stargan_tf.data.synthetic_affectnet import write_affectnet

    return write_affectnet(tmp_path_factory.mktemp("tiny_affectnet"), 40, 2, seed=0, size=(96, 80))


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
    from stargan_tf.core.run_dir import checkpoint_manager, write_run_file
    from stargan_tf.core.trainer import prepare

    directories = {}
    for dataset in ("celeba", "both"):
        config, data, model = prepare(tiny_config(tiny_data, tmp_path_factory.mktemp(dataset), dataset=dataset))
        checkpoint_manager(model, config.model_save_dir, 1).save()
        write_run_file(config.model_save_dir, config.model_name, config, data.layout.to_json())
        directories[dataset] = config.model_save_dir
    return directories


@pytest.fixture(scope="session")
def joint_saved_model(tiny_checkpoints, tmp_path_factory) -> str:
    """The tiny joint model exported as a SavedModel with the classify signature."""
    from stargan_tf import families
    from stargan_tf.core.export import export_saved_model

    model = families.get("stargan").serving_model(tiny_checkpoints["both"], 0, {"with_classifier": True})
    return export_saved_model(model, str(tmp_path_factory.mktemp("exported") / "joint" / "1"))


def load_serving_model(directory: str, with_classifier: bool = True):
    """(serving model, config) of a run directory through its family, as export and translate load it."""
    from stargan_tf import families
    from stargan_tf.core.run_dir import read_run_config

    family = families.for_run(directory)
    return (family.serving_model(directory, 0, {"with_classifier": with_classifier}),
            read_run_config(directory, family.config_class))


@pytest.fixture(scope="module")
def tiny_domains(tmp_path_factory) -> str:
    """Synthetic StarGAN v2 data: 3 domains, 8 training and 2 validation images each; returns the root."""
    return write_domains(tmp_path_factory.mktemp("tiny_domains"), 8, 2, seed=0)


def tiny_v2_config(root: str, run_dir, **overrides) -> StarGANv2Config:
    """A StarGAN v2 config with tiny networks at 16x16 on the tiny domain data, writing under run_dir."""
    values = dict(image_size=16, base_dim=8, max_conv_dim=16, mapping_dim=16, style_dim=8, latent_dim=4,
                  batch_size=4, num_iters=2, ds_iter=4, log_step=1, sample_step=2, model_save_step=2,
                  train_img_dir=f"{root}/train", val_img_dir=f"{root}/val", model_save_dir=str(run_dir / "models"),
                  sample_dir=str(run_dir / "samples"), log_dir=str(run_dir / "logs"))
    values.update(overrides)
    return StarGANv2Config(**values).validate()


def grid_tiles(grid, rows: int, columns: int, size: int, grouped: bool = False, row_names: bool = False):
    """The tiles [rows, columns, size, size, 3] of a labelled grid (core.grids.labelled_grid), checking its shape."""
    layout = grid_layout(rows, columns, size, None, grouped, row_names)
    grid = np.asarray(grid)
    assert grid.shape == layout.shape, (grid.shape, layout.shape)
    body = grid[layout.top:, layout.left:][::layout.scale, ::layout.scale]
    return body.reshape(rows, size, columns, size, 3).transpose(0, 2, 1, 3, 4)


@contextlib.contextmanager
def failing_after(seconds: int):
    """Turns a hang (opening a FIFO nobody writes to) into a test failure."""
    def hang(*_):
        raise TimeoutError(f"still blocked after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
