"""Properties of every synthesized Google stack that a reviewer relies on, asserted on the Terraform JSON."""

from __future__ import annotations

import json
import re

import pytest

from conftest import EXAMPLES, GOLDEN_CASES



def _cloud(model: str, env: str) -> str | None:
    """The cloud of a golden case, read from its model (a pr:<n> case from the model's preview environment)."""
    environments = json.loads((EXAMPLES / f"{model}.json").read_text("utf-8"))["environments"]
    if env.startswith("pr:"):
        return next(e.get("cloud") for e in environments.values() if e["type"] == "preview")
    return environments[env].get("cloud")


GOOGLE = [case for case in GOLDEN_CASES if _cloud(*case) == "gcp"]
LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
REFERENCE = re.compile(r"^\$\{[^}]+\}$")
STATEFUL = ("google_sql_database_instance", "google_sql_database", "google_storage_bucket", "google_redis_instance",
            "google_secret_manager_secret")


@pytest.fixture(params=GOOGLE, ids=[f"{m}-{e}" for m, e in GOOGLE])
def stack(request, synthesized):
    result = synthesized[request.param]
    assert result["cloud"] == "gcp"
    return result


def resources(stack: dict, kind: str) -> dict:
    return stack["json"].get("resource", {}).get(kind, {})


def walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v, key)
    else:
        yield key, value


def test_no_basic_roles_anywhere(stack):
    assert not re.search(r"roles/(owner|editor|viewer)\b", stack["text"])
    for kind in ("google_project_iam_member", "google_project_iam_binding", "google_project_iam_policy"):
        for binding in resources(stack, kind).values():
            assert binding["role"] in ("roles/cloudsql.client", "roles/cloudsql.instanceUser")
            assert binding["condition"]["expression"].startswith('resource.type == "sqladmin.googleapis.com/Instance" && (')


def test_cloud_sql_has_a_private_ip_only_and_requires_tls(stack):
    instances = resources(stack, "google_sql_database_instance")
    assert instances
    for instance in instances.values():
        ip = instance["settings"]["ip_configuration"]
        assert ip["ipv4_enabled"] is False and ip["private_network"]
        assert ip["ssl_mode"] in ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
        assert "authorized_networks" not in ip
        flags = {f["name"]: f["value"] for f in instance["settings"]["database_flags"]}
        assert flags["cloudsql.iam_authentication"] == "on"


def test_database_users_are_iam_service_accounts_without_passwords(stack):
    users = resources(stack, "google_sql_user")
    assert users
    for user in users.values():
        assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT" and "password" not in user
        assert user["name"].startswith("${trimsuffix(google_service_account.")


def test_no_secret_literal_in_the_json(stack):
    for key, value in walk(stack["json"]):
        if key and re.search(r"password|secret_data|auth_string|private_key|token", key) and isinstance(value, str):
            assert REFERENCE.match(value) or value.startswith("gen-placeholder: not a secret;"), f"{key} holds a literal"
    assert "root_password" not in stack["text"]
    for name, version in resources(stack, "google_secret_manager_secret_version").items():
        # a reference, or the placeholder of a model secret (which says it is one)
        assert REFERENCE.match(version["secret_data"]) or (
            name.endswith("_secret_placeholder") and version["secret_data"].startswith("gen-placeholder: not a secret;"))


def test_model_secrets_have_only_a_placeholder_version_and_replicate_automatically(stack):
    secrets = {k: v for k, v in resources(stack, "google_secret_manager_secret").items() if not k.endswith("_cache_auth")}
    assert secrets
    versions = resources(stack, "google_secret_manager_secret_version")
    for name, secret in secrets.items():
        assert secret["replication"] == {"auto": {}}
        mine = [v for v in versions.values() if v["secret"] == f"${{google_secret_manager_secret.{name}.id}}"]
        assert len(mine) == 1 and mine[0]["lifecycle"]["ignore_changes"] == ["secret_data", "enabled"]


def test_every_unit_runs_as_its_own_service_account(stack):
    services = resources(stack, "google_cloud_run_v2_service")
    accounts = [s["template"]["service_account"] for s in services.values()]
    assert len(set(accounts)) == len(accounts) == len(services)
    for account in accounts:
        assert re.match(r"^\$\{google_service_account\.\w+\.email\}$", account)
    assert "compute@developer.gserviceaccount.com" not in stack["text"]
    for job in resources(stack, "google_cloud_run_v2_job").values():
        assert job["template"]["template"]["service_account"] in accounts


