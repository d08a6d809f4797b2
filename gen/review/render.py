"""Text, Markdown and JSON forms of a plan review (gen review) and a stack diff (gen diff).

Text is for a terminal, Markdown for a pull-request comment (a one-line verdict first,
a table of changes, details folded per resource), JSON for machines (documented in
docs/review.md; keys sorted, stable). All three print only what the report holds, and
the report never holds a sensitive value.
"""

from __future__ import annotations

import html
import json
from typing import Any

from gen.review.changes import AttributeChange, Marker, plain
from gen.review.diff import DiffReview, StackDiff
from gen.review.plan import REPORT_FORMAT_VERSION, ACTIONS, OutputChange, PlanReview, ResourceChange
from gen.review.risks import APPROVAL_CLASSES, Risk

FORMATS = ("text", "markdown", "json")

_SUMMARY_WORDS = {
    "create": "to create",
    "update": "to update",
    "replace": "to replace",
    "delete": "to delete",
    "read": "to read",
    "forget": "to forget",
    "no-op": "unchanged",
}


# GitHub refuses a comment longer than this; `--max-chars` defaults to it for Markdown.
GITHUB_COMMENT_LIMIT = 65536
# The least `--max-chars` takes: room for the verdict, some reasons and the counts.
MIN_MAX_CHARS = 2000


def render(report: PlanReview | DiffReview, fmt: str, max_chars: int | None = None) -> str:
    """The report in one of FORMATS. `max_chars` bounds a plan review's Markdown (see
    review_markdown); the text and JSON forms are always whole."""
    if fmt == "json":
        return to_json(report)
    if fmt == "markdown":
        return review_markdown(report, max_chars) if isinstance(report, PlanReview) else diff_markdown(report)
    return review_text(report) if isinstance(report, PlanReview) else diff_text(report)


def comment_length(text: str) -> int:
    """Length as a comment box counts it: UTF-16 code units (never fewer than characters)."""
    return len(text.encode("utf-16-le")) // 2


# -- shared -----------------------------------------------------------------------------


def summary_line(summary: dict[str, int]) -> str:
    parts = [f"{summary[a]} {_SUMMARY_WORDS[a]}" for a in ACTIONS if a != "no-op" and summary.get(a)]
    if summary.get("no-op"):
        parts.append(f"{summary['no-op']} unchanged")
    return ", ".join(parts) if parts else "no resource changes"


def show(value: Any) -> str:
    """A value on one line as JSON, except that markers show as their bare words."""
    if isinstance(value, Marker):
        return value.text
    if isinstance(value, dict):
        items = (f"{json.dumps(str(k), ensure_ascii=False)}: {show(value[k])}" for k in sorted(value, key=str))
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _risk_counts(resources: list[ResourceChange]) -> str:
    counts: dict[str, int] = {}
    for resource in resources:
        for kind in {risk.kind for risk in resource.risks}:
            counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{kind} {counts[kind]}" for kind in APPROVAL_CLASSES if kind in counts)


def _callouts(resource: ResourceChange) -> list[str]:
    notes = []
    if resource.moved:
        notes.append(f"moved from {resource.previous_address}")
    if resource.importing:
        notes.append("imported" + (f" from id {resource.import_id}" if resource.import_id else ""))
    if resource.deposed:
        notes.append(f"deposed object {resource.deposed}")
    return notes


# -- JSON -------------------------------------------------------------------------------


def _risk_json(risk: Risk) -> dict:
    return {"class": risk.kind, "detail": risk.detail}


def _change_json(change: AttributeChange) -> dict:
    return {
        "path": change.path,
        "before": plain(change.before),
        "after": plain(change.after),
        "forces_replacement": change.forces_replacement,
    }


def resource_json(resource: ResourceChange) -> dict:
    return {
        "address": resource.address,
        "type": resource.type,
        "mode": resource.mode,
        "action": resource.action,
        "reason": resource.reason,
        "reason_code": resource.reason_code,
        "risks": [_risk_json(r) for r in resource.risks],
        "changes": [_change_json(c) for c in resource.changes],
        "replace_paths": list(resource.replace_paths),
        "previous_address": resource.previous_address,
        "importing": resource.importing,
        "import_id": resource.import_id,
        "deposed": resource.deposed,
    }


def _output_json(output: OutputChange) -> dict:
    return {
        "name": output.name,
        "action": output.action,
        "before": plain(output.before),
        "after": plain(output.after),
        "sensitive": output.sensitive,
    }


