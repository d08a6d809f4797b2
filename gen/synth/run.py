"""A synth run: which stacks are stale, one process per cloud building them, and the publish.

Data flows one way: resolved environments -> one CDKTF stack each, built by its cloud's
`providers.<cloud>.stack` -> cdktf synth into a scratch folder -> moved into the output folder
only when every stack synthesized (gen.synth.publish). A run that fails leaves the output
folder as it was. When a run has stacks of both clouds and jsii's Node process is not running
yet, each cloud's stacks are built in a forked process of their own, in parallel, each
loading only its own cloud's bindings.

May import: `gen.model`, `providers` (each cloud's `stack.build`, by name), cdktf, and the
other modules of `gen.synth` (`gen.synth.speed` for the Node set-up and the lighter bindings).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib
import json
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gen.model.environments import Environment
from gen.synth.fingerprint import FINGERPRINT_FILE, FINGERPRINT_FORMAT, ROOT, _up_to_date, fingerprint
from gen.synth.packages import BINDINGS, PROVIDER_PACKAGES
from gen.synth.publish import (MANIFEST, STACK_FILE, STACKS, _publish, _read_json, _write_json, claim_scratch,
                               release_scratch)
from gen.synth.selection import select
from gen.synth.speed.bindings import _import_package_lightly, _keep_to_cached_modules, _lighten_bindings
from gen.synth.speed.references import _REFERENCES
from gen.synth.speed.runtime import SERVED, _node_environment, _node_started

SYNTHESIZED = "synthesized"
UP_TO_DATE = "up to date"

# (index from 1, total, stack name, cloud): called as each stack starts building, from the
# process that builds it.
Progress = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class StackResult:
    name: str
    environment: str
    cloud: str  # the target: aws | gcp | docker
    resources: int
    path: str  # the stack file under the output folder as the user named it
    status: str = SYNTHESIZED  # or UP_TO_DATE


# The packages every stack loads, kept whole in gen's package cache.
_SHARED_PACKAGES = {"constructs": None, "cdktf": None}


def _binding_modules(cloud: str) -> frozenset[str]:
    """The modules of the cloud's binding package that `providers/<cloud>/` imports: what gen's
    package cache keeps of it (gen.synth.speed.cache)."""
    package = BINDINGS[cloud]
    used = re.compile(rf"\b{package}\.([A-Za-z0-9_]+)")
    modules = set()
    for path in sorted((ROOT / "providers" / PROVIDER_PACKAGES[cloud]).rglob("*.py")):
        modules.update(used.findall(path.read_text("utf-8")))
    return frozenset(modules - {"_jsii"})


def _builders(clouds: set[str]) -> dict:
    packages = {**_SHARED_PACKAGES, **{BINDINGS[cloud]: _binding_modules(cloud) for cloud in clouds}}
    with _node_environment(packages):
        for cloud in sorted(clouds):
            _import_package_lightly(BINDINGS[cloud])
    for package, kept in SERVED.items():
        if kept is not None:
            _keep_to_cached_modules(package, kept)
    builders = {}
    for cloud in sorted(clouds):
        builders[cloud] = importlib.import_module(f"providers.{PROVIDER_PACKAGES[cloud]}.stack").build
    _lighten_bindings()
    return builders


def _count_resources(stack_json: dict) -> int:
    return sum(len(v) for v in stack_json.get("resource", {}).values())


# What a synthesized stack is, for its fingerprint file: (resources, SHA-256 of the file).
Built = dict[str, tuple[int, str]]


def _synth_in_process(jobs: list[tuple[int, Environment]], total: int, scratch: Path,
                      progress: Progress | None) -> Built:
    """Build and synthesize each of `jobs` ((index, env)) as a cdktf App of its own, and write
    each stack's file, in gen's stable layout, to scratch/new/<stack>/cdk.tf.json.

    An App of one stack can have no cross-stack references, which lets gen's preload skip the
    resolve pass that only looks for them (_NODE_PRELOAD_JS)."""
    with _no_cycle_collection():
        return _build_and_synth(jobs, total, scratch, progress)


@contextlib.contextmanager
def _no_cycle_collection():
    """Python's cycle collector off while stacks are built: it would walk the growing heap of
    binding objects again and again (~4 % of a synth) and find little to free in a run this
    short; memory is freed as usual when the run or the with block ends."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build_and_synth(jobs: list[tuple[int, Environment]], total: int, scratch: Path,
                     progress: Progress | None) -> Built:
    builders = _builders({env.target for _, env in jobs})
    from cdktf import App, TerraformStack

    built = {}
    (scratch / "cdktf").mkdir(parents=True, exist_ok=True)  # cdktf makes only the last folder
    for index, env in jobs:
        if progress:
            progress(index, total, env.stack_name, env.target)
        cdktf_out = scratch / "cdktf" / env.stack_name
        app = App(outdir=str(cdktf_out), stack_traces=False, skip_validation=False)
        stack = TerraformStack(app, env.stack_name)
        _REFERENCES.clear()
        builders[env.target](stack, env)
        app.synth()
        cdktf_file = cdktf_out / STACKS / env.stack_name / STACK_FILE
        if not cdktf_file.is_file():
            raise RuntimeError(f"cdktf wrote no {STACK_FILE} for {env.stack_name}")
        data = json.loads(cdktf_file.read_text("utf-8"))
        written = _write_json(scratch / "new" / env.stack_name / STACK_FILE, data)
        built[env.stack_name] = (_count_resources(data), hashlib.sha256(written).hexdigest())
    return built


