"""Local environments: what Docker on a developer's machine cannot express is a validation error at
its pointer, and each unit's container gets the same variable names as in the cloud stack of the
same model (plus the emulator endpoints)."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import EXAMPLES, GOLDEN_CASES
from gen.model import wiring
from gen.model.clouds import google, local
from gen.model.environments import resolve
from gen.model.source import parse
from gen.model.validate import check, load_app

BASE = {
    "app": "tiny",
    "image": "ghcr.io/acme/tiny:1",
    "services": {"web": {"ingress": "public"}, "jobs": {"ingress": "internal"}},
    "databases": {"main": {"engine": "postgres", "version": "16"}},
    "topics": {"work": {"subscriptions": {"run": {"service": "jobs", "path": "/work"}}}},
    "caches": {"hot": {"engine": "redis", "memory_mb": 1024}},
    "environments": {"laptop": {"type": "local"}},
}


def problems(change) -> list[tuple[str, str]]:
    model = copy.deepcopy(BASE)
    change(model)
    _, found = check(parse(json.dumps(model, indent=2), "tiny.json"))
    return [(p.pointer, p.message) for p in found]


def service(name, body):
    return lambda m: m["services"].update({name: body})


CASES = [
    # (id, change, pointer, words)
    ("service named like the proxy", service("proxy", {"ingress": "internal"}), "/services/proxy", "local stand-in"),
    ("service named like a Postgres stand-in", service("postgres-16", {"ingress": "internal"}),
     "/services/postgres-16", "local stand-in"),
    ("service named like a cache stand-in", service("redis-hot", {"ingress": "internal"}), "/services/redis-hot", "local stand-in"),
    ("service named like moto", service("moto", {"ingress": "internal"}), "/services/moto", "local stand-in"),
    ("service named like the setup container", service("setup", {"ingress": "internal"}), "/services/setup", "local stand-in"),
    ("service named like the Pub/Sub emulator under gcp",
     lambda m: (m["services"].update({"pubsub": {"ingress": "internal"}}), m["environments"]["laptop"].update({"emulate": "gcp"})),
     "/services/pubsub", "local stand-in"),
    ("group named like a stand-in",
     lambda m: m["environments"]["laptop"].update({"process_allocation": {"groups": {"proxy": ["web", "jobs"]}}}),
     "/environments/laptop/process_allocation", "unit 'proxy'"),
    ("more than one instance locally",
     lambda m: m["environments"]["laptop"].update({"overrides": {"services": {"web": {"min_instances": 2, "max_instances": 2}}}}),
     "/environments/laptop/overrides/services/web/min_instances", "one container"),
    ("push to a worker under gcp",
     lambda m: (m["services"]["jobs"].update({"ingress": "none"}), m["environments"]["laptop"].update({"emulate": "gcp"})),
     "/topics/work/subscriptions/run/service", "serves no HTTP"),
    ("emulate on a cloud environment",
     lambda m: m["environments"].update({"dev": {"type": "development", "cloud": "gcp", "region": "europe-west1",
                                                 "project": "acme-tiny-dev", "emulate": "gcp"}}),
     "/environments/dev/emulate", "only local environments"),
    ("emulate typo", lambda m: m["environments"]["laptop"].update({"emulate": "azure"}), "/environments/laptop/emulate", "not one of"),
    ("a cloud field on local", lambda m: m["environments"]["laptop"].update({"region": "us-east-1"}),
     "/environments/laptop/region", "local environment"),
]


@pytest.mark.parametrize("change,pointer,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_a_local_environment_cannot_express_is_an_error_at_its_pointer(change, pointer, words):
    found = problems(change)
    assert any(p == pointer and words in m for p, m in found), found


def test_the_base_model_is_valid_under_both_emulations():
    assert problems(lambda m: None) == []
    assert problems(lambda m: m["environments"]["laptop"].update({"emulate": "gcp"})) == []


def test_a_push_to_a_worker_is_fine_under_aws_where_it_polls_a_queue():
    assert problems(lambda m: m["services"]["jobs"].update({"ingress": "none"})) == []


def test_emulate_defaults_to_aws_and_is_described_in_the_schema():
    import schemas

    env = resolve(load_app(EXAMPLES / "shop.json"), "local")
    assert (env.emulate, env.cloud, env.stack_name) == ("aws", None, "shop-local-docker")
    assert resolve(load_app(EXAMPLES / "shop.json"), "prod").emulate is None
    emulate = schemas.load("app.schema")["$defs"]["environment"]["properties"]["emulate"]
    assert emulate["enum"] == ["aws", "gcp"] and emulate["default"] == "aws" and "moto" in emulate["description"]


def test_stand_ins_get_distinct_ports_on_127_0_0_1():
    env = resolve(load_app(EXAMPLES / "local-gcp.json"), "local")
    ports = local.host_ports(env)
    assert ports == {"proxy": 4000, "postgres-15": 5432, "postgres-16": 5433, "redis-sessions": 6379,
                     "gcs": 4443, "pubsub": 8085}


# --- the same variable names as the cloud stack -------------------------------------------------

# (model, local environment, cloud environment with the same process allocation)
PAIRS = [("shop", "local", "prod"), ("local-gcp", "local", "dev")]


def _cloud_names(stack: dict) -> dict[str, set[str]]:
    """Unit -> the variable names its container gets in an AWS or Google stack."""
    resources = stack["resource"]
    out = {}
    for task in resources.get("aws_ecs_task_definition", {}).values():
        [container] = json.loads(task["container_definitions"])
        out[container["name"]] = {v["name"] for v in container["environment"] + container["secrets"]}
    for service in resources.get("google_cloud_run_v2_service", {}).values():
        [container] = service["template"]["containers"]
        out[container["name"]] = {v["name"] for v in container.get("env", [])}
    return out


def _local_names(stack: dict) -> dict[str, set[str]]:
    containers = stack["resource"]["docker_container"]
    return {key.removesuffix("_container").replace("_", "-"): {e.split("=", 1)[0] for e in c.get("env", [])}
            for key, c in containers.items() if key.endswith("_container")}


def test_the_pairs_are_golden_cases():
    for model, local_env, cloud_env in PAIRS:
        assert (model, local_env) in GOLDEN_CASES and (model, cloud_env) in GOLDEN_CASES


@pytest.mark.parametrize("model,local_env,cloud_env", PAIRS, ids=[p[0] for p in PAIRS])
def test_every_unit_gets_the_cloud_stacks_variable_names(synthesized, model, local_env, cloud_env):
    app = load_app(EXAMPLES / f"{model}.json")
    env = resolve(app, local_env)
    here, there = _local_names(synthesized[(model, local_env)]["json"]), _cloud_names(synthesized[(model, cloud_env)]["json"])
    assert set(here) == set(there) == set(env.units)
    for unit in env.units.values():
        settings = wiring.settings(app, unit)
        extras = set(local.emulator_variables(env))
        # Service URLs: every target sets them (a cloud stack that does not yet, names none).
        extras |= {s.variable for s in settings if s.kind == "service"}
        # Both clouds authenticate to the database with IAM; the local Postgres takes a password.
        extras |= {s.variable for s in settings if s.kind == "database" and s.attribute == "password"}
        # Google only, with nothing to say locally: the cache CA (the local Redis has no TLS) and what a
        # push's OIDC token must carry (the Pub/Sub emulator sends none). docs/local.md.
        cloud = set(there[unit.name])
        if app.environments[cloud_env].cloud == "gcp":
            cloud -= set(google.google_variables(resolve(app, cloud_env), unit))
        assert here[unit.name] == cloud | extras, unit.name
        assert not cloud - here[unit.name]


def test_no_secret_value_reaches_the_stack(synthesized):
    for model, env_name in GOLDEN_CASES:
        stack = synthesized[(model, env_name)]["json"]
        if "docker_container" not in stack.get("resource", {}):
            continue
        for name, variable in stack["variable"].items():
            assert variable["sensitive"] is True and variable.get("default", "") == "", name
        for container in stack["resource"]["docker_container"].values():
            for entry in container.get("env", []):
                key, value = entry.split("=", 1)
                if "PASSWORD" in key or key.endswith(("_KEY", "_AUTH")) and "ACCESS_KEY" not in key:
                    assert value.startswith("${var."), entry


# --- what runs inside the containers -------------------------------------------------------------

LOCAL_CASES = [case for case in GOLDEN_CASES if case[1] == "local"]


def _scripts(stack: dict) -> dict[str, str]:
    """Every shell script of the stack's containers: setup scripts, `sh -c` commands, CMD-SHELL checks."""
    out = {}
    for name, container in stack["resource"]["docker_container"].items():
        command = container.get("command") or []
        if container.get("entrypoint") == ["/bin/sh", "-c"]:
            out[f"{name} command"] = command[0]
        elif command[:2] == ["sh", "-c"]:
            out[f"{name} command"] = command[2]
        test = container.get("healthcheck", {}).get("test", [])
        if test[:1] == ["CMD-SHELL"]:
            out[f"{name} health check"] = test[1]
    return out


