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
  resource modules (about 2 s and 400 MB in Node); a preload script (_NODE_PRELOAD_JS, given
  to Node with NODE_OPTIONS=--require) turns those exports into getters that load a
  resource module the first time jsii looks up one of its types. The same preload stops
  cdktf from recording a JavaScript stack trace for every token it creates, and resolves
  plain values without cdktf's per-value bookkeeping (plainValuesFirst).
- Fewer and lighter jsii calls per resource (_lighten_bindings): string attribute references
  (`bucket.arn`) are answered in Python instead of by a round trip to Node, the bindings'
  Python-side type checks (the ones `python -O` drops) are skipped (jsii's kernel still
  checks every value in Node), structs are sent with only the values they hold
  (_struct_values_only), and creates are written and read without cattrs (_lean_creates).
- One Node process running an edited copy of jsii's kernel (_JSII_RUNTIME_JS,
  _KERNEL_PATCHES) instead of jsii's relay process and kernel.
- One process per cloud: when a run has stacks of both clouds and jsii's Node process is
  not running yet, each cloud's stacks are built in a forked process of their own, in
  parallel, each loading only its own cloud's bindings.
- jsii's own package cache (~/.cache/aws/jsii/package-cache, or
  JSII_RUNTIME_PACKAGE_CACHE_ROOT) keeps the extracted assemblies and a type index between
  runs, so that the kernel reads only the types a stack uses. The first run on a machine
  fills it: gen's runtime builds each missing index in a Node process of its own before the
  kernel loads the package (the kernel would parse the whole 130 MB provider assembly and
  build the index alongside, twice the memory), and the preload keeps Node alive until any
  index jsii started in a worker thread is written (jsii's process.exit would cut it off,
  and every later run would parse the whole assembly again).

tests/test_synth.py checks the layouts these techniques rely on (check_light_loading,
check_cdktf_layout), so a cdktf, jsii or provider upgrade that changes them fails with a clear
message, not a slowdown; at synth time each technique falls back to the plain path where what
it relies on does not hold.

Node: cdktf runs its constructs in a Node.js process through jsii. gen uses the machine's
`node` (or the one `JSII_NODE` names) and silences jsii's banners about Node versions it
has not tested or that reached end of life: they are notices for the bindings' authors,
not for a user running `gen`, and the synthesized JSON does not depend on them. Set
GEN_SHOW_NODE_WARNINGS=1 to see them.

