"""absl flags generated from the config dataclass, so scripts fill the config and library code never reads flags."""
from __future__ import annotations

import dataclasses

from absl import flags

from stargan_tf.config import HELP, PRESETS, StarGANConfig


def define_config_flags(flag_values=flags.FLAGS) -> None:
    """Defines one flag per StarGANConfig field (same name, the paper's default) plus --preset."""
    for field in dataclasses.fields(StarGANConfig):
        default, help_text = field.default, HELP[field.name]
        if field.name in flag_values:
            continue  # absl.logging already defines --log_dir; config_from_flags supplies our default.
        if isinstance(default, bool):
            flags.DEFINE_bool(field.name, default, help_text, flag_values=flag_values)
        elif isinstance(default, int):
            flags.DEFINE_integer(field.name, default, help_text, flag_values=flag_values)
        elif isinstance(default, float):
            flags.DEFINE_float(field.name, default, help_text, flag_values=flag_values)
        elif isinstance(default, tuple):
            flags.DEFINE_list(field.name, list(default), help_text, flag_values=flag_values)
        else:
            flags.DEFINE_string(field.name, default, help_text, flag_values=flag_values)
    # The name for it: batch_size is the global batch already (per replica = global / replicas).
    flags.DEFINE_alias("global_batch_size", "batch_size", flag_values=flag_values)
    flags.DEFINE_enum("preset", "paper", sorted(PRESETS),
                      "paper: the paper's settings; quick: a small network on small synthetic images; "
                      "quality: the quality benchmark's run (flags given explicitly still win)",
                      flag_values=flag_values)


def config_from_flags(flag_values=flags.FLAGS) -> StarGANConfig:
    """The config the flags describe: the preset's values (else the defaults), overridden by every flag given."""
    preset = PRESETS[flag_values.preset]
    values = {field.name: flag_values[field.name].value if flag_values[field.name].present
              else preset.get(field.name, field.default) for field in dataclasses.fields(StarGANConfig)}
    return StarGANConfig(**values)
