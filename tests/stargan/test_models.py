"""Generator and discriminator: the official parameter counts and output shapes."""
import numpy as np
import pytest

from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator


@pytest.mark.parametrize("c_dim, expected", [(5, 8_430_528), (8, 8_439_936), (15, 8_461_888)])
def test_generator_parameter_count_matches_official(c_dim, expected):
    generator = Generator(c_dim)
    out = generator(np.zeros((1, 32, 32, 3), np.float32), np.zeros((1, c_dim), np.float32))
    assert generator.count_params() == expected
    assert out.shape == (1, 32, 32, 3)


@pytest.mark.parametrize("image_size, c_dim, expected", [(64, 5, 44_731_328), (128, 5, 44_762_048),
                                                          (128, 8, 44_786_624)])
def test_discriminator_parameter_count_matches_official(image_size, c_dim, expected):
    discriminator = Discriminator(image_size, c_dim)
    src, cls = discriminator(np.zeros((2, image_size, image_size, 3), np.float32))
    assert discriminator.count_params() == expected
    assert src.shape == (2, image_size // 64, image_size // 64, 1)
    assert cls.shape == (2, c_dim)


def test_generator_output_is_image_sized_and_in_tanh_range():
    generator = Generator(3, conv_dim=8, repeat_num=2)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 24, 40, 3)).astype(np.float32)
    out = np.asarray(generator(images, np.eye(3, dtype=np.float32)[:2]))
    assert out.shape == (2, 24, 40, 3)
    assert np.all(np.abs(out) <= 1.0)


def test_generator_depends_on_the_label():
    generator = Generator(2, conv_dim=8, repeat_num=1)
    images = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    a = np.asarray(generator(images, np.array([[1.0, 0.0]], np.float32)))
    b = np.asarray(generator(images, np.array([[0.0, 1.0]], np.float32)))
    assert np.abs(a - b).max() > 1e-4
