"""Lean calls into jsii: creates written and read without cattrs, structs sent with only the
values they hold, and a class's overrides looked up once.

What and why: nearly every request of a synth is a `create`; jsii turns each into a dict with
cattrs and each answer into attrs objects twice (about half of Python's ~80 µs per round trip),
and it sends a struct's every declared property, most of them null (~70 for an ECS task
definition's config). What it relies on: the fields and helpers of jsii's CreateRequest,
CreateResponse, ObjRef and _NodeProcess (_lean_creates_fit, _JSII_PYTHON_LAYOUT); generated
structs keeping what was given in `_values` (_STRUCT_LAYOUT); jsii's kernel dropping a null
optional struct value as an absent one (_STRUCT_KERNEL_MARKERS).

Fallback: _lean_creates is installed only where _lean_creates_fit holds, and hands every other
request (errors, callbacks, overrides, host stack traces) to jsii's own send; a value that is
not a plain struct, list, dict or scalar goes to jsii's own serializer. GEN_PLAIN_CDKTF=1 turns
them off. Layout checks, run by the tests: _jsii_python_problems, struct_problems,
kernel_struct_problems.

May import: the standard library, jsii, `gen.synth.speed.references`, `gen.synth.speed.runtime`.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Callable

from gen.synth.speed.references import _Reference
from gen.synth.speed.runtime import _kernel_folder

# What _struct_values_only relies on in a generated struct: what was given is kept in `_values`,
# and each property reads it back from there.
_STRUCT_LAYOUT = ("        self._values: typing.Dict[builtins.str, typing.Any] = {",
                  "        result = self._values.get(\"")

# What _struct_values_only relies on in the kernel: a struct's values are converted one by one
# (mapValues), a null optional value converts to undefined, and undefined values are left out,
# so a null optional property and an absent one give the same object.
_STRUCT_KERNEL_MARKERS = {
    "for(const[y,g]of Object.entries(e)){const _=p(g,y);if(void 0!==_)":
        "mapValues no longer leaves out undefined values (_struct_values_only)",
    'mapValues(e=validateRequiredProps(e,f.fqn,y,m),(e,p)=>{if(y[p])return process(m,"deserialize",e,y[p],':
        "a struct is no longer converted value by value with mapValues (_struct_values_only)",
    'function nullAndOk(e,p,m){if(null!=e)return!1;if("void"!==p&&!p.optional)':
        "a null value no longer converts to undefined where the type is optional (_struct_values_only)",
}
# What _lean_creates writes and reads in place of jsii's _NodeProcess.send, in jsii's Python.
_JSII_PYTHON_LAYOUT = {
    "_kernel/providers/process.py": (
        'CreateRequest,\n            _with_api_key("create", self._serializer.unstructure_attrs_asdict),',
        "req_dict = self._serializer.unstructure(request)",
        'self._process.stdin.write(b"%b\\n" % (data,))',
        "self._next_message(),\n            _ProcessResponse,",
        "return json.loads(self._process.stdout.readline(), object_hook=ohook)",
        "data = json.dumps(req_dict, default=jdefault).encode(\"utf8\")",
        "self._serializer.register_structure_hook(ObjRef, _with_reference)",
        "def _with_reference(data, type_):\n    if not isinstance(data, type_):\n        return type_(ref=data.ref)",
    ),
    "_kernel/__init__.py": (
        "mapping = python_jsii_mapping(d)",
        "jsii_name: _make_reference_for_native(\n                            kernel, getattr(d, python_name)",
        "overrides=_get_overides(klass, obj),",
    ),
}


def _jsii_python_problems() -> list[str]:
    """What in jsii's Python runtime no longer has the layout _lean_creates and
    _struct_values_only were written against."""
    spec = importlib.util.find_spec("jsii")
    if spec is None or not spec.submodule_search_locations:
        return ["jsii is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    problems = []
    for name, snippets in _JSII_PYTHON_LAYOUT.items():
        text = (folder / name).read_text("utf-8") if (folder / name).is_file() else ""
        problems += [f"{name} no longer has {snippet.splitlines()[0][:80]!r}" for snippet in snippets if snippet not in text]
    if not _lean_creates_fit():
        problems.append("CreateRequest, CreateResponse or _NodeProcess no longer have the fields and helpers "
                        "_lean_creates uses")
    return problems



_SCALARS = (str, int, float, bool, type(None), _Reference)


def _struct_values_only(serialize: Callable) -> Callable:
    """jsii's serializer of arguments (jsii._kernel._make_reference_for_native), sending only
    the values a struct holds.

    jsii serializes a struct (a resource's config, a nested block) by reading every property
    it declares, through the generated getters (`typing.cast(typing.Optional[...],
    self._values.get(name))`), and sends the unset ones as null: ~70 properties for an ECS task
    definition's config, a handful set. The generated struct keeps what was given in `_values`
    (None is never stored), and jsii's kernel drops a null optional property exactly as an
    absent one (its struct deserializer maps values and skips undefined), so sending `_values`
    alone gives Node the same objects. Lists, dicts and scalars are walked here; anything else
    (jsii objects, enums, dates, a struct without `_values`) goes to jsii's own serializer.
    """
    def fast(kernel, value):
        kind = type(value)
        if kind in _SCALARS:
            return value
        if kind is list:
            return [fast(kernel, item) for item in value]
        if kind is dict:
            return {"$jsii.map": {key: fast(kernel, item) for key, item in value.items()}}
        mapping = getattr(kind, "__jsii_name_mapping__", None)
        held = value.__dict__.get("_values") if mapping is not None and hasattr(value, "__dict__") else None
        if type(held) is not dict or getattr(kind, "__jsii_type__", None) is None:
            return serialize(kernel, value)
        return {"$jsii.struct": {"fqn": kind.__jsii_type__, "data": {
            jsii_name: fast(kernel, held[name]) for name, jsii_name in mapping.items() if held.get(name) is not None}}}

    fast._gen_struct_values_only = True
    fast.__wrapped__ = serialize
    return fast


def _lean_creates_fit() -> bool:
    """Whether jsii's Python runtime has what _lean_creates uses (checked before installing it)."""
    import attr
    import jsii.errors
    from jsii._kernel.providers import process
    from jsii._kernel.types import CreateRequest, CreateResponse, ObjRef

    return ([f.name for f in attr.fields(CreateRequest)] == ["fqn", "args", "overrides", "interfaces"]
            and all(hasattr(jsii.errors, name) for name in ("ErrorType", "JavaScriptError", "JSIIError"))
            and issubclass(CreateResponse, ObjRef) and [f.name for f in attr.fields(ObjRef)] == ["ref", "interfaces"]
            and all(hasattr(process, name) for name in (
                "jdefault", "ohook", "_stack_traces_enabled", "_ProcessResponse", "_OkayResponse", "_CallbackResponse"))
            and callable(getattr(process._NodeProcess, "send", None)))


def _lean_creates(send: Callable) -> Callable:
    """jsii's request/response exchange with Node (jsii's _NodeProcess.send), with `create`
    requests, nearly every request of a synth, written and read directly.

    jsii turns each request into a dict with cattrs, which walks every argument again after
    jsii's own serializer did, and turns each answer into attrs objects twice: about half of
    Python's ~80 µs per round trip. A create with no overrides is the plain dict cattrs would
    make ({"fqn", "args", "overrides", "interfaces", "api": "create"}); its answer is a
    reference, which jsii's JSON hook already made an ObjRef. Anything else (errors,
    callbacks, other requests) takes jsii's own path, and so does every request when jsii is
    asked to send host stack traces. The JSON encoder and decoder are made once, with the
    settings json.dumps and json.loads give them on each of jsii's calls.
    """
    from jsii._kernel.providers import process
    from jsii._kernel.types import CreateRequest, CreateResponse, ObjRef

    if process._stack_traces_enabled():
        return send
    encode = json.JSONEncoder(default=process.jdefault).encode
    decode = json.JSONDecoder(object_hook=process.ohook).decode

    def lean(self, request, response_type):
        if type(request) is not CreateRequest or request.overrides:
            return send(self, request, response_type)
        line = encode({"fqn": request.fqn, "args": request.args, "overrides": [],
                       "interfaces": request.interfaces, "api": "create"})
        self._process.stdin.write(line.encode("utf8") + b"\n")
        self._process.stdin.flush()
        message = decode(self._process.stdout.readline().decode("utf-8", "surrogatepass"))
        answer = message.get("ok") if len(message) == 1 else None
        if type(answer) is ObjRef:
            return CreateResponse(ref=answer.ref)  # what cattrs makes of it (jsii's _with_reference)
        return _answer(self, message, response_type)

    lean.__wrapped__ = send
    return lean


def _answer(node, message, response_type):
    """The end of jsii's _NodeProcess.send, for a message already read."""
    from jsii._kernel.providers import process
    from jsii.errors import ErrorType, JavaScriptError, JSIIError

    response = node._serializer.structure(message, process._ProcessResponse)
    if isinstance(response, process._OkayResponse):
        return node._serializer.structure(response.ok, response_type)
    if isinstance(response, process._CallbackResponse):
        return response.callback
    if response.name == ErrorType.JSII_FAULT.value:
        raise JSIIError(response.error) from JavaScriptError(response.stack)
    raise RuntimeError(response.error) from JavaScriptError(response.stack)


def _overrides_by_class(find: Callable) -> Callable:
    """jsii's search for the methods a Python subclass overrides (jsii._kernel._get_overides),
    which walks the object's classes on every create, done once per (class, object class)."""
    found: dict[tuple[type, type], list] = {}

    def overrides(klass, obj):
        key = (klass, type(obj))
        if key not in found:
            found[key] = find(klass, obj)
        return list(found[key])

    overrides.__wrapped__ = find
    return overrides



def struct_problems(package: str, module: str, text: str) -> list[str]:
    """Where the generated module `module` (its source `text`) no longer keeps a struct's values
    the way _struct_values_only reads them."""
    return [f"{package}.{module}'s structs no longer have {needed.strip()!r}: a struct's set values "
            "may not all be in `_values` (_struct_values_only)" for needed in _STRUCT_LAYOUT if needed not in text]


def kernel_struct_problems() -> list[str]:
    """What in the installed kernel no longer drops a null optional struct value as an absent one."""
    kernel = _kernel_folder()
    if kernel is None or not (kernel / "lib__program.js").is_file():
        return []
    program = (kernel / "lib__program.js").read_text("utf-8")
    return [why for marker, why in _STRUCT_KERNEL_MARKERS.items() if marker not in program]
