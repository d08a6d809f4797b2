"""Synthesize resolved environments into Terraform JSON: the package that drives cdktf.

Data flows one way: model file -> validated frozen model -> resolved environments -> one
CDKTF stack each, built by its target's `providers.<folder>.stack` (aws, google, or docker for
a local environment) -> cdktf synth into a
scratch folder -> moved into the output folder only when every stack synthesized. A run
that fails leaves the output folder as it was.

The driver:

- `selection`: which environments a synth covers (`select`, `Selection`).
- `fingerprint`: is a stack up to date? Each stack folder keeps a fingerprint
  (`.gen-stack.json`) of what its file was made from: the resolved environment, gen's own
  source for that cloud, and the versions of cdktf, jsii, constructs and the cloud's provider
  bindings, plus the hash of the file as written. A stack whose fingerprint and file both
  match is not synthesized again, and a run where every stack matches never imports cdktf or
  jsii. `force=True` re-synthesizes.
- `run`: `synth_environments` and `synthesize`; one process per cloud: when a run has stacks
  of both clouds and jsii's Node process is not running yet, each cloud's stacks are built in
  a forked process of their own, in parallel, each loading only its own cloud's bindings.
- `publish`: each stack's file in gen's stable layout, cdktf's manifest.json, and the atomic
  move into the output folder.
- `packages`: the binding packages by target (aws, gcp, docker) and the toolchain whose
  versions matter. Everything keyed "by cloud" here is keyed by `Environment.target`, so a
  local environment's docker stack takes the same paths (its own process, light imports, the
  lazy provider index) as a cloud's.

`speed/` holds the techniques that make cdktf and jsii fast (the Node preload, gen's jsii
runtime, gen's package cache, lean calls, references answered in Python, light imports); its
docstring lists them, and docs/performance.md has the figures. What gen keeps between runs is
under $XDG_CACHE_HOME/gen (~/.cache/gen): what Node loads of each package, and V8's compiled
code.

Node: cdktf runs its constructs in a Node.js process through jsii. gen uses the machine's
`node` (or the one `JSII_NODE` names) and silences jsii's banners about Node versions it
has not tested or that reached end of life: they are notices for the bindings' authors,
not for a user running `gen`, and the synthesized JSON does not depend on them. Set
GEN_SHOW_NODE_WARNINGS=1 to see them.

May import: `gen.model`, `providers` (each cloud's `stack.build`, by name), cdktf and jsii.
Never `gen.review` or `gen.cli`. Within: the driver modules may import `speed`; `speed`
imports only `gen.synth.packages` of the driver.
"""

from __future__ import annotations

from gen.synth.fingerprint import FINGERPRINT_FILE
from gen.synth.packages import BINDINGS, PROVIDER_PACKAGES
from gen.synth.publish import MANIFEST, STACK_FILE, STACKS
from gen.synth.run import SYNTHESIZED, UP_TO_DATE, Progress, StackResult, synth_environments, synthesize
from gen.synth.selection import Selection, select
from gen.synth.speed import check_cdktf_layout, check_light_loading

__all__ = [
    "BINDINGS", "FINGERPRINT_FILE", "MANIFEST", "PROVIDER_PACKAGES", "Progress", "STACKS",
    "STACK_FILE", "SYNTHESIZED", "Selection", "StackResult", "UP_TO_DATE", "check_cdktf_layout",
    "check_light_loading", "select", "synth_environments", "synthesize",
]
