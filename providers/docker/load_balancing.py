"""The public entry: nginx at http://localhost:4000 (published on 127.0.0.1 only), routing each
public service's path prefix to its unit as the cloud load balancers do (`/api` and `/api/...` to
the service at `/api`, everything else to the service at `/`). Internal services are reached by
name on the network and never through it. The configuration is generated text, ordered by path."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.container import Container

from gen.model.clouds import local
from gen.model.environments import Environment
from providers import blocks
from providers.docker import images
from providers.docker.network import labels

LISTEN = 80
CONFIG = "/etc/nginx/conf.d/default.conf"


def config(env: Environment) -> str:
    """nginx's server block. Upstreams go through variables and Docker's DNS (127.0.0.11), so the
    proxy starts before the units and follows a unit's container when it is replaced."""
    lines = [f"# Written by gen: the public services of {env.app.name} {env.name} at http://localhost:{local.PROXY_PORT}.",
             "server {",
             f"    listen {LISTEN};",
             "    resolver 127.0.0.11 valid=10s ipv6=off;",
             "    proxy_http_version 1.1;",
             "    proxy_set_header Host $http_host;",
             "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
             "    proxy_set_header X-Forwarded-Proto $scheme;",
             "    client_max_body_size 32m;"]
    routes = sorted((s.path, s.name) for s in env.services.values() if s.ingress == "public")
    for path, service in sorted(routes, key=lambda r: (-len(r[0]), r[0])):
        unit = env.unit_of(service)
        upstream = f"http://{unit.name}:{unit.port}"
        prefixes = ["/"] if path == "/" else [f"= {path.rstrip('/')}", f"{path.rstrip('/')}/"]
        for prefix in prefixes:
            lines += [f"    location {prefix} {{", f"        set $upstream {upstream};", "        proxy_pass $upstream;", "    }"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def build(stack: TerraformStack, env: Environment, network, pulled: images.Images, units: dict) -> Container | None:
    public = [u for u in env.units.values() if u.public]
    if not public:
        return None
    return Container(
        stack, "proxy", name=local.container_name(env, local.PROXY), image=pulled.id(images.NGINX), hostname=local.PROXY,
        networks_advanced=blocks([{"name": network.name, "aliases": [local.PROXY]}]),
        ports=blocks([{"internal": LISTEN, "external": local.PROXY_PORT, "ip": "127.0.0.1"}]),
        upload=blocks([{"file": CONFIG, "content": config(env)}]),
        restart="unless-stopped", labels=labels(env), depends_on=[units[u.name] for u in public])