def _approval_json(report: PlanReview | DiffReview) -> dict:
    return {"required": report.approval.required, "reasons": list(report.approval.reasons)}


def review_json(report: PlanReview) -> dict:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "plan_format_version": report.plan_format_version,
        "terraform_version": report.terraform_version,
        "summary": dict(report.summary),
        "resources": [resource_json(r) for r in report.resources],
        "drift": [resource_json(r) for r in report.drift],
        "outputs": [_output_json(o) for o in report.outputs],
        "risks": [_risk_json(r) for r in report.risks],
        "approval": _approval_json(report),
        "errored": report.errored,
        "complete": report.complete,
        "notes": list(report.notes),
    }


def _stack_json(stack: StackDiff) -> dict:
    return {
        "name": stack.name,
        "status": stack.status,
        "resources": [resource_json(r) for r in stack.resources],
        "outputs": [_output_json(o) for o in stack.outputs],
        "settings": [_change_json(c) for c in stack.settings],
        "unchanged": stack.unchanged,
    }


def diff_json(report: DiffReview) -> dict:
    return {
        "format_version": REPORT_FORMAT_VERSION,
        "summary": dict(report.summary),
        "stacks": [_stack_json(s) for s in report.stacks],
        "approval": _approval_json(report),
        "notes": list(report.notes),
    }


def to_json(report: PlanReview | DiffReview) -> str:
    document = review_json(report) if isinstance(report, PlanReview) else diff_json(report)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# -- text -------------------------------------------------------------------------------


def _text_change(change: AttributeChange) -> str:
    forced = "  (forces replacement)" if change.forces_replacement else ""
    return f"{change.path}: {show(change.before)} → {show(change.after)}{forced}"


def _text_resource(resource: ResourceChange, indent: str = "  ") -> list[str]:
    head = f"{indent}{resource.action:<8} {resource.address}"
    callouts = _callouts(resource)
    if callouts:
        head += f"  ({'; '.join(callouts)})"
    lines = [head]
    inner = indent + " " * 9
    if resource.reason:
        lines.append(f"{inner}{resource.reason}")
    for risk in resource.risks:
        lines.append(f"{inner}! {risk.kind}: {risk.detail}")
    for change in resource.changes:
        lines.append(f"{inner}{_text_change(change)}")
    return lines


def _text_outputs(outputs: list[OutputChange], indent: str = "  ") -> list[str]:
    lines = []
    for output in outputs:
        if output.action == "create":
            lines.append(f"{indent}{output.action:<8} {output.name} = {show(output.after)}")
        elif output.action in ("delete", "forget"):
            lines.append(f"{indent}{output.action:<8} {output.name} (was {show(output.before)})")
        else:
            lines.append(f"{indent}{output.action:<8} {output.name}: {show(output.before)} → {show(output.after)}")
    return lines


def _text_verdict(report: PlanReview | DiffReview) -> list[str]:
    if not report.approval.required:
        return ["No approval needed."]
    return ["Approval required:"] + [f"  - {reason}" for reason in report.approval.reasons]


def review_text(report: PlanReview) -> str:
    verdict = "approval required" if report.approval.required else "no approval needed"
    lines = [f"Plan review: {verdict}"]
    if report.errored:
        lines.append("The plan ERRORED: Terraform could not finish planning; this is only part of it.")
    elif not report.complete:
        lines.append("The plan is INCOMPLETE: more changes will follow after it is applied.")
    lines.append(f"Resources: {summary_line(report.summary)}")
    moved = sum(1 for r in report.resources if r.moved)
    imported = sum(1 for r in report.resources if r.importing)
    if moved or imported:
        lines.append(f"Moved: {moved}, imported: {imported}")
    version = f"plan format {report.plan_format_version}"
    if report.terraform_version:
        version = f"Terraform {report.terraform_version}, {version}"
    lines.append(f"({version})")
    for note in report.notes:
        lines.append(f"Note: {note}")
    for risk in report.risks:
        lines.append(f"! {risk.kind}: {risk.detail}")
    if report.resources:
        lines += ["", "Changes:"]
        for resource in report.resources:
            lines += _text_resource(resource)
    if report.drift:
        lines += ["", "Drift (changed outside Terraform since the last apply):"]
        for resource in report.drift:
            lines += _text_resource(resource)
    if report.outputs:
        lines += ["", "Outputs:"] + _text_outputs(report.outputs)
    lines += [""] + _text_verdict(report)
    return "\n".join(lines) + "\n"


