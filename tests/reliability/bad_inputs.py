"""A corpus of bad cell bodies, option lines and field values, each with the field its error must name.

Every case is `(case_id, line, cell, user_namespace, field)`: running `%%register_image {line}`
with `cell` as its body (or `%register_image {line}` when `cell` is None) must refuse with one
line that names `field`, and send nothing.
"""

from __future__ import annotations

GOOD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cuda12"
HOST = "swr.eu-de.otc.t-systems.com"


def _body(**fields: str) -> str:
    lines = [f"swr_path: {GOOD}"] if "swr_path" not in fields else []
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


Case = tuple[str, str, "str | None", dict, str]
CASES: list[Case] = []


def add(case_id: str, cell: str | None, field: str, line: str = "", ns: dict | None = None) -> None:
    CASES.append((case_id, line, cell, ns or {}, field))


# --- YAML syntax ---------------------------------------------------------------------------------
for i, text in enumerate(
    [
        f"swr_path: {GOOD}\ndescription: 'unclosed\n",
        f'swr_path: {GOOD}\ndescription: "unclosed\n',
        f"swr_path: {GOOD}\n  arch: X86_64\n bad_indent: 1\n",
        f"swr_path: {GOOD}\nservices: [NOTEBOOK, SSH\n",
        f"swr_path: {GOOD}\nresource_category: {{CPU\n",
        f"swr_path: {GOOD}\n- a list item\n",
        f"swr_path: {GOOD}\narch: X86_64: AARCH64\n",
        "swr_path: [unclosed\n",
        f"swr_path: {GOOD}\ndescription: @reserved\n",
        f"swr_path: {GOOD}\ndescription: `backtick\n",
        f"swr_path: {GOOD}\n\t- tab indented\n",
        f"swr_path: {GOOD}\n%directive\n",
        "? complex key\n: value\n!!python/object:os.system [ls]\n",
        f"swr_path: {GOOD}\nservices: !!python/name:os.system\n",
        f"swr_path: {GOOD}\ndescription: *undefined_alias\n",
        f"swr_path: {GOOD}\nswr_path: {GOOD}\n",
    ]
):
    add(f"yaml-{i}", text, "body" if i != 15 else "swr_path")

# --- JSON syntax -----------------------------------------------------------------------------------
for i, text in enumerate(
    [
        '{"swr_path": "' + GOOD + '",}',
        '{"swr_path": "' + GOOD + '"',
        '{"swr_path": ' + GOOD + "}",
        "{'swr_path': '" + GOOD + "'",
        '{"swr_path": "' + GOOD + '", "arch": }',
        '{"swr_path": "' + GOOD + '" "arch": "X86_64"}',
        '["swr_path", "' + GOOD + '"]',
        '"' + GOOD + '"',
        "42",
        "null",
        '{"swr_path": "' + GOOD + '", "services": ["NOTEBOOK",]]}',
    ]
):
    add(f"json-{i}", text, "body")

# --- wrong types -------------------------------------------------------------------------------------
for i, (field, value) in enumerate(
    [
        ("swr_path", "[a, b]"),
        ("swr_path", "{a: b}"),
        ("swr_path", "42"),
        ("swr_path", "true"),
        ("swr_path", "null"),
        ("description", "[a, b]"),
        ("description", "{a: b}"),
        ("description", "true"),
        ("arch", "[X86_64]"),
        ("arch", "{x: 1}"),
        ("arch", "64"),
        ("origin", "[CUSTOMIZE]"),
        ("service_type", "{a: 1}"),
        ("visibility", "true"),
        ("visibility", "[PRIVATE, PUBLIC]"),
        ("resource_category", "{CPU: 1}"),
        ("resource_category", "[[CPU]]"),
        ("services", "{NOTEBOOK: true}"),
        ("services", "[[SSH]]"),
        ("services", "42"),
        ("workspace_id", "[0]"),
        ("workspace_id", "{a: 1}"),
        ("tags", "{a: 1}"),
        ("tags", "[[a]]"),
        ("flavor_type", "[x]"),
        ("read_me", "{a: 1}"),
        ("swr_instance_id", "[x]"),
    ]
):
    if field == "swr_path":
        add(f"type-{i}-{field}", f"swr_path: {value}\n", field)
    else:
        add(f"type-{i}-{field}", _body(**{field: value}), field)

# --- unknown fields --------------------------------------------------------------------------------
for field in [
    "swr_pth",
    "swrpath",
    "resource_categories",
    "dev_services",
    "service",
    "Arch",
    "desc",
    "visibilty",
    "workspace",
    "name",
    "image",
    "project_id",
]:
    add(f"unknown-{field}", _body(**{field: "x"}), field)

