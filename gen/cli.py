"""The `gen` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from gen import __version__
from gen.model.errors import EXIT_INVALID, InputError, ModelError

EXIT_INTERNAL = 1
MODEL = click.argument("app_file", metavar="APP.json", type=click.Path(dir_okay=True, path_type=str))


class Group(click.Group):
    """Turns every InputError into one clear message and exit status 2, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except InputError as e:
            click.echo(str(e) if isinstance(e, ModelError) else f"gen: {e}", err=True)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:  # a bug in gen, not in the input: say so briefly
            if os.environ.get("GEN_DEBUG"):
                raise
            first = (str(e).strip().splitlines() or [type(e).__name__])[0]
            click.echo(f"gen: internal error: {type(e).__name__}: {first}\n"
                       "gen: this is a bug in gen; rerun with GEN_DEBUG=1 to see the traceback and report it", err=True)
            sys.exit(EXIT_INTERNAL)


def _dump(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gen")
def main():
    """Compile an app model into one Terraform stack per environment and cloud."""


@main.command()
@MODEL
@click.option("--json", "as_json", is_flag=True, help="Print problems as a JSON list of objects.")
def validate(app_file, as_json):
    """Check APP.json against the schema and the model's rules; list every problem.

    Exit status 0 when valid, 2 when not.
    """
    from gen.model.source import read
    from gen.model.validate import check

    try:
        _, problems = check(read(app_file))
    except InputError as e:
        if not as_json:
            raise
        _dump([e.as_dict()])
        sys.exit(EXIT_INVALID)
    if as_json:
        _dump([p.as_dict() for p in problems])
    elif problems:
        click.echo("\n".join(str(p) for p in problems), err=True)
    else:
        click.echo(f"{app_file}: valid")
    sys.exit(EXIT_INVALID if problems else 0)


@main.command()
@MODEL
@click.option("--env", "env_names", multiple=True, metavar="NAME",
              help="Environment to synthesize (repeatable); pr:<number> derives a preview. Default: every cloud environment.")
@click.option("--from", "from_env", metavar="NAME", help="The preview environment pr:<number> derives from, where there are several.")
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (cdktf layout: manifest.json, stacks/<stack>/cdk.tf.json).")
@click.option("--force", is_flag=True, help="Synthesize every stack, even those already up to date.")
@click.option("-v", "--verbose", is_flag=True, help="Show progress even when not on a terminal.")
def synth(app_file, env_names, from_env, out_dir, force, verbose):
    """Synthesize one Terraform stack per environment into the output folder.

    A stack whose model, gen and provider versions have not changed since it was written
    (and whose file nobody edited) is up to date: it is left alone, and when every stack is,
    nothing is written and cdktf is not even started. On a terminal, progress shows which
    stack is being built, how many of how many; elsewhere only the final table is printed
    unless --verbose.
    """
    from gen.synth import UP_TO_DATE, select, synth_environments
    from gen.model.validate import load_app

    chatty = verbose or sys.stderr.isatty()
    selection = select(load_app(app_file), list(env_names), from_env)

    def progress(index, total, stack, cloud):
        click.echo(f"[{index}/{total}] synthesizing {stack} ({cloud})", err=True)

    results = (synth_environments(selection.environments, out_dir, force=force, progress=progress if chatty else None)
               if selection.environments else [])
    rows = ([("STACK", "RESOURCES", "STATUS", "PATH")] + [(r.name, str(r.resources), r.status, r.path) for r in results]
            # environments left out are rows of the table, so they are said even off a terminal
            + [(name, "-", "skipped", why) for name, why in selection.skipped])
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for name, count, status, path in rows:
        click.echo(f"{name:<{widths[0]}}  {count:>{widths[1]}}  {status:<{widths[2]}}  {path}")
    fresh = sum(r.status == UP_TO_DATE for r in results)
    if results and fresh == len(results):
        subject = f"All {fresh} stacks are" if fresh > 1 else "The stack is"
        click.echo(f"{subject} up to date; nothing written (--force synthesizes again).")
    elif fresh:
        click.echo(f"{len(results) - fresh} synthesized, {fresh} up to date.")


@main.group()
def env():
    """List and show the model's environments."""


def _about(e) -> dict:
    return {
        "name": e.name,
        "type": e.type,
        "cloud": e.cloud,
        "region": e.region,
        "account": e.account,
        "project": e.project,
        "emulate": e.emulate,
        "stack": None if e.type == "preview" and e.pull_request is None else e.stack_name,
        "approval": e.approval,
        "deploy": dict(e.deploy),
        "domain": e.domain,
    }


@env.command("ls")
@MODEL
@click.option("--json", "as_json", is_flag=True, help="A JSON list of objects, ready for a CI job matrix.")
def env_ls(app_file, as_json):
    """List the environments, one name a line."""
    from gen.model.environments import resolve_spec
    from gen.model.validate import load_app

    app = load_app(app_file)
    if not as_json:
        for name in app.environments:
            click.echo(name)
        return
    rows = []
    for spec in app.environments.values():
        about = _about(resolve_spec(app, spec))
        about.pop("domain")
        rows.append(about)
    _dump(rows)


@env.command("show")
@MODEL
@click.option("--name", "name", required=True, metavar="NAME", help="Environment name, or pr:<number> for a preview.")
@click.option("--from", "from_env", metavar="NAME", help="The preview environment pr:<number> derives from, where there are several.")
@click.option("--resources", is_flag=True, help="Also list the stack's Terraform addresses, grouped by kind (synthesizes it).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def env_show(app_file, name, from_env, resources, as_json):
    """Show one environment: about, workloads, tags (and resources)."""
    from gen.model.environments import resolve
    from gen.model.validate import load_app

    e = resolve(load_app(app_file), name, from_env)
    workloads = [
        {"service": s.name, "ingress": s.ingress, "unit": e.unit_of(s.name).name,
         "cpu": s.cpu, "memory": s.memory, "min_instances": s.min_instances, "max_instances": s.max_instances}
        for s in e.services.values()
    ]
    units = [
        {"unit": u.name, "services": list(u.services), "ingress": u.ingress, "cpu": u.cpu, "memory": u.memory,
         "min_instances": u.min_instances, "max_instances": u.max_instances}
        for u in e.units.values()
    ]
    adjusted = [{"what": a.what, "was": a.was, "now": a.now, "why": a.why, "pointer": a.pointer} for a in e.adjustments]
    shown = {"about": _about(e), "workloads": workloads, "units": units, "adjusted": adjusted, "tags": dict(e.tags)}
    if e.type == "local":
        shown["local"] = _local(e)
    if resources:
        shown["resources"] = _resources(e)
    if as_json:
        _dump(shown)
        return
    click.echo("About\n")
    for key, value in shown["about"].items():
        if value is not None:
            if key == "deploy":
                value = value["trigger"] + (f" ({value['branch']})" if "branch" in value else "")
            click.echo(f"  {key.capitalize():<10}{value}")
    click.echo("\nWorkloads\n")
    click.echo(f"  {'Service':<24}{'Ingress':<10}{'Unit':<24}")
    for w in workloads:
        click.echo(f"  {w['service']:<24}{w['ingress']:<10}{w['unit']:<24}")
    click.echo(f"\nUnits (what the cloud runs)\n")
    click.echo(f"  {'Unit':<24}{'vCPU':<8}{'Memory':<10}{'Instances':<10}")
    for u in units:
        size = (f"{u['cpu']:g}", f"{u['memory']} MiB") if u["cpu"] is not None else ("-", "-")
        click.echo(f"  {u['unit']:<24}{size[0]:<8}{size[1]:<10}{u['min_instances']}-{u['max_instances']}")
    if adjusted:
        click.echo("\nAdjusted (a default yielded, or the cloud rounds up)\n")
        for a in adjusted:
            click.echo(f"  {a['what']}: {a['was']} -> {a['now']} ({a['why']}; {a['pointer']})")
    if "local" in shown:
        _echo_local(shown["local"])
    click.echo("\nTags\n")
    for key, value in shown["tags"].items():
        click.echo(f"  {key:<24}{value}")
    if resources:
        click.echo("\nResources\n")
        for kind, addresses in shown["resources"].items():
            click.echo(f"  {kind}")
            for address in addresses:
                click.echo(f"    {address}")


def _local(e) -> dict:
    """What a developer needs to run a local environment: its URL, the secrets file, the stand-ins
    on 127.0.0.1, and each cron job with the command that runs it by hand."""
    from gen.model.clouds import local
    from gen.model.names import env_var

    return {
        "url": f"http://localhost:{local.PROXY_PORT}" if any(u.public for u in e.units.values()) else None,
        "secrets_file": f".gen/{e.name}.secrets.tfvars",
        # the Terraform variables it sets: the stand-ins' password (required), then each secret
        "secrets": ["local_password"] * local.needs_password(e) + [env_var(s) for s in e.app.secrets],
        "stand_ins": {host: f"127.0.0.1:{port}" for host, port in local.host_ports(e).items() if host != local.PROXY},
        "cron": [{"job": job.name, "schedule": job.schedule, "scheduled": False,
                  "command": local.cron_commands(e)[job.name]} for job in e.app.cron.values()],
    }


def _echo_local(shown: dict) -> None:
    click.echo("\nLocal\n")
    click.echo(f"  {'URL':<24}{shown['url'] or '(no public service)'}")
    click.echo(f"  {'Secrets file':<24}{shown['secrets_file']} (terraform -var-file)")
    if shown["secrets"]:
        click.echo(f"  {'  sets':<24}{', '.join(shown['secrets'])}")
    for host, address in shown["stand_ins"].items():
        click.echo(f"  {host:<24}{address}")
    if shown["cron"]:
        click.echo("\nCron (not scheduled locally; run by hand)\n")
        for job in shown["cron"]:
            click.echo(f"  {job['job']:<24}{job['schedule']:<16}{job['command']}")


def _resources(e) -> dict[str, list[str]]:
    """Terraform addresses of the environment's stack, grouped by resource type."""
    import tempfile

    from gen.model.errors import InputError
    from gen.synth import STACK_FILE, STACKS, synth_environments

    if e.type == "preview" and e.pull_request is None:
        raise InputError(f"{e.name}: is the template for preview environments; show one with --name pr:<number>")
    with tempfile.TemporaryDirectory(prefix="gen-show-") as scratch:
        synth_environments([e], Path(scratch) / "out")
        stack = json.loads((Path(scratch) / "out" / STACKS / e.stack_name / STACK_FILE).read_text("utf-8"))
    grouped: dict[str, list[str]] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for kind, items in sorted(stack.get(section, {}).items()):
            grouped.setdefault(f"{prefix}{kind}", []).extend(f"{prefix}{kind}.{name}" for name in sorted(items))
    return grouped


@main.command()
def schema():
    """Print the app model's JSON Schema."""
    import schemas

    _dump(schemas.load("app.schema"))


@main.group()
def ci():
    """Generate CI pipelines from the model."""


@ci.command("github")
@MODEL
@click.option("--out", "out_dir", default=".github/workflows", show_default=True, metavar="DIR",
              help="Where the workflow files go (the repository's .github/workflows).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the files there are not what the model makes.")
def ci_github(app_file, out_dir, check):
    """Write GitHub Actions workflows for APP.json: pull-request plans, deploys, previews, drift.

    Run it from the repository's root, with APP.json's path as the workflows should see it.
    The README's "CI" section lists the repository variables and GitHub environments they use.
    """
    from gen.ci.files import write
    from gen.model.validate import load_app

    done = write(load_app(app_file), app_file, out_dir, check)
    for path, status in done:
        click.echo(f"{status:<9}  {path}")
    if check and any(status != "unchanged" for _, status in done):
        click.echo(f"gen: {out_dir} is not what `gen ci github {app_file}` makes of the model: generate it again", err=True)
        sys.exit(1)


@main.command()
@MODEL
@click.option("--env", "env_name", required=True, metavar="NAME",
              help="An environment of the account or project to bootstrap (a preview environment by its own name).")
@click.option("--repo", "repository", required=True, metavar="OWNER/REPO", help="The GitHub repository whose workflows deploy.")
@click.option("--out", "out_dir", default="bootstrap", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder; the stack keeps its local state in its folder there.")
def bootstrap(app_file, env_name, repository, out_dir):
    """Synthesize the one-time stack for an account or project: the state bucket and the CI trust.

    Apply it once, by hand, with credentials of that account or project (README: CI). It covers
    every environment of the model that shares the account or project and state bucket of --env.
    """
    from gen.model.environments import PREVIEW, resolve
    from gen.model.trust import REPOSITORY, preview_beside_approved, same_home, unguarded_beside_approved
    from gen.model.validate import load_app
    from gen.synth.bootstrap import synth_bootstrap

    if not REPOSITORY.fullmatch(repository):
        raise InputError(f"--repo {repository}: give the GitHub repository as OWNER/REPO, e.g. acme/shop")
    if PREVIEW.match(env_name):
        raise InputError(f"--env {env_name}: bootstrap the preview environment itself (its name in the model), not one preview")
    app = load_app(app_file)
    env = resolve(app, env_name)
    if env.type == "local":
        raise InputError(f"--env {env_name}: a local environment has no cloud account to bootstrap")
    shared = preview_beside_approved(app, env)
    if shared:
        preview, approved = shared
        home = f"account {env.account}" if env.cloud == "aws" else f"project {env.project}"
        raise InputError(
            f"/environments/{preview.spec_name}: the preview environment shares {home} with {approved.spec_name!r} "
            f"(approval {approved.approval}): anyone who can push a branch can deploy a preview, and a preview's "
            f"apply identity can create IAM in its {'account' if env.cloud == 'aws' else 'project'}; give previews "
            f"an account or project of their own (docs/ci.md: credentials)", str(app_file))
    unguarded = unguarded_beside_approved(app, env)
    if unguarded:
        auto, manual = unguarded
        click.echo(f"gen: warning: {auto.spec_name!r} (approval auto) shares its {'account' if env.cloud == 'aws' else 'project'} "
                   f"with {manual.spec_name!r} (approval manual): {auto.spec_name}'s apply identity, which no person "
                   f"approves, can reach {manual.spec_name}'s resources (docs/ci.md: who can get which identity)", err=True)
    path = synth_bootstrap(env, repository, out_dir)
    covered = ", ".join(e.spec_name for e in same_home(app, env))
    where = f"account {env.account}" if env.cloud == "aws" else f"project {env.project}"
    click.echo(f"{path}\n{where}: state bucket {env.state.bucket}; CI roles for {covered}; trusted repository {repository}")
    click.echo(f"next: terraform -chdir={path.parent} init && terraform -chdir={path.parent} apply")


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
@click.option("--max-chars", "max_chars", type=click.IntRange(min=0), metavar="N",
              help="With --format markdown: shorten the review to fit N characters, risky resources first "
                   "(default 65536, GitHub's limit for a comment; 0: never shorten).")
def review(plan, app_path, env_name, fmt, max_chars):
    """Review a Terraform plan before approving it.

    PLAN is `terraform show -json PLANFILE` saved to a file, or - for standard input.
    Exits 0 when no approval is needed, 3 when approval is required, 2 for bad input.
    """
    from gen.review.render import GITHUB_COMMENT_LIMIT, MIN_MAX_CHARS, render
    from gen.review.plan import review_file

    if max_chars is not None and fmt != "markdown":
        raise click.UsageError("--max-chars applies to --format markdown only")
    if max_chars is not None and 0 < max_chars < MIN_MAX_CHARS:
        raise click.UsageError(f"--max-chars must be 0 (never shorten) or at least {MIN_MAX_CHARS}")
    if max_chars is None:
        max_chars = GITHUB_COMMENT_LIMIT
    report = review_file(plan, app_path, env_name)
    click.echo(render(report, fmt, max_chars or None), nl=False)
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
    from gen.review.diff import diff_against_base, diff_folders
    from gen.review.render import render

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
