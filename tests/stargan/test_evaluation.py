"""The domain classifier (shape, save/load, refusal of another layout), the report, and the scripts end to end."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import tiny_config
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.evaluation import classifier as classifier_lib
from stargan_tf import families
from stargan_tf.evaluation.features import inception_features
from stargan_tf.evaluation.report import write_report
from stargan_tf.families.stargan.evaluate import format_table
from stargan_tf.data.labels import make_layout
from stargan_tf.core.trainer import train

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAYOUT = make_layout(("celeba", "rafd"), ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"),
                     ("angry", "contemptuous", "disgusted", "fearful", "happy", "neutral", "sad", "surprised"))


def test_classifier_outputs_logits_and_features_and_round_trips(tmp_path):
    model = classifier_lib.build_classifier(16, LAYOUT.logit_dim, width=4, feature_dim=8)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    assert model(images).shape == (2, 13)
    assert classifier_lib.feature_model(model)(images).shape == (2, 8)
    classifier_lib.save_classifier(model, str(tmp_path), LAYOUT, {"test_accuracy": {"celeba": 0.5}})
    loaded = classifier_lib.load_classifier(str(tmp_path), LAYOUT, 16)
    np.testing.assert_allclose(loaded(images), model(images), rtol=1e-5, atol=1e-6)
    with open(tmp_path / classifier_lib.INFO_FILE) as f:
        assert json.load(f)["test_accuracy"] == {"celeba": 0.5}


def test_classifier_of_another_layout_or_size_is_refused(tmp_path):
    classifier_lib.save_classifier(classifier_lib.build_classifier(16, LAYOUT.logit_dim, 4, 8), str(tmp_path), LAYOUT)
    rafd_only = make_layout(("rafd",), (), LAYOUT.segment("rafd").names)
    with pytest.raises(ConfigError, match="classifier.json: the classifier was trained for labels .*Black_Hair"):
        classifier_lib.load_classifier(str(tmp_path), rafd_only, 16)
    with pytest.raises(ConfigError, match="at 16px, the model uses .* at 32px"):
        classifier_lib.load_classifier(str(tmp_path), LAYOUT, 32)
    with pytest.raises(ConfigError, match="holds no classifier.keras"):
        classifier_lib.load_classifier(str(tmp_path / "missing"), LAYOUT, 16)


def small_report():
    score = {"target": "Black_Hair", "dataset": "celeba", "accuracy": 0.75, "preservation": 1.0,
             "reconstruction_l1": 0.02}
    return {"checkpoint": "runs/x", "iteration": 10, "image_size": 16, "frechet_name": "FD-classifier",
            "real": {"celeba": {"accuracy": 0.995, "images": 400, "per_label": {"Black_Hair": 0.995},
                                "speckle": 0.002}},
            "translation": {"celeba": {"images": 400, "targets": [score], "reconstruction_l1": 0.02, "speckle": 0.0123,
                                       "by_target_dataset": {"celeba": {"accuracy": 0.75, "error": 0.25,
                                                                        "preservation": 1.0}},
                                       "frechet": {"Black_Hair": 1.5}}}}


def test_report_is_written_as_json_and_printed_as_a_table(tmp_path):
    report = small_report()
    path = str(tmp_path / "eval" / "report.json")
    write_report(report, path)
    with open(path) as f:
        assert json.load(f) == report
    assert not os.path.exists(path + ".tmp")
    table = format_table(report)
    assert "real celeba (400)       celeba        99.50%     0.50%          -        -   0.0020" in table
    assert "celeba -> celeba        celeba        75.00%    25.00%    100.00%   0.0200   0.0123" in table
    assert "Black_Hair 75.00% / 100.00%" in table
    assert "FD-classifier per target domain" in table and "Black_Hair 1.50" in table
    # A longer dataset name widens its columns instead of running into the next one.
    report["translation"]["celeba"]["by_target_dataset"]["affectnet"] = dict(
        report["translation"]["celeba"]["by_target_dataset"]["celeba"])
    assert ("celeba -> affectnet (cross)  affectnet      75.00%    25.00%    100.00%   0.0200   0.0123"
            in format_table(report).splitlines())


def run_script(name, *args):
    env = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, os.path.join(ROOT, "scripts", name), *args], env=env,
                          capture_output=True, text=True, timeout=600)


def test_train_classifier_and_evaluate_scripts_on_a_tiny_checkpoint(tiny_data, tmp_path):
    config = tiny_config(tiny_data, tmp_path, num_iters=2, rafd_test_fraction=0.25)
    train(config)
    classifier_dir, output_dir = str(tmp_path / "classifier"), str(tmp_path / "eval")
    trained = run_script("train_classifier.py", f"--checkpoint_dir={config.model_save_dir}",
                         f"--classifier_dir={classifier_dir}", "--steps=4", "--batch_size=8")
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "rafd: accuracy" in trained.stdout and classifier_lib.has_classifier(classifier_dir)
    evaluated = run_script("evaluate.py", f"--checkpoint_dir={config.model_save_dir}",
                           f"--classifier_dir={classifier_dir}", f"--output_dir={output_dir}", "--dataset=rafd")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert "rafd -> rafd" in evaluated.stdout and "rafd -> celeba (cross)" in evaluated.stdout
    assert sorted(os.listdir(output_dir)) == ["report-rafd.png", "report.json", "report.txt"]
    with open(os.path.join(output_dir, "report.json")) as f:
        report = json.load(f)
    assert report["iteration"] == 2 and report["frechet_name"] == "FD-classifier"
    assert report["real"]["rafd"]["images"] == 8  # a quarter of 4 images per class held out
    rafd = report["translation"]["rafd"]
    assert [score["target"] for score in rafd["targets"]] == list(LAYOUT.names[:13])
    assert rafd["grid_columns"] == ["input"] + list(LAYOUT.names[:13])
    assert 0.0 <= rafd["by_target_dataset"]["rafd"]["error"] <= 1.0 and rafd["reconstruction_l1"] > 0.0
    with pytest.raises(ConfigError, match="--dataset: the model was trained on celeba, rafd, not svhn"):
        families.get("stargan").evaluate(config.model_save_dir, classifier_dir, output_dir, 10, "", 0,
                                         {"dataset": "celeba,svhn"})


def test_inception_features_load_a_local_weights_file(tmp_path):
    import keras

    network = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                             input_shape=(299, 299, 3))
    path = str(tmp_path / "inception.weights.h5")
    network.save_weights(path)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
    expected = network(keras.ops.image.resize(images, (299, 299), antialias=True), training=False)
    np.testing.assert_allclose(inception_features(path)(images), expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ConfigError, match="--inception_weights=.*missing.h5: no such file"):
        inception_features(str(tmp_path / "missing.h5"))
