"""What a Google Cloud environment cannot express is a validation error at the pointer of the value."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import EXAMPLES
from gen.model.source import parse
from gen.model.validate import check

BASE = {
    "app": "tiny",
    "image": "ghcr.io/acme/tiny:1",
    "services": {"web": {"ingress": "public"}},
    "topics": {"jobs": {"subscriptions": {"run": {"service": "web", "path": "/jobs"}}}},
    "caches": {"hot": {"engine": "redis", "memory_mb": 1024}},
    "environments": {
        "dev": {"type": "development", "cloud": "gcp", "region": "europe-west1", "project": "acme-tiny-dev"},
    },
}


def problems(change) -> list[tuple[str, str]]:
    model = copy.deepcopy(BASE)
    change(model)
    _, found = check(parse(json.dumps(model, indent=2), "tiny.json"))
    return [(p.pointer, p.message) for p in found]


def web(**fields):
    return lambda m: m["services"]["web"].update(fields)


def override(**fields):
    return lambda m: m["environments"]["dev"].setdefault("overrides", {}).setdefault("services", {}).setdefault("web", {}).update(fields)


def both(*changes):
    def apply(m):
        for change in changes:
            change(m)
    return apply


CASES = [
    ("quarter vCPU with 1 GiB", web(cpu=0.25, memory=1024), "/services/web/memory", "at most 512 MiB"),
    ("half vCPU with 2 GiB", web(cpu=0.5, memory=2048), "/services/web/memory", "at most 1024 MiB"),
    ("1 vCPU with 8 GiB", web(cpu=1, memory=8192), "/services/web/memory", "at most 4096 MiB"),
    ("2 vCPU with 16 GiB", web(cpu=2, memory=16384), "/services/web/memory", "at most 8192 MiB"),
    ("4 vCPU with 1 GiB", web(cpu=4, memory=1024), "/services/web/memory", "2048 to 16384 MiB"),
    ("override cpu below the service's memory", both(web(memory=2048), override(cpu=0.5)),
     "/environments/dev/overrides/services/web/cpu", "at most 1024 MiB"),
    ("too few delivery attempts", lambda m: m["topics"]["jobs"]["subscriptions"]["run"].update(max_retries=3),
     "/topics/jobs/subscriptions/run/max_retries", "5 to 100 delivery attempts"),
    ("image on quay.io", web(image="quay.io/acme/web:1"), "/services/web/image", "cannot pull 'quay.io/acme/web:1'"),
    ("app image on a private registry", lambda m: m.update(image="registry.acme.internal:5000/tiny:1"), "/image",
     "from registry.acme.internal:5000"),
    ("image in ECR", web(image="111111111111.dkr.ecr.eu-west-1.amazonaws.com/web:1"), "/services/web/image",
     "Artifact Registry remote repository"),
    ("a variable gen sets on Google (cache CA)",
     lambda m: m["services"]["web"].update(uses={"caches": ["hot"]}, env={"HOT_CACHE_CA": "x"}),
     "/services/web/env/HOT_CACHE_CA", "gen sets HOT_CACHE_CA itself"),
    ("a variable gen sets on Google (push audience)", override(env={"RUN_PUSH_AUDIENCE": "x"}),
     "/environments/dev/overrides/services/web/env/RUN_PUSH_AUDIENCE", "Pub/Sub push of jobs/run"),
]


@pytest.mark.parametrize("change,pointer,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_cloud_run_cannot_run_is_an_error_at_its_pointer(change, pointer, words):
    found = problems(change)
    assert [p for p, _ in found] == [pointer], found
    assert words in found[0][1] and "gcp environment 'dev'" in found[0][1]


def test_the_base_model_is_valid():
    assert problems(lambda m: None) == []


@pytest.mark.parametrize("cpu,memory", [(0.25, 512), (0.5, 1024), (1, 4096), (2, 8192), (4, 2048), (4, 16384)])
def test_cloud_run_sizes_at_their_limits_are_valid(cpu, memory):
    assert problems(web(cpu=cpu, memory=memory)) == []


def test_a_worker_with_a_full_vcpu_is_valid():
    assert problems(web(ingress="none", cpu=1, memory=512)) == []


def resolved(change):
    from gen.model.environments import resolve

    model = copy.deepcopy(BASE)
    change(model)
    app, found = check(parse(json.dumps(model, indent=2), "tiny.json"))
    assert found == []
    return resolve(app, "dev")


def adjusted(env) -> dict[str, tuple]:
    return {a.what: (a.pointer, a.was, a.now) for a in env.adjustments}


@pytest.mark.parametrize("change", [web(ingress="none"), web(ingress="none", cpu=0.5, memory=512)],
                         ids=["type default cpu", "own cpu"])
def test_a_worker_below_one_vcpu_is_rounded_up_to_what_cloud_run_offers(change):
    env = resolved(change)
    assert env.units["web"].cpu == 1
    assert adjusted(env)["unit web cpu"][1:] == (env.services["web"].cpu, 1)


@pytest.mark.parametrize("where,pointer", [
    (lambda m: m["caches"]["hot"].update(memory_mb=512), "/caches/hot/memory_mb"),
    (lambda m: m["environments"]["dev"].setdefault("overrides", {}).update(caches={"hot": {"memory_mb": 2560}}),
     "/environments/dev/overrides/caches/hot/memory_mb"),
], ids=["model", "override"])
def test_a_cache_size_is_rounded_up_to_whole_gb(where, pointer):
    env = resolved(where)
    assert env.caches["hot"].memory_mb % 1024 == 0
    assert adjusted(env)["cache hot memory_mb"][0] == pointer


def test_a_stated_memory_makes_the_default_cpu_yield():
    env = resolved(override(memory=4096))  # development's default cpu 0.25 cannot have 4 GiB
    assert (env.services["web"].cpu, env.services["web"].memory) == (1, 4096)
    assert adjusted(env)["service web cpu"] == ("/environments/dev/type", 0.25, 1)


def test_a_stated_cpu_makes_the_default_memory_yield():
    env = resolved(web(cpu=4))  # development's default memory 512 is below Cloud Run's 2 GiB for 4 vCPU
    assert (env.services["web"].cpu, env.services["web"].memory) == (4, 2048)


def test_aws_environments_are_not_held_to_cloud_run_limits():
    def aws(m):
        m["environments"] = {"dev": {"type": "development", "cloud": "aws", "region": "eu-west-1",
                                     "account": "111111111111"}}
        m["topics"]["jobs"]["subscriptions"]["run"]["max_retries"] = 3
    assert problems(aws) == []


@pytest.mark.parametrize("model", ["shop", "gcp-preview-existing-network"])
def test_the_examples_are_valid(model):
    _, found = check(parse((EXAMPLES / f"{model}.json").read_text("utf-8"), f"{model}.json"))
    assert found == []


def _production(change=lambda m: None):
    from gen.model.environments import resolve

    model = copy.deepcopy(BASE)
    model["environments"]["prod"] = {"type": "production", "cloud": "gcp", "region": "europe-west1",
                                     "project": "acme-tiny-prod", "domain": "tiny.example.com"}
    change(model)
    app, found = check(parse(json.dumps(model, indent=2), "tiny.json"))
    assert found == [], found
    return resolve(app, "prod")


def test_production_gets_a_full_vcpu_unless_the_model_states_less():
    env = _production()  # production's default is 0.5 vCPU
    assert (env.services["web"].cpu, env.units["web"].cpu) == (1, 1)
    assert adjusted(env)["service web cpu"] == ("/environments/prod/type", 0.5, 1)
    env = _production(web(cpu=0.5, memory=512))  # a stated cpu wins (and keeps concurrency 1)
    assert env.units["web"].cpu == 0.5 and "service web cpu" not in adjusted(env)
    env = _production(web(memory=6144))  # the default yields to a stated memory beyond 1 vCPU's
    assert (env.services["web"].cpu, env.services["web"].memory) == (2, 6144)
    assert resolved(lambda m: None).services["web"].cpu == 0.25  # development keeps its default


def test_env_show_says_what_cloud_run_gets_in_production(tmp_path):
    from click.testing import CliRunner

    from gen.cli import main

    model = copy.deepcopy(BASE)
    model["environments"]["prod"] = {"type": "production", "cloud": "gcp", "region": "europe-west1",
                                     "project": "acme-tiny-prod", "domain": "tiny.example.com"}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(model), "utf-8")
    shown = json.loads(CliRunner().invoke(main, ["env", "show", str(path), "--name", "prod", "--json"]).output)
    assert [(u["unit"], u["cpu"]) for u in shown["units"]] == [("web", 1)]
    assert any(a["what"] == "service web cpu" and a["now"] == 1 for a in shown["adjusted"])


@pytest.mark.parametrize("image", ["europe-docker.pkg.dev/acme/apps/web:1", "gcr.io/acme/web:1", "eu.gcr.io/acme/web:1",
                                   "nginx:1.27", "acme/web:1", "docker.io/acme/web:1", "ghcr.io/acme/web:1",
                                   "europe-docker.pkg.dev/acme/apps/web@sha256:" + "a" * 64])
def test_images_cloud_run_can_pull_are_valid(image):
    assert problems(web(image=image)) == []


def test_one_error_for_an_app_image_shared_by_services():
    def change(m):
        m["image"] = "quay.io/acme/tiny:1"
        m["services"]["api"] = {"ingress": "internal"}
    assert [p for p, _ in problems(change)] == ["/image"]
