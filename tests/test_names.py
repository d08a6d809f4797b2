"""Cloud names are deterministic and fit each cloud's limits, exactly at the edges."""

from __future__ import annotations

import pytest

from gen.model import names

LIMITS = {k: v for k, v in vars(names).items() if k.startswith(("AWS_", "GOOGLE_")) and isinstance(v, int)
          and not k.endswith("_MIN")}


def test_a_name_that_fits_is_kept():
    assert names.cloud_name("shop", "prod", "orders", names.AWS_RDS_IDENTIFIER) == "shop-prod-orders"


@pytest.mark.parametrize("limit_name,limit", sorted(LIMITS.items()))
def test_names_at_and_over_each_limit(limit_name, limit):
    exact = "a" * limit
    assert names.shorten(exact, limit) == exact
    over = "a" * (limit + 1)
    cut = names.shorten(over, limit)
    assert len(cut) == limit
    assert cut.endswith("-" + names.stable_hash(over))
    assert names.shorten(over, limit) == cut  # stable


def test_long_names_sharing_a_beginning_still_differ():
    a = names.cloud_name("shop", "production-eu-west", "receipts-archive-one", names.AWS_TARGET_GROUP)
    b = names.cloud_name("shop", "production-eu-west", "receipts-archive-two", names.AWS_TARGET_GROUP)
    assert len(a) == len(b) == names.AWS_TARGET_GROUP and a != b
    assert not a.split("-")[-2].endswith("-")


def test_cut_never_leaves_a_hyphen_before_the_hash():
    name = names.shorten("abcde-fghij-klmno", 12)
    assert "--" not in name and len(name) <= 12


def test_hash_is_the_documented_sha256_prefix():
    # A fixed value: if this changes, every shortened cloud name changes, which replaces resources.
    assert names.stable_hash("shop-prod-orders") == "17b32b"  # sha256("shop-prod-orders")[:6]


def test_global_names_depend_on_the_owner_and_fit():
    a = names.global_name("shop", "prod", "receipts", "111111111111", names.AWS_S3_BUCKET)
    b = names.global_name("shop", "prod", "receipts", "222222222222", names.AWS_S3_BUCKET)
    assert a != b and a.startswith("shop-prod-receipts-") and len(a) == len("shop-prod-receipts-") + 8
    long = names.global_name("a" * 16, "b" * 24, "c" * 24, "owner", names.GOOGLE_STORAGE_BUCKET)
    assert len(long) == names.GOOGLE_STORAGE_BUCKET and not long.startswith("-")


@pytest.mark.parametrize("text,key,label", [
    ("Team-Checkout", False, "team-checkout"),
    ("cost center", True, "cost_center"),
    ("environment-type", True, "environment-type"),
    ("1st", True, "k1st"),
    ("a.b/c", False, "a_b_c"),
    ("x" * 70, False, "x" * 56 + "-" + names.stable_hash("x" * 70)),
])
def test_google_labels(text, key, label):
    assert names.google_label(text, key=key) == label
    assert len(names.google_label(text, key=key)) <= names.GOOGLE_LABEL


def test_terraform_and_env_names():
    assert names.terraform_name("order-created", "send-receipt", "queue") == "order_created_send_receipt_queue"
    assert names.env_var("order-created") == "ORDER_CREATED"
