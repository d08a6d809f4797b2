"""Synthesize resolved environments into Terraform JSON: the one module that drives cdktf.

Data flows one way: model file -> validated frozen model -> resolved environments -> one
CDKTF stack each, built by its cloud's `providers.<cloud>.stack` -> cdktf synth into a
scratch folder -> moved into the output folder only when every stack synthesized. A run
that fails leaves the output folder as it was.

Speed (docs/performance.md has the figures; every technique lives in this module):

- Up to date: each stack folder keeps a fingerprint (`.gen-stack.json`) of what its file
  was made from: the resolved environment, gen's own source for that cloud, and the
  versions of cdktf, jsii, constructs and the cloud's provider bindings, plus the hash of
  the file as written. A stack whose fingerprint and file both match is not synthesized
  again, and a run where every stack matches never imports cdktf or jsii. `force=True`
  re-synthesizes.
- Light Python imports: only the binding submodules a stack uses are imported
  (_import_package_lightly).
- Light Node: the provider package's `lib/index.js` eagerly `require`s all of its ~2,000
  resource modules (about 2 s and 400 MB in Node); a preload script (_LAZY_INDEX_JS, given
  to Node with NODE_OPTIONS=--require) turns those exports into getters that load a
  resource module the first time jsii looks up one of its types.
- One process per cloud: when a run has stacks of both clouds and jsii is not loaded yet,
  each cloud's stacks are built in a forked process of their own, in parallel, each
  loading only its own cloud's bindings.
- jsii's own package cache (~/.cache/aws/jsii/package-cache, or
  JSII_RUNTIME_PACKAGE_CACHE_ROOT) keeps the extracted assemblies and a lazy type index
  between runs; the first run on a machine pays for filling it.

tests/test_synth.py checks the layouts the light imports rely on (check_light_loading), so a
cdktf or provider upgrade that changes them fails with a clear message, not a slowdown.

Node: cdktf runs its constructs in a Node.js process through jsii. gen uses the machine's
`node` (or the one `JSII_NODE` names) and silences jsii's banners about Node versions it
has not tested or that reached end of life: they are notices for the bindings' authors,
not for a user running `gen`, and the synthesized JSON does not depend on them. Set
GEN_SHOW_NODE_WARNINGS=1 to see them.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import types
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Callable

from gen.environments import Environment

MANIFEST = "manifest.json"
STACKS = "stacks"
STACK_FILE = "cdk.tf.json"
FINGERPRINT_FILE = ".gen-stack.json"
FINGERPRINT_FORMAT = 1

# The provider binding packages, by cloud. Their __init__ imports every one of their
# ~2,000 resource modules (about 12 s and 1 GB each); gen imports only the modules a stack
# uses. See _import_package_lightly.
BINDINGS = {"aws": "cdktf_cdktf_provider_aws", "gcp": "cdktf_cdktf_provider_google"}
PROVIDER_PACKAGES = {"aws": "aws", "gcp": "google"}  # providers/<folder> by cloud
# Distributions whose versions are part of every stack's fingerprint (plus the cloud's bindings).
TOOLCHAIN = ("cdktf", "jsii", "constructs", "typeguard")
ROOT = Path(__file__).resolve().parents[1]

SYNTHESIZED = "synthesized"
UP_TO_DATE = "up to date"

# (index from 1, total, stack name, cloud): called as each stack starts building, from the
# process that builds it.
Progress = Callable[[int, int, str, str], None]


@dataclass(frozen=True)
class StackResult:
    name: str
    environment: str
    cloud: str
    resources: int
    path: str  # relative to the output folder's parent, as shown to the user
    status: str = SYNTHESIZED  # or UP_TO_DATE


# --- Fingerprints: is a stack up to date? (no cdktf, no jsii) -----------------------------

def _plain(value):
    """A JSON-ready copy of a resolved environment: dataclasses, mappings and tuples."""
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _environment_input(env: Environment) -> dict:
    """What a stack is built from: the resolved environment and the model minus the other
    environments (so that editing one environment re-synthesizes only its stack)."""
    plain = _plain(env)
    environments = plain["app"].get("environments", {})
    plain["app"]["environments"] = {k: v for k, v in environments.items() if k == env.spec_name}
    return plain


@cache
def _source_digest(cloud: str) -> str:
    """Hash of the gen code and data that can shape a `cloud` stack: gen/, schemas/ and
    providers/ except the other clouds' folders."""
    others = [ROOT / "providers" / folder for c, folder in PROVIDER_PACKAGES.items() if c != cloud]
    files = sorted(path for top in ("gen", "schemas", "providers") for path in (ROOT / top).rglob("*")
                   if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
                   and not any(path.is_relative_to(other) for other in others))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def _versions(cloud: str) -> dict[str, str]:
    names = [*TOOLCHAIN, BINDINGS[cloud].replace("_", "-")]
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def fingerprint(env: Environment) -> str:
    """One hash of everything that can change `env`'s synthesized stack."""
    from gen import __version__

    value = {"format": FINGERPRINT_FORMAT, "gen": __version__, "source": _source_digest(env.cloud),
             "versions": _versions(env.cloud), "environment": _environment_input(env)}
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _manifest_entry(name: str) -> dict:
    return {
        "annotations": [],
        "constructPath": name,
        "dependencies": [],
        "name": name,
        "synthesizedStackPath": f"{STACKS}/{name}/{STACK_FILE}",
        "workingDirectory": f"{STACKS}/{name}",
    }


