"""Fingerprints: is a stack up to date? (no cdktf, no jsii)

Each stack folder keeps a fingerprint (`.gen-stack.json`) of what its file was made from: the
resolved environment, gen's own source for that cloud, and the versions of cdktf, jsii,
constructs and the cloud's provider bindings, plus the hash of the file as written. A stack
whose fingerprint and file both match is not synthesized again.

May import: `gen.model`, `gen.synth.packages`, `gen.synth.publish`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
from functools import cache
from pathlib import Path

from gen.model.environments import Environment
from gen.synth.packages import BINDINGS, PROVIDER_PACKAGES, TOOLCHAIN
from gen.synth.publish import STACK_FILE, STACKS, _manifest_entry, _read_json

FINGERPRINT_FILE = ".gen-stack.json"
FINGERPRINT_FORMAT = 1
ROOT = Path(__file__).resolve().parents[2]


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

