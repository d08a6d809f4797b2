"""gen's package cache: what Node loads of cdktf and the provider bindings, kept on disk in the
form jsii's kernel reads fastest, holding only what gen's stacks use.

What: one entry per jsii package (constructs, cdktf, each cloud's provider), under
`$XDG_CACHE_HOME/gen/jsii/<name>/<version>/<key>/` (`~/.cache/gen` without XDG_CACHE_HOME),
keyed on the package's name, version and tarball size, this cache's format, and, for a
provider, the binding modules gen's `providers/<cloud>/` import. An entry holds the package's
`package.json`, its JavaScript (for a provider: `lib/index.js` and the modules gen uses), and
jsii's runtime type index (`.jsii.runtime.v1.json`, `.jsii.runtime-index.v1`,
`.jsii.runtime-defs.v1.jsonl`) with the types of those modules only. gen's runtime links the
entry where the kernel would have extracted the tarball (the `genPackage` edit of
runtime._KERNEL_PATCHES), so the kernel neither hashes nor extracts the tarball, and reads
the types a stack uses from the index.

Why: jsii's own package cache extracts each whole tarball (430 MB for AWS, of which gen uses
a few hundred of ~25,000 types and ~100 of ~2,200 modules) and builds its type index by
parsing the whole 130 MB `.jsii` (~450 MB of memory). A fresh CI runner pays that on every
job. An entry here is filled by one streaming pass over the tarball: each tar member is read
once, in chunks; the `.jsii` is split into its top-level values and types by its indentation
(jsii writes it with two spaces) and only the kept types are decoded. About 40 MB of memory,
a few MB on disk per provider.

What it relies on: the `.jsii` written by jsii with two-space indentation (types as
`"<fqn>": {` at four spaces inside `"types"`), a provider's types and modules named after
its binding modules (`s3_bucket`: types `<assembly>.s3Bucket.*`, JavaScript in
`lib/s3-bucket/`), no kept type referring to a type of the same assembly that is not kept,
a provider's `lib/index.js` that the preload's lazy index reads (so that modules not kept
are never required), and the kernel's runtime index format 1 (_KERNEL_MARKERS). Each is
checked while filling; an entry that would not fit is not made, and the package is loaded
by jsii from its tarball as before (slower, correct). Entries are written to a temporary
folder and renamed into place; an entry whose listed files are missing or have another size
is filled again.

May import: the standard library and `gen.synth.packages`, `gen.synth.speed.preload`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gen.synth.packages import _bundled_tarball
from gen.synth.speed.preload import _index_problems

FORMAT = 1
ENTRY_FILE = ".gen-entry.json"  # written last: the files of the entry and their sizes
INDEX_VERSION = 1  # jsii's RUNTIME_INDEX_VERSION this cache writes
MANIFEST_FILE = f".jsii.runtime.v{INDEX_VERSION}.json"
INDEX_FILE = f".jsii.runtime-index.v{INDEX_VERSION}"
DEFS_FILE = f".jsii.runtime-defs.v{INDEX_VERSION}.jsonl"
_KINDS = ("class", "interface", "enum")  # jsii's KIND_BY_ORDINAL
_SLIM = frozenset(("docs", "locationInModule", "sourceLine"))  # jsii's slimReplacer drops these
_CHUNK = 1 << 22
# A key of the assembly's top-level object (two spaces) or of one of its values (four spaces).
_KEY = re.compile(rb'\n( {2,4})"([^"\n]*)": ')
_LOAD = re.compile(r'jsii\.JSIIAssembly\.load\(\s*"([^"]+)",\s*"([^"]+)",')
_FQN_REFERENCE = re.compile(r'"fqn":"([^"]+)"')


class Unfit(Exception):
    """The package does not have the layout an entry relies on."""


@dataclass(frozen=True)
class Package:
    python: str  # the Python binding package, e.g. cdktf_cdktf_provider_aws
    name: str  # the jsii assembly, e.g. @cdktf/provider-aws
    version: str
    tarball: Path
    modules: frozenset[str] | None  # the binding modules to keep (s3_bucket, ...); None: all of it

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


def cache_root() -> Path:
    """Where gen keeps what it caches: $XDG_CACHE_HOME/gen, else ~/.cache/gen."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "gen"


def find_package(python: str, modules: frozenset[str] | None) -> Package:
    """The jsii package a Python binding package bundles (Unfit when it cannot be found)."""
    spec = importlib.util.find_spec(python)
    if spec is None or not spec.submodule_search_locations:
        raise Unfit(f"{python} is not installed")
    folder = Path(list(spec.submodule_search_locations)[0])
    tarball = _bundled_tarball(folder)
    if isinstance(tarball, str):
        raise Unfit(tarball)
    try:
        found = _LOAD.search((folder / "_jsii" / "__init__.py").read_text("utf-8"))
    except OSError as e:
        raise Unfit(f"{python}._jsii cannot be read: {e}") from e
    if found is None:
        raise Unfit(f"{python}._jsii does not load its assembly with jsii.JSIIAssembly.load")
    return Package(python, found.group(1), found.group(2), tarball, modules)


