"""The environment's Docker network: every container joins it and answers by its host name."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container
from cdktf_cdktf_provider_docker.network import Network

from gen.model.clouds import local
from gen.model.environments import Environment
from providers import blocks

HEALTH = {"interval": "5s", "timeout": "5s", "retries": 12, "start_period": "10s"}
WAIT_SECONDS = 180  # how long apply waits for a stand-in to report healthy


def labels(env: Environment) -> list[dict]:
    """The environment's tags as Docker labels."""
    return blocks([{"label": k, "value": v} for k, v in env.tags.items()])


def build(stack: TerraformStack, env: Environment) -> Network:
    return Network(stack, "network", name=local.network_name(env), driver="bridge", labels=labels(env))


def stand_in(stack: TerraformStack, env: Environment, network: Network, tf: str, host: str, image: str, *,
             internal_port: int, health: list[str], volume=None, data_path: str | None = None,
             variables: list[str] | None = None, aliases: tuple[str, ...] = (), **settings) -> Container:
    """A stateful stand-in: its host name on the network, its port published on 127.0.0.1 only,
    a health check apply waits for, and (where it keeps data) a named volume. `variables` are the
    container's environment (KEY=value); `aliases` more names it answers by on the network."""
    return Container(
        stack, tf, name=local.container_name(env, host), image=image, hostname=host,
        networks_advanced=blocks([{"name": network.name, "aliases": [host, *aliases]}]),
        ports=blocks([{"internal": internal_port, "external": local.host_ports(env)[host], "ip": "127.0.0.1"}]),
        volumes=blocks([{"volume_name": volume.name, "container_path": data_path}]) if volume is not None else None,
        healthcheck={"test": health, **HEALTH}, wait=True, wait_timeout=WAIT_SECONDS,
        restart="unless-stopped", labels=labels(env), env=variables, **settings)


def one_shot(stack: TerraformStack, env: Environment, network: Network, tf: str, host: str, image: str,
             script: str, variables: list[str] | None = None, **settings) -> Container:
    """A container that runs a setup script once and exits. Apply waits for it (attach) and fails
    with its exit code when the script fails (the postcondition; the provider itself records the
    exit code and carries on). A changed script or variable replaces it, so it runs again."""
    return Container(
        stack, tf, name=local.container_name(env, host), image=image,
        networks_advanced=blocks([{"name": network.name}]),
        entrypoint=["/bin/sh", "-c"], command=[script],
        must_run=False, attach=True, logs=True, restart="no", labels=labels(env), env=variables,
        lifecycle={"postcondition": blocks([{"condition": "${self.exit_code == 0}",
                                      "error_message": f"the setup container {local.container_name(env, host)} failed: "
                                                       f"docker logs {local.container_name(env, host)}"}])},
        **settings)
