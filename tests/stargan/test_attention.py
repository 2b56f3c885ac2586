"""The SAGAN self-attention block against its formula, and the networks that place it and spectral normalization."""
import keras
import numpy as np
import pytest

from stargan_tf.core import precision
from stargan_tf.families.stargan.attention import SelfAttention
from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator


def random_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)


def test_untrained_block_returns_exactly_its_input():
    x = np.random.default_rng(0).normal(size=(2, 4, 6, 16)).astype(np.float32)
    block = SelfAttention()
    outputs, attention = block(x, return_attention=True)
    assert float(block.gamma.numpy()) == 0.0
    np.testing.assert_array_equal(np.asarray(outputs), x)
    assert attention.shape == (2, 4, 6, 4, 6)


def test_attention_weights_are_a_distribution_over_positions():
    x = np.random.default_rng(1).normal(size=(3, 4, 6, 16)).astype(np.float32) * 3.0
    _, attention = SelfAttention()(x, return_attention=True)
    attention = np.asarray(attention)
    assert attention.min() >= 0.0
    np.testing.assert_allclose(attention.sum(axis=(3, 4)), 1.0, rtol=1e-5)
    assert attention.std() > 0  # not uniform: the weights depend on the features


def test_block_matches_the_sagan_formula():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 5, 16)).astype(np.float32)
    block = SelfAttention()
    block(x)
    w_f, w_g, w_h, w_v = (rng.normal(size=shape).astype(np.float32) * 0.5
                          for shape in ((16, 2), (16, 2), (16, 8), (8, 16)))
    for conv, kernel in zip((block.key, block.query, block.value, block.out), (w_f, w_g, w_h, w_v)):
        conv.kernel.assign(kernel[None, None])
    block.gamma.assign(0.7)
    flat = x.reshape(2, 15, 16)
    f, g, h = flat @ w_f, flat @ w_g, flat @ w_h
    s = np.einsum("nic,njc->nij", f, g)  # s_ij = f(x_i)^T g(x_j)
    beta = np.exp(s - s.max(axis=1, keepdims=True))
    beta = beta / beta.sum(axis=1, keepdims=True)  # beta_{j,i}: softmax over i, stored [n, i, j]
    o = np.einsum("nij,nic->njc", beta, h) @ w_v
    expected = 0.7 * o + flat
    outputs, attention = block(x, return_attention=True)
    np.testing.assert_allclose(np.asarray(outputs).reshape(2, 15, 16), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.asarray(attention).reshape(2, 15, 15), beta.transpose(0, 2, 1), atol=1e-6)


def test_block_parameter_count():
    block = SelfAttention()
    block(np.zeros((1, 4, 4, 16), np.float32))
    # f, g: 16 -> 2; h: 16 -> 8; v: 8 -> 16; no biases; gamma.
    assert block.count_params() == 2 * 16 * 2 + 16 * 8 + 8 * 16 + 1


def test_untrained_attention_generator_computes_the_paper_generator():
    images, labels = random_images((2, 16, 16, 3)), np.eye(3, dtype=np.float32)[:2]
    paper = Generator(3, conv_dim=4, repeat_num=2, name="paper")
    variant = Generator(3, conv_dim=4, repeat_num=2, attention_at=("up0", "res1", "down1"), name="variant")
    paper(images, labels)
    outputs, maps = variant(images, labels, return_attention=True)
    assert variant.attention_at == ("down1", "res1", "up0")  # network order
    assert [tuple(m.shape) for m in maps] == [(2, 4, 4, 4, 4), (2, 4, 4, 4, 4), (2, 8, 8, 8, 8)]
    attention_weights = [w for w in variant.weights if "attention_" in w.path]
    assert len(attention_weights) == 3 * 5
    paper_weights = {w.path.replace("paper/", ""): w for w in paper.weights}
    for weight in variant.weights:
        if "attention_" not in weight.path:
            weight.assign(paper_weights[weight.path.replace("variant/", "")])
    np.testing.assert_array_equal(np.asarray(variant(images, labels)), np.asarray(paper(images, labels)))
    assert variant.count_params() - paper.count_params() == sum(int(np.prod(w.shape)) for w in attention_weights)


def test_attention_discriminator_shapes_and_maps():
    discriminator = Discriminator(16, 3, conv_dim=4, repeat_num=3, attention_at=("conv0", "conv1"))
    src, cls, maps = discriminator(random_images((2, 16, 16, 3)), return_attention=True)
    assert (src.shape, cls.shape) == ((2, 2, 2, 1), (2, 3))
    assert [tuple(m.shape) for m in maps] == [(2, 8, 8, 8, 8), (2, 4, 4, 4, 4)]


def test_spectral_norm_adds_one_vector_per_conv_and_normalizes_in_training_calls():
    keras.utils.set_random_seed(0)
    images = random_images((2, 16, 16, 3))
    plain = Discriminator(16, 3, conv_dim=4, repeat_num=2)
    normalized = Discriminator(16, 3, conv_dim=4, repeat_num=2, spectral_norm=True)
    plain(images)
    normalized(images)
    # A power-iteration vector per conv, as long as its outputs: conv0 4, conv1 8, D_src 1, D_cls 3.
    assert normalized.count_params() - plain.count_params() == 4 + 8 + 1 + 3
    kernels = [w for w in normalized.trainable_weights if w.path.endswith("kernel")]
    before = [k.numpy().copy() for k in kernels]
    normalized(images)  # inference: weights untouched
    assert all(np.array_equal(a, k.numpy()) for a, k in zip(before, kernels))
    # Each training call divides the kernel by a power-iteration estimate of its top singular value, which never
    # exceeds the true one: the norm stays >= 1 and approaches 1 as the estimate converges.
    for _ in range(100):
        normalized(images, training=True)
    for kernel in kernels:
        norm = np.linalg.svd(kernel.numpy().reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert 1.0 - 1e-4 <= norm <= 1.01, kernel.path


def test_spectral_norm_covers_the_attention_convs():
    discriminator = Discriminator(16, 3, conv_dim=4, repeat_num=2, attention_at=("conv1",), spectral_norm=True)
    discriminator(random_images((1, 16, 16, 3)))
    vectors = sorted(w.path for w in discriminator.weights if w.path.endswith("vector_u"))
    assert len(vectors) == 4 + 4 and sum("attention_conv1" in path for path in vectors) == 4


@pytest.mark.parametrize("network", [lambda: Generator(3, 4, repeat_num=2, attention_at=("res2",)),
                                     lambda: Discriminator(16, 3, 4, repeat_num=2, attention_at=("conv2",))])
def test_unknown_stage_is_refused_with_the_stages_listed(network):
    with pytest.raises(ValueError, match=r"unknown stages \['(res|conv)2'\]; the stages are .*(res1|conv1)"):
        network()


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_block_built_outside_its_mixed_precision_scope_computes_in_its_policy(spectral_norm):
    with precision.policy("mixed_bfloat16"):
        block = SelfAttention(spectral_norm=spectral_norm)
    outputs = block(keras.ops.zeros([1, 4, 4, 16], "bfloat16"), training=True)  # built here, under float32
    assert outputs.dtype == "bfloat16"
    assert {conv.compute_dtype for conv in (block.key, block.query, block.value, block.out)} == {"bfloat16"}
