"""gen's package cache (gen/synth/speed/cache.py): what an entry holds, its key, its repair,
and its refusals. Built from small packages made here, and checked against jsii's own type
index builder. The real packages are covered by tests/test_synth.py (a cold run).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from gen.synth.speed import cache
from gen.synth.speed.runtime import _kernel_folder

ASSEMBLY = "@acme/provider-demo"


def _type(fqn: str, kind: str = "class", refers_to: str | None = None) -> dict:
    value = {"assembly": ASSEMBLY, "fqn": fqn, "kind": kind, "name": fqn.rsplit(".", 1)[1],
             "docs": {"summary": "Ünïcode docs, dropped from the index."},
             "locationInModule": {"filename": "src/x.ts", "line": 1}}
    if kind == "class":
        value["properties"] = [{"name": "arn", "type": {"primitive": "string"}, "docs": {"summary": "x"}}]
    if kind == "enum":
        value["members"] = [{"name": "ONE"}]
    if refers_to:
        value["initializer"] = {"parameters": [{"name": "config", "type": {"fqn": refers_to}}]}
    return value


def make_package(folder: Path, *, types: dict | None = None, index_js: str | None = None,
                 jsii_text: str | None = None, version: str = "1.2.3") -> cache.Package:
    """A jsii package tarball like a provider's: modules s3Bucket (s3-bucket/) and dataAws (data-aws/)."""
    types = types if types is not None else {
        f"{ASSEMBLY}.s3Bucket.S3Bucket": _type(f"{ASSEMBLY}.s3Bucket.S3Bucket", refers_to=f"{ASSEMBLY}.s3Bucket.S3BucketConfig"),
        f"{ASSEMBLY}.s3Bucket.S3BucketConfig": _type(f"{ASSEMBLY}.s3Bucket.S3BucketConfig", "interface"),
        f"{ASSEMBLY}.dataAws.DataAws": _type(f"{ASSEMBLY}.dataAws.DataAws"),
        f"{ASSEMBLY}.dataAws.Mode": _type(f"{ASSEMBLY}.dataAws.Mode", "enum"),
    }
    assembly = {"author": {"name": "Acme", "roles": ["author"]}, "dependencies": {"cdktf": "^0.21.0"},
                "dependencyClosure": {"cdktf": {"targets": {"js": {"npm": "cdktf"}}}}, "description": "demo",
                "jsiiVersion": "5.0.0", "keywords": ["cdktf", "demo"], "name": ASSEMBLY,
                "readme": {"markdown": "# demo\n"}, "schema": "jsii/0.10.0",
                "submodules": {f"{ASSEMBLY}.s3Bucket": {"symbolId": "src/s3-bucket/index:"}},
                "targets": {"js": {"npm": ASSEMBLY}}, "types": types, "version": version, "fingerprint": "abc="}
    files = {
        ".jsii": jsii_text if jsii_text is not None else json.dumps(assembly, indent=2, ensure_ascii=False),
        "package.json": json.dumps({"name": ASSEMBLY, "version": version, "main": "lib/index.js"}),
        "README.md": "# demo\n",
        "lib/index.js": index_js if index_js is not None else (
            '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
            'exports.dataAws = exports.s3Bucket = void 0;\n'
            'exports.s3Bucket = require("./s3-bucket");\nexports.dataAws = require("./data-aws");\n'),
        "lib/index.d.ts": "export {};\n",
        "lib/s3-bucket/index.js": "exports.S3Bucket = class {};\n",
        "lib/s3-bucket/index.d.ts": "export {};\n",
        "lib/data-aws/index.js": "exports.DataAws = class {};\n",
    }
    folder.mkdir(parents=True, exist_ok=True)
    tarball = folder / f"provider-demo@{version}.jsii.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return cache.Package("demo_provider", ASSEMBLY, version, tarball, frozenset({"s3_bucket"}))


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_an_entry_holds_the_kept_modules_and_only_their_types(tmp_path):
    package = make_package(tmp_path / "pkg")
    entry = cache.ensure(package, tmp_path / "cache")
    assert entry == cache.entry_folder(package, tmp_path / "cache")
    assert files(entry) == [".gen-entry.json", ".jsii.runtime-defs.v1.jsonl", ".jsii.runtime-index.v1",
                            ".jsii.runtime.v1.json", "lib/index.js", "lib/s3-bucket/index.js", "package.json"]
    defs = [json.loads(line) for line in (entry / cache.DEFS_FILE).read_text("utf-8").splitlines()]
    assert [d["fqn"] for d in defs] == [f"{ASSEMBLY}.s3Bucket.S3Bucket", f"{ASSEMBLY}.s3Bucket.S3BucketConfig"]
    assert "docs" not in json.dumps(defs) and "locationInModule" not in json.dumps(defs)
    manifest = json.loads((entry / cache.MANIFEST_FILE).read_text("utf-8"))
    assert "types" not in manifest["assemblyMetadata"] and "readme" not in manifest["assemblyMetadata"]
    assert manifest["assemblyMetadata"]["keywords"] == ["cdktf", "demo"]
    assert manifest["assemblyMetadata"]["fingerprint"] == "abc="
    assert cache.is_complete(entry)


