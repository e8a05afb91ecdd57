"""The ModelArts image API as pydantic models: the one place where the API's field rules live.

`RegisterImageRequest` is strict about what a user may send (and says how to fix it); `Image` is
lenient about what the service answers (lower-case `arch`, unknown enum values, extra fields and
missing fields are all kept or tolerated, as the real service's quirks demand).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .exceptions import InvalidRequestError

__all__ = [
    "DESCRIPTION_MAX",
    "FINAL_STATUSES",
    "Arch",
    "DevService",
    "FieldSpec",
    "Image",
    "ImageListQuery",
    "ImagePage",
    "ImageStatus",
    "ImageType",
    "Origin",
    "RegisterImageRequest",
    "ResourceCategory",
    "ServiceType",
    "SwrPath",
    "Visibility",
    "field_specs",
    "parse_swr_path",
    "validate_request",
]

DESCRIPTION_MAX = 512
SWR_PATH_MIN, SWR_PATH_MAX = 16, 2048


class _UpperEnum(str, Enum):
    """A string enum whose values are the API's upper-case spellings."""

    def __str__(self) -> str:
        return self.value


class Arch(_UpperEnum):
    """CPU architecture of the image."""

    X86_64 = "X86_64"
    AARCH64 = "AARCH64"


class Origin(_UpperEnum):
    """Where the image comes from."""

    CUSTOMIZE = "CUSTOMIZE"
    IMAGE_SAVE = "IMAGE_SAVE"


class ResourceCategory(_UpperEnum):
    """Hardware the image runs on."""

    CPU = "CPU"
    GPU = "GPU"


class ServiceType(_UpperEnum):
    """What the image is for."""

    COMMON = "COMMON"
    INFERENCE = "INFERENCE"
    TRAIN = "TRAIN"
    DEV = "DEV"
    UNKNOWN = "UNKNOWN"


class DevService(_UpperEnum):
    """How a notebook built on the image can be reached."""

    NOTEBOOK = "NOTEBOOK"
    SSH = "SSH"


class Visibility(_UpperEnum):
    """Who can see the image."""

    PRIVATE = "PRIVATE"
    PUBLIC = "PUBLIC"


class ImageStatus(_UpperEnum):
    """Lifecycle state of a registered image."""

    INIT = "INIT"
    CREATING = "CREATING"
    CREATE_FAILED = "CREATE_FAILED"
    ERROR = "ERROR"
    DELETED = "DELETED"
    ACTIVE = "ACTIVE"


class ImageType(_UpperEnum):
    """Built-in (ModelArts') or dedicated (yours)."""

    BUILD_IN = "BUILD_IN"
    DEDICATED = "DEDICATED"


FINAL_STATUSES = frozenset(
    {ImageStatus.ACTIVE, ImageStatus.CREATE_FAILED, ImageStatus.ERROR, ImageStatus.DELETED}
)
FAILED_STATUSES = frozenset({ImageStatus.CREATE_FAILED, ImageStatus.ERROR})

#: What each dev service offers, in words a user understands (display, form and lab extension).
DEV_SERVICE_OFFERS = {
    "NOTEBOOK": "open JupyterLab over HTTPS",
    "SSH": "connect from a local IDE",
}

# ---------------------------------------------------------------------------------------------
# swr_path
# ---------------------------------------------------------------------------------------------

_HOST_RE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)
_NAMESPACE_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,510}[a-z0-9])?$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
# Control characters, Unicode line separators, and lone UTF-16 surrogates (which cannot be sent as UTF-8).
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_EXAMPLE_SWR = "swr.eu-de.otc.t-systems.com/my-team/my-image:1.0"