def test_cloud_run_is_never_open_to_all_traffic_and_uses_the_vpc(stack):
    for service in resources(stack, "google_cloud_run_v2_service").values():
        assert service["ingress"] in ("INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER", "INGRESS_TRAFFIC_INTERNAL_ONLY")
        assert service["invoker_iam_disabled"] is False
        assert service["template"]["vpc_access"]["network_interfaces"][0]["subnetwork"]


def test_everyone_may_invoke_only_the_public_units(stack):
    services = resources(stack, "google_cloud_run_v2_service")
    public = {f"${{google_cloud_run_v2_service.{k}.name}}" for k, s in services.items()
              if s["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}
    open_to_all = {m["name"] for m in resources(stack, "google_cloud_run_v2_service_iam_member").values()
                   if m["member"] in ("allUsers", "allAuthenticatedUsers")}
    assert open_to_all == public
    for m in resources(stack, "google_cloud_run_v2_service_iam_member").values():
        assert m["role"] == "roles/run.invoker"


def test_scheduler_and_push_accounts_may_invoke_only_their_target(stack):
    members = list(resources(stack, "google_cloud_run_v2_service_iam_member").values()) + list(
        resources(stack, "google_cloud_run_v2_job_iam_member").values())
    for name, job in resources(stack, "google_cloud_scheduler_job").items():
        account = job["http_target"]["oauth_token"]["service_account_email"]
        grants = [m for m in members if m["member"] == f"serviceAccount:{account}"]
        assert len(grants) == 1 and grants[0]["role"] == "roles/run.invoker"
        assert grants[0]["name"] in job["http_target"]["uri"]
    for sub in resources(stack, "google_pubsub_subscription").values():
        if "push_config" not in sub:
            continue
        account = sub["push_config"]["oidc_token"]["service_account_email"]
        grants = [m for m in members if m["member"] == f"serviceAccount:{account}"]
        assert len(grants) == 1
        target = grants[0]["name"].replace(".name}", ".uri}")
        assert sub["push_config"]["push_endpoint"].startswith(target)


def test_subscriptions_dead_letter_after_max_retries(stack):
    subs = resources(stack, "google_pubsub_subscription")
    pushed = [s for s in subs.values() if "push_config" in s]
    assert pushed
    for sub in pushed:
        assert 5 <= sub["dead_letter_policy"]["max_delivery_attempts"] <= 100
        assert sub["ack_deadline_seconds"] >= 10 and "retry_policy" in sub


def test_buckets_block_public_access_unless_public(stack):
    buckets = resources(stack, "google_storage_bucket")
    assert buckets
    public = {k for k, b in buckets.items() if b["public_access_prevention"] == "inherited"}
    for name, bucket in buckets.items():
        assert bucket["uniform_bucket_level_access"] is True
        assert bucket["public_access_prevention"] in ("enforced", "inherited")
    for member in resources(stack, "google_storage_bucket_iam_member").values():
        if member["member"] in ("allUsers", "allAuthenticatedUsers"):
            assert member["role"] == "roles/storage.legacyObjectReader"  # objects, not the listing
            assert member["bucket"] in {f"${{google_storage_bucket.{k}.name}}" for k in public}
    opened = {m["bucket"] for m in resources(stack, "google_storage_bucket_iam_member").values()
              if m["member"] == "allUsers"}
    assert opened == {f"${{google_storage_bucket.{k}.name}}" for k in public}


def test_shop_assets_is_the_only_public_bucket(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    buckets = resources(stack, "google_storage_bucket")
    assert buckets["assets_bucket"]["public_access_prevention"] == "inherited"
    assert buckets["receipts_bucket"]["public_access_prevention"] == "enforced"
    assert buckets["receipts_bucket"]["versioning"] == {"enabled": True}


def test_labels_carry_the_contracts_keys_as_aws_tags_do(stack):
    labels = stack["json"]["provider"]["google"][0]["default_labels"]
    assert {"app", "environment", "environment-type", "managed-by"} <= set(labels)
    assert labels["managed-by"] == "gen"
    assert not {"environment_type", "managed_by", "pull_request"} & set(labels)


def test_labels_are_sanitized(stack):
    labels = stack["json"]["provider"]["google"][0]["default_labels"]
    for key, value in labels.items():
        assert LABEL.match(key) and LABEL_VALUE.match(value), (key, value)


def test_project_services_stay_enabled_on_destroy(stack):
    apis = resources(stack, "google_project_service")
    assert "run.googleapis.com" in {a["service"] for a in apis.values()}
    for api in apis.values():
        assert api["disable_on_destroy"] is False


def test_prevent_destroy_on_stateful_resources_in_production_only(synthesized):
    for case, expected in ((("shop", "prod-eu"), True), (("shop", "staging"), False)):
        stack = synthesized[case]
        for kind in STATEFUL:
            found = resources(stack, kind)
            assert found, kind
            for name, resource in found.items():
                if kind == "google_secret_manager_secret" and name.endswith("_cache_auth"):
                    continue
                assert resource.get("lifecycle", {}).get("prevent_destroy", False) is expected, (case, kind, name)


def test_production_is_highly_available_and_protected(synthesized):
    prod = synthesized[("shop", "prod-eu")]
    db = resources(prod, "google_sql_database_instance")["orders_db"]
    assert db["settings"]["availability_type"] == "REGIONAL" and db["deletion_protection"] is True
    assert db["settings"]["backup_configuration"]["point_in_time_recovery_enabled"] is True
    assert resources(prod, "google_redis_instance")["sessions_cache"]["tier"] == "STANDARD_HA"
    assert resources(prod, "google_compute_subnetwork")["subnetwork"]["log_config"]
    assert resources(prod, "google_compute_subnetwork")["subnetwork"]["ip_cidr_range"] == "10.20.0.0/16"
    staging = synthesized[("shop", "staging")]
    db = resources(staging, "google_sql_database_instance")["orders_db"]
    assert db["settings"]["availability_type"] == "ZONAL" and db["deletion_protection"] is False
    assert resources(staging, "google_redis_instance")["sessions_cache"]["tier"] == "BASIC"


def test_caches_are_private_and_encrypted_in_transit(stack):
    for cache in resources(stack, "google_redis_instance").values():
        assert cache["connect_mode"] == "PRIVATE_SERVICE_ACCESS"
        assert cache["transit_encryption_mode"] == "SERVER_AUTHENTICATION" and cache["auth_enabled"] is True


def test_domain_gets_https_a_redirect_and_a_record(synthesized):
    stack = synthesized[("shop", "staging")]
    assert resources(stack, "google_compute_managed_ssl_certificate")["certificate"]["managed"]["domains"] == [
        "staging.shop.example.com"]
    record = resources(stack, "google_dns_record_set")["domain_record"]
    assert record["name"] == "staging.shop.example.com." and record["type"] == "A"
    assert stack["json"]["data"]["google_dns_managed_zone"]["parent_zone"]["name"] == "shop-example-com"
    rules = {r["port_range"]: r for r in resources(stack, "google_compute_global_forwarding_rule").values()}
    assert set(rules) == {"80", "443"}
    redirect = resources(stack, "google_compute_url_map")["redirect_url_map"]
    assert redirect["default_url_redirect"]["https_redirect"] is True
    assert stack["json"]["output"]["url"]["value"] == "https://staging.shop.example.com"


def test_without_a_domain_the_load_balancer_serves_http(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "shared-dev")]
    rules = resources(stack, "google_compute_global_forwarding_rule")
    assert [r["port_range"] for r in rules.values()] == ["80"]
    assert not resources(stack, "google_compute_managed_ssl_certificate")
    assert not resources(stack, "google_dns_record_set")


def test_existing_network_is_used_and_nothing_is_created(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "shared-dev")]
    for kind in ("google_compute_network", "google_compute_subnetwork", "google_service_networking_connection",
                 "google_compute_global_address", "google_compute_router", "google_compute_firewall"):
        found = resources(stack, kind)
        assert kind == "google_compute_global_address" and list(found) == ["lb_address"] or not found, kind
    for service in resources(stack, "google_cloud_run_v2_service").values():
        assert service["template"]["vpc_access"]["network_interfaces"] == [{
            "network": "projects/acme-host-net/global/networks/shared-vpc",
            "subnetwork": "projects/acme-host-net/regions/us-central1/subnetworks/notes-dev"}]
    db = resources(stack, "google_sql_database_instance")["notes_db"]
    assert db["settings"]["ip_configuration"]["private_network"] == "projects/acme-host-net/global/networks/shared-vpc"


def test_preview_is_named_and_labelled_for_its_pull_request(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "pr:1")]
    labels = stack["json"]["provider"]["google"][0]["default_labels"]
    assert labels["preview"] == "true" and labels["pull-request"] == "1" and labels["environment"] == "pr-1"
    assert labels["owner"] == "team_notes" and labels["cost_center"] == "r_d_42"
    assert stack["json"]["terraform"]["backend"]["gcs"]["prefix"] == "notes/pr-1"
    for service in resources(stack, "google_cloud_run_v2_service").values():
        assert service["name"].startswith("notes-pr-1-")
    assert all(b["force_destroy"] is True for b in resources(stack, "google_storage_bucket").values())
    assert resources(stack, "google_dns_record_set")["domain_record"]["name"] == "pr-1.preview.notes.example.org."


