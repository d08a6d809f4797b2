"""gen's jsii runtime: jsii's kernel, with gen's edits, in the one Node process, and the type
index of a newly cached package built before the kernel loads it; plus the set-up of that
Node process (preload, runtime, quiet banners).

What and why: see the comment above _KERNEL_FILES (jsii's own runtime is a relay process in
front of a second Node process) and _KERNEL_PATCHES (an error message formatted on every
value conversion). Index building: a package in jsii's cache without a type index would make
the kernel parse its whole assembly (a provider's is 130 MB, ~450 MB of memory) and build the
index alongside; _JSII_RUNTIME_JS builds it first in a process of its own. What it relies on:
the kernel files and markers of _KERNEL_MARKERS, each edit's text occurring once.

Fallback: when the installed kernel does not fit (_kernel_problems), or JSII_RUNTIME is set,
jsii's own runtime runs; an edit whose text is not found is not applied. GEN_PLAIN_CDKTF=1
turns the preload and the runtime off. Layout checks, run by the tests: _kernel_problems,
kernel_edit_problems.

May import: the standard library and `gen.synth.speed.preload`.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen.synth.speed.cache import INDEX_VERSION, Unfit, cache_root, ensure, entry_folder, find_package, is_complete
from gen.synth.speed.preload import _NODE_PRELOAD_JS


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
    # Load a package from gen's package cache (gen.synth.speed.cache) where gen's runtime has an
    # entry for it: link the entry where the kernel would extract the tarball, as a cache hit
    # (so that the kernel reads the entry's type index), instead of hashing and extracting it.
    "st.extract(e.tarball,_,{strict:!0,strip:1,unlink:!0},e.name,e.version)":
        "(globalThis.genPackage&&globalThis.genPackage(e.name,e.version,_))"
        "||st.extract(e.tarball,_,{strict:!0,strip:1,unlink:!0},e.name,e.version)",
}
# Found in the edited kernel when the edit that loads packages from gen's package cache
# applied: without it, no entry is made or used.
_PACKAGE_EDIT = "globalThis.genPackage(e.name,e.version,_)"
# What gen's package cache relies on in the kernel besides that edit: the runtime index format
# it writes (gen.synth.speed.cache.INDEX_VERSION). Without it, no entry is made or used.
_PACKAGE_CACHE_MARKERS = {
    f"RUNTIME_INDEX_VERSION={INDEX_VERSION};":
        f"the kernel no longer reads runtime index format {INDEX_VERSION} (gen's package cache writes it)",
    "[ne.TypeKind.Class,ne.TypeKind.Interface,ne.TypeKind.Enum]":
        "the kernel's runtime index no longer numbers kinds class, interface, enum (gen's package cache)",
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
// gen's package cache: the kernel (edited) asks here before it extracts a package's tarball.
const PACKAGES = JSON.parse(process.env.GEN_PACKAGES || "{}");
globalThis.genPackage = function (name, version, packageDir) {
  const entry = PACKAGES[`${name}@${version}`];
  if (!entry) return undefined;
  fs.mkdirSync(path.dirname(packageDir), { recursive: true });
  fs.symlinkSync(entry, packageDir);
  report(`package from gen's cache: ${name}@${version}`);
  return { cache: "hit" };
};
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


def _patched_kernel(program: str) -> tuple[str, int]:
    """The kernel's lib/program.js with every edit of _KERNEL_PATCHES that fits it, and how
    many fitted."""
    applied = 0
    for text, replacement in _KERNEL_PATCHES.items():
        if program.count(text) == 1:
            program = program.replace(text, replacement)
            applied += 1
    return program, applied


def _prepare_node(packages: dict[str, frozenset[str] | None] | None = None) -> dict[str, str]:
    """Set up the Node process jsii is about to start: gen's preload and, when the installed
    kernel has the layout it relies on, gen's runtime, which loads `packages` (Python binding
    package -> the binding modules to keep, None for all) from gen's package cache. Returns the
    variables to start it with. GEN_PLAIN_CDKTF=1: neither."""
    if os.environ.get("GEN_PLAIN_CDKTF"):
        return {}
    folder = Path(tempfile.mkdtemp(prefix="gen-node-"))
    atexit.register(shutil.rmtree, folder, True)  # Node reads these files while it runs
    (folder / "preload.js").write_text(_NODE_PRELOAD_JS, "utf-8")
    variables = {}
    if not os.environ.get("GEN_NO_COMPILE_CACHE"):
        variables["GEN_COMPILE_CACHE"] = str(cache_root() / "v8")
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
        if packages and not _package_cache_problems(text):
            variables["GEN_PACKAGES"] = json.dumps(_cached_packages(packages), sort_keys=True)
        (folder / "runtime.js").write_text(_JSII_RUNTIME_JS, "utf-8")
        variables["JSII_RUNTIME"] = str(folder / "runtime.js")
        options.append("--preserve-symlinks")
    variables["NODE_OPTIONS"] = " ".join(o for o in options if o)
    return variables


# Python binding package -> the binding modules its entry keeps (None: all), for each package
# this process's Node loads from gen's package cache.
SERVED: dict[str, frozenset[str] | None] = {}


def _package_cache_problems(edited_program: str) -> list[str]:
    """Why gen's package cache cannot be used with this edited kernel (empty: it can)."""
    problems = [why for marker, why in _PACKAGE_CACHE_MARKERS.items() if marker not in edited_program]
    if _PACKAGE_EDIT not in edited_program:
        problems.append("the edit that loads packages from gen's package cache did not apply")
    return problems


