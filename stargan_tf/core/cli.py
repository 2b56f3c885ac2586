"""Command lines: absl flags generated from a family's config and options, readable --help, quiet start-up.

Scripts fill a config from flags and call library code, which never reads flags. A script that trains picks the
family from --model before defining flags, so --help and the defaults are that family's.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import sys
import tempfile
import textwrap

from absl import flags

from stargan_tf.core.config import ConfigError

HELP_ARGS = ("-h", "--help", "--helpshort", "--helpfull", "-?")
WIDTH = 100


def quiet_tensorflow() -> None:
    """Imports TensorFlow without its C++ start-up messages (CUDA probing, oneDNN notes) on stderr.

    TF_CPP_MIN_LOG_LEVEL hides those of later ops; the import itself logs before TensorFlow reads it, so stderr is
    captured while importing and shown only if the import fails.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" in sys.modules:
        return
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def show_progress_logs() -> None:
    """Our progress lines at INFO; TensorFlow's and absl's (a line per checkpoint save) only from WARNING."""
    logging.getLogger("stargan_tf").setLevel(logging.INFO)
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    logging.getLogger("absl").setLevel(logging.WARNING)


def argv_value(argv, name: str, default: str) -> str:
    """The value of --name=value or --name value in argv (the last one wins), else default; read before parsing."""
    value = default
    for index, arg in enumerate(argv):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{name}" and index + 1 < len(argv):
            value = argv[index + 1]
    return value


def given_flag_names(argv) -> set[str]:
    """The names of the flags given in argv (--name, --name=value, --noname)."""
    names = set()
    for arg in argv[1:]:
        if arg == "--":
            break
        if arg.startswith("--"):
            name = arg[2:].split("=", 1)[0]
            names.add(name)
            if name.startswith("no"):
                names.add(name[2:])
    return names


def _define(name: str, default, help_text: str, flag_values, value_type=None) -> None:
    if value_type is int:
        flags.DEFINE_integer(name, default, help_text, flag_values=flag_values)
    elif isinstance(default, bool):
        flags.DEFINE_bool(name, default, help_text, flag_values=flag_values)
    elif isinstance(default, int):
        flags.DEFINE_integer(name, default, help_text, flag_values=flag_values)
    elif isinstance(default, float):
        flags.DEFINE_float(name, default, help_text, flag_values=flag_values)
    elif isinstance(default, tuple):
        flags.DEFINE_list(name, list(default), help_text, flag_values=flag_values)
    else:
        flags.DEFINE_string(name, default, help_text, flag_values=flag_values)


def define_config_flags(config_class, presets: dict, flag_values=flags.FLAGS) -> None:
    """Defines one flag per field of a family's config (its name, the family's default) plus --preset.

    A name absl defines itself (--log_dir) is shared: config_from_flags uses the config's default unless given.
    """
    for field in dataclasses.fields(config_class):
        if field.name in flag_values:
            continue
        _define(field.name, field.default, config_class.help[field.name], flag_values)
    # The global batch already (per replica = global / replicas): the name distributed training uses.
    flags.DEFINE_alias("global_batch_size", "batch_size", flag_values=flag_values)
    flags.DEFINE_enum("preset", "paper", sorted(presets), preset_help(presets), flag_values=flag_values)


def preset_help(presets: dict) -> str:
    return (f"{', '.join(sorted(presets))}: paper is the paper's settings; the others are runs of a few minutes on "
            "the embedded data (flags given explicitly still win)")


def config_from_flags(config_class, presets: dict, flag_values=flags.FLAGS):
    """The config the flags describe: the preset's values (else the defaults), overridden by every flag given."""
    preset = presets[flag_values.preset]
    return config_class(**{field.name: flag_values[field.name].value if flag_values[field.name].present
                           else preset.get(field.name, field.default) for field in dataclasses.fields(config_class)})


