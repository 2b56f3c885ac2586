"""StarGAN v2 export (SavedModel, TFLite) and translate.py on a tiny model, checked against the Keras EMA networks."""
import json
import os
import re
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from stargan_tf import families
from stargan_tf.core import export, faces
from stargan_tf.families.stargan_v2 import serving as export_v2
from stargan_tf.data.labels import make_layout
from stargan_tf.core.run_dir import write_run_file
from stargan_tf.core.run_dir import checkpoint_manager
from stargan_tf.core.trainer import prepare
from stargan_tf.core.photo_files import TranslateError
from stargan_tf.families import load_translator
from stargan_tf.families.stargan_v2.translate import StyleTargets, StyleTranslator, translate_styles
from stargan.test_export import png_pixels, run_script, saved_model_cli
from conftest import grid_tiles, load_serving_model, tiny_domains, tiny_v2_config  # noqa: F401 (fixture)
from stargan_tf.core.grids import BACKGROUND

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAINS = ("happy", "sad", "surprised")
ALIGNMENT = json.dumps(faces.alignment_description(16, export.SQUARE))  # info's alignment: a JSON string
FORMATS = ("saved_model", "tflite_float32", "tflite_float16", "tflite_int8_dynamic", "tflite_int8")


@pytest.fixture(scope="module")
def run_dir(tiny_domains, tmp_path_factory):  # noqa: F811
    """A tiny v2 checkpoint (16 px, 3 domains) whose moving averages differ from the trained networks."""
    config, data, model = prepare(tiny_v2_config(tiny_domains, tmp_path_factory.mktemp("v2_run")))
    rng = np.random.default_rng(1)
    for ema in model.ema_networks:
        for weight in ema.weights:
            weight.assign(weight.numpy() * (1 + 0.05 * rng.standard_normal(weight.shape)).astype(np.float32))
    checkpoint_manager(model, config.model_save_dir, 1).save()
    write_run_file(config.model_save_dir, config.model_name, config, families.get(config.model_name).layout(data))
    return config.model_save_dir, model


@pytest.fixture(scope="module")
def keras_model(run_dir):
    return load_serving_model(run_dir[0])


@pytest.fixture(scope="module")
def exported(run_dir, tmp_path_factory):
    """scripts/export.py (the v1 command) run on the v2 checkpoint with every format: (export dir, its stdout)."""
    export_dir = str(tmp_path_factory.mktemp("exported") / "stargan_v2")
    result = run_script([os.path.join(ROOT, "scripts", "export.py"), f"--checkpoint_dir={run_dir[0]}",
                         f"--export_dir={export_dir}", f"--formats={','.join(FORMATS)}", "--parity_images=6",
                         "--calibration_images=6"], tmp_path_factory.mktemp("cwd"))
    assert result.returncode == 0, result.stderr[-3000:]
    return export_dir, result.stdout


@pytest.fixture(scope="module")
def loaded(exported):
    return tf.saved_model.load(os.path.join(exported[0], "1"))


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Two photos of other sizes than the model's and a reference photo."""
    folder = tmp_path_factory.mktemp("v2_photos")
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, [40, 30, 3], dtype=np.uint8)).save(folder / "a.jpg")
    Image.fromarray(rng.integers(0, 256, [20, 50, 3], dtype=np.uint8)).save(folder / "b.png")
    reference = tmp_path_factory.mktemp("v2_reference") / "ref.png"
    Image.fromarray(rng.integers(0, 256, [25, 25, 3], dtype=np.uint8)).save(reference)
    return folder, reference


def keras_uint8(model, mode, image, second, third):
    """What a uint8 signature should give: the Keras EMA networks on the photos cropped and resized as served."""
    x = export.crop_and_resize(image, export.SQUARE, 16)
    if mode == "reference_guided":
        second = export.crop_and_resize(second, export.SQUARE, 16)
    return export.to_uint8(getattr(model.model, mode)(x, second, third)).numpy()


