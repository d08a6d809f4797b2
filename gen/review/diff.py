"""`gen diff`: the infrastructure effect of a change, from synthesized stacks, before any plan.

Compares two synthesized output folders (`<out>/stacks/<stack>/cdk.tf.json`), or the
model as of a git ref against the model as it is now (synthesizing both). No cloud access
and no provider schemas: a changed resource is an `update` unless gen's table of
attributes that force replacement (gen/risk_tables.py FORCES_REPLACEMENT) says otherwise;
`terraform plan` has the final word. Risks and approval follow the same rules as
`gen review`. See docs/review.md.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gen.review.changes import (
    SENSITIVE,
    AttributeChange,
    attribute_changes,
    redact,
    sensitive_names_mask,
    union_mask,
)
from gen.model.errors import InputError
from gen.review.plan import (
    ACTIONS,
    EXIT_APPROVAL_REQUIRED,
    EXIT_OK,
    Approval,
    OutputChange,
    ResourceChange,
    decide_approval,
    load_environment,
)
from gen.review.risk_tables import FORCES_REPLACEMENT, FORCES_REPLACEMENT_ON_FAMILY_CHANGE
from gen.review.risks import assess

STACK_FILE = "cdk.tf.json"
METADATA_KEY = "//"  # cdktf's metadata, at the top of a stack and inside each resource

# Top-level blocks of a stack that are not settings: compared as resources and outputs.
_RESOURCE_BLOCKS = ("resource", "data", "output", "moved", "import", "removed")


@dataclass
class StackDiff:
    name: str
    status: str  # added, removed, changed, unchanged
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[OutputChange] = field(default_factory=list)
    settings: list[AttributeChange] = field(default_factory=list)
    unchanged: int = 0


@dataclass
class DiffReview:
    summary: dict[str, int]
    stacks: list[StackDiff]
    approval: Approval
    notes: list[str] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        return EXIT_APPROVAL_REQUIRED if self.approval.required else EXIT_OK


# -- reading synthesized stacks ---------------------------------------------------------


@dataclass
class Stack:
    """One synthesized stack, cdktf metadata removed."""

    name: str
    resources: dict[str, tuple[str, str, dict]]  # address -> (type, mode, body)
    outputs: dict[str, dict]
    settings: dict[str, Any]  # provider, terraform, variable, locals, module, ...
    moved: dict[str, str]  # to -> from
    imports: dict[str, str | None]  # address -> import id
    forgotten: set[str]  # addresses in `removed` blocks with destroy = false


def load_stacks(folder: str | Path, label: str | None = None, replacements: dict[str, str] | None = None) -> dict[str, Stack]:
    """The stacks in a synthesized output folder, by name.

    The folder holds `stacks/<name>/cdk.tf.json` (or is that `stacks` folder itself); an
    empty folder holds no stacks. `label` names the folder in messages; `replacements`
    rewrites strings (temporary paths) so that two synths compare equal where they are.
    """
    folder = Path(folder)
    label = label or str(folder)
    if not folder.exists():
        raise InputError(f"{label}: no such folder")
    if not folder.is_dir():
        raise InputError(f"{label}: not a folder of synthesized stacks (expected stacks/<name>/{STACK_FILE})")
    root = folder / "stacks" if (folder / "stacks").is_dir() else folder
    files = sorted(root.glob(f"*/{STACK_FILE}"))
    if not files and root == folder and any(folder.iterdir()):
        raise InputError(f"{label}: no synthesized stacks in it (expected stacks/<name>/{STACK_FILE})")
    stacks = {}
    for file in files:
        shown = f"{label}/{file.relative_to(folder).as_posix()}"
        stacks[file.parent.name] = parse_stack(file.parent.name, _read_json(file, shown), shown, replacements or {})
    return stacks


def _read_json(file: Path, shown: str) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{shown}: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{shown}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    except OSError as e:
        raise InputError(f"{shown}: cannot read: {e.strerror or e}") from None


def _without_metadata(value: Any, replacements: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _without_metadata(v, replacements) for k, v in value.items() if k != METADATA_KEY}
    if isinstance(value, list):
        return [_without_metadata(v, replacements) for v in value]
    if isinstance(value, str):
        for old in sorted(replacements, key=len, reverse=True):
            value = value.replace(old, replacements[old])
    return value


def _reference(value: Any) -> str | None:
    """`aws_s3_bucket.a` from `aws_s3_bucket.a` or `${aws_s3_bucket.a}`."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if value.startswith("${") and value.endswith("}"):
        value = value[2:-1].strip()
    return value or None


