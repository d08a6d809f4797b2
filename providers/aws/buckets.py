"""S3: per bucket a globally unique name, owner-enforced objects, SSE, versioning when asked,
public access blocked unless `public`, TLS-only access, `force_destroy` by type."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from gen.model import names
from gen.model.environments import Environment
from providers import blocks, protect
from gen.model.clouds.aws import ACCESS_LOG_BUCKET as ACCESS_LOGS
from providers.aws.iam import policy_json

# Regions that opened before August 2022: their load balancers write access logs as the
# region's Elastic Load Balancing account (data.aws_elb_service_account names it). Regions
# opened since write as the log delivery service principal, which has no account there.
# (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html)
ELB_ACCOUNT_REGIONS = frozenset({
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ca-central-1", "eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-north-1",
    "me-south-1", "sa-east-1", "us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1",
})
LOG_DELIVERY_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
INCOMPLETE_UPLOAD_DAYS = 7
NONCURRENT_VERSION_DAYS = 90
LOAD_BALANCER_LOG_PREFIX = "alb"
BUCKET_LOG_PREFIX = "s3"


@dataclass(frozen=True)
class AccessLogs:
    """Production's access log bucket: load balancers and the app's buckets write into it."""

    bucket: S3Bucket
    policy: S3BucketPolicy  # writers wait for it


def bucket_name(env: Environment, bucket: str) -> str:
    """`<app>-<env>-<bucket>-<hash of account and name>`: the same model in two accounts never collides."""
    return names.global_name(env.app.name, env.name, bucket, env.account, names.AWS_S3_BUCKET)


def _ownership_and_encryption(stack: TerraformStack, tf: str, bucket: S3Bucket) -> None:
    S3BucketOwnershipControls(stack, f"{tf}_ownership", bucket=bucket.id,
                              rule={"object_ownership": "BucketOwnerEnforced"})
    S3BucketServerSideEncryptionConfigurationA(
        stack, f"{tf}_encryption", bucket=bucket.id,
        rule=blocks([{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]))


def _tls_only(bucket: S3Bucket) -> dict:
    return {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket.arn, f"{bucket.arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def load_balancer_kinds(env: Environment) -> list[str]:
    """The load balancers the environment has, by log prefix: `public` and/or `internal`."""
    units = env.units.values()
    return [kind for kind, present in (("public", any(u.public for u in units)),
                                       ("internal", any(u.internal for u in units))) if present]


def access_logs(stack: TerraformStack, env: Environment) -> AccessLogs | None:
    """In production, one bucket for load balancer and S3 server access logs, kept for the log retention.

    Access logs go to SSE-S3 buckets only (load balancers cannot write SSE-KMS). The load
    balancer writes as the region's Elastic Load Balancing account (a data source names it),
    S3 server access logging as the logging service, only for this account.
    """
    if env.type != "production":
        return None
    tf = "access_logs_bucket"
    bucket = S3Bucket(stack, tf, bucket=bucket_name(env, ACCESS_LOGS), force_destroy=False, lifecycle=protect(env))
    _ownership_and_encryption(stack, tf, bucket)
    S3BucketLifecycleConfiguration(stack, f"{tf}_lifecycle", bucket=bucket.id, rule=blocks([
        {"id": "expire-logs", "status": "Enabled", "filter": [{}],
         "expiration": [{"days": int(env.settings["log_retention_days"])}],
         "abort_incomplete_multipart_upload": [{"days_after_initiation": INCOMPLETE_UPLOAD_DAYS}]}]))
    block = S3BucketPublicAccessBlock(stack, f"{tf}_public_access", bucket=bucket.id, block_public_acls=True,
                                      ignore_public_acls=True, block_public_policy=True, restrict_public_buckets=True)
    # Each load balancer logs under its own prefix (load_balancing.py): <prefix>/AWSLogs/<account>/...
    prefixes = [f"{bucket.arn}/{LOAD_BALANCER_LOG_PREFIX}/{kind}/AWSLogs/{env.account}/*"
                for kind in load_balancer_kinds(env)]
    if env.region in ELB_ACCOUNT_REGIONS:
        writer = {"AWS": DataAwsElbServiceAccount(stack, "load_balancer_log_writer").arn}
    else:
        writer = {"Service": LOG_DELIVERY_PRINCIPAL}
    policy = S3BucketPolicy(stack, f"{tf}_policy", bucket=bucket.id, depends_on=[block], policy=policy_json([
        _tls_only(bucket),
        {"Sid": "LoadBalancerLogs", "Effect": "Allow", "Principal": writer, "Action": "s3:PutObject",
         "Resource": prefixes},
        {"Sid": "BucketAccessLogs", "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": f"{bucket.arn}/{BUCKET_LOG_PREFIX}/*",
         "Condition": {"StringEquals": {"aws:SourceAccount": env.account}}},
    ]))
    return AccessLogs(bucket, policy)


def build(stack: TerraformStack, env: Environment, logs: AccessLogs | None = None) -> dict[str, S3Bucket]:
    buckets = {}
    for settings in env.buckets.values():
        tf = names.terraform_name(settings.name, "bucket")
        bucket = S3Bucket(stack, tf, bucket=bucket_name(env, settings.name), force_destroy=settings.force_destroy,
                          lifecycle=protect(env))
        if logs is not None:
            S3BucketLoggingA(stack, f"{tf}_logging", bucket=bucket.id, target_bucket=logs.bucket.id,
                             target_prefix=f"{BUCKET_LOG_PREFIX}/{settings.name}/", depends_on=[logs.policy])
        # SSE-S3: anonymous readers of a public bucket could not read SSE-KMS objects.
        _ownership_and_encryption(stack, tf, bucket)
        if settings.versioned:
            S3BucketVersioningA(stack, f"{tf}_versioning", bucket=bucket.id,
                                versioning_configuration={"status": "Enabled"})
        rules = [{"id": "abort-incomplete-uploads", "status": "Enabled", "filter": [{}],
                  "abort_incomplete_multipart_upload": [{"days_after_initiation": INCOMPLETE_UPLOAD_DAYS}]}]
        if settings.versioned:
            rules.append({"id": "expire-old-versions", "status": "Enabled", "filter": [{}],
                          "noncurrent_version_expiration": [{"noncurrent_days": NONCURRENT_VERSION_DAYS}]})
        S3BucketLifecycleConfiguration(stack, f"{tf}_lifecycle", bucket=bucket.id, rule=blocks(rules))
        # A public bucket lets a bucket policy grant reads (and nothing else: ACLs stay blocked).
        block = S3BucketPublicAccessBlock(
            stack, f"{tf}_public_access", bucket=bucket.id, block_public_acls=True, ignore_public_acls=True,
            block_public_policy=not settings.public, restrict_public_buckets=not settings.public)
        statements = [_tls_only(bucket)]
        if settings.public:
            statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{bucket.arn}/*"})
        S3BucketPolicy(stack, f"{tf}_policy", bucket=bucket.id, policy=policy_json(statements), depends_on=[block])
        buckets[settings.name] = bucket
    return buckets
