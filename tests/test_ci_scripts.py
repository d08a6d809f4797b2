"""The workflows' safety checks, run as GitHub would run them (bash -e -o pipefail), with
stand-ins for terraform and gh on the PATH: the saved plan is applied only for its own
commit, stack and state, and only with the approval it needs; gen review's exit statuses
become the right outputs."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from gen.ci import scripts

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def runner(tmp_path):
    """A workspace with out/stacks/S/cdk.tf.json, RUNNER_TEMP, and terraform/gh stand-ins."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    # terraform: `state pull` prints $FAKE_STATE; everything else succeeds quietly.
    # terraform: `state pull` prints $FAKE_STATE; `plan` prints a line and exits $FAKE_PLAN_STATUS.
    _stub(bin_, "terraform", 'for a in "$@"; do if [ "$a" = pull ]; then printf "%s" "$FAKE_STATE"; fi; '
          'if [ "$a" = plan ]; then echo "~ aws_s3_bucket.x changed"; exit "${FAKE_PLAN_STATUS:-0}"; fi; done\n')
    # gh: every call logged; `... --jq EXPR` applies EXPR with jq to $FAKE_APPROVALS (api) or $FAKE_ISSUES (issue list).
    _stub(bin_, "gh", 'echo "gh $*" >> "$RUNNER_TEMP/gh.log"\ndata=$FAKE_APPROVALS; [ "$1" = issue ] && data=$FAKE_ISSUES\n'
          'while [ "$#" -gt 0 ]; do if [ "$1" = --jq ]; then shift; printf "%s" "$data" | jq -r "$1"; exit; fi; shift; done\n')
    stack = tmp_path / "out" / "stacks" / "S"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text('{"resource": {}}\n')
    (stack / "plan.tfplan").write_text("plan")
    temp = tmp_path / "temp"
    temp.mkdir()
    summary = temp / "summary.md"

    def run(script: str, **env):
        full = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}", "RUNNER_TEMP": str(temp), "STACK": "S",
                "GITHUB_SHA": COMMIT, "GITHUB_OUTPUT": str(temp / "output"), "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "7", "GITHUB_EVENT_NAME": "push",
                "GITHUB_ACTOR": "ada", "FAKE_STATE": "", "FAKE_APPROVALS": "[]", **env}
        return subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], capture_output=True, text=True,
                              cwd=tmp_path, env=full)

    run.temp, run.stack = temp, stack
    return run


STATE = json.dumps({"version": 4, "serial": 12, "lineage": "abc-123", "resources": []})


def test_a_saved_plan_passes_its_own_checks(runner):
    saved = runner(scripts.SAVE_PLAN, FAKE_STATE=STATE)
    assert saved.returncode == 0, saved.stderr
    meta = json.loads((runner.temp / "saved" / "meta.json").read_text())
    assert meta == {"commit": COMMIT, "serial": "12", "lineage": "abc-123",
                    "stack_sha256": hashlib.sha256(b'{"resource": {}}\n').hexdigest()}
    assert (runner.temp / "saved" / "plan.tfplan").read_text() == "plan"
    checked = runner(scripts.CHECK_SAVED, FAKE_STATE=STATE)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_first_apply_has_no_state_on_either_side(runner):
    assert runner(scripts.SAVE_PLAN).returncode == 0
    assert runner(scripts.CHECK_SAVED).returncode == 0


@pytest.mark.parametrize("change,words", [
    ({"GITHUB_SHA": "f" * 40}, "made for commit"),
    ({"FAKE_STATE": STATE.replace('"serial": 12', '"serial": 13')}, "state changed since the plan"),
    ({"FAKE_STATE": STATE.replace("abc-123", "xyz-999")}, "state changed since the plan"),
    ({"FAKE_STATE": ""}, "state changed since the plan"),
])
def test_a_saved_plan_is_refused_for_another_commit_or_state(runner, change, words):
    assert runner(scripts.SAVE_PLAN, FAKE_STATE=STATE).returncode == 0
    checked = runner(scripts.CHECK_SAVED, **{"FAKE_STATE": STATE, **change})
    assert checked.returncode == 1 and words in checked.stdout


