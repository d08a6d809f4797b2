"""The `gen` command line."""

from __future__ import annotations

import sys

import click

from gen import __version__
from gen.errors import EXIT_INVALID, InputError


class Group(click.Group):
    """Turns every InputError into one clear message and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(f"gen: {e}" if "\n" not in str(e) else str(e), err=True)
            sys.exit(EXIT_INVALID)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gen")
def main():
    """Compile an app model into one Terraform stack per environment and cloud."""


# Change review (gen review, gen diff) registers here.