def _read_json(path: Path):
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _up_to_date(out_dir: Path, env: Environment, print_: str, manifest) -> dict | None:
    """The stored record when `env`'s stack in out_dir was made from the same inputs and
    nobody changed its file since; else None."""
    folder = out_dir / STACKS / env.stack_name
    record = _read_json(folder / FINGERPRINT_FILE)
    if not isinstance(record, dict) or record.get("fingerprint") != print_:
        return None
    if record.get("sha256") != _sha256(folder / STACK_FILE):
        return None
    if not isinstance(manifest, dict) or manifest.get("version") != _versions(env.cloud)["cdktf"]:
        return None
    if (manifest.get("stacks") or {}).get(env.stack_name) != _manifest_entry(env.stack_name):
        return None
    return record


# --- Light loading of cdktf and the bindings ---------------------------------------------

# Node preload (NODE_OPTIONS=--require): makes the exports of a provider package's
# lib/index.js lazy. That file is `exports.<name> = require("./<module>");` once per
# resource module (plus comments and the __esModule marker): loading it runs every resource
# module. jsii finds a type `@cdktf/provider-aws.vpc.Vpc` by walking the package's exports
# (`.vpc.Vpc`), so a getter per export that requires the module on first use gives the same
# objects and loads only what a stack uses. An index.js with any other statement is loaded
# as it is (correct, slower); check_light_loading reports it.
_EXPORT_LINE = r'^exports\.([A-Za-z_$][\w$]*) = require\("(\./[^"]+)"\);$'
_OTHER_LINES = (r'^"use strict";$', r'^\s*(/\*\*|\*|\*/|//).*$', r'^$',
                r'^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$',
                r'^exports\.[A-Za-z_$][\w$]*( = exports\.[A-Za-z_$][\w$]*)* = void 0;$')
_INDEX_PATH = r'[\\/]@cdktf[\\/]provider-[a-z0-9-]+[\\/]lib[\\/]index\.js$'
_LAZY_INDEX_JS = """\
"use strict";
// Written by gen (gen/synth.py): load a cdktf provider's resource modules on first use.
const Module = require("module");
const fs = require("fs");
const INDEX = new RegExp(%(index)s);
const EXPORT = new RegExp(%(export)s);
const OTHER = [%(other)s].map((p) => new RegExp(p));
const report = process.env.GEN_REPORT_LAZY_NODE ? (m) => process.stderr.write(`gen: ${m}\\n`) : () => {};
const load = Module._extensions[".js"];
Module._extensions[".js"] = function (module, filename) {
  if (!INDEX.test(filename)) return load(module, filename);
  const exports = [];
  for (const line of fs.readFileSync(filename, "utf8").split(/\\r?\\n/)) {
    const found = EXPORT.exec(line);
    if (found) exports.push([found[1], found[2]]);
    else if (!OTHER.some((p) => p.test(line))) {
      report(`eager index (unexpected line ${JSON.stringify(line.slice(0, 80))}): ${filename}`);
      return load(module, filename);
    }
  }
  if (exports.length === 0) {
    report(`eager index (no exports): ${filename}`);
    return load(module, filename);
  }
  report(`lazy index (${exports.length} modules): ${filename}`);
  Object.defineProperty(module.exports, "__esModule", { value: true });
  for (const [name, path] of exports) {
    Object.defineProperty(module.exports, name, {
      enumerable: true, configurable: true,
      get() {
        const value = module.require(path);
        Object.defineProperty(module.exports, name, { value, enumerable: true, configurable: true });
        return value;
      },
    });
  }
};
""" % {"index": json.dumps(_INDEX_PATH), "export": json.dumps(_EXPORT_LINE),
       "other": ", ".join(json.dumps(p) for p in _OTHER_LINES)}


