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
_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
    help="text for a terminal, markdown for a pull-request comment, json for machines.",
)


@main.command()
@click.argument("plan")
@click.option("--app", "app_path", metavar="APP.json", help="The app model, to apply its environment's approval setting.")
@click.option("--env", "env_name", metavar="NAME", help="The environment the plan is for (with --app).")
@_FORMAT
def review(plan, app_path, env_name, fmt):
    """Review a Terraform plan before approving it.

    PLAN is `terraform show -json PLANFILE` saved to a file, or - for standard input.
    Exits 0 when no approval is needed, 3 when approval is required, 2 for bad input.
    """
    from gen.render import render
    from gen.review import review_file

    report = review_file(plan, app_path, env_name)
    click.echo(render(report, fmt), nl=False)
    sys.exit(report.exit_status)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="OLD NEW | APP.json")
@click.option("--base", "base_ref", metavar="GIT-REF", help="Compare APP.json as of this git ref with it as it is now.")
@click.option("--app", "app_path", metavar="APP.json", help="With OLD NEW: the app model, for --env's approval setting.")
@click.option("--env", "env_name", metavar="NAME", help="Apply this environment's approval setting (with --base: diff only it).")
@_FORMAT
def diff(paths, base_ref, app_path, env_name, fmt):
    """Compare synthesized stacks before anyone runs terraform plan.

    Give two synthesized output folders (OLD NEW), or the model and --base GIT-REF to
    compare the model as of that ref with the model as it is now.
    Exits 0 when no approval is needed, 3 when approval is required, 2 for bad input.
    """
    from gen.diff import diff_against_base, diff_folders
    from gen.render import render

    if base_ref is not None:
        if len(paths) != 1 or app_path is not None:
            raise click.UsageError("with --base, give just the model: gen diff APP.json --base GIT-REF [--env NAME]")
        report = diff_against_base(paths[0], base_ref, env_name)
    else:
        if len(paths) != 2:
            raise click.UsageError("give two synthesized output folders (gen diff OLD NEW), or APP.json --base GIT-REF")
        report = diff_folders(paths[0], paths[1], app_path, env_name)
    click.echo(render(report, fmt), nl=False)
    sys.exit(report.exit_status)