def test_a_saved_plan_is_refused_for_another_stack(runner):
    assert runner(scripts.SAVE_PLAN, FAKE_STATE=STATE).returncode == 0
    (runner.stack / "cdk.tf.json").write_text('{"resource": {"x": {}}}\n')
    checked = runner(scripts.CHECK_SAVED, FAKE_STATE=STATE)
    assert checked.returncode == 1 and "differs from the one that was planned" in checked.stdout


APPROVED_PROD = json.dumps([{"state": "approved", "environments": [{"name": "prod"}], "user": {"login": "ada"}}])
REJECTED_PROD = json.dumps([{"state": "rejected", "environments": [{"name": "prod"}]}])


@pytest.mark.parametrize("env,ok", [
    ({"APPROVAL_REQUIRED": "false"}, True),
    ({"APPROVAL_REQUIRED": "true", "FAKE_APPROVALS": APPROVED_PROD}, True),
    ({"APPROVAL_REQUIRED": "true"}, False),  # no required reviewers: nothing recorded, fails closed
    ({"APPROVAL_REQUIRED": "true", "FAKE_APPROVALS": REJECTED_PROD}, False),
    ({"APPROVAL_REQUIRED": "true", "FAKE_APPROVALS": APPROVED_PROD, "GATE": "staging-approval"}, False),
    # no required reviewers: a dispatch carrying the digest of this very review approves it
    ({"APPROVAL_REQUIRED": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "DISPATCH_APPROVE": "d1"}, True),
    ({"APPROVAL_REQUIRED": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "DISPATCH_APPROVE": "d0"}, False),
    ({"APPROVAL_REQUIRED": "true", "GITHUB_EVENT_NAME": "workflow_dispatch", "DISPATCH_APPROVE": ""}, False),
    ({"APPROVAL_REQUIRED": "true", "GITHUB_EVENT_NAME": "push", "DISPATCH_APPROVE": "d1"}, False),
    # an approval output that is missing (a plan job that never wrote it) or garbled fails closed
    ({"APPROVAL_REQUIRED": ""}, False),
    ({"APPROVAL_REQUIRED": "False"}, False),
    ({"APPROVAL_REQUIRED": "", "FAKE_APPROVALS": APPROVED_PROD}, True),
])
def test_approval_is_enforced(runner, env, ok):
    checked = runner(scripts.CHECK_APPROVAL, **{"GATE": "prod", "REVIEW_DIGEST": "d1", **env})
    assert (checked.returncode == 0) == ok, checked.stdout + checked.stderr


@pytest.mark.parametrize("status,output", [(0, "approval=false"), (3, "approval=true")])
def test_review_exit_status_becomes_the_approval_output(runner, status, output):
    bin_ = runner.temp.parent / "bin"
    _stub(bin_, "gen", 'if [ "$2" = --help ]; then echo usage; exit 0; fi\n'
          f'case "$*" in *"--format json"*) echo \'{{"summary": {{}}}}\' ;; *) echo "## verdict" ;; esac\nexit {status}\n')
    done = runner(scripts.REVIEW, GEN_ENV="prod", REVIEW_ENV="prod", GEN_APP="app.json")
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(b'{"summary": {}}\n').hexdigest()
    assert (runner.temp / "output").read_text().split() == [output, f"digest={digest}"]
    summary = (runner.temp / "summary.md").read_text()
    assert "## verdict" in summary and digest in summary


def test_a_bad_plan_fails_the_review_step(runner):
    _stub(runner.temp.parent / "bin", "gen", 'echo "gen: plan.json: not a plan" >&2\nexit 2\n')
    assert runner(scripts.REVIEW, GEN_ENV="prod", GEN_APP="app.json").returncode == 2


