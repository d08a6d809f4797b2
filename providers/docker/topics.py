"""Topics and their subscriptions, created in the emulator by the setup container.

- aws: an SNS topic per topic, and per subscription an SQS queue (visibility timeout = the ack
  deadline) with a dead-letter queue after `max_retries` receives, subscribed with raw delivery:
  the same shape as the AWS stack, so the consuming unit polls <SUB>_QUEUE_URL.
- gcp: a Pub/Sub topic per topic and a push subscription per subscription to the consuming unit's
  container at the subscription's path (http://<unit>:<port><path>), as Pub/Sub pushes to Cloud
  Run. The emulator has no dead-letter topics or OIDC tokens: `max_retries` does not apply
  locally, and pushes come unauthenticated (docs/local.md).
"""

from __future__ import annotations

import json
import shlex

from gen.model import names
from gen.model.clouds import local
from gen.model.environments import Environment


def aws_topic_arn(env: Environment, topic: str) -> str:
    return f"arn:aws:sns:{local.AWS_REGION}:{local.MOTO_ACCOUNT}:{env.name_for(topic, names.AWS_SNS_TOPIC)}"


def aws_queue_name(env: Environment, topic: str, sub: str) -> str:
    return env.name_for(f"{topic}-{sub}", names.AWS_SQS_QUEUE)


def aws_queue_url(env: Environment, topic: str, sub: str) -> str:
    return f"http://{local.MOTO}:{local.MOTO_PORT}/{local.MOTO_ACCOUNT}/{aws_queue_name(env, topic, sub)}"


def gcp_topic_id(env: Environment, topic: str) -> str:
    return f"projects/{local.google_project(env)}/topics/{env.name_for(topic, names.GOOGLE_PUBSUB_NAME)}"


def aws_commands(env: Environment) -> list[str]:
    out = []
    for topic in env.app.topics.values():
        arn = aws_topic_arn(env, topic.name)
        out.append(f"aws sns create-topic --name {shlex.quote(arn.rsplit(':', 1)[1])} >/dev/null")
        for sub in topic.subscriptions.values():
            queue = aws_queue_name(env, topic.name, sub.name)
            dead = env.name_for(f"{topic.name}-{sub.name}-dlq", names.AWS_SQS_QUEUE)
            arn_of = f"arn:aws:sqs:{local.AWS_REGION}:{local.MOTO_ACCOUNT}:"
            redrive = json.dumps({"deadLetterTargetArn": arn_of + dead, "maxReceiveCount": str(sub.max_retries)}, sort_keys=True)
            attributes = json.dumps({"RedrivePolicy": redrive, "VisibilityTimeout": str(sub.ack_deadline_seconds)}, sort_keys=True)
            out.append(f"aws sqs create-queue --queue-name {shlex.quote(dead)} >/dev/null")
            out.append(f"aws sqs create-queue --queue-name {shlex.quote(queue)} --attributes {shlex.quote(attributes)} >/dev/null")
            out.append(f"aws sns subscribe --topic-arn {shlex.quote(arn)} --protocol sqs "
                       f"--notification-endpoint {shlex.quote(arn_of + queue)} --attributes RawMessageDelivery=true >/dev/null")
    return out


def gcp_commands(env: Environment) -> list[str]:
    base = f"http://{local.PUBSUB}:{local.PUBSUB_PORT}/v1/projects/{local.google_project(env)}"
    out = []
    for topic in env.app.topics.values():
        topic_id = gcp_topic_id(env, topic.name)
        out.append(f"create PUT {shlex.quote(f'{base}/topics/' + topic_id.rsplit('/', 1)[1])} '{{}}'")
        for sub in topic.subscriptions.values():
            unit = env.unit_of(sub.service)
            body = {"topic": topic_id, "ackDeadlineSeconds": sub.ack_deadline_seconds,
                    "pushConfig": {"pushEndpoint": f"http://{unit.name}:{unit.port}{sub.path}"}}
            name = env.name_for(f"{topic.name}-{sub.name}", names.GOOGLE_PUBSUB_NAME)
            out.append(f"create PUT {shlex.quote(f'{base}/subscriptions/{name}')} {shlex.quote(json.dumps(body, sort_keys=True))}")
    return out
