"""StarGAN as one keras.Model: compile() takes the two optimizers, train_step() does the D and G updates."""
import tensorflow as tf

from stargan_tf.core import precision
from stargan_tf.core.ema import copy_weights, update_averages, warmed_up_decay
from stargan_tf.core.gan import GANModel
from stargan_tf.data.labels import LabelLayout
from stargan_tf.families.stargan import losses
from stargan_tf.families.stargan.config import StarGANConfig
from stargan_tf.families.stargan.discriminator import Discriminator
from stargan_tf.families.stargan.generator import Generator
from stargan_tf.families.stargan.schedule import learning_rate_at

G_LOSS_NAMES = ("g/loss_fake", "g/loss_cls", "g/loss_rec")
IDENTITY_LOSS_NAME = "g/loss_id"


class StarGAN(GANModel):
    """Generator and discriminator trained together: a D update every step, a G update every n_critic-th.

    One train_step serves one dataset and two: the label layout (with its mask vector) is data. With two
    datasets their batches alternate, and an iteration (the unit of n_critic, learning-rate decay and
    num_iters) is one batch of each, as in the official joint training.

    With config.g_ema_beta > 0, a moving average of G's weights (generator_ema, checkpointed beside the others)
    follows each G update and is the `translator` that samples, evaluation and export use. With
    config.lambda_id > 0, G also learns to return an image unchanged for its own labels (an identity loss).
    """

    network_names = ("generator", "discriminator")
    optimizer_targets = {"d_optimizer": "discriminator", "g_optimizer": "generator"}

    def __init__(self, config: StarGANConfig, layout: LabelLayout, **kwargs):
        super().__init__(**kwargs)
        self.config, self.layout = config, layout
        self.steps_per_iteration = len(layout.segments)
        self.generator = self._new_generator("generator")
        self.generator_ema = None
        if config.g_ema_beta:
            self.generator_ema = self._new_generator("generator_ema")
            self.generator_ema.trainable = False
            self.network_names = StarGAN.network_names + ("generator_ema",)
        self.discriminator = Discriminator(config.image_size, layout.logit_dim, config.d_conv_dim,
                                           config.d_repeat_num, attention_at=config.d_attention_at,
                                           spectral_norm=config.d_spectral_norm, name="discriminator")
        self.d_adversarial, self.g_adversarial = losses.ADVERSARIAL_LOSSES[config.adv_loss]
        # The latest G losses, reported on the steps that do not update G. MEAN: assigned per replica, they
        # hold the global-batch mean (replicas have equal batches), as on one device.
        self.g_loss_names = G_LOSS_NAMES + ((IDENTITY_LOSS_NAME,) if config.lambda_id else ())
        self.last_g_losses = [tf.Variable(0.0, trainable=False, name=name.replace("/", "_"),
                                          aggregation=tf.VariableAggregation.MEAN)
                              for name in self.g_loss_names]

    def _new_generator(self, name: str) -> Generator:
        c = self.config
        return Generator(self.layout.label_dim, c.g_conv_dim, c.g_repeat_num, attention_at=c.g_attention_at,
                         input_skip=c.g_input_skip, name=name)

    @property
    def translator(self) -> Generator:
        """The generator a trained model translates with: the moving average of G when there is one, else G."""
        return self.generator if self.generator_ema is None else self.generator_ema

    def build_networks(self):
        """Creates every weight by running G and D once on zeros (Keras cannot infer the two inputs); the moving
        average of G starts as an exact copy of G."""
        size = self.config.image_size
        images, labels = tf.zeros([1, size, size, 3]), tf.zeros([1, self.layout.label_dim])
        self.generator(images, labels)
        self.discriminator(images)
        if self.generator_ema is not None:
            self.generator_ema(images, labels)
            copy_weights(self.generator, self.generator_ema)
        self.built = True

    def call(self, images, labels):
        """Translates images to the domains given by labels (with the translator)."""
        return self.translator(images, labels)

    def learning_rates(self, iteration):
        """(d_lr, g_lr) at an iteration under the configured decay."""
        c = self.config
        return tuple(learning_rate_at(iteration, lr, c.num_iters, c.num_iters_decay, c.lr_update_step, c.lr_decay)
                     for lr in (c.d_lr, c.g_lr))

    def _average(self, per_example):
        return tf.nn.compute_average_loss(per_example)

    def _d_step(self, x_real, c_org, c_trg, alpha, x_fake=None):
        """D update on x_real and the fakes G(x_real, c_trg), passed in as x_fake when already computed."""
        c = self.config
        if x_fake is None:
            x_fake = self.generator(x_real, c_trg)
        x_fake = tf.stop_gradient(x_fake)
        with tf.GradientTape() as tape:
            # training=True: spectral normalization (when on) updates D's weights only in training calls.
            src_real, cls_real = self.discriminator(x_real, training=True)
            src_fake, _ = self.discriminator(x_fake, training=True)
            loss_real, loss_fake = self.d_adversarial(src_real, src_fake)
            loss_cls = losses.domain_classification(cls_real, c_org, self.layout)
            per_example = loss_real + loss_fake + c.lambda_cls * loss_cls
            logs = {"d/loss_real": loss_real, "d/loss_fake": loss_fake, "d/loss_cls": loss_cls}
            if c.gp_weight:  # off with the hinge loss unless --gp_with_hinge: it costs a third D pass.
                x_hat = losses.interpolate(x_real, x_fake, alpha)
                logs["d/loss_gp"] = losses.gradient_penalty(lambda x: self.discriminator(x, training=True)[0], x_hat,
                                                            precision.loss_scale(self.d_optimizer))
                per_example += c.gp_weight * logs["d/loss_gp"]
            total = self.d_optimizer.scale_loss(self._average(per_example))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        return logs

    def _g_step(self, x_real, c_org, c_trg, d_update=None):
        """G update; with d_update(x_fake), the iteration's D update first, on this step's G(x_real, c_trg).

        G's forward pass does not depend on D, so handing it to the D update is exact and saves one G forward
        per G update, while G's losses below still see the updated D (the official order: D, then G).
        Returns (d_update's logs, or {} without it; G's losses).
        """
        c = self.config
        d_logs = {}
        with tf.GradientTape() as tape:
            x_fake = self.generator(x_real, c_trg)
            if d_update is not None:
                with tape.stop_recording():
                    d_logs = d_update(x_fake)
            src_fake, cls_fake = self.discriminator(x_fake, training=True)
            loss_fake = self.g_adversarial(src_fake)
            loss_cls = losses.domain_classification(cls_fake, c_trg, self.layout)
            x_rec = self.generator(x_fake, c_org)
            loss_rec = losses.reconstruction(x_real, x_rec)
            per_example = loss_fake + c.lambda_cls * loss_cls + c.lambda_rec * loss_rec
            g_losses = [loss_fake, loss_cls, loss_rec]
            if c.lambda_id:
                g_losses.append(losses.reconstruction(x_real, self.generator(x_real, c_org)))
                per_example += c.lambda_id * g_losses[-1]
            total = self.g_optimizer.scale_loss(self._average(per_example))
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
        if self.generator_ema is not None:
            # n: G's updates so far, this one included (a loss-scaled optimizer does not count those it skipped).
            updates = precision.checkpointable(self.g_optimizer).iterations
            update_averages([self.generator], [self.generator_ema], warmed_up_decay(c.g_ema_beta, updates))
        for variable, value in zip(self.last_g_losses, g_losses):
            variable.assign(tf.reduce_mean(value))
        return d_logs, self._last_g_losses()

    def _last_g_losses(self):
        return [tf.identity(variable) for variable in self.last_g_losses]

    def is_g_step(self, iteration):
        """Whether G is updated at `iteration` (a Python int or a tensor): every n_critic-th iteration."""
        return (iteration + 1) % self.config.n_critic == 0

    def step_options(self, iteration: int) -> dict:
        """The G update is decided in Python under a strategy (see train_step)."""
        return {"update_g": bool(self.is_g_step(iteration))}

    def train_step(self, data, update_g=None):
        """One D update on the batch, and a G update on the same batch every n_critic-th iteration (sharing
        G(x_real, c_trg) with the D update, see _g_step).

        update_g None decides in the graph (tf.cond), as model.fit on one device needs. Under a distribution
        strategy the G update's cross-replica sync cannot sit inside a tf.cond, so the distributed loop
        (stargan_tf.core.distribute.fit) passes update_g from step_options as a bool.
        """
        x_real, c_org, c_trg, alpha = data["image"], data["label"], data["target_label"], data["alpha"]
        iteration = self.iteration
        d_lr, g_lr = self.learning_rates(iteration)
        self.d_optimizer.learning_rate.assign(d_lr)
        self.g_optimizer.learning_rate.assign(g_lr)

        def d_step():
            return self._d_step(x_real, c_org, c_trg, alpha), self._last_g_losses()

        def d_and_g_steps():
            return self._g_step(x_real, c_org, c_trg,
                                lambda x_fake: self._d_step(x_real, c_org, c_trg, alpha, x_fake))

        if update_g is None:
            if tf.distribute.has_strategy():
                raise RuntimeError("StarGAN cannot train with model.fit under a tf.distribute strategy (its G "
                                   "update would sync replicas inside a tf.cond): use stargan_tf.core.distribute.fit")
            d_logs, g_losses = tf.cond(self.is_g_step(iteration), d_and_g_steps, d_step)
        else:
            d_logs, g_losses = d_and_g_steps() if update_g else d_step()
        logs = {name: tf.reduce_mean(value) for name, value in d_logs.items()}
        logs.update(zip(self.g_loss_names, g_losses))
        logs.update({"d/lr": d_lr, "g/lr": g_lr})
        self.step.assign_add(1)
        return logs
