"""StarGAN v2 trains under mixed precision with float32 variables; a float16 run's checkpoint restores in float32."""
import dataclasses

import numpy as np
import pytest

from conftest import tiny_v2_config
from stargan_tf.core import precision
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare, train


@pytest.mark.parametrize("name", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_trains_with_finite_losses_and_float32_variables(name, tiny_domains, tmp_path):
    config = tiny_v2_config(tiny_domains, tmp_path, num_iters=2, precision=name)
    model = train(config)
    weights = [weight for network in model.networks.values() for weight in network.weights]
    assert model.generator.compute_dtype == name.split("_")[1]
    assert all(weight.dtype == "float32" and np.isfinite(weight.numpy()).all() for weight in weights)
    if name == "mixed_float16":  # The four loss-scaled optimizers' checkpoint restores into a float32 model.
        resumed_config, _, fresh = prepare(dataclasses.replace(config, precision="float32"))
        checkpoint_manager(fresh, resumed_config.model_save_dir, 1).restore_or_initialize()
        assert int(fresh.step.numpy()) == 2 and fresh.generator.compute_dtype == "float32"
        for key, optimizer in model.optimizers.items():
            assert int(fresh.optimizers[key].iterations.numpy()) == int(
                precision.checkpointable(optimizer).iterations.numpy()) > 0, key
        for a, b in zip(fresh.generator.weights, model.generator.weights):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