def entry_folder(package: Package, root: Path | None = None) -> Path:
    """The entry of `package`: keyed on its name, version, tarball, this format and the modules kept."""
    key = json.dumps({"format": FORMAT, "index": INDEX_VERSION, "tarball": [package.tarball.name, package.tarball.stat().st_size],
                      "modules": None if package.modules is None else sorted(package.modules)}, sort_keys=True)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]
    return (root or cache_root()) / "jsii" / package.name / package.version / digest


def is_complete(folder: Path) -> bool:
    """Whether every file the entry lists is there with the size it was written with."""
    try:
        listed = json.loads((folder / ENTRY_FILE).read_text("utf-8"))
        return listed.get("format") == FORMAT and all(
            (folder / name).stat().st_size == size for name, size in listed["files"].items())
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return False


def ensure(package: Package, root: Path | None = None) -> Path:
    """The entry of `package`, filled first when it is missing, partial or damaged."""
    folder = entry_folder(package, root)
    if is_complete(folder):
        return folder
    (root or cache_root()).mkdir(mode=0o700, parents=True, exist_ok=True)  # Node runs what it holds
    folder.parent.mkdir(parents=True, exist_ok=True)
    locks = (root or cache_root()) / "locks"
    locks.mkdir(exist_ok=True)
    with _locked(locks / f"{folder.name}.lock"):  # another process may be filling the entry
        if not is_complete(folder):
            _fill_into(package, folder)
    return folder


@contextlib.contextmanager
def _locked(path: Path):
    """Hold an exclusive lock on `path` (where the platform has fcntl; else no lock: a second
    process fills the same entry and keeps the first one's)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fill_into(package: Package, folder: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        _fill(package, scratch)
        if folder.exists() and not is_complete(folder):
            shutil.rmtree(folder, ignore_errors=True)
        try:
            os.rename(scratch, folder)
        except OSError:
            if not is_complete(folder):  # not another process's complete entry: a real failure
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _norm(name: str) -> str:
    """A module's name as it compares across Python (s3_bucket), jsii (s3Bucket) and files (s3-bucket)."""
    return name.replace("_", "").replace("-", "").lower()


def _fill(package: Package, folder: Path) -> None:
    """Fill `folder` from the package's tarball in one streaming pass."""
    wanted = None if package.modules is None else {_norm(m): m for m in package.modules}
    written: dict[str, int] = {}
    seen_dirs: set[str] = set()
    folders: set[Path] = set()
    indexed = None
    with tarfile.open(package.tarball, "r|gz") as tar:
        for member in tar:
            if not member.name.startswith("package/"):
                raise Unfit(f"{package.tarball.name}: {member.name} is not under package/")
            relative = member.name[len("package/"):]
            parts = relative.split("/")
            if not member.isfile() or ".." in parts or relative.startswith("/"):
                continue
            source = tar.extractfile(member)
            if relative == ".jsii":
                indexed = _index_assembly(source, package, wanted, folder)
                continue
            if not _kept_file(parts, wanted):
                continue
            if wanted is not None and len(parts) > 2:
                seen_dirs.add(_norm(parts[1]))
            data = source.read()
            if wanted is not None and relative == "lib/index.js":
                problems = _index_problems(data.decode("utf-8"))
                if problems:
                    raise Unfit(f"{package.tarball.name} lib/index.js cannot be read lazily: {problems[0]}")
            target = folder / relative
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            target.write_bytes(data)
            written[relative] = len(data)
    if indexed is None:
        raise Unfit(f"{package.tarball.name} has no package/.jsii")
    if "package.json" not in written:
        raise Unfit(f"{package.tarball.name} has no package/package.json")
    if wanted is not None:
        missing = sorted(module for key, module in wanted.items() if key not in seen_dirs or key not in indexed)
        if missing:
            raise Unfit(f"{package.tarball.name} has no module or no types for {', '.join(missing)}")
    for name in (MANIFEST_FILE, INDEX_FILE, DEFS_FILE):
        written[name] = (folder / name).stat().st_size
    (folder / ENTRY_FILE).write_text(json.dumps({"format": FORMAT, "package": package.spec, "files": written},
                                                sort_keys=True), "utf-8")


# The files Node loads: a package keeps only these (no types, docs, maps or tests' configs).
_RUNTIME_FILES = (".js", ".cjs", ".mjs", ".json", ".node")


def _kept_file(parts: list[str], wanted: dict[str, str] | None) -> bool:
    if not parts[-1].endswith(_RUNTIME_FILES):
        return False
    if wanted is None:
        return True
    if parts == ["package.json"] or parts == ["lib", "index.js"]:
        return True
    return len(parts) > 2 and parts[0] == "lib" and _norm(parts[1]) in wanted


