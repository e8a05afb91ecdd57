"""Browser-test harness: a real `jupyter lab` on loopback, driven in Debian's Chromium.

`start_lab_server` runs JupyterLab in a throwaway tree; `Lab` wraps a Playwright page with the
app open and the few actions tests need. The fixtures in conftest.py use both; see README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

REPO = Path(__file__).resolve().parents[2]
BUILT_LABEXTENSION = REPO / "modelarts_magic" / "labextension"
CHROMIUM = Path(os.environ.get("MODELARTS_MAGIC_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LIGHT_THEME = "JupyterLab Light"
DARK_THEME = "JupyterLab Dark"
SERVER_START_TIMEOUT = 60.0
#: Lab extensions other packages in the venv bring that the test server turns off.
DISABLED_EXTENSIONS = ("jupysql-plugin",)
SCRUBBED_ENV_PREFIXES = ("JUPYTER", "MODELARTS_", "HUAWEICLOUD_", "OS_", "MA_")


@dataclass
class LabServer:
    """A running JupyterLab server started by `start_lab_server`."""

    url: str
    token: str
    root: Path
    home: Path
    log: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False, default_factory=dict)

    def api(self, path: str) -> Any:
        """GET a Jupyter REST path (e.g. `/api/sessions`) and return its JSON."""
        request = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def page_config(self) -> dict[str, Any]:
        """The page config the Lab page starts from (the `jupyter-config-data` JSON in /lab)."""
        request = urllib.request.Request(f"{self.url}/lab", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            html = response.read().decode()
        start = html.index(">", html.index('id="jupyter-config-data"')) + 1
        return dict(json.loads(html[start : html.index("</script>", start)]))

    def federated_extensions(self) -> list[str]:
        """Names of the prebuilt extensions the Lab page loads (from its page config)."""
        return [extension["name"] for extension in self.page_config().get("federated_extensions", [])]

    def request(self, method: str, path: str) -> int:
        """Send a body-less Jupyter REST request (e.g. DELETE a session); return the HTTP status."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def isolated_env(base: Path) -> dict[str, str]:
    """Environment whose Jupyter, IPython and home-ish directories all live under `base`."""
    dirs = {
        "HOME": base / "home",
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTER_DATA_DIR": base / "data",
        "IPYTHONDIR": base / "ipython",
        "XDG_CONFIG_HOME": base / "home" / ".config",
        "XDG_CACHE_HOME": base / "home" / ".cache",
        "XDG_DATA_HOME": base / "home" / ".local" / "share",
        "MPLCONFIGDIR": base / "home" / ".matplotlib",
    }
    for directory in dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    # Kernels must not see this machine's Jupyter or cloud settings (a tutorial would talk to the
    # real cloud instead of its emulator); `extra_env` of `start_lab_server` adds what a test needs.
    env = {key: value for key, value in os.environ.items() if not key.startswith(SCRUBBED_ENV_PREFIXES)}
    env.update({key: str(value) for key, value in dirs.items()})
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _use_fresh_build(base: Path, env: dict[str, str]) -> None:
    """Put the labextension built from this tree first on JUPYTER_PATH when it exists.

    The installed copy (share/jupyter/labextensions/modelarts-magic, shipped by `pip install`)
    may be older than the tree under test; the first path holding an extension wins.
    """
    if (BUILT_LABEXTENSION / "package.json").exists():
        extensions = base / "jupyter-path" / "labextensions"
        extensions.mkdir(parents=True, exist_ok=True)
        (extensions / "modelarts-magic").symlink_to(BUILT_LABEXTENSION, target_is_directory=True)
        env["JUPYTER_PATH"] = str(base / "jupyter-path")