@pytest.mark.parametrize("model,env_name", LOCAL_CASES, ids=[m for m, _ in LOCAL_CASES])
def test_every_shell_script_parses_under_a_posix_shell(synthesized, model, env_name):
    import subprocess

    scripts = _scripts(synthesized[(model, env_name)]["json"])
    assert any("setup" in name for name in scripts) and any("health" in name for name in scripts)
    for name, script in scripts.items():
        checked = subprocess.run(["dash", "-n", "-c", script], capture_output=True, text=True)
        assert checked.returncode == 0, f"{name}: {checked.stderr}\n{script}"
        assert "${" not in script and "%{" not in script, f"{name}: Terraform would read a template in it"


@pytest.mark.parametrize("model,env_name", LOCAL_CASES, ids=[m for m, _ in LOCAL_CASES])
def test_every_stateful_container_has_a_volume_a_health_check_and_a_port_on_localhost(synthesized, model, env_name):
    stack = synthesized[(model, env_name)]["json"]
    containers = stack["resource"]["docker_container"]
    stand_ins = [c for key, c in containers.items() if key.startswith(("postgres_", "redis_", "gcs", "pubsub"))
                 and not key.endswith("_databases")]
    assert stand_ins
    for container in stand_ins:
        assert container["volumes"][0]["volume_name"].startswith("${docker_volume."), container["name"]
        assert container["healthcheck"]["test"] and container["wait"] is True, container["name"]
    for container in containers.values():
        for port in container.get("ports", []):
            assert port["ip"] == "127.0.0.1", container["name"]
    published = [p["external"] for c in containers.values() for p in c.get("ports", [])]
    assert len(published) == len(set(published))