def diff_text(report: DiffReview) -> str:
    verdict = "approval required" if report.approval.required else "no approval needed"
    lines = [f"Stack diff: {verdict}", f"Resources: {summary_line(report.summary)}"]
    resources = [r for s in report.stacks for r in s.resources]
    moved = sum(1 for r in resources if r.moved)
    imported = sum(1 for r in resources if r.importing)
    if moved or imported:
        lines.append(f"Moved: {moved}, imported: {imported}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    for stack in report.stacks:
        lines += ["", f"Stack {stack.name} ({stack.status})"]
        if stack.status == "unchanged":
            continue
        for resource in stack.resources:
            lines += _text_resource(resource)
        if stack.outputs:
            lines.append("  Outputs:")
            lines += _text_outputs(stack.outputs, "    ")
        if stack.settings:
            lines.append("  Settings:")
            lines += [f"    {_text_change(c)}" for c in stack.settings]
    lines += [""] + _text_verdict(report)
    return "\n".join(lines) + "\n"


# -- Markdown ---------------------------------------------------------------------------


def _code(text: str) -> str:
    """Inline code safe in a table cell and in HTML: <code> with entities, pipes escaped."""
    return "<code>" + html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ") + "</code>"


def _cell(text: str) -> str:
    return html.escape(text, quote=False).replace("|", "&#124;").replace("\n", " ")


def _md_verdict(report: PlanReview | DiffReview, what: str) -> str:
    resources = report.resources if isinstance(report, PlanReview) else [r for s in report.stacks for r in s.resources]
    risks = _risk_counts(resources)
    if isinstance(report, PlanReview) and report.risks:
        risks = ", ".join([risks] * bool(risks) + sorted({r.kind for r in report.risks}))
    tail = f" · risks: {risks}" if risks else ""
    if report.approval.required:
        return f"**⛔ Approval required** — {what}: {summary_line(report.summary)}{tail}"
    return f"**✅ No approval needed** — {what}: {summary_line(report.summary)}{tail}"


def _md_table(rows: list[tuple[str, ResourceChange]], with_stack: bool) -> list[str]:
    header = "| Stack | Action | Resource | Risks |" if with_stack else "| Action | Resource | Risks |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for stack, resource in rows:
        risks = ", ".join(sorted({r.kind for r in resource.risks}, key=_risk_order)) or "—"
        callouts = _callouts(resource)
        address = _code(resource.address) + (f" ({_cell('; '.join(callouts))})" if callouts else "")
        cells = ([_cell(stack)] if with_stack else []) + [resource.action, address, risks]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _risk_order(kind: str) -> int:
    return APPROVAL_CLASSES.index(kind) if kind in APPROVAL_CLASSES else len(APPROVAL_CLASSES)


def _md_changes_table(changes: list[AttributeChange]) -> list[str]:
    lines = ["| Attribute | Before | After |", "|---|---|---|"]
    for change in changes:
        path = _code(change.path) + (" **forces replacement**" if change.forces_replacement else "")
        lines.append(f"| {path} | {_code(show(change.before))} | {_code(show(change.after))} |")
    return lines


def _md_details(resource: ResourceChange, prefix: str = "") -> list[str]:
    summary = f"{html.escape(resource.action)} <code>{html.escape(prefix + resource.address)}</code>"
    lines = ["<details>", f"<summary>{summary}</summary>", ""]
    facts = []
    if resource.reason:
        facts.append(_cell(resource.reason[:1].upper() + resource.reason[1:]) + ".")
    facts += [_cell(c[:1].upper() + c[1:]) + "." for c in _callouts(resource)]
    if facts:
        lines += [" ".join(facts), ""]
    for risk in resource.risks:
        lines.append(f"- **{risk.kind}**: {_cell(risk.detail)}")
    if resource.risks:
        lines.append("")
    if resource.changes:
        lines += _md_changes_table(resource.changes) + [""]
    elif not facts and not resource.risks:
        return []  # nothing more to say than the table's row
    lines += ["</details>", ""]
    return lines


def _md_outputs(outputs: list[OutputChange]) -> list[str]:
    lines = ["| Output | Action | Before | After |", "|---|---|---|---|"]
    for output in outputs:
        before = _code(show(output.before)) if output.action not in ("create",) else "—"
        after = _code(show(output.after)) if output.action not in ("delete", "forget") else "—"
        lines.append(f"| {_code(output.name)} | {output.action} | {before} | {after} |")
    return lines


def _md_reasons(report: PlanReview | DiffReview) -> list[str]:
    if not report.approval.required:
        return []
    return ["**Approval is required because:**", ""] + [f"- {_cell(r)}" for r in report.approval.reasons] + [""]


def _md_head(report: PlanReview) -> list[str]:
    lines = [_md_verdict(report, "plan"), ""]
    if report.errored:
        lines += ["> **The plan errored**: Terraform could not finish planning; this shows only part of it.", ""]
    elif not report.complete:
        lines += ["> **The plan is incomplete**: more changes will follow after it is applied.", ""]
    return lines + [f"> Note: {_cell(n)}" for n in report.notes] + ([""] if report.notes else [])


def _md_drift_head(report: PlanReview) -> list[str]:
    return ["#### Drift", ""] + [f"**{risk.kind}**: {_cell(risk.detail)}" for risk in report.risks] + [""]


def _md_drift_table(drift: list[ResourceChange]) -> list[str]:
    """What changed outside Terraform, one row per resource (a deletion has no details)."""
    words = {"update": "changed", "delete": "deleted", "create": "created"}
    rows = [f"| {_code(r.address)} | {words.get(r.action, r.action)} |" for r in drift]
    return ["| Resource | Outside Terraform |", "|---|---|"] + rows + [""]


def _md_signature(report: PlanReview) -> str:
    version = f"plan format {report.plan_format_version}"
    if report.terraform_version:
        version = f"Terraform {report.terraform_version}, {version}"
    return f"<sub>gen review · {_cell(version)}</sub>"


def review_markdown(report: PlanReview, max_chars: int | None = None) -> str:
    """The review as a pull-request comment; if longer than `max_chars`, shortened to fit
    (see short_review_markdown)."""
    text = full_review_markdown(report)
    if max_chars is None or comment_length(text) <= max_chars:
        return text
    return short_review_markdown(report, max_chars)


def full_review_markdown(report: PlanReview) -> str:
    lines = _md_head(report) + _md_reasons(report)
    if report.resources:
        lines += _md_table([("", r) for r in report.resources], with_stack=False) + [""]
        for resource in report.resources:
            lines += _md_details(resource)
    else:
        lines += ["No resource changes.", ""]
    if report.drift:
        lines += _md_drift_head(report) + _md_drift_table(report.drift)
        for resource in report.drift:
            lines += _md_details(resource)
    if report.outputs:
        lines += ["#### Outputs", ""] + _md_outputs(report.outputs) + [""]
    lines.append(_md_signature(report))
    return "\n".join(lines) + "\n"


def _cost(lines: list[str]) -> int:
    return sum(comment_length(line) + 1 for line in lines)


class _Page:
    """Lines being laid out under a limit of comment characters."""

    def __init__(self, limit: int):
        self.lines: list[str] = []
        self.left = limit

    def add(self, lines: list[str], keep: int = 0) -> bool:
        """Add the lines if they fit with `keep` characters to spare; whether they did."""
        cost = _cost(lines)
        if cost + keep > self.left:
            return False
        self.lines += lines
        self.left -= cost
        return True


def _take(items: list, render_one, room: int) -> list:
    """The leading items whose rendered lines fit in `room` characters together."""
    taken, used = [], 0
    for item in items:
        used += _cost(render_one(item))
        if used > room:
            break
        taken.append(item)
    return taken


def _by_type_and_action(resources: list[ResourceChange], heading: str, room: int) -> list[str]:
    """A table counting resources per type and action, cut to `room` characters."""
    counts: dict[tuple[str, str], list[int]] = {}
    for resource in resources:
        count = counts.setdefault((resource.type, resource.action), [0, 0])
        count[0] += 1
        count[1] += bool(resource.risks)
    rows = sorted(counts.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    head = [heading, "", "| Type | Action | Resources | With risks |", "|---|---|---|---|"]

    def row(item):
        (resource_type, action), (number, risky) = item
        return [f"| {_code(resource_type)} | {action} | {number} | {risky or '—'} |"]

    shown = rows if _cost([line for item in rows for line in row(item)]) + _cost(head) + 1 <= room else \
        _take(rows, row, room - _cost(head) - 120)
    lines = head + [line for item in shown for line in row(item)]
    left = rows[len(shown):]
    if left:
        number, risky = sum(n for _, (n, _) in left), sum(r for _, (_, r) in left)
        lines.append(f"| … {len(left)} more kinds | | {number} | {risky or '—'} |")
    return lines + [""]


def _row(resource: ResourceChange) -> list[str]:
    return _md_table([("", resource)], with_stack=False)[2:]


def short_review_markdown(report: PlanReview, max_chars: int) -> str:
    """The review cut to `max_chars` comment characters. Kept in this order while they fit:
    the verdict and notes, the reasons for approval, the risky resources (table rows, then
    their details: data-loss first, then exposure, then security), the other resources'
    rows; the resources left out are counted per type and action, and a last line says
    where the rest is. Drift and outputs are listed if room is left, else counted."""
    def worst(resource):
        return min(_risk_order(risk.kind) for risk in resource.risks), resource.address

    risky = sorted((r for r in report.resources if r.risks), key=worst)
    others = [r for r in report.resources if not r.risks]
    where = ("The full review: `gen review` on the same plan with `--format text` or `--format json` "
             "(in CI, the job's log).</sub>")
    footer = [f"<sub>Shortened to fit {max_chars:,} characters: {len(report.resources)} of {len(report.resources)} "
              f"changed resources are listed above, the rest counted by type and action. {where}", _md_signature(report)]
    page = _Page(max_chars - _cost(footer) - 8)
    page.add(_md_head(report))
    summary_room = max(400, page.left // 4)
    reserve = min(summary_room, _cost(_by_type_and_action(report.resources, "####", 10**9)) + 100)

    reasons = _md_reasons(report)
    if not page.add(reasons, reserve):  # as many as fit in half the room, the rest counted
        shown = _take(reasons[2:-1], lambda line: [line], page.left // 2)
        page.add(reasons[:2] + shown + [f"- … and {len(reasons) - 3 - len(shown)} more (see the resources below)", ""])

    table_head = _md_table([], with_stack=False)
    listed = _take(risky, _row, page.left - reserve - _cost(["#### Changes with risks", ""] + table_head + [""]))
    if listed:
        page.add(["#### Changes with risks", ""] + table_head + [line for r in listed for line in _row(r)] + [""])
        for resource in listed:
            page.add(_md_details(resource), reserve)  # each that fits, in order
    if len(listed) == len(risky):
        room = page.left - reserve - _cost(["#### Other changes", ""] + table_head + [""])
        more = _take(others, _row, room)
        if more:
            page.add(["#### Other changes", ""] + table_head + [line for r in more for line in _row(r)] + [""])
            listed += more

    shown_ids = {id(r) for r in listed}
    rest = [r for r in report.resources if id(r) not in shown_ids]
    if rest:
        page.add(_by_type_and_action(rest, f"#### {len(rest)} more changes, counted", page.left))
    if report.drift:
        drift = _md_drift_head(report)
        if not page.add(drift + _md_drift_table(report.drift) + [line for r in report.drift for line in _md_details(r)]):
            if not page.add(drift + _md_drift_table(report.drift)):
                page.add(drift)
    if report.outputs and not page.add(["#### Outputs", ""] + _md_outputs(report.outputs) + [""]):
        page.add([f"{len(report.outputs)} outputs change.", ""])
    if rest:
        footer[0] = (f"<sub>Shortened to fit {max_chars:,} characters: {len(listed)} of {len(report.resources)} "
                     f"changed resources are listed above, the rest counted by type and action. {where}")
    else:
        footer[0] = f"<sub>Shortened to fit {max_chars:,} characters: some details are left out. {where}"
    return "\n".join(page.lines + footer) + "\n"


def diff_markdown(report: DiffReview) -> str:
    lines = [_md_verdict(report, "stacks"), ""]
    lines += [f"> Note: {_cell(n)}" for n in report.notes] + ([""] if report.notes else [])
    lines += _md_reasons(report)
    rows = [(s.name, r) for s in report.stacks for r in s.resources]
    if rows:
        lines += _md_table(rows, with_stack=True) + [""]
    stack_rows = ["| Stack | Status | Changed | Unchanged |", "|---|---|---|---|"]
    for stack in report.stacks:
        stack_rows.append(f"| {_code(stack.name)} | {stack.status} | {len(stack.resources)} | {stack.unchanged} |")
    lines += stack_rows + [""]
    for stack in report.stacks:
        for resource in stack.resources:
            lines += _md_details(resource, prefix=f"{stack.name}: ")
        if stack.outputs:
            lines += [f"#### Outputs of {_cell(stack.name)}", ""] + _md_outputs(stack.outputs) + [""]
        if stack.settings:
            lines += [f"#### Settings of {_cell(stack.name)}", ""] + _md_changes_table(stack.settings) + [""]
    lines.append("<sub>gen diff · from synthesized stacks; `terraform plan` has the final word</sub>")
    return "\n".join(lines) + "\n"
