"""The techniques that make cdktf and jsii fast for gen, one module each; none changes a byte
of the output (docs/performance.md has the figures).

- `preload`: a script Node loads first (NODE_OPTIONS=--require): a provider's resource modules
  load on first use, no JavaScript stack trace per token, a stack alone in its App is
  prepared without the cross-stack pass, plain values are resolved without cdktf's per-value
  bookkeeping, Node exits only once jsii's type index workers are done, and V8's compiled code
  is kept between runs (a compile cache).
- `cache`: gen's package cache, what Node loads of each jsii package (only the modules and
  types gen's stacks use), filled by one streaming pass over its tarball, so that a fresh CI
  runner extracts nothing.
- `runtime`: jsii's kernel, with gen's edits, in the one Node process instead of jsii's relay
  process and kernel, loading packages from gen's package cache; a type index of jsii's own
  cache built in a process of its own; the set-up of that Node process.
- `lean`: `create` requests written and read without cattrs, structs sent with only the values
  they hold, a class's overrides looked up once.
- `references`: string attributes of resources (`bucket.arn`) answered in Python.
- `bindings`: only the binding modules a stack uses are imported, the bindings' Python type
  checks are skipped, and the Python-side techniques are installed (_lighten_bindings).

Each falls back to cdktf's and jsii's plain path where what it relies on does not hold, as far
as it can tell at synth time, and GEN_PLAIN_CDKTF=1 turns them all off (tests/test_synth.py
compares the two). Each module also says what it relies on; check_light_loading and
check_cdktf_layout (run by tests/test_synth.py, not at synth time) gather those layout checks,
so that a cdktf, jsii or provider upgrade that changes a layout fails with a clear message
instead of going slow or wrong.

May import: the standard library, cdktf, jsii, constructs and the provider bindings, and
`gen.synth.packages`. Never the driver (`gen.synth.run` and the rest), `gen.model`,
`providers`, `gen.review` or `gen.cli`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from gen.synth.packages import BINDINGS, _bundled_tarball
from gen.synth.speed.bindings import binding_problems, cdktf_binding_problems
from gen.synth.speed.lean import _jsii_python_problems, kernel_struct_problems, struct_problems
from gen.synth.speed.preload import cdktf_problems as preload_cdktf_problems, provider_index_problems
from gen.synth.speed.references import _SAMPLE_REFERENCE, cdktf_problems as reference_cdktf_problems, reference_problems
from gen.synth.speed.runtime import _kernel_problems, kernel_edit_problems


def check_light_loading(cloud: str) -> list[str]:
    """What in the installed cdktf/bindings no longer has the layout gen's light loading
    relies on (empty when all is well). Run by tests/test_synth.py, not at synth time."""
    import tarfile

    package = BINDINGS[cloud]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return [f"{package} is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    problems = binding_problems(package, folder)
    sample_text, found = reference_problems(cloud, package, folder)
    problems += found
    problems += struct_problems(package, _SAMPLE_REFERENCE[cloud][0], sample_text)
    tarball = _bundled_tarball(folder)
    if isinstance(tarball, str):
        return problems + [tarball]
    with tarfile.open(tarball) as tar:
        problems += provider_index_problems(tar, tarball.name)
    return problems


def check_cdktf_layout() -> list[str]:
    """What in the installed jsii and cdktf no longer has the layout gen's runtime, preload and
    lighter bindings rely on (empty when all is well). Run by tests/test_synth.py. At synth
    time, gen falls back to jsii's own runtime when the kernel does not fit; the preload
    leaves a module it does not recognise as it is (GEN_REPORT_NODE=1 says so)."""
    import tarfile

    problems = [f"jsii kernel: {p}" for p in _kernel_problems()]
    problems += [f"jsii: {p}" for p in _jsii_python_problems()]
    problems += [f"jsii kernel: {p}" for p in kernel_edit_problems() + kernel_struct_problems()]
    spec = importlib.util.find_spec("cdktf")
    if spec is None or not spec.submodule_search_locations:
        return problems + ["cdktf is not installed"]
    folder = Path(list(spec.submodule_search_locations)[0])
    problems += cdktf_binding_problems(folder)
    tarball = _bundled_tarball(folder)
    if isinstance(tarball, str):
        return problems + [tarball]
    with tarfile.open(tarball) as tar:
        problems += preload_cdktf_problems(tar, tarball.name)
        problems += reference_cdktf_problems(tar, tarball.name)
    return problems
