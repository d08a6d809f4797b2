"""Pub/Sub: per topic a topic; per subscription a push subscription to the consuming unit's Cloud Run URL at
`path` (never through the public load balancer), authenticated with an OIDC token of the subscription's own
service account (which may invoke that unit only, and whose tokens the Pub/Sub service agent may mint), the ack deadline, exponential retry, and a dead-letter topic after `max_retries` delivery
attempts (kept by a pull subscription so failed messages can be inspected and replayed)."""

from __future__ import annotations

from cdktf import TerraformStack
from cdktf_cdktf_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktf_cdktf_provider_google.pubsub_subscription import PubsubSubscription
from cdktf_cdktf_provider_google.pubsub_subscription_iam_member import PubsubSubscriptionIamMember
from cdktf_cdktf_provider_google.pubsub_topic import PubsubTopic
from cdktf_cdktf_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from cdktf_cdktf_provider_google.service_account_iam_member import ServiceAccountIamMember

from gen.model import names
from gen.model.environments import Environment
from providers.google import compute
from providers.google.iam import RUN_INVOKER, member

RETRY_BACKOFF = {"minimum_backoff": "10s", "maximum_backoff": "600s"}
DEAD_LETTER_RETENTION = "604800s"  # 7 days, Pub/Sub's maximum for unacknowledged messages
NEVER_EXPIRE = {"ttl": ""}
TOKEN_CREATOR = "roles/iam.serviceAccountTokenCreator"


def pubsub_agent(project) -> str:
    """Pub/Sub's service agent, which forwards messages to dead-letter topics."""
    return f"serviceAccount:service-{project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"


def build(stack: TerraformStack, env: Environment, apis: dict) -> dict[str, PubsubTopic]:
    return {topic.name: PubsubTopic(stack, names.terraform_name(topic.name, "topic"),
                                    name=env.name_for(topic.name, names.GOOGLE_PUBSUB_NAME),
                                    depends_on=[apis["pubsub"]])
            for topic in env.app.topics.values()}


def subscriptions(stack: TerraformStack, env: Environment, built, units: dict) -> dict[str, PubsubSubscription]:
    """The push subscriptions, with their dead-letter topics; `topic/subscription` -> the dead-letter
    subscription that keeps failed messages (what the alarms watch)."""
    out = {}
    agent = pubsub_agent(built.project)
    for topic in env.app.topics.values():
        for sub in topic.subscriptions.values():
            tf = names.terraform_name(topic.name, sub.name)
            unit = env.unit_of(sub.service)
            service = units[unit.name]
            pusher = built.accounts.pushers[(topic.name, sub.name)]
            dead_letter = PubsubTopic(stack, f"{tf}_dead_letter",
                                      name=env.name_for(f"{topic.name}-{sub.name}-dead-letter", names.GOOGLE_PUBSUB_NAME),
                                      depends_on=[built.apis["pubsub"]])
            kept = PubsubSubscription(stack, f"{tf}_dead_letter_subscription", topic=dead_letter.id,
                               name=env.name_for(f"{topic.name}-{sub.name}-dead-letter", names.GOOGLE_PUBSUB_NAME),
                               message_retention_duration=DEAD_LETTER_RETENTION, expiration_policy=NEVER_EXPIRE)
            # Projects that enabled Pub/Sub before April 2021 need this for OIDC push: the service agent
            # mints the push account's ID tokens.
            token_creator = ServiceAccountIamMember(stack, f"{tf}_push_token_creator", service_account_id=pusher.name,
                                                    role=TOKEN_CREATOR, member=agent)
            invoker = CloudRunV2ServiceIamMember(stack, f"{tf}_push_invoker", project=env.project,
                                                 location=service.location, name=service.name, role=RUN_INVOKER,
                                                 member=member(pusher))
            subscription = PubsubSubscription(
                stack, f"{tf}_subscription", name=env.name_for(f"{topic.name}-{sub.name}", names.GOOGLE_PUBSUB_NAME),
                topic=built.topics[topic.name].id, ack_deadline_seconds=sub.ack_deadline_seconds,
                # Straight to the unit's own URL, never through the public load balancer; the audience is
                # the unit's deterministic URL, which the unit is told (`<SUB>_PUSH_AUDIENCE`).
                push_config={"push_endpoint": f"{service.uri}{sub.path}",
                             "oidc_token": {"service_account_email": pusher.email,
                                            "audience": compute.unit_url(env, unit.name, built.project)}},
                dead_letter_policy={"dead_letter_topic": dead_letter.id, "max_delivery_attempts": sub.max_retries},
                retry_policy=RETRY_BACKOFF, expiration_policy=NEVER_EXPIRE,
                depends_on=[invoker, token_creator])
            # The Pub/Sub service agent moves undeliverable messages: it must publish to the
            # dead-letter topic and acknowledge them on the source subscription.
            PubsubTopicIamMember(stack, f"{tf}_dead_letter_publisher", topic=dead_letter.id,
                                 role="roles/pubsub.publisher", member=agent)
            PubsubSubscriptionIamMember(stack, f"{tf}_dead_letter_subscriber", subscription=subscription.id,
                                        role="roles/pubsub.subscriber", member=agent)
            out[f"{topic.name}/{sub.name}"] = kept
    return out
