"""StarGAN v2 as one keras.Model: compile() takes the four optimizers, train_step() does the official iteration."""
from __future__ import annotations

import keras
import tensorflow as tf

from stargan_tf.core import precision
from stargan_tf.core.ema import copy_weights, update_averages
from stargan_tf.core.gan import GANModel
from stargan_tf.families.stargan_v2 import losses
from stargan_tf.families.stargan_v2.config import StarGANv2Config
from stargan_tf.families.stargan_v2.discriminator import Discriminator
from stargan_tf.families.stargan_v2.fan import FAN, INPUT_SIZE, face_masks
from stargan_tf.families.stargan_v2.generator import Generator
from stargan_tf.families.stargan_v2.mapping import MappingNetwork
from stargan_tf.families.stargan_v2.style_encoder import StyleEncoder

D_LOSS_NAMES = ("real", "fake", "reg")
G_LOSS_NAMES = ("adv", "sty", "ds", "cyc")


def build_translator(config: StarGANv2Config, num_domains: int, suffix: str = ""):
    """(G, F, E) for a config: the networks that translate, of which the EMA keeps a second copy."""
    dim = config.base_dim
    return (Generator(config.image_size, config.style_dim, config.max_conv_dim, config.w_hpf, dim,
                      name="generator" + suffix),
            MappingNetwork(num_domains, config.latent_dim, config.style_dim, config.mapping_dim,
                           name="mapping_network" + suffix),
            StyleEncoder(num_domains, config.image_size, config.style_dim, config.max_conv_dim, dim,
                         name="style_encoder" + suffix))


