"""FLOP counting: convolution shapes give hand-computed forward costs; the iteration rule adds them up."""
import tensorflow as tf

from stargan_tf.families.stargan.flops import IterationFlops, forward_flops
from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator


def test_generator_forward_flops_match_the_layer_shapes():
    generator = Generator(c_dim=1, conv_dim=2, repeat_num=1)
    flops = forward_flops(generator, tf.TensorSpec([1, 8, 8, 3]), tf.TensorSpec([1, 1]))
    conv_in = 2 * 8 * 8 * 7 * 7 * 4 * 2  # image + 1 label channel -> 2
    down = 2 * 4 * 4 * 16 * 2 * 4 + 2 * 2 * 2 * 16 * 4 * 8
    residual = 2 * (2 * 2 * 2 * 9 * 8 * 8)
    up = 2 * 2 * 2 * 16 * 8 * 4 + 2 * 4 * 4 * 16 * 4 * 2  # transposed: input positions x kernel
    conv_out = 2 * 8 * 8 * 7 * 7 * 2 * 3
    assert flops == conv_in + down + residual + up + conv_out == 113408


def test_discriminator_forward_flops_scale_with_the_batch():
    discriminator = Discriminator(image_size=8, c_dim=2, conv_dim=2, repeat_num=2)
    trunk = 2 * 4 * 4 * 16 * 3 * 2 + 2 * 2 * 2 * 16 * 2 * 4
    heads = 2 * 2 * 2 * 9 * 4 * 1 + 2 * 1 * 1 * 4 * 4 * 2
    assert forward_flops(discriminator, tf.TensorSpec([1, 8, 8, 3])) == trunk + heads
    assert forward_flops(discriminator, tf.TensorSpec([3, 8, 8, 3])) == 3 * (trunk + heads)


def test_iteration_is_a_d_step_and_a_fifth_of_a_g_step():
    flops = IterationFlops(generator_forward=10, discriminator_forward=100, n_critic=5)
    assert flops.d_step == 10 + 1000
    assert flops.g_step == 60 + 200
    assert flops.iteration == 1010 + 52
