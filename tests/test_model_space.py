"""Property tests of synthesis: every valid model synthesizes, on both clouds, into stacks whose
references all resolve, and whose size grows linearly with the model.

The models come from a seeded generator (tests/model_space.py), so a failure names its seed
and reproduces everywhere: `model_space.model(SEED)`. All of them are synthesized in one
`synth_environments` call (one process per cloud), which keeps this to seconds, not minutes.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from model_space import model
from test_golden import missing_references
from gen.model.environments import resolve
from gen.model.source import parse
from gen.model.validate import check

SEEDS = range(40)


def _validated(raw: dict):
    app, problems = check(parse(json.dumps(raw, indent=2), f"{raw['app']}.json"))
    assert problems == [], f"model {raw['app']} (model_space.model({raw['app'][1:]})) is valid by the contract:\n" + \
        "\n".join(map(str, problems))
    return app


def _environments(app) -> list:
    """Every environment gen synthesizes for a model: each cloud one, and a preview as pr:<n>."""
    from gen.synth import select

    chosen = select(app, None).environments
    chosen += [resolve(app, f"pr:{n}", name) for n, name in enumerate(
        (e.name for e in app.environments.values() if e.type == "preview"), 1)]
    return chosen


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    """seed -> {stack name: Terraform JSON} for every generated model."""
    from gen.synth import STACK_FILE, STACKS, synth_environments

    out = tmp_path_factory.mktemp("space") / "out"
    environments, owner = [], {}
    for seed in SEEDS:
        for env in _environments(_validated(model(seed))):
            environments.append(env)
            owner[env.stack_name] = seed
    results = synth_environments(environments, out)
    stacks: dict[int, dict] = {seed: {} for seed in SEEDS}
    for result in results:
        stacks[owner[result.name]][result.name] = json.loads((out / STACKS / result.name / STACK_FILE).read_text())
    return stacks


def test_the_space_covers_what_the_contract_allows(space):
    """The generator is only worth its seeds if they reach every kind and shape."""
    seen = Counter()
    for seed in SEEDS:
        raw = model(seed)
        seen.update(k for k in ("databases", "buckets", "topics", "caches", "secrets", "cron") if raw.get(k))
        for env in raw["environments"].values():
            seen[env["type"]] += 1
            seen[env.get("cloud", "local")] += 1
            allocation = env.get("process_allocation", "per-service")
            seen["groups" if isinstance(allocation, dict) else allocation] += 1
            seen["imported network" if "vpc_id" in env.get("network", {}) or "subnetwork" in env.get("network", {})
                 else "network"] += 1
        seen.update(s["ingress"] for s in raw["services"].values())
    for what in ("databases", "buckets", "topics", "caches", "secrets", "cron", "production", "development",
                 "preview", "aws", "gcp", "per-service", "single", "groups", "imported network", "public",
                 "internal", "none"):
        assert seen[what] >= 3, (what, seen)
    assert sum(len(s) for s in space.values()) >= 60


@pytest.mark.parametrize("seed", SEEDS)
def test_every_generated_model_synthesizes_with_every_reference_resolved(space, seed):
    raw = model(seed)
    stacks = space[seed]
    assert stacks, f"model {seed} gave no stack"
    for name, stack in stacks.items():
        assert stack.get("resource"), name
        assert missing_references(stack) == [], (seed, name)


def _linear_model(services: int, cloud: str) -> dict:
    """n services of each ingress kind, each with a database, a bucket, a topic subscription,
    a cache and a secret of its own, and a call from each public service to an internal one:
    every per-service resource grows by a fixed amount."""
    raw = {"app": "lin", "image": "ghcr.io/acme/lin:1", "services": {}, "databases": {}, "buckets": {},
           "topics": {"events": {"subscriptions": {}}}, "caches": {}, "secrets": {}}
    for i in range(services):
        for kind in ("public", "internal", "none"):
            name = f"{kind[:3]}{i}"
            raw["services"][name] = {"ingress": kind, **({"path": f"/{name}"} if kind == "public" else {}),
                                     "uses": {"databases": [f"db{i}"], "buckets": {f"files{i}": "read-write"},
                                              "topics": {"events": "publish"}, "caches": [f"hot{i}"],
                                              "secrets": [f"key{i}"]}}
            if kind != "none":
                raw["topics"]["events"]["subscriptions"][f"to-{name}"] = {"service": name, "path": "/events"}
            if kind == "public":  # each public service calls the internal one of its index
                raw["services"][name]["uses"]["services"] = [f"int{i}"]
        raw["databases"][f"db{i}"] = {"engine": "postgres"}
        raw["buckets"][f"files{i}"] = {}
        raw["caches"][f"hot{i}"] = {"engine": "redis"}
        raw["secrets"][f"key{i}"] = {}
    where = {"aws": {"region": "eu-west-1", "account": "111111111111"},
             "gcp": {"region": "europe-west1", "project": "acme-lin"}}[cloud]
    raw["environments"] = {"prod": {"type": "production", "cloud": cloud, "domain": "www.lin.example.com", **where}}
    return raw


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_resources_grow_linearly_with_the_model(tmp_path, cloud):
    """No resource kind is made per pair of units: doubling the services doubles what they add."""
    from gen.synth import STACK_FILE, STACKS, synth_environments

    counts = {}
    environments = []
    for n in (2, 4, 8):
        raw = _linear_model(n, cloud)
        raw["app"] = f"lin{n}"
        environments.append(resolve(_validated(raw), "prod"))
    synth_environments(environments, tmp_path / "out")
    for n, env in zip((2, 4, 8), environments):
        stack = json.loads((tmp_path / "out" / STACKS / env.stack_name / STACK_FILE).read_text())
        counts[n] = Counter({kind: len(items) for kind, items in stack["resource"].items()})
    superlinear = {kind: (counts[2][kind], counts[4][kind], counts[8][kind])
                   for kind in counts[8] if counts[8][kind] - counts[4][kind] != 2 * (counts[4][kind] - counts[2][kind])}
    assert superlinear == {}, f"resource kinds that do not grow linearly (2, 4, 8 of each service): {superlinear}"


@pytest.fixture(scope="module")
def space_diagnostics(space, terraform):
    """Terraform core's validate on every generated stack (tests/terraform: stand-in providers
    with the bindings' schemas), in one batch spread over the cores."""
    stacks = [(seed, name, stack) for seed in SEEDS for name, stack in sorted(space[seed].items())]
    found = terraform.validate_many([stack for _, _, stack in stacks], names=[name for _, name, _ in stacks])
    return {(seed, name): diagnostics for (seed, name, _), diagnostics in zip(stacks, found)}


@pytest.mark.parametrize("seed", SEEDS)
def test_terraform_validate_accepts_every_generated_stack(space_diagnostics, space, seed):
    for name in space[seed]:
        assert [str(d) for d in space_diagnostics[(seed, name)]] == [], (seed, name)