def _index_problems(index_js: str) -> list[str]:
    """Why the lazy-index preload could not handle this lib/index.js text (empty: it can)."""
    exports, problems = 0, []
    for number, line in enumerate(index_js.splitlines(), 1):
        if re.match(_EXPORT_LINE, line):
            exports += 1
        elif not any(re.match(p, line) for p in _OTHER_LINES):
            problems.append(f"line {number} is not `exports.<name> = require(\"./<module>\");`: {line[:120]!r}")
    if exports == 0:
        problems.append("it exports no modules")
    return problems


def check_light_loading(cloud: str) -> list[str]:
    """What in the installed cdktf/bindings no longer has the layout gen's light loading
    relies on (empty when all is well). Run by tests/test_synth.py, not at synth time."""
    import tarfile

    package = BINDINGS[cloud]
    problems = []
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return [f"{package} is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    jsii_init = folder / "_jsii" / "__init__.py"
    if not jsii_init.is_file() or "jsii.JSIIAssembly.load(" not in jsii_init.read_text("utf-8"):
        problems.append(f"{jsii_init} no longer loads the jsii assembly by itself")
    provider = folder / "provider" / "__init__.py"
    text = provider.read_text("utf-8") if provider.is_file() else ""
    if not re.search(r"^from \.\._jsii import \*$", text, re.M):
        problems.append(f"{package}.provider no longer imports `from .._jsii import *`")
    if re.search(rf"^(from \.\. import|import {package}$|from {package} import)", text, re.M):
        problems.append(f"{package}.provider imports the package itself: light imports would load every module")
    tarballs = sorted((folder / "_jsii").glob("*.jsii.tgz"))
    if len(tarballs) != 1:
        return problems + [f"{folder / '_jsii'} should hold one .jsii.tgz, found {len(tarballs)}"]
    with tarfile.open(tarballs[0]) as tar:
        try:
            member = tar.extractfile("package/lib/index.js")
        except KeyError:
            member = None
        if member is None:
            problems.append(f"{tarballs[0].name} has no package/lib/index.js")
        else:
            problems += [f"{tarballs[0].name} lib/index.js: {p}" for p in _index_problems(member.read().decode("utf-8"))[:5]]
    return problems


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


def _lazy_node() -> None:
    """Give the Node process jsii starts the lazy-index preload (before jsii starts it)."""
    if "jsii" in sys.modules or os.environ.get("GEN_NODE_EAGER"):
        return  # Node is running already (or asked to load everything): nothing to add
    folder = tempfile.mkdtemp(prefix="gen-node-")
    atexit.register(shutil.rmtree, folder, True)
    preload = Path(folder) / "lazy-provider-index.js"
    preload.write_text(_LAZY_INDEX_JS, "utf-8")
    options = os.environ.get("NODE_OPTIONS", "")
    os.environ["NODE_OPTIONS"] = f'{options} --require "{preload}"'.strip()


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
    _lazy_node()
    builders = {}
    for cloud in sorted(clouds):
        _import_package_lightly(BINDINGS[cloud])
        builders[cloud] = importlib.import_module(f"providers.{PROVIDER_PACKAGES[cloud]}.stack").build
    return builders


# --- Synthesis ----------------------------------------------------------------------------

def _count_resources(stack_json: dict) -> int:
    return sum(len(v) for v in stack_json.get("resource", {}).values())


def _synth_in_process(jobs: list[tuple[int, Environment]], total: int, outdir: Path,
                      progress: Progress | None) -> None:
    """Build and synthesize `jobs` ((index, env)) as one cdktf App writing into outdir."""
    builders = _builders({env.cloud for _, env in jobs})  # silences Node banners first
    from cdktf import App, TerraformStack

    outdir.parent.mkdir(parents=True, exist_ok=True)
    app = App(outdir=str(outdir), stack_traces=False, skip_validation=False)
    for index, env in jobs:
        if progress:
            progress(index, total, env.stack_name, env.cloud)
        stack = TerraformStack(app, env.stack_name)
        builders[env.cloud](stack, env)
    app.synth()


def _synth_in_child(jobs, total, outdir, progress, connection) -> None:
    # A forked child inherits the parent's exit hooks; run only its own (jsii's, which stops
    # this child's Node process, and the preload's clean-up) when it is done.
    atexit._clear()
    try:
        _synth_in_process(jobs, total, outdir, progress)
        connection.send(None)
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
               progress: Progress | None) -> Path:
    """Synthesize every job; return the cdktf output folder. Stacks of different clouds are
    built by one forked process per cloud, in parallel, unless jsii is loaded already here
    (a forked child must not share a running Node process) or the platform cannot fork."""
    import multiprocessing

    outdir = scratch / "cdktf"
    clouds = sorted({env.cloud for _, env in jobs})
    if len(clouds) < 2 or "jsii" in sys.modules or "fork" not in multiprocessing.get_all_start_methods():
        _synth_in_process(jobs, total, outdir, progress)
        return outdir
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # or a child would print what is buffered again
        stream.flush()
    children = []
    for cloud in clouds:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_synth_in_child, name=f"gen-synth-{cloud}",
                                args=([j for j in jobs if j[1].cloud == cloud], total, outdir / cloud, progress, send))
        child.start()
        send.close()
        children.append((cloud, child, receive))
    errors = []
    for cloud, child, receive in children:
        try:
            error = receive.recv()
        except EOFError:
            error = RuntimeError(f"the {cloud} synthesis process ended without a result")
        child.join()
        if error is not None:
            errors.append(error)
    if errors:
        raise errors[0]
    return outdir