@pytest.mark.parametrize("has_max_chars", [False, True])
def test_the_comment_fits_with_and_without_gen_review_max_chars(runner, has_max_chars):
    """With --max-chars gen shortens the review itself; without, the workflow's cut does."""
    long_review = runner.temp.parent / "long.md"
    long_review.write_text("verdict\n<details>\n\n```\n" + "a line of the plan ✓\n" * 8000, "utf-8")
    help_text = "--max-chars N" if has_max_chars else "usage"
    _stub(runner.temp.parent / "bin", "gen", f'''if [ "$2" = --help ]; then echo "{help_text}"; exit 0; fi
prev=""; for a in "$@"; do if [ "$prev" = --max-chars ] && [ "$a" != 0 ]; then echo "short review"; exit 3; fi; prev=$a; done
cat "{long_review}"; exit 3
''')
    assert runner(scripts.REVIEW, GEN_ENV="prod", GEN_APP="app.json").returncode == 0
    done = runner(scripts.COMMENT, GEN_ENV="prod", GEN_APP="app.json", MARKER="<!-- gen:plan:prod -->",
                  GITHUB_SERVER_URL="https://github.com")
    assert done.returncode == 0, done.stderr
    comment = (runner.temp / "comment.md").read_text("utf-8")
    assert comment.startswith("<!-- gen:plan:prod -->") and len(comment.encode("utf-16-le")) // 2 < 65536
    assert ("short review" in comment) == has_max_chars
    assert len((runner.temp / "review.md").read_text("utf-8")) > 65536  # the summary keeps it whole


ISSUES = json.dumps([{"number": 41, "title": "gen drift: staging"}, {"number": 42, "title": "gen drift: prod"}])


@pytest.mark.parametrize("plan_status,issues,rc,call", [
    (2, "[]", 0, "gh issue create --repo acme/shop --title gen drift: prod --label gen-drift"),
    (2, ISSUES, 0, "gh issue edit 42 --repo acme/shop"),
    (0, ISSUES, 0, "gh issue close 42 --repo acme/shop"),
    (0, "[]", 0, None),
    (1, ISSUES, 1, None),
])
def test_drift_opens_updates_or_closes_one_issue_per_environment(runner, plan_status, issues, rc, call):
    done = runner(scripts.DRIFT, GEN_ENV="prod", TITLE="gen drift: prod", FAKE_PLAN_STATUS=str(plan_status),
                  FAKE_ISSUES=issues, GITHUB_SERVER_URL="https://github.com")
    assert done.returncode == rc, done.stdout + done.stderr
    log = (runner.temp / "gh.log").read_text() if (runner.temp / "gh.log").exists() else ""
    writes = [line for line in log.splitlines() if line.split()[1:3] in (["issue", "create"], ["issue", "edit"], ["issue", "close"])]
    assert writes == ([] if call is None else [w for w in writes if w.startswith(call)]) and len(writes) == (call is not None)
    if plan_status == 2:
        assert "aws_s3_bucket.x changed" in (runner.temp / "issue.md").read_text()


