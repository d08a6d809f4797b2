"""The emulator of the cloud named by `emulate`, and the one-shot setup container that creates the
model's buckets, topics, subscriptions and (aws) secrets in it.

- aws: moto in server mode (S3, SNS, SQS, Secrets Manager on one port), reached through
  AWS_ENDPOINT_URL. moto keeps its state in memory: it has no volume, and after moto restarts
  `terraform apply -replace=docker_container.setup` creates everything again (docs/local.md).
- gcp: fake-gcs-server (objects on a named volume) and Google's Pub/Sub emulator, reached
  through STORAGE_EMULATOR_HOST and PUBSUB_EMULATOR_HOST.
"""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container
from cdktf_cdktf_provider_docker.volume import Volume

from gen.model.clouds import local
from gen.model.environments import Environment
from providers.docker import buckets, images, secrets, topics
from providers.docker.network import labels, one_shot, stand_in

# The gcp setup script's helper: send a JSON body, accept 200 (created) and 409 (exists).
# The format string is spelled through a variable so no `%{` (a Terraform template directive)
# appears in the stack.
CREATE = """\
percent=%
create() {
  code=$(curl -s -o /tmp/response -w "$percent{http_code}" -X "$1" -H 'Content-Type: application/json' --data "$3" "$2")
  case "$code" in
    200|409) ;;
    *) echo "$1 $2: HTTP $code"; cat /tmp/response; exit 1 ;;
  esac
}"""


def build(stack: TerraformStack, env: Environment, network, pulled: images.Images) -> list[Container]:
    running = local.emulators(env)
    if not running:
        return []
    if env.emulate == "aws":
        # SDKs that address buckets virtual-hosted style (the AWS SDK for JavaScript by default)
        # ask for <bucket>.moto: each bucket is an alias of moto, which serves it as such when
        # its endpoint is one of MOTO_S3_CUSTOM_ENDPOINTS.
        endpoint = local.emulator_variables(env)["AWS_ENDPOINT_URL"]
        return [stand_in(
            stack, env, network, "moto", local.MOTO, pulled.id(images.MOTO), internal_port=local.MOTO_PORT,
            health=["CMD", "python", "-c", f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{local.MOTO_PORT}/')"],
            aliases=tuple(f"{buckets.name(env, b)}.{local.MOTO}" for b in env.buckets),
            variables=[f"MOTO_S3_CUSTOM_ENDPOINTS={endpoint}"])]
    out = []
    if local.GCS in running:
        out.append(_gcs(stack, env, network, pulled))
    if local.PUBSUB in running:
        out.append(_pubsub(stack, env, network, pulled))
    return out


def _gcs(stack: TerraformStack, env: Environment, network, pulled: images.Images) -> Container:
    gcs_volume = Volume(stack, "gcs_volume", name=f"{local.container_name(env, local.GCS)}-data", labels=labels(env))
    return stand_in(
        stack, env, network, "gcs", local.GCS, pulled.id(images.FAKE_GCS), internal_port=local.GCS_PORT,
        health=["CMD-SHELL", f"wget -q -O /dev/null http://127.0.0.1:{local.GCS_PORT}/storage/v1/b"],
        volume=gcs_volume, data_path="/storage",
        command=["-scheme", "http", "-port", str(local.GCS_PORT), "-backend", "filesystem", "-filesystem-root", "/storage",
                 "-external-url", f"http://{local.GCS}:{local.GCS_PORT}", "-public-host", f"{local.GCS}:{local.GCS_PORT}"])


def _pubsub(stack: TerraformStack, env: Environment, network, pulled: images.Images) -> Container:
    pubsub_volume = Volume(stack, "pubsub_volume", name=f"{local.container_name(env, local.PUBSUB)}-data", labels=labels(env))
    return stand_in(
        stack, env, network, "pubsub", local.PUBSUB, pulled.id(images.PUBSUB), internal_port=local.PUBSUB_PORT,
        health=["CMD-SHELL", f"curl -sf http://127.0.0.1:{local.PUBSUB_PORT}/ >/dev/null"],
        volume=pubsub_volume, data_path="/data",
        command=["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port=0.0.0.0:{local.PUBSUB_PORT}",
                 f"--project={local.google_project(env)}", "--data-dir=/data"])


def setup(stack: TerraformStack, env: Environment, network, pulled: images.Images, emulators: list[Container],
          secret_variables: dict) -> Container | None:
    """The setup container, or None when the model has nothing to create in the emulator."""
    if env.emulate == "aws":
        commands = [*buckets.aws_commands(env), *topics.aws_commands(env), *secrets.aws_commands(env)]
        if not commands:
            return None
        variables = [f"{k}={v}" for k, v in local.emulator_variables(env).items()]
        return one_shot(stack, env, network, "setup", local.SETUP, pulled.id(images.AWS_CLI),
                        "\n".join(["set -e", *commands]),
                        variables=variables + secrets.setup_env(env, secret_variables), depends_on=emulators)
    commands = [*buckets.gcp_commands(env), *topics.gcp_commands(env)]
    if not commands:
        return None
    return one_shot(stack, env, network, "setup", local.SETUP, pulled.id(images.CURL),
                    "\n".join(["set -e", CREATE, *commands]), depends_on=emulators)
