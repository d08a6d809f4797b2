"""Production alarms: Cloud Monitoring alert policies on what fails silently otherwise, notifying an
e-mail notification channel per address in the environment's `alerts.email`.

- a message in any dead-letter subscription (it failed `max_retries` deliveries);
- 5xx answers at the public load balancer (its own and the units');
- per database: disk above 80 % and CPU above 80 % for 5 minutes;
- per unit: fewer instances than its minimum for 5 minutes, or no instance reporting for 10 minutes
  (instances crash or cannot start: Cloud Run reports `container/instance_count`, which includes
  the idle minimum instances).

The thresholds match the AWS alarms (providers/aws/alarms.py). Without `alerts` the policies exist and
notify nobody (they still show as incidents in the console).
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.monitoring_alert_policy import MonitoringAlertPolicy
from cdktf_cdktf_provider_google.monitoring_notification_channel import MonitoringNotificationChannel

from gen.model import names
from gen.model.environments import Environment
from providers import blocks
from providers.google import compute
from providers.google.databases import instance_name

PERIOD = "300s"
ERRORS_5XX = 10  # 5xx answers in one period, as on AWS
DATABASE_CPU = 0.8
DATABASE_DISK = 0.8  # AWS: free storage below a fifth
NO_INSTANCES = "600s"


def _threshold(name: str, metric_filter: str, comparison: str, value: float, aligner: str, duration: str = PERIOD,
               reducer: str | None = None, group_by: list[str] | None = None) -> dict:
    aggregation = {"alignment_period": PERIOD, "per_series_aligner": aligner}
    if reducer:
        aggregation.update(cross_series_reducer=reducer, group_by_fields=group_by or [])
    return {"display_name": name, "condition_threshold": {
        "filter": metric_filter, "comparison": comparison, "threshold_value": value, "duration": duration,
        "aggregations": [aggregation]}}


def build(stack: TerraformStack, env: Environment, built, units: dict, balancing, dead_letters: dict) -> list:
    if env.type != "production":
        return []
    channels = [MonitoringNotificationChannel(
        stack, f"alerts_email_{index}", type="email", display_name=f"{env.app.name} {env.name} alerts: {address}",
        labels={"email_address": address}, depends_on=[built.apis["monitoring"]]).id
        for index, address in enumerate(env.alerts)]
    prefix = f"{env.app.name}-{env.name}"
    policies = []

    def policy(tf: str, title: str, text: str, conditions: list[dict]) -> None:
        policies.append(MonitoringAlertPolicy(
            stack, tf, display_name=f"{prefix} {title}", combiner="OR", conditions=blocks(conditions),
            notification_channels=channels, severity="ERROR",
            documentation={"content": text, "mime_type": "text/markdown"},
            depends_on=[built.apis["monitoring"]]))

    for key, subscription in sorted(dead_letters.items()):
        topic, sub = key.split("/")
        policy(names.terraform_name("alert_dead_letters", topic, sub), f"dead letters {topic}/{sub}",
               f"Messages of subscription {sub} to {topic} failed every delivery attempt and wait in the "
               f"dead-letter subscription {subscription.name} (kept 7 days) for inspection and replay.",
               [_threshold("undelivered dead letters",
                           f'resource.type = "pubsub_subscription" AND resource.label.subscription_id = '
                           f'"{subscription.name}" AND metric.type = '
                           f'"pubsub.googleapis.com/subscription/num_undelivered_messages"',
                           "COMPARISON_GT", 0, "ALIGN_MAX", duration="0s")])

    if balancing is not None:
        policy("alert_public_5xx", "public 5xx",
               f"The public load balancer answered 5xx {ERRORS_5XX} times or more in 5 minutes (from the load "
               f"balancer itself, or from the units behind it).",
               [_threshold("5xx at the public load balancer",
                           f'resource.type = "https_lb_rule" AND resource.label.url_map_name = "{balancing.url_map.name}" '
                           f'AND metric.type = "loadbalancing.googleapis.com/https/request_count" '
                           f'AND metric.label.response_code_class = 500',
                           "COMPARISON_GT", ERRORS_5XX - 1, "ALIGN_SUM", duration="0s",
                           reducer="REDUCE_SUM", group_by=["resource.label.url_map_name"])])

    for name, db in sorted(built.databases.items()):
        database = f'resource.type = "cloudsql_database" AND resource.label.database_id = "{env.project}:{instance_name(env, name)}"'
        tf = names.terraform_name(name)
        policy(f"alert_{tf}_database_disk", f"database {name} disk",
               f"Cloud SQL instance of database {name}: disk above {DATABASE_DISK:.0%} for 5 minutes "
               f"(autoresize grows it, at most once in a while; check what fills it).",
               [_threshold("disk utilization", f'{database} AND metric.type = "cloudsql.googleapis.com/database/disk/utilization"',
                           "COMPARISON_GT", DATABASE_DISK, "ALIGN_MEAN")])
        policy(f"alert_{tf}_database_cpu", f"database {name} cpu",
               f"Cloud SQL instance of database {name}: CPU above {DATABASE_CPU:.0%} for 5 minutes.",
               [_threshold("CPU utilization", f'{database} AND metric.type = "cloudsql.googleapis.com/database/cpu/utilization"',
                           "COMPARISON_GT", DATABASE_CPU, "ALIGN_MEAN")])

    for name, unit in sorted(env.units.items()):
        service = units[name]
        minimum = compute.min_instances(unit)
        if not minimum:
            continue
        instances = (f'resource.type = "cloud_run_revision" AND resource.label.service_name = "{service.name}" '
                     f'AND metric.type = "run.googleapis.com/container/instance_count"')
        policy(names.terraform_name("alert", name, "instances"), f"unit {name} below its instances",
               f"Cloud Run service {service.name} (unit {name}: {', '.join(unit.services)}) ran fewer than its "
               f"{minimum} minimum instances for 5 minutes, or reported none for 10: instances crash or cannot start.",
               [_threshold(f"fewer than {minimum} instances", instances, "COMPARISON_LT", minimum, "ALIGN_MAX",
                           reducer="REDUCE_SUM", group_by=["resource.label.service_name"]),
                {"display_name": "no instances", "condition_absent": {
                    "filter": instances, "duration": NO_INSTANCES,
                    "aggregations": [{"alignment_period": PERIOD, "per_series_aligner": "ALIGN_MAX"}]}}])
    return policies
