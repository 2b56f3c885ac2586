"""absl flags generated from the config dataclasses, so scripts fill a config and library code never reads flags."""
from __future__ import annotations

import dataclasses

from absl import flags

from stargan_tf.config import HELP, PRESETS, ConfigError, StarGANConfig


def define_config_flags(flag_values=flags.FLAGS, config_class=StarGANConfig, help_texts=HELP) -> None:
    """Defines one flag per config field (same name, its default) plus --preset.

    Called once per model family: a name already defined (by another family, or absl's --log_dir) is shared,
    and config_from_flags supplies each family's own default when the flag is not given.
    """
    for field in dataclasses.fields(config_class):
        default, help_text = field.default, help_texts[field.name]
        if field.name in flag_values:
            continue
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
    if "preset" not in flag_values:
        # The name for it: batch_size is the global batch already (per replica = global / replicas).
        flags.DEFINE_alias("global_batch_size", "batch_size", flag_values=flag_values)
        flags.DEFINE_enum("preset", "paper", sorted(PRESETS),
                          "paper: the paper's settings; quick: a small network on small synthetic images; "
                          "quality: the quality benchmark's run (flags given explicitly still win)",
                          flag_values=flag_values)


def config_from_flags(flag_values=flags.FLAGS, config_class=StarGANConfig, presets=PRESETS, other_classes=()):
    """The config the flags describe: the preset's values (else the defaults), overridden by every flag given.

    A flag of one of other_classes (another model family) that config_class lacks is an error when given.
    """
    fields = dataclasses.fields(config_class)
    names = {field.name for field in fields}
    for other in other_classes:
        for field in dataclasses.fields(other):
            if field.name not in names and flag_values[field.name].present:
                raise ConfigError(f"--{field.name} is a {other.model_name} flag: {config_class.model_name} "
                                  "does not use it")
    if flag_values.preset not in presets:
        raise ConfigError(f"--preset={flag_values.preset}: {config_class.model_name} has the presets "
                          f"{', '.join(sorted(presets))}")
    preset = presets[flag_values.preset]
    values = {field.name: flag_values[field.name].value if flag_values[field.name].present
              else preset.get(field.name, field.default) for field in fields}
    return config_class(**values)
