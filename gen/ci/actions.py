"""The actions the workflows use, each pinned to the full commit of a release tag, and the steps
every job shares (checkout, toolchain and caches, cloud credentials).

The commits were read from each action's repository (`git show-ref --tags`); the tag is the
comment beside the pin. Upgrading one means changing its line here and regenerating.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re

from gen.ci.yaml import Commented

PINS = {
    "checkout": ("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "setup-python": ("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "setup-node": ("actions/setup-node", "820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "setup-terraform": ("hashicorp/setup-terraform", "dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    "cache": ("actions/cache", "27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "upload-artifact": ("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "download-artifact": ("actions/download-artifact", "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "aws-credentials": ("aws-actions/configure-aws-credentials", "e6de054238d6b7531b4efff3b6587d9aade6a06c", "v6.2.3"),
    "google-auth": ("google-github-actions/auth", "7c6bc770dae815cd3e89ee6cdf493a5fab2cc093", "v3.0.0"),
    "setup-gcloud": ("google-github-actions/setup-gcloud", "aa5489c8933f4cc7a4f7d45035b3b1440c9c10db", "v3.0.1"),
}
RUNNER = "ubuntu-24.04"
PYTHON = "3.12"
NODE = "20"  # the Node the pinned jsii and cdktf were tested with
TERRAFORM = "1.11.4"  # >= 1.10: S3 state locking with a lock file
# gen's own package cache (gen.synth.speed.cache): only the jsii types and JavaScript modules
# gen's stacks use, ~80 MB; with it jsii extracts nothing into its own cache, which needs no caching.
GEN_CACHE = "~/.cache/gen"
PIP_CACHE = "~/.cache/pip"
STACKS = "out/stacks"


def uses(action: str) -> Commented:
    repo, commit, tag = PINS[action]
    return Commented(f"{repo}@{commit}", tag)


def pinned_versions() -> list[str]:
    """gen's exact pins (cdktf, bindings, jsii, ...) as `name==version`, sorted: the cache key's input."""
    try:
        requires = importlib.metadata.requires("gen") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    pins = sorted(r.split(";")[0].strip() for r in requires if "==" in r and "extra ==" not in r)
    return [re.sub(r"\s+", "", pin) for pin in pins]


def cache_key() -> str:
    """Changes exactly when gen's version or a pinned dependency does (and so the package cache's
    contents; an entry gen's code no longer matches is refilled at run time, never used)."""
    text = "\n".join([f"gen=={importlib.metadata.version('gen')}", *pinned_versions(), f"python=={PYTHON}", f"node=={NODE}"])
    return f"gen-${{{{ runner.os }}}}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def checkout(ref: str | None = None, depth: int | None = None) -> dict:
    options = {"persist-credentials": False}
    if ref:
        options["ref"] = ref
    if depth is not None:
        options["fetch-depth"] = depth
    return {"name": "Check out", "uses": uses("checkout"), "with": options}


INSTALL = """\
if [ -z "$GEN_INSTALL" ]; then
  echo "::error::Set the repository variable GEN_INSTALL to gen's pip requirement (README: CI)."
  exit 1
fi
python -m pip install --disable-pip-version-check "$GEN_INSTALL"
"""


def toolchain(terraform: bool = True) -> list[dict]:
    """Python, Node, Terraform, the pip and gen package caches keyed on the pinned versions, and gen."""
    steps = [
        {"name": "Set up Python", "uses": uses("setup-python"), "with": {"python-version": PYTHON}},
        {"name": "Set up Node", "uses": uses("setup-node"), "with": {"node-version": NODE}},
    ]
    if terraform:
        steps.append({"name": "Set up Terraform", "uses": uses("setup-terraform"),
                      "with": {"terraform_version": TERRAFORM, "terraform_wrapper": False}})
    steps += [
        {"name": "Cache pip and gen's packages", "uses": uses("cache"),
         "with": {"path": f"{PIP_CACHE}\n{GEN_CACHE}\n", "key": cache_key()}},
        {"name": "Install gen", "env": {"GEN_INSTALL": "${{ vars.GEN_INSTALL }}"}, "run": INSTALL},
    ]
    return steps


def _step(name: str, condition: str | None, **rest) -> dict:
    return {"name": name, **({"if": condition} if condition else {}), **rest}


APPLY_SESSION_SECONDS = 7200  # an apply may outlast AWS's default hour; the bootstrap's apply roles allow two


def aws_credentials(role: str, region: str, condition: str | None = None, seconds: int | None = None) -> dict:
    options = {"role-to-assume": role, "aws-region": region, "role-session-name": "gen-${{ github.run_id }}"}
    if seconds:
        options["role-duration-seconds"] = seconds
    return _step("AWS credentials (OIDC)", condition, uses=uses("aws-credentials"), **{"with": options})


def google_credentials(provider: str, account: str, condition: str | None = None) -> dict:
    return _step("Google credentials (workload identity federation)", condition, uses=uses("google-auth"),
                 **{"with": {"workload_identity_provider": provider, "service_account": account}})


def credentials(trust, region: str, role: str) -> list[dict]:
    """Credentials for one environment: its plan or apply identity."""
    identity = trust.plan_identity if role == "plan" else trust.apply_identity
    if trust.cloud == "aws":
        return [aws_credentials(identity, region, seconds=APPLY_SESSION_SECONDS if role == "apply" else None)]
    return [google_credentials(f"${{{{ vars.{trust.provider_variable} }}}}", identity)]


_WHY = {
    ("contents", "read"): "check out the repository",
    ("id-token", "write"): "OIDC token for cloud credentials",
    ("pull-requests", "write"): "comment on the pull request",
    ("pull-requests", "read"): "see which pull requests are closed",
    ("issues", "write"): "open or update the drift issue",
    ("actions", "read"): "read the run's deployment approvals",
}


def permissions(**granted: str) -> dict:
    """A job's permissions, each with why it is needed (`id_token="write"` -> `id-token: write`)."""
    return {key.replace("_", "-"): Commented(level, _WHY[key.replace("_", "-"), level]) for key, level in granted.items()}