def _records(stream):
    """(depth, key, data, start, end) for each key at depth 1 or 2 of a two-space indented JSON
    object read from `stream`: its raw value text is data[start:end], up to the next such key.
    A key with a quote or newline in it is not found and stays in the text before it."""
    buffer = b""
    while True:
        chunk = stream.read(_CHUNK)
        data = buffer + chunk if buffer else chunk
        current = None
        for match in _KEY.finditer(data):
            if current is not None:
                yield current[0], current[1], data, current[2], match.start()
            depth, odd = divmod(len(match.group(1)), 2)
            if odd:
                raise Unfit(f"a key indented by three spaces: {match.group(0)[:80]!r}")
            current = (depth, match.group(2), match.end(), match.start())
        if not chunk:
            if current is not None:
                yield current[0], current[1], data, current[2], len(data)
            return
        buffer = data if current is None else data[current[3]:]


def _slim(value):
    if isinstance(value, dict):
        return {k: _slim(v) for k, v in value.items() if k not in _SLIM}
    if isinstance(value, list):
        return [_slim(v) for v in value]
    return value


def _index_assembly(stream, package: Package, wanted: dict[str, str] | None, folder: Path) -> set[str]:
    """Write jsii's runtime index of the kept types of the `.jsii` in `stream` into `folder`,
    reading it once, in chunks. Returns the kept modules (normalized) that had types."""
    head = stream.read(5)
    if head != b'{\n  "':
        raise Unfit(f"{package.tarball.name} .jsii is not written with two-space indentation (it starts {head!r})")
    stream = _Prefixed(b'\n  "', stream)
    decode = json.JSONDecoder().raw_decode
    metadata: dict = {}
    top, parts = None, None
    names, kinds, offsets = [], bytearray(), [0]
    modules_with_types: set[str] = set()
    prefix = package.name + "."
    with open(folder / DEFS_FILE, "wb") as defs:
        def finish_top():
            if top is not None and parts is not None:
                metadata[top] = decode(b"".join(parts).decode("utf-8"))[0]

        for depth, key, data, start, end in _records(stream):
            if depth == 1:
                finish_top()
                top = key.decode("utf-8")
                parts = None if top in ("types", "readme", "submodules") else [data[start:end]]
            elif top == "types":
                fqn = key.decode("utf-8")
                if not fqn.startswith(prefix):
                    raise Unfit(f"{package.tarball.name} .jsii: type {fqn} is not of {package.name}")
                module = fqn[len(prefix):].split(".")[0] if fqn.count(".") > 1 else None
                if wanted is not None and module is not None and _norm(module) not in wanted:
                    continue
                if module is not None:
                    modules_with_types.add(_norm(module))
                value = decode(data[start:end].decode("utf-8"))[0]
                line = (json.dumps(_slim(value), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
                defs.write(line)
                names.append(fqn)
                kinds.append(_KINDS.index(value["kind"]))
                offsets.append(offsets[-1] + len(line))
            elif parts is not None:
                parts.append(b'\n    "' + key + b'": ' + data[start:end])
        finish_top()
    if metadata.get("name") != package.name or metadata.get("version") != package.version:
        raise Unfit(f"{package.tarball.name} .jsii is {metadata.get('name')}@{metadata.get('version')}, "
                    f"not {package.spec}")
    if wanted is not None:
        kept = set(names)
        text = (folder / DEFS_FILE).read_text("utf-8")
        outside = sorted({f for f in _FQN_REFERENCE.findall(text) if f.startswith(prefix) and f not in kept})
        if outside:
            raise Unfit(f"{package.tarball.name}: kept types refer to types of modules not kept: {outside[:5]}")
    name_bytes = "\n".join(names).encode("utf-8")
    offset_bytes = b"".join(o.to_bytes(4, "little") for o in offsets)
    (folder / INDEX_FILE).write_bytes(name_bytes + bytes(kinds) + offset_bytes)
    layout = {"typeCount": len(names), "names": {"start": 0, "length": len(name_bytes)},
              "kinds": {"start": len(name_bytes), "length": len(kinds)},
              "offsets": {"start": len(name_bytes) + len(kinds), "length": len(offset_bytes)}}
    manifest = {"schema": "jsii/runtime-index", "version": INDEX_VERSION, "index": INDEX_FILE, "defs": DEFS_FILE,
                "assemblyMetadata": metadata, "layout": layout}
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return modules_with_types


class _Prefixed:
    """A stream with `prefix` in front of what is left of `stream`."""

    def __init__(self, prefix: bytes, stream):
        self.prefix, self.stream = prefix, stream

    def read(self, size: int) -> bytes:
        if self.prefix:
            prefix, self.prefix = self.prefix, b""
            return prefix + self.stream.read(max(size - len(prefix), 0))
        return self.stream.read(size)