May import: `gen.model`, `providers` (each cloud's `stack.build`, by name), cdktf and jsii.
Never `gen.review` or `gen.cli`.
"""

from __future__ import annotations

import atexit
import contextlib
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

from gen.model.environments import Environment

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
ROOT = Path(__file__).resolve().parents[2]

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

# Node preload (NODE_OPTIONS=--require), four parts.
#
# 1. Lazy provider index: makes the exports of a provider package's
# lib/index.js lazy. That file is `exports.<name> = require("./<module>");` once per
# resource module (plus comments and the __esModule marker): loading it runs every resource
# module. jsii finds a type `@cdktf/provider-aws.vpc.Vpc` by walking the package's exports
# (`.vpc.Vpc`), so a getter per export that requires the module on first use gives the same
# objects and loads only what a stack uses. An index.js with any other statement is loaded
# as it is (correct, slower); check_light_loading reports it.
#
# 2. No token stack traces (unless GEN_DEBUG): cdktf records the full JavaScript stack of
# every token and every nested-block object it creates (captureStackTrace in
# lib/tokens/private/stack-trace.js), a third of a resource's cost in Node, only to print it
# in an error about that token. The preload answers with a one-line note instead. It never
# reaches the output.
#
# 3. One resolve pass for a stack alone in its App: cdktf's App.synth resolves every value of
# a stack twice, first in a "preparing" pass whose only effect is to find references to
# other stacks' resources (tfExpression.js: Reference.resolve) and wire them through
# outputs and remote state. gen synthesizes each stack in an App of its own, where there are
# no other stacks; for such a stack the preload's prepareStack only makes sure it has a
# backend, as the original does first. Stacks in an App with others are prepared in full.
#
# 4. Exit once jsii's type index is written: jsii builds a package's index in a worker thread
# and its kernel calls process.exit at the end of the run, which would stop the worker
# half-way (gen's runtime builds missing indexes beforehand; this covers jsii's own runtime).
#
# 5. Plain values resolved without cdktf's per-value bookkeeping: cdktf's synth resolves every
# value of every resource twice (each element's toTerraform, then the merged stack), and its
# resolve (lib/tokens/private/resolve.js) makes a new context, two closures and a copy of the
# options for every key and value, token or not: half of a large stack's synth. The preload's
# resolve walks plain objects, arrays, strings without token markers, booleans and numbers that
# are not encoded tokens itself, and hands everything else (tokens, token strings, list and
# map tokens, dates, constructs) to cdktf's resolve with exactly the prefix and context it
# would have had. It is used only when resolve.js and encoding.js are the files it was
# written against (their SHA-256); any other cdktf keeps its own resolve.
_EXPORT_LINE = r'^exports\.([A-Za-z_$][\w$]*) = require\("(\./[^"]+)"\);$'
_OTHER_LINES = (r'^"use strict";$', r'^\s*(/\*\*|\*|\*/|//).*$', r'^$',
                r'^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$',
                r'^exports\.[A-Za-z_$][\w$]*( = exports\.[A-Za-z_$][\w$]*)* = void 0;$')
_INDEX_PATH = r'[\\/]@cdktf[\\/]provider-[a-z0-9-]+[\\/]lib[\\/]index\.js$'
_STACK_TRACE_PATH = r'[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]stack-trace\.js$'
_TERRAFORM_STACK_PATH = r'[\\/]cdktf[\\/]lib[\\/]terraform-stack\.js$'
_RESOLVE_PATH = r'[\\/]cdktf[\\/]lib[\\/]tokens[\\/]private[\\/]resolve\.js$'
# The files the preload's resolve (part 5) reproduces for plain values, by SHA-256 (cdktf 0.21.0).
_RESOLVE_SOURCES = {
    "resolve.js": "08c4dba33a40b05fd4f4c1957bd4102695c1b30df595bbb1ad1fb95fdc4a0382",
    "encoding.js": "5afaace6c605ac7a2da2a91f5fe0142ff0beadb69bc0c3650e9d071d136fd29f",
}
_NUMBER_TOKEN = r"[-|\d|.\+]+(e[-|\d|.|e|E|\+]+)"  # encoding.js NUMBER_TOKEN_REGEX: a number token in a string
_NODE_PRELOAD_JS = """\
"use strict";
// Written by gen (gen/synth): load a cdktf provider's resource modules on first use, skip
// cdktf's stack trace of every token, prepare a lone stack without the cross-stack pass, exit
// only once jsii's type index workers are done, and resolve plain values without cdktf's
// per-value bookkeeping.
const Module = require("module");
const fs = require("fs");
const INDEX = new RegExp(%(index)s);
const STACK_TRACE = new RegExp(%(stack_trace)s);
const NO_STACK_TRACES = !process.env.GEN_DEBUG;
const TERRAFORM_STACK = new RegExp(%(terraform_stack)s);
const RESOLVE = new RegExp(%(resolve)s);
const RESOLVE_SOURCES = %(resolve_sources)s;
const NUMBER_TOKEN = new RegExp(%(number_token)s);
const EXPORT = new RegExp(%(export)s);
const OTHER = [%(other)s].map((p) => new RegExp(p));
const report = process.env.GEN_REPORT_NODE ? (m) => process.stderr.write(`gen: ${m}\\n`) : () => {};
const threads = require("worker_threads");
if (threads.isMainThread) {
  // jsii writes a package's type index in a worker thread while the run goes on; the
  // kernel's process.exit at the end of the run would stop it half-way, and every later
  // run would parse the whole assembly again. Exit once those workers are done.
  const indexing = new Set();
  const Worker = threads.Worker;
  threads.Worker = class extends Worker {
    constructor(file, ...rest) {
      super(file, ...rest);
      if (!/runtime-index-worker\\.js$/.test(String(file))) return;
      indexing.add(this);
      this.once("exit", () => indexing.delete(this));
      report(`building jsii's type index in a worker: ${JSON.stringify(rest[0] && rest[0].workerData)}`);
    }
  };
  const exit = process.exit;
  process.exit = function (code) {
    if (indexing.size === 0) return exit.call(process, code);
    report(`waiting for ${indexing.size} type index worker(s) before exiting`);
    const started = Date.now();
    const done = [...indexing].map((worker) => new Promise((resolve) => worker.once("exit", resolve)));
    Promise.all(done).then(() => { report(`type index written after ${Date.now() - started} ms more`); exit.call(process, code); });
  };
}
const load = Module._extensions[".js"];
Module._extensions[".js"] = function (module, filename) {
  if (NO_STACK_TRACES && STACK_TRACE.test(filename)) {
    load(module, filename);
    if (typeof module.exports.captureStackTrace !== "function") {
      report(`stack traces kept (no captureStackTrace): ${filename}`);
      return;
    }
    const NOTE = Object.freeze(["(gen skips cdktf's token stack traces; GEN_DEBUG=1 keeps them)"]);
    module.exports.captureStackTrace = () => NOTE;
    report(`no token stack traces: ${filename}`);
    return;
  }
  if (TERRAFORM_STACK.test(filename)) {
    load(module, filename);
    const Stack = module.exports.TerraformStack;
    if (typeof Stack !== "function" || typeof Stack.prototype.prepareStack !== "function"
        || typeof Stack.prototype.ensureBackendExists !== "function") {
      report(`full prepareStack (unexpected TerraformStack): ${filename}`);
      return;
    }
    const prepare = Stack.prototype.prepareStack;
    Stack.prototype.prepareStack = function () {
      if (this.node.root.node.findAll().filter((c) => Stack.isStack(c)).length !== 1) return prepare.call(this);
      this.ensureBackendExists();
    };
    report(`single-stack prepareStack: ${filename}`);
    return;
  }
  if (RESOLVE.test(filename)) {
    load(module, filename);
    const changed = Object.entries(RESOLVE_SOURCES).filter(([name, sha256]) =>
      require("crypto").createHash("sha256").update(fs.readFileSync(require("path").join(filename, "..", name), "utf8")).digest("hex") !== sha256);
    if (changed.length > 0 || typeof module.exports.resolve !== "function") {
      report(`cdktf's own resolve (${changed.map(([name]) => name).join(", ") || "no resolve"} changed): ${filename}`);
      return;
    }
    module.exports.resolve = plainValuesFirst(module.exports.resolve, module.require("./encoding"), module.require("../token"));
    report(`plain values resolved directly: ${filename}`);
    return;
  }
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

// cdktf's resolve(obj, options), with the plain parts of obj walked here. cdktf's own resolve
// gives a nested value the options {...options, prefix: <path to it>, previousContext: <a
// context whose suppressBraces, ignoreEscapes, warnEscapes and iteratorContext are those of
// options.previousContext>}; those four are all it reads of a previous context, and they are
// the same at every depth of plain objects and arrays, so one such context serves them all.
// Plain values need neither: they come back as they are (objects and arrays copied, undefined
// dropped), as from cdktf's resolve.
function plainValuesFirst(cdktfResolve, encoding, token) {  // token is still loading here: read it per call
  const plainString = (s, Token) => s.indexOf("TfToken[") === -1 && !NUMBER_TOKEN.test(s)
    && s !== Token.STRING_MAP_TOKEN_VALUE && s !== Token.ANY_MAP_TOKEN_VALUE;
  return function resolve(obj, options) {
    const { Token, Tokenization } = token;
    const previous = options.previousContext;
    let nested;
    function cdktf(value, prefix, top) {
      if (top) return cdktfResolve(value, options);
      nested = nested || { preparing: options.preparing, scope: options.scope,
        suppressBraces: previous && previous.suppressBraces, ignoreEscapes: previous && previous.ignoreEscapes,
        warnEscapes: previous && previous.warnEscapes, iteratorContext: previous && previous.iteratorContext };
      return cdktfResolve(value, { ...options, prefix: prefix.slice(), previousContext: nested });
    }
    function walk(value, prefix, top) {
      if (prefix.length > 200) return cdktf(value, prefix, top);  // cdktf's depth limit throws
      if (value === undefined || value === null || typeof value === "boolean") return value;
      if (typeof value === "string") return plainString(value, Token) ? value : cdktf(value, prefix, top);
      if (typeof value === "number") {
        const plain = value !== Token.NUMBER_MAP_TOKEN_VALUE && encoding.extractTokenDouble(value, false) === undefined;
        return plain ? value : cdktf(value, prefix, top);
      }
      if (typeof value !== "object") return cdktf(value, prefix, top);
      if (Array.isArray(value)) {
        if (encoding.containsStringListTokenElement(value) || encoding.containsNumberListTokenElement(value)) {
          return cdktf(value, prefix, top);
        }
        const out = [];
        for (let i = 0; i < value.length; i++) {
          prefix.push(`${i}`);
          const resolved = walk(value[i], prefix, false);
          prefix.pop();
          if (resolved !== undefined) out.push(resolved);
        }
        return out;
      }
      if (value instanceof Date || encoding.containsMapToken(value) || Tokenization.isResolvable(value)
          || (value._children !== undefined && value._metadata !== undefined)) return cdktf(value, prefix, top);
      const out = {};
      for (const key of Object.keys(value)) {  // keys first, then values, in order, as cdktf does
        const resolvedKey = plainString(key, Token) ? key : cdktf(key, prefix, false);
        if (typeof resolvedKey !== "string") return cdktf(value, prefix, top);  // cdktf's error
        prefix.push(key);
        const resolved = walk(value[key], prefix, false);
        prefix.pop();
        if (resolved !== undefined) out[resolvedKey] = resolved;
      }
      return out;
    }
    return walk(obj, (options.prefix || []).slice(), true);
  };
}
""" % {"index": json.dumps(_INDEX_PATH), "stack_trace": json.dumps(_STACK_TRACE_PATH), "terraform_stack": json.dumps(_TERRAFORM_STACK_PATH), "export": json.dumps(_EXPORT_LINE),
       "resolve": json.dumps(_RESOLVE_PATH), "resolve_sources": json.dumps(_RESOLVE_SOURCES), "number_token": json.dumps(_NUMBER_TOKEN),
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


# What _lighten_bindings relies on in every generated binding module: (text, what it is).
_BINDING_LAYOUT = (
    ("\ndef check_type(", "a module-level check_type function"),
    ("        if __debug__:\n            type_hints = typing.get_type_hints(",
     "type checks as `typing.get_type_hints` under `if __debug__:`"),
)
# What _struct_values_only relies on in a generated struct: what was given is kept in `_values`,
# and each property reads it back from there.
_STRUCT_LAYOUT = ("        self._values: typing.Dict[builtins.str, typing.Any] = {",
                  "        result = self._values.get(\"")
# A string attribute of a resource per cloud: (module, property), for check_light_loading.
_SAMPLE_REFERENCE = {"aws": ("s3_bucket", "arn"), "gcp": ("storage_bucket", "url")}


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
    for needed, why in _BINDING_LAYOUT:
        if needed not in text:
            problems.append(f"{package}.provider no longer has {why} (_lighten_bindings)")
    module, attribute = _SAMPLE_REFERENCE[cloud]
    sample = folder / module / "__init__.py"
    getter = (f"    def {attribute}(self) -> builtins.str:\n"
              f"        return typing.cast(builtins.str, jsii.get(self, \"{attribute}\"))\n")
    sample_text = sample.read_text("utf-8") if sample.is_file() else ""
    if getter not in sample_text:
        problems.append(f"{package}.{module} no longer reads `{attribute}` as a `builtins.str` property through "
                        "jsii.get: references are no longer answered in Python (_reference_property)")
    for needed in _STRUCT_LAYOUT:
        if needed not in sample_text:
            problems.append(f"{package}.{module}'s structs no longer have {needed.strip()!r}: a struct's set values "
                            "may not all be in `_values` (_struct_values_only)")
    tarball = _bundled_tarball(folder)
    if isinstance(tarball, str):
        return problems + [tarball]
    with tarfile.open(tarball) as tar:
        index_js = _member_text(tar, "package/lib/index.js")
    if index_js is None:
        problems.append(f"{tarball.name} has no package/lib/index.js")
    else:
        problems += [f"{tarball.name} lib/index.js: {p}" for p in _index_problems(index_js)[:5]]
    return problems


def _bundled_tarball(folder: Path) -> Path | str:
    """The one assembly tarball a binding package bundles in _jsii/, or what is wrong."""
    tarballs = sorted((folder / "_jsii").glob("*.jsii.tgz"))
    if len(tarballs) != 1:
        return f"{folder / '_jsii'} should hold one .jsii.tgz, found {len(tarballs)}"
    return tarballs[0]


def _member_text(tar, name: str) -> str | None:
    """The text of file `name` in an open tarball, or None when it has no such file."""
    try:
        member = tar.extractfile(name)
    except KeyError:
        return None
    return None if member is None else member.read().decode("utf-8")


def check_cdktf_layout() -> list[str]:
    """What in the installed jsii and cdktf no longer has the layout gen's runtime, preload and
    lighter bindings rely on (empty when all is well). Run by tests/test_synth.py. At synth
    time, gen falls back to jsii's own runtime when the kernel does not fit; the preload
    leaves a module it does not recognise as it is (GEN_REPORT_NODE=1 says so)."""
    import tarfile

    problems = [f"jsii kernel: {p}" for p in _kernel_problems()]
    problems += [f"jsii: {p}" for p in _jsii_python_problems()]
    kernel = _kernel_folder()
    if kernel is not None and (kernel / "lib__program.js").is_file():
        program = (kernel / "lib__program.js").read_text("utf-8")
        problems += [f"jsii kernel: gen's edit no longer applies (found {program.count(text)} times, not once): "
                     f"{text[:80]!r}" for text in _KERNEL_PATCHES if program.count(text) != 1]
        problems += [f"jsii kernel: {why}" for marker, why in _STRUCT_KERNEL_MARKERS.items() if marker not in program]
    spec = importlib.util.find_spec("cdktf")
    if spec is None or not spec.submodule_search_locations:
        return problems + ["cdktf is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    python = (folder / "__init__.py").read_text("utf-8")
    for needed, why in (*_BINDING_LAYOUT, ("jsii.sinvoke(", "static calls through jsii.sinvoke")):
        if needed not in python:
            problems.append(f"cdktf's Python bindings no longer have {why} (_lighten_bindings)")
    tarball = _bundled_tarball(folder)
    if isinstance(tarball, str):
        return problems + [tarball]
    expected = {
        "package/lib/tokens/private/stack-trace.js": ["exports.captureStackTrace = captureStackTrace;"],
        "package/lib/terraform-stack.js": [
            "    prepareStack() {\n        // Ensure we have a backend configured\n        this.ensureBackendExists();\n"
            "        // A preparing resolve run might add new resources to the stack, e.g. for cross stack references.\n"
            "        terraformElements(this).forEach((e) => (0, _tokens_1.resolve)(this, e.toTerraform(), true));\n    }"],
        "package/lib/tfExpression.js": ["if (context.preparing) {"],
        "package/lib/terraform-resource.js": [
            "return (0, tfExpression_1.ref)(`${this.terraformResourceType}.${this.friendlyUniqueId}"
            "${this.forEach ? \".*\" : \"\"}.${terraformAttribute}`, this.cdktfStack);"],
    }
    with tarfile.open(tarball) as tar:
        for name, sha256 in _RESOLVE_SOURCES.items():
            text = _member_text(tar, f"package/lib/tokens/private/{name}")
            if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
                problems.append(f"{tarball.name} lib/tokens/private/{name} is not the file the preload's resolve was "
                                "written against: check plainValuesFirst against it, then update _RESOLVE_SOURCES")
        for name, snippets in expected.items():
            text = _member_text(tar, name) or ""
            problems += [f"{tarball.name} {name} no longer has {snippet[:90]!r}" for snippet in snippets
                         if snippet not in text]
        preparing = sum(tar.extractfile(m).read().decode("utf-8", "replace").count("context.preparing")
                        for m in tar.getmembers() if m.isfile() and m.name.endswith(".js"))
        if preparing != 1:
            problems.append(f"{tarball.name}: `context.preparing` is read in {preparing} places, not only by "
                            "cross-stack references: the single-stack prepareStack may no longer be safe")
    return problems


def _quiet_node() -> dict[str, str]:
    """The variables that silence jsii's banners for the Node version in use (those not set already)."""
    if os.environ.get("GEN_SHOW_NODE_WARNINGS"):
        return {}
    node = os.environ.get("JSII_NODE", "node")
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
        major = version.strip().lstrip("v").split(".")[0]
    except (OSError, subprocess.SubprocessError):
        major = ""
    variables = {"JSII_DEPRECATED": "quiet"}
    if major:
        variables.update(dict.fromkeys(("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION",
                                        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION",
                                        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"), major))
    return {k: v for k, v in variables.items() if k not in os.environ}


# jsii's own runtime (bin/jsii-runtime.js) is a Node process whose only job is to start a
# second Node process running the kernel (lib/program.js) and to relay every message between
# Python and that kernel through pipes: a quarter of Node's time in a large synth, and a
# second Node start. jsii's Python side runs whatever JSII_RUNTIME names instead; gen's
# runtime runs the same kernel in the one Node process. The kernel reads and writes its
# messages on fd 3, which becomes Python's pipes (fd 0 and fd 1); what the kernel's
# JavaScript prints goes to stderr wrapped the way jsii's runtime wraps it. The kernel links
# cached packages with symlinks only when it sees --preserve-symlinks, which jsii's runtime
# passes to it and gen passes in NODE_OPTIONS.
_KERNEL_FILES = {"lib__program.js": "lib/program.js", "lib__runtime-index-worker.js": "lib/runtime-index-worker.js"}
_KERNEL_MARKERS = {
    "readFD:3,writeFD:3": "the kernel no longer talks over fd 3",
    'process.execArgv.includes("--preserve-symlinks")': "the kernel no longer checks execArgv for --preserve-symlinks",
    "ASSEMBLY_SUPPORTED_FEATURES=[": "the kernel no longer lists ASSEMBLY_SUPPORTED_FEATURES",
    "manifestFileName(": "the kernel no longer reads a type index manifest",
}
# Edits to gen's copy of the kernel (lib/program.js), each an exact text that must occur once.
# The kernel finds how to convert a value from its type reference; for each item of a list or
# map it makes a new reference object, which misses its cache, and the check at the top formats
# that object with util.inspect for an error message it shows only when the check fails (a
# quarter of the kernel's time converting a large stack's arguments). gen's copy formats the
# message only when the check fails. A kernel where the text is not found is run as it is.
_KERNEL_PATCHES = {
    "(0,B.default)(null!=e,`Kernel error: expected type information, got ${(0,K.inspect)(e)}`)":
        "(null!=e||(0,B.default)(!1,`Kernel error: expected type information, got ${(0,K.inspect)(e)}`))",
}
_JSII_RUNTIME_JS = """\
"use strict";
// Written by gen (gen/synth): jsii's kernel in this process, talking over stdin/stdout.
const fs = require("fs");
const path = require("path");
const KERNEL_FD = 3;
const readSync = fs.readSync;
const writeSync = fs.writeSync;
fs.readSync = function (fd, ...rest) { return readSync.call(this, fd === KERNEL_FD ? 0 : fd, ...rest); };
fs.writeSync = function (fd, ...rest) { return writeSync.call(this, fd === KERNEL_FD ? 1 : fd, ...rest); };
function console(key) {
  return function (chunk, encoding, callback) {
    if (typeof encoding === "function") { callback = encoding; encoding = undefined; }
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
    writeSync(2, JSON.stringify({ [key]: data.toString("base64") }) + "\\n");
    if (callback) process.nextTick(callback);
    return true;
  };
}
process.stdout.write = console("stdout");
process.stderr.write = console("stderr");
if (!process.execArgv.includes("--preserve-symlinks")) process.execArgv.push("--preserve-symlinks");
const report = process.env.GEN_REPORT_NODE ? (m) => process.stderr.write(`gen: ${m}\\n`) : () => {};
report(`jsii kernel in one Node process (gen's edits to it: ${process.env.GEN_KERNEL_EDITS} applied)`);
// A package in jsii's cache without a type index: the kernel would parse its whole assembly
// here (a provider's is 130 MB, ~450 MB of memory) and build the index in a worker thread
// alongside (as much again). Build the index first, in a process of its own, so that this
// process reads only the types it uses, as on every later run.
const MANIFEST = /^(.*)[\\/]\\.jsii\\.runtime\\.v\\d+\\.json$/;
const INDEXER = `
  const { Worker } = require("worker_threads");
  const [script, packageDir, features] = process.argv.slice(1);
  new Worker(script, { workerData: { packageDir, supportedFeatures: JSON.parse(features) } })
    .on("message", (m) => { if (m && m.error) { process.stderr.write(String(m.error)); process.exitCode = 1; } })
    .on("error", (e) => { process.stderr.write(String((e && e.stack) || e)); process.exitCode = 1; });`;
const indexed = new Set();
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  const found = typeof file === "string" && MANIFEST.exec(file);
  if (found && !indexed.has(found[1])) {
    indexed.add(found[1]);
    if (!fs.existsSync(file) && fs.existsSync(path.join(found[1], ".jsii"))) buildIndex(found[1]);
  }
  return readFileSync.call(this, file, ...rest);
};
function buildIndex(packageDir) {
  const program = readFileSync(path.join(__dirname, "lib", "program.js"), "utf-8");
  const features = /ASSEMBLY_SUPPORTED_FEATURES=(\\[[^\\]]*\\])/.exec(program);
  if (!features) return report(`no ASSEMBLY_SUPPORTED_FEATURES in the kernel: ${packageDir} indexed by the kernel`);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const started = Date.now();
  const run = require("child_process").spawnSync(process.execPath,
    ["-e", INDEXER, path.join(__dirname, "lib", "runtime-index-worker.js"), packageDir, features[1]],
    { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf-8" });
  report(run.status === 0 ? `type index built in ${Date.now() - started} ms by its own process: ${packageDir}`
    : `type index not built (${run.error || run.stderr || run.status}): ${packageDir} indexed by the kernel`);
}
require(path.join(__dirname, "lib", "program.js"));
"""


def _kernel_folder() -> Path | None:
    spec = importlib.util.find_spec("jsii")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "_embedded" / "jsii"


def _kernel_problems() -> list[str]:
    """Why gen's runtime cannot run the installed jsii kernel (empty: it can)."""
    folder = _kernel_folder()
    if folder is None:
        return ["jsii is not installed"]
    missing = [name for name in _KERNEL_FILES if not (folder / name).is_file()]
    if missing:
        return [f"{folder} has no {', '.join(missing)}"]
    program = (folder / "lib__program.js").read_text("utf-8")
    return [why for marker, why in _KERNEL_MARKERS.items() if marker not in program]


# What _struct_values_only relies on in the kernel: a struct's values are converted one by one
# (mapValues), a null optional value converts to undefined, and undefined values are left out,
# so a null optional property and an absent one give the same object.
_STRUCT_KERNEL_MARKERS = {
    "for(const[y,g]of Object.entries(e)){const _=p(g,y);if(void 0!==_)":
        "mapValues no longer leaves out undefined values (_struct_values_only)",
    'mapValues(e=validateRequiredProps(e,f.fqn,y,m),(e,p)=>{if(y[p])return process(m,"deserialize",e,y[p],':
        "a struct is no longer converted value by value with mapValues (_struct_values_only)",
    'function nullAndOk(e,p,m){if(null!=e)return!1;if("void"!==p&&!p.optional)':
        "a null value no longer converts to undefined where the type is optional (_struct_values_only)",
}
# What _lean_creates writes and reads in place of jsii's _NodeProcess.send, in jsii's Python.
_JSII_PYTHON_LAYOUT = {
    "_kernel/providers/process.py": (
        'CreateRequest,\n            _with_api_key("create", self._serializer.unstructure_attrs_asdict),',
        "req_dict = self._serializer.unstructure(request)",
        'self._process.stdin.write(b"%b\\n" % (data,))',
        "self._next_message(),\n            _ProcessResponse,",
        "return json.loads(self._process.stdout.readline(), object_hook=ohook)",
        "data = json.dumps(req_dict, default=jdefault).encode(\"utf8\")",
        "self._serializer.register_structure_hook(ObjRef, _with_reference)",
        "def _with_reference(data, type_):\n    if not isinstance(data, type_):\n        return type_(ref=data.ref)",
    ),
    "_kernel/__init__.py": (
        "mapping = python_jsii_mapping(d)",
        "jsii_name: _make_reference_for_native(\n                            kernel, getattr(d, python_name)",
        "overrides=_get_overides(klass, obj),",
    ),
}


def _jsii_python_problems() -> list[str]:
    """What in jsii's Python runtime no longer has the layout _lean_creates and
    _struct_values_only were written against."""
    spec = importlib.util.find_spec("jsii")
    if spec is None or not spec.submodule_search_locations:
        return ["jsii is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    problems = []
    for name, snippets in _JSII_PYTHON_LAYOUT.items():
        text = (folder / name).read_text("utf-8") if (folder / name).is_file() else ""
        problems += [f"{name} no longer has {snippet.splitlines()[0][:80]!r}" for snippet in snippets if snippet not in text]
    if not _lean_creates_fit():
        problems.append("CreateRequest, CreateResponse or _NodeProcess no longer have the fields and helpers "
                        "_lean_creates uses")
    return problems


def _patched_kernel(program: str) -> tuple[str, int]:
    """The kernel's lib/program.js with every edit of _KERNEL_PATCHES that fits it, and how
    many fitted."""
    applied = 0
    for text, replacement in _KERNEL_PATCHES.items():
        if program.count(text) == 1:
            program = program.replace(text, replacement)
            applied += 1
    return program, applied


def _prepare_node() -> dict[str, str]:
    """Set up the Node process jsii is about to start: gen's preload and, when the installed
    kernel has the layout it relies on, gen's runtime. Returns the variables to start it with.
    GEN_PLAIN_CDKTF=1: neither."""
    if os.environ.get("GEN_PLAIN_CDKTF"):
        return {}
    folder = Path(tempfile.mkdtemp(prefix="gen-node-"))
    atexit.register(shutil.rmtree, folder, True)  # Node reads these files while it runs
    (folder / "preload.js").write_text(_NODE_PRELOAD_JS, "utf-8")
    variables = {}
    options = [os.environ.get("NODE_OPTIONS", ""), f'--require "{folder / "preload.js"}"']
    if "JSII_RUNTIME" not in os.environ and not _kernel_problems():
        kernel = _kernel_folder()
        for name, target in _KERNEL_FILES.items():
            (folder / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kernel / name, folder / target)
        program = folder / _KERNEL_FILES["lib__program.js"]
        text, applied = _patched_kernel(program.read_text("utf-8"))
        program.write_text(text, "utf-8")
        variables["GEN_KERNEL_EDITS"] = f"{applied} of {len(_KERNEL_PATCHES)}"
        (folder / "runtime.js").write_text(_JSII_RUNTIME_JS, "utf-8")
        variables["JSII_RUNTIME"] = str(folder / "runtime.js")
        options.append("--preserve-symlinks")
    variables["NODE_OPTIONS"] = " ".join(o for o in options if o)
    return variables


def _node_started() -> bool:
    """Whether jsii's Node process runs in this process: it starts with the first assembly
    load, which is always constructs' (cdktf and every provider depend on it)."""
    return "constructs._jsii" in sys.modules


@contextlib.contextmanager
def _node_environment():
    """Within: the variables jsii's Node process must start with (it starts on the first import
    of a binding package). After: this process's environment as it was, so that programs it
    starts later (a test's `gen`, say) do not inherit them."""
    if _node_started():
        yield  # Node is running already
        return
    variables = {**_quiet_node(), **_prepare_node()}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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


# --- Fewer and lighter calls into jsii -----------------------------------------------------
#
# Once the fixed cost is gone, a synth's time is per resource: each `bucket.arn` is a round
# trip to Node (jsii `get`) that returns a token, and every constructor call first runs the
# bindings' Python type checks (typing.get_type_hints + typeguard on every argument). Both
# grow with the model; neither changes the output.

class _Reference(str):
    """A Terraform reference ("${aws_s3_bucket.assets.arn}") computed in Python: the text
    cdktf resolves the token of `bucket.arn` to."""

    __slots__ = ()


# Reference text -> (resource, property getter) for the stack being built: how to fetch the
# real token when cdktf must tell a reference from literal text (see _with_tokens). Emptied
# before each stack, as two stacks of one run can have the same reference texts.
_REFERENCES: dict[str, tuple[object, Callable]] = {}
# (class, property) -> whether the Python reference was checked equal to cdktf's own.
_CHECKED: dict[tuple[type, str], bool] = {}
_DISALLOWED_IN_ID = re.compile(r"[^A-Za-z0-9_-]")  # cdktf's removeDisallowedCharacters
_MAX_ID = 255  # cdktf's MAX_ID_LEN: longer construct ids get a hashed logical id
_REFERENCE_TEXT = re.compile(r"\$\{[^${}]*\}")


def _reference_property(cls: type, name: str, real: property) -> property:
    """`real` (a string attribute getter of a resource class) answered in Python.

    cdktf's getter returns a token for `${<type>.<logical id>.<attribute>}`. For a resource
    made directly in a stack, with no count or for_each, the logical id is its construct id
    minus disallowed characters, and the attribute is the property's name. The first read of
    each (class, property) also asks cdktf and compares; on any difference that property
    goes through jsii from then on.
    """
    def get(self):
        prefix = self.__dict__.get("_gen_reference")
        checked = _CHECKED.get((cls, name))
        if prefix is None or checked is False:
            return real.fget(self)
        text = _Reference(f"${{{prefix}.{name}}}")
        if checked is None:
            from cdktf import Tokenization

            token = real.fget(self)
            cdktf_text = Tokenization.resolve(token, scope=self.__dict__["_gen_stack"], resolver=_resolver())
            _CHECKED[(cls, name)] = cdktf_text == text
            if cdktf_text != text:
                return token
        _REFERENCES.setdefault(text, (self, real.fget))
        return text

    return property(get, real.fset, real.fdel, real.__doc__)


@cache
def _resolver():
    from cdktf import DefaultTokenResolver, StringConcat

    return DefaultTokenResolver(StringConcat())


def _remember_reference_prefix(cls: type, data: bool) -> None:
    """Wrap cls.__init__ to note `<type>.<logical id>` of each resource made in a stack."""
    from cdktf import TerraformStack

    init = cls.__init__
    types_ = {}

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        scope = args[0] if args else kwargs.get("scope")
        construct_id = args[1] if len(args) > 1 else kwargs.get("id_")
        if (not isinstance(scope, TerraformStack) or not isinstance(construct_id, str)
                or kwargs.get("count") is not None or kwargs.get("for_each") is not None):
            return
        logical_id = _DISALLOWED_IN_ID.sub("", construct_id)
        if not logical_id or len(logical_id) > _MAX_ID:
            return
        if cls not in types_:
            types_[cls] = cls.TF_RESOURCE_TYPE
        self.__dict__["_gen_stack"] = scope
        self.__dict__["_gen_reference"] = f"{'data.' if data else ''}{types_[cls]}.{logical_id}"

    __init__.__wrapped__ = init
    cls.__init__ = __init__


def _forget_reference_on_set(cls: type, name: str) -> None:
    """Setting count/for_each (or a new logical id) after construction changes the
    reference: from then on the object's attributes go through jsii."""
    real = cls.__dict__[name]

    def set_(self, value):
        self.__dict__.pop("_gen_reference", None)
        if isinstance(real, property):
            real.fset(self, value)
        else:
            real(self, value)

    if isinstance(real, property):
        setattr(cls, name, property(real.fget, set_, real.fdel, real.__doc__))
    else:
        setattr(cls, name, set_)


def _with_tokens(value):
    """`value` with every Python-made reference replaced by cdktf's token.

    Inside Terraform functions and operators (Fn.*, Op.*) cdktf escapes `${` in literal
    strings; only a token renders as a reference there."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        def token(found):
            source = _REFERENCES.get(found.group(0))
            return found.group(0) if source is None else source[1](source[0])
        return _REFERENCE_TEXT.sub(token, value)
    if isinstance(value, list):
        return [_with_tokens(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_tokens(v) for k, v in value.items()}
    return value


class _AnyHint(dict):
    def __missing__(self, key):
        return None


def _no_type_hints(*args, **kwargs):
    return _AnyHint()


def _no_type_check(*args, **kwargs):
    return None


def _typing_without_hints() -> types.ModuleType:
    import typing

    module = types.ModuleType("typing")
    module.__dict__.update(typing.__dict__)
    module.get_type_hints = _no_type_hints
    return module


_BINDING_PREFIXES = ("cdktf", "constructs", *BINDINGS.values())


_SCALARS = (str, int, float, bool, type(None), _Reference)


def _struct_values_only(serialize: Callable) -> Callable:
    """jsii's serializer of arguments (jsii._kernel._make_reference_for_native), sending only
    the values a struct holds.

    jsii serializes a struct (a resource's config, a nested block) by reading every property
    it declares, through the generated getters (`typing.cast(typing.Optional[...],
    self._values.get(name))`), and sends the unset ones as null: ~70 properties for an ECS task
    definition's config, a handful set. The generated struct keeps what was given in `_values`
    (None is never stored), and jsii's kernel drops a null optional property exactly as an
    absent one (its struct deserializer maps values and skips undefined), so sending `_values`
    alone gives Node the same objects. Lists, dicts and scalars are walked here; anything else
    (jsii objects, enums, dates, a struct without `_values`) goes to jsii's own serializer.
    """
    def fast(kernel, value):
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is list:
            return [fast(kernel, item) for item in value]
        if kind is dict:
            return {"$jsii.map": {key: fast(kernel, item) for key, item in value.items()}}
        mapping = getattr(kind, "__jsii_name_mapping__", None)
        held = value.__dict__.get("_values") if mapping is not None and hasattr(value, "__dict__") else None
        if type(held) is not dict or getattr(kind, "__jsii_type__", None) is None:
            return serialize(kernel, value)
        return {"$jsii.struct": {"fqn": kind.__jsii_type__, "data": {
            jsii_name: fast(kernel, held[name]) for name, jsii_name in mapping.items() if held.get(name) is not None}}}

    fast._gen_struct_values_only = True
    fast.__wrapped__ = serialize
    return fast


def _lean_creates_fit() -> bool:
    """Whether jsii's Python runtime has what _lean_creates uses (checked before installing it)."""
    import attr
    import jsii.errors
    from jsii._kernel.providers import process
    from jsii._kernel.types import CreateRequest, CreateResponse, ObjRef

    return ([f.name for f in attr.fields(CreateRequest)] == ["fqn", "args", "overrides", "interfaces"]
            and all(hasattr(jsii.errors, name) for name in ("ErrorType", "JavaScriptError", "JSIIError"))
            and issubclass(CreateResponse, ObjRef) and [f.name for f in attr.fields(ObjRef)] == ["ref", "interfaces"]
            and all(hasattr(process, name) for name in (
                "jdefault", "ohook", "_stack_traces_enabled", "_ProcessResponse", "_OkayResponse", "_CallbackResponse"))
            and callable(getattr(process._NodeProcess, "send", None)))


def _lean_creates(send: Callable) -> Callable:
    """jsii's request/response exchange with Node (jsii's _NodeProcess.send), with `create`
    requests, nearly every request of a synth, written and read directly.

    jsii turns each request into a dict with cattrs, which walks every argument again after
    jsii's own serializer did, and turns each answer into attrs objects twice: about half of
    Python's ~80 µs per round trip. A create with no overrides is the plain dict cattrs would
    make ({"fqn", "args", "overrides", "interfaces", "api": "create"}); its answer is a
    reference, which jsii's JSON hook already made an ObjRef. Anything else (errors,
    callbacks, other requests) takes jsii's own path, and so does every request when jsii is
    asked to send host stack traces. The JSON encoder and decoder are made once, with the
    settings json.dumps and json.loads give them on each of jsii's calls.
    """
    from jsii._kernel.providers import process
    from jsii._kernel.types import CreateRequest, CreateResponse, ObjRef

    if process._stack_traces_enabled():
        return send
    encode = json.JSONEncoder(default=process.jdefault).encode
    decode = json.JSONDecoder(object_hook=process.ohook).decode

    def lean(self, request, response_type):
        if type(request) is not CreateRequest or request.overrides:
            return send(self, request, response_type)
        line = encode({"fqn": request.fqn, "args": request.args, "overrides": [],
                       "interfaces": request.interfaces, "api": "create"})
        self._process.stdin.write(line.encode("utf8") + b"\n")
        self._process.stdin.flush()
        message = decode(self._process.stdout.readline().decode("utf-8", "surrogatepass"))
        answer = message.get("ok") if len(message) == 1 else None
        if type(answer) is ObjRef:
            return CreateResponse(ref=answer.ref)  # what cattrs makes of it (jsii's _with_reference)
        return _answer(self, message, response_type)

    lean.__wrapped__ = send
    return lean


def _answer(node, message, response_type):
    """The end of jsii's _NodeProcess.send, for a message already read."""
    from jsii._kernel.providers import process
    from jsii.errors import ErrorType, JavaScriptError, JSIIError

    response = node._serializer.structure(message, process._ProcessResponse)
    if isinstance(response, process._OkayResponse):
        return node._serializer.structure(response.ok, response_type)
    if isinstance(response, process._CallbackResponse):
        return response.callback
    if response.name == ErrorType.JSII_FAULT.value:
        raise JSIIError(response.error) from JavaScriptError(response.stack)
    raise RuntimeError(response.error) from JavaScriptError(response.stack)


def _overrides_by_class(find: Callable) -> Callable:
    """jsii's search for the methods a Python subclass overrides (jsii._kernel._get_overides),
    which walks the object's classes on every create, done once per (class, object class)."""
    found: dict[tuple[type, type], list] = {}

    def overrides(klass, obj):
        key = (klass, type(obj))
        if key not in found:
            found[key] = find(klass, obj)
        return list(found[key])

    overrides.__wrapped__ = find
    return overrides


def _lighten_bindings() -> None:
    """Apply the techniques to every binding module imported so far (again on each call,
    for modules imported since).

    - Type checks: the generated code runs `typing.get_type_hints(stub)` and typeguard's
      `check_type` on every argument under `if __debug__:`, as if `python -O` were not
      given. Each module's own `typing` and `check_type` names are pointed at ones that do
      nothing. jsii's kernel in Node still checks every value against the assembly's types.
      GEN_TYPE_CHECKS=1 keeps them (the tests do).
    - References: string attributes of resources and data sources are answered in Python
      (_reference_property); `Fn`/`Op` calls get cdktf's tokens back (_with_tokens).
    - Structs: jsii sends only the values a struct holds, not a null for every property it
      declares (_struct_values_only).
    - Transport: create requests are written and read without cattrs (_lean_creates), and
      the overrides of a class are looked up once (_overrides_by_class).

    GEN_PLAIN_CDKTF=1 turns both off (and gen's Node preload and runtime, see _prepare_node).
    """
    import jsii
    import typing

    from cdktf import TerraformDataSource, TerraformElement, TerraformResource

    plain = bool(os.environ.get("GEN_PLAIN_CDKTF"))
    checks = plain or bool(os.environ.get("GEN_TYPE_CHECKS"))
    references = not plain
    kernel = sys.modules["jsii._kernel"]
    if not plain and not getattr(kernel._make_reference_for_native, "_gen_struct_values_only", False):
        kernel._make_reference_for_native = _struct_values_only(kernel._make_reference_for_native)
        kernel._get_overides = _overrides_by_class(kernel._get_overides)
        if _lean_creates_fit():
            node = sys.modules["jsii._kernel.providers.process"]._NodeProcess
            node.send = _lean_creates(node.send)
    if references and not getattr(jsii.sinvoke, "_gen_with_tokens", False):
        sinvoke = jsii.sinvoke

        def sinvoke_with_tokens(cls, method, args):
            return sinvoke(cls, method, _with_tokens(args))

        sinvoke_with_tokens._gen_with_tokens = True
        jsii.sinvoke = sinvoke_with_tokens
        for cls, name in ((TerraformResource, "count"), (TerraformResource, "for_each"),
                          (TerraformDataSource, "count"), (TerraformDataSource, "for_each"),
                          (TerraformElement, "override_logical_id")):
            _forget_reference_on_set(cls, name)
    without_hints = None
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in _BINDING_PREFIXES or getattr(module, "_gen_lightened", False):
            continue
        if not checks and getattr(module, "typing", None) is typing and callable(getattr(module, "check_type", None)):
            without_hints = without_hints or _typing_without_hints()
            module.typing = without_hints
            module.check_type = _no_type_check
        if references and name.split(".")[0] in BINDINGS.values():
            for cls in list(vars(module).values()):
                if (isinstance(cls, type) and cls.__module__ == name
                        and issubclass(cls, (TerraformResource, TerraformDataSource))):
                    _answer_references_in_python(cls, issubclass(cls, TerraformDataSource))
        module._gen_lightened = True


def _answer_references_in_python(cls: type, data: bool) -> None:
    import builtins

    for name, value in list(vars(cls).items()):
        if (isinstance(value, property) and value.fget is not None and not name.endswith("_input")
                and getattr(value.fget, "__annotations__", {}).get("return") is builtins.str):
            setattr(cls, name, _reference_property(cls, name, value))
    _remember_reference_prefix(cls, data)


def _builders(clouds: set[str]) -> dict:
    with _node_environment():
        for cloud in sorted(clouds):
            _import_package_lightly(BINDINGS[cloud])
    builders = {}
    for cloud in sorted(clouds):
        builders[cloud] = importlib.import_module(f"providers.{PROVIDER_PACKAGES[cloud]}.stack").build
    _lighten_bindings()
    return builders


# --- Synthesis ----------------------------------------------------------------------------

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
    builders = _builders({env.cloud for _, env in jobs})
    from cdktf import App, TerraformStack

    built = {}
    (scratch / "cdktf").mkdir(parents=True, exist_ok=True)  # cdktf makes only the last folder
    for index, env in jobs:
        if progress:
            progress(index, total, env.stack_name, env.cloud)
        cdktf_out = scratch / "cdktf" / env.stack_name
        app = App(outdir=str(cdktf_out), stack_traces=False, skip_validation=False)
        stack = TerraformStack(app, env.stack_name)
        _REFERENCES.clear()
        builders[env.cloud](stack, env)
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

    clouds = sorted({env.cloud for _, env in jobs})
    if len(clouds) < 2 or _node_started() or "fork" not in multiprocessing.get_all_start_methods():
        return _synth_in_process(jobs, total, scratch, progress)
    context = multiprocessing.get_context("fork")
    for stream in (sys.stdout, sys.stderr):  # or a child would print what is buffered again
        stream.flush()
    children = []
    for cloud in clouds:
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_synth_in_child, name=f"gen-synth-{cloud}",
                                args=([j for j in jobs if j[1].cloud == cloud], total, scratch, progress, send))
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
            results[env.stack_name] = StackResult(env.stack_name, env.name, env.cloud, int(record.get("resources", 0)),
                                                  _shown_path(out_dir, env), UP_TO_DATE)
    if stale:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
        try:
            jobs = list(enumerate((env for env, _ in stale), 1))
            built = _synth_all(jobs, len(jobs), scratch, progress)
            for env, print_ in stale:
                resources, sha256 = built[env.stack_name]
                _write_json(scratch / "new" / env.stack_name / FINGERPRINT_FILE, {
                    "fingerprint": print_, "format": FINGERPRINT_FORMAT, "resources": resources, "sha256": sha256})
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
    from gen.model.environments import resolve
    from gen.model.errors import InputError

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
    from gen.model.validate import load_app

    selection = select(load_app(app_path), env_names, from_env)
    return synth_environments(selection.environments, Path(out_dir)) if selection.environments else []