def test_worker_units_keep_cpu_and_an_instance(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "pr:1")]
    indexer = resources(stack, "google_cloud_run_v2_service")["indexer_service"]
    container = indexer["template"]["containers"][0]
    assert container["resources"]["cpu_idle"] is False and container["args"] == ["notes", "index"]
    assert indexer["template"]["scaling"]["min_instance_count"] >= 1
    assert indexer["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"


def test_units_get_the_shared_variable_names(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    front = resources(stack, "google_cloud_run_v2_service")["front_service"]["template"]["containers"][0]["env"]
    names = {e["name"]: e for e in front}
    for variable in ("ORDERS_DATABASE_HOST", "ORDERS_DATABASE_PORT", "ORDERS_DATABASE_NAME", "ORDERS_DATABASE_USER",
                     "RECEIPTS_BUCKET", "ASSETS_BUCKET", "ORDER_CREATED_TOPIC", "SESSIONS_CACHE_HOST",
                     "SESSIONS_CACHE_PORT", "SERVICES", "LOG_LEVEL"):
        assert "value" in names[variable], variable
    for variable in ("STRIPE_KEY", "SESSIONS_CACHE_AUTH"):
        assert names[variable]["value_source"]["secret_key_ref"]["version"] == "latest"
    assert "ORDERS_DATABASE_PASSWORD" not in names
    assert names["SERVICES"]["value"] == "api,web"


def test_cron_runs_on_cloud_scheduler_in_utc(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    job = resources(stack, "google_cloud_scheduler_job")["nightly_report_schedule"]
    assert job["schedule"] == "0 3 * * *" and job["time_zone"] == "Etc/UTC"
    assert job["http_target"]["uri"].endswith("/jobs/${google_cloud_run_v2_job.nightly_report_job.name}:run")
    run = resources(stack, "google_cloud_run_v2_job")["nightly_report_job"]
    assert run["template"]["template"]["containers"][0]["args"] == ["shop", "report", "--nightly"]


def test_two_synths_are_byte_identical(synthesized, tmp_path):
    from gen.model.environments import resolve
    from gen.synth import STACK_FILE, STACKS, synth_environments
    from gen.model.validate import load_app

    app = load_app(EXAMPLES / "gcp-preview-existing-network.json")
    env = resolve(app, "pr:1")
    synth_environments([env], tmp_path / "out")
    again = (tmp_path / "out" / STACKS / env.stack_name / STACK_FILE).read_text("utf-8")
    assert again == synthesized[("gcp-preview-existing-network", "pr:1")]["text"]
    json.loads(again)


@pytest.mark.parametrize("case,days", [(("shop", "prod-eu"), 90), (("shop", "staging"), 14),
                                       (("gcp-preview-existing-network", "pr:1"), 3)])
def test_cloud_run_logs_are_kept_for_the_types_retention(synthesized, case, days):
    stack = synthesized[case]
    bucket = resources(stack, "google_logging_project_bucket_config")["log_bucket"]
    assert bucket["retention_days"] == days
    sink = resources(stack, "google_logging_project_sink")["log_sink"]
    exclusion = resources(stack, "google_logging_project_exclusion")["log_exclusion"]
    assert sink["filter"] == exclusion["filter"]
    for service in resources(stack, "google_cloud_run_v2_service").values():
        assert f'"{service["name"]}"' in sink["filter"]
    for job in resources(stack, "google_cloud_run_v2_job").values():
        assert f'"{job["name"]}"' in sink["filter"]
