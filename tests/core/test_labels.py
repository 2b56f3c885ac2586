"""Label layout with the mask vector, target permutations and the paper's sample targets."""
import numpy as np
import tensorflow as tf

from stargan_tf.data.labels import celeba_sample_targets, make_layout, permuted_targets, sample_targets

ATTRS = ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
EXPRESSIONS = ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised")


def test_joint_layout_is_celeba_then_rafd_then_mask():
    layout = make_layout(("celeba", "rafd"), ATTRS, EXPRESSIONS)
    assert (layout.label_dim, layout.logit_dim) == (15, 13)
    celeba = layout.embed("celeba", np.array([[1, 0, 0, 1, 1]]))
    rafd = layout.embed("rafd", np.eye(8)[[4]])
    np.testing.assert_array_equal(celeba, [[1, 0, 0, 1, 1] + [0] * 8 + [1, 0]])
    np.testing.assert_array_equal(rafd, [[0] * 5 + [0, 0, 0, 0, 1, 0, 0, 0] + [0, 1]])
    assert layout.names[-2:] == ["mask:celeba", "mask:rafd"]


def test_single_dataset_layout_has_no_mask():
    layout = make_layout(("rafd",), rafd_classes=EXPRESSIONS)
    assert (layout.label_dim, layout.logit_dim, layout.with_mask) == (8, 8, False)


def test_permuted_targets_are_a_permutation_of_the_batch_labels():
    labels = tf.constant(np.eye(6, dtype=np.float32))
    targets = permuted_targets(labels, seed=[1, 2]).numpy()
    assert sorted(map(tuple, targets)) == sorted(map(tuple, labels.numpy()))
    assert not np.array_equal(targets, labels.numpy())
    np.testing.assert_array_equal(targets, permuted_targets(labels, seed=[1, 2]).numpy())  # stateless


def test_sample_targets_keep_hair_colours_exclusive_and_toggle_the_rest():
    labels = np.array([[1, 0, 0, 1, 0], [0, 0, 1, 0, 1]], np.float32)
    targets = celeba_sample_targets(labels, ATTRS)
    np.testing.assert_array_equal(targets[1], [[0, 1, 0, 1, 0], [0, 1, 0, 0, 1]])  # blond, other hair cleared
    np.testing.assert_array_equal(targets[3], [[1, 0, 0, 0, 0], [0, 0, 1, 1, 1]])  # Male toggled
    for target in targets:
        assert np.all(target[:, :3].sum(axis=1) <= 1)


def test_joint_sample_targets_cover_both_datasets_with_the_right_mask():
    layout = make_layout(("celeba", "rafd"), ATTRS, EXPRESSIONS)
    rafd_labels = layout.embed("rafd", np.eye(8)[[0, 3]])
    targets = sample_targets(layout, "rafd", rafd_labels)
    assert [name for name, _ in targets] == list(ATTRS) + list(EXPRESSIONS)
    for name, target in targets[:5]:
        np.testing.assert_array_equal(target[:, -2:], [[1, 0], [1, 0]])
        assert np.all(target[:, 5:13] == 0)
    happy = dict(targets)["happy"]
    np.testing.assert_array_equal(happy[:, 5:13], np.eye(8)[[4, 4]])
    np.testing.assert_array_equal(happy[:, -2:], [[0, 1], [0, 1]])
