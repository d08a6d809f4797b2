"""Writing a run's output: each stack's file in gen's stable layout, cdktf's manifest.json,
and the move of a finished scratch folder into the output folder (nothing half-written).

May import: the standard library only.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path

MANIFEST = "manifest.json"
STACKS = "stacks"
STACK_FILE = "cdk.tf.json"


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
