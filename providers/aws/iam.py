"""IAM: per unit a task execution role (pull the image, write its logs, read the secrets it is
injected) and a task role granting exactly what its services' `uses` name.

Policies are JSON documents written into the stack as strings whose values reference the
resources (`"${aws_s3_bucket.receipts.arn}"`): the reviewer reads the exact document in the
plan, and checkov parses it. No statement has a `*` action; `*` resource appears only where
AWS allows nothing narrower (ecr:GetAuthorizationToken, for images in ECR).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy

from gen.model import names
from gen.model.environments import Environment, Unit

APP_USER_PREFIX = "svc_"


def app_user(unit: str) -> str:
    """The Postgres role a unit connects as with IAM database authentication: `svc_<unit>`."""
    return APP_USER_PREFIX + unit.replace("-", "_")

S3_READ = ["s3:GetObject"]
S3_WRITE = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject"]
SQS_CONSUME = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]
ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")


@dataclass(frozen=True)
class Roles:
    execution: IamRole
    task: IamRole
    policies: list  # the inline policies of both roles: a service must wait for them (compute.py)


def partition(env: Environment) -> str:
    region = env.region or ""
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def policy_json(statements: list[dict]) -> str:
    """A policy document as a JSON string; resource attributes inside are Terraform references."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def assume_role_policy(service: str, env: Environment, source_arn: str | None = None) -> str:
    """Trust `service`, only on behalf of this account (and `source_arn` when given): no confused deputy."""
    condition: dict = {"StringEquals": {"aws:SourceAccount": env.account}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return policy_json([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
                         "Condition": condition}])


def _ecr_statements(env: Environment, image: str) -> list[dict]:
    match = ECR_IMAGE.match(image)
    if not match:
        return []  # a registry outside ECR (ghcr.io, Docker Hub): the task pulls it without IAM
    account, region, repository = match.groups()
    return [
        # AWS defines no resource for GetAuthorizationToken: "*" is the only resource it takes.
        {"Sid": "EcrLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "EcrPull", "Effect": "Allow",
         # BatchImportUpstreamImage: an ECR pull-through cache fetches the image on its first pull.
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage",
                    "ecr:GetDownloadUrlForLayer"],
         "Resource": f"arn:{partition(env)}:ecr:{region}:{account}:repository/{repository}"},
    ]


def secret_arns(unit: Unit, built) -> list[str]:
    """The Secrets Manager ARNs a unit is injected: its model secrets (never a database's master
    secret: a unit connects with IAM database authentication as a role of its own)."""
    return [built.secrets[s].arn for s in unit.uses.secrets]


def database_user_arn(env: Environment, database, user: str) -> str:
    """What `rds-db:connect` names: one database user of one instance (by its resource id)."""
    return f"arn:{partition(env)}:rds-db:{env.region}:{env.account}:dbuser:{database.instance.resource_id}/{user}"


def build(stack: TerraformStack, env: Environment, built) -> dict[str, Roles]:
    """`built` holds the resources created so far (log groups, secrets, databases, buckets, topics, queues)."""
    account_source = f"arn:{partition(env)}:ecs:{env.region}:{env.account}:*"
    roles = {}
    for unit in env.units.values():
        tf = names.terraform_name(unit.name)
        execution = IamRole(
            stack, f"{tf}_execution_role", name=env.name_for(f"{unit.name}-execution", names.AWS_IAM_ROLE),
            description=f"ECS pulls the image of {unit.name}, writes its logs and injects its secrets",
            assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com", env, account_source))
        log_group = built.log_groups[unit.name]
        statements = [{"Sid": "WriteLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": f"{log_group.arn}:log-stream:*"}]
        statements += _ecr_statements(env, unit.image)
        secrets = secret_arns(unit, built)
        if secrets:
            statements.append({"Sid": "InjectSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                               "Resource": secrets})
        policies = [IamRolePolicy(stack, f"{tf}_execution_policy", name="execution", role=execution.id,
                                  policy=policy_json(statements))]

        task = IamRole(
            stack, f"{tf}_task_role", name=env.name_for(f"{unit.name}-task", names.AWS_IAM_ROLE),
            description=f"What the services of {unit.name} use: {', '.join(unit.services)}",
            assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com", env, account_source))
        statements = _uses_statements(env, unit, built, secrets)
        if statements:
            policies.append(IamRolePolicy(stack, f"{tf}_task_policy", name="uses", role=task.id,
                                          policy=policy_json(statements)))
        roles[unit.name] = Roles(execution, task, policies)
    return roles


def _uses_statements(env: Environment, unit: Unit, built, secrets: list[str]) -> list[dict]:
    statements = []
    users = [database_user_arn(env, built.databases[d], app_user(unit.name)) for d in unit.uses.databases]
    if users:
        statements.append({"Sid": "ConnectToDatabases", "Effect": "Allow", "Action": "rds-db:connect",
                           "Resource": users})
    for name, access in unit.uses.buckets.items():
        bucket = built.buckets[name]
        sid = names.env_var(name).title().replace("_", "")
        actions = (S3_READ if "read" in access else []) + (S3_WRITE if "write" in access else [])
        statements.append({"Sid": f"Bucket{sid}Objects", "Effect": "Allow", "Action": sorted(actions),
                           "Resource": f"{bucket.arn}/*"})
        if "read" in access:
            statements.append({"Sid": f"Bucket{sid}List", "Effect": "Allow", "Action": "s3:ListBucket",
                               "Resource": bucket.arn})
    topics = [built.topics[t].arn for t in unit.uses.topics]
    if topics:
        statements.append({"Sid": "PublishTopics", "Effect": "Allow", "Action": "sns:Publish", "Resource": topics})
    queues = [q.arn for key, q in built.queues.items() if built.queue_unit[key] == unit.name]
    if queues:
        statements.append({"Sid": "ConsumeQueues", "Effect": "Allow", "Action": SQS_CONSUME, "Resource": queues})
    if secrets:
        # Also the task's own, so code can re-read a secret's current value after it changes.
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                           "Resource": secrets})
    return statements
