"""The magics `%%register_image`, `%register_image_form` and `%modelarts`: parse, resolve, call, display.

Loading is cheap: this module imports only IPython, traitlets and the standard library. The body
parser (yaml), the models (pydantic), the client (httpx), the widgets and the emulator are
imported on first use. There is no HTTP code here: the client does that.

Every user mistake (bad option, bad body, bad field value, missing setting) and every service error
becomes a `UsageError` *instance*, so IPython prints one line and no traceback (ipython#14024).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import html
import keyword
import shlex
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, CaselessStrEnum, Float, TraitError, Unicode, Union, validate

if TYPE_CHECKING:
    from .context import Context
    from .models import Image

__all__ = ["ImageList", "RegisterImageMagics", "load_ipython_extension"]

_CONTEXT_OPTIONS = (
    ("--endpoint", "endpoint", "ModelArts endpoint URL (overrides the context)"),
    ("--region", "region", "region, e.g. eu-de; the endpoints are derived from it"),
    ("--project-id", "project_id", "project ID (overrides the context)"),
    ("--workspace-id", "workspace_id", "workspace ID (put into the request when the body gives none)"),
)
_KEPT_CONTEXTS = 4
CONFIG_CLASS = "RegisterImageMagics"
_TRAIT_EXAMPLES = {"timeout": 60, "wait_timeout": 600, "poll_interval": 5}


class _HelpShown(Exception):
    """argparse printed the help (-h): nothing else to do."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises a one-line `UsageError` instead of printing usage and exiting."""

    def __init__(self, prog: str, **kwargs: Any) -> None:
        super().__init__(prog=prog, allow_abbrev=False, **kwargs)

    def error(self, message: str) -> NoReturn:
        known = [opt for action in self._actions for opt in action.option_strings]
        hint = ""
        if "unrecognized arguments" in message:
            for word in message.split(":", 1)[-1].split():
                close = (
                    difflib.get_close_matches(word, known, n=1, cutoff=0.6) if word.startswith("-") else []
                )
                if close:
                    hint = f" (did you mean {close[0]}?)"
                    break
        raise UsageError(f"{self.prog}: bad option: {message}{hint}; see {self.prog} -h")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise _HelpShown()

    def parse(self, line: str) -> argparse.Namespace:
        """Split `line` as a shell would and parse it."""
        try:
            words = shlex.split(line, posix=True)
        except ValueError as err:
            raise UsageError(f"{self.prog}: bad option line: {err}; close the quote") from None
        return self.parse_args(words)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of seconds")
    return value


def _wait_seconds(text: str) -> float:
    """`--wait`'s limit in the line form, where a misplaced SWR_PATH is the likely mistake."""
    try:
        return _positive_seconds(text)
    except argparse.ArgumentTypeError:
        if any(char.isalpha() for char in text) or "/" in text:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds; put SWR_PATH before --wait, "
                "or give --wait a number of seconds"
            ) from None
        raise