def test_restored_checkpoint_holds_the_moving_averages(run_dir, keras_model):
    _, trained = run_dir
    serving, config = keras_model
    assert serving.domains == DOMAINS and config.latent_dim == 4
    for ema, restored in zip(trained.ema_networks, serving.model.ema_networks):
        for weight, value in zip(ema.weights, restored.weights):
            np.testing.assert_array_equal(weight.numpy(), value.numpy())
    # The export wraps the averages: they differ from the trained networks.
    assert not np.allclose(trained.generator.weights[0].numpy(), serving.model.generator_ema.weights[0].numpy())


def test_export_script_detects_v2_and_writes_every_format(exported):
    export_dir, stdout = exported
    assert sorted(os.listdir(export_dir)) == ["1", "export-1.json", "tflite"]
    assert os.path.isfile(os.path.join(export_dir, "1", export.WARMUP_FILE))
    assert sorted(os.listdir(os.path.join(export_dir, "tflite", "1"))) == [
        "info.json"] + sorted(f"stargan_v2_{name[len('tflite_'):]}.tflite" for name in FORMATS[1:])
    with open(os.path.join(export_dir, "tflite", "1", "info.json")) as f:
        assert json.load(f) == {"model": "stargan_v2", "domains": list(DOMAINS), "image_size": 16, "crop_size": 0,
                                "latent_dim": 4, "style_dim": 8, "alignment": ALIGNMENT}
    with open(os.path.join(export_dir, "export-1.json")) as f:
        report = json.load(f)
    assert list(report) == list(FORMATS)
    for name, result in report.items():
        assert result["size_bytes"] == export.directory_size(result["path"]) > 0
        assert list(result["signatures"]) == ["latent_guided", "reference_guided"]
        assert re.search(rf"^{name}\s+\d+\.\d\d\s", stdout, re.MULTILINE), name
        print(name, result)
    assert report["saved_model"]["max_abs_diff"] <= 1e-5
    assert re.search(r"^  reference_guided\s+\d\.\d\de-\d\d", stdout, re.MULTILINE)


