"""What an AWS environment cannot express: table tests, each asserting the JSON pointer."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import EXAMPLES
from gen.model import cron
from gen.model.environments import resolve
from gen.model.model import build
from gen.model.clouds.aws import ScheduleError, cache_node_type, check, eventbridge_expression

SHOP = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))


def problems(change, env="prod"):
    raw = copy.deepcopy(SHOP)
    change(raw)
    return check(resolve(build(raw), env))


def test_shop_prod_has_no_problem():
    assert problems(lambda raw: None) == []


CASES = [
    ("cron restricts day of month and day of week",
     lambda r: r["cron"]["nightly-report"].update(schedule="0 3 1 * MON"), "/cron/nightly-report/schedule"),
    ("cache larger than the largest node",
     lambda r: r["caches"]["sessions"].update(memory_mb=200000), "/caches/sessions/memory_mb"),
    ("cache override larger than the largest node",
     lambda r: r["environments"]["prod"].setdefault("overrides", {}).setdefault("caches", {}).update(
         {"sessions": {"memory_mb": 500000}}), "/environments/prod/overrides/caches/sessions/memory_mb"),
    ("group named like a service of another unit",
     lambda r: r["environments"]["prod"].update(process_allocation={"groups": {
         "api": ["web", "worker"], "rest": ["api", "pdf-renderer"]}}), "/environments/prod/process_allocation/groups/api"),
    ("domain without a parent zone",
     lambda r: r["environments"]["prod"].update(domain="example.com"), "/environments/prod/domain"),
    ("bucket named like production's access log bucket",
     lambda r: r["buckets"].update({"access-logs": {}}), "/buckets/access-logs"),
    ("image in a registry ECS cannot pull from",
     lambda r: r["services"]["pdf-renderer"].update(image="registry.gitlab.com/acme/pdf:2"), "/services/pdf-renderer/image"),
    ("app image in a registry ECS cannot pull from",
     lambda r: r.update(image="europe-docker.pkg.dev/acme/shop/shop:1"), "/image"),
    ("fargate memory",
     lambda r: r["services"]["pdf-renderer"].update(memory=1024), "/services/pdf-renderer/memory"),
]


@pytest.mark.parametrize("name,change,pointer", CASES, ids=[c[0] for c in CASES])
def test_problem_names_its_pointer(name, change, pointer):
    found = problems(change)
    assert [p for p, _ in found] == [pointer], found


@pytest.mark.parametrize("expression,expected", [
    ("0 3 * * *", "cron(0 3 * * ? *)"),
    ("*/15 * * * *", "cron(0/15 * * * ? *)"),
    ("30 1 1 * *", "cron(30 1 1 * ? *)"),
    ("0 7 * * 1-5", "cron(0 7 ? * MON-FRI *)"),
    ("0 7 * * 0", "cron(0 7 ? * SUN *)"),
    ("0 7 * * 7", "cron(0 7 ? * SUN *)"),
    ("0 7 * * 5-7", "cron(0 7 ? * SUN,FRI,SAT *)"),
    ("0 7 * * MON,WED", "cron(0 7 ? * MON,WED *)"),
    ("0 7 * * 0-6", "cron(0 7 * * ? *)"),
    ("0 0 1 JAN *", "cron(0 0 1 JAN ? *)"),
    ("0 0 */2 * *", "cron(0 0 1/2 * ? *)"),
])
def test_eventbridge_expression(expression, expected):
    assert eventbridge_expression(cron.parse(expression)) == expected


def test_both_days_restricted_is_an_error():
    with pytest.raises(ScheduleError):
        eventbridge_expression(cron.parse("0 0 13 * FRI"))


@pytest.mark.parametrize("memory,node", [(512, "cache.t4g.micro"), (513, "cache.t4g.small"), (1024, "cache.t4g.small"),
                                         (2048, "cache.t4g.medium"), (108349, "cache.r7g.4xlarge"), (108350, None)])
def test_cache_node_type(memory, node):
    assert cache_node_type(memory) == node


from hypothesis import given, strategies as st  # noqa: E402

_DAY_ITEM = st.one_of(
    st.integers(0, 7).map(str),
    st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda t: t[0] <= t[1]).map(lambda t: f"{t[0]}-{t[1]}"),
    st.sampled_from(["MON", "TUE-THU", "*/2", "1-5/2"]),
)


def _expand(aws_days: str) -> set[int]:
    names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
    days = set()
    for item in aws_days.split(","):
        start, _, end = item.partition("-")
        days.update(range(names.index(start), names.index(end or start) + 1))
    return days


@given(st.lists(_DAY_ITEM, min_size=1, max_size=3))
def test_day_of_week_translation_keeps_the_days(items):
    field = ",".join(items)
    schedule = cron.parse(f"0 0 * * {field}")
    expression = eventbridge_expression(schedule)
    fields = expression[len("cron("):-1].split()
    expected = set()
    for item in items:  # cron semantics, written independently: 7 is Sunday, steps from the start
        base, _, step = item.partition("/")
        names = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        value = lambda t: names.index(t) if t in names else int(t)  # noqa: E731
        if base == "*":
            low, high = 0, 7
        else:
            low, _, end = base.partition("-")
            low, high = value(low), value(end) if end else value(low)
            if step and not end:
                high = 7
        expected.update(d % 7 for d in range(low, high + 1, int(step or 1)))
    if expected == set(range(7)):
        assert fields[2] == "*" and fields[4] == "?"
    else:
        assert fields[2] == "?" and _expand(fields[4]) == expected


@pytest.mark.parametrize("image,host", [
    ("nginx:1.27", "docker.io"), ("library/nginx", "docker.io"), ("ghcr.io/acme/shop:1.4.2", "ghcr.io"),
    ("123456789012.dkr.ecr.eu-central-1.amazonaws.com/ledger:3.1.0", "123456789012.dkr.ecr.eu-central-1.amazonaws.com"),
    ("localhost:5000/x", "localhost:5000"), ("acme/shop@sha256:" + "0" * 64, "docker.io"),
])
def test_registry_of_an_image(image, host):
    from gen.model.clouds.aws import registry

    assert registry(image) == host
