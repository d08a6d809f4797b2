"""An AWS stack that uses every kind of value cdktf resolves and jsii carries: plain values,
references, tokens in text and in keys, numbers and lists and maps as tokens, an encoded number
inside a string, Terraform functions, escapes, a lazy value a Python object produces, count,
for_each with a dynamic block, depends_on, lifecycle, structs with unset values, overrides.

Run by tests/test_synth.py with and without gen's fast paths (GEN_PLAIN_CDKTF=1): it writes
the stack into the folder given and prints its cdk.tf.json.
"""

import sys
from pathlib import Path

from gen.synth.run import _builders

_builders({"aws"})  # gen's Node set-up and lighter bindings, as for a real synth

import jsii  # noqa: E402 - the bindings load with the set-up above
from cdktf import (App, Fn, IStringProducer, Lazy, TerraformCount, TerraformIterator, TerraformLocal,  # noqa: E402
                   TerraformOutput, TerraformStack, TerraformVariable, Token)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket  # noqa: E402
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupIngress  # noqa: E402


@jsii.implements(IStringProducer)
class Producer:
    def produce(self, context):
        return "produced-by-python"


out = Path(sys.argv[1])
app = App(outdir=str(out), stack_traces=False, skip_validation=True)
stack = TerraformStack(app, "exotic")
number = TerraformVariable(stack, "number", type="number", default=3)
names = TerraformVariable(stack, "names", type="list(string)", default=["a", "b"])
labels = TerraformVariable(stack, "labels", type="map(string)", default={"k": "v"})
bucket = S3Bucket(stack, "bucket", bucket="plain-${literal}-1e5-a-e-b", force_destroy=None,
                  tags={"Name": "x", "Ref": Token.as_string(number.number_value), "Empty": ""})
counted = S3Bucket(stack, "counted", bucket_prefix="counted", count=TerraformCount.of(number.number_value))
each = TerraformIterator.from_list(names.list_value)
SecurityGroup(stack, "group", name="g", ingress=each.dynamic({"from_port": 443, "to_port": 443, "protocol": "tcp",
              "cidr_blocks": ["0.0.0.0/0"], "description": each.value}),
              depends_on=[bucket], lifecycle={"ignore_changes": ["tags"], "create_before_destroy": True})
SecurityGroup(stack, "listed", name="l", ingress=[SecurityGroupIngress(from_port=80, to_port=80, protocol="tcp",
              cidr_blocks=names.list_value, description=None)])
local = TerraformLocal(stack, "local", {"nested": {"list": [1, 2.5, True, None, "s"], "ref": bucket.arn}})
values = {
    "plain": [1, -2.5, 1e21, True, False, None, "", "text", {"x": {"y": [{}]}}],
    "reference": bucket.arn,
    "interpolated": f"arn={bucket.arn}; id={bucket.id}",
    "number": number.number_value,
    "number_in_text": f"n={Token.as_string(number.number_value)}",
    "number_as_text": f"n={number.number_value}",  # the encoded number itself, in a string
    "list": names.list_value,
    "list_items": [Fn.element(names.list_value, 0), "literal"],
    "map": labels.value,
    "token_key": {bucket.bucket: "value", "plain": bucket.arn},
    "function": Fn.join("-", [bucket.arn, "${not_a_reference}", "x"]),
    "numbers": Fn.max([number.number_value, 2]),
    "lazy": Lazy.string_value(Producer()),
    "count": counted.bucket_prefix,
    "local": local.as_string,
    "escapes": "$${already} ${literal} %{directive}",
    "numberlike": ["1e5", "-e-", "+1.5e-3", "e5"],
}
for name, value in values.items():
    TerraformOutput(stack, f"out_{name}", value=value)
stack.add_override("terraform.required_version", ">= 1.10")
bucket.add_override("tags.Override", number.string_value)
app.synth()
print((out / "stacks" / "exotic" / "cdk.tf.json").read_text())
