"""Light imports and lighter bindings: only the binding modules a stack uses are imported, their
Python-side type checks are skipped, and the other Python-side techniques are installed.

What and why: a provider binding package's __init__ imports every one of its ~2,000 resource
modules (about 12 s and 1 GB each); _import_package_lightly installs an empty package module
so that `from <package>.s3_bucket import S3Bucket` loads that module alone. The generated
code runs `typing.get_type_hints` and typeguard on every argument under `if __debug__:` (the
checks `python -O` drops); jsii's kernel still checks every value in Node. _lighten_bindings
applies these and installs references answered in Python (gen.synth.speed.references) and
lean calls (gen.synth.speed.lean). What it relies on: `<package>._jsii` loading the assembly by
itself, resource modules importing only `.._jsii` and their own types, a module-level
`check_type` and the type checks' text (_BINDING_LAYOUT).

Fallback: a module without that `typing`/`check_type` shape keeps its checks; GEN_TYPE_CHECKS=1
keeps them everywhere (the tests do); GEN_PLAIN_CDKTF=1 turns every technique off. Layout
checks, run by the tests: binding_problems, cdktf_binding_problems.

May import: the standard library, cdktf, jsii, `gen.synth.packages`, `gen.synth.speed.lean`,
`gen.synth.speed.references`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
import types
from pathlib import Path

from gen.synth.packages import BINDINGS
from gen.synth.speed.lean import _lean_creates, _lean_creates_fit, _overrides_by_class, _struct_values_only
from gen.synth.speed.references import _answer_references_in_python, _forget_reference_on_set, _with_tokens

# What _lighten_bindings relies on in every generated binding module: (text, what it is).
_BINDING_LAYOUT = (
    ("\ndef check_type(", "a module-level check_type function"),
    ("        if __debug__:\n            type_hints = typing.get_type_hints(",
     "type checks as `typing.get_type_hints` under `if __debug__:`"),
)


class _KeptModulesOnly:
    """An import finder that refuses, with a message that says why, a binding module that
    gen's package cache does not keep (gen.synth.speed.cache): Node could not load it."""

    def __init__(self, package: str, kept: frozenset[str]):
        self.package, self.kept = package, kept

    def find_spec(self, name, path=None, target=None):
        parent, _, module = name.rpartition(".")
        if parent == self.package and module not in self.kept and module != "_jsii":
            raise ImportError(
                f"{name} is not in gen's package cache, which keeps the modules providers/ imports by name "
                f"(import it there, or set GEN_NO_PACKAGE_CACHE=1)", name=name)
        return None


def _keep_to_cached_modules(package: str, kept: frozenset[str]) -> None:
    """Refuse imports of `package`'s modules that its entry in gen's package cache does not keep."""
    if not any(isinstance(f, _KeptModulesOnly) and f.package == package for f in sys.meta_path):
        sys.meta_path.insert(0, _KeptModulesOnly(package, kept))


def _import_package_lightly(package: str) -> None:
    """Make `package` importable without running its __init__, which imports every resource module.

    jsii binding packages register their assembly in `<package>._jsii`; each resource module
    imports only that and its own types. Installing an empty module object for the package
    (with the real search path) lets `from <package>.s3_bucket import S3Bucket` load just
    that module. tests/test_synth.py checks the layout this relies on, so a cdktf or
    provider upgrade that changes it fails with a clear message instead of going slow.
    """
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not installed; reinstall gen")
    module = types.ModuleType(package)
    module.__path__ = list(spec.submodule_search_locations)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__package__ = package
    sys.modules[package] = module
    importlib.import_module(f"{package}._jsii")


class _AnyHint(dict):
    def __missing__(self, key):
        return None


def _no_type_hints(*args, **kwargs):
    return _AnyHint()


def _no_type_check(*args, **kwargs):
    return None


def _typing_without_hints() -> types.ModuleType:
    import typing

    module = types.ModuleType("typing")
    module.__dict__.update(typing.__dict__)
    module.get_type_hints = _no_type_hints
    return module


_BINDING_PREFIXES = ("cdktf", "constructs", *BINDINGS.values())