@dataclass(frozen=True)
class SwrPath:
    """An SWR image address split into its parts: `[host[:port]/]namespace/name:tag`."""

    host: str | None
    port: int | None
    namespace: str
    name: str
    tag: str

    @property
    def registry(self) -> str | None:
        """`host[:port]`, or None when the address names no registry."""
        if self.host is None:
            return None
        return f"{self.host}:{self.port}" if self.port else self.host

    @property
    def repository(self) -> str:
        """`namespace/name`."""
        return f"{self.namespace}/{self.name}"

    def __str__(self) -> str:
        prefix = f"{self.registry}/" if self.registry else ""
        return f"{prefix}{self.namespace}/{self.name}:{self.tag}"


def _swr_error(value: str, problem: str, fix: str) -> InvalidRequestError:
    return InvalidRequestError("swr_path", value, problem, fix)


def parse_swr_path(value: Any) -> SwrPath:
    """Parse and check an SWR address; raise `InvalidRequestError` naming the fix when it is malformed."""
    if not isinstance(value, str):
        raise _swr_error(value, "must be text", f"write the SWR address as text, e.g. {_EXAMPLE_SWR!r}")
    text = value.strip(" ")
    if _CONTROL_RE.search(text):
        raise _swr_error(
            value,
            "contains a control character, line break or unpaired surrogate",
            "remove it and keep one line",
        )
    if not text:
        raise _swr_error(value, "is empty", f"give the SWR address, e.g. {_EXAMPLE_SWR!r}")
    if any(ch.isspace() for ch in text):
        raise _swr_error(value, "contains white space", "remove the spaces from the address")
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise _swr_error(
            value,
            f"starts with a {scheme}:// scheme",
            f"drop '{scheme}://' and give host/namespace/name:tag",
        )
    if "@" in text:
        raise _swr_error(
            value,
            "names a digest, which ModelArts cannot register",
            "use a tag instead of @sha256:..., e.g. ':1.0'",
        )
    if len(text) > SWR_PATH_MAX:
        raise _swr_error(
            value,
            f"is {len(text)} characters long, at most {SWR_PATH_MAX} allowed",
            "use a shorter address",
        )
    segments = text.split("/")
    if any(seg == "" for seg in segments):
        raise _swr_error(
            value,
            "has an empty path segment (a leading, trailing or doubled '/')",
            "write it as host/namespace/name:tag",
        )
    host: str | None = None
    port: int | None = None
    if len(segments) == 3:
        host_part = segments[0]
        if ":" in host_part:
            host, _, port_text = host_part.partition(":")
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise _swr_error(
                    value,
                    f"has an invalid registry port {port_text!r}",
                    "use a port from 1 to 65535, or none",
                )
            port = int(port_text)
        else:
            host = host_part
        if not _HOST_RE.match(host):
            raise _swr_error(
                value,
                f"has an invalid registry host {host!r}",
                "use the SWR host name of your region, e.g. 'swr.eu-de.otc.t-systems.com'",
            )
        segments = segments[1:]
    elif len(segments) < 2:
        raise _swr_error(
            value,
            "has no namespace",
            f"write it as [host/]namespace/name:tag, e.g. {_EXAMPLE_SWR!r}",
        )
    elif len(segments) > 3:
        raise _swr_error(
            value,
            f"has {len(segments)} path segments; SWR addresses have at most 3",
            "write it as host/namespace/name:tag (SWR has no nested repositories)",
        )
    namespace, name_tag = segments
    if ":" not in name_tag:
        raise _swr_error(
            value, "has no tag", f"add :tag, e.g. {text + ':latest'!r} (':latest' is not implied)"
        )
    name, _, tag = name_tag.rpartition(":")
    if not tag:
        raise _swr_error(value, "has an empty tag after ':'", "add the tag after ':', e.g. ':1.0'")
    if not name:
        raise _swr_error(value, "has no image name before ':'", "write namespace/name:tag")
    for label, part, pattern, rule in (
        ("namespace", namespace, _NAMESPACE_RE, "1-64 lower-case letters, digits, '.', '_', '-'"),
        ("image name", name, _NAME_RE, "lower-case letters, digits, '.', '_', '-' (at most 512)"),
    ):
        if not pattern.match(part):
            hint = f"; try {part.lower()!r}" if part.lower() != part else ""
            raise _swr_error(
                value,
                f"has an invalid {label} {part!r}",
                f"use {rule}, starting and ending with a letter or digit{hint}",
            )
    if not _TAG_RE.match(tag):
        raise _swr_error(
            value,
            f"has an invalid tag {tag!r}",
            "use up to 128 letters, digits, '_', '.', '-' (not starting with '.' or '-')",
        )
    if len(text) < SWR_PATH_MIN:
        raise _swr_error(
            value,
            f"is {len(text)} characters long, at least {SWR_PATH_MIN} needed",
            "give the full address with the registry host, e.g. "
            f"'swr.eu-de.otc.t-systems.com/{namespace}/{name}:{tag}'",
        )
    return SwrPath(host=host, port=port, namespace=namespace, name=name, tag=tag)


