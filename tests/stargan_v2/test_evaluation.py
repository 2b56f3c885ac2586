"""StarGAN v2 evaluation: the diversity metrics on hand-computed numbers, LPIPS against an independent PyTorch
computation, the evaluation on a hand-made translator and classifier, and scripts/evaluate.py on a tiny run."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from stargan_tf import families
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.data.domains import read_domain_data
from stargan_tf.core.grids import grid_layout
from stargan_tf.evaluation import metrics
from stargan_tf.families.stargan_v2.evaluate import Judges, evaluate_translator
from stargan_tf.families.stargan_v2 import style_judge
from stargan_tf.evaluation.lpips import load_lpips
from stargan_tf.core.run_dir import write_run_file
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare
from conftest import tiny_domains, tiny_v2_config  # noqa: F401 (fixture)

torch = pytest.importorskip("torch")
nn = torch.nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}


def test_mean_pairwise_pixel_distance_of_three_outputs():
    outputs = [np.full((2, 4, 4, 3), value, np.float32) for value in (0.0, 0.5, -0.5)]
    outputs[1][1] = 0.0  # image 1: outputs 0, 0, -0.5
    # image 0: |0 - .5| / 2, |0 + .5| / 2, |.5 + .5| / 2 -> 1/3; image 1: 0, .25, .25 -> 1/6
    np.testing.assert_allclose(metrics.mean_pairwise_distance(outputs, metrics.pixel_l1_distance), [1 / 3, 1 / 6])
    with pytest.raises(ValueError, match="at least 2 outputs"):
        metrics.mean_pairwise_distance(outputs[:1], metrics.pixel_l1_distance)


def test_feature_distance_is_between_unit_vectors():
    first = np.array([[1.0, 0.0], [1.0, 1.0], [0.3, -0.2]])
    second = np.array([[0.0, 2.0], [3.0, 3.0], [0.3, -0.2]])
    np.testing.assert_allclose(metrics.feature_distance(first, second), [np.sqrt(2.0), 0.0, 0.0], atol=1e-12)
    identical = [first, first.copy(), first * 2.0]
    np.testing.assert_allclose(metrics.mean_pairwise_distance(identical, metrics.feature_distance), 0.0, atol=1e-12)


class TorchAlexNet(nn.Module):
    """torchvision's AlexNet `features` layout (keys features.<i>.weight/bias), random weights."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(3, 2), nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(),
            nn.MaxPool2d(3, 2), nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1),
            nn.ReLU(), nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))


def torch_lpips(alexnet, linear, x, y):
    """LPIPS per image, written from the paper / official formula in NCHW torch."""
    shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
    scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)

    def maps(images):
        h = (torch.from_numpy(images).permute(0, 3, 1, 2) - shift) / scale
        found = []
        for layer in alexnet.features[:12]:  # the last max pool feeds no ReLU
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                found.append(h * torch.rsqrt(torch.sum(h ** 2, dim=1, keepdim=True) + 1e-10))
        return found

    with torch.no_grad():
        total = 0
        for a, b, weights in zip(maps(x), maps(y), linear):
            total = total + nn.functional.conv2d((a - b) ** 2, weights).mean(dim=(1, 2, 3))
    return total.numpy()


@pytest.fixture(scope="module")
def lpips_files(tmp_path_factory):
    """(alexnet.pth, lpips alex.pth layout, official lpips_weights.ckpt layout, torch AlexNet, linear weights)."""
    torch.manual_seed(0)
    directory = tmp_path_factory.mktemp("lpips")
    alexnet = TorchAlexNet()
    linear = [torch.rand(1, channels, 1, 1) for channels in (64, 192, 384, 256, 256)]
    paths = [str(directory / name) for name in ("alexnet.pth", "alex.pth", "lpips_weights.ckpt")]
    torch.save(alexnet.state_dict(), paths[0])
    torch.save({f"lin{k}.model.1.weight": w for k, w in enumerate(linear)}, paths[1])
    torch.save({f"lpips_weights.{k}.main.1.weight": w for k, w in enumerate(linear)}, paths[2])
    return paths, alexnet, linear