def _cached_packages(packages: dict[str, frozenset[str] | None]) -> dict[str, str]:
    """name@version -> entry folder in gen's package cache, for each of `packages` that fits
    (filled first where needed); one that does not is left to jsii (GEN_REPORT_NODE=1 says why)."""
    if os.environ.get("GEN_NO_PACKAGE_CACHE"):
        return {}
    report = sys.stderr.write if os.environ.get("GEN_REPORT_NODE") else (lambda text: None)
    entries = {}
    found = []
    for python, modules in packages.items():
        try:
            found.append(find_package(python, modules))
        except Unfit as e:
            report(f"gen: {python} left to jsii's package cache: {e}\n")
    # Largest first: one cloud's process fills its provider while the other's fills cdktf.
    for package in sorted(found, key=lambda p: (-p.tarball.stat().st_size, p.python)):
        python, modules = package.python, package.modules
        try:
            filled = not is_complete(entry_folder(package))
            started = time.perf_counter()
            entries[package.spec] = str(ensure(package))
            SERVED[python] = modules
            if filled:
                report(f"gen: package cache filled in {(time.perf_counter() - started) * 1000:.0f} ms: {package.spec}\n")
        except (Unfit, OSError) as e:
            report(f"gen: {python} left to jsii's package cache: {e}\n")
    return entries


def _node_started() -> bool:
    """Whether jsii's Node process runs in this process: it starts with the first assembly
    load, which is always constructs' (cdktf and every provider depend on it)."""
    return "constructs._jsii" in sys.modules


@contextlib.contextmanager
def _node_environment(packages: dict[str, frozenset[str] | None] | None = None):
    """Within: the variables jsii's Node process must start with (it starts on the first import
    of a binding package). After: this process's environment as it was, so that programs it
    starts later (a test's `gen`, say) do not inherit them."""
    if _node_started():
        yield  # Node is running already
        return
    variables = {**_quiet_node(), **_prepare_node(packages)}
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


def kernel_edit_problems() -> list[str]:
    """gen's edits that no longer apply to the installed kernel (each must occur once)."""
    kernel = _kernel_folder()
    if kernel is None or not (kernel / "lib__program.js").is_file():
        return []
    program = (kernel / "lib__program.js").read_text("utf-8")
    problems = [f"gen's edit no longer applies (found {program.count(text)} times, not once): {text[:80]!r}"
                for text in _KERNEL_PATCHES if program.count(text) != 1]
    return problems + [why for marker, why in _PACKAGE_CACHE_MARKERS.items() if marker not in program]
