"""Synthesize resolved environments into Terraform JSON: the one module that drives cdktf.

Data flows one way: model file -> validated frozen model -> resolved environments -> one
CDKTF stack each, built by its cloud's `providers.<cloud>.stack` -> cdktf synth into a
scratch folder -> moved into the output folder only when every stack synthesized. A run
that fails leaves the output folder as it was.

Node: cdktf runs its constructs in a Node.js process through jsii. gen uses the machine's
`node` (or the one `JSII_NODE` names) and silences jsii's banners about Node versions it
has not tested or that reached end of life: they are notices for the bindings' authors,
not for a user running `gen`, and the synthesized JSON does not depend on them. Set
GEN_SHOW_NODE_WARNINGS=1 to see them.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

from gen.environments import Environment

MANIFEST = "manifest.json"
STACKS = "stacks"
STACK_FILE = "cdk.tf.json"

# The provider binding packages, by cloud. Their __init__ imports every one of their
# ~2,000 resource modules (about 12 s and 1 GB each); gen imports only the modules a stack
# uses. See _import_package_lightly.
BINDINGS = {"aws": "cdktf_cdktf_provider_aws", "gcp": "cdktf_cdktf_provider_google"}


@dataclass(frozen=True)
class StackResult:
    name: str
    environment: str
    cloud: str
    resources: int
    path: str  # relative to the output folder's parent, as shown to the user


def _quiet_node() -> None:
    if os.environ.get("GEN_SHOW_NODE_WARNINGS"):
        return
    node = os.environ.get("JSII_NODE", "node")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
        major = version.strip().lstrip("v").split(".")[0]
    except (OSError, subprocess.SubprocessError):
        major = ""
    for variable in ("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
                     "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION",
                     "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"):
        if major:
            os.environ.setdefault(variable, major)
    os.environ.setdefault("JSII_DEPRECATED", "quiet")


def _import_package_lightly(package: str) -> None:
    """Make `package` importable without running its __init__, which imports every resource module.

    jsii binding packages register their assembly in `<package>._jsii`; each resource module
    imports only that and its own types. Installing an empty module object for the package
    (with the real search path) lets `from <package>.s3_bucket import S3Bucket` load just
    that module. tests/test_synth.py checks the layout this relies on, so a cdktf or
    provider upgrade that changes it fails with a clear message instead of going slow.
    """
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed; reinstall gen")
    module = types.ModuleType(package)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__package__ = package
    sys.modules[package] = module
    importlib.import_module(f"{package}._jsii")


def _builders(clouds: set[str]) -> dict:
    _quiet_node()
    builders = {}
    for cloud in sorted(clouds):
        _import_package_lightly(BINDINGS[cloud])
        builders[cloud] = importlib.import_module(f"providers.{'aws' if cloud == 'aws' else 'google'}.stack").build
    return builders


def _count_resources(stack_json: dict) -> int:
    return sum(len(v) for v in stack_json.get("resource", {}).values())


def synth_environments(environments: list[Environment], out_dir: Path) -> list[StackResult]:
    """Synthesize each environment into `out_dir` (stacks/<stack>/cdk.tf.json and manifest.json).

    Other stacks already in `out_dir` stay. Nothing in `out_dir` changes unless every stack
    synthesized.
    """
    builders = _builders({env.cloud for env in environments})  # silences Node banners first
    from cdktf import App, TerraformStack

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        app = App(outdir=str(scratch / "cdktf"), stack_traces=False, skip_validation=False)
        for env in environments:
            stack = TerraformStack(app, env.stack_name)
            builders[env.cloud](stack, env)
        app.synth()
        results = []
        for env in environments:
            built = scratch / "cdktf" / STACKS / env.stack_name / STACK_FILE
            data = json.loads(built.read_text("utf-8"))
            _write_json(scratch / "new" / env.stack_name / STACK_FILE, data)
            results.append(StackResult(env.stack_name, env.name, env.cloud, _count_resources(data),
                                       str(Path(out_dir.name) / STACKS / env.stack_name / STACK_FILE)))
        _publish(scratch, out_dir, [env.stack_name for env in environments])
        return results
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")


def _manifest(out_dir: Path, stacks: list[str]) -> dict:
    """cdktf's manifest.json, listing every stack in the folder, in a stable order."""
    existing = {}
    try:
        existing = json.loads((out_dir / MANIFEST).read_text("utf-8")).get("stacks", {})
    except (OSError, ValueError, AttributeError):
        existing = {}
    version = importlib.metadata.version("cdktf")
    for name in stacks:
        existing[name] = {
            "annotations": [],
            "constructPath": name,
            "dependencies": [],
            "name": name,
            "synthesizedStackPath": f"{STACKS}/{name}/{STACK_FILE}",
            "workingDirectory": f"{STACKS}/{name}",
        }
    return {"stacks": dict(sorted(existing.items())), "version": version}


def _publish(scratch: Path, out_dir: Path, stacks: list[str]) -> None:
    """Move the new stack folders and manifest into `out_dir`, replacing only those stacks."""
    (out_dir / STACKS).mkdir(parents=True, exist_ok=True)
    manifest = _manifest(out_dir, stacks)
    _write_json(scratch / "new" / MANIFEST, manifest)
    trash = scratch / "old"
    trash.mkdir()
    for name in stacks:
        target = out_dir / STACKS / name
        if target.exists():
            os.replace(target, trash / name)
        os.replace(scratch / "new" / name, target)
    os.replace(scratch / "new" / MANIFEST, out_dir / MANIFEST)


@dataclass(frozen=True)
class Selection:
    environments: list[Environment]
    notes: list[str]  # environments left out, and why


LOCAL_NOT_YET = "local environments are not supported yet (they come with the local provider)"


def select(app, names: list[str] | None, from_env: str | None = None) -> Selection:
    """The environments a synth covers: the named ones, or every cloud environment of the model.

    A preview environment is a template: it is synthesized as `pr:<number>`, never by itself.
    """
    from gen.environments import resolve
    from gen.errors import InputError

    if not names:
        environments, notes = [], []
        for spec in app.environments.values():
            if spec.type == "local":
                notes.append(f"{spec.name}: skipped: {LOCAL_NOT_YET}")
            elif spec.type == "preview":
                notes.append(f"{spec.name}: skipped: a preview template; synthesize one with --env pr:<number>")
            else:
                environments.append(resolve(app, spec.name))
        return Selection(environments, notes)
    environments = []
    for name in dict.fromkeys(names):
        env = resolve(app, name, from_env)
        if env.type == "local":
            raise InputError(f"{name}: {LOCAL_NOT_YET}")
        if env.type == "preview" and env.pull_request is None:
            raise InputError(f"{name}: is the template for preview environments; synthesize one with --env pr:<number>")
        environments.append(env)
    return Selection(environments, [])


def synthesize(app_path: Path, out_dir: Path, env_names: list[str] | None = None,
               from_env: str | None = None) -> list[StackResult]:
    """Validate a model file and synthesize its environments (all cloud ones by default) into out_dir."""
    from gen.validate import load_app

    selection = select(load_app(app_path), env_names, from_env)
    return synth_environments(selection.environments, Path(out_dir)) if selection.environments else []