def refuse_foreign_flags(argv, family, families) -> None:
    """ConfigError for a flag given in argv that another family's config has and this family's does not."""
    own = {field.name for field in dataclasses.fields(family.config_class)}
    for other in families:
        for field in dataclasses.fields(other.config_class):
            if field.name not in own and field.name in given_flag_names(argv):
                raise ConfigError(f"--{field.name} is a {other.name} flag: {family.name} does not use it "
                                  f"(train {other.title} with --model={other.name})")


def define_options(families, options_attribute: str, flag_values=flags.FLAGS) -> None:
    """Defines each family's options of a script (families' `options_attribute`; a shared name is defined once)."""
    for family in families:
        for option in getattr(family, options_attribute):
            if option.name not in flag_values:
                _define(option.name, option.default, option.help, flag_values, option.type)


def family_options(family, families, options_attribute: str, flag_values=flags.FLAGS) -> dict:
    """{name: value} of the family's own options; ConfigError naming an option given that only others take."""
    own = {option.name for option in getattr(family, options_attribute)}
    foreign = [option.name for other in families for option in getattr(other, options_attribute)
               if option.name not in own and flag_values[option.name].present]
    if foreign:
        ours = ", ".join(f"--{name}" for name in sorted(own)) or "none"
        raise ConfigError(f"--{', --'.join(sorted(set(foreign)))}: not an option for {family.title} models; "
                          f"theirs: {ours}")
    return {name: flag_values[name].value for name in own}


def _format_flag(name: str, default, help_text: str) -> list[str]:
    if isinstance(default, bool):
        shown = f"--[no]{name}" + (" (on)" if default else " (off)")
    elif isinstance(default, tuple):
        shown = f"--{name}={','.join(map(str, default))}"
    else:
        shown = f"--{name}" + ("" if default is None else f"={default}")
    lines = textwrap.wrap(help_text, WIDTH - 32)
    if len(shown) > 28:
        return [f"  {shown}"] + [" " * 32 + line for line in lines]
    return [f"  {shown:<30}" + (lines[0] if lines else "")] + [" " * 32 + line for line in lines[1:]]


def format_help(usage: str, description: str, groups) -> str:
    """Help text: usage, description, then each group's title and its flags (name=default and help, wrapped).

    groups: (title, [(name, default, help)]) pairs.
    """
    lines = [f"usage: {usage}", ""] + [line for paragraph in description.strip().split("\n\n")
                                       for line in textwrap.wrap(" ".join(paragraph.split()), WIDTH) + [""]]
    for title, entries in groups:
        if entries:
            lines.append(f"{title}:")
            for name, default, help_text in entries:
                lines += _format_flag(name, default, help_text)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def config_help_groups(config_class, presets: dict) -> list:
    """--help groups of a family's config flags, with the family's defaults."""
    defaults = {field.name: field.default for field in dataclasses.fields(config_class)}
    groups = [(title, [(name, defaults[name], config_class.help[name]) for name in names])
              for title, names in config_class.help_groups]
    return [("Preset", [("preset", "paper", preset_help(presets))])] + groups


def option_help_groups(families, options_attribute: str) -> list:
    """--help groups of the families' options, one group per family."""
    return [(f"{family.title} models only", [(option.name, option.default, option.help)
                                             for option in getattr(family, options_attribute)])
            for family in families]


def flag_help_entries(names, flag_values=flags.FLAGS) -> list:
    """(name, default, help) of flags defined directly with absl, for format_help."""
    entries = []
    for name in names:
        flag = flag_values[name]
        default = tuple(flag.default) if isinstance(flag.default, list) else flag.default
        entries.append((name, default, flag.help))
    return entries


def exit_with_help_if_asked(argv, text) -> None:
    """Prints the help (text, or text() when it must be built) and exits 0 when argv asks for it."""
    if any(arg in HELP_ARGS for arg in argv[1:]):
        sys.stdout.write(text() if callable(text) else text)
        sys.exit(0)