def test_saved_model_serves_both_modes_without_our_code_and_with_saved_model_cli(exported, keras_model, tmp_path):
    """A client process that never imports stargan_tf, and saved_model_cli (TF Serving's session loader)."""
    serving, _ = keras_model
    saved_model = os.path.join(exported[0], "1")
    rng = np.random.default_rng(2)
    inputs = {"image": rng.integers(0, 256, [2, 23, 17, 3], dtype=np.uint8),
              "reference": rng.integers(0, 256, [2, 19, 31, 3], dtype=np.uint8),
              "domain": np.array([2, 0], np.int32), "z": rng.standard_normal([2, 4]).astype(np.float32)}
    for name, value in inputs.items():
        np.save(tmp_path / f"{name}.npy", value)
    (tmp_path / "client.py").write_text(textwrap.dedent(f"""
        import json, sys
        import numpy as np, tensorflow as tf
        model = tf.saved_model.load({saved_model!r})
        x = {{name: tf.constant(np.load(name + ".npy")) for name in ("image", "reference", "domain", "z")}}
        for mode, names in (("latent_guided", ("image", "domain", "z")),
                            ("reference_guided", ("image", "reference", "domain"))):
            np.save(mode + ".npy", model.signatures[mode](**{{n: x[n] for n in names}})["translated"].numpy())
        def plain(value):
            if isinstance(value, bytes):
                return value.decode()
            return [x.decode() for x in value] if value.dtype == object else value.item()
        info = {{k: plain(v.numpy()) for k, v in model.signatures["info"]().items()}}
        print(json.dumps({{"info": info, "signatures": sorted(model.signatures),
                           "imported": sorted(m for m in sys.modules if m.startswith("stargan_tf"))}}))
    """))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cli_inputs = ";".join(f"{name}={tmp_path / name}.npy" for name in ("image", "domain", "z"))
    commands = [[saved_model_cli(), "show", "--all", "--dir", saved_model],
                [saved_model_cli(), "run", "--dir", saved_model, "--tag_set", "serve", "--signature_def",
                 "serving_default", "--inputs", cli_inputs, "--outdir", str(tmp_path / "cli")]]
    # The three processes run at once: each spends most of its time importing TensorFlow.
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for command in commands]
    client = run_script(["client.py"], tmp_path, with_package=False)
    (shown, shown_err), (ran, ran_err) = (process.communicate(timeout=600) for process in processes)
    assert client.returncode == 0, client.stderr[-3000:]
    assert all(process.returncode == 0 for process in processes), shown_err[-2000:] + ran_err[-2000:]
    reply = json.loads(client.stdout.strip().splitlines()[-1])
    assert reply["imported"] == []
    assert reply["signatures"] == ["info", "latent_guided", "latent_guided_bytes", "latent_guided_float",
                                   "reference_guided", "reference_guided_bytes", "reference_guided_float",
                                   "serving_default"]
    assert reply["info"] == {"model": "stargan_v2", "domains": list(DOMAINS), "image_size": 16, "crop_size": 0,
                             "latent_dim": 4, "style_dim": 8, "alignment": ALIGNMENT}
    latent = keras_uint8(serving, "latent_guided", inputs["image"], inputs["domain"], inputs["z"])
    reference = keras_uint8(serving, "reference_guided", inputs["image"], inputs["reference"], inputs["domain"])
    assert np.abs(latent.astype(int) - reference).max() > 10  # the two modes differ: each is checked
    for mode, expected in (("latent_guided", latent), ("reference_guided", reference)):
        served = np.load(tmp_path / f"{mode}.npy")
        assert served.dtype == np.uint8 and served.shape == (2, 16, 16, 3)
        assert np.abs(served.astype(int) - expected).max() <= 1, mode
    assert np.abs(np.load(tmp_path / "cli" / "translated.npy").astype(int) - latent).max() <= 1
    for signature in ("serving_default", "latent_guided", "reference_guided", "info"):
        assert f"signature_def['{signature}']" in shown
    assert re.search(r"inputs\['domain'\] tensor_info:\s+dtype: DT_INT32\s+shape: \(-1\)", shown)
    assert re.search(r"inputs\['reference'\] tensor_info:\s+dtype: DT_UINT8\s+shape: \(-1, -1, -1, 3\)", shown)
    assert re.search(r"inputs\['z'\] tensor_info:\s+dtype: DT_FLOAT\s+shape: \(-1, 4\)", shown)


