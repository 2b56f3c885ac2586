"""Analytic FLOPs of the StarGAN networks and of one training iteration, counted from convolution shapes.

Counting rule (documented in docs/performance.md): a convolution's forward pass costs F = 2 * MACs =
2 * N * H_out * W_out * kh * kw * C_in * C_out (for a transposed convolution, H_in * W_in of its input).
Its backward pass costs 2F (gradients with respect to its input and to its weights). Only convolutions and
matrix multiplies (D's last convolutions run as matmuls, with the same count) are counted: over 99% of the
arithmetic; elementwise ops, norms and the optimizer are not, so the figure is a lower bound of the work done. With Fg = G forward, Fd = D forward of one batch:

- D step: G forward for x_fake (Fg); D forward on x_real and x_fake (2 Fd) and backward (4 Fd); gradient
  penalty: D forward on x_hat (Fd), its inner backward to x_hat (Fd, input gradients only) and the outer
  differentiation of that backward with respect to D's weights (2 Fd: each input-gradient convolution is
  differentiated with respect to its weights and its incoming gradient; LeakyReLU's derivative is piecewise
  constant, so nothing flows back through the forward pass). Total Fg + 10 Fd.
- G step: G forward twice (2 Fg), D forward on x_fake (Fd), D backward to its input only (Fd), G backward
  through both passes (4 Fg). Total 6 Fg + 2 Fd.
- Iteration: one D step + 1/n_critic of a G step.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

# Matmul op types and the attribute saying whether their first input is transposed.
_MATMUL_TRANSPOSE_A = {"MatMul": "transpose_a", "BatchMatMulV2": "adj_x", "BatchMatMulV3": "adj_x"}


def conv_flops(graph: tf.Graph) -> int:
    """Forward FLOPs of the convolutions and matmuls in a traced graph (Conv2D, transposed Conv2DBackpropInput,
    MatMul and BatchMatMul ops)."""
    total = 0
    for op in graph.get_operations():
        if op.type in _MATMUL_TRANSPOSE_A:  # 2 x output elements x the contracted dimension
            a_shape = op.inputs[0].shape.as_list()
            contracted = a_shape[-2] if op.get_attr(_MATMUL_TRANSPOSE_A[op.type]) else a_shape[-1]
            total += 2 * int(np.prod(op.outputs[0].shape.as_list())) * contracted
            continue
        if op.type == "Conv2D":
            kh, kw, c_in, c_out = op.inputs[1].shape.as_list()
            positions = np.prod(op.outputs[0].shape.as_list()[:3])
        elif op.type == "Conv2DBackpropInput":  # a transposed convolution: each input pixel is scattered
            kh, kw, c_out, c_in = op.inputs[1].shape.as_list()
            positions = np.prod(op.inputs[2].shape.as_list()[:3])
        else:
            continue
        total += 2 * int(positions) * kh * kw * c_in * c_out
    return total


def forward_flops(network, *input_specs: tf.TensorSpec) -> int:
    """Forward FLOPs of one call of a Keras network on inputs of the given (fully defined) shapes."""
    return conv_flops(tf.function(network).get_concrete_function(*input_specs).graph)


@dataclasses.dataclass(frozen=True)
class IterationFlops:
    """FLOPs of a D step, a G step and one iteration (D + G / n_critic), from the two forward costs."""

    generator_forward: int
    discriminator_forward: int
    n_critic: int

    @property
    def d_step(self) -> int:
        return self.generator_forward + 10 * self.discriminator_forward

    @property
    def g_step(self) -> int:
        return 6 * self.generator_forward + 2 * self.discriminator_forward

    @property
    def iteration(self) -> float:
        return self.d_step + self.g_step / self.n_critic


def stargan_flops(model, batch_size: int) -> IterationFlops:
    """Iteration FLOPs of a built StarGAN model at a batch size."""
    size, label_dim = model.config.image_size, model.layout.label_dim
    images = tf.TensorSpec([batch_size, size, size, 3], tf.float32)
    labels = tf.TensorSpec([batch_size, label_dim], tf.float32)
    return IterationFlops(forward_flops(model.generator, images, labels),
                          forward_flops(model.discriminator, images), model.config.n_critic)