def _blocks(value: Any) -> list[dict]:
    """`moved`/`import`/`removed` are a list of objects, or one object, in JSON syntax."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def parse_stack(name: str, document: Any, shown: str, replacements: dict[str, str] | None = None) -> Stack:
    if not isinstance(document, dict):
        raise InputError(f"{shown}: not a synthesized stack (expected a JSON object)")
    document = _without_metadata(document, replacements or {})
    resources: dict[str, tuple[str, str, dict]] = {}
    for block, mode, prefix in (("resource", "managed", ""), ("data", "data", "data.")):
        types = document.get(block) or {}
        if not isinstance(types, dict):
            raise InputError(f"{shown}: malformed stack: {block} is not an object")
        for resource_type, named in types.items():
            if not isinstance(named, dict):
                raise InputError(f"{shown}: malformed stack: {block}.{resource_type} is not an object")
            for resource_name, body in named.items():
                if not isinstance(body, dict):
                    raise InputError(f"{shown}: malformed stack: {block}.{resource_type}.{resource_name} is not an object")
                resources[f"{prefix}{resource_type}.{resource_name}"] = (resource_type, mode, body)
    outputs = document.get("output") or {}
    if not isinstance(outputs, dict) or not all(isinstance(o, dict) for o in outputs.values()):
        raise InputError(f"{shown}: malformed stack: output is not an object of outputs")
    moved = {}
    for block in _blocks(document.get("moved")):
        source, target = _reference(block.get("from")), _reference(block.get("to"))
        if source and target:
            moved[target] = source
    imports = {}
    for block in _blocks(document.get("import")):
        target = _reference(block.get("to"))
        if target:
            imports[target] = block.get("id") if isinstance(block.get("id"), str) else None
    forgotten = set()
    for block in _blocks(document.get("removed")):
        lifecycle = block.get("lifecycle")
        lifecycle = lifecycle[0] if isinstance(lifecycle, list) and lifecycle else lifecycle
        if isinstance(lifecycle, dict) and lifecycle.get("destroy") is False and _reference(block.get("from")):
            forgotten.add(_reference(block.get("from")))
    settings = {k: v for k, v in document.items() if k not in _RESOURCE_BLOCKS}
    return Stack(name, resources, outputs, settings, moved, imports, forgotten)


# -- comparing --------------------------------------------------------------------------


def _replacement_paths(resource_type: str, changes: list[AttributeChange], before: dict, after: dict) -> list[str]:
    """The changed top-level attributes that force replacement, by gen's table."""
    forcing = FORCES_REPLACEMENT.get(resource_type, frozenset())
    by_family = FORCES_REPLACEMENT_ON_FAMILY_CHANGE.get(resource_type, frozenset())
    found = set()
    for change in changes:
        attribute = change.steps[0] if change.steps else None
        if attribute in forcing:
            found.add(attribute)
        elif attribute in by_family and _family(before.get(attribute)) != _family(after.get(attribute)):
            found.add(attribute)
    return sorted(found)


def _family(value: Any) -> Any:
    return value.split("_", 1)[0].upper() if isinstance(value, str) else value


