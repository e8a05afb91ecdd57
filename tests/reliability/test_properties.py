"""Property-based tests: whatever a user types gives a valid request or exactly one one-line error.

Over the cell-body parser (`cellbody.parse_body`), the models (`validate_request`, `from_user`,
`parse_swr_path`) and the magic's option parsing: random text, random YAML and JSON of random
structures, random mappings with random keys and values, random SWR-path-like strings and random
option lines. Anything other than `InvalidRequestError` (or `UsageError` from the magic) is a bug,
and so is an error message on several lines or one that does not start with the field it names.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from modelarts_magic.cellbody import parse_body, parse_option_value
from modelarts_magic.emulator import Emulator
from modelarts_magic.exceptions import InvalidRequestError, one_line
from modelarts_magic.magics import _HelpShown, _register_parser
from modelarts_magic.models import (
    RegisterImageRequest,
    SwrPath,
    field_specs,
    parse_swr_path,
    validate_request,
)

FAST = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"
FIELDS = [spec.name for spec in field_specs()]
CHOICES = sorted({choice for spec in field_specs() for choice in spec.choices})

# -- strategies ---------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(CHOICES),
    st.sampled_from(CHOICES).map(str.lower),
    st.just(GOOD),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)), inner, max_size=5),
    ),
    max_leaves=20,
)
keys = st.one_of(
    st.sampled_from(FIELDS),
    st.text(max_size=20),
    st.integers(),
    st.booleans(),
    st.none(),
    st.tuples(st.integers()),
)
mappings = st.dictionaries(keys, structures, max_size=8)
field_mappings = st.fixed_dictionaries(
    {"swr_path": st.one_of(st.just(GOOD), structures)},
    optional={name: structures for name in FIELDS if name != "swr_path"},
)

_SWR_PIECES = [
    "swr.eu-de.otc.t-systems.com", "localhost:5000", "my-team", "team", "pytorch", "py.torch_2",
    "latest", "1.0", "v1-rc", "/", "/", "/", ":", ":", "@", "sha256", ".", "-", "_", " ", "//",
    "https://", "A", "0", "x" * 70, "\\", "?", "#", "é", "\t", "\u2028", ":99999",
]  # fmt: skip
swr_like = st.one_of(
    st.lists(st.sampled_from(_SWR_PIECES), max_size=12).map("".join),
    st.text(alphabet=string.ascii_letters + string.digits + "/:._-@ ", max_size=80),
    st.text(max_size=60),
)

_FLAGS = [
    "--dry-run", "--wait", "-o", "--out", "--endpoint", "--region", "--project-id", "--workspace-id",
    "--arch", "--description", "--origin", "--resource-category", "--service-type", "--services",
    "--visibility", "--flavor-type", "--tags", "--swr-instance-id", "--read-me", "--bogus", "-x", "--",
]  # fmt: skip
_VALUES = st.one_of(
    st.sampled_from(CHOICES),
    st.sampled_from(["0", "-1", "1e9", "abc", "img", "1abc", "eu-de", "https://modelarts.example.com"]),
    st.sampled_from(["http://modelarts.example.com", "ftp://x", "'quoted value'", '"a b"', "'", '"']),
    st.sampled_from(["{{ nope }}", "{{ 1+1 }}", "NOTEBOOK,SSH", "cpu,gpu", GOOD]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15),
)
# st.text() never yields lone surrogates, so build the strings from single characters.
with_surrogates = st.lists(
    st.one_of(st.characters(), st.characters(categories=["Cs"])), min_size=1, max_size=20
).map("".join)
option_lines = st.lists(st.one_of(st.sampled_from(_FLAGS), _VALUES), max_size=8).map(" ".join)


# -- helpers ------------------------------------------------------------------------------------------


def _is_one_line_error(err: InvalidRequestError) -> None:
    message = str(err)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    # one_line() folds white space, so a blank field name (`" ": x`) shows as ": ..." (reported).
    assert message.startswith(one_line(f"{err.field}:")), repr(message)
    assert "; " in message, repr(message)  # problem; fix


def _request_or_one_error(data: Any) -> RegisterImageRequest | None:
    """`from_user(data)`: a request, or None after checking the one error is one line."""
    try:
        return RegisterImageRequest.from_user(data)
    except InvalidRequestError as err:
        _is_one_line_error(err)
        return None


# -- the body parser ----------------------------------------------------------------------------------


@FAST
@given(st.text(max_size=300))
def test_any_text_body_parses_or_is_one_error(text: str) -> None:
    try:
        data = parse_body(text, {})
    except InvalidRequestError as err:
        _is_one_line_error(err)
        return
    assert isinstance(data, dict)
    _request_or_one_error(data)


@FAST
@given(structures, st.sampled_from(["yaml", "yaml-flow", "json"]))
def test_any_yaml_or_json_structure_parses_or_is_one_error(value: Any, form: str) -> None:
    if form == "json":
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            return
    else:
        text = yaml.safe_dump(value, default_flow_style=form == "yaml-flow", allow_unicode=True)
    try:
        data = parse_body(text, {})
    except InvalidRequestError as err:
        _is_one_line_error(err)
        return
    _request_or_one_error(data)


@FAST
@given(mappings)
def test_any_mapping_as_yaml_with_placeholders_parses_or_is_one_error(value: dict[Any, Any]) -> None:
    lines = [f"{key}: {{{{ v{i} }}}}" for i, key in enumerate(map(str, value))]
    namespace = {f"v{i}": item for i, item in enumerate(value.values())}
    try:
        data = parse_body("\n".join(lines), namespace)
    except InvalidRequestError as err:
        _is_one_line_error(err)
        return
    _request_or_one_error(data)


# -- the models ---------------------------------------------------------------------------------------


@FAST
@given(st.one_of(mappings, field_mappings, structures))
def test_any_mapping_validates_or_gives_one_line_errors(value: Any) -> None:
    request, errors = validate_request(value)
    assert (request is None) == bool(errors)
    for err in errors:
        assert isinstance(err, InvalidRequestError)
        _is_one_line_error(err)
    assert len({err.field for err in errors}) == len(errors), "one error per field"
    if request is not None:
        again, more = validate_request(request.to_body())
        assert not more and again is not None and again.to_body() == request.to_body()


@FAST
@given(field_mappings)
def test_a_valid_request_is_always_sendable_json(value: dict[str, Any]) -> None:
    request = _request_or_one_error(value)
    if request is not None:
        body = json.dumps(request.to_body(), ensure_ascii=False).encode()
        assert json.loads(body)["swr_path"] == request.swr_path


@FAST
@given(
    st.fixed_dictionaries(
        {"swr_path": st.just(GOOD)},
        optional={"description": with_surrogates, "tags": st.lists(with_surrogates, max_size=3)},
    )
)
def test_text_with_lone_surrogates_is_refused_or_sendable(value: dict[str, Any]) -> None:
    """Text may hold lone surrogates (a YAML "\\ud800" escape does that); accepted text must encode."""
    request = _request_or_one_error(value)
    if request is not None:
        json.dumps(request.to_body(), ensure_ascii=False).encode()


@FAST
@given(st.one_of(swr_like, structures))
def test_any_swr_path_parses_or_is_one_error_and_round_trips(text: Any) -> None:
    try:
        path = parse_swr_path(text)
    except InvalidRequestError as err:
        assert err.field == "swr_path"
        _is_one_line_error(err)
        return
    assert isinstance(path, SwrPath)
    assert parse_swr_path(str(path)) == path
    assert path.namespace and path.name and path.tag


# -- the magic's option parsing -------------------------------------------------------------------------


@FAST
@given(option_lines, st.booleans())
def test_any_option_line_parses_or_is_one_usage_error(line: str, line_form: bool) -> None:
    parser = _register_parser(line_form)
    try:
        parser.parse(line)
    except UsageError as err:
        assert "\n" not in str(err) and "; " in str(err), str(err)
    except _HelpShown:
        pass


@FAST
@given(option_lines, st.sampled_from(FIELDS))
def test_any_option_value_fills_or_is_one_error(text: str, field: str) -> None:
    try:
        parse_option_value(text, {"img": {"tag": "1"}}, field)
    except InvalidRequestError as err:
        _is_one_line_error(err)


@pytest.fixture
def dry_run_shell(shell: InteractiveShell, fast_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in fast_emulator.env(reveal_secret=True).items():
        monkeypatch.setenv(name, value)
    return shell


@FAST
@given(option_lines, st.booleans())
def test_the_magic_with_any_option_line_runs_or_is_one_usage_error(
    dry_run_shell: InteractiveShell, fast_emulator: Emulator, line: str, cell_form: bool
) -> None:
    """`--dry-run` is always added (after `--` it is a stray word): nothing may reach the service."""
    safe_line = line.replace("-h", "-H")  # -h prints the help: not an input error
    try:
        if cell_form:
            dry_run_shell.run_cell_magic("register_image", f"{safe_line} --dry-run", f"swr_path: {GOOD}\n")
        else:
            dry_run_shell.run_line_magic("register_image", f"{GOOD} {safe_line} --dry-run")
    except UsageError as err:
        assert "\n" not in str(err), str(err)
    assert fast_emulator.requests_seen.get("register", 0) == 0
