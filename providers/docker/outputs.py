"""Outputs: the local URL and each public service's, and how to reach each stand-in from the
developer's machine (connection strings without passwords; the password is `local_password`)."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack

from gen.model.clouds import local
from gen.model.environments import Environment
from gen.model.names import terraform_name
from providers import public_urls
from providers.docker import buckets, topics


def build(stack: TerraformStack, env: Environment, built, proxy) -> None:
    if proxy is not None:
        for name, (url, description) in public_urls(env, f"http://localhost:{local.PROXY_PORT}").items():
            TerraformOutput(stack, name, value=url, description=description)
    for name, db in built.databases.items():
        TerraformOutput(stack, terraform_name("database", name, "url"),
                        value=f"postgresql://{local.POSTGRES_USER}@127.0.0.1:{db.host_port}/{db.db_name}",
                        description=f"database {name} (password: the local_password variable)")
    for name, cache in built.caches.items():
        TerraformOutput(stack, terraform_name("cache", name, "url"), value=f"redis://127.0.0.1:{cache.host_port}",
                        description=f"cache {name}" + (" (AUTH: the local_password variable)" if cache.auth else ""))
    ports = local.host_ports(env)
    if local.MOTO in ports:
        TerraformOutput(stack, "aws_endpoint_url", value=f"http://127.0.0.1:{ports[local.MOTO]}",
                        description="moto (S3, SNS, SQS, Secrets Manager): AWS_ENDPOINT_URL for tools on this machine")
    if local.GCS in ports:
        TerraformOutput(stack, "storage_emulator_host", value=f"http://127.0.0.1:{ports[local.GCS]}",
                        description="fake-gcs-server: STORAGE_EMULATOR_HOST for tools on this machine")
    if local.PUBSUB in ports:
        TerraformOutput(stack, "pubsub_emulator_host", value=f"127.0.0.1:{ports[local.PUBSUB]}",
                        description="the Pub/Sub emulator: PUBSUB_EMULATOR_HOST for tools on this machine")
    for name in env.buckets:
        TerraformOutput(stack, terraform_name("bucket", name, "name"), value=buckets.name(env, name))
    for name in env.app.topics:
        TerraformOutput(stack, terraform_name("topic", name, "arn" if env.emulate == "aws" else "id"),
                        value=topics.aws_topic_arn(env, name) if env.emulate == "aws" else topics.gcp_topic_id(env, name))
