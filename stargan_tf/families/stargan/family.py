"""StarGAN (and its self-attention / hinge variant) as a model family: what the scripts and the core ask of it."""
from __future__ import annotations

from stargan_tf.core import precision, run_dir
from stargan_tf.core.family import ModelFamily, Option
from stargan_tf.core.optimizers import TorchAdam
from stargan_tf.data.labels import LabelLayout
from stargan_tf.families.stargan import evaluate, serving, translate
from stargan_tf.families.stargan.attention_maps import attention_grid
from stargan_tf.families.stargan.config import PRESETS, StarGANConfig, parse_attention_query
from stargan_tf.families.stargan.data import load_run_data, resolve_data_dirs
from stargan_tf.families.stargan.model import StarGAN
from stargan_tf.families.stargan.samples import translation_grid

SAMPLE_IMAGES = 8  # test images per dataset in the training sample grids


def build_model(config: StarGANConfig, layout: LabelLayout, optimizer=TorchAdam) -> StarGAN:
    """A StarGAN with its networks built under config.precision, compiled with the paper's Adam settings.

    optimizer: the Adam class (TorchAdam updates exactly as the official code's torch.optim.Adam); None builds the
    networks only, for inference.
    """
    with precision.policy(config.precision):
        model = StarGAN(config, layout)
    if optimizer is None:
        model.build_networks()
        return model
    model.compile(**{name: precision.optimizer_for(optimizer(lr, beta_1=config.beta1, beta_2=config.beta2),
                                                   config.precision)
                     for name, lr in (("d_optimizer", config.d_lr), ("g_optimizer", config.g_lr))})
    return model


class StarGANFamily(ModelFamily):
    """StarGAN: one generator for every domain of one or two datasets, label vectors as targets."""

    name = StarGANConfig.model_name
    title = "StarGAN"
    config_class = StarGANConfig
    presets = PRESETS
    serving_info_signature = "labels"
    translate_options = (
        Option("edit", "", "changes to the photo's own labels, e.g. '+Blond_Hair,-Young'; ':value' (0 to 1) edits "
                           "partly: '+Blond_Hair:0.5' (0: the photo's own labels)"),
        Option("source", None, "the photos' own attributes, e.g. 'Black_Hair,Young' (default: predicted by D_cls when "
                             "the model has it, else all off)"),
        Option("save_attention", False, "with self-attention (checkpoint directory): also write "
                                        "<photo>_attention.png, where each attention block looks from --attention_query"),
        Option("attention_query", "0.5,0.5", "with --save_attention: the query position as row,col fractions of the "
                                             "image (0.5,0.5: the centre)"),
    )
    evaluate_options = (
        Option("dataset", "", "source datasets to evaluate, comma-separated: celeba, rafd or both (default: all of "
                              "the model's)"),
    )
    export_options = (
        Option("with_classifier", False, "add a 'classify' signature (D_cls logits: a photo's own labels, for "
                                         "--edit); adds D's weights"),
    )

    def prepare_data(self, config, verify_images=True):
        config = resolve_data_dirs(config).validate()
        return config, load_run_data(config, verify_images=verify_images)

    def layout(self, data):
        return data.layout.to_json()

    def build_model(self, config, layout, optimizers=True):
        return build_model(config, LabelLayout.from_json(layout), TorchAdam if optimizers else None)

    def training_dataset(self, config, data, start_step):
        return data.training_dataset(config, start_step)

    def sampler(self, config, data):
        batches = {name: data.fixed_batch(name, SAMPLE_IMAGES, config.image_size) for name in data.splits}
        query = parse_attention_query(config.attention_query)

        def draw(model):
            grids = {}
            for dataset, (images, labels) in batches.items():
                grids[dataset] = translation_grid(model.translator, images, labels, data.layout, dataset)[0]
                if config.g_attention_at or config.d_attention_at:
                    grids[f"{dataset}-attention"] = attention_grid(model.translator, model.discriminator, images,
                                                                   labels, data.layout, dataset, query)[0]
            return grids

        return draw

    def describe(self, config, data, model):
        return data.summary() + [f"label vector: {', '.join(data.layout.names)}"]

    def load_model(self, directory, checkpoint=""):
        model = build_model(run_dir.read_run_config(directory, StarGANConfig),
                            LabelLayout.from_json(run_dir.read_run_file(directory)["layout"]), optimizer=None)
        run_dir.restore_networks(model, directory, model.network_names, checkpoint)
        return model, model.config

    def serving_model(self, directory, crop_size, options, checkpoint=""):
        model, config = self.load_model(directory, checkpoint)
        classifier = model.discriminator if options.get("with_classifier", True) else None
        return serving.ServingModel(model.translator, model.layout, config.image_size, crop_size, classifier)

    def export_inputs(self, config, model, count, split):
        images, targets = serving.sample_inputs(resolve_data_dirs(config), model.layout, count,
                                                "test" if split == "held_out" else "train")
        return (images, targets) if split == "held_out" else list(zip(images, targets))

    def translator(self, signatures, description, model=None):
        networks = (model.generator, model.classifier) if model is not None else None
        return translate.Translator(signatures, description, networks)

    def translate(self, translator, photos, output_dir, options, target, all_domains, photo_options):
        targets = translate.Targets.parse(translator.layout, target, options.get("edit", ""), all_domains,
                                          options.get("source"))
        query = parse_attention_query(options.get("attention_query", "0.5,0.5")) if options.get("save_attention") \
            else None
        return translate.translate_photos(translator, photos, output_dir, targets, photo_options, attention_query=query)

    def demo_page(self, translator, settings):
        from stargan_tf.families.stargan import demo  # gradio: pip install -e ".[demo]"

        return demo.build_page(translator, settings)

    def evaluate(self, directory, classifier_dir, output_dir, classifier_steps, inception_weights, max_images, options,
                 report_name="report", checkpoint=""):
        datasets = [name.strip().lower() for name in options.get("dataset", "").split(",") if name.strip()]
        datasets = ["celeba", "rafd"] if datasets == ["both"] else datasets
        config, data, model = self.load_run(directory, checkpoint)
        return evaluate.evaluate_run(config, data, model, directory, classifier_dir, output_dir, datasets or None,
                                     classifier_steps, inception_weights, max_images, report_name)

    def format_report(self, report):
        return evaluate.format_table(report)