def _synth_in_child(jobs, total, scratch, progress, connection) -> None:
    # A forked child inherits the parent's exit hooks; run only its own (jsii's, which stops
    # this child's Node process, and the preload's clean-up) when it is done.
    atexit._clear()
    try:
        connection.send(_synth_in_process(jobs, total, scratch, progress))
    except BaseException as e:  # noqa: BLE001 - handed to the parent, which raises it
        import pickle

        try:
            pickle.dumps(e)
            connection.send(e)
        except Exception:  # noqa: BLE001
            connection.send(RuntimeError("".join(traceback.format_exception(e))))
    finally:
        connection.close()
        atexit._run_exitfuncs()


def _synth_all(jobs: list[tuple[int, Environment]], total: int, scratch: Path,
               progress: Progress | None) -> Built:
    """Synthesize every job into scratch/new. Stacks of different clouds are built by one
    forked process per cloud, in parallel, unless jsii's Node process runs here already (a
    forked child must not share it) or the platform cannot fork."""
    import multiprocessing

    clouds = sorted({env.target for _, env in jobs})
    if len(clouds) < 2 or _node_started() or "fork" not in multiprocessing.get_all_start_methods():
        return _synth_in_process(jobs, total, scratch, progress)
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # or a child would print what is buffered again
        stream.flush()
    children = []
    for cloud in clouds:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_synth_in_child, name=f"gen-synth-{cloud}",
                                args=([j for j in jobs if j[1].target == cloud], total, scratch, progress, send))
        child.start()
        send.close()
        children.append((cloud, child, receive))
    built, errors = {}, []
    for cloud, child, receive in children:
        try:
            result = receive.recv()
        except EOFError:
            result = RuntimeError(f"the {cloud} synthesis process ended without a result")
        child.join()
        if isinstance(result, BaseException):
            errors.append(result)
        else:
            built.update(result)
    if errors:
        raise errors[0]
    return built


def synth_environments(environments: list[Environment], out_dir: Path, force: bool = False,
                       progress: Progress | None = None) -> list[StackResult]:
    """Synthesize each environment into `out_dir` (stacks/<stack>/cdk.tf.json and manifest.json).

    Stacks already up to date in `out_dir` are left alone (and cdktf is not even loaded when
    all are), unless `force`. Other stacks already in `out_dir` stay. Nothing in `out_dir`
    changes unless every stack synthesized.
    """
    out_dir = Path(out_dir)
    manifest = _read_json(out_dir / MANIFEST)
    results: dict[str, StackResult] = {}
    stale: list[tuple[Environment, str]] = []
    for env in environments:
        print_ = fingerprint(env)
        record = None if force else _up_to_date(out_dir, env, print_, manifest)
        if record is None:
            stale.append((env, print_))
        else:
            results[env.stack_name] = StackResult(env.stack_name, env.name, env.target, int(record.get("resources", 0)),
                                                  _shown_path(out_dir, env), UP_TO_DATE)
    if stale:
        scratch, lock = claim_scratch(out_dir)
        try:
            jobs = list(enumerate((env for env, _ in stale), 1))
            built = _synth_all(jobs, len(jobs), scratch, progress)
            for env, print_ in stale:
                resources, sha256 = built[env.stack_name]
                _write_json(scratch / "new" / env.stack_name / FINGERPRINT_FILE, {
                    "fingerprint": print_, "format": FINGERPRINT_FORMAT, "resources": resources, "sha256": sha256})
                results[env.stack_name] = StackResult(env.stack_name, env.name, env.target, resources,
                                                      _shown_path(out_dir, env))
            _publish(scratch, out_dir, [env.stack_name for env, _ in stale])
        finally:
            release_scratch(scratch, lock)
    return [results[env.stack_name] for env in environments]


def _shown_path(out_dir: Path, env: Environment) -> str:
    """The stack file's path as the user named the output folder (`build/x/stacks/...`)."""
    return str(out_dir / STACKS / env.stack_name / STACK_FILE)


def synthesize(app_path: Path, out_dir: Path, env_names: list[str] | None = None,
               from_env: str | None = None) -> list[StackResult]:
    """Validate a model file and synthesize its environments (all but preview templates by default) into out_dir."""
    from gen.model.validate import load_app

    selection = select(load_app(app_path), env_names, from_env)
    return synth_environments(selection.environments, Path(out_dir)) if selection.environments else []