# --- bad enums, in any case ----------------------------------------------------------------------------
for field, values in {
    "arch": ["arm", "ARM64", "x86", "X86-64x", "amd64", "i386", "riscv64", "''"],
    "origin": ["custom", "SAVE", "imported", "''"],
    "service_type": ["training", "infer", "dev_env", "ALL"],
    "visibility": ["private!", "internal", "shared", "0"],
    "resource_category": ["TPU", "[CPU, NPU]", "[cpu, Ascend]", "gpu;cpu"],
    "services": ["VNC", "[NOTEBOOK, RDP]", "[jupyter]", "notebook ssh"],
}.items():
    for value in values:
        add(f"enum-{field}-{value}", _body(**{field: value}), field)

# --- overlong descriptions -------------------------------------------------------------------------
for n in (513, 600, 1024, 4096, 20000):
    add(f"description-{n}", _body(description="x" * n), "description")
add("description-513-unicode", _body(description="é" * 513), "description")

# --- malformed swr_path shapes ----------------------------------------------------------------------
for i, path in enumerate(
    [
        "''",
        "my-team/pytorch",
        f"{HOST}/my-team/pytorch",
        f"{HOST}/my-team/pytorch:",
        f"{HOST}/my-team/:tag",
        f"{HOST}//pytorch:1",
        f"{HOST}/my-team/pytorch:1/",
        f"/{HOST}/my-team/pytorch:1",
        f"https://{HOST}/my-team/pytorch:1",
        f"http://{HOST}/my-team/pytorch:1",
        f"docker://{HOST}/my-team/pytorch:1",
        f"{HOST}/my-team/pytorch@sha256:0123456789abcdef",
        f"{HOST}/My-Team/pytorch:1",
        f"{HOST}/my-team/PyTorch:1",
        f"{HOST}/my-team/py torch:1",
        f"'{HOST}/my-team/pytorch :1'",
        f"{HOST}/a/b/c/pytorch:1",
        f"{HOST}:0/my-team/pytorch:1",
        f"{HOST}:70000/my-team/pytorch:1",
        f"{HOST}:port/my-team/pytorch:1",
        "-bad-host.com/my-team/pytorch:1",
        "bad_host.com/my-team/pytorch:1",
        f"{HOST}/-team/pytorch:1",
        f"{HOST}/team-/pytorch:1",
        f"{HOST}/my-team/.pytorch:1",
        f"{HOST}/my-team/pytorch:.hidden",
        f"{HOST}/my-team/pytorch:-dash",
        f"{HOST}/my-team/pytorch:tag!",
        f"{HOST}/my-team/pytorch:{'t' * 129}",
        f"{HOST}/{'n' * 65}/pytorch:1",
        "a/b:c",
        "team/img:1",
        f"{HOST}/my-team/pytorch:1:2",
        f"{HOST}/my-team/pytorch::1",
        f"{HOST}/my-team",
        f"{HOST}",
        "pytorch:1",
        f"{HOST}/my-team/{'p' * 2050}:1",
        f"'{HOST}/my-team/pytorch:1\\u0000'",
        f"{HOST}/my_team/pytorch:1?x=1",
        f"{HOST}/my-team/pytorch:1#frag",
        f"{HOST}/my-team/pytorch:ta g",
        f"{HOST}\\my-team\\pytorch:1",
    ]
):
    add(f"swr-{i}", f"swr_path: {path}\n", "swr_path")

# --- control characters ---------------------------------------------------------------------------
for i, char in enumerate(["\\x00", "\\x07", "\\x1b[31m", "\\x7f", "\\u2028", "\\x0b", "\\x85"]):
    add(f"control-description-{i}", _body(description=f'"a{char}b"'), "description")
for i, char in enumerate(["\\n", "\\t", "\\r", "\\x00"]):
    add(f"control-swr-{i}", f'swr_path: "{GOOD}{char}x"\n', "swr_path")
add("control-workspace", _body(workspace_id='"ws\\x01"'), "workspace_id")
add("control-tag", _body(tags='["a\\x02"]'), "tags")

# --- huge bodies -------------------------------------------------------------------------------------
add("huge-body", _body(description="'" + "y" * 200_000 + "'"), "body")
add("huge-many-keys", _body() + "".join(f"k{i}: v\n" for i in range(20_000)), "body")
add("huge-nesting", f"swr_path: {GOOD}\ntags: " + "[" * 5000 + "]" * 5000 + "\n", "body")

# --- placeholders ------------------------------------------------------------------------------------
add("placeholder-unknown-name", _body(description="'{{ missing_name }}'"), "missing_name")
add("placeholder-unknown-in-path", "swr_path: '{{ nope }}'\n", "nope")
for i, value in enumerate(
    [
        "x\nvisibility: PUBLIC",
        "x: y",
        '", "visibility": "PUBLIC',
        "'; rm -rf /",
        "{{ other }}",
        "x" * 600,
        "\x00",
    ]
):
    add(
        f"placeholder-inject-description-{i}",
        _body(description="'{{ evil }}'"),
        "description" if i in (5, 6) else "",
        ns={"evil": value},
    )