def test_lpips_matches_an_independent_torch_computation(lpips_files):
    (alexnet_path, lin_path, official_path), alexnet, linear = lpips_files
    rng = np.random.default_rng(0)
    x, y = (rng.uniform(-1, 1, (2, 64, 64, 3)).astype(np.float32) for _ in range(2))
    expected = torch_lpips(alexnet, linear, x, y)
    assert expected.min() > 0
    for path in (lin_path, official_path):
        lpips = load_lpips(alexnet_path, path)
        np.testing.assert_allclose(lpips(x, y), expected, rtol=1e-4)
        np.testing.assert_allclose(lpips(x, x), 0.0, atol=1e-7)
    with pytest.raises(ValueError, match="at least 31x31 pixels"):
        lpips(x[:, :16, :16], y[:, :16, :16])
    with pytest.raises(ConfigError, match="--lpips_weights=.*alexnet.pth: expected the AlexNet LPIPS weights"):
        load_lpips(alexnet_path, alexnet_path)
    with pytest.raises(ConfigError, match="--alexnet_weights=.*alex.pth: expected torchvision AlexNet weights"):
        load_lpips(lin_path, lin_path)


@pytest.fixture(scope="module")
def solid_domains(tmp_path_factory):
    """Domains blue, green, red of solid-colour images: 3 training and 2 validation images each."""
    root = tmp_path_factory.mktemp("solid_v2")
    for split, count in (("train", 3), ("val", 2)):
        for name, colour in COLOURS.items():
            os.makedirs(root / split / name)
            for i in range(count):
                Image.new("RGB", (24, 24), colour).save(root / split / name / f"{i}.png")
    return read_domain_data(str(root / "train"), str(root / "val"))


class IdentityOrReference:
    """Latent-guided: the source unchanged; reference-guided: the reference itself."""

    def latent_guided(self, images, domains, z):
        assert z.shape == (len(images), 5) and np.all(domains == domains[0])
        return images

    def reference_guided(self, images, references, domains):
        return references


def mean_colour(images):
    return np.asarray(images).mean(axis=(1, 2))


def colour_classifier(images):
    """Logits over (blue, green, red): minus the squared distance of the mean colour to each domain's."""
    centres = np.array(list(COLOURS.values())) / 127.5 - 1.0
    return -((mean_colour(images)[:, None, :] - centres[None]) ** 2).sum(axis=-1)


def test_evaluation_of_a_hand_made_translator_gives_hand_computed_figures(solid_domains):
    result = evaluate_translator(IdentityOrReference(), Judges(colour_classifier, mean_colour), solid_domains, 16,
                                 latent_dim=5, num_outs=3)
    assert result["real"]["accuracy"] == 1.0 and result["real"]["images"] == 6
    assert result["source_images"] == {"blue": 2, "green": 2, "red": 2}
    assert result["real"]["frechet"] == pytest.approx({"blue": 0.0, "green": 0.0, "red": 0.0}, abs=1e-6)
    latent, reference = result["latent"], result["reference"]
    assert sorted(latent["tasks"]) == ["blue2green", "blue2red", "green2blue", "green2red", "red2blue", "red2green"]
    for task in latent["tasks"].values():
        # The sources stay their colour: never the target; colours 2 apart on two of three channels: FD 8.
        assert task["outputs"] == 6 and task["accuracy"] == 0.0
        assert task["frechet"] == pytest.approx(8.0, abs=1e-6)
        assert task["pixel_diversity"] == task["feature_diversity"] == 0.0
    for figures in latent["per_target"].values():
        # 6 outputs of each of two colours a, b vs target t: |(a + b) / 2 - t|^2 = 6, trace of their covariance
        # 12 * 2 / 11 (each output 2 from the mean in squared norm, ddof 1).
        assert figures["outputs"] == 12 and figures["frechet"] == pytest.approx(6.0 + 24.0 / 11.0, abs=1e-6)
    assert latent["mean"]["frechet"] == pytest.approx(8.0, abs=1e-6) and latent["mean"]["accuracy"] == 0.0
    # References are validation images of the target domain: always the target, identical to real ones.
    assert reference["mean"]["accuracy"] == 1.0 and reference["mean"]["frechet"] == pytest.approx(0.0, abs=1e-6)
    assert reference["mean"]["pixel_diversity"] == 0.0 and "lpips" not in reference["mean"]
    with pytest.raises(ConfigError, match="--num_outs=1: diversity needs at least 2"):
        evaluate_translator(IdentityOrReference(), Judges(colour_classifier, mean_colour), solid_domains, 16, 5,
                            num_outs=1)