def _lighten_bindings() -> None:
    """Apply the techniques to every binding module imported so far (again on each call,
    for modules imported since).

    - Type checks: the generated code runs `typing.get_type_hints(stub)` and typeguard's
      `check_type` on every argument under `if __debug__:`, as if `python -O` were not
      given. Each module's own `typing` and `check_type` names are pointed at ones that do
      nothing. jsii's kernel in Node still checks every value against the assembly's types.
      GEN_TYPE_CHECKS=1 keeps them (the tests do).
    - References: string attributes of resources and data sources are answered in Python
      (_reference_property); `Fn`/`Op` calls get cdktf's tokens back (_with_tokens).
    - Structs: jsii sends only the values a struct holds, not a null for every property it
      declares (_struct_values_only).
    - Transport: create requests are written and read without cattrs (_lean_creates), and
      the overrides of a class are looked up once (_overrides_by_class).

    GEN_PLAIN_CDKTF=1 turns both off (and gen's Node preload and runtime, see _prepare_node).
    """
    import jsii
    import typing

    from cdktf import TerraformDataSource, TerraformElement, TerraformResource

    plain = bool(os.environ.get("GEN_PLAIN_CDKTF"))
    checks = plain or bool(os.environ.get("GEN_TYPE_CHECKS"))
    references = not plain
    kernel = sys.modules["jsii._kernel"]
    if not plain and not getattr(kernel._make_reference_for_native, "_gen_struct_values_only", False):
        kernel._make_reference_for_native = _struct_values_only(kernel._make_reference_for_native)
        kernel._get_overides = _overrides_by_class(kernel._get_overides)
        if _lean_creates_fit():
            node = sys.modules["jsii._kernel.providers.process"]._NodeProcess
            node.send = _lean_creates(node.send)
    if references and not getattr(jsii.sinvoke, "_gen_with_tokens", False):
        sinvoke = jsii.sinvoke

        def sinvoke_with_tokens(cls, method, args):
            return sinvoke(cls, method, _with_tokens(args))

        sinvoke_with_tokens._gen_with_tokens = True
        jsii.sinvoke = sinvoke_with_tokens
        for cls, name in ((TerraformResource, "count"), (TerraformResource, "for_each"),
                          (TerraformDataSource, "count"), (TerraformDataSource, "for_each"),
                          (TerraformElement, "override_logical_id")):
            _forget_reference_on_set(cls, name)
    without_hints = None
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in _BINDING_PREFIXES or getattr(module, "_gen_lightened", False):
            continue
        if not checks and getattr(module, "typing", None) is typing and callable(getattr(module, "check_type", None)):
            without_hints = without_hints or _typing_without_hints()
            module.typing = without_hints
            module.check_type = _no_type_check
        if references and name.split(".")[0] in BINDINGS.values():
            for cls in list(vars(module).values()):
                if (isinstance(cls, type) and cls.__module__ == name
                        and issubclass(cls, (TerraformResource, TerraformDataSource))):
                    _answer_references_in_python(cls, issubclass(cls, TerraformDataSource))
        module._gen_lightened = True



def binding_problems(package: str, folder: Path) -> list[str]:
    """What in an installed binding package no longer has the layout light imports and
    _lighten_bindings rely on."""
    problems = []
    jsii_init = folder / "_jsii" / "__init__.py"
    if not jsii_init.is_file() or "jsii.JSIIAssembly.load(" not in jsii_init.read_text("utf-8"):
        problems.append(f"{jsii_init} no longer loads the jsii assembly by itself")
    provider = folder / "provider" / "__init__.py"
    text = provider.read_text("utf-8") if provider.is_file() else ""
    if not re.search(r"^from \.\._jsii import \*$", text, re.M):
        problems.append(f"{package}.provider no longer imports `from .._jsii import *`")
    if re.search(rf"^(from \.\. import|import {package}$|from {package} import)", text, re.M):
        problems.append(f"{package}.provider imports the package itself: light imports would load every module")
    for needed, why in _BINDING_LAYOUT:
        if needed not in text:
            problems.append(f"{package}.provider no longer has {why} (_lighten_bindings)")
    return problems


def cdktf_binding_problems(folder: Path) -> list[str]:
    """What in cdktf's Python bindings (in `folder`) no longer has the layout _lighten_bindings relies on."""
    python = (folder / "__init__.py").read_text("utf-8")
    return [f"cdktf's Python bindings no longer have {why} (_lighten_bindings)"
            for needed, why in (*_BINDING_LAYOUT, ("jsii.sinvoke(", "static calls through jsii.sinvoke"))
            if needed not in python]
