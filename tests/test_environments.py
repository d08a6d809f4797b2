"""Environment resolution: type defaults, then the environment's settings and overrides; previews."""

from __future__ import annotations

import copy
import json

import pytest

import schemas
from conftest import EXAMPLES
from gen.model.environments import resolve
from gen.model.errors import InputError
from gen.model.model import build

RAW = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))
SHOP = build(RAW)


def test_production_defaults_then_overrides():
    prod = resolve(SHOP, "prod")
    api, web = prod.services["api"], prod.services["web"]
    assert (api.cpu, api.memory, api.min_instances, api.max_instances) == (1, 2048, 3, 30)
    assert (web.cpu, web.memory, web.min_instances, web.max_instances) == (0.5, 1024, 2, 10)
    assert api.origins["cpu"] == "/environments/prod/overrides/services/api/cpu"
    assert web.origins["cpu"] == "/environments/prod/type"
    assert prod.services["pdf-renderer"].origins["memory"] == "/services/pdf-renderer/memory"
    assert prod.approval == "manual" and prod.prevent_destroy
    orders = prod.databases["orders"]
    assert (orders.storage_gb, orders.high_availability, orders.backup_days, orders.deletion_protection) == (200, True, 14, True)
    assert prod.caches["sessions"].replicas == 1
    assert prod.buckets["receipts"].force_destroy is False
    assert prod.settings["nat_gateways"] == "one-per-zone" and prod.settings["log_retention_days"] == 90


def test_tags_in_precedence_order():
    raw = copy.deepcopy(RAW)
    raw["tags"]["environment"] = "app-level"
    raw["environments"]["prod"]["tags"]["owner"] = "team-prod"
    tags = resolve(build(raw), "prod").tags
    assert tags["environment"] == "app-level"  # the app's tags come after gen's
    assert tags["owner"] == "team-prod"  # the environment's come last
    assert tags["managed-by"] == "gen" and tags["environment-type"] == "production" and tags["cost-center"] == "retail"


def test_state_backend_per_cloud():
    assert resolve(SHOP, "prod").state.key == "shop/prod/terraform.tfstate"
    assert resolve(SHOP, "prod").state.bucket == "shop-tfstate-222222222222"
    staging = resolve(SHOP, "staging").state
    assert (staging.backend, staging.bucket, staging.key) == ("gcs", "shop-tfstate-acme-shop-staging", "shop/staging")
    raw = copy.deepcopy(RAW)
    raw["environments"]["prod"]["state"] = {"bucket": "acme-tf", "prefix": "teams/shop"}
    state = resolve(build(raw), "prod").state
    assert (state.bucket, state.key) == ("acme-tf", "teams/shop/prod/terraform.tfstate")


def test_single_allocation_packs_the_app_image_services():
    staging = resolve(SHOP, "staging")
    assert {u.name: u.services for u in staging.units.values()} == {
        "main": ("api", "web", "worker"), "pdf-renderer": ("pdf-renderer",)}
    main = staging.units["main"]
    assert main.env["SERVICES"] == "api,web,worker" and main.public_paths == ("/", "/api") and main.internal
    assert set(main.uses.databases) == {"orders"} and main.uses.buckets["receipts"] == "read-write"
    assert staging.unit_of("worker").name == "main"


def test_groups_and_per_service_allocation():
    prod_eu = resolve(SHOP, "prod-eu")
    assert {u.name: u.services for u in prod_eu.units.values()} == {
        "back": ("worker",), "front": ("api", "web"), "pdf": ("pdf-renderer",)}
    assert prod_eu.units["back"].ingress == "internal" and prod_eu.units["front"].ingress == "public"
    prod = resolve(SHOP, "prod")
    assert list(prod.units) == ["api", "pdf-renderer", "web", "worker"]
    assert prod.units["api"].env == {"LOG_LEVEL": "info", "SERVICES": "api"}


