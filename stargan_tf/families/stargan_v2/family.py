"""StarGAN v2 as a model family: diverse styles per domain, latent- or reference-guided, with moving averages."""
from __future__ import annotations

import dataclasses
import logging
import os

import numpy as np

from stargan_tf.core import precision, run_dir
from stargan_tf.core.config import ConfigError
from stargan_tf.core.faces import SQUARE
from stargan_tf.core.family import ModelFamily, Option
from stargan_tf.core.optimizers import TorchAdam
from stargan_tf.data.domains import read_domain_data, sample_batch, training_dataset
from stargan_tf.families.stargan_v2 import evaluate, landmark_alignment, serving, translate
from stargan_tf.families.stargan_v2.config import PRESETS, StarGANv2Config
from stargan_tf.families.stargan_v2.fan import load_fan_weights
from stargan_tf.families.stargan_v2.model import StarGANv2
from stargan_tf.families.stargan_v2.samples import latent_grid, reference_grid
from stargan_tf.interop.torch_checkpoint import CheckpointError

logger = logging.getLogger("stargan_tf")

SAMPLES_PER_DOMAIN, SAMPLE_STYLES = 2, 3  # validation images per domain and latent codes in the sample grids


def build_model(config: StarGANv2Config, domains, optimizer=TorchAdam) -> StarGANv2:
    """A StarGAN v2 built under config.precision, compiled with the official Adam settings (F's learning rate its
    own); the weight decay is added to the gradients by the model (torch semantics).

    optimizer: the Adam class (TorchAdam updates exactly as torch.optim.Adam); None builds the networks only.
    """
    with precision.policy(config.precision):
        model = StarGANv2(config, domains)
    if optimizer is None:
        model.build_networks()
        return model

    def adam(learning_rate):
        return precision.optimizer_for(optimizer(learning_rate, beta_1=config.beta1, beta_2=config.beta2),
                                       config.precision)

    model.compile(g_optimizer=adam(config.lr), f_optimizer=adam(config.f_lr), e_optimizer=adam(config.lr),
                  d_optimizer=adam(config.lr))
    return model


def resolve_data_dirs(config: StarGANv2Config) -> StarGANv2Config:
    """Without --train_img_dir, the embedded synthetic v2 data (created once) for training and validation."""
    if config.train_img_dir:
        return config
    from stargan_tf.data.synthetic_domains import ensure_synthetic_domains

    root = ensure_synthetic_domains(config.synthetic_cache_dir or None)
    logger.info("no --train_img_dir given: using the embedded synthetic StarGAN v2 data in %s", root)
    return dataclasses.replace(config, train_img_dir=os.path.join(root, "train"),
                               val_img_dir=os.path.join(root, "val"))