# ---------------------------------------------------------------------------------------------
# Request-side validators (strict, with fixes)
# ---------------------------------------------------------------------------------------------


def _fail(problem: str, fix: str) -> PydanticCustomError:
    return PydanticCustomError("modelarts", "{problem}; {fix}", {"problem": problem, "fix": fix})


def _enum_values(enum: type[_UpperEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _strict_enum(enum: type[_UpperEnum]) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, enum):
            return value
        if not isinstance(value, str):
            raise _fail(
                f"must be one of {_enum_values(enum)}",
                f"write one of {_enum_values(enum)} (any case)",
            )
        key = value.strip().upper().replace("-", "_")
        try:
            return enum(key)
        except ValueError:
            close = difflib.get_close_matches(key, [m.value for m in enum], n=1)
            better = f"did you mean {close[0]}? " if close else ""
            raise _fail(
                "is not an allowed value",
                f"{better}use one of {_enum_values(enum)} (any case)",
            ) from None

    return BeforeValidator(check)


def _as_list(value: Any) -> Any:
    """A single value where a list is expected becomes a one-item list; 'CPU,GPU' is split."""
    if value is None:
        return value
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        return [part for part in parts if part]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _strict_enum_list(enum: type[_UpperEnum]) -> BeforeValidator:
    item = _strict_enum(enum).func

    def check(value: Any) -> Any:
        items = _as_list(value)
        if not isinstance(items, list):
            raise _fail("must be a list", f"write a list such as [{_enum_values(enum)}]")
        out: list[Any] = []
        for element in items:
            try:
                checked = item(element)  # type: ignore[call-arg]
            except PydanticCustomError as err:
                ctx = err.context or {}
                raise _fail(f"{element!r} {ctx.get('problem', 'is invalid')}", ctx.get("fix", "")) from None
            if checked not in out:
                out.append(checked)
        return out

    return BeforeValidator(check)


def _plain_text(field: str, allow_newlines: bool = False) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _fail("must be text", f"write {field} as a quoted string")
        text = str(value)
        pattern = text.replace("\n", "").replace("\t", "") if allow_newlines else text
        if _CONTROL_RE.search(pattern):
            raise _fail(
                "contains a control character or an unpaired surrogate",
                "remove it (only plain text is accepted)",
            )
        return text

    return BeforeValidator(check)


def _text_list(value: Any) -> Any:
    items = _as_list(value)
    if not isinstance(items, list):
        raise _fail("must be a list of text", "write a list such as [team-a, gpu]")
    out = []
    for element in items:
        if isinstance(element, bool) or not isinstance(element, (str, int, float)):
            raise _fail("must be a list of text", "write a list such as [team-a, gpu]")
        text = str(element)
        if _CONTROL_RE.search(text):
            raise _fail("contains a control character or an unpaired surrogate", "remove it")
        out.append(text)
    return out


def _check_swr_path(value: Any) -> Any:
    try:
        parse_swr_path(value)
    except InvalidRequestError as err:
        raise _fail(err.problem, err.fix) from None
    return value.strip(" ")


RequestArch = Annotated[Arch, _strict_enum(Arch)]
RequestOrigin = Annotated[Origin, _strict_enum(Origin)]
RequestServiceType = Annotated[ServiceType, _strict_enum(ServiceType)]
RequestVisibility = Annotated[Visibility, _strict_enum(Visibility)]
RequestCategories = Annotated[list[ResourceCategory], _strict_enum_list(ResourceCategory)]
RequestServices = Annotated[list[DevService], _strict_enum_list(DevService)]


class RegisterImageRequest(BaseModel):
    """The body of `POST /v1/{project_id}/images`: every documented field, checked before sending."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    # The order in which the user wrote the fields, so a dry run shows the body as written.
    _key_order: tuple[str, ...] = PrivateAttr(default=())

    swr_path: Annotated[str, BeforeValidator(_check_swr_path)] = Field(
        description="SWR image address, host[:port]/namespace/name:tag (16-2048 characters)",
        json_schema_extra={"example": _EXAMPLE_SWR},
    )
    arch: RequestArch | None = Field(default=None, description="CPU architecture (default X86_64)")
    description: Annotated[str, _plain_text("description", allow_newlines=True)] | None = Field(
        default=None,
        description=f"Free text, at most {DESCRIPTION_MAX} characters",
        json_schema_extra={"max_length": DESCRIPTION_MAX},
    )
    origin: RequestOrigin | None = Field(default=None, description="CUSTOMIZE (default) or IMAGE_SAVE")
    resource_category: RequestCategories | None = Field(
        default=None, description="Hardware it runs on: CPU, GPU"
    )
    service_type: RequestServiceType | None = Field(
        default=None, description="What it is for: COMMON, INFERENCE, TRAIN, DEV, UNKNOWN"
    )
    services: RequestServices | None = Field(
        default=None,
        description="Access offered: NOTEBOOK (JupyterLab over HTTPS), SSH (remote IDE); default both",
    )
    visibility: RequestVisibility | None = Field(default=None, description="PRIVATE (default) or PUBLIC")
    workspace_id: Annotated[str, _plain_text("workspace_id")] | None = Field(
        default=None, description="Workspace ID ('0' when no workspace is used)"
    )
    flavor_type: Annotated[str, _plain_text("flavor_type")] | None = Field(
        default=None, description="Flavor type (newer service versions)"
    )
    tags: Annotated[list[str], BeforeValidator(_text_list)] | None = Field(
        default=None, description="Tags (newer service versions)"
    )
    swr_instance_id: Annotated[str, _plain_text("swr_instance_id")] | None = Field(
        default=None, description="SWR enterprise instance ID (newer service versions)"
    )
    read_me: Annotated[str, _plain_text("read_me", allow_newlines=True)] | None = Field(
        default=None, description="Read-me text (newer service versions)"
    )

    @field_validator("description")
    @classmethod
    def _description_length(cls, value: str | None) -> str | None:
        if value is not None and len(value) > DESCRIPTION_MAX:
            raise _fail(
                f"is {len(value)} characters long, at most {DESCRIPTION_MAX} allowed",
                f"shorten it by {len(value) - DESCRIPTION_MAX} characters",
            )
        return value

    @field_validator("workspace_id")
    @classmethod
    def _workspace_id_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
            raise _fail(
                "is not a workspace ID",
                "use the workspace's ID (letters, digits, '-', '_'), or '0' for no workspace",
            )
        return value

    @property
    def swr(self) -> SwrPath:
        """The parsed `swr_path`."""
        return parse_swr_path(self.swr_path)

    def to_body(self) -> dict[str, Any]:
        """The JSON body to send: only the fields that were given (in the user's order), no nulls."""
        body = self.model_dump(mode="json", exclude_none=True)
        if self._key_order:
            ordered = {key: body[key] for key in self._key_order if key in body}
            ordered.update(body)
            return ordered
        return body

    @classmethod
    def from_user(cls, data: Mapping[str, Any]) -> RegisterImageRequest:
        """Validate user input; raise one `InvalidRequestError` (field, value, fix) for the first problem."""
        request, errors = validate_request(data)
        if errors:
            raise errors[0]
        assert request is not None
        return request

    FIELD_ORDER: ClassVar[tuple[str, ...]] = (
        "swr_path",
        "arch",
        "description",
        "origin",
        "resource_category",
        "service_type",
        "services",
        "visibility",
        "workspace_id",
        "flavor_type",
        "tags",
        "swr_instance_id",
        "read_me",
    )


_REQUEST_FIELDS = tuple(RegisterImageRequest.model_fields)


def _field_label(key: Any) -> str:
    """A field name as shown in a message: quoted when blank or not a plain name, so it stays visible."""
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", text) else repr(text)


def _error_from_pydantic(item: Mapping[str, Any], data: Mapping[str, Any]) -> InvalidRequestError:
    loc = item.get("loc") or ("body",)
    field = _field_label(loc[0])
    value = data.get(field, item.get("input")) if isinstance(data, Mapping) else item.get("input")
    kind = item.get("type")
    ctx = item.get("ctx") or {}
    if kind == "modelarts":
        if len(loc) > 1:  # an item of a list
            value = item.get("input")
        return InvalidRequestError(field, value, ctx["problem"], ctx["fix"])
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(field, _REQUEST_FIELDS, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return InvalidRequestError(
            field,
            value,
            "is not a field of the register request",
            f"{hint}allowed fields: {', '.join(_REQUEST_FIELDS)}",
            show_value=False,
        )
    if kind == "missing":
        return InvalidRequestError(
            field,
            None,
            "is required",
            f"add {field}: <SWR address>, e.g. {field}: {_EXAMPLE_SWR}",
            show_value=False,
        )
    return InvalidRequestError(
        field, value, str(item.get("msg", "is invalid")).lower(), "check the value's type and form"
    )


def validate_request(
    data: Mapping[str, Any],
) -> tuple[RegisterImageRequest | None, list[InvalidRequestError]]:
    """Validate user input; return the request, or None with every field's error (for the form)."""
    if not isinstance(data, Mapping):
        error = InvalidRequestError(
            "body",
            data,
            "must be a mapping of field names to values",
            "write one 'field: value' per line, e.g. swr_path: " + _EXAMPLE_SWR,
        )
        return None, [error]
    bad_keys = [key for key in data if not isinstance(key, str)]
    if bad_keys:
        return None, [
            InvalidRequestError(
                str(bad_keys[0]),
                bad_keys[0],
                "is not a field name",
                f"use the API's field names: {', '.join(_REQUEST_FIELDS)}",
            )
        ]
    try:
        request = RegisterImageRequest.model_validate(dict(data))
    except ValidationError as exc:
        errors: list[InvalidRequestError] = []
        seen: set[str] = set()
        for item in exc.errors():
            error = _error_from_pydantic(item, data)
            if error.field not in seen:
                seen.add(error.field)
                errors.append(error)
        errors.sort(key=lambda e: _field_rank(e.field))
        return None, errors
    request._key_order = tuple(data)
    return request, []


def _field_rank(field: str) -> int:
    try:
        return RegisterImageRequest.FIELD_ORDER.index(field)
    except ValueError:
        return -1  # unknown fields first: they are the likeliest typo


@dataclass(frozen=True)
class FieldSpec:
    """What a form or an option parser needs to know about one request field."""

    name: str
    kind: Literal["text", "choice", "multi", "list"]
    required: bool
    description: str
    choices: tuple[str, ...] = ()
    max_length: int | None = None


_FIELD_ENUMS: dict[str, tuple[Literal["choice", "multi"], type[_UpperEnum]]] = {
    "arch": ("choice", Arch),
    "origin": ("choice", Origin),
    "service_type": ("choice", ServiceType),
    "visibility": ("choice", Visibility),
    "resource_category": ("multi", ResourceCategory),
    "services": ("multi", DevService),
}


def field_specs() -> list[FieldSpec]:
    """The register request's fields, in order, as read from the model (the form is built from this)."""
    specs = []
    for name in RegisterImageRequest.FIELD_ORDER:
        info = RegisterImageRequest.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        max_length = extra.get("max_length")
        if name in _FIELD_ENUMS:
            kind, enum = _FIELD_ENUMS[name]
            specs.append(
                FieldSpec(
                    name=name,
                    kind=kind,
                    required=info.is_required(),
                    description=info.description or "",
                    choices=tuple(m.value for m in enum),
                )
            )
        else:
            specs.append(
                FieldSpec(
                    name=name,
                    kind="list" if name == "tags" else "text",
                    required=info.is_required(),
                    description=info.description or "",
                    max_length=int(max_length) if isinstance(max_length, int) else None,
                )
            )
    return specs


# ---------------------------------------------------------------------------------------------
# Response side (lenient)
# ---------------------------------------------------------------------------------------------


def _lenient(enum: type[_UpperEnum]) -> BeforeValidator:
    """Known values (any case, e.g. `x86_64`) become the enum; unknown values are kept as they come."""

    # A dict look-up, not `enum(value)`: an Enum call costs ~1 us and an image has a dozen of them.
    members = {member.value: member for member in enum}

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return members.get(value.upper(), value)
        return value

    return BeforeValidator(normalise)


def _lenient_list(enum: type[_UpperEnum]) -> BeforeValidator:
    one = _lenient(enum).func

    def normalise(value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if isinstance(value, (list, tuple)):
            return [one(item) for item in value]  # type: ignore[call-arg]
        return value

    return BeforeValidator(normalise)


def _lenient_int(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return value


LenientInt = Annotated[int | None, BeforeValidator(_lenient_int)]


class Image(BaseModel):
    """A registered image as the service returns it; only `id` is required, unknown values are kept."""

    # Built on first use, not at import: a dry run never parses an answer.
    model_config = ConfigDict(extra="allow", defer_build=True)

    id: str
    name: str | None = None
    tag: str | None = None
    namespace: str | None = None
    swr_path: str | None = None
    description: str | None = None
    status: Annotated[ImageStatus | str | None, _lenient(ImageStatus)] = None
    status_message: str | None = None
    arch: Annotated[Arch | str | None, _lenient(Arch)] = None
    origin: Annotated[Origin | str | None, _lenient(Origin)] = None
    service_type: Annotated[ServiceType | str | None, _lenient(ServiceType)] = None
    visibility: Annotated[Visibility | str | None, _lenient(Visibility)] = None
    type: Annotated[ImageType | str | None, _lenient(ImageType)] = None
    dev_services: Annotated[list[DevService | str] | None, _lenient_list(DevService)] = None
    resource_categories: Annotated[list[ResourceCategory | str] | None, _lenient_list(ResourceCategory)] = (
        None
    )
    support_res_categories: Annotated[
        list[ResourceCategory | str] | None, _lenient_list(ResourceCategory)
    ] = None
    size: LenientInt = None
    create_at: LenientInt = None
    update_at: LenientInt = None
    workspace_id: str | None = None
    flavor_type: str | None = None
    swr_instance_id: str | None = None
    show_name: str | None = None
    show_tag: str | None = None
    tags: list[Any] | None = None

    @field_validator("workspace_id", mode="before")
    @classmethod
    def _workspace_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    # --- helpers ------------------------------------------------------------------------------

    @property
    def status_text(self) -> str:
        """The status as text (`UNKNOWN` when the service sent none)."""
        return str(self.status) if self.status is not None else "UNKNOWN"

    @property
    def created_at(self) -> datetime | None:
        """`create_at` (UTC milliseconds) as an aware datetime."""
        return _from_ms(self.create_at)

    @property
    def updated_at(self) -> datetime | None:
        """`update_at` (UTC milliseconds) as an aware datetime."""
        return _from_ms(self.update_at)

    @property
    def size_bytes(self) -> int | None:
        """The size in bytes (documented as KB, but the service sends bytes)."""
        return self.size

    @property
    def offers_ssh(self) -> bool:
        """Whether notebooks on this image can be reached over SSH from a local IDE."""
        return DevService.SSH in (self.dev_services or [])

    @property
    def offers_notebook(self) -> bool:
        """Whether notebooks on this image offer JupyterLab over HTTPS."""
        return DevService.NOTEBOOK in (self.dev_services or [])

    @property
    def is_final(self) -> bool:
        """True once the status will not change by itself (ACTIVE, CREATE_FAILED, ERROR, DELETED)."""
        return self.status in FINAL_STATUSES

    @property
    def is_failed(self) -> bool:
        """True for CREATE_FAILED and ERROR."""
        return self.status in FAILED_STATUSES

    @property
    def display_name(self) -> str:
        """`name:tag`, or the best name available."""
        if self.name and self.tag:
            return f"{self.name}:{self.tag}"
        return self.name or self.show_name or self.swr_path or self.id

    def to_json(self) -> dict[str, Any]:
        """The image as JSON data, as received (normalised enums; unknown fields and values kept)."""
        return self.model_dump(mode="json", exclude_unset=True)

    def _repr_mimebundle_(
        self, include: Iterable[str] | None = None, exclude: Iterable[str] | None = None
    ) -> dict[str, Any]:
        from .display import image_mimebundle

        return image_mimebundle(self, include=include, exclude=exclude)

    def __str__(self) -> str:
        return f"Image {self.display_name} [{self.status_text}] id={self.id}"


def _from_ms(value: int | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


class ImagePage(BaseModel):
    """One page of `GET /v1/{project_id}/images`."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    current: int | None = None
    data: list[Image] = Field(default_factory=list)
    pages: int | None = None
    size: int | None = None
    total: int | None = None


class ImageListQuery(BaseModel):
    """The filters of the list call, checked; `to_params()` gives the query string's pairs."""

    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(default=None, ge=1, le=200)
    offset: int | None = Field(default=None, ge=0)
    name: str | None = None
    name_fuzzy_match: bool | None = None
    namespace: str | None = None
    service_type: RequestServiceType | None = None
    sort_dir: Annotated[Literal["ASC", "DESC"], BeforeValidator(lambda v: str(v).upper())] | None = None
    sort_key: str | None = None
    type: Annotated[ImageType, _strict_enum(ImageType)] | None = None
    workspace_id: str | None = None

    def to_params(self) -> list[tuple[str, str]]:
        """Query pairs in field order; booleans as true/false."""
        pairs = []
        for key, value in self.model_dump(mode="json", exclude_none=True).items():
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            pairs.append((key, text))
        return pairs

    @classmethod
    def from_user(cls, data: Mapping[str, Any]) -> ImageListQuery:
        """Validate list filters; raise one `InvalidRequestError` naming the filter and the fix."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            item = exc.errors()[0]
            field = str(item["loc"][0]) if item.get("loc") else "filter"
            if item["type"] == "extra_forbidden":
                names = ", ".join(cls.model_fields)
                raise InvalidRequestError(
                    field, data.get(field), "is not a list filter", f"use one of {names}"
                ) from None
            ctx = item.get("ctx") or {}
            if item["type"] == "modelarts":
                raise InvalidRequestError(field, data.get(field), ctx["problem"], ctx["fix"]) from None
            raise InvalidRequestError(
                field, data.get(field), str(item["msg"]).lower(), "check the filter's value"
            ) from None
