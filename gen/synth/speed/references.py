"""References answered in Python: `bucket.arn` is the text cdktf would resolve its token to,
made in Python instead of by a round trip to Node.

What and why: once the fixed cost is gone, a synth's time is per resource, and each string
attribute read is a jsii `get` that returns a token. For a resource made directly in a stack,
with no count or for_each, cdktf's reference is `${<type>.<logical id>.<attribute>}`, the
logical id being the construct id minus disallowed characters. What it relies on: cdktf's
TerraformResource.interpolationForAttribute (checked in its tarball) and the generated
getters (`jsii.get(self, "<attribute>")` returning `builtins.str`).

Fallback: the first read of each (class, property) also asks cdktf and compares; on any
difference that property goes through jsii from then on. A resource made elsewhere, or whose
count, for_each or logical id is set after construction, goes through jsii. Terraform
functions (`Fn`, `Op`) get cdktf's tokens back (_with_tokens). GEN_PLAIN_CDKTF=1 turns it off.
Layout checks, run by the tests: reference_problems, cdktf_problems.

May import: the standard library, cdktf, `gen.synth.packages`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Callable

from gen.synth.packages import _member_text


class _Reference(str):
    """A Terraform reference ("${aws_s3_bucket.assets.arn}") computed in Python: the text
    cdktf resolves the token of `bucket.arn` to."""

    __slots__ = ()


# Reference text -> (resource, property getter) for the stack being built: how to fetch the
# real token when cdktf must tell a reference from literal text (see _with_tokens). Emptied
# before each stack, as two stacks of one run can have the same reference texts.
_REFERENCES: dict[str, tuple[object, Callable]] = {}
# (class, property) -> whether the Python reference was checked equal to cdktf's own.
_CHECKED: dict[tuple[type, str], bool] = {}
_DISALLOWED_IN_ID = re.compile(r"[^A-Za-z0-9_-]")  # cdktf's removeDisallowedCharacters
_MAX_ID = 255  # cdktf's MAX_ID_LEN: longer construct ids get a hashed logical id
_REFERENCE_TEXT = re.compile(r"\$\{[^${}]*\}")


def _reference_property(cls: type, name: str, real: property) -> property:
    """`real` (a string attribute getter of a resource class) answered in Python.

    cdktf's getter returns a token for `${<type>.<logical id>.<attribute>}`. For a resource
    made directly in a stack, with no count or for_each, the logical id is its construct id
    minus disallowed characters, and the attribute is the property's name. The first read of
    each (class, property) also asks cdktf and compares; on any difference that property
    goes through jsii from then on.
    """
    def get(self):
        prefix = self.__dict__.get("_gen_reference")
        checked = _CHECKED.get((cls, name))
        if prefix is None or checked is False:
            return real.fget(self)
        text = _Reference(f"${{{prefix}.{name}}}")
        if checked is None:
            from cdktf import Tokenization

            token = real.fget(self)
            cdktf_text = Tokenization.resolve(token, scope=self.__dict__["_gen_stack"], resolver=_resolver())
            _CHECKED[(cls, name)] = cdktf_text == text
            if cdktf_text != text:
                return token
        _REFERENCES.setdefault(text, (self, real.fget))
        return text

    return property(get, real.fset, real.fdel, real.__doc__)


@cache
def _resolver():
    from cdktf import DefaultTokenResolver, StringConcat

    return DefaultTokenResolver(StringConcat())


def _remember_reference_prefix(cls: type, data: bool) -> None:
    """Wrap cls.__init__ to note `<type>.<logical id>` of each resource made in a stack."""
    from cdktf import TerraformStack

    init = cls.__init__
    types_ = {}

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        scope = args[0] if args else kwargs.get("scope")
        construct_id = args[1] if len(args) > 1 else kwargs.get("id_")
        if (not isinstance(scope, TerraformStack) or not isinstance(construct_id, str)
                or kwargs.get("count") is not None or kwargs.get("for_each") is not None):
            return
        logical_id = _DISALLOWED_IN_ID.sub("", construct_id)
        if not logical_id or len(logical_id) > _MAX_ID:
            return
        if cls not in types_:
            types_[cls] = cls.TF_RESOURCE_TYPE
        self.__dict__["_gen_stack"] = scope
        self.__dict__["_gen_reference"] = f"{'data.' if data else ''}{types_[cls]}.{logical_id}"

    __init__.__wrapped__ = init
    cls.__init__ = __init__


def _forget_reference_on_set(cls: type, name: str) -> None:
    """Setting count/for_each (or a new logical id) after construction changes the
    reference: from then on the object's attributes go through jsii."""
    real = cls.__dict__[name]

    def set_(self, value):
        self.__dict__.pop("_gen_reference", None)
        if isinstance(real, property):
            real.fset(self, value)
        else:
            real(self, value)

    if isinstance(real, property):
        setattr(cls, name, property(real.fget, set_, real.fdel, real.__doc__))
    else:
        setattr(cls, name, set_)


def _with_tokens(value):
    """`value` with every Python-made reference replaced by cdktf's token.

    Inside Terraform functions and operators (Fn.*, Op.*) cdktf escapes `${` in literal
    strings; only a token renders as a reference there."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        def token(found):
            source = _REFERENCES.get(found.group(0))
            return found.group(0) if source is None else source[1](source[0])
        return _REFERENCE_TEXT.sub(token, value)
    if isinstance(value, list):
        return [_with_tokens(v) for v in value]
    if isinstance(value, dict):
        return {k: _with_tokens(v) for k, v in value.items()}
    return value


def _answer_references_in_python(cls: type, data: bool) -> None:
    import builtins

    for name, value in list(vars(cls).items()):
        if (isinstance(value, property) and value.fget is not None and not name.endswith("_input")
                and getattr(value.fget, "__annotations__", {}).get("return") is builtins.str):
            setattr(cls, name, _reference_property(cls, name, value))
    _remember_reference_prefix(cls, data)


# A string attribute of a resource per cloud: (module, property), for check_light_loading.
_SAMPLE_REFERENCE = {"aws": ("s3_bucket", "arn"), "gcp": ("storage_bucket", "url")}


def reference_problems(cloud: str, package: str, folder: Path) -> tuple[str, list[str]]:
    """(the text of the cloud's sample resource module, what in it no longer has the getter
    _reference_property replaces)."""
    module, attribute = _SAMPLE_REFERENCE[cloud]
    sample = folder / module / "__init__.py"
    getter = (f"    def {attribute}(self) -> builtins.str:\n"
              f"        return typing.cast(builtins.str, jsii.get(self, \"{attribute}\"))\n")
    sample_text = sample.read_text("utf-8") if sample.is_file() else ""
    if getter not in sample_text:
        return sample_text, [f"{package}.{module} no longer reads `{attribute}` as a `builtins.str` property through "
                             "jsii.get: references are no longer answered in Python (_reference_property)"]
    return sample_text, []


# How cdktf makes a resource's reference, which _reference_property reproduces.
_CDKTF_REFERENCE = ("package/lib/terraform-resource.js",
                    "return (0, tfExpression_1.ref)(`${this.terraformResourceType}.${this.friendlyUniqueId}"
                    "${this.forEach ? \".*\" : \"\"}.${terraformAttribute}`, this.cdktfStack);")


def cdktf_problems(tar, tarball_name: str) -> list[str]:
    """What in cdktf's open tarball no longer makes references the way _reference_property does."""
    name, snippet = _CDKTF_REFERENCE
    return [] if snippet in (_member_text(tar, name) or "") else [f"{tarball_name} {name} no longer has {snippet[:90]!r}"]