def compare_resource(
    address: str,
    resource_type: str,
    mode: str,
    old: dict | None,
    new: dict | None,
    *,
    previous_address: str | None = None,
    importing: bool = False,
    import_id: str | None = None,
    forget: bool = False,
) -> ResourceChange:
    mask = union_mask(sensitive_names_mask(old), sensitive_names_mask(new))
    changes: list[AttributeChange] = []
    replace_paths: list[str] = []
    reason = None
    if old is None:
        action = "create"
    elif new is None:
        action = "forget" if forget else "delete"
        if forget:
            reason = "removed from the stack but not destroyed (removed block with destroy = false)"
    else:
        changes = attribute_changes(old, new, mask)
        if not changes:
            action = "no-op"
        else:
            replace_paths = _replacement_paths(resource_type, changes, old, new) if mode == "managed" else []
            if replace_paths:
                action = "replace"
                reason = f"replaced because {', '.join(replace_paths)} cannot change in place"
                changes = attribute_changes(old, new, mask, [(p,) for p in replace_paths])
            else:
                action = "update"
    before = redact(old, mask) if old is not None else None
    after = redact(new, mask) if new is not None else None
    risks = assess(
        resource_type,
        action,
        before if action != "create" else None,
        after if action != "delete" else None,
        changes,
        mode=mode,
        destroys=action in ("delete", "replace"),
    )
    return ResourceChange(
        address=address,
        type=resource_type,
        action=action,
        reason=reason,
        reason_code=None,
        risks=risks,
        changes=changes,
        replace_paths=replace_paths,
        previous_address=previous_address,
        importing=importing,
        import_id=import_id,
        mode=mode,
    )


def compare_stack(name: str, old: Stack | None, new: Stack | None) -> StackDiff:
    old_resources = old.resources if old else {}
    new_resources = new.resources if new else {}
    moved = {}  # new address -> old address
    if new:
        for target, source in new.moved.items():
            if target in new_resources and source in old_resources and target not in old_resources:
                moved[target] = source
    moved_from = set(moved.values())
    forgotten = new.forgotten if new else set()
    imports = new.imports if new else {}

    resources = []
    unchanged = 0
    for address in sorted((set(old_resources) - moved_from) | set(new_resources)):
        source = moved.get(address, address)
        old_entry, new_entry = old_resources.get(source), new_resources.get(address)
        resource_type, mode, _ = new_entry or old_entry
        if old_entry and new_entry and old_entry[0] != new_entry[0]:
            raise InputError(f"{name}: {address} changes type from {old_entry[0]} to {new_entry[0]}")
        change = compare_resource(
            address,
            resource_type,
            mode,
            old_entry[2] if old_entry else None,
            new_entry[2] if new_entry else None,
            previous_address=source if address in moved else None,
            importing=address in imports and old_entry is None,
            import_id=imports.get(address) if old_entry is None else None,
            forget=address in forgotten,
        )
        if change.changes_anything:
            resources.append(change)
        else:
            unchanged += 1

    outputs = compare_outputs(old.outputs if old else {}, new.outputs if new else {})
    # A stack's settings (providers, backend) matter when they change; when the whole
    # stack comes or goes, its status says so.
    settings = compare_settings(old.settings, new.settings) if old and new else []
    if old is None:
        status = "added"
    elif new is None:
        status = "removed"
    elif resources or outputs or settings:
        status = "changed"
    else:
        status = "unchanged"
    return StackDiff(name, status, resources, outputs, settings, unchanged)


def compare_outputs(old: dict[str, dict], new: dict[str, dict]) -> list[OutputChange]:
    result = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        action = "create" if before is None else "delete" if after is None else "update"
        sensitive = any(o is not None and o.get("sensitive") is True for o in (before, after))
        before_value = before.get("value") if before else None
        after_value = after.get("value") if after else None
        if sensitive:
            before_value = SENSITIVE if before is not None else None
            after_value = SENSITIVE if after is not None else None
        else:
            mask = union_mask(sensitive_names_mask(before_value), sensitive_names_mask(after_value))
            before_value, after_value = redact(before_value, mask), redact(after_value, mask)
        result.append(OutputChange(name, action, before_value, after_value, sensitive))
    return result


def _variables_mask(settings: dict) -> dict:
    """Hide the defaults of variables declared sensitive."""
    variables = settings.get("variable")
    if not isinstance(variables, dict):
        return {}
    hidden = {
        name: {"default": True}
        for name, variable in variables.items()
        if isinstance(variable, dict) and variable.get("sensitive") is True
    }
    return {"variable": hidden} if hidden else {}


def compare_settings(old: dict, new: dict) -> list[AttributeChange]:
    mask = union_mask(
        union_mask(sensitive_names_mask(old), sensitive_names_mask(new)),
        union_mask(_variables_mask(old), _variables_mask(new)),
    )
    return attribute_changes(old, new, mask)


