"""Property tests: no input, however broken, makes validation raise anything but a clear InputError."""

from __future__ import annotations

import copy
import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES
from gen.cli import main
from gen.model.environments import resolve_spec
from gen.model.errors import InputError
from gen.model.source import parse
from gen.model.validate import check

SHOP = json.loads((EXAMPLES / "shop.json").read_text("utf-8"))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["aws", "gcp", "public", "single", "production", "preview", "local",
                                              "0 3 * * *", "web", "orders", "/api", "10.0.0.0/16", "{env}.x.com"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


def validate_value(value) -> None:
    """check() either accepts the model (and every environment then resolves) or lists problems."""
    text = json.dumps(value)
    try:
        source = parse(text, "m.json")
    except InputError:
        return
    if not isinstance(source.value, dict):
        return
    app, problems = check(source)
    if not problems:
        assert app is not None
        for spec in app.environments.values():
            resolve_spec(app, spec)
    for problem in problems:
        assert problem.file == "m.json" and problem.line >= 1 and problem.column >= 1
        assert problem.pointer == "" or problem.pointer.startswith("/")


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from paths(child, prefix + (i,))


SHOP_PATHS = [p for p in paths(SHOP) if p]


@st.composite
def mutated_shop(draw):
    model = copy.deepcopy(SHOP)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(SHOP_PATHS))
        node = model
        try:
            for part in path[:-1]:
                node = node[part]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[path[-1]] = draw(json_values)
            elif action == "delete" and isinstance(node, dict):
                del node[path[-1]]
            elif isinstance(node, dict):
                node[draw(st.text(max_size=8))] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    return model


@SETTINGS
@given(mutated_shop())
def test_mutated_models_never_crash(model):
    validate_value(model)


@SETTINGS
@given(st.dictionaries(st.sampled_from(list(SHOP) + ["x"]), json_values, max_size=8))
def test_random_models_never_crash(model):
    validate_value(model)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_input_errors_or_problems(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        source = parse(text, "m.json")
    except InputError as e:
        assert "\n" not in str(e)
        return
    if isinstance(source.value, dict):
        check(source)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated_shop())
def test_cli_validate_exits_0_or_2_without_traceback(tmp_path, model):
    path = tmp_path / "app.json"
    path.write_text(json.dumps(model), "utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