def test_preview_is_derived_from_the_template():
    pr = resolve(SHOP, "pr:72")
    assert (pr.name, pr.spec_name, pr.pull_request, pr.stack_name) == ("pr-72", "preview", 72, "shop-pr-72-aws")
    assert pr.domain == "pr-72.preview.shop.example.com"
    assert pr.state.key == "shop/pr-72/terraform.tfstate"
    assert pr.tags["preview"] == "true" and pr.tags["pull-request"] == "72" and pr.tags["environment"] == "pr-72"
    assert pr.approval == "auto" and not pr.prevent_destroy and pr.buckets["receipts"].force_destroy
    assert pr.databases["orders"].backup_days == 0 and pr.settings["nat_gateways"] == "none"


def test_preview_with_several_templates_needs_from():
    raw = copy.deepcopy(RAW)
    raw["environments"]["preview-eu"] = dict(raw["environments"]["preview"], region="eu-central-1")
    app = build(raw)
    with pytest.raises(InputError, match="--from"):
        resolve(app, "pr:3")
    assert resolve(app, "pr:3", from_env="preview-eu").region == "eu-central-1"
    with pytest.raises(InputError, match="not an environment of type preview"):
        resolve(app, "pr:3", from_env="prod")


@pytest.mark.parametrize("name,words", [
    ("pr:0", "pr:<number>"), ("pr:x", "pr:<number>"), ("pr:", "pr:<number>"),
    ("prdo", "did you mean 'prod'"), ("nowhere", "no such environment"),
])
def test_bad_environment_names(name, words):
    with pytest.raises(InputError, match=words):
        resolve(SHOP, name)


def test_no_preview_template():
    raw = copy.deepcopy(RAW)
    del raw["environments"]["preview"]
    with pytest.raises(InputError, match="no environment of type preview"):
        resolve(build(raw), "pr:1")


def test_defaults_table_matches_the_contract():
    d = schemas.load("defaults")
    assert [d[t]["approval"] for t in ("production", "development", "preview", "local")] == ["manual", "auto", "auto", "auto"]
    assert [(d[t]["min_instances"], d[t]["max_instances"]) for t in ("production", "development", "preview", "local")] == [
        (2, 10), (1, 2), (1, 1), (1, 1)]
    assert [(d[t]["cpu"], d[t]["memory"]) for t in ("production", "development", "preview")] == [(0.5, 1024), (0.25, 512), (0.25, 512)]
    assert [d[t]["database_backup_days"] for t in ("production", "development", "preview")] == [14, 1, 0]
    assert [d[t]["log_retention_days"] for t in ("production", "development", "preview")] == [90, 14, 3]
    assert [d[t]["buckets_force_destroy"] for t in ("production", "development", "preview")] == [False, False, True]
    assert [d[t]["cache_replicas"] for t in ("production", "development", "preview")] == [1, 0, 0]
    keys = {k for t in ("production", "development", "preview", "local") for k in d[t]}
    assert all(set(d[t]) == keys for t in ("production", "development", "preview", "local"))


def test_model_is_frozen():
    with pytest.raises(Exception):
        SHOP.services["web"].port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        SHOP.services["new"] = SHOP.services["web"]  # type: ignore[index]


def test_declared_calls_are_wired_per_unit():
    from gen.model import wiring
    from gen.model.environments import resolve
    from gen.model.validate import load_app

    app = load_app(EXAMPLES / "shop.json")
    prod = resolve(app, "prod")
    assert wiring.calls(prod) == [wiring.Call("api", "api", "pdf-renderer", "pdf-renderer", 3000)]
    assert wiring.callers(prod) == {"pdf-renderer": ("api",)}
    api = [s for s in wiring.settings(app, prod.units["api"]) if s.kind == "service"]
    assert api == [wiring.Setting("PDF_RENDERER_URL", "service", "pdf-renderer", "url")]
    assert not [s for s in wiring.settings(app, prod.units["worker"]) if s.kind == "service"]
    eu = resolve(app, "prod-eu")  # groups: the caller is the unit that hosts api
    assert wiring.callers(eu) == {"pdf": ("front",)}
    assert resolve(app, "prod").alerts == ("oncall@shop.example.com",)
    assert resolve(app, "staging").alerts == ()
