"""The identity loss (--lambda_id): G's loss gains |G(x, c_org) - x|, logged as g/loss_id; off, nothing changes."""
import logging

import numpy as np
import pytest

from conftest import tiny_config
from stargan_tf.core.trainer import prepare, train
from stargan_tf.families.stargan.config import ConfigError, StarGANConfig


def one_g_update(tiny_data, run_dir, batch=None, **overrides):
    """(logs, G's weights before, G's weights after, the batch, |G(x, c_org) - x| before) of one D and G update."""
    config, data, model = prepare(tiny_config(tiny_data, run_dir, dataset="celeba", n_critic=1, **overrides))
    batch = batch or next(iter(data.training_dataset(config)))
    before = [weight.numpy().copy() for weight in model.generator.weights]
    identity = float(np.abs(model.generator(batch["image"], batch["label"]) - batch["image"]).mean())
    logs = model.train_step(batch)
    return logs, before, [weight.numpy() for weight in model.generator.weights], batch, identity


def test_identity_loss_is_added_to_g_and_logged(tiny_data, tmp_path):
    plain_logs, plain_before, plain_after, batch, _ = one_g_update(tiny_data, tmp_path / "off")
    logs, before, after, _, identity = one_g_update(tiny_data, tmp_path / "on", batch, lambda_id=5.0)
    assert "g/loss_id" not in plain_logs
    assert float(logs["g/loss_id"]) == pytest.approx(identity, rel=1e-5)
    assert identity > 0.01
    # Same start, same batch, same D update: only the identity term makes the two G updates differ.
    assert all(np.array_equal(a, b) for a, b in zip(plain_before, before))
    assert float(logs["d/loss_real"]) == pytest.approx(float(plain_logs["d/loss_real"]), rel=1e-6)
    assert max(np.abs(a - b).max() for a, b in zip(plain_after, after)) > 1e-6


def test_run_json_names_the_identity_loss_only_when_it_is_on(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path)
    assert "lambda_id" not in config.to_dict()
    on = tiny_config(tiny_data, tmp_path, lambda_id=2.0)
    assert on.to_dict()["lambda_id"] == 2.0 and StarGANConfig.from_dict(on.to_dict(), "run.json") == on
    with pytest.raises(ConfigError, match="lambda_id"):
        tiny_config(tiny_data, tmp_path, lambda_id=-1.0)


def test_a_run_resumes_with_the_identity_loss_switched_on_or_off(tiny_data, tmp_path, caplog):
    for first, second in ((0.0, 1.0), (1.0, 0.0)):
        run_dir = tmp_path / f"from_{first}"
        train(tiny_config(tiny_data, run_dir, dataset="celeba", num_iters=2, lambda_id=first))
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="stargan_tf"):
            model = train(tiny_config(tiny_data, run_dir, dataset="celeba", num_iters=4, lambda_id=second))
        assert f"resumed from {run_dir / 'models' / 'ckpt-2'} at step 2" in caplog.text
        assert int(model.iteration.numpy()) == 4