def test_evaluate_script_on_a_tiny_v2_checkpoint_writes_every_figure(tiny_domains, lpips_files, tmp_path):  # noqa: F811
    (alexnet_path, lin_path, _), _, _ = lpips_files
    config, data, model = prepare(tiny_v2_config(tiny_domains, tmp_path, image_size=32))
    checkpoint_manager(model, config.model_save_dir, 1).save()
    write_run_file(config.model_save_dir, config.model_name, config, families.get(config.model_name).layout(data))
    output_dir = tmp_path / "eval"
    # One BLAS thread: multithreaded OpenBLAS eigh (the Fréchet distance) crawls on a loaded machine.
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3", OPENBLAS_NUM_THREADS="1")
    evaluated = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "evaluate.py"), f"--checkpoint_dir={config.model_save_dir}",
         f"--output_dir={output_dir}", "--classifier_steps=2", "--num_outs=3", f"--alexnet_weights={alexnet_path}",
         f"--lpips_weights={lin_path}"], env=env, capture_output=True, text=True, timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "mean of tasks" in evaluated.stdout and "LPIPS" in evaluated.stdout
    assert sorted(os.listdir(output_dir)) == ["report-latent.png", "report-reference.png", "report.json",
                                              "report.txt"]
    with open(output_dir / "report.json") as f:
        report = json.load(f)
    assert report["model"] == "stargan_v2" and report["frechet_name"] == "FD-classifier"
    assert report["domains"] == ["happy", "sad", "surprised"] and report["real"]["images"] == 6
    assert sorted(report["real"]["frechet"]) == report["domains"]
    # The synthetic data name each image's hair colour: a style classifier judges the outputs' styles.
    assert 0.0 <= report["real"]["style_accuracy"] <= 1.0 and "style acc" in evaluated.stdout
    assert 0.0 <= report["reference"]["mean"]["style_accuracy"] <= 1.0
    assert "style_accuracy" not in report["latent"]["mean"] and 1.0 <= report["latent"]["mean"]["styles_per_image"] <= 3
    for mode in ("latent", "reference"):
        assert len(report[mode]["tasks"]) == 6 and sorted(report[mode]["per_target"]) == report["domains"]
        mean = report[mode]["mean"]
        assert 0.0 <= mean["accuracy"] <= 1.0 and np.isfinite(mean["frechet"])
        # Random networks: different styles give different outputs.
        assert mean["lpips"] > 0 and mean["feature_diversity"] > 0 and mean["pixel_diversity"] > 0
    # Rows: 2 sources per domain; columns: the source, then 4 latent codes x 3 domains / 3 references (32 px tiles,
    # enlarged below their names).
    assert np.asarray(Image.open(output_dir / "report-latent.png")).shape == grid_layout(6, 13, 32, grouped=True).shape
    assert np.asarray(Image.open(output_dir / "report-reference.png")).shape == grid_layout(7, 4, 32,
                                                                                           row_names=True).shape
    with pytest.raises(ConfigError, match="LPIPS needs both --alexnet_weights"):
        families.get("stargan_v2").evaluate(config.model_save_dir, str(tmp_path / "c"), str(output_dir), 10, "", 0,
                                            {"lpips_weights": lin_path})


STYLE_PATCH = 4  # rows at the top of an image painted in its style's colour


def paint_style(images, styles):
    """The images with their top rows in the colours of `styles` (indices into HAIR_STYLES)."""
    colours = np.array(list(style_judge.HAIR_STYLES.values()), np.float32) / 127.5 - 1.0
    painted = np.array(images, np.float32)
    painted[:, :STYLE_PATCH] = colours[np.asarray(styles)][:, None, None, :]
    return painted