def _built_file(outdir: Path, env: Environment) -> Path:
    for folder in (outdir, outdir / env.cloud):
        path = folder / STACKS / env.stack_name / STACK_FILE
        if path.is_file():
            return path
    raise RuntimeError(f"cdktf wrote no {STACK_FILE} for {env.stack_name}")


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
            results[env.stack_name] = StackResult(env.stack_name, env.name, env.cloud, int(record.get("resources", 0)),
                                                  _shown_path(out_dir, env), UP_TO_DATE)
    if stale:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
        try:
            jobs = list(enumerate((env for env, _ in stale), 1))
            outdir = _synth_all(jobs, len(jobs), scratch, progress)
            for env, print_ in stale:
                data = json.loads(_built_file(outdir, env).read_text("utf-8"))
                written = _write_json(scratch / "new" / env.stack_name / STACK_FILE, data)
                resources = _count_resources(data)
                _write_json(scratch / "new" / env.stack_name / FINGERPRINT_FILE, {
                    "fingerprint": print_, "format": FINGERPRINT_FORMAT, "resources": resources,
                    "sha256": hashlib.sha256(written).hexdigest()})
                results[env.stack_name] = StackResult(env.stack_name, env.name, env.cloud, resources,
                                                      _shown_path(out_dir, env))
            _publish(scratch, out_dir, [env.stack_name for env, _ in stale])
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return [results[env.stack_name] for env in environments]


def _shown_path(out_dir: Path, env: Environment) -> str:
    return str(Path(out_dir.name) / STACKS / env.stack_name / STACK_FILE)


def _write_json(path: Path, data) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    path.write_bytes(text)
    return text


def _manifest(out_dir: Path, stacks: list[str]) -> dict:
    """cdktf's manifest.json, listing every stack in the folder, in a stable order."""
    existing = _read_json(out_dir / MANIFEST)
    existing = existing.get("stacks", {}) if isinstance(existing, dict) else {}
    if not isinstance(existing, dict):
        existing = {}
    version = importlib.metadata.version("cdktf")
    for name in stacks:
        existing[name] = _manifest_entry(name)
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
    skipped: list[tuple[str, str]]  # (environment, why it is left out)


LOCAL_NOT_YET = "local environments are not supported yet (they come with the local provider)"


def select(app, names: list[str] | None, from_env: str | None = None) -> Selection:
    """The environments a synth covers: the named ones, or every cloud environment of the model.

    A preview environment is a template: it is synthesized as `pr:<number>`, never by itself.
    """
    from gen.environments import resolve
    from gen.errors import InputError

    if not names:
        environments, skipped = [], []
        for spec in app.environments.values():
            if spec.type == "local":
                skipped.append((spec.name, LOCAL_NOT_YET))
            elif spec.type == "preview":
                skipped.append((spec.name, "a preview template: synthesize one with --env pr:<number>"))
            else:
                environments.append(resolve(app, spec.name))
        return Selection(environments, skipped)
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
