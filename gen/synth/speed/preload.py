"""The Node preload: light Node loading, no token stack traces, a lone stack prepared alone,
plain values resolved directly, and an exit that waits for jsii's type index workers.

What: a script given to Node with NODE_OPTIONS=--require (_NODE_PRELOAD_JS; the comment
below says what each of its parts does). Why: a provider package's `lib/index.js` eagerly
`require`s all of its ~2,000 resource modules (about 2 s and 400 MB in Node), cdktf records a
JavaScript stack trace for every token it creates, and its resolve makes a context and two
closures for every plain value. What it relies on: the generated shape of a provider's
`lib/index.js` (_index_problems), cdktf's `captureStackTrace`, `TerraformStack.prepareStack`
and the exact resolve.js and encoding.js of cdktf 0.21.0 (_RESOLVE_SOURCES).

Fallback: each part checks what it relies on when Node loads the file and leaves a file it
does not recognise as it is (GEN_REPORT_NODE=1 says so). Layout checks, run by the tests:
provider_index_problems, cdktf_problems.

May import: the standard library and `gen.synth.packages`.
"""

from __future__ import annotations

import hashlib
import json
import re

from gen.synth.packages import _member_text


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
#
# 6. A V8 compile cache (GEN_COMPILE_CACHE names its folder; Node 20 has none of its own): V8
# compiles every module Node loads again on every run (the kernel, cdktf and its dependencies,
# the provider modules a stack uses: 0.15-0.4 s per cloud). The preload compiles a module with
# the code V8 cached for the same text (a file named by the text's SHA-1, per Node version and
# architecture) and, at exit, writes the code of each module compiled without it. A module is
# run exactly as Node runs it (Module.wrap, then the wrapper called with exports, require,
# module, __filename, __dirname); V8 rejects cached code that does not fit the running V8 and
# compiles the text instead.
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
// Written by gen (gen/synth/speed/preload.py): load a cdktf provider's resource modules on first
// use, skip cdktf's stack trace of every token, prepare a lone stack without the cross-stack
// pass, exit only once jsii's type index workers are done, resolve plain values without
// cdktf's per-value bookkeeping, and keep V8's compiled code between runs.
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
const CODE_CACHE = process.env.GEN_COMPILE_CACHE;
if (CODE_CACHE && threads.isMainThread && typeof Module.wrap === "function") {
  const vm = require("vm");
  const path = require("path");
  const folder = path.join(CODE_CACHE, `${process.version}-${process.arch}`);
  const compile = Module.prototype._compile;
  const fresh = [];
  let hits = 0;
  Module.prototype._compile = function (content, filename) {
    if (typeof content !== "string" || !filename.endsWith(".js")) return compile.call(this, content, filename);
    const file = path.join(folder, `${require("crypto").createHash("sha1").update(content).digest("hex")}.bin`);
    let cachedData;
    try { cachedData = fs.readFileSync(file); } catch (e) { cachedData = undefined; }
    const script = new vm.Script(Module.wrap(content), { filename, cachedData });
    if (cachedData && !script.cachedDataRejected) hits += 1;
    else fresh.push([file, script]);
    const module = this;
    const require_ = function require(id) { return module.require(id); };
    require_.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
    require_.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
    require_.main = process.mainModule;
    require_.extensions = Module._extensions;
    require_.cache = Module._cache;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(module.exports, module.exports, require_, module, filename, path.dirname(filename));
  };
  process.once("exit", () => {
    let written = 0;
    try {
      if (fresh.length > 0) fs.mkdirSync(folder, { recursive: true });
      for (const [file, script] of fresh) {
        const temporary = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temporary, script.createCachedData());
        fs.renameSync(temporary, file);
        written += 1;
      }
    } catch (e) {
      report(`compile cache not written (${e && e.message}): ${folder}`);
    }
    report(`compile cache: ${hits} of ${hits + fresh.length} modules from it, ${written} written: ${folder}`);
  });
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


def provider_index_problems(tar, tarball_name: str) -> list[str]:
    """Why the lazy index cannot read the provider's lib/index.js in its open tarball."""
    index_js = _member_text(tar, "package/lib/index.js")
    if index_js is None:
        return [f"{tarball_name} has no package/lib/index.js"]
    return [f"{tarball_name} lib/index.js: {p}" for p in _index_problems(index_js)[:5]]


# What the preload's parts rely on in cdktf's JavaScript, beyond the resolve sources.
_CDKTF_EXPECTED = {
    "package/lib/tokens/private/stack-trace.js": ["exports.captureStackTrace = captureStackTrace;"],
    "package/lib/terraform-stack.js": [
        "    prepareStack() {\n        // Ensure we have a backend configured\n        this.ensureBackendExists();\n"
        "        // A preparing resolve run might add new resources to the stack, e.g. for cross stack references.\n"
        "        terraformElements(this).forEach((e) => (0, _tokens_1.resolve)(this, e.toTerraform(), true));\n    }"],
    "package/lib/tfExpression.js": ["if (context.preparing) {"],
}


def cdktf_problems(tar, tarball_name: str) -> list[str]:
    """What in cdktf's open tarball no longer has the layout the preload relies on."""
    problems = []
    for name, sha256 in _RESOLVE_SOURCES.items():
        text = _member_text(tar, f"package/lib/tokens/private/{name}")
        if text is None or hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
            problems.append(f"{tarball_name} lib/tokens/private/{name} is not the file the preload's resolve was "
                            "written against: check plainValuesFirst against it, then update _RESOLVE_SOURCES")
    for name, snippets in _CDKTF_EXPECTED.items():
        text = _member_text(tar, name) or ""
        problems += [f"{tarball_name} {name} no longer has {snippet[:90]!r}" for snippet in snippets
                     if snippet not in text]
    preparing = sum(tar.extractfile(m).read().decode("utf-8", "replace").count("context.preparing")
                    for m in tar.getmembers() if m.isfile() and m.name.endswith(".js"))
    if preparing != 1:
        problems.append(f"{tarball_name}: `context.preparing` is read in {preparing} places, not only by "
                        "cross-stack references: the single-stack prepareStack may no longer be safe")
    return problems
