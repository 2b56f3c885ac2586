"""--dataset lists (celeba,affectnet): the mask over the datasets given, alternating batches, D_cls and G widths,
sample grids, the export's labels signature and translate targets all follow the layout; both is unchanged."""
import numpy as np
import pytest

from conftest import tiny_config
from stargan_tf.core.config import ConfigError
from stargan_tf.data.affectnet import EXPRESSIONS
from stargan_tf.data.synthetic import SYNTHETIC_CELEBA_ATTRS
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.families.stargan.data import load_run_data, resolve_data_dirs
from stargan_tf.families.stargan.family import build_model
from stargan_tf.families.stargan.samples import translation_grid
from stargan_tf.families.stargan.serving import label_description
from stargan_tf.families.stargan.translate import Targets

ATTRS = list(SYNTHETIC_CELEBA_ATTRS)


@pytest.fixture(scope="module")
def joint(tiny_data, tiny_affectnet, tmp_path_factory):
    """(config, run data) of a tiny celeba,affectnet run."""
    image_dir, train, val = tiny_affectnet
    run_dir = tmp_path_factory.mktemp("joint")
    config = tiny_config(tiny_data, run_dir, dataset="CelebA, AffectNet", affectnet_image_dir=image_dir,
                         affectnet_train_csv=train, affectnet_val_csv=val, synthetic_cache_dir=str(run_dir / "cache"))
    return config, load_run_data(config)


def test_dataset_lists_parse_and_both_is_unchanged():
    assert StarGANConfig(dataset="CelebA, AffectNet").datasets == ("celeba", "affectnet")
    assert StarGANConfig(dataset="rafd,celeba,affectnet").datasets == ("rafd", "celeba", "affectnet")
    both = StarGANConfig(dataset="both")
    assert both.dataset == "both" and both.datasets == ("celeba", "rafd")
    for bad in ("celeba,celeba", "celeba,imagenet", "both,affectnet", "celeba,"):
        with pytest.raises(ConfigError, match=f"--dataset='{bad}': expected one of celeba, rafd, affectnet or both"):
            StarGANConfig(dataset=bad).validate()


def test_joint_layout_masks_the_datasets_given_and_batches_alternate(joint):
    config, data = joint
    assert data.layout.names == ATTRS + list(EXPRESSIONS) + ["mask:celeba", "mask:affectnet"]
    assert (data.layout.logit_dim, data.layout.label_dim) == (13, 15)
    for index, batch in enumerate(data.training_dataset(config).take(4)):
        labels = batch["label"].numpy()
        np.testing.assert_array_equal(labels[:, -2:], np.eye(2)[[index % 2] * 4])
        if index % 2:  # an AffectNet batch: one expression each, no CelebA labels
            np.testing.assert_array_equal(labels[:, 5:13].sum(axis=1), 1)
            assert not labels[:, :5].any()


def test_joint_model_grids_export_labels_and_translate_targets_follow_the_layout(joint):
    config, data = joint
    model = build_model(config, data.layout, optimizer=None)
    images, labels = data.fixed_batch("affectnet", 2, config.image_size)
    _, logits = model.discriminator(images)
    assert logits.shape == (2, 13)
    assert model.generator(images, labels).shape == (2, 16, 16, 3)
    grid, names = translation_grid(model.generator, images, labels, data.layout, "affectnet")
    assert names == ["input"] + ATTRS + list(EXPRESSIONS) and grid.dtype == np.uint8 and grid.ndim == 3
    described = label_description(data.layout, config.image_size, 0)
    assert described["datasets"] == ["celeba"] * 5 + ["affectnet"] * 8 + ["celeba", "affectnet"]
    assert described["kinds"] == ["multilabel"] * 5 + ["onehot"] * 8 + ["mask"] * 2
    [(name, target)] = Targets.parse(data.layout, target="Happy").for_photo()
    assert name == "Happy" and target.tolist() == [0] * 5 + [0, 1, 0, 0, 0, 0, 0, 0] + [0, 1]
    all_domains = Targets.parse(data.layout, source="Sad").for_photo()
    assert [name for name, _ in all_domains] == ATTRS + list(EXPRESSIONS)
    assert all(target[-2:].tolist() == [1, 0] for _, target in all_domains[:5])


def test_affectnet_given_no_folder_uses_the_synthetic_set(tiny_affectnet, monkeypatch):
    from stargan_tf.data import synthetic_affectnet

    monkeypatch.setattr(synthetic_affectnet, "ensure_synthetic_affectnet", lambda cache_dir: tiny_affectnet)
    config = resolve_data_dirs(StarGANConfig(dataset="affectnet"))
    assert (config.affectnet_image_dir, config.affectnet_train_csv, config.affectnet_val_csv) == tiny_affectnet
