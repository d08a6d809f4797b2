"""EventBridge Scheduler: per cron job a schedule that runs its service's task with the job's
command, under its own role that may run only that task definition family and pass only
that unit's roles."""

from __future__ import annotations

import json

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.scheduler_schedule import SchedulerSchedule

from gen.model import cron, names
from gen.model.environments import Environment
from gen.model.clouds.aws import eventbridge_expression
from providers.aws.compute import family
from providers.aws.iam import assume_role_policy, partition, policy_json

RETRY_ATTEMPTS = 2
MAX_EVENT_AGE_SECONDS = 3600


def build(stack: TerraformStack, env: Environment, network, roles, compute, task_groups) -> None:
    for job in env.app.cron.values():
        unit = env.unit_of(job.service)
        tf = names.terraform_name(job.name)
        task_family = family(env, unit)
        ecs_arn = f"arn:{partition(env)}:ecs:{env.region}:{env.account}"
        role = IamRole(stack, f"{tf}_schedule_role", name=env.name_for(f"{job.name}-schedule", names.AWS_IAM_ROLE),
                       description=f"EventBridge Scheduler runs cron job {job.name} on {unit.name}'s task",
                       assume_role_policy=assume_role_policy(
                           "scheduler.amazonaws.com", env,
                           f"arn:{partition(env)}:scheduler:{env.region}:{env.account}:schedule/default/"
                           f"{env.name_for(job.name, names.AWS_SCHEDULER_SCHEDULE)}"))
        IamRolePolicy(stack, f"{tf}_schedule_policy", name="run-task", role=role.id, policy=policy_json([
            {"Sid": "RunTask", "Effect": "Allow", "Action": "ecs:RunTask",
             "Resource": [f"{ecs_arn}:task-definition/{task_family}", f"{ecs_arn}:task-definition/{task_family}:*"],
             "Condition": {"ArnEquals": {"ecs:cluster": compute.cluster.arn}}},
            {"Sid": "TagTask", "Effect": "Allow", "Action": "ecs:TagResource",
             "Resource": f"{ecs_arn}:task/{compute.cluster.name}/*",
             "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}}},
            {"Sid": "PassUnitRoles", "Effect": "Allow", "Action": "iam:PassRole",
             "Resource": [roles[unit.name].execution.arn, roles[unit.name].task.arn],
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        ]))
        overrides = {"containerOverrides": [{"name": unit.name, "command": list(job.command)}]}
        SchedulerSchedule(
            stack, f"{tf}_schedule", name=env.name_for(job.name, names.AWS_SCHEDULER_SCHEDULE),
            description=f"cron job {job.name}: {job.schedule} (UTC) on {unit.name}",
            schedule_expression=eventbridge_expression(cron.parse(job.schedule)),
            schedule_expression_timezone="UTC", flexible_time_window={"mode": "OFF"},
            target={
                "arn": compute.cluster.arn, "role_arn": role.arn,
                "input": json.dumps(overrides, separators=(",", ":")),
                "retry_policy": {"maximum_retry_attempts": RETRY_ATTEMPTS,
                                 "maximum_event_age_in_seconds": MAX_EVENT_AGE_SECONDS},
                "ecs_parameters": {
                    "task_definition_arn": compute.task_definitions[unit.name].arn_without_revision,
                    "launch_type": "FARGATE", "platform_version": "LATEST", "task_count": 1,
                    "enable_ecs_managed_tags": True, "propagate_tags": "TASK_DEFINITION",
                    "network_configuration": {"subnets": network.task_subnet_ids,
                                              "security_groups": [task_groups[unit.name].id],
                                              "assign_public_ip": network.assign_public_ip}},
            })