for i, evil_value in enumerate(
    [
        f"{GOOD}\nvisibility: PUBLIC",
        f'{GOOD}", "visibility": "PUBLIC',
        "not a path",
        42,
        ["a", "b"],
        None,
    ]
):
    add(f"placeholder-inject-swr-{i}", "swr_path: '{{ evil }}'\n", "swr_path", ns={"evil": evil_value})
add("placeholder-bad-list-item", _body(services="'{{ svc }}'"), "services", ns={"svc": ["NOTEBOOK", "VNC"]})
add("placeholder-object", _body(description="'{{ obj }}'"), "description", ns={"obj": object()})

# --- option lines ----------------------------------------------------------------------------------
for i, line in enumerate(
    [
        "--bogus",
        "--wait abc",
        "--wait -5",
        "-o",
        "-o 1abc",
        "-o not-an-identifier",
        "--endpoint",
        "--endpoint not a url",
        "--endpoint ftp://modelarts.example.com",
        "--region",
        "--project-id",
        "--workspace-id",
        "--dry-run --dry-run=yes",
        "--arch",
        "--dryrun",
        "-x",
        "'unterminated",
    ]
):
    add(f"option-cell-{i}", _body(), "option", line=line)
for i, line in enumerate(
    [
        "",
        "my-team/pytorch",
        f"{GOOD} --arch arm",
        f"{GOOD} --resource-category TPU",
        f"{GOOD} --services NOTEBOOK,VNC",
        f"{GOOD} --service-type training",
        f"{GOOD} --visibility internal",
        f"{GOOD} --origin custom",
        f"{GOOD} --description " + "x" * 600,
        f"{GOOD} --workspace-id 'a b'",
        f"{GOOD} --unknown-flag",
        f"{GOOD} {GOOD}",
        f"{GOOD} --arch",
    ]
):
    add(f"option-line-{i}", None, "option", line=line)

# --- more YAML shapes, placeholders that try to reach code ---------------------------------------
add("yaml-two-documents", _body() + "---\narch: X86_64\n", "body")
add(
    "yaml-billion-laughs",
    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abc", "bcd", strict=True))
    + "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    "body",
)
add("yaml-empty-value", _body(arch=""), "arch")
add("yaml-binary-tag", _body(visibility="!!binary aGVsbG8="), "visibility")
add("yaml-number-key", _body() + "1: x\n", "1")
add("yaml-list-key", _body() + "? [a]\n: x\n", "body")
add("json-duplicate-key", '{"swr_path": "' + GOOD + '", "swr_path": "' + GOOD + '"}', "body")
add("json-empty-value", '{"swr_path": "' + GOOD + '", "arch": null}', "arch")
add("placeholder-in-field-name", _body() + "'{{ key }}': x\n", "body", ns={"key": "arch"})
add("placeholder-private-attr", _body(description="'{{ evil.__class__ }}'"), "description", ns={"evil": 1})
add("placeholder-expression", _body(description="'{{ 1 + 1 }}'"), "description")
add("placeholder-call", _body(description="\"{{ __import__('os').getcwd() }}\""), "description")
add("placeholder-missing-key", _body(description="'{{ evil[\"nope\"] }}'"), "description", ns={"evil": {}})
add("placeholder-missing-index", _body(description="'{{ evil[3] }}'"), "description", ns={"evil": [1]})
add("placeholder-missing-attr", _body(description="'{{ evil.nope }}'"), "description", ns={"evil": 1})

# --- found by a reviewer: the form, a misplaced SWR_PATH, placeholders in the option line ---------
add("form-unknown-field", _body(resource_categroy="gpu"), "resource_categroy", line="--form")
add(
    "form-unknown-field-json",
    '{"swr_path": "' + GOOD + '", "arch": "X86_64", "desc": "x"}',
    "desc",
    line="--form",
)
add("option-line-path-after-wait", None, "--wait", line=f"--wait {GOOD}")
add("option-line-path-after-wait-o", None, "--wait", line=f"-o img --wait {HOST}/my-team/x:1")
add("option-line-placeholder-unknown", None, "nope", line="{{ nope }} --wait")
add("option-line-placeholder-not-text", None, "SWR_PATH", line="{{ n }} --wait 5", ns={"n": 42})

# --- lone UTF-16 surrogates (a YAML "\\ud800" escape makes one): they cannot be sent as UTF-8, and once
# slipped past the text checks to surface as a UnicodeEncodeError traceback from the client ---------
for field in ("description", "read_me", "flavor_type", "swr_instance_id"):
    add(f"surrogate-{field}", f'swr_path: {GOOD}\n{field}: "a\\ud800b"\n', field)
add("surrogate-tags", f'swr_path: {GOOD}\ntags: ["a\\udfff"]\n', "tags")
add("surrogate-placeholder", _body(description="'{{ evil }}'"), "description", ns={"evil": "x\ud800"})
add("surrogate-option", None, "description", line=f"{GOOD} --description \ud800")
