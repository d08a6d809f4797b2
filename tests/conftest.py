"""Shared fixtures: golden synthesis (once per session) and the --update-goldens flag."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Stacks built in the test process keep the provider bindings' Python type checks, which gen
# skips when it synthesizes for users (gen/synth/speed/bindings.py, _lighten_bindings): a provider module
# passing a wrong type fails here with the argument's name. Programs the tests start get the
# shipped behaviour (tests/test_synth.py, run_gen).
os.environ["GEN_TYPE_CHECKS"] = "1"
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"

# (example model, environment) pairs whose synthesized stacks are kept as golden files in
# tests/golden/<model>/<stack>.tf.json. Regenerate on purpose: pytest --update-goldens
GOLDEN_CASES = [
    ("shop", "prod"),
    ("shop", "pr:1"),
    ("shop", "staging"),
    ("shop", "prod-eu"),
    ("aws-groups-existing-network", "live"),
    ("gcp-preview-existing-network", "pr:1"),
    ("gcp-preview-existing-network", "shared-dev"),
]


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden from the current synthesis instead of comparing")


@pytest.fixture(scope="session")
def update_goldens(request) -> bool:
    return request.config.getoption("--update-goldens")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """Every golden case synthesized once: (model, env) -> {"stack": name, "text": file text, "json": value}."""
    from gen.model.environments import resolve
    from gen.synth import STACK_FILE, STACKS, synth_environments
    from gen.model.validate import load_app

    results = {}
    models = sorted({model for model, _ in GOLDEN_CASES})
    for model in models:
        app = load_app(EXAMPLES / f"{model}.json")
        envs = [resolve(app, env) for m, env in GOLDEN_CASES if m == model]
        out = tmp_path_factory.mktemp(f"synth-{model}") / "out"
        synth_environments(envs, out)
        for (m, env_name), env in zip([c for c in GOLDEN_CASES if c[0] == model], envs):
            text = (out / STACKS / env.stack_name / STACK_FILE).read_text("utf-8")
            results[(m, env_name)] = {"stack": env.stack_name, "text": text, "json": json.loads(text), "cloud": env.cloud}
    return results