class StarGANv2(GANModel):
    """G, F, E and D trained together, plus moving averages of G, F and E for samples, evaluation and export.

    One train_step is one official iteration: a D update with latent styles, a D update with reference styles,
    a G update with latent styles (updating G, F and E), a G update with reference styles (G only), then the
    moving-average update. lambda_ds lives in a variable computed from the step counter inside the graph, so
    its decay is neither frozen at trace time nor lost on resume.
    """

    network_names = ("generator", "mapping_network", "style_encoder", "discriminator", "generator_ema",
                     "mapping_network_ema", "style_encoder_ema")
    optimizer_targets = {"g_optimizer": "generator", "f_optimizer": "mapping_network",
                         "e_optimizer": "style_encoder", "d_optimizer": "discriminator"}

    def __init__(self, config: StarGANv2Config, domains, **kwargs):
        super().__init__(**kwargs)
        self.config, self.domains = config, tuple(domains)
        num_domains = len(self.domains)
        self.generator, self.mapping_network, self.style_encoder = build_translator(config, num_domains)
        self.discriminator = Discriminator(num_domains, config.image_size, config.max_conv_dim, config.base_dim,
                                           name="discriminator")
        self.generator_ema, self.mapping_network_ema, self.style_encoder_ema = build_translator(
            config, num_domains, suffix="_ema")
        for ema in self.ema_networks:
            ema.trainable = False
        self.fan = None
        if config.w_hpf > 0:  # the high-pass face path's masks come from the official face-landmark network
            self.fan = FAN(name="fan")
            self.fan.trainable = False
            self.network_names = StarGANv2.network_names + ("fan",)
        self.lambda_ds = tf.Variable(config.lambda_ds, dtype=tf.float32, trainable=False, name="lambda_ds",
                                     aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    @property
    def translator_networks(self):
        """(G, F, E): the trained networks that the EMA copies follow."""
        return self.generator, self.mapping_network, self.style_encoder

    @property
    def ema_networks(self):
        """(G_ema, F_ema, E_ema), in the order of `translator_networks`."""
        return self.generator_ema, self.mapping_network_ema, self.style_encoder_ema

    def build_networks(self):
        """Creates every weight by a symbolic call (no computation), then starts the EMA copies as exact copies."""
        c = self.config
        images = keras.KerasTensor((1, c.image_size, c.image_size, 3))
        domains = keras.KerasTensor((1,), dtype="int32")
        styles = keras.KerasTensor((1, c.style_dim))
        for generator, mapping, encoder in (self.translator_networks, self.ema_networks):
            generator(images, styles)
            mapping(keras.KerasTensor((1, c.latent_dim)), domains)
            encoder(images, domains)
        self.discriminator(images, domains)
        if self.fan is not None:
            self.fan(tf.zeros([1, INPUT_SIZE, INPUT_SIZE, 3]))
        for network, ema in zip(self.translator_networks, self.ema_networks):
            copy_weights(network, ema)
        self.built = True

    # Inference on the moving-average networks: the functions export wraps.

    def masks(self, images):
        """The high-pass face path's (coarse, fine) masks of the source images (None without the path); constants to
        the gradient, as the official get_heatmap runs under no_grad."""
        if self.fan is None:
            return None
        return tuple(tf.stop_gradient(mask) for mask in face_masks(self.fan, images))

    def latent_guided(self, images, domains, z):
        """G_ema(x, F_ema_y(z)): images [N,S,S,3] in [-1,1], domains int [N], z [N, latent_dim]."""
        return self.generator_ema(images, self.mapping_network_ema(z, domains), self.masks(images))

    def reference_guided(self, images, references, domains):
        """G_ema(x, E_ema_y(reference)): the references' style, with y the references' domains (int [N])."""
        return self.generator_ema(images, self.style_encoder_ema(references, domains), self.masks(images))

    def call(self, images, domains, z):
        return self.latent_guided(images, domains, z)

    # Training.

    def _apply(self, tape, scaled_total, optimizers_and_networks):
        """Gradients of the loss for each network, plus the L2 weight decay (torch Adam's: wd * w added to the
        gradient, not AdamW's decoupled decay), applied by each network's optimizer.

        scaled_total is the loss times the first optimizer's loss scale (1 unless mixed_float16). Each other
        optimizer unscales by its own scale, so its gradients are rescaled to it: one backward pass serves all.
        """
        variables = [network.trainable_variables for _, network in optimizers_and_networks]
        gradients = tape.gradient(scaled_total, variables)
        first_scale = precision.loss_scale(optimizers_and_networks[0][0])
        decay = self.config.weight_decay
        for (optimizer, _), grads, weights in zip(optimizers_and_networks, gradients, variables):
            scale = precision.loss_scale(optimizer)
            ratio = scale / first_scale
            # A weight the loss does not reach has no gradient and, as in torch, is left alone.
            optimizer.apply_gradients([(grad * ratio + decay * scale * weight if decay else grad * ratio, weight)
                                       for grad, weight in zip(grads, weights) if grad is not None])

    def _d_step(self, x_real, y_org, y_trg, s_trg, masks):
        with tf.GradientTape() as tape:
            logits_real, loss_reg = losses.r1_penalty(lambda x: self.discriminator(x, y_org), x_real,
                                                      precision.loss_scale(self.d_optimizer))
            loss_real = losses.adversarial(logits_real, 1.0)
            x_fake = tf.stop_gradient(self.generator(x_real, s_trg, masks))
            loss_fake = losses.adversarial(self.discriminator(x_fake, y_trg), 0.0)
            per_example = loss_real + loss_fake + self.config.lambda_reg * loss_reg
            total = self.d_optimizer.scale_loss(tf.nn.compute_average_loss(per_example))
        self._apply(tape, total, [(self.d_optimizer, self.discriminator)])
        return dict(zip(D_LOSS_NAMES, (loss_real, loss_fake, loss_reg)))

    def _g_step(self, x_real, y_org, y_trg, style_of, optimizers_and_networks, masks):
        """style_of(0), style_of(1): the two target styles (latent: F_y(z1), F_y(z2); reference: E_y(x_ref{,2}));
        masks: the face path's masks of x_real (None without it); the cycle's come from the fake images."""
        c = self.config
        with tf.GradientTape() as tape:
            s_trg = style_of(0)
            x_fake = self.generator(x_real, s_trg, masks)
            loss_adv = losses.adversarial(self.discriminator(x_fake, y_trg), 1.0)
            loss_sty = losses.style_reconstruction(self.style_encoder(x_fake, y_trg), s_trg)
            loss_ds = losses.diversity(x_fake, self.generator(x_real, style_of(1), masks))
            x_rec = self.generator(x_fake, self.style_encoder(x_real, y_org), self.masks(x_fake))
            loss_cyc = losses.cycle(x_real, x_rec)
            per_example = (loss_adv + c.lambda_sty * loss_sty - self.lambda_ds * loss_ds + c.lambda_cyc * loss_cyc)
            total = optimizers_and_networks[0][0].scale_loss(tf.nn.compute_average_loss(per_example))
        self._apply(tape, total, optimizers_and_networks)
        return dict(zip(G_LOSS_NAMES, (loss_adv, loss_sty, loss_ds, loss_cyc)))

    def update_ema(self):
        """ema = beta * ema + (1 - beta) * weight for every weight of G, F and E, with the official constant beta
        (no warm-up)."""
        update_averages(self.translator_networks, self.ema_networks, self.config.ema_beta)

    def train_step(self, data):
        """One official iteration on a batch {x_src, y_src, x_ref, x_ref2, y_ref, z_trg, z_trg2}."""
        c = self.config
        self.lambda_ds.assign(losses.diversity_weight(self.step, c.lambda_ds, c.ds_iter))
        x_real, y_org, y_trg = data["x_src"], data["y_src"], data["y_ref"]
        z_trgs, x_refs = (data["z_trg"], data["z_trg2"]), (data["x_ref"], data["x_ref2"])
        masks = self.masks(x_real)
        logs = {}

        def record(prefix, values):
            logs.update({f"{prefix}_{name}": tf.reduce_mean(value) for name, value in values.items()})

        record("d/latent", self._d_step(x_real, y_org, y_trg, self.mapping_network(z_trgs[0], y_trg), masks))
        record("d/ref", self._d_step(x_real, y_org, y_trg, self.style_encoder(x_refs[0], y_trg), masks))
        record("g/latent", self._g_step(
            x_real, y_org, y_trg, lambda i: self.mapping_network(z_trgs[i], y_trg),
            [(self.g_optimizer, self.generator), (self.f_optimizer, self.mapping_network),
             (self.e_optimizer, self.style_encoder)], masks))
        record("g/ref", self._g_step(x_real, y_org, y_trg, lambda i: self.style_encoder(x_refs[i], y_trg),
                                     [(self.g_optimizer, self.generator)], masks))
        self.update_ema()
        logs["g/lambda_ds"] = tf.identity(self.lambda_ds)
        logs.update({f"{name[0]}/lr": tf.cast(getattr(self, name).learning_rate, tf.float32)
                     for name in self.optimizer_targets})
        self.step.assign_add(1)
        return logs
