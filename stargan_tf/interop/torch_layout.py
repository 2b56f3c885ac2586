"""PyTorch's tensor layout against Keras's: official parameter names of a layer, kernels transposed both ways."""
import re

import keras
import numpy as np
import tensorflow as tf

from stargan_tf.core.layers import InstanceNormalization
from stargan_tf.interop.torch_checkpoint import CheckpointError

UNUSED_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")  # Tracked, never used by the official code.


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


def count_keys(state: dict, pattern: str) -> int:
    """How many state_dict keys match a regular expression: the depth of a network read from its checkpoint."""
    return sum(1 for key in state if re.fullmatch(pattern, key))


def load_official_weights(weights: dict, state: dict, path: str, describe=None) -> None:
    """Assigns state_dict tensors to variables; one error lists every missing, unexpected or misshapen tensor.

    `describe(key, found_shape)` explains what a misshapen tensor's shape means (e.g. the c_dim it implies).
    Running statistics of norms that have no variable here are not unexpected: the official code never uses them.
    """
    problems = [f"{key}: missing" for key in weights if key not in state]
    problems += [f"{key}: unexpected (a different architecture?)" for key in state
                 if key not in weights and not key.endswith(UNUSED_SUFFIXES)]
    for key, variable in weights.items():
        if key in state and list(state[key].shape) != official_shape(variable):
            found = list(state[key].shape)
            problems.append(f"{key}: expected shape {official_shape(variable)}, found {found}"
                            f"{describe(key, found) if describe else ''}")
    if problems:
        raise CheckpointError(f"{path} does not fit the model: " + "; ".join(problems))
    for key, variable in weights.items():
        variable.assign(to_keras(state[key]))
