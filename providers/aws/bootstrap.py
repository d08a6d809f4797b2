"""The bootstrap stack for an AWS account: applied once, by a person, with a local backend.

It makes what the environment stacks and the generated workflows expect to exist:

- the state bucket, named exactly as the stacks' S3 backend names it: versioned, SSE-S3,
  owner-enforced, every public access block on, a policy that denies requests without TLS,
  and kept from `terraform destroy`;
- the GitHub OIDC provider (one per account: import it where it exists already);
- per environment in this account and state bucket (gen.model.trust): a plan role, read-only
  (ReadOnlyAccess, less the reads of data: objects other than its state, items, messages,
  logs, parameters, images), trusted for the repository's pull requests and branch runs, and an apply
  role trusted only for jobs in the GitHub environment `<env>`, with PowerUserAccess plus IAM
  limited to the environment's own roles and policies (`<app>-<env>-*`; `<app>-pr-*` for
  previews).
"""

from __future__ import annotations

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from gen.model.environments import Environment
from gen.model.names import terraform_name
from gen.model.trust import AWS_AUDIENCE, GITHUB_ISSUER, cloud_environments, same_home, trust
from providers.aws.buckets import _ownership_and_encryption, _tls_only
from providers.aws.iam import policy_json

READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
TOKEN = GITHUB_ISSUER.removeprefix("https://")


def _web_identity(provider: IamOpenidConnectProvider, subjects: list[str], exact: bool) -> str:
    return policy_json([{
        "Effect": "Allow", "Principal": {"Federated": provider.arn}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{TOKEN}:aud": AWS_AUDIENCE, **({f"{TOKEN}:sub": subjects} if exact else {})},
                      **({} if exact else {"StringLike": {f"{TOKEN}:sub": subjects}})},
    }])


# Reads of data, not of configuration: ReadOnlyAccess grants them, `terraform plan` of gen's
# stacks needs none of them, and anyone who can push a branch can run the plan role.
DATA_READS = [
    "s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTorrent",
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:GetRecords",
    "dynamodb:PartiQLSelect", "sqs:ReceiveMessage", "kinesis:GetRecords", "kinesis:GetShardIterator",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults", "logs:StartLiveTail",
    "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
    "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "athena:GetQueryResults", "glacier:GetJobOutput",
    "rds:DownloadDBLogFilePortion", "rds:DownloadCompleteDBLogFile", "codecommit:GitPull", "codecommit:GetBlob",
    "codecommit:GetFile", "secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue",
]


def _no_data_reads(env: Environment) -> str:
    """The plan role's deny: no data reads, except the environment's own state (previews: every pr-<n>)."""
    t = trust(env)
    return policy_json([{"Sid": "NoDataReads", "Effect": "Deny", "Action": DATA_READS,
                         "NotResource": [f"arn:aws:s3:::{t.state_bucket}/{t.state_objects}"]}])


def _owned_iam(env: Environment) -> list[str]:
    """The IAM names the environment's stacks create: `<app>-<env>-*`, or `<app>-pr-*` for previews."""
    stem = f"{env.app.name}-pr-" if env.type == "preview" else f"{env.app.name}-{env.name}-"
    return [f"arn:aws:iam::{env.account}:{kind}/{stem}*" for kind in ("role", "policy", "instance-profile")]


def state_bucket(stack: TerraformStack, env: Environment) -> S3Bucket:
    bucket = S3Bucket(stack, "state", bucket=env.state.bucket, force_destroy=False,
                      lifecycle={"prevent_destroy": True})
    S3BucketVersioningA(stack, "state_versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"})
    _ownership_and_encryption(stack, "state", bucket)
    block = S3BucketPublicAccessBlock(stack, "state_public_access", bucket=bucket.id, block_public_acls=True,
                                      block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    S3BucketPolicy(stack, "state_policy", bucket=bucket.id, depends_on=[block], policy=policy_json([_tls_only(bucket)]))
    return bucket


def build(stack: TerraformStack, env: Environment, repository: str) -> None:
    AwsProvider(stack, "aws", region=env.region, allowed_account_ids=[env.account],
                default_tags=[{"tags": {"app": env.app.name, "managed-by": "gen", "purpose": "ci-bootstrap"}}])
    LocalBackend(stack, path="terraform.tfstate")
    bucket = state_bucket(stack, env)
    github = IamOpenidConnectProvider(stack, "github", url=GITHUB_ISSUER, client_id_list=[AWS_AUDIENCE])
    TerraformOutput(stack, "state_bucket", value=bucket.bucket)
    TerraformOutput(stack, "oidc_provider_arn", value=github.arn)
    # Every CI role of the app in this account: a prefix `<app>-<env>-*` may cover another
    # environment's (`prod-*` covers `prod-eu-ci-apply`), and no job may change any of them.
    ci_roles = [f"arn:aws:iam::{env.account}:role/{name}" for other in cloud_environments(env.app)
                if other.cloud == "aws" and other.account == env.account for name in (trust(other).plan, trust(other).apply)]
    for each in same_home(env.app, env):
        t = trust(each)
        tf = terraform_name(each.spec_name)
        plan = IamRole(stack, f"{tf}_ci_plan", name=t.plan, description=f"gen: plan {each.spec_name} from {repository}",
                       assume_role_policy=_web_identity(github, [f"repo:{repository}:pull_request",
                                                                 f"repo:{repository}:ref:refs/heads/*"], exact=False))
        IamRolePolicyAttachment(stack, f"{tf}_ci_plan_read_only", role=plan.name, policy_arn=READ_ONLY)
        IamRolePolicy(stack, f"{tf}_ci_plan_no_data", name="no-data-reads", role=plan.id, policy=_no_data_reads(each))
        apply = IamRole(stack, f"{tf}_ci_apply", name=t.apply, description=f"gen: apply {each.spec_name} from {repository}",
                        max_session_duration=7200,  # gen.ci.actions.APPLY_SESSION_SECONDS
                        assume_role_policy=_web_identity(github, [f"repo:{repository}:environment:{each.spec_name}"], exact=True))
        IamRolePolicyAttachment(stack, f"{tf}_ci_apply_power_user", role=apply.name, policy_arn=POWER_USER)
        IamRolePolicy(stack, f"{tf}_ci_apply_iam", name="own-iam", role=apply.id, policy=policy_json([
            {"Sid": "OwnRolesAndPolicies", "Effect": "Allow", "Action": "iam:*", "Resource": _owned_iam(each)},
            {"Sid": "ReadIam", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
            {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*"},
            # The CI roles share environments' prefixes: never let a job change them.
            {"Sid": "NotTheCiRoles", "Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": ci_roles},
        ]))
        TerraformOutput(stack, f"{tf}_plan_role_arn", value=plan.arn)
        TerraformOutput(stack, f"{tf}_apply_role_arn", value=apply.arn)
