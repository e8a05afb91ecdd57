"""The `%%register_image` cell body: YAML (or JSON) parsed into a mapping, placeholders filled as data.

Placeholder syntax (the only one; nothing is ever evaluated as Python code)::

    {{ name }}            a variable of the notebook
    {{ name.attr }}       an attribute (names starting with '_' are refused)
    {{ name["key"] }}     a key of a mapping ('key' or "key"), or {{ name[0] }} an item of a list
    {{ cfg.images[0].tag }}   any chain of the above

A placeholder may stand anywhere a YAML value can: unquoted (`swr_path: {{ path }}`) or inside
quotes (`description: "built from {{ base }}"`); in a JSON body (one starting with `{"`), inside a
JSON string (`"swr_path": "{{ path }}"`). A JSON-looking body must be valid JSON: YAML's laxer flow
style is not used to accept a JSON mistake. A field with no value (`arch:`) is refused, not dropped.
How a placeholder is filled:

- The body is parsed first, with each placeholder replaced by an inert token; the tokens are then
  replaced *in the parsed values*. A notebook value that holds `: `, quotes, newlines, `#` or `{{`
  therefore stays one value: it can never add a field or change the body's structure.
- A value that is exactly one placeholder takes the Python value as it is (a list stays a list,
  a number a number). A placeholder inside longer text is inserted as `str(value)`.
- Placeholders are allowed in values only, not in field names; one inside a YAML comment is ignored.
- An unknown name (or attribute, key, index) is a one-line error naming it.

Every problem raises `InvalidRequestError` (field `body`, or the field whose value is wrong), one line.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .exceptions import InvalidRequestError, one_line

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_BODY_NODES",
    "PLACEHOLDER_HELP",
    "fill_placeholders",
    "parse_body",
    "parse_option_value",
]

#: Largest body accepted (bytes of UTF-8): the register request is small; anything bigger is a mistake.
MAX_BODY_BYTES = 64 * 1024
#: Most values (after YAML aliases are followed) a body may hold: refuses "billion laughs" bodies.
MAX_BODY_NODES = 10_000

PLACEHOLDER_HELP = (
    'use {{ name }}, {{ name.attr }}, {{ name["key"] }} or {{ name[0] }} with a variable of the notebook'
)

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_STEP = re.compile(
    r"""\s*(?:\.\s*(?P<attr>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|\[\s*(?:(?P<index>-?\d+)|'(?P<sq>[^'\\]*)'|"(?P<dq>[^"\\]*)")\s*\])"""
)
_EXAMPLE_BODY = "swr_path: swr.eu-de.otc.t-systems.com/my-team/my-image:1.0"


def _body_error(problem: str, fix: str) -> InvalidRequestError:
    return InvalidRequestError("body", None, problem, fix, show_value=False)


class _Missing(Exception):
    """A placeholder names something the notebook does not have."""


def _lookup(expression: str, namespace: Mapping[str, Any]) -> Any:
    """Follow `name(.attr|[key]|[index])*` through `namespace`; raise `_Missing` / `ValueError`."""
    text = expression.strip()
    head = re.match(_IDENT, text)
    if head is None:
        raise ValueError(f"{{{{ {text} }}}} is not a placeholder this magic understands")
    name = head.group(0)
    if name not in namespace:
        raise _Missing(f"{{{{ {text} }}}} names {name!r}, which is not defined in the notebook")
    value = namespace[name]
    path = name
    position = head.end()
    while position < len(text):
        step = _STEP.match(text, position)
        if step is None or step.end() == position:
            raise ValueError(f"{{{{ {text} }}}} is not a placeholder this magic understands")
        position = step.end()
        if step.group("attr") is not None:
            attr = step.group("attr")
            if attr.startswith("_"):
                raise ValueError(f"{{{{ {text} }}}} reads the private attribute {attr!r}")
            if not hasattr(value, attr):
                raise _Missing(f"{{{{ {text} }}}}: {path} has no attribute {attr!r}")
            value = getattr(value, attr)
            path += f".{attr}"
            continue
        index_text = step.group("index")
        key: Any = int(index_text) if index_text is not None else (step.group("sq") or step.group("dq") or "")
        if isinstance(value, Mapping):
            if key not in value:
                raise _Missing(f"{{{{ {text} }}}}: {path} has no key {key!r}")
            value = value[key]
        elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and isinstance(key, int):
            if not -len(value) <= key < len(value):
                raise _Missing(f"{{{{ {text} }}}}: {path} has no item {key} (it has {len(value)})")
            value = value[key]
        else:
            raise _Missing(
                f"{{{{ {text} }}}}: {path} is a {type(value).__name__}, it cannot be indexed by {key!r}"
            )
        path += f"[{key!r}]"
    return value


def _tokenise(text: str) -> tuple[str, dict[str, str]]:
    """Replace each `{{ ... }}` by an inert token that YAML and JSON read as plain text."""
    nonce = secrets.token_hex(6)
    tokens: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        token = f"mmph{nonce}x{len(tokens)}x"
        tokens[token] = match.group(1)
        return token

    return _PLACEHOLDER.sub(replace, text), tokens


def tokenise_placeholders(text: str) -> tuple[str, dict[str, str]]:
    """Replace each `{{ ... }}` in an option line by one inert word that shell-style splitting keeps whole."""
    return _tokenise(text)


def untokenise_placeholders(text: str, tokens: Mapping[str, str]) -> str:
    """Put back the `{{ ... }}` that `tokenise_placeholders` replaced in `text`, to be filled later."""
    for token, expression in tokens.items():
        text = text.replace(token, "{{" + expression + "}}")
    return text


def fill_placeholders(
    data: Any, tokens: Mapping[str, str], namespace: Mapping[str, Any], *, field: str = "body"
) -> Any:
    """Replace the tokens left by `_tokenise` in parsed `data` with values from `namespace`, as data."""
    if not tokens:
        return data
    token_re = re.compile("|".join(re.escape(token) for token in tokens))

    def resolve(token: str, where: str) -> Any:
        try:
            return _lookup(tokens[token], namespace)
        except _Missing as err:
            raise InvalidRequestError(
                where, None, str(err), "define it in a cell above, or fix the name", show_value=False
            ) from None
        except ValueError as err:
            raise InvalidRequestError(where, None, str(err), PLACEHOLDER_HELP, show_value=False) from None

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, str):
            if value.strip() in tokens:
                return resolve(value.strip(), where)
            if token_re.search(value):
                return token_re.sub(lambda m: str(resolve(m.group(0), where)), value)
            return value
        if isinstance(value, list):
            return [walk(item, where) for item in value]
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if isinstance(key, str) and token_re.search(key):
                    raise InvalidRequestError(
                        "body",
                        None,
                        "has a placeholder in a field name",
                        "placeholders fill values only; write the field name itself",
                        show_value=False,
                    )
                out[key] = walk(item, key if where == "body" and isinstance(key, str) else where)
            return out
        return value

    return walk(data, field)


