"""The base of every family's trained model: networks, their optimizers, the step counter, per-step options."""
from __future__ import annotations

from typing import ClassVar

import keras
import tensorflow as tf


class GANModel(keras.Model):
    """A keras.Model whose compile() takes one optimizer per trained network and whose train_step trains them.

    A family names its networks (attributes checkpointed by weight path) and which network each optimizer
    trains; the trainer, checkpoints, NaN guard and export work from these names alone.
    """

    network_names: ClassVar[tuple[str, ...]] = ()  # attributes holding the networks, in checkpoint order
    optimizer_targets: ClassVar[dict[str, str]] = {}  # optimizer attribute -> the network it trains
    steps_per_iteration: int = 1  # train steps (batches) per iteration, the unit of num_iters

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Train steps taken (a batch each); checkpointed, so a resumed run continues every schedule exactly.
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step",
                                aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    @property
    def iteration(self):
        """Iterations done."""
        return self.step // self.steps_per_iteration

    @property
    def networks(self) -> dict:
        """{name: network} of every network the checkpoints hold."""
        return {name: getattr(self, name) for name in self.network_names}

    @property
    def optimizers(self) -> dict:
        """{name: optimizer} once compiled (else empty)."""
        return {name: getattr(self, name) for name in self.optimizer_targets if hasattr(self, name)}

    def build_networks(self) -> None:
        """Creates every weight (Keras cannot infer the networks' several inputs by itself)."""
        raise NotImplementedError

    def compile(self, **optimizers):
        """Takes one optimizer per trained network (keyword = optimizer name) and builds each on its network.

        Building them here, inside the strategy's scope, is what distributed training needs.
        """
        missing = sorted(set(self.optimizer_targets) - set(optimizers))
        unknown = sorted(set(optimizers) - set(self.optimizer_targets))
        if missing or unknown:
            raise TypeError(f"{type(self).__name__}.compile: missing optimizers {missing}, unknown {unknown}")
        super().compile()
        if not self.built:
            self.build_networks()
        for name, optimizer in optimizers.items():
            setattr(self, name, optimizer)
            optimizer.build(getattr(self, self.optimizer_targets[name]).trainable_variables)

    def step_options(self, iteration: int) -> dict:
        """Python keyword arguments of train_step for this iteration: the distributed loop traces one step per
        distinct value (StarGAN decides its G update here; syncs cannot sit inside a tf.cond)."""
        return {}

    def checked_variables(self) -> list:
        """Every variable that must stay finite before a checkpoint is written: weights and optimizer state."""
        variables = [weight for network in self.networks.values() for weight in network.weights]
        return variables + [variable for optimizer in self.optimizers.values() for variable in optimizer.variables]
