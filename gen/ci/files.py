"""Which workflow files the model calls for, and writing them: whole, byte-stable, stale ones removed."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from gen.ci.github import _header, deploy, pull_request
from gen.ci.previews import drift, preview
from gen.ci.yaml import dump
from gen.model.errors import InputError
from gen.model.model import App


def generate(app: App, app_path: str, out: str) -> dict[str, str]:
    """File name -> workflow text, for every workflow the model calls for."""
    made = {
        "gen-pull-request.yml": (pull_request(app, app_path, out),
                                 "Pull requests: validate, synthesize, diff, and a reviewed plan per environment."),
        "gen-deploy.yml": (deploy(app, app_path),
                           "Deploys: per environment on its trigger, plan, approve where needed, apply the saved plan."),
        "gen-preview.yml": (preview(app, app_path), "Previews: one environment per pull request, destroyed when it closes."),
        "gen-drift.yml": (drift(app, app_path), "Drift: a daily refresh-only plan per environment; drift opens an issue."),
    }
    return {name: _header(app_path, out, what) + "\n" + dump(workflow)
            for name, (workflow, what) in made.items() if workflow is not None}


WORKFLOW_FILES = ("gen-pull-request.yml", "gen-deploy.yml", "gen-preview.yml", "gen-drift.yml")


def write(app: App, app_file: str, out_dir: str, check: bool = False) -> list[tuple[str, str]]:
    """Write the workflows into `out_dir`: each file whole (a temporary file renamed), unchanged
    files untouched, and gen's own workflows the model no longer calls for removed.

    With `check`, write nothing: say which files are `stale` (or `missing`, or `extra`)."""
    if Path(app_file).is_absolute() or Path(out_dir).is_absolute():
        raise InputError(f"give APP.json and --out relative to the repository's root, as the workflows see them "
                         f"(got {app_file if Path(app_file).is_absolute() else out_dir})")
    app_path = PurePosixPath(Path(app_file).as_posix()).as_posix()
    out = PurePosixPath(Path(out_dir).as_posix()).as_posix()
    files = generate(app, app_path, out)
    folder = Path(out_dir)
    if not check:
        folder.mkdir(parents=True, exist_ok=True)
    done = []
    for name, text in files.items():
        path = folder / name
        if path.is_file() and path.read_bytes() == text.encode("utf-8"):
            done.append((str(path), "unchanged"))
            continue
        if check:
            done.append((str(path), "stale" if path.is_file() else "missing"))
            continue
        scratch = path.with_name(f".{name}.tmp")
        scratch.write_bytes(text.encode("utf-8"))
        os.replace(scratch, path)
        done.append((str(path), "written"))
    for name in WORKFLOW_FILES:
        if name not in files and (folder / name).is_file():
            if check:
                done.append((str(folder / name), "extra"))
                continue
            (folder / name).unlink()
            done.append((str(folder / name), "removed"))
    return done