def _count_nodes(data: Any, limit: int) -> None:
    seen = 0
    stack = [data]
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            raise _body_error(
                f"holds more than {limit} values (YAML aliases count each time they are used)",
                "write the fields out plainly; a register request has about ten",
            )
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _yaml_loader() -> type[yaml.SafeLoader]:
    """A safe loader that refuses duplicate keys (YAML would silently keep the last one)."""

    class StrictLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
        loader.flatten_mapping(node)
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a field name must be plain text", key_node.start_mark
                ) from None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"field {key!r} is given twice (first on line {seen[key] + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line
        return loader.construct_mapping(node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return StrictLoader


_LOADER: type[yaml.SafeLoader] | None = None


def _line_of(text: str, line: int) -> str:
    lines = text.splitlines()
    if 0 <= line < len(lines):
        shown = lines[line].strip()
        return shown if len(shown) <= 50 else shown[:49] + "…"
    return ""


def _code_point(character: Any) -> int:
    if isinstance(character, int):
        return character
    return ord(character[0]) if isinstance(character, str) and character else 0


def _yaml_error(err: yaml.YAMLError, original: str) -> InvalidRequestError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    parts = [getattr(err, "context", None), getattr(err, "problem", None)]
    problem = " ".join(part for part in parts if part)
    if isinstance(err, yaml.reader.ReaderError):
        line = original.count("\n", 0, err.position) + 1 if err.position is not None else None
        where = f" on line {line}" if line else ""
        return _body_error(
            f"has a character YAML does not accept{where} (U+{_code_point(err.character):04X})",
            "remove the control character",
        )
    text = one_line(problem or str(err))
    if mark is not None:
        shown = _line_of(original, mark.line)
        at = f" on line {mark.line + 1}" + (f" ({shown!r})" if shown else "")
    else:
        at = ""
    fix = "fix the YAML on that line: one 'field: value' per line, quote values that hold ': ' or '#'"
    if "twice" in text or "field name" in text:
        fix = "give each field once" if "twice" in text else "write the field name as plain text"
    elif "expected a single document" in text:
        fix = "remove the '---' line: the body is one request"
    elif "could not determine a constructor" in text:
        fix = "remove the '!' tag: only plain YAML values are accepted"
    elif "found character '\\t'" in text:
        fix = "indent with spaces, not tabs"
    return _body_error(f"is not valid YAML{at}: {text}", fix)


def _parse_json(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _body_error(f"field {key!r} is given twice", "give each field once")
            out[key] = value
        return out

    return json.loads(text, object_pairs_hook=pairs)


def parse_body(text: str, namespace: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Parse a cell body (YAML or JSON) into the request's fields, placeholders filled from `namespace`.

    Raises `InvalidRequestError` (one line, names the field or `body`, says how to fix it).
    An empty body gives `{}`.
    """
    global _LOADER
    if not isinstance(text, str):
        raise _body_error("must be text", f"write one 'field: value' per line, e.g. {_EXAMPLE_BODY}")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BODY_BYTES:
        raise _body_error(
            f"is {size} bytes, at most {MAX_BODY_BYTES} allowed",
            "give only the register fields (a description is at most 512 characters)",
        )
    if not text.strip():
        return {}
    tokenised, tokens = _tokenise(text)
    data: Any = None
    parsed = False
    json_error: json.JSONDecodeError | None = None
    looks_like_json = re.match(r'\s*\{\s*"', tokenised) is not None
    if tokenised.lstrip().startswith("{"):
        # JSON first: it allows tab indentation, which YAML refuses.
        try:
            data = _parse_json(tokenised)
            parsed = True
        except json.JSONDecodeError as err:
            json_error = err
        except RecursionError:
            raise _body_error("is nested too deeply", "write one 'field: value' per line") from None
    if json_error is not None and looks_like_json:
        # `{"field": ...` is JSON: do not let YAML's laxer flow style accept a JSON mistake.
        shown = _line_of(text, json_error.lineno - 1)
        raise _body_error(
            f"is not valid JSON on line {json_error.lineno}"
            + (f" ({shown!r})" if shown else "")
            + f": {json_error.msg}",
            "fix the JSON on that line (double-quoted names and strings, commas between fields, "
            'placeholders inside quotes: "{{ name }}")',
        )
    if not parsed:
        if _LOADER is None:
            _LOADER = _yaml_loader()
        try:
            data = yaml.load(tokenised, Loader=_LOADER)  # a SafeLoader subclass: no Python objects
        except yaml.YAMLError as err:
            if json_error is not None:  # it looked like JSON: say what JSON found wrong
                shown = _line_of(text, json_error.lineno - 1)
                raise _body_error(
                    f"is not valid JSON on line {json_error.lineno}"
                    + (f" ({shown!r})" if shown else "")
                    + f": {json_error.msg}",
                    "fix the JSON on that line (double-quoted names and strings, commas between fields)",
                ) from None
            raise _yaml_error(err, text) from None
        except RecursionError:
            raise _body_error("is nested too deeply", "write one 'field: value' per line") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        kind = {list: "a list", str: "plain text", int: "a number", float: "a number", bool: "a boolean"}
        got = kind.get(type(data), type(data).__name__)
        raise _body_error(
            f"is {got}, not a mapping of fields",
            f"write one 'field: value' per line, e.g. {_EXAMPLE_BODY}",
        )
    _count_nodes(data, MAX_BODY_NODES)
    for key, value in data.items():
        if value is None:
            raise InvalidRequestError(
                str(key),
                None,
                "has no value",
                "write a value after the ':' or remove the line",
                show_value=False,
            )
    filled = fill_placeholders(data, tokens, namespace or {})
    return filled


def parse_option_value(text: str, namespace: Mapping[str, Any] | None, field: str) -> Any:
    """Fill placeholders in one option value (`--description "{{ desc }}"`), as data."""
    tokenised, tokens = _tokenise(text)
    return fill_placeholders(tokenised, tokens, namespace or {}, field=field)
