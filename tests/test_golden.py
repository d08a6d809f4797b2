"""The synthesized Terraform JSON is the contract: compare it with the golden files."""

from __future__ import annotations

import re

import pytest

from conftest import GOLDEN, GOLDEN_CASES


@pytest.mark.parametrize("model,env", GOLDEN_CASES, ids=[f"{m}-{e}" for m, e in GOLDEN_CASES])
def test_stack_matches_golden(synthesized, update_goldens, model, env):
    result = synthesized[(model, env)]
    golden = GOLDEN / model / f"{result['stack']}.tf.json"
    if update_goldens:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(result["text"], "utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run pytest --update-goldens and review it"
    assert result["text"] == golden.read_text("utf-8"), (
        f"{result['stack']} differs from {golden}; if the change is intended, run "
        "pytest --update-goldens and review the diff")


def test_no_golden_without_a_case(synthesized):
    expected = {GOLDEN / model / f"{r['stack']}.tf.json" for (model, _), r in synthesized.items()}
    stale = sorted(str(p.relative_to(GOLDEN)) for p in GOLDEN.glob("*/*.tf.json") if p not in expected)
    assert stale == [], "golden files with no case in GOLDEN_CASES: delete them or add the cases"


REFERENCE = re.compile(r"(?<![\w.\-\"])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)")
NOT_ADDRESSES = {"each", "count", "self", "path", "terraform"}


def _expressions(value):
    if isinstance(value, str):
        start = 0
        while (i := value.find("${", start)) != -1:
            depth, j = 0, i + 2
            while j < len(value) and not (value[j] == "}" and depth == 0):
                depth += {"{": 1, "}": -1}.get(value[j], 0)
                j += 1
            yield value[i + 2 : j]
            start = j
    elif isinstance(value, dict):
        for k, v in value.items():
            if k != "//":
                yield from _expressions(v)
    elif isinstance(value, list):
        for v in value:
            yield from _expressions(v)


def references(stack: dict) -> list[str]:
    found = []
    for expression in _expressions(stack):
        expression = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expression)  # string literals hold no references
        for ref in REFERENCE.findall(expression):
            if ref.split(".")[0] not in NOT_ADDRESSES:
                found.append(ref)
    return found


def missing_references(stack: dict) -> list[str]:
    resources, data = stack.get("resource", {}), stack.get("data", {})
    missing = []
    for ref in references(stack):
        parts = ref.split(".")
        if parts[0] == "data":
            ok = parts[2] in data.get(parts[1], {})
        elif parts[0] == "var":
            ok = parts[1] in stack.get("variable", {})
        elif parts[0] == "local":
            ok = parts[1] in stack.get("locals", {})
        else:
            ok = parts[1] in resources.get(parts[0], {})
        if not ok:
            missing.append(ref)
    return missing


@pytest.mark.parametrize("model,env", GOLDEN_CASES, ids=[f"{m}-{e}" for m, e in GOLDEN_CASES])
def test_every_reference_names_something_in_the_stack(synthesized, model, env):
    stack = synthesized[(model, env)]["json"]
    assert missing_references(stack) == []


def test_reference_check_catches_a_dangling_reference():
    stack = {"resource": {"aws_s3_bucket": {"b": {"bucket": "x"}},
                          "aws_iam_policy": {"p": {"policy": "${jsonencode({\"r\" = aws_s3_bucket.b.arn, \"q\" = aws_s3_bucket.gone.arn})}"}}},
             "output": {"o": {"value": "${data.aws_region.current.name}-${var.x}-${local.y}"}}}
    assert missing_references(stack) == ["aws_s3_bucket.gone", "data.aws_region.current", "var.x", "local.y"]