@pytest.mark.parametrize("plan,env_name,output,flagged", [
    ("no-changes.json", "staging", "approval=false", "false"),
    ("open-security-group.json", "staging", "approval=true", "true"),
    ("no-changes.json", None, "approval=false", "false"),
])
def test_review_and_risks_with_the_real_gen_on_real_plans(runner, plan, env_name, output, flagged):
    """The review, preview-risk and comment steps with the gen under test on the repository's plan fixtures."""
    import shutil
    import sys

    from conftest import EXAMPLES, ROOT

    bin_ = runner.temp.parent / "bin"
    _stub(bin_, "gen", f'exec {sys.executable} -m gen "$@"\n')
    shutil.copy(ROOT / "tests" / "plans" / plan, runner.temp / "plan.json")
    env = {"GEN_ENV": env_name or "pr:1", "GEN_APP": str(EXAMPLES / "shop.json"), "PYTHONPATH": str(ROOT),
           "MARKER": "<!-- gen:plan:x -->", "GITHUB_SERVER_URL": "https://github.com"}
    if env_name:
        env["REVIEW_ENV"] = env_name
    for script in (scripts.REVIEW, scripts.PREVIEW_RISKS, scripts.COMMENT):
        done = runner(script, **env)
        assert done.returncode == 0, done.stdout + done.stderr
    outputs = (runner.temp / "output").read_text().split()
    assert outputs[0] == output and outputs[2] == f"flagged={flagged}" and outputs[1].startswith("digest=")
    assert (runner.temp / "comment.md").read_text("utf-8").startswith("<!-- gen:plan:x -->")


COMMENTS = json.dumps([
    {"id": 5, "user": {"login": "someone"}, "body": "<!-- gen:plan:prod --> spoofed"},
    {"id": 9, "user": {"login": "github-actions[bot]"}, "body": "<!-- gen:plan:prod -->\nold plan"},
    {"id": 11, "user": {"login": "github-actions[bot]"}, "body": "<!-- gen:plan:staging -->\nother"},
])


@pytest.mark.parametrize("comments,call", [
    (COMMENTS, "gh api --method PATCH repos/acme/shop/issues/comments/9"),
    ("[]", "gh api --method POST repos/acme/shop/issues/3/comments"),
])
def test_one_comment_per_environment_is_updated_in_place(runner, comments, call):
    """A failed plan says so in the environment's own comment (the bot's, not a look-alike)."""
    done = runner(scripts.FAILED_COMMENT + scripts.UPSERT_COMMENT, FAKE_APPROVALS=comments, MARKER="<!-- gen:plan:prod -->",
                  GEN_ENV="prod", PR_NUMBER="3", BODY=str(runner.temp / "comment.md"), GITHUB_SERVER_URL="https://github.com")
    assert done.returncode == 0, done.stderr
    writes = [line for line in (runner.temp / "gh.log").read_text().splitlines() if "--method" in line]
    assert len(writes) == 1 and writes[0].startswith(call)
    body = (runner.temp / "comment.md").read_text()
    assert body.startswith("<!-- gen:plan:prod -->\n") and "The plan failed" in body


def test_the_sweep_destroys_every_closed_preview_and_keeps_open_ones(runner):
    """Each stand-in reads standard input, as a real tool may: the loop must still see every number."""
    bin_ = runner.temp.parent / "bin"
    _stub(bin_, "gh", 'cat > /dev/null\necho "gh $*" >> "$RUNNER_TEMP/gh.log"\n'
          'case "$3" in 2) echo OPEN ;; *) echo MERGED ;; esac\n')
    _stub(bin_, "gen", 'cat > /dev/null\nout="${@: -1}"\nmkdir -p "$out/stacks/x-$4"\n')
    _stub(bin_, "terraform", 'cat > /dev/null\necho "terraform $*" >> "$RUNNER_TEMP/tf.log"\n')
    _stub(bin_, "aws", 'cat > /dev/null\necho "aws $*" >> "$RUNNER_TEMP/aws.log"\n')
    (runner.temp / "previews.txt").write_text("1\n2\n3\n")
    script = scripts.SWEEP.replace("@REMOVE@", scripts.REMOVE_STATE["aws"])
    done = runner(script, GEN_APP="app.json", GEN_PREVIEW="preview", STATE_BUCKET="b", STATE_PATTERN="shop/pr-*/terraform.tfstate")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (runner.temp / "aws.log").read_text().splitlines() == [
        "aws s3 rm s3://b/shop/pr-1/terraform.tfstate", "aws s3 rm s3://b/shop/pr-3/terraform.tfstate"]
    assert (runner.temp / "tf.log").read_text().count(" destroy ") == 2