def test_signatures_reject_bad_inputs_naming_the_tensor(loaded):
    latent, reference = loaded.signatures["latent_guided"], loaded.signatures["reference_guided"]
    photo, z = tf.zeros([2, 20, 30, 3], tf.uint8), tf.zeros([2, 4])
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"domain: expected indices in \[0, 3\) \(0 happy, 1 sad, 2 surprised\); got.*\[1 3\]"):
        latent(image=photo, domain=tf.constant([1, 3]), z=z)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"domain: expected indices in \[0, 3\).*\[-1 0\]"):
        reference(image=photo, reference=photo, domain=tf.constant([-1, 0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"z: expected shape \[N, 4\] \(float32 latent codes"):
        latent(image=photo, domain=tf.constant([0, 1]), z=tf.zeros([2, 16]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="image, domain and z must have the same batch size N"):
        latent(image=photo, domain=tf.constant([0]), z=tf.zeros([1, 4]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reference: expected shape \[N, \*, \*, 3\]"):
        reference(image=photo, reference=tf.zeros([2, 20, 30, 1], tf.uint8), domain=tf.constant([0, 1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reference: expected shape \[N, 16, 16, 3\]"):
        loaded.signatures["reference_guided_float"](image=tf.zeros([1, 16, 16, 3]), reference=tf.zeros([1, 8, 8, 3]),
                                                    domain=tf.constant([0]))


def test_warmup_requests_run_on_every_translating_signature(exported, loaded):
    from tensorflow_serving.apis import prediction_log_pb2

    signatures = []
    for record in tf.data.TFRecordDataset(os.path.join(exported[0], "1", export.WARMUP_FILE)).as_numpy_iterator():
        request = prediction_log_pb2.PredictionLog.FromString(record).predict_log.request
        inputs = {name: tf.constant(tf.make_ndarray(proto)) for name, proto in request.inputs.items()}
        outputs = loaded.signatures[request.model_spec.signature_name](**inputs)
        if "translated_bytes" in outputs:
            assert png_pixels(outputs["translated_bytes"].numpy()[0]).shape == (16, 16, 3)
        else:
            assert outputs["translated"].shape == (1, 16, 16, 3)
        signatures.append(request.model_spec.signature_name)
    assert signatures == ["serving_default", "latent_guided", "reference_guided", "latent_guided_float",
                          "reference_guided_float", "latent_guided_bytes", "reference_guided_bytes"]


def test_bytes_signatures_give_the_uint8_signatures_pixels_as_png_and_name_bad_bytes(loaded):
    photos = np.random.default_rng(3).integers(0, 256, [2, 20, 30, 3], dtype=np.uint8)
    encoded, domain, z = export.encoded_photos(photos), tf.constant([2, 0]), tf.random.normal([2, 4], seed=1)
    latent = loaded.signatures["latent_guided_bytes"](image_bytes=encoded, domain=domain, z=z)["translated_bytes"]
    reference = loaded.signatures["reference_guided_bytes"](image_bytes=encoded, reference_bytes=encoded[::-1],
                                                            domain=domain)["translated_bytes"]
    expected = {"latent": loaded.signatures["latent_guided"](image=photos, domain=domain, z=z)["translated"],
                "reference": loaded.signatures["reference_guided"](image=photos, reference=photos[::-1],
                                                                   domain=domain)["translated"]}
    for mode, pngs in (("latent", latent), ("reference", reference)):
        np.testing.assert_array_equal(np.stack([png_pixels(png) for png in pngs.numpy()]), expected[mode], mode)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reference_bytes: expected one encoded photo per "
                                                             r"example .*not a photo: example\(s\)\] \[0\]"):
        loaded.signatures["reference_guided_bytes"](image_bytes=encoded[:1], reference_bytes=[b"GIF"],
                                                    domain=domain[:1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="image_bytes, domain and z must have the same batch"):
        loaded.signatures["latent_guided_bytes"](image_bytes=encoded, domain=domain[:1], z=z[:1])


def test_sample_inputs_interleave_domains_and_take_each_next_image_as_reference(keras_model):
    _, config = keras_model
    feeds = export_v2.sample_inputs(config, 4, "val")
    latent, reference = feeds["latent_guided"], feeds["reference_guided"]
    # val: 2 images per domain; interleaved sources of domains 0, 1, 2, 0, each sent to the next domain.
    np.testing.assert_array_equal(latent["domain"], [1, 2, 0, 1])
    np.testing.assert_array_equal(reference["reference"], np.roll(reference["image"], -1, axis=0))
    np.testing.assert_array_equal(reference["domain"], [1, 2, 0, 0])  # the references' own domains
    assert latent["image"].shape == (4, 16, 16, 3) and latent["z"].shape == (4, 4)
    # A model with fewer domains than the images it is checked on (an imported 2-domain model, the 3-domain
    # synthetic data): every target is one of its domains.
    two = export_v2.sample_inputs(config, 4, "val", num_domains=2)
    np.testing.assert_array_equal(two["latent_guided"]["domain"], [1, 0, 1, 1])
    np.testing.assert_array_equal(two["reference_guided"]["domain"], [1, 0, 0, 0])


@pytest.fixture(scope="module")
def feeds(keras_model):
    _, config = keras_model
    return export_v2.sample_inputs(config, 6, "val")


# float16: 2e-2, as G has no tanh and the untrained tiny G outputs values up to +-5 (a trained one: +-1.5).
@pytest.mark.parametrize("variant, max_abs_diff, min_psnr", [
    ("float32", 1e-4, None), ("float16", 2e-2, None), ("int8_dynamic", None, 30.0), ("int8", None, 20.0)])
def test_tflite_variants_have_fixed_shapes_and_match_the_keras_ema_networks(exported, keras_model, feeds, variant,
                                                                             max_abs_diff, min_psnr):
    from ai_edge_litert.interpreter import Interpreter

    serving, _ = keras_model
    with open(os.path.join(exported[0], "tflite", "1", f"stargan_v2_{variant}.tflite"), "rb") as f:
        content = f.read()
    interpreter = Interpreter(model_content=content)
    shapes = {mode: {name: (list(d["shape_signature"]), d["dtype"]) for name, d in
                     interpreter.get_signature_runner(mode).get_input_details().items()}
              for mode in ("latent_guided", "reference_guided")}
    image = ([1, 16, 16, 3], np.float32)
    assert shapes == {"latent_guided": {"image": image, "domain": ([1], np.int32), "z": ([1, 4], np.float32)},
                      "reference_guided": {"image": image, "reference": image, "domain": ([1], np.int32)}}
    runner = export_v2.TFLiteStyleTranslator(content, len(DOMAINS))
    latent, reference = feeds["latent_guided"], feeds["reference_guided"]
    results = {
        "latent": export.parity(serving.model.latent_guided(latent["image"], latent["domain"], latent["z"]),
                                runner.latent_guided(latent["image"], latent["domain"], latent["z"])),
        "reference": export.parity(
            serving.model.reference_guided(reference["image"], reference["reference"], reference["domain"]),
            runner.reference_guided(reference["image"], reference["reference"], reference["domain"]))}
    print(f"TFLite {variant}: {len(content)} bytes, {results}")
    for result in results.values():
        if max_abs_diff is not None:
            assert result["max_abs_diff"] <= max_abs_diff
        if min_psnr is not None:
            assert result["psnr_db"] >= min_psnr
    with pytest.raises(ValueError, match=r"domain: expected indices in \[0, 3\); got \[3\]"):
        runner.latent_guided(latent["image"][:2], [0, 3], latent["z"][:2])


@pytest.fixture(scope="module")
def translators(run_dir, exported):
    return {"checkpoint": load_translator(run_dir[0]), "saved_model": load_translator(exported[0])}


def test_checkpoint_and_saved_model_are_style_translators_that_agree(translators, photos):
    photo = np.asarray(Image.open(photos[0] / "a.jpg"))
    reference = np.asarray(Image.open(photos[1]))
    z = np.random.default_rng(3).standard_normal([3, 4]).astype(np.float32)
    outputs = {}
    for kind, translator in translators.items():
        assert isinstance(translator, StyleTranslator) and translator.domains == DOMAINS
        outputs[kind] = (translator.latent_guided(photo, [0, 1, 2], z), translator.reference_guided(photo, reference, 1))
    for from_checkpoint, from_saved_model in zip(outputs["checkpoint"], outputs["saved_model"]):
        assert np.abs(from_checkpoint.astype(int) - from_saved_model).max() <= 1
    assert outputs["checkpoint"][0].shape == (3, 16, 16, 3) and outputs["checkpoint"][1].shape == (16, 16, 3)


def test_translate_styles_latent_writes_each_style_of_each_domain_and_the_grid(translators, photos, tmp_path):
    translator = translators["saved_model"]
    paths = sorted(str(path) for path in photos[0].iterdir())
    targets = StyleTargets.parse(translator, target="sad,happy", num_styles=2, seed=5)
    report = translate_styles(translator, paths, str(tmp_path), targets)
    names = [f"{stem}_{domain}_style{i}.png" for stem in ("a", "b") for domain in ("sad", "happy") for i in (1, 2)]
    assert sorted(os.listdir(tmp_path)) == sorted(names + ["latent_grid.png"])
    # A row per photo: the photo, then 2 domains x 2 styles.
    tiles = grid_tiles(Image.open(tmp_path / "latent_grid.png"), 2, 1 + 2 * 2, 16, grouped=True, row_names=True)
    photo = np.asarray(Image.open(paths[1]))
    np.testing.assert_array_equal(tiles[1, 0], translator.model_input(photo))
    z = np.random.default_rng(5).standard_normal([2, 4]).astype(np.float32)
    expected = translator.latent_guided(translator.model_input(photo), [0], z[1:])[0]  # happy (domain 0), second style
    np.testing.assert_array_equal(tiles[1, 4], expected)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "b_happy_style2.png")), expected)
    assert len(report.written) == 9 and not report.skipped


def test_translate_script_runs_both_guidance_modes(exported, run_dir, photos, tmp_path):
    env = {**os.environ, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2"}
    script = [sys.executable, os.path.join(ROOT, "scripts", "translate.py"), f"--input={photos[0]}"]
    commands = {"latent": script + [f"--model={exported[0]}", f"--output={tmp_path / 'latent'}", "--num_styles=2"],
                "reference": script + [f"--model={run_dir[0]}", f"--output={tmp_path / 'reference'}",
                                       f"--reference={photos[1]}", "--reference_domain=surprised"]}
    processes = {mode: subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                 for mode, command in commands.items()}
    for mode, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-2000:]
        assert "2 of 2 photos" in stdout
    assert len(os.listdir(tmp_path / "latent")) == 2 * 3 * 2 + 1
    grid_tiles(Image.open(tmp_path / "latent" / "latent_grid.png"), 2, 7, 16, grouped=True, row_names=True)
    assert sorted(os.listdir(tmp_path / "reference")) == ["a_surprised_ref.png", "b_surprised_ref.png",
                                                          "reference_grid.png"]
    # The reference on top (after an empty corner), a row per photo.
    tiles = grid_tiles(Image.open(tmp_path / "reference" / "reference_grid.png"), 3, 2, 16, row_names=True)
    assert (tiles[0, 0] == BACKGROUND).all()
    translator = load_translator(run_dir[0])
    np.testing.assert_array_equal(tiles[0, 1], translator.model_input(np.asarray(Image.open(photos[1]))))
    np.testing.assert_array_equal(tiles[1, 1], np.asarray(Image.open(tmp_path / "reference" / "a_surprised_ref.png")))


STUB = types.SimpleNamespace(domains=DOMAINS, latent_dim=4)


@pytest.mark.parametrize("kwargs, message", [
    (dict(reference="ref.png"), r"--reference needs --reference_domain: the domain the reference photo belongs to "
                                r"\(happy, sad, surprised\)"),
    (dict(reference="ref.png", reference_domain="angry"), "--reference_domain: unknown domain 'angry'; this model's "
                                                          "domains: happy, sad, surprised"),
    (dict(reference="ref.png", num_styles=2), "--num_styles: latent-guided options, but --reference"),
    (dict(reference="ref.png", target="sad"), "--target: latent-guided options"),
    (dict(reference_domain="sad"), "--reference_domain is the domain of a --reference photo"),
    (dict(target="cat"), "--target: unknown domain 'cat'"),
    (dict(num_styles=0), "--num_styles=0: must be at least 1"),
    (dict(target="sad", all_domains=True), "only one of --target and --all_domains"),
])
def test_style_target_errors_say_what_is_valid(kwargs, message):
    with pytest.raises(TranslateError, match=message):
        StyleTargets.parse(STUB, **kwargs)


def test_latent_targets_default_to_every_domain_with_seeded_styles():
    targets = StyleTargets.parse(STUB, seed=7)
    assert targets.targets == (0, 1, 2) and targets.latent
    np.testing.assert_array_equal(targets.z, np.random.default_rng(7).standard_normal([3, 4]).astype(np.float32))




def test_an_empty_batch_is_refused_naming_the_input(exported, loaded):
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"(image|domain|z): expected at least one example; got an empty batch \(N=0\)"):
        loaded.signatures["latent_guided"](image=tf.zeros([0, 20, 30, 3], tf.uint8), domain=tf.zeros([0], tf.int32),
                                           z=tf.zeros([0, 4]))
    with open(os.path.join(exported[0], "tflite", "1", "stargan_v2_float32.tflite"), "rb") as f:
        runner = export_v2.TFLiteStyleTranslator(f.read(), len(DOMAINS))
    with pytest.raises(ValueError, match=r"^image: expected at least one example; got an empty batch \(N=0\)$"):
        runner.latent_guided(np.zeros([0, 16, 16, 3], np.float32), np.zeros([0], np.int32), np.zeros([0, 4]))
