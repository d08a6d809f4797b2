"""SNS and SQS: per topic an encrypted SNS topic; per subscription an SQS queue the consuming
service polls, with a dead-letter queue after `max_retries` receives, subscribed to the topic
with a queue policy that lets only that topic send."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy

from gen.model import names
from gen.model.environments import Environment
from providers.aws.iam import policy_json

SNS_AWS_MANAGED_KEY = "alias/aws/sns"
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # the most SQS keeps a message


@dataclass
class Topics:
    topics: dict[str, SnsTopic] = field(default_factory=dict)
    queues: dict[str, SqsQueue] = field(default_factory=dict)  # "<topic>/<subscription>" -> queue
    dead_letters: dict[str, SqsQueue] = field(default_factory=dict)
    queue_unit: dict[str, str] = field(default_factory=dict)  # "<topic>/<subscription>" -> consuming unit


def build(stack: TerraformStack, env: Environment) -> Topics:
    out = Topics()
    for topic in env.app.topics.values():
        sns = SnsTopic(stack, names.terraform_name(topic.name, "topic"),
                       name=env.name_for(topic.name, names.AWS_SNS_TOPIC), kms_master_key_id=SNS_AWS_MANAGED_KEY)
        out.topics[topic.name] = sns
        for sub in topic.subscriptions.values():
            key = f"{topic.name}/{sub.name}"
            tf = names.terraform_name(topic.name, sub.name)
            dead = SqsQueue(stack, f"{tf}_dead_letter", name=env.name_for(f"{topic.name}-{sub.name}-dlq", names.AWS_SQS_QUEUE),
                            message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS, sqs_managed_sse_enabled=True)
            queue = SqsQueue(
                stack, f"{tf}_queue", name=env.name_for(f"{topic.name}-{sub.name}", names.AWS_SQS_QUEUE), sqs_managed_sse_enabled=True,
                visibility_timeout_seconds=sub.ack_deadline_seconds,
                redrive_policy=f'{{"deadLetterTargetArn":"{dead.arn}","maxReceiveCount":{sub.max_retries}}}')
            SqsQueuePolicy(stack, f"{tf}_queue_policy", queue_url=queue.url, policy=policy_json([{
                "Sid": "FromTopic", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage", "Resource": queue.arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": sns.arn}},
            }]))
            SnsTopicSubscription(stack, f"{tf}_subscription", topic_arn=sns.arn, protocol="sqs",
                                 endpoint=queue.arn, raw_message_delivery=True)
            out.queues[key] = queue
            out.dead_letters[key] = dead
            out.queue_unit[key] = env.unit_of(sub.service).name
    return out
