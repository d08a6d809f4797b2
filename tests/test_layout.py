"""The layout: one room per concern, no import cycles, modules a reader can hold in their head.

docs/architecture.md describes the rooms; this test keeps the tree honest about them. It
reads the source with `ast` (every import, also those inside functions), so it needs
neither cdktf nor Node.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOPS = ("gen", "providers")
MAX_LINES = 600

# Which room may import which: a room not listed may import none of the others.
ROOMS = {
    "gen.model": set(),
    "providers": {"gen.model"},  # providers.aws, providers.google, providers.docker
    "gen.synth": {"gen.model", "providers"},
    "gen.review": {"gen.model", "gen.synth"},
    "gen.ci": {"gen.model"},
    "gen.cli": {"gen.model", "gen.synth", "gen.review", "gen.ci", "gen"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for top in TOPS:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The gen and providers modules `name` imports, resolved to modules that exist."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in MODULES and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _room(module: str) -> str:
    for room in sorted(ROOMS, key=len, reverse=True):
        if module == room or module.startswith(room + "."):
            return room
    return module


def test_no_module_imports_in_a_circle():
    state: dict[str, str] = {}
    cycles = []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_each_room_imports_only_the_rooms_below_it():
    wrong = []
    for module, targets in GRAPH.items():
        room = _room(module)
        if room not in ROOMS:
            continue
        for target in targets:
            other = _room(target)
            if other != room and other in ROOMS and other not in ROOMS[room]:
                wrong.append(f"{module} ({room}) imports {target} ({other})")
    assert wrong == [], "\n".join(wrong)


def test_the_model_and_review_never_load_cdktf():
    wrong = []
    for module, path in MODULES.items():
        if _room(module) not in ("gen.model", "gen.review", "gen.ci"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            wrong += [f"{module} imports {n}" for n in names if n.split(".")[0] in ("cdktf", "jsii", "constructs")
                      or n.startswith("cdktf_cdktf_provider")]
    assert wrong == []


@pytest.mark.parametrize("module", sorted(MODULES), ids=str)
def test_no_module_is_longer_than_a_reader_can_hold(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"


def test_every_package_says_what_it_holds_and_may_import():
    missing = [str(path.relative_to(ROOT)) for name, path in MODULES.items()
               if path.name == "__init__.py" and name.count(".") <= 1 and name != "gen"
               and "May import" not in (ast.get_docstring(ast.parse(path.read_text())) or "")]
    assert missing == [], f"packages whose docstring does not say what they may import: {missing}"


def test_the_three_concerns_have_rooms_of_their_own():
    for room in ("gen/model", "gen/synth", "gen/review"):
        assert (ROOT / room / "__init__.py").is_file(), room
    loose = sorted(p.name for p in (ROOT / "gen").glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "cli.py"], loose
