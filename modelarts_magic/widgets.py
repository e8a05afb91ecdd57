"""The live Image widget and the registration form (ipywidgets), usable by hand and headless.

How an image is shown (`show_image`, what the magics call):

- The card is always a normal top-level display of the Image's MIME bundle
  (`application/vnd.modelarts.image+json`, `text/html`, `text/plain`), made with a `display_id`.
  Saved in the notebook like any output, it is drawn by our JupyterLab renderer (or the HTML
  card elsewhere) when the notebook is reopened with no kernel and no widget state.
- The live controls (progress, Refresh, Delete) are a separate `ImageWidget` below it, which
  redraws the card through `update_display` on that `display_id` as the image changes. When no
  widget front end can exist (a plain IPython terminal, no kernel) or `live=False`, or there is no
  client to refresh with, only the MIME bundle is displayed.

An `ImageWidget` made on its own (as the form does on success) draws the card inside itself, in an
`ipywidgets.Output` whose outputs are the Image's MIME bundle, so JupyterLab draws it with our
renderer there too. The outputs are set directly rather than captured with `with output:`, which
works the same with or without a kernel and from any thread.

Never blocking the kernel: client calls run in a small thread pool. Inside ipykernel (a running
asyncio loop in the kernel's thread) results are applied back on that loop, so widget state only
changes on the kernel's own thread, and following an image is an asyncio task there that sleeps
between checks (bounded backoff). Without a kernel loop (tests, scripts) following runs in a
daemon thread and button clicks call the client synchronously, so `form.register_button.click()`
has finished when it returns; `background=True/False` forces either.

No credentials live in widget state: the form takes a context or client object, kept as a plain
Python attribute, and has no credential fields; dry-run previews show masked headers only.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ipywidgets as widgets
import traitlets
from IPython.display import display

from .display import image_mimebundle, request_preview, status_state
from .exceptions import (
    APIError,
    ConfigurationError,
    InvalidRequestError,
    ModelArtsMagicError,
    NotFoundError,
)
from .models import (
    DEV_SERVICE_OFFERS,
    FieldSpec,
    Image,
    ImageStatus,
    RegisterImageRequest,
    field_specs,
    parse_swr_path,
    validate_request,
)

__all__ = ["ImageWidget", "MultiChoice", "RegisterImageForm", "iter_widgets", "show_image"]

_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The shared pool that runs blocking client calls off the kernel's thread."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="modelarts-widgets")
        return _EXECUTOR


def _kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The kernel's running asyncio loop when called on it inside ipykernel, else None."""
    if not _in_kernel():
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where a widget front end may exist), False in a terminal or script."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _run(
    call: Callable[[], Any],
    done: Callable[[Any, BaseException | None], None],
    background: bool | None,
) -> None:
    """Run a blocking `call`, then `done(result, error)`: in the pool on the kernel loop, or right here."""
    loop = _kernel_loop() if background is not False else None
    if loop is None and background:
        # Asked for background work but no kernel loop: a worker thread, `done` called there.
        def work() -> None:
            try:
                result = call()
            except Exception as error:
                done(None, error)
            else:
                done(result, None)

        threading.Thread(target=work, daemon=True, name="modelarts-widgets-call").start()
        return
    if loop is None:
        try:
            result = call()
        except Exception as error:
            done(None, error)
        else:
            done(result, None)
        return
    future = loop.run_in_executor(_executor(), call)

    def finished(fut: asyncio.Future[Any]) -> None:
        error = fut.exception()
        done(None if error else fut.result(), error)

    future.add_done_callback(finished)