def _python_name(text: str) -> str:
    if not text.isidentifier() or keyword.iskeyword(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Python variable name; use e.g. -o img")
    return text


def _add_context_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("context (overrides %config, environment and files)")
    for flag, dest, help_text in _CONTEXT_OPTIONS:
        group.add_argument(flag, dest=dest, metavar=dest.upper(), help=help_text)


_FIELD_FLAGS: dict[str, str] = {}
_parsers: dict[str, _Parser] = {}


def _register_parser(line_form: bool) -> _Parser:
    """The option parser of `%register_image` / `%%register_image`, field options read from the models."""
    key = "line" if line_form else "cell"
    if key in _parsers:
        return _parsers[key]
    from .models import field_specs

    prog = "%register_image" if line_form else "%%register_image"
    parser = _Parser(
        prog,
        description="Register an SWR image with ModelArts Image Management.",
        epilog="The cell form's body is YAML or JSON with the API's field names; "
        "{{ name }} fills a value from the notebook.",
    )
    if line_form:
        parser.add_argument("swr_path", metavar="SWR_PATH", nargs="?", help="host/namespace/name:tag")
    parser.add_argument("--dry-run", action="store_true", help="show the exact request; send nothing")
    parser.add_argument(
        "--wait",
        nargs="?",
        const=-1.0,
        type=_wait_seconds if line_form else _positive_seconds,
        metavar="SECONDS",
        help="wait until ACTIVE (default limit: %%config RegisterImageMagics.wait_timeout)",
    )
    parser.add_argument(
        "-o",
        "--out",
        type=_python_name,
        metavar="NAME",
        help="store the Image as NAME (with --form: the form; NAME.image holds the Image once registered)",
    )
    parser.add_argument("--form", action="store_true", help="open the registration form, prefilled")
    _add_context_options(parser)
    fields = parser.add_argument_group("fields (override nothing: a field is given once)")
    for spec in field_specs():
        if spec.name in ("swr_path", "workspace_id"):
            continue
        flag = "--" + spec.name.replace("_", "-")
        _FIELD_FLAGS[spec.name] = flag
        if spec.kind == "choice":
            metavar = "|".join(spec.choices)
        elif spec.kind == "multi":
            metavar = ",".join(spec.choices)
        elif spec.kind == "list":
            metavar = "A,B"
        else:
            metavar = "TEXT"
        fields.add_argument(flag, dest=f"field_{spec.name}", metavar=metavar, help=spec.description)
    _FIELD_FLAGS["workspace_id"] = "--workspace-id"
    _parsers[key] = parser
    return parser


@contextlib.contextmanager
def _user_errors(secrets: Callable[[], tuple[Any, ...]] = tuple) -> Iterator[None]:
    """Turn our errors into one-line `UsageError`s (no traceback), with any secret redacted."""
    from .exceptions import ModelArtsMagicError

    try:
        yield
    except ModelArtsMagicError as err:
        from .masking import redact

        raise UsageError(redact(str(err), *secrets())) from None


class ImageList(list[Any]):
    """A list of Images that displays as a table (HTML and text)."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from .display import images_table

        return images_table(list(self))

    def __repr__(self) -> str:
        return str(self._repr_mimebundle_().get("text/plain", super().__repr__()))


def _table(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], note: str = ""
) -> dict[str, str]:
    """A small table as text/plain and text/html (every cell escaped)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    if note:
        lines.append(note)
    cells = "".join(
        "<tr>" + "".join(f'<td style="text-align:left">{html.escape(c)}</td>' for c in row) + "</tr>"
        for row in rows
    )
    head = "".join(f'<th style="text-align:left">{html.escape(h)}</th>' for h in headers)
    note_html = f"<p>{html.escape(note)}</p>" if note else ""
    markup = (
        f'<div class="modelarts-context"><strong>{html.escape(title)}</strong>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>{note_html}</div>"
    )
    return {"text/plain": "\n".join(lines), "text/html": markup}


def _display(bundle: Mapping[str, Any], **kwargs: Any) -> Any:
    from IPython.display import display

    return display(dict(bundle), raw=True, **kwargs)


def _show_text(text: str) -> None:
    _display({"text/plain": text})


@magics_class
class RegisterImageMagics(Magics):
    """Register custom images with ModelArts from a notebook; settings via `%config RegisterImageMagics`."""

    endpoint = Unicode(None, allow_none=True, help="ModelArts endpoint URL (else derived from region)").tag(
        config=True
    )
    region = Unicode(None, allow_none=True, help="Region, e.g. eu-de or cn-north-4").tag(config=True)
    project_id = Unicode(None, allow_none=True, help="Project ID").tag(config=True)
    workspace_id = Unicode(None, allow_none=True, help="Workspace ID used when the body gives none").tag(
        config=True
    )
    iam_endpoint = Unicode(None, allow_none=True, help="IAM endpoint URL (else derived)").tag(config=True)
    cloud = CaselessStrEnum(
        ["otc", "huaweicloud"], None, allow_none=True, help="Cloud family, to derive endpoints for any region"
    ).tag(config=True)
    os_cloud = Unicode(None, allow_none=True, help="Cloud name in clouds.yaml (else OS_CLOUD)").tag(
        config=True
    )
    timeout = Float(None, allow_none=True, help="Seconds to wait for each HTTP answer (default 30)").tag(
        config=True
    )
    wait_timeout = Float(None, allow_none=True, help="Seconds --wait waits for ACTIVE (default 300)").tag(
        config=True
    )
    poll_interval = Float(
        None, allow_none=True, help="Longest pause between two status checks while waiting (default 5)"
    ).tag(config=True)
    verify = Union(
        [Bool(), Unicode()],
        default_value=None,
        allow_none=True,
        help="TLS verification: True, False or a CA path",
    ).tag(config=True)
    allow_insecure_http = Bool(
        None, allow_none=True, help="Allow plain http:// to a non-loopback endpoint (default False)"
    ).tag(config=True)

    @validate("timeout", "wait_timeout", "poll_interval")
    def _positive(self, proposal: Any) -> float | None:
        """Seconds must be positive: 0 would poll without a pause, a negative value crash the wait."""
        value = proposal["value"]
        if value is not None and not 0 < value < 10**7:
            name = proposal["trait"].name
            raise TraitError(
                f"{CONFIG_CLASS}.{name} = {value!r} is not a positive number of seconds; "
                f"e.g. %config {CONFIG_CLASS}.{name} = {_TRAIT_EXAMPLES[name]}"
            )
        return value

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._contexts: dict[str, Context] = {}
        self._emulator: Any = None
        self._emulator_settings: dict[str, Any] | None = None

    @property
    def _user_ns(self) -> dict[str, Any]:
        """The notebook's variables (an empty dict without a shell)."""
        return self.shell.user_ns if self.shell is not None else {}

    # -- context -------------------------------------------------------------------------------------

    def context(self, options: Mapping[str, Any] | None = None) -> Context:
        """The resolved settings (options > emulator > %config > env > files > notebook); reuses clients."""
        from .context import resolve_context, trait_config

        with _user_errors():
            fresh = resolve_context(options or {}, trait_config(self), emulator=self._emulator_settings)
        known = self._contexts.pop(fresh.fingerprint, None)
        context = known or fresh
        self._contexts[context.fingerprint] = context  # most recent last
        while len(self._contexts) > _KEPT_CONTEXTS:
            oldest = next(iter(self._contexts))
            self._contexts.pop(oldest).close()
        return context

    def _client(self, context: Context) -> Any:
        with _user_errors(lambda: _secrets_of(context)):
            return context.client()

    # -- %%register_image --------------------------------------------------------------------------------

    @no_var_expand  # lines are taken as written: {{ name }} is ours, and '$' stays '$'
    @line_cell_magic
    def register_image(self, line: str = "", cell: str | None = None) -> Any:
        """Register an SWR image: `%register_image SWR_PATH [options]`, or a YAML/JSON cell body.

        Options: --dry-run, --wait [SECONDS], -o NAME, --form, --endpoint, --region, --project-id,
        --workspace-id, and the field options (--arch, --resource-category, --services, ...).
        `-o NAME` stores the Image (with --dry-run: the request; with --form: the form, whose
        `.image` holds the Image once registered).
        Use `%register_image -h` for all of them.
        """
        line_form = cell is None
        from .cellbody import tokenise_placeholders, untokenise_placeholders

        # `%register_image {{ path }} --wait`: a placeholder is one word, filled later as data
        tokenised, tokens = tokenise_placeholders(line)
        try:
            args = _register_parser(line_form).parse(tokenised)
        except _HelpShown:
            return None
        for name, value in vars(args).items():
            if isinstance(value, str):
                setattr(args, name, untokenise_placeholders(value, tokens))
        options = {dest: getattr(args, dest) for _, dest, _ in _CONTEXT_OPTIONS}
        data, from_options = self._request_data(args, cell, line_form)
        context = self.context(options)
        workspace = context.get("workspace_id")
        if workspace is not None and "workspace_id" not in data:
            data["workspace_id"] = workspace
            if context.source("workspace_id") == "option --workspace-id":
                from_options["workspace_id"] = "--workspace-id"

        if args.form:
            with _user_errors():
                return self._open_form(context, data, args.out)

        from .exceptions import InvalidRequestError
        from .models import RegisterImageRequest

        try:
            request = RegisterImageRequest.from_user(data)
        except InvalidRequestError as err:
            flag = from_options.get(err.field)
            if flag:
                raise UsageError(f"option {flag} {_short(err.value)}: {err.problem}; {err.fix}") from None
            raise UsageError(str(err)) from None

        client = self._client(context)
        secrets = lambda: _secrets_of(context)  # noqa: E731 - a closure over this call's context
        if args.dry_run:
            with _user_errors(secrets):
                described = client.describe_request(client.build_register_request(request))
            self._show_request(described, context)
            if args.out:
                self._user_ns[args.out] = described
            return None

        with _user_errors(secrets):
            image = client.register_image(request)
        if args.out:
            self._user_ns[args.out] = image
        if args.wait is not None:
            limit = args.wait if args.wait > 0 else float(context.get("wait_timeout", 300.0))
            image = self._wait(client, context, image, limit, args.out, "--wait SECONDS")
        return self._present(image, client)

    def _request_data(
        self, args: argparse.Namespace, cell: str | None, line_form: bool
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The request's fields from the body (or SWR_PATH) and the field options; which came from options."""
        from .cellbody import parse_body, parse_option_value
        from .exceptions import InvalidRequestError

        namespace = self._user_ns
        from_options: dict[str, str] = {}
        try:
            if line_form:
                if not args.swr_path:
                    raise UsageError(
                        "%register_image: option SWR_PATH is missing; write %register_image "
                        "swr.<region>.../namespace/name:tag [options], or use the %%register_image cell form"
                    )
                data: dict[str, Any] = {"swr_path": parse_option_value(args.swr_path, namespace, "swr_path")}
                from_options["swr_path"] = "SWR_PATH"
            else:
                data = parse_body(cell or "", namespace)
                if not data and not args.form:
                    raise UsageError(
                        "body: is empty; write one 'field: value' per line, e.g. "
                        "swr_path: swr.eu-de.otc.t-systems.com/my-team/my-image:1.0"
                    )
            for name, flag in _FIELD_FLAGS.items():
                text = getattr(args, f"field_{name}", None)
                if text is None:
                    continue
                if name in data:
                    raise UsageError(
                        f"option {flag}: {name} is also given in the body; give it once (body or option)"
                    )
                data[name] = parse_option_value(text, namespace, name)
                from_options[name] = flag
        except InvalidRequestError as err:
            raise UsageError(str(err)) from None
        given = args.workspace_id
        if given is not None and str(data.get("workspace_id", given.strip())) != given.strip():
            raise UsageError("option --workspace-id: workspace_id is also given in the body; give it once")
        return data, from_options

    def _wait(
        self, client: Any, context: Context, image: Image, limit: float, out: str | None, option: str
    ) -> Image:
        """Wait for ACTIVE with one progress line updated in place; failures are one-line UsageErrors.

        `option` is how the user raises the limit in the command that waits (`--wait SECONDS`).
        """
        from .exceptions import ImageStateError, WaitTimeoutError

        started = time.monotonic()
        name = image.display_name
        handle = _display({"text/plain": f"Waiting for {name}: {image.status_text}"}, display_id=True)

        def progress(current: Image) -> None:
            elapsed = time.monotonic() - started
            text = f"Waiting for {name}: {current.status_text} ({elapsed:.0f} s of at most {limit:.0f} s)"
            if handle is not None:
                handle.update({"text/plain": text}, raw=True)

        with _user_errors(lambda: _secrets_of(context)):
            try:
                final: Image = client.wait_until_active(
                    image.id,
                    timeout=limit,
                    poll_interval=float(context.get("poll_interval", 5.0)),
                    on_progress=progress,
                )
            except ImageStateError as err:
                last = err.image or image
                if out:
                    self._user_ns[out] = last
                if handle is not None:
                    handle.update({"text/plain": f"{name}: {last.status_text}"}, raw=True)
                if isinstance(err, WaitTimeoutError):
                    raise UsageError(
                        f"image {name} ({last.id}) is still {last.status_text} after {limit:g} s; "
                        f"`%modelarts wait {last.id}` keeps waiting, or raise the limit with {option}"
                    ) from None
                raise _not_active(last) from None
        if handle is not None:
            elapsed = time.monotonic() - started
            handle.update({"text/plain": f"{name}: {final.status_text} after {elapsed:.0f} s"}, raw=True)
        if out:
            self._user_ns[out] = final
        return final

    def _present(self, image: Image, client: Any) -> Image | None:
        """Return the image (Out shows it); in a kernel, show the live widget instead and return None."""
        if getattr(self.shell, "kernel", None) is None:
            return image
        try:
            from .widgets import show_image
        except ImportError:  # no ipywidgets: the plain display is enough
            return image
        show_image(image, client=client)  # displays the widget, or the card when it cannot
        return None

    def _show_request(self, described: Mapping[str, Any], context: Context) -> None:
        title = "Dry run: nothing was sent"
        if context.is_emulator:
            title += " (endpoint: the local emulator, not the real cloud)"
        try:
            from .display import request_preview
        except ImportError:  # the display module is optional for this text
            import json

            lines = [f"{described['method']} {described['url']}"]
            lines += [f"{k}: {v}" for k, v in dict(described.get("headers") or {}).items()]
            lines += ["", json.dumps(described.get("body"), indent=1, ensure_ascii=False)]
            _show_text(title + "\n" + "\n".join(lines))
            return
        _display(request_preview(described, title=title))

    def _open_form(self, context: Context, data: Mapping[str, Any], out: str | None) -> Any:
        """Display the registration form, prefilled from `data`; `out` names the form (its `.image`)."""
        from .widgets import RegisterImageForm

        form = RegisterImageForm(context=context, initial=dict(data))
        if out:
            self._user_ns[out] = form
            _show_text(f"{out} is the form; {out}.image holds the registered Image once it is done.")
        _display_widget(form)
        return None

    # -- %register_image_form ------------------------------------------------------------------------

    @no_var_expand
    @line_magic
    def register_image_form(self, line: str = "") -> Any:
        """Open the registration form (ipywidgets); `-o NAME` stores the form (`NAME.image`: the Image)."""
        parser = _Parser("%register_image_form", description="Open the registration form.")
        parser.add_argument(
            "-o",
            "--out",
            type=_python_name,
            metavar="NAME",
            help="store the form as NAME; NAME.image holds the Image once registered",
        )
        _add_context_options(parser)
        try:
            args = parser.parse(line)
        except _HelpShown:
            return None
        options = {dest: getattr(args, dest) for _, dest, _ in _CONTEXT_OPTIONS}
        context = self.context(options)
        with _user_errors():
            return self._open_form(context, {}, args.out)

    # -- %modelarts ----------------------------------------------------------------------------------------

    @no_var_expand
    @line_magic
    def modelarts(self, line: str = "") -> Any:
        """ModelArts images from the notebook: context, images, show, wait, delete, emulator, help."""
        parts = line.strip().split(None, 1)
        command = parts[0] if parts else "context"
        rest = parts[1] if len(parts) > 1 else ""
        handler = _COMMANDS.get(command)
        if handler is None:
            close = difflib.get_close_matches(command, list(_COMMANDS), n=1)
            better = f"did you mean {close[0]}? " if close else ""
            raise UsageError(
                f"%modelarts: unknown command {command!r}; {better}use one of {', '.join(_COMMANDS)}"
            )
        try:
            return handler(self, rest)
        except _HelpShown:
            return None

    def _cmd_context(self, rest: str) -> Any:
        parser = _Parser("%modelarts context", description="Show every setting and where it came from.")
        _add_context_options(parser)
        args = parser.parse(rest)
        from .context import resolve_context, trait_config

        # lenient: one bad setting is shown as the note below the table, not raised
        options = {dest: getattr(args, dest) for _, dest, _ in _CONTEXT_OPTIONS}
        context = resolve_context(options, trait_config(self), emulator=self._emulator_settings, lenient=True)
        note = ""
        if context.problem:
            note = f"Not ready: {context.problem}"
        elif context.is_emulator:
            note = (
                "The endpoint is the local emulator, NOT the real cloud: "
                "`%modelarts emulator --stop` leaves it."
            )
        else:
            try:
                context.client_kwargs()
            except Exception as err:  # any problem is shown here, not raised
                note = f"Not ready: {err}"
        _display(
            _table(
                "ModelArts context (options > emulator > %config > env > files > notebook)",
                ("setting", "value", "source"),
                context.describe(),
                note,
            )
        )
        return None

    def _cmd_images(self, rest: str) -> Any:
        from .models import ImageListQuery

        parser = _Parser("%modelarts images", description="List images as a table.")
        for name in ImageListQuery.model_fields:
            if name == "workspace_id":
                continue
            parser.add_argument("--" + name.replace("_", "-"), dest=f"filter_{name}", metavar="VALUE")
        parser.add_argument("-o", "--out", type=_python_name, metavar="NAME", help="store the list as NAME")
        _add_context_options(parser)
        args = parser.parse(rest)
        options = {dest: getattr(args, dest) for _, dest, _ in _CONTEXT_OPTIONS}
        context = self.context(options)
        filters = {
            name: getattr(args, f"filter_{name}")
            for name in ImageListQuery.model_fields
            if getattr(args, f"filter_{name}", None) is not None
        }
        if context.get("workspace_id") is not None:
            filters["workspace_id"] = context.get("workspace_id")
        client = self._client(context)
        with _user_errors(lambda: _secrets_of(context)):
            query = ImageListQuery.from_user(filters)
            wanted = query.model_dump(mode="json", exclude_none=True)
            images = client.list_images(**wanted)
            limit = query.limit
            found = (
                ImageList(img for _, img in zip(range(limit), images, strict=False))
                if limit
                else ImageList(images)
            )
        if args.out:
            self._user_ns[args.out] = found
        return found

    def _image_command(self, prog: str, rest: str, extra: Callable[[_Parser], None] | None = None) -> Any:
        parser = _Parser(prog)
        parser.add_argument("image_id", metavar="ID", help="the image's ID")
        if extra:
            extra(parser)
        _add_context_options(parser)
        from .cellbody import fill_placeholders, tokenise_placeholders

        # `%modelarts show {{ img.id }}`: the ID may come from a Python value, filled in as data
        tokenised, tokens = tokenise_placeholders(rest)
        args = parser.parse(tokenised)
        from .models import Image

        with _user_errors():
            image_id = fill_placeholders(args.image_id, tokens, self._user_ns, field="ID")
        if isinstance(image_id, Image):  # `%modelarts show {{ img }}`: the Image itself
            image_id = image_id.id
        if not isinstance(image_id, str) or not image_id.strip():
            simple = isinstance(image_id, (str, int, float)) or image_id is None
            shown = _short(image_id) if simple else f"a {type(image_id).__name__}"
            raise UsageError(f"ID: {shown} is not an image ID; give the image's id, e.g. {{{{ img.id }}}}")
        args.image_id = image_id.strip()
        context = self.context({dest: getattr(args, dest) for _, dest, _ in _CONTEXT_OPTIONS})
        return args, context, self._client(context)

    def _cmd_show(self, rest: str) -> Any:
        args, context, client = self._image_command("%modelarts show", rest)
        with _user_errors(lambda: _secrets_of(context)):
            image = client.get_image(args.image_id)
        return image

    def _cmd_wait(self, rest: str) -> Any:
        def extra(parser: _Parser) -> None:
            parser.add_argument("--timeout", type=_positive_seconds, metavar="SECONDS")
            parser.add_argument("-o", "--out", type=_python_name, metavar="NAME")

        args, context, client = self._image_command("%modelarts wait", rest, extra)
        with _user_errors(lambda: _secrets_of(context)):
            image = client.get_image(args.image_id)
        if args.out:
            self._user_ns[args.out] = image
        if image.status == "ACTIVE":
            return image
        if image.is_final:
            raise _not_active(image)
        limit = args.timeout or float(context.get("wait_timeout", 300.0))
        return self._wait(client, context, image, limit, args.out, "--timeout SECONDS")

    def _cmd_delete(self, rest: str) -> Any:
        def extra(parser: _Parser) -> None:
            parser.add_argument("--force", action="store_true", help="also delete the image from SWR")
            parser.add_argument("--yes", action="store_true", help="confirm deleting a PUBLIC image")

        args, context, client = self._image_command("%modelarts delete", rest, extra)
        with _user_errors(lambda: _secrets_of(context)):
            image = client.get_image(args.image_id)
            if str(image.visibility or "").upper() == "PUBLIC" and not args.yes:
                raise UsageError(
                    f"%modelarts delete: image {image.display_name} ({image.id}) is PUBLIC, others may "
                    f"use it; add --yes to delete it: %modelarts delete {image.id} --yes"
                )
            deleted = client.delete_image(image.id, force=args.force)
        what = " and its SWR content" if args.force else ""
        _show_text(f"Deleted image {image.display_name} ({image.id}){what}.")
        return deleted

    def _cmd_emulator(self, rest: str) -> Any:
        parser = _Parser("%modelarts emulator", description="Use a local ModelArts emulator (not the cloud).")
        parser.add_argument("--stop", action="store_true", help="stop it; go back to the configured cloud")
        args = parser.parse(rest)
        if args.stop:
            if self._emulator is None:
                _show_text("No local emulator was running; nothing to stop.")
                return None
            self.stop_emulator()
            _show_text("Stopped the local emulator; the context is back to your configured settings.")
            return None
        url = self.start_emulator()
        _show_text(
            f"Started the local ModelArts emulator at {url}. This is NOT the real cloud: images "
            "registered here exist only in this Python process, with demo credentials. "
            "`%modelarts emulator --stop` goes back to your configured cloud."
        )
        return None

    def _cmd_help(self, rest: str) -> Any:
        _show_text(_HELP)
        return None

    # -- the emulator ------------------------------------------------------------------------------------

    def start_emulator(self) -> str:
        """Start the embedded emulator (once) and point the context at it; its URL."""
        if self._emulator is None:
            from .emulator import DEMO, Emulator

            self._emulator = Emulator().start()
            self._emulator_settings = {
                "endpoint": self._emulator.url,
                "iam_endpoint": self._emulator.iam_url,
                "region": DEMO.region,
                "project_id": DEMO.project_id,
                "ak": DEMO.ak,
                "sk": DEMO.sk,
            }
        return str(self._emulator.url)

    def stop_emulator(self) -> None:
        """Stop the embedded emulator and drop its settings from the context."""
        emulator, self._emulator = self._emulator, None
        self._emulator_settings = None
        for context in [c for c in self._contexts.values() if c.is_emulator]:
            self._contexts.pop(context.fingerprint, None)
            context.close()
        if emulator is not None:
            emulator.stop()


def _not_active(image: Image) -> UsageError:
    """The one-line error for an image that ended in a state other than ACTIVE (failed or deleted)."""
    name = image.display_name
    if image.is_failed:
        message = image.status_message or "no status message"
        return UsageError(
            f"image {name} ({image.id}) ended in {image.status_text}: {message}; fix the "
            f"image in SWR, then `%modelarts delete {image.id}` and register it again"
        )
    return UsageError(
        f"image {name} ({image.id}) is {image.status_text}, it will not become ACTIVE; "
        "register it again with %register_image"
    )


def _short(value: Any) -> str:
    from .exceptions import shorten

    return shorten(value)


def _secrets_of(context: Context) -> tuple[Any, ...]:
    return tuple(context.get(name) for name in ("sk", "password", "token", "security_token"))


def _display_widget(widget: Any) -> None:
    from IPython.display import display

    display(widget)


_COMMANDS: dict[str, Callable[[RegisterImageMagics, str], Any]] = {
    "context": RegisterImageMagics._cmd_context,
    "images": RegisterImageMagics._cmd_images,
    "show": RegisterImageMagics._cmd_show,
    "wait": RegisterImageMagics._cmd_wait,
    "delete": RegisterImageMagics._cmd_delete,
    "emulator": RegisterImageMagics._cmd_emulator,
    "help": RegisterImageMagics._cmd_help,
}

_HELP = """\
modelarts-magic: register custom images with ModelArts Image Management.

  %%register_image [--dry-run] [--wait [SECONDS]] [-o NAME] [--endpoint URL] [--region R] ...
  swr_path: swr.eu-de.otc.t-systems.com/my-team/my-image:1.0
  description: {{ text }}            # {{ name }} fills a value from the notebook, as data

  %register_image SWR_PATH [--arch ..] [--resource-category CPU,GPU] [--services NOTEBOOK,SSH] ...
  %register_image_form               the same as a form

  %modelarts [context]               every setting, its (masked) value and where it came from
  %modelarts images [--name N] [--namespace NS] [--type T] [--service-type S] [--limit N]
  %modelarts show ID                 one image
  %modelarts wait ID [--timeout S]   wait until ACTIVE
  %modelarts delete ID [--force] [--yes]   delete (PUBLIC images need --yes)
  %modelarts emulator [--stop]       a local emulator (NOT the real cloud), demo credentials
  %modelarts help                    this text

Settings: options > %modelarts emulator > %config RegisterImageMagics.<trait> > environment
(MODELARTS_*, HUAWEICLOUD_SDK_*, OS_*) > ~/.huaweicloud/credentials, clouds.yaml > notebook.
Each command takes -h for its options."""


def load_ipython_extension(ip: Any) -> None:
    """Register the magics with IPython (`%load_ext modelarts_magic`)."""
    ip.register_magics(RegisterImageMagics(shell=ip))