def index_by_jsii(package_dir: Path) -> tuple[dict, list[str], bytes, list]:
    """jsii's own runtime index of an extracted package, built by the kernel's index worker."""
    worker = _kernel_folder() / "lib__runtime-index-worker.js"
    program = _kernel_folder() / "lib__program.js"
    features = json.loads(re.search(r"ASSEMBLY_SUPPORTED_FEATURES=(\[[^\]]*\])", program.read_text("utf-8")).group(1))
    script = ('const { Worker } = require("worker_threads");\n'
              f'new Worker({json.dumps(str(worker))}, {{ workerData: {{ packageDir: {json.dumps(str(package_dir))}, '
              f'supportedFeatures: {json.dumps(features)} }} }})'
              '.on("message", (m) => { if (m && m.error) { console.error(m.error); process.exitCode = 1; } });\n')
    completed = subprocess.run([os.environ.get("JSII_NODE", "node"), "-e", script], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    return read_index(package_dir)


def read_index(folder: Path) -> tuple[dict, list[str], bytes, list]:
    manifest = json.loads((folder / cache.MANIFEST_FILE).read_text("utf-8"))
    index = (folder / cache.INDEX_FILE).read_bytes()
    layout = manifest["layout"]
    names = index[:layout["names"]["length"]].decode("utf-8").split("\n")
    kinds = index[layout["kinds"]["start"]:layout["offsets"]["start"]]
    defs = [json.loads(line) for line in (folder / cache.DEFS_FILE).read_text("utf-8").splitlines()]
    return manifest["assemblyMetadata"], names, kinds, defs


def test_the_index_of_a_whole_package_is_the_one_jsii_builds(tmp_path):
    """Kept whole (as cdktf and constructs are), an entry's index reads as jsii's own: the same
    metadata, names, kinds and definitions."""
    package = make_package(tmp_path / "pkg")
    whole = cache.Package(package.python, package.name, package.version, package.tarball, None)
    entry = cache.ensure(whole, tmp_path / "cache")
    assert "lib/data-aws/index.js" in files(entry)
    extracted = tmp_path / "extracted"
    with tarfile.open(package.tarball) as tar:
        tar.extractall(extracted, filter="data")
    assert read_index(entry) == index_by_jsii(extracted / "package")


def test_the_key_is_the_versions_the_tarball_and_the_modules_kept(tmp_path):
    package = make_package(tmp_path / "one")
    root = tmp_path / "cache"
    same = make_package(tmp_path / "two")
    assert cache.entry_folder(package, root) == cache.entry_folder(same, root)
    newer = make_package(tmp_path / "three", version="1.2.4")
    assert cache.entry_folder(newer, root).parent.name == "1.2.4"
    more = cache.Package(package.python, package.name, package.version, package.tarball, frozenset({"s3_bucket", "data_aws"}))
    keys = {cache.entry_folder(p, root) for p in (package, newer, more)}
    assert len(keys) == 3
    assert cache.entry_folder(package, root).is_relative_to(root / "jsii" / ASSEMBLY / "1.2.3")
    cache.ensure(package, root)
    cache.ensure(more, root)
    assert "lib/data-aws/index.js" in files(cache.entry_folder(more, root))
    assert "lib/data-aws/index.js" not in files(cache.entry_folder(package, root))


def test_the_cache_root_follows_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_root() == tmp_path / "gen"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: relative paths are invalid
    assert cache.cache_root() == Path.home() / ".cache" / "gen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_root() == Path.home() / ".cache" / "gen"


@pytest.mark.parametrize("damage", ["truncated", "missing file", "no entry file", "entry file not json"])
def test_a_damaged_or_partial_entry_is_filled_again(tmp_path, damage):
    package = make_package(tmp_path / "pkg")
    entry = cache.ensure(package, tmp_path / "cache")
    good = {name: (entry / name).read_bytes() for name in files(entry)}
    if damage == "truncated":
        (entry / cache.DEFS_FILE).write_bytes((entry / cache.DEFS_FILE).read_bytes()[:10])
    elif damage == "missing file":
        (entry / "lib" / "s3-bucket" / "index.js").unlink()
    elif damage == "no entry file":
        (entry / cache.ENTRY_FILE).unlink()
    else:
        (entry / cache.ENTRY_FILE).write_text("{", "utf-8")
    assert not cache.is_complete(entry)
    assert cache.ensure(package, tmp_path / "cache") == entry
    assert {name: (entry / name).read_bytes() for name in files(entry)} == good
    assert [p.name for p in entry.parent.iterdir()] == [entry.name], "a scratch folder was left behind"


def test_an_entry_another_process_completed_first_is_kept(tmp_path, monkeypatch):
    """Two processes filling the same entry (one per cloud): the second one's rename fails on
    the first one's complete entry, which it then uses."""
    package = make_package(tmp_path / "pkg")
    root = tmp_path / "cache"
    real_fill = cache._fill

    def fill_while_another_finishes(package_, folder):
        real_fill(package_, folder)
        other = cache.entry_folder(package_, root)
        shutil.copytree(folder, other)

    monkeypatch.setattr(cache, "_fill", fill_while_another_finishes)
    entry = cache.ensure(package, root)
    assert cache.is_complete(entry)
    assert [p.name for p in entry.parent.iterdir()] == [entry.name]


@pytest.mark.parametrize("layout, message", [
    ("compact", "two-space indentation"),
    ("reference", "refer to types of modules not kept"),
    ("eager index", "cannot be read lazily"),
    ("no module", "no module or no types for s3_bucket"),
])
def test_a_package_that_does_not_fit_is_refused_and_leaves_nothing(tmp_path, layout, message):
    kwargs = {}
    if layout == "compact":
        kwargs["jsii_text"] = json.dumps({"name": ASSEMBLY, "version": "1.2.3", "types": {}})  # one line
    elif layout == "reference":
        fqn = f"{ASSEMBLY}.s3Bucket.S3Bucket"
        kwargs["types"] = {fqn: _type(fqn, refers_to=f"{ASSEMBLY}.dataAws.DataAws"),
                           f"{ASSEMBLY}.dataAws.DataAws": _type(f"{ASSEMBLY}.dataAws.DataAws")}
    elif layout == "eager index":
        kwargs["index_js"] = 'exports.s3Bucket = require("./s3-bucket");\nrequire("./side-effect");\n'
    else:
        kwargs["types"] = {f"{ASSEMBLY}.dataAws.DataAws": _type(f"{ASSEMBLY}.dataAws.DataAws")}
    package = make_package(tmp_path / "pkg", **kwargs)
    with pytest.raises(cache.Unfit, match=message):
        cache.ensure(package, tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.parent.name != "locks"]


def test_find_package_reads_the_bindings_own_assembly():
    package = cache.find_package("cdktf", None)
    assert (package.name, package.version) == ("cdktf", "0.21.0")
    assert package.tarball.name == "cdktf@0.21.0.jsii.tgz"
    with pytest.raises(cache.Unfit, match="not installed"):
        cache.find_package("no_such_binding_package", None)
