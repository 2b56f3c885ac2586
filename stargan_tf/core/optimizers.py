"""Adam with PyTorch's update, so that training steps equal the official (PyTorch) StarGAN code's."""
import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stargan_tf")
class TorchAdam(keras.optimizers.Adam):
    """torch.optim.Adam's update on Keras's Adam state: epsilon is added to the bias-corrected sqrt(v).

    Keras's Adam steps by lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps), torch's by
    lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps): a torch epsilon e is a Keras epsilon
    e * sqrt(1 - b2^t), which changes with t, so no constant Keras epsilon reproduces torch's steps. This class
    computes torch's expression, in torch's order of operations. Its variables (iterations, learning rate,
    momentums, velocities and, with amsgrad, velocity_hats) are Keras Adam's, so checkpoints written with a
    keras.optimizers.Adam restore into it. The default epsilon is torch's, 1e-8.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        """One torch Adam step of `variable`; the bias corrections are computed in float64, as torch does."""
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, "float64")
        bias_correction1 = 1.0 - ops.power(ops.cast(self.beta_1, "float64"), step)
        bias_correction2_sqrt = ops.sqrt(1.0 - ops.power(ops.cast(self.beta_2, "float64"), step))
        step_size = ops.cast(ops.cast(learning_rate, "float64") / bias_correction1, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign(v, ops.add(ops.multiply(v, self.beta_2), ops.multiply(ops.square(gradient), 1 - self.beta_2)))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            self.assign(v_hat, ops.maximum(v_hat, v))
            v = v_hat
        denominator = ops.add(ops.divide(ops.sqrt(v), ops.cast(bias_correction2_sqrt, dtype)), self.epsilon)
        self.assign_sub(variable, ops.multiply(step_size, ops.divide(m, denominator)))
