"""Writing a run's output: each stack's file in gen's stable layout, cdktf's manifest.json,
and the move of a finished scratch folder into the output folder (nothing half-written).

A run builds its stacks in a scratch folder beside the output folder (`.out.XXXXXXXX` for
`out/`), holding an exclusive lock on a file inside it for as long as it (or a process it
forked) lives. A run killed outright (SIGKILL, a CI timeout) cannot remove its scratch
folder, so every run first removes the scratch folders whose lock nobody holds.

May import: the standard library and `gen.model.errors`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from gen.model.errors import InputError

try:
    import fcntl
except ImportError:  # not a POSIX system: scratch folders are still removed by the run itself
    fcntl = None

MANIFEST = "manifest.json"
STACKS = "stacks"
STACK_FILE = "cdk.tf.json"
SCRATCH_LOCK = ".gen-run.lock"
UNLOCKED_GRACE_SECONDS = 60  # a scratch folder with no lock file yet may belong to a run starting now


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


def _scratch_pattern(out_dir: Path) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(out_dir.name)}\.[A-Za-z0-9_]{{8}}$")  # tempfile.mkdtemp's names


def _held(lock: Path) -> bool:
    """Whether a live process holds the lock (flock is released when its holder dies)."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def remove_stale_scratch(out_dir: Path) -> list[Path]:
    """Remove the scratch folders of runs that were killed: those whose lock no live process
    holds. Returns what it removed."""
    if fcntl is None or not out_dir.parent.is_dir():
        return []
    removed = []
    pattern = _scratch_pattern(out_dir)
    for folder in sorted(out_dir.parent.iterdir()):
        if not pattern.match(folder.name) or not folder.is_dir() or folder.is_symlink():
            continue
        lock = folder / SCRATCH_LOCK
        if lock.exists():
            if _held(lock):
                continue
        else:  # a run of a gen without locks, or one killed before it took its lock
            entries = set(os.listdir(folder))
            if "new" not in entries or not entries <= {"new", "old"} or time.time() - folder.stat().st_mtime < UNLOCKED_GRACE_SECONDS:
                continue  # not gen's, or a run that has not taken its lock yet
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def claim_scratch(out_dir: Path) -> tuple[Path, int | None]:
    """A new scratch folder beside `out_dir`, locked by this process (and those it forks) until
    `release_scratch`. Stale scratch folders are removed first. An output folder that cannot be
    created is an InputError."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise NotADirectoryError(20, "it is a file")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_scratch(out_dir)
        scratch = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent.absolute()))
    except OSError as e:
        blocking = next((p for p in (out_dir, *out_dir.parents) if p.exists()), None)
        why = f"{blocking} is a file" if blocking is not None and not blocking.is_dir() else e.strerror or str(e)
        raise InputError(f"{out_dir}: cannot write the output folder here ({why})") from None
    fd = None
    if fcntl is not None:
        fd = os.open(scratch / SCRATCH_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
    return scratch, fd


def release_scratch(scratch: Path, fd: int | None) -> None:
    shutil.rmtree(scratch, ignore_errors=True)
    if fd is not None:
        os.close(fd)
