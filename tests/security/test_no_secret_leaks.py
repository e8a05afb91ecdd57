"""No secret is ever shown, logged or saved (issue 8, item 4).

With a real-looking AK/SK, password and IAM token configured (environment, ~/.huaweicloud/credentials
and clouds.yaml in a temporary HOME) and every logger at DEBUG, each test drives one way in (the
magics, the client, the form, the tutorial notebooks in a real kernel) through its success and error
paths, collects every output, MIME bundle, log line, repr, exception and saved notebook, and asserts
that no secret appears in any of them: not plain, URL-encoded, JSON-escaped, hex or base64.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from sweep import (
    AK,
    DOMAIN,
    GOOD,
    PASSWORD,
    PROJECT_ID,
    SK,
    USER,
    WRONG_PASSWORD,
    WRONG_SK,
    Sweep,
    finish,
    secret_forms,
)

from modelarts_magic.auth import AkSkAuth, PasswordAuth, TokenAuth
from modelarts_magic.client import AsyncModelArtsClient, ModelArtsClient
from modelarts_magic.context import resolve_context
from modelarts_magic.emulator import Emulator
from modelarts_magic.exceptions import ModelArtsMagicError

ROOT = Path(__file__).resolve().parents[2]
TUTORIALS = sorted((ROOT / "notebooks").glob("*.ipynb"))
OTHER = "swr.eu-de.otc.t-systems.com/my-team/llm-inference:vllm-0.5.0"
THIRD = "swr.eu-de.otc.t-systems.com/my-team/pytorch_2_3:cpu"


def test_the_sweep_finds_every_form_of_a_secret() -> None:
    """The detector itself: a secret hidden in each form, alone or inside a longer value, is found."""
    import base64
    from urllib.parse import quote

    sweep = Sweep({"SK": SK, "password": PASSWORD})
    sweep.add("plain", f"x {SK} y")
    sweep.add("url", "p=" + quote(PASSWORD, safe=""))
    sweep.add("basic-auth", base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
    sweep.add("b64-shift-2", base64.urlsafe_b64encode(b"ab" + SK.encode() + b"zz").decode())
    sweep.add("masked", f"sk=****, ak={AK[:4]}…{AK[-2:]}")
    found = sweep.findings()
    assert {entry.split(":")[0] for entry in found} == {"plain", "url", "basic-auth", "b64-shift-2"}
    assert all(SK not in entry and PASSWORD not in entry for entry in found)
    assert len(secret_forms(SK)) >= 8


# -- helpers ---------------------------------------------------------------------------------------


class Cells:
    """Runs cells in the shell and records everything they show into the sweep."""

    def __init__(self, shell: InteractiveShell, sweep: Sweep) -> None:
        self.shell = shell
        self.sweep = sweep
        self.errors: list[str] = []

    def __call__(self, source: str) -> Any:
        with capture_output() as captured:
            result = self.shell.run_cell(source, store_history=False)
        where = f"cell {source.splitlines()[0][:50]!r}"
        self.sweep.add(f"{where} stdout", captured.stdout)
        self.sweep.add(f"{where} stderr", captured.stderr)
        for index, output in enumerate(captured.outputs):
            self.sweep.add(f"{where} output {index}", output.data)
            self.sweep.add(f"{where} output {index} metadata", output.metadata)
        error = result.error_in_exec or result.error_before_exec
        if error is not None:
            self.errors.append(f"{type(error).__name__}: {error}")
            record_exception(self.sweep, where, error)
        if result.result is not None:
            record_object(self.sweep, f"{where} result", result.result)
        return result


def record_exception(sweep: Sweep, where: str, error: BaseException) -> None:
    """str, repr, attributes and the formatted traceback of an exception."""
    sweep.add(f"{where} str", str(error))
    sweep.add(f"{where} repr", repr(error))
    sweep.add(f"{where} args", repr(error.args))
    sweep.add(f"{where} attributes", {k: repr(v) for k, v in vars(error).items()})
    sweep.add(f"{where} traceback", "".join(traceback.format_exception(error)))
    if error.__cause__ is not None or error.__context__ is not None:
        inner = error.__cause__ or error.__context__
        assert inner is not None
        sweep.add(f"{where} chained", "".join(traceback.format_exception(inner)))


def record_object(sweep: Sweep, where: str, value: Any) -> None:
    """repr, str and MIME bundle of a value a user could display."""
    sweep.add(f"{where} repr", repr(value))
    sweep.add(f"{where} str", str(value))
    bundle = getattr(value, "_repr_mimebundle_", None)
    if callable(bundle):
        sweep.add(f"{where} bundle", bundle())
    html = getattr(value, "_repr_html_", None)
    if callable(html):
        sweep.add(f"{where} html", html())


def point_at(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """Endpoint, IAM endpoint, project and region of the emulator in the environment (no credentials)."""
    monkeypatch.setenv("MODELARTS_ENDPOINT", emu.url)
    monkeypatch.setenv("MODELARTS_IAM_ENDPOINT", emu.iam_url)
    monkeypatch.setenv("MODELARTS_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("MODELARTS_REGION", "eu-de")


def image_ids(emu: Emulator) -> list[str]:
    return [image["id"] for image in emu.store.images()]


def magic_tour(run: Cells, emu: Emulator) -> None:
    """Every %modelarts subcommand and every %%register_image form, successes and user mistakes."""
    run("%modelarts")
    run("%modelarts context")
    run("%modelarts context --region eu-de")
    run("%modelarts help")
    run(f"%%register_image --dry-run -o described\nswr_path: {GOOD}\ndescription: built by {{{{ who }}}}\n")
    run(f"%register_image {THIRD} --arch X86_64 --services NOTEBOOK,SSH --dry-run")
    run(f"%%register_image -o img\nswr_path: {GOOD}\nvisibility: PUBLIC\n")
    run(f"%%register_image --wait 20 -o img2\nswr_path: {OTHER}\nresource_category: [CPU, GPU]\n")
    run(f"%register_image {THIRD} --description 'line form'")
    ids = image_ids(emu)
    assert len(ids) == 3, ids
    run("%modelarts images")
    run("%modelarts images --name pytorch_2_3 -o imgs")
    run(f"%modelarts show {ids[0]}")
    run(f"%modelarts wait {ids[1]} --timeout 20")
    run(f"%modelarts delete {ids[0]}")  # PUBLIC without --yes: refused
    run(f"%modelarts delete {ids[0]} --yes")
    run("%modelarts show 00000000-0000-0000-0000-000000000000")  # 404
    run(f"%%register_image\nswr_path: {OTHER}\n")  # conflict: already registered
    run(f"%%register_image\nswr_path: {GOOD}\narch: arm\n")  # bad field
    run("%register_image my-team/pytorch --wait abc")  # bad option
    run("%modelarts imgs")  # unknown command
    for name in ("img", "img2", "imgs", "described"):
        if name in run.shell.user_ns:
            record_object(run.sweep, f"user_ns[{name!r}]", run.shell.user_ns[name])


def service_errors(run: Cells, emu: Emulator) -> None:
    """5xx bursts, throttling, clock skew and a stalled answer, through the magic."""
    emu.faults.fail_next(12, status=503, methods=("POST", "GET"))
    run(f"%register_image {GOOD.replace(':cuda12', ':burst')}")
    emu.faults.clear()
    emu.faults.fail_next(12, status=429, retry_after=0.01, methods=("GET",))
    run("%modelarts images")
    emu.faults.clear()
    emu.faults.clock_offset = 3600.0
    run("%modelarts images")
    emu.faults.clear()
    run("%config RegisterImageMagics.timeout = 0.3")
    emu.faults.stall_next(6, seconds=1.0)
    run("%modelarts show 00000000-0000-0000-0000-000000000001")
    emu.faults.clear()
    run("%config RegisterImageMagics.timeout = 30")


@pytest.fixture
def run(shell: InteractiveShell, sweep: Sweep) -> Iterator[Cells]:
    shell.user_ns["who"] = "the data team"
    cells = Cells(shell, sweep)
    yield cells
    for name in ("img", "img2", "imgs", "described", "who"):
        shell.user_ns.pop(name, None)


# -- the magics, with each credential source ------------------------------------------------------------


def test_magics_with_aksk_from_the_environment(
    run: Cells, emu: Emulator, sweep: Sweep, debug_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(emu, monkeypatch)
    monkeypatch.setenv("HUAWEICLOUD_SDK_AK", AK)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", SK)
    monkeypatch.setenv("OS_PASSWORD", PASSWORD)  # configured too, unused: AK/SK wins
    magic_tour(run, emu)
    service_errors(run, emu)
    monkeypatch.setenv("HUAWEICLOUD_SDK_SK", WRONG_SK)
    run(f"%register_image {GOOD.replace(':cuda12', ':wrong-sk')}")  # refused: signature mismatch
    run("%modelarts emulator")
    run(f"%%register_image --dry-run\nswr_path: {GOOD}\n")
    run("%modelarts emulator --stop")
    assert any("APIG" in e or "0301" in e or "401" in e for e in run.errors), run.errors
    assert len(run.errors) >= 9, run.errors  # every error path above was reached
    finish(sweep, debug_logs)


def test_magics_with_aksk_from_the_credentials_file(
    run: Cells, emu: Emulator, sweep: Sweep, debug_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(emu, monkeypatch)
    folder = Path(os.environ["HOME"]) / ".huaweicloud"
    folder.mkdir()
    (folder / "credentials").write_text(f"[basic]\nak = {AK}\nsk = {SK}\nproject_id = {PROJECT_ID}\n")
    run("%modelarts context")
    run(f"%%register_image --dry-run\nswr_path: {GOOD}\n")
    run(f"%%register_image --wait 20\nswr_path: {GOOD}\n")
    assert len(image_ids(emu)) == 1
    (folder / "credentials").write_text(f"[basic]\nak = {AK}\nsk = {WRONG_SK}\nproject_id = {PROJECT_ID}\n")
    run("%modelarts images")  # wrong SK from the file
    (folder / "credentials").write_text(f"[basic\nak = {AK}\nsk = {SK}\n")  # unreadable file
    run("%modelarts context")
    run("%modelarts images")
    assert len(run.errors) >= 2, run.errors
    finish(sweep, debug_logs)


def _clouds_yaml(path: Path, emu: Emulator, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "clouds:\n"
        "  otc:\n"
        "    region_name: eu-de\n"
        "    auth:\n"
        f"      auth_url: {emu.iam_url}\n"
        f"      username: {USER}\n"
        f"      password: {json.dumps(password)}\n"
        f"      user_domain_name: {DOMAIN}\n"
        f"      project_id: {PROJECT_ID}\n"
        "      project_name: eu-de\n"
    )


def test_magics_with_a_password_from_clouds_yaml(
    run: Cells, emu: Emulator, sweep: Sweep, debug_logs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELARTS_ENDPOINT", emu.url)
    monkeypatch.setenv("OS_CLOUD", "otc")
    clouds = Path(os.environ["HOME"]) / ".config" / "openstack" / "clouds.yaml"
    _clouds_yaml(clouds, emu, PASSWORD)
    magic_tour(run, emu)
    emu.expire_tokens()  # the cached token expires mid-session: refreshed once
    run("%modelarts images")
    _clouds_yaml(clouds, emu, WRONG_PASSWORD)
    run("%modelarts images")  # wrong password
    assert any("401" in e for e in run.errors), run.errors
    finish(sweep, debug_logs)


def test_magics_with_a_pre_issued_token(
    run: Cells, emu: Emulator, sweep: Sweep, debug_logs: Any, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(emu, monkeypatch)
    monkeypatch.setenv("OS_AUTH_TOKEN", token)
    magic_tour(run, emu)
    emu.expire_tokens()
    run("%modelarts images")  # expired token: says how to get a new one
    assert any("0202" in e or "expired" in e.lower() for e in run.errors), run.errors
    finish(sweep, debug_logs)


# -- the client, its auth objects and its errors ----------------------------------------------------------


def test_client_reprs_dry_runs_and_exceptions(
    emu: Emulator, sweep: Sweep, debug_logs: Any, token: str
) -> None:
    def attempt(where: str, call: Callable[[], Any]) -> None:
        try:
            result = call()
        except ModelArtsMagicError as err:
            record_exception(sweep, where, err)
        else:
            record_object(sweep, where, result)

    clients = [
        ModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=SK),
        ModelArtsClient(emu.url, PROJECT_ID, token=token),
        ModelArtsClient(
            emu.url,
            PROJECT_ID,
            username=USER,
            password=PASSWORD,
            domain=DOMAIN,
            project_name="eu-de",
            iam_endpoint=emu.iam_url,
        ),
    ]
    auths = [
        AkSkAuth(AK, SK, PROJECT_ID, security_token=token),
        TokenAuth(token),
        PasswordAuth(emu.iam_url, USER, PASSWORD, DOMAIN, project_id=PROJECT_ID),
    ]
    for index, auth in enumerate(auths):
        record_object(sweep, f"auth {index}", auth)
        sweep.add(f"auth {index} vars", {k: repr(v) for k, v in vars(auth).items()})
    for index, client in enumerate(clients):
        where = f"client {index}"
        record_object(sweep, where, client)
        request = client.build_register_request(swr_path=GOOD, description="d")
        sweep.add(f"{where} dry run", client.describe_request(request))
        attempt(f"{where} register", lambda c=client: c.register_image(swr_path=GOOD))
        attempt(f"{where} list", lambda c=client: list(c.list_images()))
        attempt(f"{where} 404", lambda c=client: c.get_image("00000000-0000-0000-0000-000000000000"))
        attempt(f"{where} conflict", lambda c=client: c.register_image(swr_path=GOOD))
        client.close()
    wrong = [
        ModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=WRONG_SK, max_retries=0),
        ModelArtsClient(
            emu.url,
            PROJECT_ID,
            username=USER,
            password=WRONG_PASSWORD,
            domain=DOMAIN,
            project_name="eu-de",
            iam_endpoint=emu.iam_url,
        ),
    ]
    for index, client in enumerate(wrong):
        attempt(f"wrong credentials {index}", lambda c=client: c.get_image("x"))
        client.close()
    emu.expire_tokens()
    with ModelArtsClient(emu.url, PROJECT_ID, token=token) as expired:
        attempt("expired token", lambda: expired.get_image("x"))

    async def async_paths() -> None:
        async with AsyncModelArtsClient(emu.url, PROJECT_ID, ak=AK, sk=SK) as client:
            record_object(sweep, "async client", client)
            outcomes = await client.register_many(
                [{"swr_path": OTHER}, {"swr_path": "nope"}, {"swr_path": OTHER}], concurrency=2
            )
            for index, outcome in enumerate(outcomes):
                record_object(sweep, f"register_many outcome {index}", outcome)

    asyncio.run(async_paths())
    finish(sweep, debug_logs)


# -- the form ---------------------------------------------------------------------------------------------


_CREDENTIAL_WORDS = re.compile(r"secret|password|passwd|token|access.?key|\bsk\b|\bak\b", re.IGNORECASE)


def test_the_form_keeps_no_credential_in_widget_state(
    emu: Emulator, sweep: Sweep, debug_logs: Any, token: str, tmp_path: Path
) -> None:
    import ipywidgets as widgets

    from modelarts_magic.widgets import RegisterImageForm, iter_widgets

    envs = {
        "aksk": {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK},
        "password": {
            "OS_USERNAME": USER,
            "OS_PASSWORD": PASSWORD,
            "OS_USER_DOMAIN_NAME": DOMAIN,
            "OS_PROJECT_NAME": "eu-de",
        },
        "token": {"OS_AUTH_TOKEN": token},
    }
    for kind, credentials in envs.items():
        env = {
            "MODELARTS_ENDPOINT": emu.url,
            "MODELARTS_IAM_ENDPOINT": emu.iam_url,
            "MODELARTS_PROJECT_ID": PROJECT_ID,
            **credentials,
        }
        context = resolve_context(env=env, home=tmp_path, cwd=tmp_path)
        form = RegisterImageForm(context=context, initial={"swr_path": GOOD}, follow_interval=0.05)
        form.fields["description"].value = "typed by hand"
        form.dry_run_button.click()
        form.register_button.click()
        if form.image_widget is not None:
            form.image_widget.wait(timeout=10)
        form.register_button.click()  # the same name:tag again: a service error shown in the form
        form.fields["swr_path"].value = "not a path"  # a field error shown in the form
        every = list(iter_widgets(form))
        assert len(every) > 30
        for index, widget in enumerate(every):
            state = widget.get_state()
            sweep.add(f"form {kind} widget {index} {type(widget).__name__}", state)
            assert not isinstance(widget, widgets.Password), "the form has a password field"
            label = " ".join(str(state.get(key, "")) for key in ("description", "placeholder", "tooltip"))
            assert not _CREDENTIAL_WORDS.search(label), f"a credential input in the form: {label!r}"
        record_object(sweep, f"form {kind}", form)
        emu.reset()
        context.close()
    finish(sweep, debug_logs)


# -- notebooks in a real kernel, saved -----------------------------------------------------------------------


def _kernel_env(emu: Emulator, token: str) -> dict[str, str]:
    scrubbed = ("MODELARTS_", "HUAWEICLOUD_", "OS_", "MA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(scrubbed)}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p),
            "MODELARTS_ENDPOINT": emu.url,
            "MODELARTS_IAM_ENDPOINT": emu.iam_url,
            "MODELARTS_PROJECT_ID": PROJECT_ID,
            "HUAWEICLOUD_SDK_AK": AK,
            "HUAWEICLOUD_SDK_SK": SK,
            "OS_USERNAME": USER,
            "OS_PASSWORD": PASSWORD,
            "OS_USER_DOMAIN_NAME": DOMAIN,
            "OS_AUTH_TOKEN": token,
        }
    )
    return env


_DEBUG_CELL = "import logging\nlogging.basicConfig(level=logging.DEBUG, force=True)"


def _execute_and_save(notebook: nbformat.NotebookNode, env: dict[str, str], folder: Path, name: str) -> str:
    from nbclient import NotebookClient

    notebook.cells.insert(0, nbformat.v4.new_code_cell(_DEBUG_CELL))
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute(env=env)
    saved = folder / name
    nbformat.write(notebook, saved)
    return saved.read_text(encoding="utf-8")


_OWN_NOTEBOOK = [
    "%load_ext modelarts_magic",
    "%modelarts",
    f"%%register_image --dry-run\nswr_path: {GOOD}\n",
    f"%%register_image --wait 20 -o img\nswr_path: {GOOD}\n",
    "img",
    "%modelarts images",
    f"%%register_image\nswr_path: {GOOD}\n",
    f"%%register_image\nswr_path: {GOOD}\narch: arm\n",
    "%modelarts show 00000000-0000-0000-0000-000000000000",
    "from modelarts_magic.widgets import RegisterImageForm\n"
    "magics = get_ipython().magics_manager.registry['RegisterImageMagics']\n"
    "form = RegisterImageForm(context=magics.context())\n"
    "form",
    "import os\nsorted(k for k in os.environ if k.startswith(('OS_', 'HUAWEICLOUD_', 'MODELARTS_')))",
    "%modelarts emulator\n%modelarts",
]


def test_a_notebook_using_every_credential_in_the_kernel_saves_no_secret(
    emu: Emulator, sweep: Sweep, debug_logs: Any, token: str, tmp_path: Path
) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in _OWN_NOTEBOOK])
    text = _execute_and_save(notebook, _kernel_env(emu, token), tmp_path, "own.ipynb")
    assert "HUAWEICLOUD_SDK_SK" in text and "ACTIVE" in text  # the cells did run, with the credentials
    assert "DEBUG" in text  # and DEBUG logging reached the saved outputs
    sweep.add("saved own.ipynb", text)
    finish(sweep, debug_logs)


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_each_tutorial_run_with_real_looking_credentials_saves_no_secret(
    path: Path, emu: Emulator, sweep: Sweep, debug_logs: Any, token: str, tmp_path: Path
) -> None:
    notebook = nbformat.read(path, as_version=4)
    text = _execute_and_save(notebook, _kernel_env(emu, token), tmp_path, path.name)
    assert '"output_type"' in text
    sweep.add(f"saved {path.name}", text)
    finish(sweep, debug_logs)


def test_there_are_tutorials_to_sweep() -> None:
    assert TUTORIALS, "notebooks/*.ipynb: no tutorial notebooks found"