def test_the_proxy_routes_each_public_path_prefix_to_its_unit_longest_first():
    from providers.docker.load_balancing import config

    text = config(resolve(load_app(EXAMPLES / "shop.json"), "local"))
    locations = [line.strip() for line in text.splitlines() if line.strip().startswith(("location", "set $upstream"))]
    assert locations == ["location = /api {", "set $upstream http://api:8080;", "location /api/ {",
                         "set $upstream http://api:8080;", "location / {", "set $upstream http://web:8080;"]
    assert text.count("{") == text.count("}")


def test_a_local_problem_is_reported_with_file_line_and_pointer(tmp_path):
    from click.testing import CliRunner

    from gen.cli import main

    model = copy.deepcopy(BASE)
    model["services"]["proxy"] = {"ingress": "internal"}
    path = tmp_path / "app.json"
    path.write_text(json.dumps(model, indent=2), "utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "/services/proxy: in local environment 'laptop'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("emulate", ["aws", "gcp"])
def test_a_model_that_needs_no_stand_in_gets_none(tmp_path, emulate):
    """Only what the model uses runs: a lone worker gets its container on the network, no
    emulator, no proxy, and no `local_password` to set."""
    from gen.synth import STACK_FILE, STACKS, synth_environments

    model = {"app": "tiny", "image": "ghcr.io/acme/tiny:1", "services": {"jobs": {"ingress": "none"}},
             "environments": {"laptop": {"type": "local", "emulate": emulate}}}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(model), "utf-8")
    env = resolve(load_app(path), "laptop")
    synth_environments([env], tmp_path / "out")
    stack = json.loads((tmp_path / "out" / STACKS / env.stack_name / STACK_FILE).read_text("utf-8"))
    assert {kind: sorted(items) for kind, items in stack["resource"].items()} == {
        "docker_container": ["jobs_container"], "docker_image": ["image_ghcr_io_acme_tiny_1"], "docker_network": ["network"]}
    assert "variable" not in stack and "output" not in stack
    assert stack["resource"]["docker_container"]["jobs_container"]["env"] == ["SERVICES=jobs"]
