"""The preview and drift workflows (`gen-preview.yml`, `gen-drift.yml`).

A preview is `pr:<number>` derived from the model's preview environment: planned, reviewed
and applied on every push to its pull request, its URL commented; it waits for a person
only when the review flags security or exposure (the label `gen-preview-approved` or an
approval in the GitHub environment `<preview>-approval` lets it through). Closing the pull
request checks out its head commit, destroys the preview and removes its state; a daily
sweep destroys previews whose pull request closed without that (a failed or skipped run).
"""

from __future__ import annotations

from dataclasses import replace

from gen.ci import actions, scripts
from gen.ci.github import (
    PR_NUMBER, SAME_REPOSITORY, SWEEP_CRON, DRIFT_CRON, _apply_jobs, _matrix_credentials, _matrix_row, _run,
    _workflow, stack_environments,
)
from gen.model.environments import preview_templates, resolve_spec
from gen.model.model import App
from gen.model.trust import PREVIEW_LABEL, trust


def _state_object(e, number: str) -> str:
    pattern = trust(e).state_objects
    return pattern.replace("*", number) + ("/terraform.tfstate" if e.cloud == "aws" else "/default.tfstate")


def preview(app: App, app_path: str, template: str) -> dict:
    """The preview workflow for one of the model's preview environments (`template`)."""
    e = resolve_spec(app, app.environments[template])
    t = trust(e)
    single = len(preview_templates(app)) == 1
    stack = f"{app.name}-pr-{PR_NUMBER}-{e.cloud}"
    env = {"GEN_ENV": f"pr:{PR_NUMBER}", "GEN_PREVIEW": e.spec_name, "STACK": stack}
    opened = (f"github.event_name == 'pull_request' && github.event.action != 'closed' && {SAME_REPOSITORY}"
              f" && (github.event.action != 'labeled' || github.event.label.name == '{PREVIEW_LABEL}')")
    # The label approves only the run its adding starts (the commit it was added on), and only
    # when someone other than the pull request's author adds it: a label left on the pull
    # request approves no later push, and an author cannot approve their own preview with it.
    unlabelled = (f"!(github.event.action == 'labeled' && github.event.label.name == '{PREVIEW_LABEL}'"
                  " && github.event.sender.login != github.event.pull_request.user.login)")
    gate = unlabelled if e.approval == "manual" else f"needs.plan-{e.spec_name}.outputs.flagged == 'true' && {unlabelled}"
    marker = f"<!-- gen:preview:{e.spec_name} -->"
    comment = [
        _run("Write the comment", scripts.PREVIEW_URL, {"MARKER": marker}, "url"),
        _run("Comment the URL", scripts.UPSERT_COMMENT, {
            "GH_TOKEN": "${{ github.token }}", "PR_NUMBER": PR_NUMBER, "MARKER": marker,
            "BODY": "${{ runner.temp }}/comment.md"}),
    ]
    jobs = _apply_jobs(
        replace(e, approval="auto"), opened, env, f"pr:{PR_NUMBER}" if single else None,
        gate, f"${{{{ {gate} }}}}", comment,
        actions.permissions(contents="read", id_token="write", pull_requests="write", actions="read"),
        f"gen-plan-{e.spec_name}-pr-{PR_NUMBER}-${{{{ github.sha }}}}")
    # the deployment shows the preview's URL on the pull request
    jobs[f"apply-{e.spec_name}"]["environment"]["url"] = "${{ steps.url.outputs.url }}"
    gcloud = [{"name": "Set up gcloud", "uses": actions.uses("setup-gcloud")}] if e.cloud == "gcp" else []
    jobs["destroy"] = {
        "name": "Destroy the preview",
        "if": f"github.event_name == 'pull_request' && github.event.action == 'closed' && {SAME_REPOSITORY}",
        "runs-on": actions.RUNNER, "timeout-minutes": 120, "environment": e.spec_name,
        "permissions": actions.permissions(contents="read", id_token="write"),
        "env": {**env, "STATE_BUCKET": t.state_bucket, "STATE_OBJECT": _state_object(e, PR_NUMBER)},
        "steps": [
            actions.checkout(ref="${{ github.event.pull_request.head.sha }}"),
            *actions.toolchain(),
            *actions.credentials(t, e.region, "apply"),
            *gcloud,
            _run("Synthesize", scripts.SYNTH),
            _run("Destroy", scripts.DESTROY),
            _run("Remove its state", scripts.REMOVE_STATE[e.cloud] + "\n"),
        ],
    }
    prefix = t.state_objects.split("*")[0]
    jobs["sweep"] = {
        "name": "Destroy previews of closed pull requests",
        "if": "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'",
        "runs-on": actions.RUNNER, "timeout-minutes": 180, "environment": e.spec_name,
        "permissions": actions.permissions(contents="read", id_token="write", pull_requests="read"),
        "env": {"GEN_PREVIEW": e.spec_name, "STATE_BUCKET": t.state_bucket, "STATE_PREFIX": prefix,
                "STATE_PATTERN": _state_object(e, "*"), "GH_TOKEN": "${{ github.token }}"},
        "steps": [
            actions.checkout(),
            *actions.toolchain(),
            *actions.credentials(t, e.region, "apply"),
            *gcloud,
            _run("List the previews that have state", scripts.LIST_PREVIEWS[e.cloud]),
            _run("Destroy those whose pull request is closed",
                 scripts.SWEEP.replace("@REMOVE@", scripts.REMOVE_STATE[e.cloud])),
        ],
    }
    on = {"pull_request": {"types": ["opened", "synchronize", "reopened", "labeled", "closed"]},
          "schedule": [{"cron": SWEEP_CRON}], "workflow_dispatch": {}}
    name = "gen preview" if single else f"gen preview ({e.spec_name})"
    return _workflow(name, on, jobs, app_path, {
        "group": f"gen-preview-{e.spec_name}-${{{{ github.event.pull_request.number || 'sweep' }}}}", "cancel-in-progress": False})


def drift(app: App, app_path: str) -> dict | None:
    envs = stack_environments(app)
    if not envs:
        return None
    rows = [_matrix_row(e) for e in envs]
    job = {
        "name": "Drift ${{ matrix.environment.name }}",
        "runs-on": actions.RUNNER,
        "timeout-minutes": 60,
        "permissions": actions.permissions(contents="read", id_token="write", issues="write"),
        "strategy": {"fail-fast": False, "matrix": {"environment": rows}},
        "env": {"GEN_ENV": "${{ matrix.environment.name }}", "STACK": "${{ matrix.environment.stack }}",
                "TITLE": "gen drift: ${{ matrix.environment.name }}", "GH_TOKEN": "${{ github.token }}"},
        "steps": [
            actions.checkout(),
            *actions.toolchain(),
            *_matrix_credentials({e.cloud for e in envs}),
            _run("Synthesize", scripts.SYNTH),
            _run("Refresh-only plan; open or update the drift issue", scripts.DRIFT),
        ],
    }
    on = {"schedule": [{"cron": DRIFT_CRON}], "workflow_dispatch": {}}
    return _workflow("gen drift", on, {"drift": job}, app_path, {"group": "gen-drift", "cancel-in-progress": False})