def _stop_server(server: LabServer | None, process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its kernels, politely first, then by signal.

    `/api/shutdown` makes the server shut its kernels down (they run in their own process
    groups); a signal to the server's group is the fallback, and ipykernel exits on its own
    when its parent dies.
    """
    if server is not None and process.poll() is None:
        with suppress(OSError):
            request = urllib.request.Request(
                f"{server.url}/api/shutdown",
                method="POST",
                headers={"Authorization": f"token {server.token}"},
            )
            urllib.request.urlopen(request, timeout=5).close()
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=20)
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 15)):
        if process.poll() is not None:
            break
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # The server's own group may still hold helpers (e.g. a language server) after it exits.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def start_lab_server(extra_env: Mapping[str, str] | None = None) -> Iterator[LabServer]:
    """Start `jupyter lab` on loopback in a throwaway tree; stop it and delete the tree on exit.

    `extra_env` is passed to the server and so to every kernel it starts (e.g. the emulator's
    URL and credentials for a tutorial notebook).
    """
    base = Path(tempfile.mkdtemp(prefix="modelarts-lab-"))
    process: subprocess.Popen[bytes] | None = None
    server: LabServer | None = None
    try:
        env = isolated_env(base)
        _use_fresh_build(base, env)
        env.update(extra_env or {})
        root = base / "root"
        settings = base / "settings"
        root.mkdir()
        # jupysql-plugin (installed with the benchmark extra) adds a "Format SQL" button to every
        # notebook toolbar; the tests do not need it and screenshots should not show it.
        _write_json(
            Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig" / "page_config.json",
            {"disabledExtensions": {extension: True for extension in DISABLED_EXTENSIONS}},
        )
        # Without this a news/update pop-up covers part of the page.
        _write_json(
            settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
            {"fetchNews": "false", "checkForUpdates": False},
        )
        token = uuid.uuid4().hex
        port = _free_port()
        log = base / "jupyter-lab.log"
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={base / 'workspaces'}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.expose_app_in_browser=True",
        ]
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = LabServer(
            url=f"http://127.0.0.1:{port}",
            token=token,
            root=root,
            home=Path(env["HOME"]),
            log=log,
            process=process,
            env=env,
        )
        _wait_until_up(server)
        yield server
    finally:
        if process is not None:
            _stop_server(server, process)
        shutil.rmtree(base, ignore_errors=True)


def _wait_until_up(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"jupyter lab did not answer within {SERVER_START_TIMEOUT}s:\n{server.log_tail()}")


class Lab:
    """A Playwright page with JupyterLab open, plus the few actions tests need."""

    def __init__(self, page: Any, server: LabServer) -> None:
        self.page = page
        self.server = server

    # --- the app -------------------------------------------------------------------------
    def open(self) -> None:
        """Load JupyterLab in a fresh workspace and wait until it is restored."""
        workspace = uuid.uuid4().hex[:8]
        self.page.goto(f"{self.server.url}/lab/workspaces/{workspace}?reset&token={self.server.token}")
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        self.page.wait_for_selector("#jp-main-dock-panel", state="visible")

    def execute(self, command: str, args: Mapping[str, Any] | None = None) -> Any:
        """Run a JupyterLab command by id (what a palette entry or menu item does)."""
        return self.page.evaluate(
            "async ([command, args]) => { "
            "const result = await window.jupyterapp.commands.execute(command, args); "
            "return result === undefined || result === null || typeof result !== 'object' "
            "  ? result : null; }",
            [command, dict(args or {})],
        )

    def run_from_palette(self, label: str, attempts: int = 3) -> None:
        """Open the command palette, search for `label` and click the matching entry.

        The modal palette closes when it loses focus (e.g. to a notebook that grabs focus as
        it settles), so a closed palette is reopened a couple of times before giving up.
        """
        search = self.page.locator(".lm-CommandPalette-input:visible")
        item = self.page.locator(".lm-CommandPalette-item:visible", has_text=label).first
        for attempt in range(attempts):
            if not search.count():
                self.execute("apputils:activate-command-palette")
            try:
                search.fill(label, timeout=5_000)
                item.click(timeout=5_000)
                return
            except PlaywrightTimeoutError:
                if attempt == attempts - 1:
                    raise

    def set_theme(self, theme: str) -> None:
        """Switch the Lab theme (e.g. `DARK_THEME`) and wait until it is applied."""
        if self.theme() != theme:
            self.execute("apputils:change-theme", {"theme": theme})
        self.page.wait_for_function("theme => document.body.dataset.jpThemeName === theme", arg=theme)
        # The theme's stylesheet is swapped in asynchronously; let layout settle.
        self.page.wait_for_timeout(300)

    def hide_sidebars(self) -> None:
        """Collapse the left and right side panels (for screenshots that show the notebook)."""
        self.page.evaluate(
            "() => { const shell = window.jupyterapp.shell; shell.collapseLeft(); shell.collapseRight(); }"
        )

    def theme(self) -> str:
        """The name of the theme in use."""
        return str(self.page.evaluate("() => document.body.dataset.jpThemeName || ''"))

    # --- notebooks -----------------------------------------------------------------------
    def write_notebook(self, name: str, notebook: Any) -> str:
        """Save an nbformat notebook under the server root; return its path for `open_notebook`."""
        import nbformat

        path = self.server.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, str(path))
        return name

    def open_notebook(self, path: str, *, kernel: bool = True) -> None:
        """Open a notebook (path relative to the server root) and wait until it is shown.

        With `kernel=False` the notebook must name a kernel that does not exist (see
        `no_kernel_metadata`): the "Select Kernel" dialog is answered "No Kernel".
        """
        self.execute("docmanager:open", {"path": path, "factory": "Notebook"})
        self.page.wait_for_function(
            "path => { const w = window.jupyterapp.shell.currentWidget; "
            "return !!w && !!w.context && w.context.path === path && w.context.isReady; }",
            arg=path,
            timeout=30_000,
        )
        if kernel:
            self.wait_kernel_idle()
        else:
            dialog = self.page.locator(".jp-Dialog")
            dialog.get_by_role("button", name="No Kernel").click(timeout=30_000)
            self.page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayName === 'No Kernel'"
            )
        self.page.locator(".jp-NotebookPanel:visible .jp-Notebook").wait_for()

    def open_notebook_without_kernel(self, path: str) -> None:
        """Open a notebook as saved, starting no kernel even when its metadata names one.

        What a user sees reopening a saved notebook with no kernel (the kernel menu's "No
        Kernel"): outputs are drawn from the saved file only.
        """
        self.execute(
            "docmanager:open",
            {"path": path, "factory": "Notebook", "kernelPreference": {"shouldStart": False}},
        )
        self.page.wait_for_function(
            "path => { const w = window.jupyterapp.shell.currentWidget; "
            "return !!w && !!w.context && w.context.path === path && w.context.isReady "
            "  && w.sessionContext.isReady && !w.sessionContext.session "
            "  && w.sessionContext.kernelDisplayName === 'No Kernel'; }",
            arg=path,
            timeout=30_000,
        )
        self.page.locator(".jp-NotebookPanel:visible .jp-Notebook").wait_for()

    def close_notebook(self, path: str) -> None:
        """Close the notebook open at `path` (save it first: a changed one asks) and wait until it is gone."""
        dirty = self.page.evaluate(
            "path => { const shell = window.jupyterapp.shell; "
            "const w = [...shell.widgets('main')].find(w => w.context && w.context.path === path); "
            "if (!w || w.context.model.dirty) { return !!w; } w.close(); return false; }",
            path,
        )
        if dirty:
            raise AssertionError(f"{path} has unsaved changes: save it before closing")
        self.page.wait_for_function(
            "path => ![...window.jupyterapp.shell.widgets('main')]"
            "  .some(w => w.context && w.context.path === path)",
            arg=path,
        )

    def shutdown_kernels(self, timeout: float = 30.0) -> None:
        """Shut down every kernel of the server (through its REST API) and wait until none is left."""
        for session in self.server.api("/api/sessions"):
            self.server.request("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.server.api("/api/kernels"):
            self.server.request("DELETE", f"/api/kernels/{kernel['id']}")
        deadline = time.monotonic() + timeout
        while self.server.api("/api/kernels"):
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"kernels still running after {timeout}s: {self.server.api('/api/kernels')}"
                )
            time.sleep(0.2)

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the current notebook's kernel is connected and idle.

        This is what the status bar's "| Idle" shows; the cell execution indicator reads idle
        earlier, and Shift+Enter sent before this silently does nothing.
        """
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget; "
            "const s = w && w.sessionContext; "
            "return !!s && s.isReady && !!s.session && !!s.session.kernel && "
            "s.kernelDisplayStatus === 'idle'; }",
            timeout=timeout * 1000,
        )

    def run_all_cells(self, timeout: float = 120.0) -> None:
        """Run every cell of the current notebook and wait until all have finished."""
        self.wait_kernel_idle()
        # Saved execution counts would make the wait below pass at once.
        self.execute("notebook:clear-all-cell-outputs")
        self.execute("notebook:run-all-cells")
        self._wait_cells_done(timeout)
        self.wait_kernel_idle(timeout)

    def _wait_cells_done(self, timeout: float) -> None:
        # A running or queued cell shows "[*]"; a finished one has an execution count.
        self.page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget; "
            "const cells = [...w.content.model.cells].filter(c => c.type === 'code' "
            "  && c.sharedModel.getSource().trim() !== ''); "
            "const prompts = [...w.content.node.querySelectorAll('.jp-InputPrompt')]; "
            "return cells.every(c => c.executionCount !== null) "
            "  && !prompts.some(p => p.textContent.includes('*')); }",
            timeout=timeout * 1000,
        )

    def cell_sources(self) -> list[str]:
        """The source text of every cell of the current notebook, in order."""
        return list(
            self.page.evaluate(
                "() => [...window.jupyterapp.shell.currentWidget.content.model.cells]"
                ".map(c => c.sharedModel.getSource())"
            )
        )

    def active_cell_index(self) -> int:
        """Index of the active cell in the current notebook."""
        return int(self.page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"))

    def select_cell(self, index: int) -> None:
        """Make cell `index` of the current notebook the active one (command mode)."""
        self.page.evaluate(
            "index => { const n = window.jupyterapp.shell.currentWidget.content; "
            "n.activeCellIndex = index; n.mode = 'command'; }",
            index,
        )

    def run_cell(self, index: int, timeout: float = 120.0) -> None:
        """Run cell `index` of the current notebook and wait until it has finished."""
        self.wait_kernel_idle()
        self.select_cell(index)
        before = self.page.evaluate(
            "index => window.jupyterapp.shell.currentWidget.content.model.cells.get(index).executionCount",
            index,
        )
        self.execute("notebook:run-cell")
        self.page.wait_for_function(
            "([index, before]) => { const w = window.jupyterapp.shell.currentWidget; "
            "const count = w.content.model.cells.get(index).executionCount; "
            "return count !== null && count !== before "
            "  && w.sessionContext.kernelDisplayStatus === 'idle'; }",
            arg=[index, before],
            timeout=timeout * 1000,
        )

    def screenshot(self, locator: Any, name: str) -> Path:
        """Save a PNG of `locator` as docs/`name` (for README pictures) and return its path."""
        target = REPO / "docs" / name
        locator.screenshot(path=str(target))
        return target

    def save(self) -> None:
        """Save the current notebook."""
        self.execute("docmanager:save")

    def outputs(self, selector: str = "") -> Any:
        """Locator for rendered outputs of the current notebook (optionally narrowed)."""
        base = ".jp-NotebookPanel:visible .jp-OutputArea-output"
        return self.page.locator(f"{base} {selector}".strip())


def no_kernel_metadata() -> dict[str, Any]:
    """Notebook metadata naming a kernel that does not exist, so opening starts no kernel."""
    return {
        # No language either: Lab would start any kernel of the same language instead.
        "kernelspec": {"name": "modelarts-magic-no-such-kernel", "display_name": "(none)"},
    }
