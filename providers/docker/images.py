"""The images a local environment runs, pinned to exact versions, and one `docker_image` per image.

Why these (docs/local.md has more): all open source and maintained. Postgres and nginx are the
Docker official images; Valkey (BSD, the Linux Foundation's fork of Redis 7.2, offered by both
ElastiCache and Memorystore) stands in for Redis; moto (Apache 2.0) is the AWS emulator, since
LocalStack needs an auth token since 2026 and MinIO's community edition is archived;
fake-gcs-server (BSD) and Google's own Pub/Sub emulator (the google-cloud-cli `emulators` image)
stand in for Google; the AWS CLI and curl images run the one-shot setup.
"""

from __future__ import annotations

import re

from cdktf import TerraformStack
from cdktf_cdktf_provider_docker.image import Image

POSTGRES = {"14": "postgres:14.19", "15": "postgres:15.14", "16": "postgres:16.10", "17": "postgres:17.6"}
VALKEY = "valkey/valkey:8.1.3"
MOTO = "motoserver/moto:5.1.22"
AWS_CLI = "amazon/aws-cli:2.27.9"
FAKE_GCS = "fsouza/fake-gcs-server:1.56.1"
PUBSUB = "gcr.io/google.com/cloudsdktool/google-cloud-cli:546.0.0-emulators"
CURL = "curlimages/curl:8.16.0"
NGINX = "nginx:1.28.0-alpine"


class Images:
    """One `docker_image` per image reference, made the first time a container asks for it.

    Images stay on the machine after `terraform destroy` (keep_locally): the developer's own
    builds and the stand-ins are pulled once, not on every apply."""

    def __init__(self, stack: TerraformStack):
        self.stack = stack
        self.made: dict[str, Image] = {}

    def id(self, reference: str) -> str:
        if reference not in self.made:
            tf = "image_" + re.sub(r"[^a-z0-9]+", "_", reference.lower()).strip("_")
            self.made[reference] = Image(self.stack, tf, name=reference, keep_locally=True)
        return self.made[reference].image_id
