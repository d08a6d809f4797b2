"""The CI trust that `gen bootstrap` creates and `gen ci github` workflows use, named once.

Both sides derive every name from the model, so the workflows find the roles, service
accounts and state objects the bootstrap stack made without anyone copying ARNs around;
the one thing the model cannot know, a Google project's number, is a repository variable.

- AWS: per environment, a plan role `<app>-<env>-ci-plan` (read-only, trusted for the
  repository's pull requests and branch runs) and an apply role `<app>-<env>-ci-apply`
  (trusted only for jobs that run in the GitHub environment `<env>`).
- Google: per environment, service accounts `<app>-<env>-ci-plan` / `-ci-apply` (cut to 30
  characters with a stable hash), and one workload identity pool `<app>-github` per project
  whose provider accepts only the repository's tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gen.model import names
from gen.model.environments import Environment, _state, resolve_spec
from gen.model.model import App

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
AWS_AUDIENCE = "sts.amazonaws.com"
APPROVAL_SUFFIX = "-approval"  # the GitHub environment that gates a risky apply of an `auto` environment
PREVIEW_LABEL = "gen-preview-approved"  # lets a preview whose review flags security/exposure apply
POOL_PROVIDER = "github"
REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True)
class Trust:
    """What one environment's CI jobs assume: by name, and for AWS as full ARNs."""

    env: str  # the model's environment name = the GitHub environment of its apply job
    cloud: str
    plan: str  # AWS role name, or Google service account id
    apply: str
    plan_identity: str  # AWS role ARN, or service account e-mail
    apply_identity: str
    provider_variable: str | None  # Google: repository variable holding the pool provider's full name
    state_bucket: str
    state_objects: str  # the state objects this environment owns (a prefix ending in * for previews)


def pool_id(app: App) -> str:
    return names.shorten(f"{app.name}-github", 32)


def provider_variable(project: str) -> str:
    """`GEN_GCP_PROVIDER_<PROJECT>`: where the workflows read the project's pool provider from."""
    return "GEN_GCP_PROVIDER_" + re.sub(r"[^A-Z0-9]", "_", project.upper())


def _account_id(app: App, env: str, role: str) -> str:
    return names.cloud_name(app.name, env, role, names.GOOGLE_SERVICE_ACCOUNT_ID)


def state_objects(env: Environment) -> str:
    """The environment's state key (S3) or prefix (GCS); for a preview template, all its pr-<n>."""
    if env.type == "preview" and env.pull_request is None:
        spec = env.app.environments[env.spec_name]
        key = _state(env.app, spec, "pr-*").key
        return key.replace("pr-*/terraform.tfstate", "pr-*") if env.cloud == "aws" else key
    return env.state.key


def trust(env: Environment) -> Trust:
    app = env.app
    name = env.spec_name
    if env.cloud == "aws":
        plan = names.cloud_name(app.name, name, "ci-plan", names.AWS_IAM_ROLE)
        apply = names.cloud_name(app.name, name, "ci-apply", names.AWS_IAM_ROLE)
        arn = f"arn:aws:iam::{env.account}:role/"
        return Trust(name, "aws", plan, apply, arn + plan, arn + apply, None, env.state.bucket, state_objects(env))
    plan, apply = _account_id(app, name, "ci-plan"), _account_id(app, name, "ci-apply")
    domain = f"@{env.project}.iam.gserviceaccount.com"
    return Trust(name, "gcp", plan, apply, plan + domain, apply + domain, provider_variable(env.project),
                 env.state.bucket, state_objects(env))


def cloud_environments(app: App) -> list[Environment]:
    """The environments that have a cloud (every type but local), previews as their template."""
    return [resolve_spec(app, spec) for spec in app.environments.values() if spec.type != "local"]


def same_home(app: App, env: Environment) -> list[Environment]:
    """The cloud environments sharing `env`'s account or project and state bucket: one bootstrap makes them all."""
    return [e for e in cloud_environments(app)
            if e.cloud == env.cloud and (e.account, e.project, e.state.bucket) == (env.account, env.project, env.state.bucket)]


def preview_beside_approved(app: App, env: Environment) -> tuple[Environment, Environment] | None:
    """A preview environment and an environment a person approves, both in `env`'s account or project.

    A preview's GitHub environment takes any branch, so anyone who can push a branch can run a
    workflow with the preview's apply identity, and that identity may create IAM roles (AWS) or
    grant roles (Google) in its account or project: whatever else lives there is theirs too.
    The bootstrap refuses such a home rather than make that trust.
    """
    home = [e for e in cloud_environments(app) if e.cloud == env.cloud and (e.account, e.project) == (env.account, env.project)]
    previews = [e for e in home if e.type == "preview"]
    approved = [e for e in home if e.type != "preview" and (e.approval == "manual" or e.type == "production")]
    return (previews[0], approved[0]) if previews and approved else None


def unguarded_beside_approved(app: App, env: Environment) -> tuple[Environment, Environment] | None:
    """An `auto` environment and a `manual` one in `env`'s account or project, if there are both.

    The `auto` one's apply identity needs no person and can create IAM where it lives, so the
    `manual` one is only as guarded as the other's deploy branch. Allowed (some teams keep
    staging and production in one account), but the bootstrap says so.
    """
    home = [e for e in cloud_environments(app) if e.cloud == env.cloud and (e.account, e.project) == (env.account, env.project)
            and e.type != "preview"]
    auto = [e for e in home if e.approval != "manual"]
    manual = [e for e in home if e.approval == "manual"]
    return (auto[0], manual[0]) if auto and manual else None
