"""Export of a tiny model to a SavedModel (TF Serving) and TFLite, checked with TF's own client tooling."""
import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
import urllib.request
from PIL import Image

from conftest import load_serving_model, tiny_config
from stargan.test_translate import vector
from stargan_tf import families
from stargan_tf.core import export, faces
from stargan_tf.families.stargan import serving
from stargan_tf.families.stargan.config import ConfigError
from stargan_tf.data import pipeline

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALL_FORMATS = ",".join(export.FORMATS)


def run_script(args, tmp_path, with_package=True):
    """Runs a Python script in a fresh process; without the package, neither the worktree nor PYTHONPATH is on the path."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if with_package:
        env["PYTHONPATH"] = ROOT
    return subprocess.run([sys.executable] + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def exported(tiny_checkpoints, tmp_path_factory):
    """scripts/export.py run on the tiny CelebA checkpoint with every format: (export dir, its stdout)."""
    export_dir = str(tmp_path_factory.mktemp("exported") / "stargan")
    result = run_script([os.path.join(ROOT, "scripts", "export.py"), f"--checkpoint_dir={tiny_checkpoints['celeba']}",
                         f"--export_dir={export_dir}", "--version=3", f"--formats={ALL_FORMATS}",
                         "--calibration_images=16"], tmp_path_factory.mktemp("cwd"))
    assert result.returncode == 0, result.stderr[-3000:]
    return export_dir, result.stdout


@pytest.fixture(scope="module")
def keras_model(tiny_checkpoints):
    model, config = load_serving_model(tiny_checkpoints["celeba"])
    return model, config


@pytest.fixture(scope="module")
def loaded(exported):
    return tf.saved_model.load(os.path.join(exported[0], "3"))


def test_export_script_writes_every_format_in_the_tf_serving_layout(exported):
    export_dir, stdout = exported
    assert sorted(os.listdir(export_dir)) == ["3", "export-3.json", "tflite"]
    assert os.path.isfile(os.path.join(export_dir, "3", "saved_model.pb"))
    assert os.path.isfile(os.path.join(export_dir, "3", export.WARMUP_FILE))
    assert sorted(os.listdir(os.path.join(export_dir, "tflite", "3"))) == [
        "labels.json", "stargan_float16.tflite", "stargan_float32.tflite", "stargan_int8.tflite",
        "stargan_int8_dynamic.tflite"]
    with open(os.path.join(export_dir, "export-3.json")) as f:
        report = json.load(f)
    assert list(report) == list(export.FORMATS)
    for name, result in report.items():
        assert result["size_bytes"] == export.directory_size(result["path"]) > 0
        assert re.search(rf"^{name}\s+\d+\.\d\d\s", stdout, re.MULTILINE), name
    assert report["saved_model"]["max_abs_diff"] <= 1e-5


def test_crop_and_resize_equals_training_preprocessing_for_dataset_images(tiny_data):
    # Aligned CelebA images are 178x218: the largest centered square is the training crop, 178.
    path = os.path.join(tiny_data.celeba_image_dir, sorted(os.listdir(tiny_data.celeba_image_dir))[0])
    photo = tf.io.decode_image(tf.io.read_file(path), channels=3).numpy()  # the training pipeline's JPEG decoder
    assert photo.shape == (218, 178, 3)
    served = export.crop_and_resize(photo[None], export.SQUARE, 16)[0]
    np.testing.assert_allclose(served, pipeline.load_image(path, 178, 16), atol=1e-6)
    # A fixed crop size crops (or pads) like training.
    np.testing.assert_allclose(export.crop_and_resize(photo[None], 100, 16)[0], pipeline.load_image(path, 100, 16),
                               atol=1e-6)


def test_square_crop_keeps_the_centered_square_of_a_landscape_photo():
    photo = np.zeros([1, 4, 8, 3], np.uint8)
    photo[:, :, 2:6] = 255  # the centered 4x4 square is white, the sides black
    np.testing.assert_array_equal(export.crop_and_resize(photo, export.SQUARE, 4), np.ones([1, 4, 4, 3]))


def test_saved_model_loads_and_translates_in_a_process_that_never_imports_stargan_tf(exported, keras_model,
                                                                                       tmp_path):
    model, _ = keras_model
    photo = np.random.default_rng(0).integers(0, 256, [2, 23, 17, 3], dtype=np.uint8)
    target = np.array([[0, 1, 0, 1, 0], [1, 0, 0, 0, 1]], np.float32)
    np.save(tmp_path / "photo.npy", photo)
    np.save(tmp_path / "target.npy", target)
    (tmp_path / "client.py").write_text(textwrap.dedent(f"""
        import json, sys
        import numpy as np, tensorflow as tf
        model = tf.saved_model.load({os.path.join(exported[0], "3")!r})
        out = model.signatures["serving_default"](image=tf.constant(np.load("photo.npy")),
                                                  target_labels=tf.constant(np.load("target.npy")))["translated"]
        np.save("translated.npy", out.numpy())
        labels = {{k: v.numpy() for k, v in model.signatures["labels"]().items()}}
        labels = {{k: [x.decode() for x in v] if v.dtype == object else v.tolist() for k, v in labels.items()
                   if k in ("names", "kinds", "image_size")}}
        print(json.dumps({{"labels": labels, "dtype": out.dtype.name, "signatures": sorted(model.signatures),
                           "imported": sorted(m for m in sys.modules if m.startswith("stargan_tf"))}}))
    """))
    result = run_script(["client.py"], tmp_path, with_package=False)
    assert result.returncode == 0, result.stderr[-3000:]
    reply = json.loads(result.stdout.strip().splitlines()[-1])
    assert reply["imported"] == []
    assert reply["signatures"] == ["labels", "serving_default", "translate_bytes", "translate_float"]
    assert reply["dtype"] == "uint8"
    assert reply["labels"]["names"] == ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
    assert reply["labels"]["kinds"] == ["multilabel"] * 5 and reply["labels"]["image_size"] == 16
    expected = model.translate(tf.constant(photo), tf.constant(target))["translated"].numpy()
    translated = np.load(tmp_path / "translated.npy")
    assert translated.shape == (2, 16, 16, 3)
    assert np.abs(translated.astype(int) - expected).max() <= 1


def test_signatures_reject_wrong_inputs_saying_what_was_expected(loaded):
    translate, translate_float = loaded.signatures["serving_default"], loaded.signatures["translate_float"]
    photo, labels = tf.zeros([1, 20, 30, 3], tf.uint8), tf.zeros([1, 5])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"target_labels: expected shape \[N, 5\] \(float32 label vectors: Black_Hair, "):
        translate(image=photo, target_labels=tf.zeros([1, 4]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"image: expected shape \[N, \*, \*, 3\] .*\[1 20 30 4\]"):
        translate(image=tf.zeros([1, 20, 30, 4], tf.uint8), target_labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a uint8 tensor but is a float tensor"):
        translate(image=tf.zeros([1, 20, 30, 3]), target_labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match="same batch size"):
        translate(image=tf.zeros([2, 20, 30, 3], tf.uint8), target_labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"image: expected shape \[N, 16, 16, 3\]"):
        translate_float(image=tf.zeros([1, 20, 20, 3]), target_labels=labels)


def saved_model_cli():
    beside_python = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    return beside_python if os.path.exists(beside_python) else shutil.which("saved_model_cli")


def test_saved_model_cli_shows_the_signatures_and_runs_on_npy_input(exported, keras_model, tmp_path):
    saved_model = os.path.join(exported[0], "3")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    shown = subprocess.run([saved_model_cli(), "show", "--all", "--dir", saved_model], capture_output=True, text=True,
                           env=env, timeout=300)
    assert shown.returncode == 0, shown.stderr[-2000:]
    for signature in ("serving_default", "translate_float", "labels"):
        assert f"signature_def['{signature}']" in shown.stdout
    assert re.search(r"inputs\['image'\] tensor_info:\s+dtype: DT_UINT8\s+shape: \(-1, -1, -1, 3\)", shown.stdout)
    assert re.search(r"inputs\['target_labels'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 5\)", shown.stdout)
    photo = np.random.default_rng(1).integers(0, 256, [1, 30, 20, 3], dtype=np.uint8)
    target = np.array([[0, 0, 1, 0, 1]], np.float32)
    np.save(tmp_path / "photo.npy", photo)
    np.save(tmp_path / "target.npy", target)
    run = subprocess.run([saved_model_cli(), "run", "--dir", saved_model, "--tag_set", "serve", "--signature_def",
                          "serving_default", "--inputs", f"image={tmp_path / 'photo.npy'};target_labels="
                          f"{tmp_path / 'target.npy'}", "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    translated = np.load(tmp_path / "out" / "translated.npy")
    expected = keras_model[0].translate(tf.constant(photo), tf.constant(target))["translated"].numpy()
    assert translated.dtype == np.uint8 and translated.shape == (1, 16, 16, 3)
    assert np.abs(translated.astype(int) - expected).max() <= 1


def test_saved_model_cli_runs_translate_bytes_on_a_jpeg_a_fraction_of_the_pixel_json(exported, loaded, tmp_path):
    from skimage import data

    photo = data.astronaut()  # 512x512
    encoded = io.BytesIO()
    Image.fromarray(photo).save(encoded, "JPEG", quality=90)
    jpeg, target = encoded.getvalue(), [1, 0, 0, 0, 1]
    np.save(tmp_path / "image_bytes.npy", np.array([jpeg], dtype=object))
    np.save(tmp_path / "target.npy", np.array([target], np.float32))
    inputs = f"image_bytes={tmp_path / 'image_bytes.npy'};target_labels={tmp_path / 'target.npy'}"
    run = subprocess.run([saved_model_cli(), "run", "--dir", os.path.join(exported[0], "3"), "--tag_set", "serve",
                          "--signature_def", "translate_bytes", "--inputs", inputs, "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    (png,) = np.load(tmp_path / "out" / "translated_bytes.npy", allow_pickle=True)
    translated = png_pixels(png)
    assert translated.shape == (16, 16, 3)
    np.testing.assert_array_equal(translated, served_default(loaded, jpeg, target))
    # The REST request bodies of the two signatures for this photo: pixel JSON numbers vs the JPEG in base64.
    pixels = json.dumps({"signature_name": "serving_default",
                         "instances": [{"image": photo.tolist(), "target_labels": target}]})
    photo_file = json.dumps({"signature_name": "translate_bytes", "instances": [
        {"image_bytes": {"b64": base64.b64encode(jpeg).decode()}, "target_labels": target}]})
    print(f"512x512 request: pixel JSON {len(pixels)} bytes, JPEG {len(photo_file)} bytes, "
          f"{len(pixels) / len(photo_file):.1f}x")
    assert len(pixels) > 30 * len(photo_file)  # 43.7x measured here


def serving_doc_blocks(heading, language="json"):
    """The code blocks (```json: parsed) of the docs/serving.md section with this heading, up to the next heading."""
    with open(os.path.join(ROOT, "docs", "serving.md")) as f:
        section = re.split(r"\n##+ ", f.read().split(heading + "\n", 1)[1], maxsplit=1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)
    return [json.loads(block) for block in blocks] if language == "json" else blocks


def rest_predict(signature, body):
    """What TF Serving's REST API answers to a row-format predict body (tensorflow_serving/util/json_tensor.cc):
    {"b64": ...} values of string inputs are base64-decoded, outputs whose names end in _bytes are sent as
    {"b64": ...}, and a single output is listed per instance without its name."""
    specs = signature.structured_input_signature[1]

    def value(item):
        return base64.b64decode(item["b64"]) if isinstance(item, dict) else item

    outputs = signature(**{name: tf.constant(np.array([value(instance[name]) for instance in body["instances"]],
                                                      spec.dtype.as_numpy_dtype)) for name, spec in specs.items()})
    rows = [{name: {"b64": base64.b64encode(tensor.numpy()[i]).decode()} if name.endswith("_bytes")
             else tensor.numpy()[i].tolist() for name, tensor in outputs.items()}
            for i in range(len(body["instances"]))]
    return {"predictions": [next(iter(row.values())) if len(row) == 1 else row for row in rows]}


def test_documented_rest_predict_request_runs_on_the_signature_and_gives_the_documented_response(loaded):
    request, response = serving_doc_blocks("## REST predict")
    assert request["signature_name"] == "serving_default"
    answer = rest_predict(loaded.signatures[request["signature_name"]], request)
    assert set(answer) == set(response) and len(answer["predictions"]) == len(response["predictions"]) == 1
    assert np.array(answer["predictions"]).shape == (1, 16, 16, 3)
    assert np.array(response["predictions"]).ndim == 4 and np.array(response["predictions"]).shape[-1] == 3


def png_pixels(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return np.asarray(image)


def served_default(loaded, photo_file: bytes, target_labels):
    """serving_default's uint8 translation [S,S,3] of the pixels the graph decodes from a photo file."""
    photo = tf.io.decode_image(photo_file, channels=3, expand_animations=False)
    return loaded.signatures["serving_default"](image=photo[None], target_labels=tf.constant(
        [target_labels], tf.float32))["translated"].numpy()[0]


def test_documented_rest_request_with_photo_bytes_gives_a_png_of_what_serving_default_gives(loaded):
    request, response = serving_doc_blocks("## REST predict with photo bytes")
    assert request["signature_name"] == "translate_bytes"
    answer = rest_predict(loaded.signatures["translate_bytes"], request)
    assert set(answer) == set(response) and [set(p) for p in answer["predictions"] + response["predictions"]] == [
        {"b64"}, {"b64"}]
    instance = request["instances"][0]
    translated = png_pixels(base64.b64decode(answer["predictions"][0]["b64"]))
    assert translated.shape == (16, 16, 3)
    np.testing.assert_array_equal(translated, served_default(loaded, base64.b64decode(instance["image_bytes"]["b64"]),
                                                             instance["target_labels"]))
    assert png_pixels(base64.b64decode(response["predictions"][0]["b64"])).shape == (2, 2, 3)


def test_documented_rest_client_sends_a_jpeg_file_and_writes_the_translated_png(loaded, tmp_path, monkeypatch):
    (client,) = serving_doc_blocks("## REST predict with photo bytes", "python")
    Image.fromarray(np.random.default_rng(2).integers(0, 256, [40, 30, 3], dtype=np.uint8)).save(
        tmp_path / "photo.jpg")
    requests = []

    def urlopen(request):  # TF Serving's REST predict, answered by the exported signatures
        requests.append(request.full_url)
        body = json.loads(request.data)
        return io.BytesIO(json.dumps(rest_predict(loaded.signatures[body["signature_name"]], body)).encode())

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.chdir(tmp_path)
    exec(client, {})
    assert requests == ["http://localhost:8501/v1/models/stargan:predict"]
    np.testing.assert_array_equal(png_pixels((tmp_path / "translated.png").read_bytes()),
                                  served_default(loaded, (tmp_path / "photo.jpg").read_bytes(), [0, 1, 0, 1, 1]))


def test_photo_bytes_that_are_no_photo_fail_naming_the_input_and_the_examples(loaded):
    translate_bytes = loaded.signatures["translate_bytes"]
    photo, labels = export.encoded_photos(np.zeros([1, 20, 30, 3], np.uint8))[0], tf.zeros([3, 5])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"image_bytes: expected one encoded photo per example \(JPEG, PNG, GIF, BMP, WebP or "
                             r"JPEG XL file bytes; .*not a photo: example\(s\)\] \[1 2\]"):
        translate_bytes(image_bytes=tf.constant([photo, b"hello", b""]), target_labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"(?s)Invalid PNG.*node image_bytes"):
        translate_bytes(image_bytes=tf.constant([photo[:40]]), target_labels=labels[:1])  # cut short
    with pytest.raises(tf.errors.InvalidArgumentError, match="image_bytes and target_labels must have the same batch"):
        translate_bytes(image_bytes=tf.constant([photo]), target_labels=labels)


def test_warmup_requests_are_prediction_logs_that_run_on_their_signatures(exported, loaded):
    from tensorflow_serving.apis import prediction_log_pb2

    path = os.path.join(exported[0], "3", export.WARMUP_FILE)
    signatures = []
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
        request = prediction_log_pb2.PredictionLog.FromString(record).predict_log.request
        inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
        outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
        if "translated_bytes" in outputs:
            assert png_pixels(outputs["translated_bytes"].numpy()[0]).shape == (16, 16, 3)
        else:
            assert outputs["translated"].shape == (1, 16, 16, 3)
        signatures.append(request.model_spec.signature_name)
    assert signatures == ["serving_default", "translate_float", "translate_bytes"]


@pytest.fixture(scope="module")
def parity_inputs(keras_model):
    model, config = keras_model
    return serving.sample_inputs(config, model.layout, 4, "test")


@pytest.mark.parametrize("variant, max_abs_diff, min_psnr", [
    ("float32", 1e-4, None), ("float16", 1e-2, None), ("int8_dynamic", None, 30.0), ("int8", None, 20.0)])
def test_tflite_variants_have_fixed_shapes_and_match_keras(exported, keras_model, parity_inputs, variant,
                                                            max_abs_diff, min_psnr):
    from ai_edge_litert.interpreter import Interpreter

    assert export._interpreter_class() is Interpreter  # the LiteRT runtime, as on phones
    with open(os.path.join(exported[0], "tflite", "3", f"stargan_{variant}.tflite"), "rb") as f:
        content = f.read()
    interpreter = Interpreter(model_content=content)
    details = {d["name"]: d for d in interpreter.get_signature_runner(serving.TFLITE_SIGNATURE).get_input_details().values()}
    inputs = {name: (list(d["shape"]), list(d["shape_signature"]), d["dtype"]) for name, d in
              interpreter.get_signature_runner(serving.TFLITE_SIGNATURE).get_input_details().items()}
    assert inputs == {"image": ([1, 16, 16, 3], [1, 16, 16, 3], np.float32),
                      "target_labels": ([1, 5], [1, 5], np.float32)}, details
    images, targets = parity_inputs
    reference = keras_model[0].generator(images, targets).numpy()
    translator = serving.TFLiteTranslator(content, keras_model[0].layout)
    result = export.parity(reference, translator(images, targets))
    print(f"TFLite {variant}: {len(content)} bytes, {result}")
    if max_abs_diff is not None:
        assert result["max_abs_diff"] <= max_abs_diff
    if min_psnr is not None:
        assert result["psnr_db"] >= min_psnr


def test_parity_is_max_abs_difference_and_psnr_over_the_range_2():
    reference = np.zeros([1, 2, 2, 1])
    outputs = np.array([0.2, 0.0, 0.0, 0.0]).reshape(1, 2, 2, 1)
    result = export.parity(reference, outputs)
    assert result["max_abs_diff"] == pytest.approx(0.2)
    assert result["psnr_db"] == pytest.approx(10 * np.log10(4 / 0.01))  # MSE = 0.04 / 4


def test_existing_version_is_not_overwritten_and_unknown_formats_are_named(exported, keras_model, parity_inputs):
    model, _ = keras_model
    with pytest.raises(ConfigError, match="already exist.*--overwrite"):
        export.export_formats(model, exported[0], 3, ["saved_model"], parity_inputs)
    with pytest.raises(ConfigError, match="unknown tflite_int4; expected some of saved_model, tflite_float32"):
        export.export_formats(model, exported[0], 4, ["tflite_int4"], parity_inputs)


def test_labels_signature_lets_a_client_build_joint_label_vectors(joint_saved_model, tiny_checkpoints):
    labels = {name: value.numpy() for name, value in tf.saved_model.load(joint_saved_model).signatures["labels"]().items()}
    names = [name.decode() for name in labels["names"]]
    datasets = [name.decode() for name in labels["datasets"]]
    kinds = [name.decode() for name in labels["kinds"]]
    assert names[:5] == ["Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"]
    assert names[13:] == ["mask:celeba", "mask:rafd"] and len(names) == 15
    assert datasets == ["celeba"] * 5 + ["rafd"] * 8 + ["celeba", "rafd"]
    assert kinds == ["multilabel"] * 5 + ["onehot"] * 8 + ["mask"] * 2
    # A client wanting 'happy' sets it and the mask position of its dataset, using only these lists.
    vector = np.array([name == "happy" or (kind == "mask" and dataset == "rafd")
                       for name, dataset, kind in zip(names, datasets, kinds)], np.float32)
    model, _ = load_serving_model(tiny_checkpoints["both"])
    happy = np.eye(8, dtype=np.float32)[model.layout.segment("rafd").names.index("happy")]
    np.testing.assert_array_equal(vector, model.layout.embed("rafd", happy[None])[0])
    assert json.loads(labels["layout"]) == json.loads(json.dumps(model.layout.to_json()))
    assert int(labels["crop_size"]) == export.SQUARE
    assert json.loads(labels["alignment"]) == json.loads(json.dumps(faces.alignment_description(16, export.SQUARE)))


# Target label vectors of the tiny joint model (celeba: 5 attributes, rafd: 8 one-hot classes, then the 2-bit mask).
RANGE = r"target_labels: expected every label finite and in \[0, 1\] \(1: on, 0: off, a fraction: partial strength\)"
MASK = (r"target_labels: expected exactly one of the mask labels \(mask:celeba, mask:rafd\) 1 and the others 0 \(the "
        r"dataset whose labels are given\)")
ONEHOT = (r"target_labels: the rafd labels \(angry, contemptuous, .*, surprised\) are one-hot: expected one class 1 "
          r"and the others 0 \(fractions summing to at most 1: partial strength\)")
BAD_LABELS = [(vector([np.nan, 0, 0, 1, 0], mask=[1, 0]), RANGE), (vector([0, np.inf, 0, 1, 0], mask=[1, 0]), RANGE),
              (vector([-1, 1, -1, 1, -1], mask=[1, 0]), RANGE),  # CelebA's attribute file says -1 for off
              (vector([0, 5, 0, 1, 0], mask=[1, 0]), RANGE), (vector([0, 1, 0, 1, 0], mask=[1, 1]), MASK),
              (vector([0, 1, 0, 1, 0], mask=[0, 0]), MASK),
              (vector(rafd=[0, 0, 0, 0, 1, 0, 0, 0], mask=[0.5, 0.5]), MASK),
              (vector(rafd=[1, 0, 0, 0, 1, 0, 0, 0], mask=[0, 1]), ONEHOT)]
GOOD_LABELS = [vector([0, 0.7, 0, 1, 0], mask=[1, 0]),  # Blond_Hair:0.7, a strength
               vector(rafd=[0, 0, 0, 0, 0.25, 0, 0.75, 0], mask=[0, 1]),  # an interpolation step from happy to sad
               vector(rafd=[0] * 8, mask=[0, 1])]  # happy:0


@pytest.fixture(scope="module")
def joint(tiny_checkpoints, joint_saved_model):
    """The tiny joint model: {signature: fn(target_labels [N, 15]) -> its N outputs} on black photos (the SavedModel's
    signatures, its TFLite float32)."""
    signatures = tf.saved_model.load(joint_saved_model).signatures
    model = families.get("stargan").serving_model(tiny_checkpoints["both"], 0, {})
    tflite = serving.TFLiteTranslator(export.tflite_model(model, "float32"), model.layout)

    def photos(count, dtype=np.uint8):
        return tf.constant(np.zeros([count, 16, 16, 3], dtype))

    return {"serving_default": lambda labels: signatures["serving_default"](
                image=photos(len(labels)), target_labels=tf.constant(labels))["translated"],
            "translate_float": lambda labels: signatures["translate_float"](
                image=photos(len(labels), np.float32), target_labels=tf.constant(labels))["translated"],
            "translate_bytes": lambda labels: signatures["translate_bytes"](
                image_bytes=tf.constant(export.encoded_photos(photos(len(labels)))),
                target_labels=tf.constant(labels))["translated_bytes"],
            "tflite": lambda labels: tflite(photos(len(labels), np.float32).numpy(), labels)}


@pytest.mark.parametrize("labels, message", BAD_LABELS)
def test_every_translating_signature_and_tflite_refuse_labels_outside_the_layout_naming_target_labels(joint, labels,
                                                                                                     message):
    batch = np.stack([GOOD_LABELS[0], labels])  # example 1 is bad
    for name, translate in joint.items():
        error = ValueError if name == "tflite" else tf.errors.InvalidArgumentError
        with pytest.raises(error, match=message + r"; got, in example\(s\)"):
            translate(batch)


def test_strengths_interpolations_and_strength_zero_are_valid_labels_and_an_empty_batch_is_named(joint):
    for name, translate in joint.items():
        assert len(translate(np.stack(GOOD_LABELS))) == 3, name
        error = ValueError if name == "tflite" else tf.errors.InvalidArgumentError
        with pytest.raises(error, match=r"(image|image_bytes|target_labels): expected at least one example; got an "
                                        r"empty batch \(N=0\)"):
            translate(np.zeros([0, 15], np.float32))


def test_saved_model_cli_shows_why_target_labels_are_refused(joint_saved_model, tmp_path):
    np.save(tmp_path / "photo.npy", np.zeros([1, 16, 16, 3], np.uint8))
    np.save(tmp_path / "target.npy", vector([0, 1, 0, 1, 0], mask=[1, 1])[None])
    run = subprocess.run([saved_model_cli(), "run", "--dir", joint_saved_model, "--tag_set", "serve",
                          "--signature_def", "serving_default", "--inputs",
                          f"image={tmp_path / 'photo.npy'};target_labels={tmp_path / 'target.npy'}",
                          "--outdir", str(tmp_path / "out")],
                         capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, timeout=300)
    assert run.returncode != 0
    assert re.search(MASK + r"; got, in example\(s\)", run.stderr), run.stderr[-3000:]
