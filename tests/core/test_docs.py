"""The README and docs/ pages: their links resolve, the commands they show take the flags they show, and the Python
API examples run."""
import json
import os
import re
import subprocess
import sys

import numpy as np
from PIL import Image

from conftest import ROOT, tiny_config, tiny_v2_config

PAGES = [os.path.join(ROOT, "README.md")] + sorted(
    os.path.join(ROOT, "docs", name) for name in os.listdir(os.path.join(ROOT, "docs")) if name.endswith(".md"))
COMMANDS = {"stargan-train": "train", "stargan-translate": "translate", "stargan-export": "export",
            "stargan-evaluate": "evaluate", "stargan-import-official": "import_official",
            "stargan-train-classifier": "train_classifier", "stargan-demo": "demo"}
COMMAND = re.compile(r"(?<![\w/.-])(?:scripts/(\w+)\.py|(" + "|".join(map(re.escape, COMMANDS)) + r"))(?![\w-])")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*```")


def split_page(path: str) -> tuple[list[str], list[list[str]]]:
    """(prose lines, fenced code blocks as lists of lines) of a markdown page."""
    prose, blocks, block = [], [], None
    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if FENCE.match(line):
                if block is None:
                    block = [line.strip()[3:].strip()]  # the first item: the block's language
                else:
                    blocks.append(block)
                    block = None
            elif block is None:
                prose.append(line)
            else:
                block.append(line)
    return prose, blocks


def anchors(path: str) -> set[str]:
    """GitHub's anchors of a page's headings."""
    prose, _ = split_page(path)
    return {re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            for line in prose if line.startswith("#")}


def documented_commands() -> list[tuple[str, str, list[str]]]:
    """(page, key, flag names) of every scripts/<x>.py and stargan-<x> command in a fenced block; the key is the
    script's name, train_v2 for train.py --model=stargan_v2 (whose flags are StarGAN v2's)."""
    found = []
    for page in PAGES:
        for block in split_page(page)[1]:
            text = re.sub(r"\\\n\s*", " ", "\n".join(block[1:]))  # continuation lines joined
            for line in text.splitlines():
                for match in COMMAND.finditer(line):
                    script = match.group(1) or COMMANDS[match.group(2)]
                    rest = re.split(r"\s#|&&|;|\||\"", line[match.end():])[0]
                    key = "train_v2" if script == "train" and "--model=stargan_v2" in rest else script
                    found.append((page, key, re.findall(r"(?<!\S)--([A-Za-z][\w-]*)", rest)))
    return found


# One Python process imports each command in turn and prints its --helpfull: TensorFlow is imported once.
HELP_PROGRAM = """
import contextlib, importlib, io, json, sys
from absl import flags
jobs, texts = json.loads(sys.argv[1]), {}
builtin = set(flags.FLAGS)
for key, script, extra in jobs:
    for name in set(flags.FLAGS) - builtin:  # each command defines its own flags (several share names)
        delattr(flags.FLAGS, name)
    sys.modules.pop("stargan_tf.commands." + script, None)
    module = importlib.import_module("stargan_tf.commands." + script)
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        try:
            module.run([script, *extra, "--helpfull"])
        except SystemExit:
            pass
    texts[key] = text.getvalue()
print(json.dumps(texts))
"""


def defined_flags(jobs: dict) -> dict:
    """{key: flag names its --helpfull lists} for jobs {key: (script, extra arguments)}."""
    result = subprocess.run([sys.executable, "-c", HELP_PROGRAM, json.dumps([[k, *v] for k, v in jobs.items()])],
                            capture_output=True, text=True, cwd=ROOT, timeout=300,
                            env=dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")))
    assert result.returncode == 0, result.stderr[-3000:]
    texts = json.loads(result.stdout.strip().splitlines()[-1])
    defined = {}
    for key, text in texts.items():
        # Each flag starts a line of the help, indented by two spaces ("  --name=default", "  --[no]name (on)").
        names = set(re.findall(r"^  --(?:\[no\])?([A-Za-z][\w-]*)", text, re.M))
        names |= {"no" + name for name in re.findall(r"^  --\[no\]([A-Za-z][\w-]*)", text, re.M)}
        defined[key] = names | set(re.findall(r"alias --([A-Za-z][\w-]*)", text))
    return defined


def test_relative_links_resolve():
    broken = []
    for page in PAGES:
        prose, _ = split_page(page)
        for target in LINK.findall(re.sub(r"`[^`]*`", "", "\n".join(prose))):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
            if not os.path.exists(resolved):
                broken.append(f"{os.path.relpath(page, ROOT)}: {target} (no such file)")
            elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                broken.append(f"{os.path.relpath(page, ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def test_documented_commands_take_their_flags():
    commands = documented_commands()
    assert len(commands) > 30, "the commands of README.md and docs/ were not found"
    jobs, used = {}, {}
    for page, key, flag_names in commands:
        script = "train" if key == "train_v2" else key
        assert os.path.isfile(os.path.join(ROOT, "scripts", script + ".py")), f"{page}: no scripts/{script}.py"
        jobs[key] = (script, ["--model=stargan_v2"] if key == "train_v2" else [])
        used.setdefault(key, []).append((page, flag_names))
    defined = defined_flags(jobs)
    unknown = [f"{os.path.relpath(page, ROOT)}: {key} --{name}" for key, uses in used.items()
               for page, flag_names in uses for name in flag_names if name not in defined[key]]
    assert not unknown, "flags no script defines:\n" + "\n".join(sorted(set(unknown)))


def python_api_example(heading: str) -> str:
    """The first Python block after this heading of docs/python_api.md."""
    text = open(os.path.join(ROOT, "docs", "python_api.md"), encoding="utf-8").read()
    after = text[text.index(f"\n{heading}\n"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def run_example(heading: str) -> dict:
    """The example's variables after running it in the current directory."""
    namespace = {}
    exec(compile(python_api_example(heading), f"docs/python_api.md, {heading}", "exec"), namespace)
    return namespace


def write_photo(path, seed: int = 0) -> None:
    Image.fromarray(np.random.default_rng(seed).integers(0, 256, (40, 30, 3), dtype=np.uint8)).save(path)


def test_python_api_example_runs(tiny_data, tmp_path, monkeypatch):
    from stargan_tf.core.trainer import train

    # A tiny run trained where the example looks for it (runs/quick/models), and a photo.
    train(tiny_config(tiny_data, tmp_path / "runs" / "quick", num_iters=2, sample_step=2, model_save_step=2,
                      use_tensorboard=False))
    write_photo(tmp_path / "photo.jpg")
    monkeypatch.chdir(tmp_path)
    namespace = run_example("## Example")
    assert namespace["translated"].shape == (16, 16, 3) and namespace["translated"].dtype == np.uint8
    assert namespace["outputs"].shape[1:] == (16, 16, 3) and len(namespace["outputs"]) == len(namespace["names"])
    assert tuple(namespace["fake"].shape) == (1, 16, 16, 3)
    assert os.path.isfile(tmp_path / "out" / "photo_Blond_Hair.png")
    assert sorted(namespace["families"].names()) == ["stargan", "stargan_v2"]


def test_python_api_stargan_v2_example_runs(tiny_domains, tmp_path, monkeypatch):
    from stargan_tf import families
    from stargan_tf.core.run_dir import checkpoint_manager, write_run_file
    from stargan_tf.core.trainer import prepare

    # An untrained tiny StarGAN v2 checkpoint where the example looks for it (runs/quick_v2/models), and two photos.
    config, data, model = prepare(tiny_v2_config(tiny_domains, tmp_path / "runs" / "quick_v2"))
    checkpoint_manager(model, config.model_save_dir, 1).save()
    write_run_file(config.model_save_dir, config.model_name, config, families.get(config.model_name).layout(data))
    write_photo(tmp_path / "photo.jpg", 0)
    write_photo(tmp_path / "reference.jpg", 1)
    monkeypatch.chdir(tmp_path)
    namespace = run_example("## Example: StarGAN v2")
    assert namespace["latent_outputs"].shape == (3, 16, 16, 3) and namespace["latent_outputs"].dtype == np.uint8
    assert namespace["surprised"].shape == (16, 16, 3)