class StarGANv2Family(ModelFamily):
    """StarGAN v2: a style code per output, from a latent code (mapping network) or a reference photo (encoder)."""

    name = StarGANv2Config.model_name
    title = "StarGAN v2"
    config_class = StarGANv2Config
    presets = PRESETS
    serving_info_signature = "info"
    translate_options = (
        Option("num_styles", None, "latent-guided: random styles per target domain (default 3)", int),
        Option("seed", 0, "latent-guided: seed of the random styles (the same for every photo)"),
        Option("reference", None, "reference-guided: a photo (or folder) whose style to use"),
        Option("reference_domain", None, "the domain of the --reference photo(s) (required with --reference: the "
                                         "outputs are in that domain)"),
    )
    evaluate_options = (
        Option("num_outs", evaluate.DEFAULT_NUM_OUTS, "outputs per source image and target domain"),
        Option("alexnet_weights", "", "LPIPS: torchvision AlexNet ImageNet weights (.pth)"),
        Option("lpips_weights", "", "LPIPS: its linear layers (lpips alex.pth or the official lpips_weights.ckpt); "
                                    "without both files diversity is reported as feature and pixel distances"),
    )

    def prepare_data(self, config, verify_images=True):
        config = resolve_data_dirs(config).validate()
        data = read_domain_data(config.train_img_dir, config.val_img_dir, verify_images)
        if len(data.train) < config.batch_size:
            raise ConfigError(f"--batch_size={config.batch_size} is larger than the {len(data.train)} training "
                              "images")
        return config, data

    def layout(self, data):
        return {"domains": list(data.layout.names)}

    def build_model(self, config, layout, optimizers=True):
        if optimizers and config.w_hpf > 0 and not config.wing_path:  # the trainer's model
            raise ConfigError(f"--w_hpf={config.w_hpf}: the high-pass face path's masks come from the official "
                              f"face-landmark network: give its weights with --wing_path=expr/checkpoints/wing.ckpt "
                              f"(the official `bash download.sh wing` fetches it)")
        return build_model(config, layout["domains"], TorchAdam if optimizers else None)

    def start_fresh(self, model, config):
        """The face-landmark network's weights from --wing_path (a resumed run's checkpoint holds them)."""
        if model.fan is None:
            return
        try:
            load_fan_weights(model.fan, config.wing_path)
        except (CheckpointError, OSError) as error:
            raise ConfigError(f"--wing_path={config.wing_path}: {error}") from None

    def alignment(self, config, directory):
        template = landmark_alignment.read_template(directory)
        return landmark_alignment.model_alignment(config.image_size, SQUARE, template)

    def resume_mismatches(self, run, data):
        stored = run["layout"].get("domains")
        if stored is not None and tuple(stored) != data.layout.names:
            return [f"domains: checkpoint has {stored}, the data has {list(data.layout.names)}"]
        return []

    def training_dataset(self, config, data, start_step):
        return training_dataset(data.train, config.image_size, config.batch_size, config.latent_dim, config.seed,
                                config.randcrop_prob, start_batch=start_step)

    def sampler(self, config, data):
        sources, _ = sample_batch(data.val, SAMPLES_PER_DOMAIN, config.image_size)
        references, reference_domains = sample_batch(data.val, 1, config.image_size)
        z_codes = np.random.default_rng(config.seed).standard_normal((SAMPLE_STYLES, config.latent_dim))
        z_codes = z_codes.astype(np.float32)
        return lambda model: {"latent": latent_grid(model, sources, z_codes),
                              "reference": reference_grid(model, sources, references, reference_domains)}

    def describe(self, config, data, model):
        counts = data.train.labels.sum(axis=0).astype(int)
        return [f"domains {', '.join(data.layout.names)}: {'/'.join(map(str, counts))} training images, "
                f"{len(data.val)} validation images"]

    def load_model(self, directory, checkpoint=""):
        config = run_dir.read_run_config(directory, StarGANv2Config)
        model = build_model(config, run_dir.read_run_file(directory)["layout"]["domains"], optimizer=None)
        names = ("generator_ema", "mapping_network_ema", "style_encoder_ema") + (("fan",) if model.fan else ())
        run_dir.restore_networks(model, directory, names, checkpoint)
        return model, config

    def serving_model(self, directory, crop_size, options, checkpoint=""):
        return serving.StyleServingModel(self.load_model(directory, checkpoint)[0], crop_size,
                                         landmark_alignment.read_template(directory))

    def export_inputs(self, config, model, count, split):
        return serving.sample_inputs(resolve_data_dirs(config), count, "val" if split == "held_out" else "train",
                                     len(model.domains))

    def translator(self, signatures, description, model=None):
        return translate.StyleTranslator(signatures, description)

    def translate(self, translator, photos, output_dir, options, target, all_domains, photo_options):
        targets = translate.StyleTargets.parse(translator, target, all_domains, options.get("num_styles"),
                                               options.get("seed", 0), options.get("reference"),
                                               options.get("reference_domain"))
        return translate.translate_styles(translator, photos, output_dir, targets, photo_options)

    def demo_page(self, translator, settings):
        from stargan_tf.families.stargan_v2 import demo  # gradio: pip install -e ".[demo]"

        return demo.build_page(translator, settings)

    def evaluate(self, directory, classifier_dir, output_dir, classifier_steps, inception_weights, max_images, options,
                 report_name="report", checkpoint=""):
        config, data, model = self.load_run(directory, checkpoint)
        return evaluate.evaluate_run(config, data, model, directory, classifier_dir, output_dir, classifier_steps,
                                     inception_weights, options.get("alexnet_weights", ""),
                                     options.get("lpips_weights", ""), max_images,
                                     options.get("num_outs", evaluate.DEFAULT_NUM_OUTS), report_name)

    def format_report(self, report):
        return evaluate.format_table(report)