def _call_client(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a client method, sync or async (an async one is run to completion in this thread)."""
    if inspect.iscoroutinefunction(method):
        return asyncio.run(method(*args, **kwargs))
    return method(*args, **kwargs)


def _as_image(image: Image | Mapping[str, Any]) -> Image:
    return image if isinstance(image, Image) else Image.model_validate(dict(image))


def _error_text(error: BaseException) -> str:
    """One line for an error: our errors' own message (hint included), else the type and message."""
    if isinstance(error, ModelArtsMagicError):
        return str(error)
    return f"unexpected {type(error).__name__}: {' '.join(str(error).split())}"


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _outputs(bundle: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """An `Output` widget's outputs holding one display of `bundle`."""
    return ({"output_type": "display_data", "data": dict(bundle), "metadata": {}},)


# ---------------------------------------------------------------------------------------------
# The live Image widget
# ---------------------------------------------------------------------------------------------

_PROGRESS = {"INIT": 1, "CREATING": 2, "ACTIVE": 3, "CREATE_FAILED": 3, "ERROR": 3}
_BAR_STYLES = {"ok": "success", "progress": "info", "failed": "danger", "deleted": "", "unknown": "warning"}


class ImageWidget(widgets.VBox):
    """A live Image card: progress, Refresh, Delete (confirmed), and self-refresh until a final state.

    `image` is always the latest Image seen. Following uses bounded backoff: the first check after
    `interval` seconds, then each wait 1.6 times longer up to `max_interval`, for at most `timeout`
    seconds in all, stopping at once on a final state, a 404, or `stop()`.
    """

    def __init__(
        self,
        image: Image | Mapping[str, Any],
        client: Any = None,
        *,
        card_handle: Any = None,
        follow: bool | None = None,
        interval: float = 1.0,
        max_interval: float = 10.0,
        timeout: float = 1800.0,
        background: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.image: Image = _as_image(image)
        self.client = client
        self.interval = interval
        self.max_interval = max_interval
        self.timeout = timeout
        self.background = background
        self.checks = 0
        self.last_error: str | None = None
        self._card_handle = card_handle
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._note = ""

        self.card = widgets.Output(layout=widgets.Layout(width="100%"))
        self.progress = widgets.IntProgress(
            min=0, max=3, value=0, layout=widgets.Layout(width="140px", margin="4px 8px 0 0")
        )
        self.status_line = widgets.HTML()
        self.refresh_button = widgets.Button(
            description="Refresh", icon="refresh", tooltip="Ask the service for the image's state now"
        )
        self.delete_button = widgets.Button(
            description="Delete…", icon="trash", tooltip="Delete this image (asks first)"
        )
        self.confirm_button = widgets.Button(
            description="Delete", button_style="danger", icon="trash", tooltip="Delete the image for good"
        )
        self.cancel_button = widgets.Button(description="Cancel", tooltip="Keep the image")
        self.confirm_label = widgets.HTML()
        self.confirm_box = widgets.HBox(
            [self.confirm_label, self.confirm_button, self.cancel_button],
            layout=widgets.Layout(display="none", align_items="center"),
        )
        self.refresh_button.on_click(self._on_refresh)
        self.delete_button.on_click(self._on_delete)
        self.confirm_button.on_click(self._on_confirm)
        self.cancel_button.on_click(self._on_cancel)

        controls = widgets.HBox(
            [self.progress, self.status_line, self.refresh_button, self.delete_button],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap"),
        )
        children: list[widgets.Widget] = [] if card_handle is not None else [self.card]
        self.children = (*children, controls, self.confirm_box)
        self._render()
        if follow is None:
            follow = client is not None and not self.image.is_final
        self._follows = follow
        if follow:
            self.start()

    # --- state --------------------------------------------------------------------------------

    @property
    def following(self) -> bool:
        """True while the widget refreshes itself in the background."""
        task, thread = self._task, self._thread
        return bool((task is not None and not task.done()) or (thread is not None and thread.is_alive()))

    @property
    def confirming(self) -> bool:
        """True while the delete confirmation is shown."""
        return self.confirm_box.layout.display != "none"

    def _apply(self, image: Image) -> None:
        with self._lock:
            self.image = image
            self._render()

    def _render(self) -> None:
        """Redraw the card (here or in the top-level display), the progress and the status line."""
        with self._lock:
            image = self.image
            bundle = image_mimebundle(image)
            if self._card_handle is not None:
                self._card_handle.update(bundle, raw=True)
            else:
                self.card.outputs = _outputs(bundle)
            state = status_state(image.status)
            self.progress.value = _PROGRESS.get(image.status_text, 0)
            self.progress.bar_style = _BAR_STYLES[state]
            self.status_line.value = self._status_html()
            no_client = self.client is None
            deleted = image.status == ImageStatus.DELETED
            self.refresh_button.disabled = no_client
            self.delete_button.disabled = no_client or deleted
            if deleted:
                self.confirm_box.layout.display = "none"

    def _status_html(self) -> str:
        image = self.image
        state = status_state(image.status)
        parts = [f"<b>{_esc(image.status_text)}</b>"]
        if state == "progress":
            parts.append("being registered")
        elif state == "ok":
            parts.append("ready to use")
        elif state == "failed":
            parts.append(f"failed: {_esc(image.status_message or 'no reason given')}")
        elif state == "deleted":
            parts.append("deleted")
        if self.following:
            parts.append(f"following (check {self.checks})")
        if self._note:
            parts.append(_esc(self._note))
        if self.last_error:
            parts.append(f'<span style="{_ERROR_STYLE}">{_esc(self.last_error)}</span>')
        if self.client is None:
            parts.append("no client: read-only")
        return '<span style="margin-right:10px">' + " · ".join(parts) + "</span>"

    def _say(self, note: str = "", error: str | None = None) -> None:
        with self._lock:
            self._note = note
            self.last_error = error
            self.status_line.value = self._status_html()

    # --- refresh ------------------------------------------------------------------------------

    def _fetch(self) -> Image:
        if self.client is None:
            raise ConfigurationError("this image widget has no client: show it with a client to refresh")
        return _as_image(_call_client(self.client.get_image, self.image.id))

    def _take(self, image: Image | None, error: BaseException | None) -> None:
        """Apply one check's outcome (an Image, or the error it raised)."""
        self.checks += 1
        if error is None and image is not None:
            self.last_error = None
            self._apply(image)
        elif isinstance(error, NotFoundError):
            self._note = "the service no longer knows this image"
            self.last_error = None
            self._apply(self.image.model_copy(update={"status": ImageStatus.DELETED}))
        elif error is not None:
            self._say(self._note, _error_text(error))

    def refresh(self) -> Image:
        """Ask the service for the image now (blocking) and redraw; return the latest Image."""
        try:
            image = self._fetch()
        except Exception as error:
            self._take(None, error)
            if not isinstance(error, NotFoundError):
                raise
        else:
            self._take(image, None)
        return self.image

    def _on_refresh(self, _button: Any = None) -> None:
        if self.client is None:
            return
        self.refresh_button.disabled = True
        self._say("checking…")

        def done(image: Any, error: BaseException | None) -> None:
            self._note = ""
            self._take(image, error)
            self._render()
            if self._follows and not self.image.is_final and not self.following:
                self.start()

        _run(self._fetch, done, self.background)

    # --- following ----------------------------------------------------------------------------

    def start(self) -> None:
        """Refresh in the background until a final state, the time limit, or `stop()`."""
        if self.following or self.client is None or self.image.is_final:
            return
        self._stop.clear()
        loop = _kernel_loop() if self.background is not False else None
        if loop is not None:
            self._task = loop.create_task(self._follow_async())
        else:
            self._thread = threading.Thread(target=self._follow_thread, daemon=True, name="modelarts-follow")
            self._thread.start()
        self.status_line.value = self._status_html()

    def stop(self) -> None:
        """Stop following (the card stays as last seen; Refresh still works)."""
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            task.cancel()

    def wait(self, timeout: float = 30.0) -> Image:
        """Block until following ends (a final state, a stop, or the limit); return the latest Image."""
        deadline = time.monotonic() + timeout
        thread = self._thread
        if thread is not None:
            thread.join(max(0.0, deadline - time.monotonic()))
        while self.following and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.image

    def _carry_on(self, started: float, failures: int) -> bool:
        """Whether to keep following after a check; says why when it stops."""
        if self._stop.is_set() or self.image.is_final:
            return False
        if failures >= 5:
            self._note = "stopped following after 5 failed checks; press Refresh to try again"
            return False
        if time.monotonic() - started > self.timeout:
            self._note = f"stopped following after {self.timeout:.0f} s; press Refresh to look again"
            return False
        return True

    def _record_poll(
        self, image: Image | None, error: Exception | None, started: float, failures: int
    ) -> int | None:
        """Apply one poll's result; the new count of failures in a row, or None once following should stop."""
        failures = failures + 1 if error is not None else 0
        self._take(image, error)
        return failures if self._carry_on(started, failures) else None

    def _follow_thread(self) -> None:
        started, delay, failures = time.monotonic(), self.interval, 0
        while not self._stop.wait(delay):
            try:
                image, error = self._fetch(), None
            except Exception as exc:
                image, error = None, exc
            next_failures = self._record_poll(image, error, started, failures)
            if next_failures is None:
                break
            failures = next_failures
            delay = min(delay * 1.6, self.max_interval)
        self._thread = None
        self._say(self._note, self.last_error)

    async def _follow_async(self) -> None:
        loop = asyncio.get_running_loop()
        started, delay, failures = time.monotonic(), self.interval, 0
        try:
            while True:
                await asyncio.sleep(delay)
                if self._stop.is_set():
                    break
                try:
                    getter = getattr(self.client, "get_image", None)
                    if getter is not None and inspect.iscoroutinefunction(getter):
                        image, error = _as_image(await getter(self.image.id)), None
                    else:
                        image, error = await loop.run_in_executor(_executor(), self._fetch), None
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    image, error = None, exc
                next_failures = self._record_poll(image, error, started, failures)
                if next_failures is None:
                    break
                failures = next_failures
                delay = min(delay * 1.6, self.max_interval)
        except asyncio.CancelledError:
            pass
        finally:
            self._task = None
            self._say(self._note, self.last_error)

    # --- delete -------------------------------------------------------------------------------

    def _on_delete(self, _button: Any = None) -> None:
        if self.client is None or self.image.status == ImageStatus.DELETED:
            return
        self.confirm_label.value = (
            f"Delete <b>{_esc(self.image.display_name)}</b> (id <code>{_esc(self.image.id)}</code>)? "
            "The SWR image itself is kept. &nbsp;"
        )
        self.confirm_box.layout.display = "flex"
        self.delete_button.disabled = True

    def _on_cancel(self, _button: Any = None) -> None:
        self.confirm_box.layout.display = "none"
        self._render()

    def _on_confirm(self, _button: Any = None) -> None:
        self.confirm_box.layout.display = "none"
        if self.client is None:
            return
        self.stop()
        self._say("deleting…")
        client, image_id = self.client, self.image.id

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None and not isinstance(error, NotFoundError):
                self._say("", f"delete failed: {_error_text(error)}")
                self._render()
                return
            deleted = _as_image(result) if isinstance(result, (Image, Mapping)) else None
            if deleted is None or deleted.status != ImageStatus.DELETED:
                deleted = self.image.model_copy(update={"status": ImageStatus.DELETED})
            self._note = ""
            self.last_error = None
            self._apply(deleted)

        _run(lambda: _call_client(client.delete_image, image_id), done, self.background)

    def __repr__(self) -> str:
        # What a saved notebook shows for this widget when no kernel draws it: the card is above it.
        return f"{self.image} (live controls need a running kernel)"


def show_image(image: Image | Mapping[str, Any], client: Any = None, live: bool | None = None) -> Any:
    """Display an image: its MIME bundle, plus live controls when a widget front end and a client exist.

    Returns the `ImageWidget` when live controls were shown, else None. `live=None` means live when
    a client is given and this runs in a kernel; `live=False` never shows widgets.
    """
    image = _as_image(image)
    if live is None:
        live = client is not None
    if not live or client is None or not _in_kernel():
        display(image)
        return None
    handle = display(image, display_id=True)
    widget = ImageWidget(image, client=client, card_handle=handle)
    display(widget)
    return widget


# ---------------------------------------------------------------------------------------------
# The registration form
# ---------------------------------------------------------------------------------------------

#: The fields shown up front, in this order; every other request field goes under "More fields".
_BASIC_FIELDS = (
    "swr_path",
    "arch",
    "resource_category",
    "services",
    "service_type",
    "visibility",
    "origin",
    "workspace_id",
    "description",
)
_LABELS = {"swr_path": "SWR path", "workspace_id": "Workspace", "services": "Dev services"}
#: Multi-choice fields drawn as checkboxes with what each choice offers; others as toggle buttons.
_CHECKBOX_FIELDS = {"services": DEV_SERVICE_OFFERS}
_LONG_TEXT_FIELDS = {"description", "read_me"}
#: Service error codes that concern one field: shown next to it as well as above the buttons.
_CODE_FIELDS = {
    "ModelArts.2884": "swr_path",
    "ModelArts.2885": "swr_path",
    "ModelArts.2810": "swr_path",
    "ModelArts.6797": "swr_path",
    "ModelArts.6737": "swr_path",
    "ModelArts.0102": "workspace_id",
}
_LABEL_WIDTH = "150px"  # "Resource category" in bold fits on one line
# Text colours of middle lightness: about 4:1 contrast or better on white and on a dark theme alike.
# JupyterLab's theme colours where they exist (readable in light and dark themes), plain colours elsewhere.
_ERROR_STYLE = "color:var(--jp-error-color1, #d73a49);font-size:0.9em"
_OK_STYLE = "color:var(--jp-success-color1, #21883f);font-size:0.9em"
_HELP_STYLE = "opacity:0.7;font-size:0.9em"


class MultiChoice(widgets.HBox):
    """Several choices, any number of them on: a toggle button or a checkbox per choice; `value` a tuple."""

    value = traitlets.Tuple()

    def __init__(
        self, choices: Sequence[str], explain: Mapping[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.choices = tuple(choices)
        self.buttons: dict[str, widgets.ToggleButton | widgets.Checkbox] = {}
        for choice in self.choices:
            if explain is not None:
                offer = explain.get(choice)
                button: widgets.ToggleButton | widgets.Checkbox = widgets.Checkbox(
                    description=f"{choice}: {offer}" if offer else choice,
                    indent=False,
                    layout=widgets.Layout(width="auto", margin="0 16px 0 0"),
                )
            else:
                button = widgets.ToggleButton(description=choice, layout=widgets.Layout(width="auto"))
            button.observe(self._from_buttons, "value")
            self.buttons[choice] = button
        self.children = tuple(self.buttons.values())
        self._syncing = False

    def _from_buttons(self, _change: Any) -> None:
        if not self._syncing:
            self.value = tuple(choice for choice, button in self.buttons.items() if button.value)

    @traitlets.validate("value")
    def _check(self, proposal: Any) -> tuple[str, ...]:
        wanted = tuple(proposal["value"])
        unknown = [item for item in wanted if item not in self.choices]
        if unknown:
            raise traitlets.TraitError(f"{unknown[0]!r} is not one of {', '.join(self.choices)}")
        return tuple(choice for choice in self.choices if choice in wanted)

    @traitlets.observe("value")
    def _to_buttons(self, change: Any) -> None:
        self._syncing = True
        try:
            for choice, button in self.buttons.items():
                button.value = choice in change["new"]
        finally:
            self._syncing = False


def _field_widget(spec: FieldSpec, example: str | None) -> widgets.Widget:
    """The input widget for one field, chosen from its kind in the model's field rules."""
    wide = widgets.Layout(width="100%", max_width="640px")
    if spec.kind == "choice":
        return widgets.Dropdown(
            options=[("(default)", ""), *((choice, choice) for choice in spec.choices)],
            value="",
            layout=widgets.Layout(width="220px"),
        )
    if spec.kind == "multi":
        return MultiChoice(spec.choices, explain=_CHECKBOX_FIELDS.get(spec.name))
    placeholder = example or ("comma-separated, e.g. team-a, gpu" if spec.kind == "list" else "")
    if spec.name in _LONG_TEXT_FIELDS:
        return widgets.Textarea(
            placeholder=placeholder,
            continuous_update=True,
            layout=widgets.Layout(width="100%", max_width="640px", height="70px"),
        )
    return widgets.Text(placeholder=placeholder, continuous_update=True, layout=wide)


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " ").capitalize())


class RegisterImageForm(widgets.VBox):
    """A form for the register request: fields generated from the model, validated as you type.

    Headless use: `form.fields["swr_path"].value = "..."`, `form.register_button.click()`,
    `form.dry_run_button.click()`, `form.errors`, `form.values()`, and `form.image` after success.
    """

    def __init__(
        self,
        context: Any = None,
        client: Any = None,
        initial: Mapping[str, Any] | None = None,
        *,
        background: bool | None = None,
        follow_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.background = background
        self.follow_interval = follow_interval
        self.specs: list[FieldSpec] = field_specs()
        self.fields: dict[str, widgets.Widget] = {}
        self.notes: dict[str, widgets.HTML] = {}
        self.errors: dict[str, str] = {}
        self.service_error: str | None = None
        self.image: Image | None = None
        self.image_widget: ImageWidget | None = None
        self.last_request: RegisterImageRequest | None = None
        self.last_preview: dict[str, Any] | None = None
        self._client = client
        self._busy = False
        self._touched: set[str] = set()
        self._show_all = False
        self._service_field: str | None = None
        self._prefilled: dict[str, str] = {}
        self._rejected: dict[str, str] = {}  # a given value the field cannot hold: an error until edited

        example = RegisterImageRequest.model_fields["swr_path"].json_schema_extra
        swr_example = str(example["example"]) if isinstance(example, dict) and "example" in example else None
        rows: dict[str, widgets.Widget] = {}
        for spec in self.specs:
            field = _field_widget(spec, swr_example if spec.name == "swr_path" else None)
            self.fields[spec.name] = field
            note = widgets.HTML(layout=widgets.Layout(margin=f"0 0 2px {_LABEL_WIDTH}"))
            self.notes[spec.name] = note
            required = " *" if spec.required else ""
            label = widgets.HTML(
                f'<span title="{_esc(spec.description)}"><b>{_esc(_label(spec.name))}</b>{required}</span>',
                layout=widgets.Layout(width=_LABEL_WIDTH, min_width=_LABEL_WIDTH),
            )
            line: list[widgets.Widget] = [label, field]
            if spec.max_length:
                self.counter = widgets.HTML(layout=widgets.Layout(margin="0 0 0 6px", min_width="64px"))
                self._counted = spec.name
                line.append(self.counter)
            rows[spec.name] = widgets.VBox(
                [widgets.HBox(line, layout=widgets.Layout(align_items="flex-start")), note]
            )
            field.observe(self._changed(spec.name), "value")

        self.register_button = widgets.Button(
            description="Register", button_style="primary", icon="cloud-upload", disabled=True
        )
        self.dry_run_button = widgets.Button(
            description="Dry run", icon="eye", tooltip="Show the request without sending it", disabled=True
        )
        self.message = widgets.HTML()
        self.preview = widgets.Output(layout=widgets.Layout(width="100%"))
        self.result = widgets.VBox()
        self.register_button.on_click(self._on_register)
        self.dry_run_button.on_click(self._on_dry_run)

        basic = [rows[name] for name in _BASIC_FIELDS if name in rows]
        more = [row for name, row in rows.items() if name not in _BASIC_FIELDS]
        self.more = widgets.Accordion(
            children=[widgets.VBox(more)], selected_index=None, layout=widgets.Layout(max_width="800px")
        )
        self.more.set_title(0, "More fields (newer service versions)")
        self.header = widgets.HTML(self._header_html())
        buttons = widgets.HBox(
            [self.register_button, self.dry_run_button, self.message],
            layout=widgets.Layout(align_items="center", flex_flow="row wrap", margin="8px 0 0 0"),
        )
        self.children = (self.header, *basic, self.more, buttons, self.preview, self.result)

        self._prefill(initial or {})
        self.validate()

    # --- context ------------------------------------------------------------------------------

    def _context_get(self, name: str) -> Any:
        getter = getattr(self.context, "get", None)
        return getter(name) if callable(getter) else None

    def _context_source(self, name: str) -> str | None:
        source = getattr(self.context, "source", None)
        return source(name) if callable(source) else None

    def _header_html(self) -> str:
        """Where the image will be registered (endpoint, project, auth kind; never a credential)."""
        parts = ['<b style="font-size:1.1em">Register a ModelArts image</b>']
        endpoint = self._context_get("endpoint")
        if endpoint:
            where = "the local emulator" if getattr(self.context, "is_emulator", False) else _esc(endpoint)
            parts.append(f"at {where}")
        project = self._context_get("project_id")
        if project:
            parts.append(f"project <code>{_esc(project)}</code>")
        method = getattr(self.context, "auth_method", None)
        labels = {"aksk": "AK/SK signing", "token": "an IAM token", "password": "IAM user and password"}
        if method in labels:
            parts.append(f"with {labels[method]}")
        return (
            '<div style="margin-bottom:6px">'
            + " · ".join(parts)
            + f'<div style="{_HELP_STYLE}">Fields marked * are required; empty fields use the '
            "service's default. Hover over a label for what it means.</div></div>"
        )

    # --- values -------------------------------------------------------------------------------

    def _prefill(self, initial: Mapping[str, Any]) -> None:
        """Fill from the context (workspace), then `initial`; a bad initial value is shown, not raised."""
        unknown = [key for key in initial if key not in self.fields]
        if unknown:
            _, errors = validate_request({key: initial[key] for key in unknown})
            raise (
                errors[0]
                if errors
                else InvalidRequestError(
                    str(unknown[0]), initial[unknown[0]], "is not a form field", "remove it"
                )
            )
        workspace = self._context_get("workspace_id")
        if workspace not in (None, "") and "workspace_id" not in initial:
            self.fields["workspace_id"].value = str(workspace)
            source = self._context_source("workspace_id")
            self._prefilled["workspace_id"] = f"from {source}" if source else "from the context"
        for spec in self.specs:
            if spec.name not in initial or initial[spec.name] is None:
                continue
            value = initial[spec.name]
            try:
                self._set_field(spec, value)
            except (traitlets.TraitError, ValueError, TypeError):
                _, errors = validate_request({"swr_path": "x", spec.name: value})
                mine = [e for e in errors if e.field == spec.name]
                self._rejected[spec.name] = (
                    str(mine[0]) if mine else f"{spec.name} {value!r}: is not allowed here; choose a value"
                )
                self._touched.add(spec.name)

    def _set_field(self, spec: FieldSpec, value: Any) -> None:
        field = self.fields[spec.name]
        if spec.kind == "choice":
            text = str(value).strip().upper().replace("-", "_")
            if text not in spec.choices:
                raise ValueError(text)
            field.value = text
        elif spec.kind == "multi":
            items = value.split(",") if isinstance(value, str) else list(value)
            field.value = tuple(str(item).strip().upper() for item in items if str(item).strip())
        elif spec.kind == "list":
            items = [value] if isinstance(value, str) else list(value)
            field.value = ", ".join(str(item) for item in items)
        else:
            if isinstance(value, (dict, list, tuple, bool)):
                raise TypeError(value)
            field.value = str(value)
        self._touched.add(spec.name)

    def values(self) -> dict[str, Any]:
        """The request as typed: only the fields that were filled in (empty means the service default)."""
        out: dict[str, Any] = {}
        for spec in self.specs:
            value = self.fields[spec.name].value
            if spec.kind == "choice":
                if value:
                    out[spec.name] = value
            elif spec.kind == "multi":
                if value:
                    out[spec.name] = list(value)
            elif spec.kind == "list":
                items = [item.strip() for item in value.split(",") if item.strip()]
                if items:
                    out[spec.name] = items
            elif value.strip():
                out[spec.name] = value
        return out

    # --- validation ---------------------------------------------------------------------------

    def _changed(self, name: str) -> Callable[[Any], None]:
        def on_change(_change: Any) -> None:
            self._touched.add(name)
            self._prefilled.pop(name, None)
            self._rejected.pop(name, None)
            if self._service_field == name:
                self._service_field = None
            self.validate()

        return on_change

    def validate(self) -> RegisterImageRequest | None:
        """Check every field now (fast enough for each keystroke); update the notes and the buttons."""
        request, problems = validate_request(self.values())
        self.errors = {**self._rejected, **{problem.field: str(problem) for problem in problems}}
        by_field = {problem.field: problem for problem in problems}
        for name, note in self.notes.items():
            problem = by_field.get(name)
            if problem is not None and (self._show_all or name in self._touched):
                text = f'<span style="{_ERROR_STYLE}">⚠ {_esc(problem.problem)}; {_esc(problem.fix)}</span>'
            elif name in self._rejected:
                rejected = _esc(self._rejected[name])
                text = f'<span style="{_ERROR_STYLE}">⚠ ignored the given value: {rejected}</span>'
            elif name == self._service_field and self.service_error:
                text = f'<span style="{_ERROR_STYLE}">⚠ {_esc(self.service_error)}</span>'
            elif name in self._prefilled:
                text = f'<span style="{_HELP_STYLE}">{_esc(self._prefilled[name])}</span>'
            elif name == "swr_path" and problem is None:
                text = self._swr_note()
            else:
                text = ""
            if note.value != text:
                note.value = text
        self._update_counter()
        self._update_buttons(invalid=bool(self.errors))
        if self._rejected:
            request = None  # the value given for a field was not taken: register nothing until it is fixed
        self.last_request = request
        return request

    def _swr_note(self) -> str:
        swr = parse_swr_path(self.fields["swr_path"].value)
        registry = f"registry {_esc(swr.registry)}, " if swr.registry else ""
        return (
            f'<span style="{_OK_STYLE}">✓ {registry}namespace <b>{_esc(swr.namespace)}</b>, '
            f"image <b>{_esc(swr.name)}</b>, tag <b>{_esc(swr.tag)}</b></span>"
        )

    def _update_counter(self) -> None:
        counter = getattr(self, "counter", None)
        if counter is None:
            return
        spec = next(s for s in self.specs if s.name == self._counted)
        used = len(self.fields[spec.name].value)
        limit = spec.max_length or 0
        style = _ERROR_STYLE if used > limit else _HELP_STYLE
        text = f'<span style="{style}">{used}/{limit}</span>'
        if counter.value != text:
            counter.value = text

    def _update_buttons(self, invalid: bool) -> None:
        disabled = invalid or self._busy
        self.register_button.disabled = disabled
        self.dry_run_button.disabled = disabled

    @property
    def busy(self) -> bool:
        """True while a registration is in flight."""
        return self._busy

    @property
    def counter_text(self) -> str:
        """The description counter as shown, e.g. '12/512'."""
        counter = getattr(self, "counter", None)
        return _strip_tags(counter.value) if counter is not None else ""

    @property
    def message_text(self) -> str:
        """The message above the result, as plain text."""
        return _strip_tags(self.message.value)

    # --- actions ------------------------------------------------------------------------------

    def client(self) -> Any:
        """The client to register with: the one given, else the context's (built on first use)."""
        if self._client is None:
            if self.context is None:
                raise ConfigurationError(
                    "the form has no client or context: pass RegisterImageForm(context=...) or client=..."
                )
            self._client = self.context.client()
        return self._client

    def _say(self, text: str, kind: str = "info") -> None:
        style = {"error": _ERROR_STYLE, "ok": _OK_STYLE}.get(kind, _HELP_STYLE)
        self.message.value = f'<span style="{style};margin-left:8px">{_esc(text)}</span>' if text else ""

    def _ready(self) -> RegisterImageRequest | None:
        """The request when every field is valid; otherwise every error is shown and None returned."""
        self._show_all = True
        request = self.validate()
        if request is None:
            count = len(self.errors)
            self._say(f"fix the {count} field{'s' if count != 1 else ''} marked below", "error")
        return request

    def _on_register(self, _button: Any = None) -> None:
        if self._busy:
            return
        request = self._ready()
        if request is None:
            return
        try:
            client = self.client()
        except ModelArtsMagicError as error:
            self._say(str(error), "error")
            return
        self.service_error = None
        self._service_field = None
        self._busy = True
        self._update_buttons(invalid=False)
        self._say("registering…")
        _run(lambda: _call_client(client.register_image, request), self._registered, self.background)

    def _registered(self, result: Any, error: BaseException | None) -> None:
        try:
            if error is not None:
                self._failed(error)
                return
            image = _as_image(result if not hasattr(result, "image") else result.image)
            self.image = image
            self.image_widget = ImageWidget(
                image, client=self._client, interval=self.follow_interval, background=self.background
            )
            self.result.children = (self.image_widget,)
            self._say(f"registered {image.display_name} (id {image.id})", "ok")
        finally:
            self._busy = False
            self.validate()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, InvalidRequestError):
            self.service_error = f"{error.problem}; {error.fix}"
            self._service_field = error.field if error.field in self.fields else None
        elif isinstance(error, APIError):
            self.service_error = str(error)
            self._service_field = _CODE_FIELDS.get(error.error_code or "")
        else:
            self.service_error = _error_text(error)
            self._service_field = None
        self._say(self.service_error, "error")

    def _on_dry_run(self, _button: Any = None) -> None:
        request = self._ready()
        if request is None:
            return
        try:
            client = self.client()
            built = client.build_register_request(request)
            description = client.describe_request(built)
        except ModelArtsMagicError as error:
            self._say(str(error), "error")
            return
        self.last_preview = dict(description)
        self.preview.outputs = _outputs(request_preview(description))
        self._say("dry run: the request is shown below; nothing was sent")


def _strip_tags(markup: str) -> str:
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def iter_widgets(root: widgets.Widget) -> Iterable[widgets.Widget]:
    """Every widget under `root` (children, Output outputs aside), root first; for state checks."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        widget = stack.pop()
        if widget.model_id in seen:
            continue
        seen.add(widget.model_id)
        yield widget
        for name in widget.keys:
            value = getattr(widget, name, None)
            items = value if isinstance(value, (list, tuple)) else [value]
            stack.extend(item for item in items if isinstance(item, widgets.Widget))
