"""Issue 17 on Google Cloud: what a production review of the stacks found, asserted on the Terraform JSON.

Each test fails on the stacks gen wrote before the fix (first apply, runtime, exposure, alarms)."""

from __future__ import annotations

import json
import re

import pytest

from test_google import GOOGLE, resources

PLACEHOLDER = "gen-placeholder: not a secret;"
CUSTOM_ROLE = "${google_project_iam_custom_role.bucket_writer_role.name}"


@pytest.fixture(params=GOOGLE, ids=[f"{m}-{e}" for m, e in GOOGLE])
def stack(request, synthesized):
    return synthesized[request.param]


def synth(tmp_path, model: dict, env: str) -> dict:
    """Synthesize one environment of an ad-hoc model; the stack's JSON."""
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from gen.synth import STACK_FILE, STACKS, synth_environments

    path = tmp_path / "app.json"
    path.write_text(json.dumps(model), "utf-8")
    resolved = resolve(load_app(path), env)
    synth_environments([resolved], tmp_path / "out")
    return json.loads((tmp_path / "out" / STACKS / resolved.stack_name / STACK_FILE).read_text("utf-8"))


def env_of(container: dict) -> dict:
    return {e["name"]: e for e in container["env"]}


def containers(stack: dict):
    """(address, template, container) of every Cloud Run service and job."""
    for name, service in resources(stack, "google_cloud_run_v2_service").items():
        for container in service["template"]["containers"]:
            yield f"google_cloud_run_v2_service.{name}", service, container
    for name, job in resources(stack, "google_cloud_run_v2_job").items():
        for container in job["template"]["template"]["containers"]:
            yield f"google_cloud_run_v2_job.{name}", job, container


# Item 2: secrets on a first apply.

def test_every_secret_a_revision_reads_has_a_version_before_the_revision(stack):
    """Cloud Run refuses a revision whose secret has no version: each secret read by a service or job
    has a version, and the service or job waits for it."""
    versions = resources(stack, "google_secret_manager_secret_version")
    by_secret = {v["secret"].replace(".id}", ""): f"google_secret_manager_secret_version.{k}" for k, v in versions.items()}
    checked = 0
    for address, resource, container in containers(stack):
        for variable in container["env"]:
            if "value_source" not in variable:
                continue
            secret = variable["value_source"]["secret_key_ref"]["secret"].replace(".secret_id}", "")
            assert secret in by_secret, (address, variable["name"])
            assert by_secret[secret] in resource["depends_on"], (address, variable["name"])
            checked += 1
    assert checked