def style_classifier(images):
    """Logits over HAIR_STYLES: minus the squared distance of the top-left pixel to each style's colour."""
    colours = np.array(list(style_judge.HAIR_STYLES.values()), np.float32) / 127.5 - 1.0
    return -((np.asarray(images)[:, 0, 0, None, :] - colours[None]) ** 2).sum(axis=-1)


@pytest.fixture(scope="module")
def styled_domains(tmp_path_factory):
    """Domains blue, green, red of solid-colour images whose top rows and file names carry a style: training
    images black, blond, red, blue; validation images black, blond."""
    root = tmp_path_factory.mktemp("styled_v2")
    for split, styles in (("train", (0, 1, 2, 3)), ("val", (0, 1))):
        for name, colour in COLOURS.items():
            os.makedirs(root / split / name)
            for i, style in enumerate(styles):
                image = paint_style(np.full((1, 24, 24, 3), np.array(colour) / 127.5 - 1.0), [style])[0]
                Image.fromarray(np.round((image + 1) * 127.5).astype(np.uint8)).save(
                    root / split / name / f"{i:03d}-{list(style_judge.HAIR_STYLES)[style]}.png")
    return read_domain_data(str(root / "train"), str(root / "val"))


class StyleFromReference:
    """Latent-guided: the source unchanged; reference-guided: the source with the reference's style rows."""

    def latent_guided(self, images, domains, z):
        return images

    def reference_guided(self, images, references, domains):
        return np.concatenate([np.asarray(references)[:, :STYLE_PATCH], np.asarray(images)[:, STYLE_PATCH:]], axis=1)


def test_style_labels_come_from_file_names_or_not_at_all(styled_domains, solid_domains):
    np.testing.assert_array_equal(style_judge.style_labels(styled_domains.val), [0, 1] * 3)
    assert style_judge.style_labels(solid_domains.val) is None  # "0.png": no style


def test_style_figures_count_matches_and_distinct_styles_per_image():
    predicted = np.array([0, 1, 2,  # output batch 0 of source images 0, 1, 2
                          0, 2, 2,  # output batch 1
                          3, 1, 2])  # output batch 2
    figures = style_judge.style_figures(predicted, 3, reference_styles=np.array([0, 1, 1, 0, 2, 1, 0, 0, 2]))
    np.testing.assert_array_equal(figures["styles_per_image"], [2, 2, 1])
    np.testing.assert_array_equal(figures["style_correct"], [1, 1, 0, 1, 1, 0, 0, 0, 1])
    assert "style_correct" not in style_judge.style_figures(predicted, 3)


def test_style_accuracy_of_translators_that_take_or_ignore_the_reference_style(styled_domains):
    val_styles = style_judge.style_labels(styled_domains.val)
    judges = Judges(colour_classifier, mean_colour, style=style_classifier)
    taking = evaluate_translator(StyleFromReference(), judges, styled_domains, 24, latent_dim=5, num_outs=4,
                                 val_styles=val_styles)
    assert taking["real"]["style_accuracy"] == 1.0
    assert taking["reference"]["mean"]["style_accuracy"] == 1.0
    # The source unchanged: one style per image whatever the latent code.
    assert taking["latent"]["mean"]["styles_per_image"] == 1.0 and "style_accuracy" not in taking["latent"]["mean"]
    # Whole references: two styles among the targets' validation images, both drawn for most source images.
    assert 1.0 < taking["reference"]["mean"]["styles_per_image"] <= 2.0
    ignoring = evaluate_translator(IdentityOrReference(), Judges(colour_classifier, mean_colour, style=lambda images:
                                                                 style_classifier(paint_style(images, [3] * len(images)))),
                                   styled_domains, 24, latent_dim=5, num_outs=4, val_styles=val_styles)
    # Every output judged "blue", a style no validation reference has.
    assert ignoring["reference"]["mean"]["style_accuracy"] == 0.0 and ignoring["real"]["style_accuracy"] == 0.0
