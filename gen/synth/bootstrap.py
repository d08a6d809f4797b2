"""Synthesize a bootstrap stack (`gen bootstrap`): the state bucket and CI trust of one account
or project, built by `providers.<cloud>.bootstrap`, into <out>/stacks/<stack>/cdk.tf.json.

Unlike `synth_environments`, the stack's folder is never replaced: its local state
(terraform.tfstate, the only record of what the bootstrap made) and .terraform stay; only
cdk.tf.json and the manifest are written, each whole (a temporary file renamed).

May import: `gen.model`, `providers` (each cloud's `bootstrap.build`, by name), cdktf, and the
other modules of `gen.synth`.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path

from gen.model.environments import Environment
from gen.synth.packages import BINDINGS, PROVIDER_PACKAGES
from gen.synth.publish import MANIFEST, STACK_FILE, STACKS, _manifest, _write_json
from gen.synth.speed.bindings import _import_package_lightly, _lighten_bindings
from gen.synth.speed.references import _REFERENCES
from gen.synth.speed.runtime import _node_environment

SUFFIX = "bootstrap"


def stack_name(env: Environment) -> str:
    return f"{env.stack_name}-{SUFFIX}"


def synth_bootstrap(env: Environment, repository: str, out_dir: Path) -> Path:
    """Write the bootstrap stack for `env`'s account or project; return the stack file's path."""
    with _node_environment():
        _import_package_lightly(BINDINGS[env.cloud])
    build = importlib.import_module(f"providers.{PROVIDER_PACKAGES[env.cloud]}.bootstrap").build
    _lighten_bindings()
    from cdktf import App, TerraformStack

    name = stack_name(env)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as scratch:
        app = App(outdir=str(Path(scratch) / "cdktf"), stack_traces=False, skip_validation=False)
        stack = TerraformStack(app, name)
        _REFERENCES.clear()
        build(stack, env, repository)
        app.synth()
        data = json.loads((Path(scratch) / "cdktf" / STACKS / name / STACK_FILE).read_text("utf-8"))
        new_stack = Path(scratch) / STACK_FILE
        _write_json(new_stack, data)
        new_manifest = Path(scratch) / MANIFEST
        _write_json(new_manifest, _manifest(out_dir, [name]))
        target = out_dir / STACKS / name / STACK_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(new_stack, target)
        os.replace(new_manifest, out_dir / MANIFEST)
    return target
