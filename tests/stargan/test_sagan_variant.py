"""The self-attention / hinge-loss variant: its flags, a few fit steps with each loss, and the attention images."""
import json

import numpy as np
import pytest
from PIL import Image

from conftest import tiny_config
from stargan_tf.families.stargan.attention_maps import attention_grid, attention_overlay, query_cell
from stargan_tf.families.stargan.config import ConfigError, StarGANConfig
from stargan_tf.core.trainer import prepare, train
from stargan_tf.core.grids import grid_layout
from core.test_cli import parse

VARIANT = dict(g_attention_at=("res0",), d_attention_at=("conv0",), d_spectral_norm=True)


def test_variant_flags_fill_the_config_and_survive_run_json():
    config = parse("--g_attention_at=res5", "--d_attention_at=conv3,conv2", "--d_spectral_norm",
                   "--adv_loss=hinge", "--gp_with_hinge", "--attention_query=0.3,0.6").validate()
    assert (config.g_attention_at, config.d_attention_at) == (("res5",), ("conv3", "conv2"))
    assert StarGANConfig(**json.loads(json.dumps(config.to_dict()))) == config
    assert "d_spectral_norm: checkpoint has False, this run has True" in config.architecture_mismatches(parse())


def test_paper_model_stays_the_default():
    config = parse()
    assert (config.g_attention_at, config.d_attention_at, config.d_spectral_norm) == ((), (), False)
    assert (config.adv_loss, config.gp_weight) == ("wgan-gp", 10.0)


@pytest.mark.parametrize("adv_loss, gp_with_hinge, weight", [("wgan-gp", False, 10.0), ("hinge", False, 0.0),
                                                              ("hinge", True, 10.0)])
def test_gradient_penalty_is_off_with_hinge_unless_asked(adv_loss, gp_with_hinge, weight):
    assert StarGANConfig(adv_loss=adv_loss, gp_with_hinge=gp_with_hinge).validate().gp_weight == weight


@pytest.mark.parametrize("values, message", [
    (dict(adv_loss="lsgan"), "--adv_loss='lsgan': expected one of wgan-gp, hinge"),
    (dict(gp_with_hinge=True), "--gp_with_hinge only applies to --adv_loss=hinge"),
    (dict(g_attention_at=("res6",)),
     r"--g_attention_at=res6: unknown stage 'res6'; .* down1 \(32x32\), res0 \(32x32\)"),
    (dict(d_attention_at=("conv1", "conv1")), "--d_attention_at=conv1,conv1 repeats a stage"),
    (dict(d_attention_at=("32",)), r"--d_attention_at=32: unknown stage '32'; .* conv1 \(32x32\)"),
    (dict(attention_query="0.5"), "--attention_query='0.5': expected row,col"),
    (dict(attention_query="0.5,1.5"), "--attention_query='0.5,1.5'"),
])
def test_bad_variant_values_name_the_flag(values, message):
    with pytest.raises(ConfigError, match=message):
        StarGANConfig(**values).validate()


def test_query_cell_and_overlay_on_hand_made_attention():
    assert query_cell((0.5, 0.5), 4, 4) == (2, 2) and query_cell((1.0, 0.0), 4, 6) == (3, 0)
    attention = np.zeros((1, 2, 2, 2, 2), np.float32)
    attention[0, 0, 1, 1, 0] = 1.0  # the query cell (0, 1) looks only at cell (1, 0)
    overlay = attention_overlay(np.zeros((1, 8, 8, 3), np.float32), attention, (0.0, 0.99))
    # Heat 0.75 of (255, 40, 0) over grey 128 in cell (1, 0) = pixels [4:8, 0:4]; grey elsewhere.
    np.testing.assert_array_equal(overlay[0, 4:8, 0:4], np.full((4, 4, 3), [223, 62, 32]))
    np.testing.assert_array_equal(overlay[0, 3:8, 4:8], 128)
    np.testing.assert_array_equal(overlay[0, 0, 6:8], [[0, 255, 0]] * 2)  # the query marker


@pytest.mark.parametrize("adv_loss", ["wgan-gp", "hinge"])
def test_variant_fit_changes_weights_and_gives_finite_losses(tiny_data, tmp_path, adv_loss):
    config, data, model = prepare(tiny_config(tiny_data, tmp_path, dataset="celeba", adv_loss=adv_loss, **VARIANT))
    before = [w.numpy().copy() for w in model.generator.weights + model.discriminator.weights]
    history = model.fit(data.training_dataset(config), epochs=1, steps_per_epoch=2 * config.n_critic,
                        shuffle=False, verbose=0)
    assert ("d/loss_gp" in history.history) == (adv_loss == "wgan-gp")
    for name, values in history.history.items():
        assert np.isfinite(values).all(), name
    assert history.history["g/loss_rec"][-1] > 0
    after = model.generator.weights + model.discriminator.weights
    unchanged = [w.path for a, w in zip(before, after) if np.array_equal(a, w.numpy())]
    assert unchanged == []  # including gamma and the attention convs, which learn once gamma leaves 0
    gammas = [abs(float(w.numpy())) for w in after if w.path.endswith("gamma") and "attention" in w.path]
    assert len(gammas) == 2 and min(gammas) > 0


def test_train_writes_attention_images_beside_the_samples(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, dataset="celeba", num_iters=2, num_iters_decay=0, adv_loss="hinge",
                         attention_query="0.25,0.75", **VARIANT)
    model = train(config)
    image = np.asarray(Image.open(f"{config.sample_dir}/000002-celeba-attention.png"))
    images, labels = prepare(config)[1].fixed_batch("celeba", 8, 16)
    grid, names = attention_grid(model.generator, model.discriminator, images, labels, model.layout, "celeba",
                                 (0.25, 0.75))
    # Input, one G column per target domain (the 5 attributes), one D column; a row of 16 px per test image.
    assert names == ["input", "Black_Hair G:res0", "Blond_Hair G:res0", "Brown_Hair G:res0", "Male G:res0",
                     "Young G:res0", "D:conv0"]
    assert image.shape == grid.shape == grid_layout(len(images), 7, 16, grouped=True).shape
    np.testing.assert_array_equal(image, grid)
