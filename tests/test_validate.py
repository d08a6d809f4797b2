"""Validation: one row per invalid model, each asserting the JSON pointer (and words) it reports."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import EXAMPLES
from gen.model.errors import InputError
from gen.model.source import parse
from gen.model.validate import check

SHOP = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))


def problems_of(model: dict) -> list:
    text = json.dumps(model, indent=2)
    _, problems = check(parse(text, "app.json"))
    return problems


def mutate(change):
    model = copy.deepcopy(SHOP)
    change(model)
    return model


def setter(path: str, value):
    """Set a value at a slash path (no escaping needed for these tests)."""
    def change(model):
        *parents, last = path.strip("/").split("/")
        node = model
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def deleter(path: str):
    def change(model):
        *parents, last = path.strip("/").split("/")
        node = model
        for part in parents:
            node = node[part]
        del node[last]
    return change


CASES = [
    # (id, change, expected pointer, words in the message)
    ("app name upper case", setter("/app", "Shop"), "/app", "kebab"),
    ("app name too long", setter("/app", "a-very-long-app-name"), "/app", "16"),
    ("unknown top-level key", setter("/servics", {}), "/servics", "did you mean 'services'"),
    ("no services", setter("/services", {}), "/services", "at least 1"),
    ("service name with underscore", lambda m: m["services"].update({"bad_name": {}}), "/services/bad_name", "kebab"),
    ("service name with double hyphen", lambda m: m["services"].update({"a--b": {}}), "/services/a--b", "kebab"),
    ("port out of range", setter("/services/web/port", 70000), "/services/web/port", "at most 65535"),
    ("port as string", setter("/services/web/port", "80"), "/services/web/port", "whole number"),
    ("ingress typo", setter("/services/web/ingress", "publik"), "/services/web/ingress", "did you mean 'public'"),
    ("unknown service key", setter("/services/web/prot", 80), "/services/web/prot", "did you mean 'port'"),
    ("cpu not a Fargate size", setter("/services/api/cpu", 3), "/services/api/cpu", "not one of"),
    ("memory not an integer", setter("/services/api/memory", 1024.5), "/services/api/memory", "whole number"),
    ("env var lower case", setter("/services/api/env", {"log_level": "x"}), "/services/api/env/log_level", "upper case"),
    ("env var not a string", setter("/services/api/env", {"LEVEL": 3}), "/services/api/env/LEVEL", "a string"),
    ("unknown database in uses", setter("/services/api/uses/databases", ["order"]), "/services/api/uses/databases/0", "did you mean 'orders'"),
    ("unknown bucket in uses", setter("/services/api/uses/buckets", {"recipts": "read"}), "/services/api/uses/buckets/recipts", "did you mean 'receipts'"),
    ("bad bucket access", setter("/services/api/uses/buckets", {"receipts": "rw"}), "/services/api/uses/buckets/receipts", "not one of"),
    ("unknown topic in uses", setter("/services/api/uses/topics", {"order-creatd": "publish"}), "/services/api/uses/topics/order-creatd", "did you mean 'order-created'"),
    ("unknown cache in uses", setter("/services/api/uses/caches", ["session"]), "/services/api/uses/caches/0", "did you mean 'sessions'"),
    ("unknown secret in uses", setter("/services/api/uses/secrets", ["stripe"]), "/services/api/uses/secrets/0", "unknown secret"),
    ("no image anywhere", lambda m: m.pop("image"), "/services/api", "no image"),
    ("duplicate public path", setter("/services/web/path", "/api"), "/services/api/path", "also the path of public service 'web'"),
    ("path on an internal service", setter("/services/worker/path", "/w"), "/services/worker/path", "only public"),
    ("health check on a worker", lambda m: m["services"]["worker"].update({"ingress": "none", "health_check": "/h"}), "/services/worker/health_check", "no health check"),
    ("min above max", lambda m: m["services"]["web"].update({"min_instances": 5, "max_instances": 2}), "/services/web/min_instances", "more than"),
    ("min above a type default max", setter("/environments/staging/overrides", {"services": {"web": {"min_instances": 3}}}),
     "/environments/staging/overrides/services/web/min_instances", "max_instances 2"),
    ("subscription to unknown service", setter("/topics/order-created/subscriptions/send-receipt/service", "wroker"),
     "/topics/order-created/subscriptions/send-receipt/service", "did you mean 'worker'"),
    ("subscription without path", deleter("/topics/order-created/subscriptions/send-receipt/path"),
     "/topics/order-created/subscriptions/send-receipt/path", "required"),
    ("cron unknown service", setter("/cron/nightly-report/service", "workr"), "/cron/nightly-report/service", "did you mean 'worker'"),
    ("cron bad hour", setter("/cron/nightly-report/schedule", "0 24 * * *"), "/cron/nightly-report/schedule", "hour"),
    ("cron six fields", setter("/cron/nightly-report/schedule", "0 0 3 * * *"), "/cron/nightly-report/schedule", "5 fields"),
    ("database version", setter("/databases/orders/version", 16), "/databases/orders/version", "not one of"),
    ("storage too small", setter("/databases/orders/storage_gb", 5), "/databases/orders/storage_gb", "at least 20"),
    ("environment type typo", setter("/environments/prod/type", "prod"), "/environments/prod/type", "did you mean 'production'"),
    ("aws without account", deleter("/environments/prod/account"), "/environments/prod/account", "required for aws"),
    ("aws account wrong length", setter("/environments/prod/account", "12345"), "/environments/prod/account", "12-digit"),
    ("project on aws", setter("/environments/prod/project", "acme-shop-prod"), "/environments/prod/project", "gcp environments"),
    ("account on gcp", setter("/environments/staging/account", "111111111111"), "/environments/staging/account", "aws environments"),
    ("aws region format", setter("/environments/prod/region", "europe-west1"), "/environments/prod/region", "AWS region"),
    ("gcp region format", setter("/environments/staging/region", "eu-west-1"), "/environments/staging/region", "Google Cloud region"),
    ("gcp without project", deleter("/environments/staging/project"), "/environments/staging/project", "required for gcp"),
    ("cloud missing", deleter("/environments/prod/cloud"), "/environments/prod/cloud", "required"),
    ("cloud on local", setter("/environments/local/cloud", "aws"), "/environments/local/cloud", "local environment"),
    ("region on local", setter("/environments/local/region", "us-east-1"), "/environments/local/region", "local environment"),
    ("reserved environment name", lambda m: m["environments"].update({"pr-4": {"type": "local"}}), "/environments/pr-4", "reserved"),
    ("preview domain without {env}", setter("/environments/preview/domain", "preview.shop.example.com"), "/environments/preview/domain", "{env}"),
    ("bad domain", setter("/environments/prod/domain", "Shop.Example.com"), "/environments/prod/domain", "host name"),
    ("unknown placeholder in domain", setter("/environments/prod/domain", "{stage}.shop.example.com"), "/environments/prod/domain", "placeholder"),
    ("branch deploy without branch", setter("/environments/prod/deploy", {"trigger": "branch"}), "/environments/prod/deploy/branch", "required"),
    ("manual deploy with branch", setter("/environments/prod/deploy", {"trigger": "manual", "branch": "main"}), "/environments/prod/deploy/branch", "no branch"),
    ("approval typo", setter("/environments/prod/approval", "manually"), "/environments/prod/approval", "did you mean 'manual'"),
    ("process allocation typo", setter("/environments/prod/process_allocation", "singel"), "/environments/prod/process_allocation", "did you mean 'single'"),
    ("group misses a service", setter("/environments/prod-eu/process_allocation", {"groups": {"front": ["web", "api"], "pdf": ["pdf-renderer"]}}),
     "/environments/prod-eu/process_allocation/groups", "'worker' is in no group"),
    ("service in two groups", setter("/environments/prod-eu/process_allocation/groups/back", ["worker", "web"]),
     "/environments/prod-eu/process_allocation/groups/back/1", "already in group 'front'"),
    ("unknown service in group", setter("/environments/prod-eu/process_allocation/groups/back", ["worker", "mailer"]),
     "/environments/prod-eu/process_allocation/groups/back/1", "unknown service"),
    ("group mixes images", setter("/environments/prod-eu/process_allocation/groups", {"front": ["web", "api", "pdf-renderer"], "back": ["worker"]}),
     "/environments/prod-eu/process_allocation/groups/front", "share image"),
    ("single with different ports", setter("/services/web/port", 9000), "/environments/staging/process_allocation", "share a port"),
    ("override of unknown service", setter("/environments/prod/overrides/services/apii", {"cpu": 1}), "/environments/prod/overrides/services/apii", "did you mean 'api'"),
    ("override of unknown database", setter("/environments/prod/overrides/databases/order", {"storage_gb": 30}), "/environments/prod/overrides/databases/order", "did you mean 'orders'"),
    ("override of an unknown field", setter("/environments/prod/overrides/services/api", {"image": "x"}), "/environments/prod/overrides/services/api/image", "unknown key"),
    ("Fargate pair in aws override", setter("/environments/prod/overrides/services/api/memory", 1024), "/environments/prod/overrides/services/api/memory", "Fargate"),
    ("Fargate pair on the service", setter("/services/pdf-renderer/memory", 1024), "/services/pdf-renderer/memory", "Fargate"),
    ("network both created and imported", setter("/environments/prod/network", {"cidr": "10.1.0.0/16", "vpc_id": "vpc-0123456789abcdef0",
        "public_subnet_ids": ["subnet-01234567", "subnet-01234568"], "private_subnet_ids": ["subnet-01234569", "subnet-0123456a"]}),
     "/environments/prod/network/cidr", "not both"),
    ("existing network incomplete", setter("/environments/prod/network", {"vpc_id": "vpc-0123456789abcdef0"}),
     "/environments/prod/network/public_subnet_ids", "needs"),
    ("google network setting on aws", setter("/environments/prod/network", {"network": "default"}), "/environments/prod/network/network", "not a network setting of aws environments"),
    ("cidr with host bits", setter("/environments/prod-eu/network/cidr", "10.20.0.1/16"), "/environments/prod-eu/network/cidr", "not an IPv4 network"),
    ("cidr too small", setter("/environments/prod-eu/network/cidr", "10.20.0.0/28"), "/environments/prod-eu/network/cidr", "/16 to /24"),
    ("state on local", setter("/environments/local/state", {"prefix": "x"}), "/environments/local/state", "local environment"),
    ("aws: tag key", setter("/tags", {"aws:owner": "x"}), "/tags/aws:owner", "AWS reserves"),
    ("env var gen injects", setter("/services/api/env/ORDERS_DATABASE_HOST", "db"), "/services/api/env/ORDERS_DATABASE_HOST", "gen sets"),
    ("SERVICES is gen's", setter("/services/web/env", {"SERVICES": "web"}), "/services/web/env/SERVICES", "gen sets"),
    ("shared unit sets a variable twice", setter("/services/web/env", {"LOG_LEVEL": "debug"}), "/services/web/env/LOG_LEVEL", "differently"),
    ("pub/sub needs 5 attempts on gcp", setter("/topics/order-created/subscriptions/send-receipt/max_retries", 3),
     "/topics/order-created/subscriptions/send-receipt/max_retries", "5 to 100 delivery attempts"),
    ("memorystore whole GB", setter("/caches/sessions/memory_mb", 1536), "/caches/sessions/memory_mb", "multiple of 1024"),
    ("version 2", setter("/version", 2), "/version", "must be 1"),
    ("unknown service in uses", setter("/services/api/uses/services", ["pdf-render"]), "/services/api/uses/services/0", "did you mean 'pdf-renderer'"),
    ("service calls itself", setter("/services/api/uses/services", ["api"]), "/services/api/uses/services/0", "calls itself"),
    ("service calls a worker", lambda m: (m["services"]["worker"].update({"ingress": "none"}),
                                          m["services"]["api"]["uses"]["services"].append("worker")),
     "/services/api/uses/services/1", "ingress none"),
    ("service URL variable is gen's", setter("/services/api/env/PDF_RENDERER_URL", "http://x"), "/services/api/env/PDF_RENDERER_URL", "gen sets"),
    ("production with public services needs a domain", deleter("/environments/prod/domain"), "/environments/prod/domain",
     "required for a production environment"),
    ("alerts outside production", setter("/environments/staging/alerts", {"email": ["dev@shop.example.com"]}),
     "/environments/staging/alerts", "only production"),
    ("alert address not an address", setter("/environments/prod/alerts/email", ["oncall"]), "/environments/prod/alerts/email/0", "not valid"),
    ("alerts without email", setter("/environments/prod/alerts", {}), "/environments/prod/alerts/email", "required"),
    ("production group publishes internal services",
     setter("/environments/prod-eu/process_allocation/groups", {"front": ["web", "api", "worker"], "pdf": ["pdf-renderer"]}),
     "/environments/prod-eu/process_allocation/groups/front", "unit 'front' hosts public service 'web' at '/' and internal service(s) worker"),
    ("production single publishes internal services", setter("/environments/prod/process_allocation", "single"),
     "/environments/prod/process_allocation", "unit 'main' hosts public service 'web'"),
    ("domain without a public service", lambda m: [s.update({"ingress": "internal"}) or s.pop("path", None) for s in m["services"].values()],
     "/environments/prod/domain", "public service"),
]


@pytest.mark.parametrize("change,pointer,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_model_reports_pointer(change, pointer, words):
    problems = problems_of(mutate(change))
    matching = [p for p in problems if p.pointer == pointer]
    assert matching, f"no problem at {pointer}; got:\n" + "\n".join(map(str, problems))
    assert any(words in p.message for p in matching), "\n".join(map(str, matching))


def test_table_is_large_and_distinct():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


def test_shop_example_is_valid():
    assert problems_of(SHOP) == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_is_valid(path):
    app, problems = check(parse(path.read_text("utf-8"), path.name))
    assert problems == [] and app is not None, "\n".join(map(str, problems))


def test_public_root_with_internal_services_is_allowed_outside_production():
    # staging (development) runs web at "/" and worker in one unit under `single`: documented, not refused
    model = mutate(setter("/environments/prod-eu/process_allocation/groups",
                          {"front": ["web", "api"], "back": ["worker"], "pdf": ["pdf-renderer"]}))
    assert problems_of(model) == []
    assert SHOP["environments"]["staging"]["process_allocation"] == "single"


def test_production_without_public_services_needs_no_domain():
    def change(m):
        for s in m["services"].values():
            s.update({"ingress": "internal"})
            s.pop("path", None)
        for e in m["environments"].values():
            e.pop("domain", None)
    assert problems_of(mutate(change)) == []


def test_all_problems_at_once_sorted_by_position():
    model = mutate(lambda m: (m["services"]["web"].update({"health_check": 5}), m["environments"]["prod"].update({"region": "x"}),
                              m.update({"app": "BAD"})))
    problems = problems_of(model)
    assert [p.pointer for p in problems] == ["/app", "/services/web/health_check", "/environments/prod/region"]
    assert problems == sorted(problems, key=lambda p: (p.line, p.column))


def test_problem_line_and_column_point_at_the_value():
    text = '{\n  "app": "shop",\n  "image": "x",\n  "services": {"web": {"port": "80"}},\n  "environments": {"dev": {"type": "local"}}\n}\n'
    _, problems = check(parse(text, "m.json"))
    assert [str(p) for p in problems] == ['m.json:4:32: /services/web/port: must be a whole number, not a string']


def test_duplicate_keys_are_rejected_anywhere():
    text = '{"app": "shop", "image": "x", "services": {"web": {"port": 80, "port": 81}},\n "environments": {"dev": {"type": "local"}}}'
    _, problems = check(parse(text, "m.json"))
    assert [(p.pointer, p.line) for p in problems] == [("/services/web/port", 1)]
    assert "duplicate key" in problems[0].message


def test_pointer_escapes_slash_and_tilde():
    model = mutate(setter("/tags", {}))
    model["tags"]["aws:a/b~c"] = "x"
    assert any(p.pointer == "/tags/aws:a~1b~0c" for p in problems_of(model))


@pytest.mark.parametrize("text,words", [
    ("", "empty"),
    ("   \n", "empty"),
    ("{", "not valid JSON"),
    ('{"app": }', "not valid JSON"),
    ("[1, 2]", "must be a JSON object, not an array"),
    ('"shop"', "not a string"),
    ("null", "not null"),
    ('{"a": 1} {}', "after the end"),
    ('{"a": "\\ud800"}', "lone surrogate"),
    ('{"a": NaN}', "not valid JSON"),
])
def test_unusable_text_is_one_clear_line(tmp_path, text, words):
    path = tmp_path / "m.json"
    path.write_text(text, "utf-8")
    from gen.model.source import read

    with pytest.raises(InputError) as caught:
        read(path)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_non_utf8_and_missing_files(tmp_path):
    from gen.model.source import read

    bad = tmp_path / "latin1.json"
    bad.write_bytes('{"app": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read(bad)
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "missing.json")
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path)