def test_placeholders_say_what_they_are_and_terraform_leaves_the_real_value_alone(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    version = resources(stack, "google_secret_manager_secret_version")["stripe_key_secret_placeholder"]
    assert version["secret_data"] == (
        "gen-placeholder: not a secret; set the value with: gcloud secrets versions add shop-prod-eu-stripe-key "
        "--project acme-shop-prod-eu --data-file=-")
    assert version["lifecycle"]["ignore_changes"] == ["secret_data", "enabled"]
    assert resources(stack, "google_secret_manager_secret")["stripe_key_secret"]["secret_id"] == "shop-prod-eu-stripe-key"


# Item 6: Memorystore's CA.

def test_units_that_use_a_cache_get_its_server_ca(stack):
    for address, _, container in containers(stack):
        variables = env_of(container)
        for name in [n for n in variables if n.endswith("_CACHE_HOST")]:
            cache = re.match(r"^\$\{google_redis_instance\.(\w+)\.host\}$", variables[name]["value"]).group(1)
            ca = variables[name.replace("_HOST", "_CA")]["value"]
            assert ca == f'${{join("", google_redis_instance.{cache}.server_ca_certs[*].cert)}}', address



def test_units_that_use_a_cache_get_the_port_memorystore_listens_on(stack):
    """With in-transit encryption Memorystore serves Redis on 6378, not 6379 (the instance's `port`
    attribute says which): a client told 6379 times out."""
    checked = 0
    for address, _, container in containers(stack):
        variables = env_of(container)
        for name in [n for n in variables if n.endswith("_CACHE_HOST")]:
            cache = re.match(r"^\$\{google_redis_instance\.(\w+)\.host\}$", variables[name]["value"]).group(1)
            assert variables[name.replace("_HOST", "_PORT")]["value"] == f"${{google_redis_instance.{cache}.port}}", address
            checked += 1
    assert checked or not resources(stack, "google_redis_instance")

# Item 7: bucket access means the same on both clouds.

def test_bucket_access_is_read_write_or_both_and_write_can_overwrite_and_delete(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    role = resources(stack, "google_project_iam_custom_role")["bucket_writer_role"]
    assert role["permissions"] == ["storage.multipartUploads.abort", "storage.multipartUploads.create",
                                   "storage.multipartUploads.listParts", "storage.objects.create",
                                   "storage.objects.delete"]
    assert role["role_id"] == "shop_prod_eu_bucket_writer"
    grants = {(m["bucket"], m["member"], m["role"]) for m in resources(stack, "google_storage_bucket_iam_member").values()
              if m["member"] != "allUsers"}
    receipts, assets = "${google_storage_bucket.receipts_bucket.name}", "${google_storage_bucket.assets_bucket.name}"
    account = "serviceAccount:${{google_service_account.{}_account.email}}".format
    viewer = "roles/storage.objectViewer"
    assert grants == {
        (receipts, account("front"), viewer), (receipts, account("front"), CUSTOM_ROLE),  # api: read-write
        (assets, account("front"), viewer),  # api: read
        (receipts, account("back"), viewer),  # worker: read
        (receipts, account("pdf"), CUSTOM_ROLE),  # pdf-renderer: write
    }


def test_no_role_that_cannot_overwrite_or_that_lists_for_writers(stack):
    assert "roles/storage.objectCreator" not in stack["text"]
    assert "roles/storage.objectUser" not in stack["text"]
    assert "roles/storage.objectViewer\",\n        \"member\": \"allUsers" not in stack["text"]


# Item 8: production capacity.

def test_production_units_get_a_full_vcpu_and_serve_requests_concurrently(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    for name, service in resources(stack, "google_cloud_run_v2_service").items():
        limits = service["template"]["containers"][0]["resources"]["limits"]
        assert float(limits["cpu"].removesuffix("m")) / (1000 if limits["cpu"].endswith("m") else 1) >= 1, name
        assert service["template"]["max_instance_request_concurrency"] == 80, name
        assert service["template"]["execution_environment"] == "EXECUTION_ENVIRONMENT_GEN2", name


def test_below_one_vcpu_outside_production_concurrency_stays_one(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "pr:1")]
    app = resources(stack, "google_cloud_run_v2_service")["app_service"]["template"]
    assert app["containers"][0]["resources"]["limits"]["cpu"] == "250m"
    assert app["max_instance_request_concurrency"] == 1


# Item 12: the public load balancer publishes only public prefixes; Pub/Sub pushes around it.

def test_without_a_public_service_at_root_everything_else_is_404(synthesized):
    stack = synthesized[("gcp-preview-existing-network", "pr:1")]
    url_map = resources(stack, "google_compute_url_map")["url_map"]
    not_found = {"fault_injection_policy": {"abort": {"http_status": 404, "percentage": 100}}}
    assert url_map["default_route_action"] == not_found
    matcher = url_map["path_matcher"][0]
    assert matcher["default_route_action"] == not_found
    assert sorted(p for rule in matcher["path_rule"] for p in rule["paths"]) == ["/api", "/api/*", "/app", "/app/*"]


def test_with_a_public_service_at_root_it_is_the_default(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    url_map = resources(stack, "google_compute_url_map")["url_map"]
    assert "default_route_action" not in url_map
    assert url_map["default_service"] == "${google_compute_backend_service.front_backend.id}"


def test_pushes_go_to_the_units_own_url_and_the_unit_knows_what_to_verify(stack):
    services = resources(stack, "google_cloud_run_v2_service")
    pushed = [s for s in resources(stack, "google_pubsub_subscription").values() if "push_config" in s]
    assert pushed
    for sub in pushed:
        endpoint = sub["push_config"]["push_endpoint"]
        unit = re.match(r"^\$\{google_cloud_run_v2_service\.(\w+)\.uri\}/", endpoint).group(1)
        audience = sub["push_config"]["oidc_token"]["audience"]
        assert re.match(r"^https://[a-z0-9-]+-\$\{data\.google_project\.project\.number\}\.[a-z0-9-]+\.run\.app$", audience)
        assert audience.startswith(f"https://{services[unit]['name']}-")
        assert services[unit]["custom_audiences"] == [audience]  # Cloud Run accepts tokens for it
        variables = env_of(services[unit]["template"]["containers"][0])
        found = {k: v["value"] for k, v in variables.items() if k.endswith(("_PUSH_AUDIENCE", "_PUSH_SERVICE_ACCOUNT"))}
        assert audience in found.values()
        assert sub["push_config"]["oidc_token"]["service_account_email"] in found.values()


# Item 13: public buckets.

def test_anyone_may_read_public_objects_but_not_list_them(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    public = resources(stack, "google_storage_bucket_iam_member")["assets_bucket_public_read"]
    assert public["member"] == "allUsers" and public["role"] == "roles/storage.legacyObjectReader"


# Item 15: OIDC push in projects from before April 2021.

def test_the_pubsub_agent_may_mint_tokens_for_each_push_account(stack):
    grants = resources(stack, "google_service_account_iam_member")
    for name, sub in resources(stack, "google_pubsub_subscription").items():
        if "push_config" not in sub:
            continue
        account = sub["push_config"]["oidc_token"]["service_account_email"].replace(".email}", ".name}")
        mine = [g for g in grants.values() if g["service_account_id"] == account]
        assert len(mine) == 1, name
        assert mine[0]["role"] == "roles/iam.serviceAccountTokenCreator"
        assert mine[0]["member"] == ("serviceAccount:service-${data.google_project.project.number}"
                                     "@gcp-sa-pubsub.iam.gserviceaccount.com")
        assert next(k for k, g in grants.items() if g is mine[0]) in " ".join(sub["depends_on"])


# An environment without a database or cache (KeyError: 'sqladmin' before).

def test_an_environment_without_database_or_cache_synthesizes(tmp_path):
    model = {"app": "tiny", "image": "europe-docker.pkg.dev/acme/apps/tiny:1",
             "services": {"web": {"ingress": "public"}},
             "environments": {"dev": {"type": "development", "cloud": "gcp", "region": "europe-west1",
                                      "project": "acme-tiny-dev"}}}
    stack = synth(tmp_path, model, "dev")
    apis = {a["service"] for a in stack["resource"]["google_project_service"].values()}
    assert "sqladmin.googleapis.com" not in apis and "redis.googleapis.com" not in apis
    assert "google_sql_database_instance" not in stack["resource"]


# Item 5: service calls (uses.services).

def test_a_caller_gets_the_callees_url_and_may_invoke_exactly_the_callee(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    services = resources(stack, "google_cloud_run_v2_service")
    front = env_of(services["front_service"]["template"]["containers"][0])
    url = "https://shop-prod-eu-pdf-${data.google_project.project.number}.europe-west3.run.app"
    assert front["PDF_RENDERER_URL"]["value"] == url
    assert services["pdf_service"]["custom_audiences"] == [url]  # the ID token's audience is accepted
    accounts = {m["member"]: m["name"] for m in resources(stack, "google_cloud_run_v2_service_iam_member").values()
                if m["member"].startswith("serviceAccount:${google_service_account.") and "_account.email" in m["member"]
                and "push_account" not in m["member"]}
    assert accounts == {"serviceAccount:${google_service_account.front_account.email}":
                        "${google_cloud_run_v2_service.pdf_service.name}"}
    for name in ("back_service", "pdf_service"):
        assert not any(k.endswith("_URL") for k in env_of(services[name]["template"]["containers"][0]))


def test_undeclared_pairs_get_nothing(stack):
    """One invoker binding per declared (caller unit, callee unit) pair: no pairwise grants."""
    from gen.model import wiring
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from conftest import EXAMPLES

    model, env_name = next(k for k, v in _cases().items() if v == stack["stack"])
    env = resolve(load_app(EXAMPLES / f"{model}.json"), env_name)
    expected = {f"{caller}_invokes_{callee}".replace("-", "_") for callee, callers in wiring.callers(env).items()
                for caller in callers}
    found = {k for k in resources(stack, "google_cloud_run_v2_service_iam_member") if "_invokes_" in k}
    assert found == expected


def _cases():
    from gen.model.environments import resolve
    from gen.model.validate import load_app
    from conftest import EXAMPLES

    return {(m, e): resolve(load_app(EXAMPLES / f"{m}.json"), e).stack_name for m, e in GOOGLE}


def test_thirty_times_shop_needs_no_pairwise_grants(tmp_path):
    """30 internal services, none calling another: no invoker binding at all (5,400 pairwise before)."""
    model = {"app": "wide", "image": "europe-docker.pkg.dev/acme/apps/wide:1",
             "services": {f"s{i}": {"ingress": "internal"} for i in range(30)},
             "environments": {"dev": {"type": "development", "cloud": "gcp", "region": "europe-west1",
                                      "project": "acme-wide-dev"}}}
    model["services"]["s0"]["uses"] = {"services": ["s1"]}
    stack = synth(tmp_path, model, "dev")
    members = stack["resource"]["google_cloud_run_v2_service_iam_member"]
    assert list(members) == ["s0_invokes_s1"]


# Item 14: production alarms.

def test_production_watches_dead_letters_5xx_databases_and_instances(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    policies = resources(stack, "google_monitoring_alert_policy")
    assert set(policies) == {"alert_dead_letters_order_created_send_receipt", "alert_public_5xx",
                             "alert_orders_database_disk", "alert_orders_database_cpu",
                             "alert_front_instances", "alert_back_instances", "alert_pdf_instances"}
    filters = {k: [c.get("condition_threshold", c.get("condition_absent"))["filter"] for c in p["conditions"]]
               for k, p in policies.items()}
    assert ('subscription_id = "${google_pubsub_subscription.order_created_send_receipt_dead_letter_subscription.name}"'
            in filters["alert_dead_letters_order_created_send_receipt"][0])
    assert "response_code_class = 500" in filters["alert_public_5xx"][0]
    assert '"acme-shop-prod-eu:shop-prod-eu-orders"' in filters["alert_orders_database_disk"][0]
    instances = policies["alert_front_instances"]["conditions"]
    assert instances[0]["condition_threshold"]["comparison"] == "COMPARISON_LT"
    assert instances[0]["condition_threshold"]["threshold_value"] == 2
    assert "condition_absent" in instances[1]
    assert all(p["notification_channels"] == [] for p in policies.values())  # prod-eu has no alerts.email
    assert "monitoring.googleapis.com" in {a["service"] for a in resources(stack, "google_project_service").values()}


def test_no_alarms_outside_production(synthesized):
    for case in (("shop", "staging"), ("gcp-preview-existing-network", "pr:1")):
        assert not resources(synthesized[case], "google_monitoring_alert_policy")


def test_alarms_notify_each_alerts_email(tmp_path):
    model = {"app": "tiny", "image": "europe-docker.pkg.dev/acme/apps/tiny:1",
             "services": {"web": {"ingress": "public"}},
             "environments": {"prod": {"type": "production", "cloud": "gcp", "region": "europe-west1",
                                       "project": "acme-tiny-prod", "domain": "tiny.example.com",
                                       "alerts": {"email": ["a@example.com", "b@example.com"]}}}}
    stack = synth(tmp_path, model, "prod")
    channels = stack["resource"]["google_monitoring_notification_channel"]
    assert sorted(c["labels"]["email_address"] for c in channels.values()) == ["a@example.com", "b@example.com"]
    assert all(c["type"] == "email" for c in channels.values())
    for policy in stack["resource"]["google_monitoring_alert_policy"].values():
        assert policy["notification_channels"] == [f"${{google_monitoring_notification_channel.{k}.id}}"
                                                   for k in sorted(channels)]


def test_env_show_resources_lists_the_alert_policies():
    from click.testing import CliRunner

    from conftest import EXAMPLES
    from gen.cli import main

    result = CliRunner().invoke(main, ["env", "show", str(EXAMPLES / "shop.json"), "--name", "prod-eu",
                                       "--resources", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)["resources"]
    assert "google_monitoring_alert_policy.alert_public_5xx" in shown["google_monitoring_alert_policy"]


# Item 4: database roles and migrations.

def test_migrations_run_as_an_account_of_their_own_with_the_setup_sql_as_outputs(synthesized):
    stack = synthesized[("shop", "prod-eu")]
    users = resources(stack, "google_sql_user")
    assert users["orders_db_migration_user"]["name"] == (
        '${trimsuffix(google_service_account.orders_migration_account.email, ".gserviceaccount.com")}')
    grants = [m for m in resources(stack, "google_project_iam_member").values()
              if m["member"] == "serviceAccount:${google_service_account.orders_migration_account.email}"]
    assert sorted(g["role"] for g in grants) == ["roles/cloudsql.client", "roles/cloudsql.instanceUser"]
    assert all("shop-prod-eu-orders" in g["condition"]["expression"] for g in grants)
    outputs = stack["json"]["output"]
    assert outputs["database_orders_setup_sql_admin"]["value"] == (
        'GRANT USAGE, CREATE ON SCHEMA public TO '
        '"${trimsuffix(google_service_account.orders_migration_account.email, ".gserviceaccount.com")}";')
    sql = outputs["database_orders_setup_sql_migrations"]["value"]
    for unit in ("front", "back"):
        assert f'"${{trimsuffix(google_service_account.{unit}_account.email, ".gserviceaccount.com")}}"' in sql
    assert "pdf_account" not in sql