def compare(old: dict[str, Stack], new: dict[str, Stack], environment: Any = None, notes: list[str] | None = None) -> DiffReview:
    stacks = [compare_stack(name, old.get(name), new.get(name)) for name in sorted(set(old) | set(new))]
    summary = {action: 0 for action in ACTIONS}
    for stack in stacks:
        summary["no-op"] += stack.unchanged
        for resource in stack.resources:
            summary[resource.action] += 1
    changes_anything = any(s.status != "unchanged" for s in stacks)
    approval = decide_approval(
        [(f"{stack.name}: ", resource) for stack in stacks for resource in stack.resources],
        environment=environment,
        changes_anything=changes_anything,
    )
    return DiffReview(summary, stacks, approval, list(notes or []))


def diff_folders(old: str, new: str, app_path: str | None = None, env_name: str | None = None) -> DiffReview:
    old_stacks, new_stacks = load_stacks(old), load_stacks(new)
    return compare(old_stacks, new_stacks, load_environment(app_path, env_name))


# -- against a git ref ------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", "--no-pager", *args], cwd=cwd, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise InputError("git is not installed, so --base cannot read the model's history") from None


def model_at_ref(app: str, ref: str) -> bytes | None:
    """The model file's content as of a git ref; None if it did not exist then."""
    path = Path(app)
    if not path.is_file():
        raise InputError(f"{app}: no such file")
    if not ref or ref.startswith("-"):
        raise InputError(f"{app}: {ref!r} is not a git ref")
    folder = path.resolve().parent
    if _git(["rev-parse", "--show-toplevel"], folder).returncode != 0:
        raise InputError(f"{app}: not in a git repository, so there is no {ref} to compare with")
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], folder).returncode != 0:
        raise InputError(f"{app}: git ref {ref!r} does not exist in this repository")
    spec = f"{ref}:./{path.name}"
    if _git(["cat-file", "-e", spec], folder).returncode != 0:
        return None
    shown = _git(["show", spec], folder)
    if shown.returncode != 0:
        message = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"{app}: cannot read it as of {ref}: {message[-1] if message else 'git show failed'}")
    return shown.stdout


def diff_against_base(app: str, ref: str, env_name: str | None = None) -> DiffReview:
    """Synthesize the model as of `ref` and as it is now, and compare the stacks.

    A model that did not exist at `ref` compares as no stacks: everything is added.
    With `env_name`, only that environment is synthesized, and its approval setting
    applies.
    """
    old_model = model_at_ref(app, ref)
    environment = load_environment(app, env_name) if env_name else None
    from gen.synth import synthesize

    env_names = [env_name] if env_name else None
    notes = []
    app_path = Path(app)
    with tempfile.TemporaryDirectory(prefix="gen-diff-") as tmp:
        tmp_path = Path(tmp)
        # Synthesized stacks may hold absolute paths (a local backend's state file):
        # the same place in either synth must compare equal, and no path is printed.
        replacements = {
            str(tmp_path / "old"): "<out>",
            str(tmp_path / "new"): "<out>",
            str(tmp_path / "base"): "<app>",
        }
        if len(app_path.resolve().parent.parts) > 1:
            replacements[str(app_path.resolve().parent)] = "<app>"
        old_stacks: dict[str, Stack] = {}
        if old_model is None:
            notes.append(f"{app} did not exist at {ref}: every stack is new")
        else:
            base_model = tmp_path / "base" / app_path.name
            base_model.parent.mkdir()
            base_model.write_bytes(old_model)
            try:
                synthesize(base_model, tmp_path / "old", env_names)
            except InputError as e:
                message = str(e).replace(str(base_model), f"{ref}:{app}").replace(str(tmp_path), "<tmp>")
                raise InputError(f"{app} as of {ref}: {message}" if "\n" not in message else message) from None
            old_stacks = load_stacks(tmp_path / "old", f"{ref}:{app} (synthesized)", replacements)
        synthesize(app_path, tmp_path / "new", env_names)
        new_stacks = load_stacks(tmp_path / "new", f"{app} (synthesized)", replacements)
    return compare(old_stacks, new_stacks, environment, notes)
