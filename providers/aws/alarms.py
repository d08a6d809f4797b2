"""Production alarms: CloudWatch alarms on what fails silently otherwise, notifying an SNS topic
with an e-mail subscription per address in the environment's `alerts.email`.

- a message in any dead-letter queue (it failed `max_retries` times and nobody would notice);
- 5xx answers at the public load balancer, its own (`HTTPCode_ELB_5XX_Count`: no healthy
  target, timeouts) and the targets' (`HTTPCode_Target_5XX_Count`);
- per database: free storage below a fifth of the allocated size, CPU above 80 %;
- per unit: fewer running tasks than desired for 5 minutes (tasks crash or cannot start;
  Container Insights, on in production, publishes both counts).

Without `alerts` the alarms and the topic exist and notify nobody. SNS sends each address a
confirmation mail: alarms reach it once the recipient confirms.

The alarm topic is not encrypted at rest: CloudWatch cannot publish to a topic encrypted with
the AWS managed SNS key (its key policy does not let CloudWatch use it, and cannot be
changed), and gen creates no customer managed keys. It carries alarm names and states only;
the app's own topics stay encrypted. Its policy lets CloudWatch alarms of this account publish.
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription

from gen.model import names
from gen.model.environments import Environment
from providers import blocks
from providers.aws.iam import partition, policy_json

PERIOD = 300  # seconds
ERRORS_5XX = 10  # 5xx answers in one period
DATABASE_CPU_PERCENT = 80
FREE_STORAGE_FRACTION = 0.2
GIB = 1024 ** 3


def build(stack: TerraformStack, env: Environment, built, balancing, units) -> SnsTopic | None:
    if env.type != "production":
        return None
    topic = SnsTopic(stack, "alarms_topic", name=env.name_for("alarms", names.AWS_SNS_TOPIC))
    SnsTopicPolicy(stack, "alarms_topic_policy", arn=topic.arn, policy=policy_json([{
        "Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic.arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": env.account},
                      "ArnLike": {"aws:SourceArn": f"arn:{partition(env)}:cloudwatch:{env.region}:{env.account}:alarm:*"}}}]))
    for index, address in enumerate(env.alerts):
        SnsTopicSubscription(stack, f"alarms_email_{index}", topic_arn=topic.arn, protocol="email", endpoint=address)
    notify = {"alarm_actions": [topic.arn], "ok_actions": [topic.arn]}
    prefix = f"{env.app.name}-{env.name}"

    for key, queue in sorted(built.dead_letters.items()):
        topic_name, sub = key.split("/")
        CloudwatchMetricAlarm(
            stack, names.terraform_name("alarm_dead_letters", topic_name, sub),
            alarm_name=f"{prefix} dead letters {topic_name}/{sub}",
            alarm_description=f"messages of subscription {sub} to {topic_name} failed every retry and wait in {queue.name}",
            namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue.name}, statistic="Maximum", period=PERIOD, evaluation_periods=1,
            comparison_operator="GreaterThanThreshold", threshold=0, treat_missing_data="notBreaching", **notify)

    if balancing.public is not None:
        for source, metric in (("load balancer", "HTTPCode_ELB_5XX_Count"), ("targets", "HTTPCode_Target_5XX_Count")):
            CloudwatchMetricAlarm(
                stack, names.terraform_name("alarm_public_5xx", "load_balancer" if source == "load balancer" else "targets"),
                alarm_name=f"{prefix} public 5xx from the {source}",
                alarm_description=f"the public load balancer answered 5xx (from the {source}) {ERRORS_5XX} times or more in {PERIOD // 60} minutes",
                namespace="AWS/ApplicationELB", metric_name=metric,
                dimensions={"LoadBalancer": balancing.public.arn_suffix}, statistic="Sum", period=PERIOD,
                evaluation_periods=1, comparison_operator="GreaterThanOrEqualToThreshold", threshold=ERRORS_5XX,
                treat_missing_data="notBreaching", **notify)

    for name, db in sorted(built.databases.items()):
        tf, dimensions = names.terraform_name(name), {"DBInstanceIdentifier": db.instance.identifier}
        storage = env.databases[name].storage_gb
        CloudwatchMetricAlarm(
            stack, f"alarm_{tf}_storage", alarm_name=f"{prefix} database {name} storage",
            alarm_description=f"database {name} has less than {int(FREE_STORAGE_FRACTION * 100)} % of its {storage} GB free",
            namespace="AWS/RDS", metric_name="FreeStorageSpace", dimensions=dimensions, statistic="Minimum",
            period=PERIOD, evaluation_periods=1, comparison_operator="LessThanThreshold",
            threshold=int(storage * GIB * FREE_STORAGE_FRACTION), treat_missing_data="missing", **notify)
        CloudwatchMetricAlarm(
            stack, f"alarm_{tf}_cpu", alarm_name=f"{prefix} database {name} CPU",
            alarm_description=f"database {name} used more than {DATABASE_CPU_PERCENT} % CPU for 15 minutes",
            namespace="AWS/RDS", metric_name="CPUUtilization", dimensions=dimensions, statistic="Average",
            period=PERIOD, evaluation_periods=3, comparison_operator="GreaterThanThreshold",
            threshold=DATABASE_CPU_PERCENT, treat_missing_data="missing", **notify)

    for unit in env.units.values():
        dimensions = {"ClusterName": units.cluster.name, "ServiceName": units.services[unit.name].name}
        CloudwatchMetricAlarm(
            stack, names.terraform_name("alarm", unit.name, "below_desired"),
            alarm_name=f"{prefix} {unit.name} below desired count",
            alarm_description=f"unit {unit.name} ran fewer tasks than desired for 5 minutes (tasks crash or cannot start)",
            comparison_operator="GreaterThanThreshold", threshold=0, evaluation_periods=5, datapoints_to_alarm=5,
            treat_missing_data="missing", **notify,
            metric_query=blocks([
                {"id": "missing", "expression": "desired - running", "label": "tasks missing", "return_data": True},
                {"id": "desired", "metric": {"namespace": "ECS/ContainerInsights", "metric_name": "DesiredTaskCount",
                                             "dimensions": dimensions, "stat": "Average", "period": 60}},
                {"id": "running", "metric": {"namespace": "ECS/ContainerInsights", "metric_name": "RunningTaskCount",
                                             "dimensions": dimensions, "stat": "Average", "period": 60}},
            ]))
    return topic
