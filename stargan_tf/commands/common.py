"""What the commands share: every family from the registry, and running a command with our --help."""
import sys

from absl import app, flags

from stargan_tf.core import cli


def all_families() -> list:
    """Every registered model family."""
    from stargan_tf import families

    return [families.get(name) for name in families.names()]


def run_command(argv, main, usage: str, description: str, flag_names, options_attribute: str = "",
                required=()) -> None:
    """Runs main() under absl with our --help: the flags named, then each family's options of this command
    (options_attribute of ModelFamily, defined here) when given; `required` flags must be given."""
    argv = list(sys.argv if argv is None else argv)

    def help_text():
        groups = [("Flags", cli.flag_help_entries(flag_names))]
        if options_attribute:
            groups += cli.option_help_groups(all_families(), options_attribute)
        return cli.format_help(usage, description, groups)

    cli.exit_with_help_if_asked(argv, help_text)
    if options_attribute:
        cli.define_options(all_families(), options_attribute)
    if required:
        flags.mark_flags_as_required(list(required))
    app.run(lambda _: main(), argv=argv)
