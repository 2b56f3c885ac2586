"""Run by test_optimizers.py in a fresh process (the CPU must be split before TensorFlow starts): three TorchAdam
steps of a linear least-squares model under MirroredStrategy over 2 logical CPUs; saves the weights to an .npz."""
import sys

import numpy as np

from stargan_tf.core import distribute

distribute.split_cpu(2)

import tensorflow as tf  # noqa: E402

from stargan_tf.core.optimizers import TorchAdam  # noqa: E402


def main(data_path: str, output: str):
    data = np.load(data_path)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        weights = tf.Variable(data["weights"])
        optimizer = TorchAdam(1e-2, beta_1=0.5, beta_2=0.999)
        optimizer.build([weights])
    inputs, targets = data["inputs"], data["targets"]
    batches = strategy.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(len(inputs)))

    @tf.function
    def step(batch):
        def replica_step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(tf.reduce_sum(tf.square(x @ weights - y), axis=1),
                                                  global_batch_size=len(inputs))
            optimizer.apply_gradients([(tape.gradient(loss, weights), weights)])
        strategy.run(replica_step, args=batch)

    batch = next(iter(batches))
    for _ in range(3):
        step(batch)
    np.savez(output, weights=weights.numpy(), replicas=strategy.num_replicas_in_sync)


if __name__ == "__main__":
    main(*sys.argv[1:])
