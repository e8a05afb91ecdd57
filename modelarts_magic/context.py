"""Where each setting of the magics comes from, resolved in a documented order and shown with its source.

Precedence, highest first (the first layer that gives a setting wins):

1. magic options (`--endpoint`, `--region`, `--project-id`, `--workspace-id`);
2. the local emulator, while `%modelarts emulator` is on;
3. `%config RegisterImageMagics.<trait>`;
4. environment variables (`MODELARTS_*` first, then Huawei's `HUAWEICLOUD_SDK_*`, then OpenStack's `OS_*`);
5. files: `~/.huaweicloud/credentials` (section `[basic]`), then `clouds.yaml` (cloud `OS_CLOUD`);
6. the ModelArts notebook environment (`MA_APIGW_ENDPOINT`), best effort;
7. values derived from others (endpoints from the region via `REGION_ENDPOINTS`, region from the
   endpoint's host name), then defaults. A derived value ranks with the value it comes from, so
   `--region cn-north-4` beats an endpoint found lower down.

Credentials (AK, SK, token, password) are never `%config` traits or options: a notebook's source is
saved and shared, so they come from the environment or files only. AK and SK are taken as a pair
from one place. Auth is AK/SK when both are given, else a token, else user name and password.
"""

from __future__ import annotations

import configparser
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .exceptions import ConfigurationError
from .masking import HIDDEN, mask

if TYPE_CHECKING:
    from .client import ModelArtsClient

__all__ = [
    "CLOUD_DOMAINS",
    "DEFAULTS",
    "REGION_ENDPOINTS",
    "SETTINGS",
    "Context",
    "Setting",
    "SettingInfo",
    "endpoints_for_region",
    "resolve_context",
]

#: The `%config` class name the traits live under.
CONFIG_CLASS = "RegisterImageMagics"

#: Region -> (cloud, ModelArts endpoint, IAM endpoint). README reproduces this table.
REGION_ENDPOINTS: dict[str, tuple[str, str, str]] = {
    # Open Telekom Cloud
    "eu-de": ("otc", "https://modelarts.eu-de.otc.t-systems.com", "https://iam.eu-de.otc.t-systems.com/v3"),
    "eu-nl": ("otc", "https://modelarts.eu-nl.otc.t-systems.com", "https://iam.eu-nl.otc.t-systems.com/v3"),
    # The Swiss cloud lives under the `sc.` sub-domain, with IAM at `iam-pub`.
    "eu-ch2": (
        "otc",
        "https://modelarts.eu-ch2.sc.otc.t-systems.com",
        "https://iam-pub.eu-ch2.sc.otc.t-systems.com/v3",
    ),
    # Huawei Cloud: modelarts.{region}.myhuaweicloud.com, IAM likewise
    **{
        region: (
            "huaweicloud",
            f"https://modelarts.{region}.myhuaweicloud.com",
            f"https://iam.{region}.myhuaweicloud.com/v3",
        )
        for region in (
            "cn-north-1",
            "cn-north-4",
            "cn-north-9",
            "cn-east-3",
            "cn-east-4",
            "cn-south-1",
            "cn-southwest-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "af-south-1",
            "la-south-2",
            "la-north-2",
            "sa-brazil-1",
            "tr-west-1",
            "me-east-1",
        )
    },
}

#: Cloud -> (ModelArts endpoint, IAM endpoint) patterns, for a region missing from the table.
CLOUD_DOMAINS: dict[str, tuple[str, str]] = {
    "otc": ("https://modelarts.{region}.otc.t-systems.com", "https://iam.{region}.otc.t-systems.com/v3"),
    "huaweicloud": (
        "https://modelarts.{region}.myhuaweicloud.com",
        "https://iam.{region}.myhuaweicloud.com/v3",
    ),
}

#: Settings with a built-in default (source "default").
DEFAULTS: dict[str, Any] = {
    "timeout": 30.0,
    "wait_timeout": 300.0,
    "poll_interval": 5.0,
    "verify": True,
    "allow_insecure_http": False,
}


@dataclass(frozen=True)
class SettingInfo:
    """Where one setting may come from: its option, `%config` trait, environment variables and file keys."""

    name: str
    help: str
    option: str | None = None
    trait: bool = False
    env: tuple[str, ...] = ()
    credentials_key: str | None = None  # key in ~/.huaweicloud/credentials [basic]
    clouds_keys: tuple[str, ...] = ()  # keys in clouds.yaml (auth.* or top level)
    secret: bool = False  # never shown, not even in part

    def sources_hint(self) -> str:
        """Where a user could supply it: "--region, %config RegisterImageMagics.region or env ..."."""
        places = []
        if self.option:
            places.append(self.option)
        if self.trait:
            places.append(f"%config {CONFIG_CLASS}.{self.name}")
        if self.env:
            places.append("env " + " / ".join(self.env))
        if len(places) <= 1:
            return "".join(places)
        return ", ".join(places[:-1]) + " or " + places[-1]


SETTINGS: dict[str, SettingInfo] = {
    info.name: info
    for info in (
        SettingInfo(
            "endpoint",
            "ModelArts endpoint URL",
            option="--endpoint",
            trait=True,
            env=("MODELARTS_ENDPOINT",),
        ),
        SettingInfo(
            "region",
            "Region, e.g. eu-de or cn-north-4",
            option="--region",
            trait=True,
            env=("MODELARTS_REGION", "OS_REGION_NAME"),
            clouds_keys=("region_name",),
        ),
        SettingInfo(
            "project_id",
            "Project ID (in every request's path)",
            option="--project-id",
            trait=True,
            env=("MODELARTS_PROJECT_ID", "HUAWEICLOUD_SDK_PROJECT_ID", "OS_PROJECT_ID"),
            credentials_key="project_id",
            clouds_keys=("auth.project_id",),
        ),
        SettingInfo(
            "workspace_id",
            "Workspace ID put into the request when the body gives none",
            option="--workspace-id",
            trait=True,
            env=("MODELARTS_WORKSPACE_ID",),
        ),
        SettingInfo(
            "iam_endpoint",
            "IAM endpoint URL (for password auth)",
            trait=True,
            env=("MODELARTS_IAM_ENDPOINT", "OS_AUTH_URL"),
            credentials_key="iam_endpoint",
            clouds_keys=("auth.auth_url",),
        ),
        SettingInfo(
            "cloud",
            "Cloud family for deriving endpoints: otc or huaweicloud",
            trait=True,
            env=("MODELARTS_CLOUD",),
        ),
        SettingInfo(
            "os_cloud",
            "Cloud name in clouds.yaml",
            trait=True,
            env=("OS_CLOUD",),
        ),
        SettingInfo(
            "ak",
            "Access key (AK)",
            env=("HUAWEICLOUD_SDK_AK", "OS_ACCESS_KEY"),
            credentials_key="ak",
            clouds_keys=("auth.ak", "auth.access_key"),
        ),
        SettingInfo(
            "sk",
            "Secret key (SK)",
            env=("HUAWEICLOUD_SDK_SK", "OS_SECRET_KEY"),
            credentials_key="sk",
            clouds_keys=("auth.sk", "auth.secret_key"),
            secret=True,
        ),
        SettingInfo(
            "security_token",
            "Security token of temporary AK/SK",
            env=("HUAWEICLOUD_SDK_SECURITY_TOKEN",),
            credentials_key="security_token",
            clouds_keys=("auth.security_token",),
            secret=True,
        ),
        SettingInfo(
            "token",
            "IAM token",
            env=("OS_AUTH_TOKEN", "OS_TOKEN"),
            clouds_keys=("auth.token",),
            secret=True,
        ),
        SettingInfo("username", "IAM user name", env=("OS_USERNAME",), clouds_keys=("auth.username",)),
        SettingInfo(
            "password",
            "IAM user's password",
            env=("OS_PASSWORD",),
            clouds_keys=("auth.password",),
            secret=True,
        ),
        SettingInfo(
            "domain",
            "Account (domain) name",
            env=("OS_USER_DOMAIN_NAME", "OS_DOMAIN_NAME"),
            clouds_keys=("auth.user_domain_name", "auth.domain_name"),
        ),
        SettingInfo(
            "project_name",
            "Project name for password auth (usually the region)",
            env=("OS_PROJECT_NAME", "OS_TENANT_NAME"),
            clouds_keys=("auth.project_name",),
        ),
        SettingInfo("timeout", "Seconds to wait for each HTTP answer", trait=True),
        SettingInfo("wait_timeout", "Seconds --wait waits for ACTIVE by default", trait=True),
        SettingInfo("poll_interval", "Longest pause between two status checks while waiting", trait=True),
        SettingInfo("verify", "TLS verification: True, False, or a CA bundle path", trait=True),
        SettingInfo("allow_insecure_http", "Allow plain http:// to a non-loopback endpoint", trait=True),
    )
}

_CREDENTIAL_PAIR = ("ak", "sk", "security_token")
_REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z0-9]+)+$")
_HOST_REGION_RE = re.compile(r"^(?:modelarts|iam)\.([a-z]{2}(?:-[a-z0-9]+)+)\.")
_NOTEBOOK_ENDPOINT_VAR = "MA_APIGW_ENDPOINT"
_SYSTEM_CLOUDS_YAML = Path("/etc/openstack/clouds.yaml")


@dataclass(frozen=True)
class Setting:
    """A resolved value and where it came from, e.g. `Setting("eu-de", "env MODELARTS_REGION")`."""

    value: Any
    source: str


def endpoints_for_region(region: str, cloud: str | None = None) -> tuple[str, str, str] | None:
    """(cloud, ModelArts endpoint, IAM endpoint) for a region: the table first, else the cloud's pattern."""
    known = REGION_ENDPOINTS.get(region)
    if known is not None and (cloud is None or known[0] == cloud):
        return known
    if cloud in CLOUD_DOMAINS:
        modelarts, iam = CLOUD_DOMAINS[cloud]
        return cloud, modelarts.format(region=region), iam.format(region=region)
    return None


def _shown_path(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# -----------------------------------------------------------------------------------------------
# The layers
# -----------------------------------------------------------------------------------------------

Layer = dict[str, Setting]


def _options_layer(options: Mapping[str, Any]) -> Layer:
    layer = {}
    for name, value in options.items():
        info = SETTINGS.get(name)
        if info is not None and info.option and _present(value):
            layer[name] = Setting(_clean(value), f"option {info.option}")
    return layer


def _config_layer(config: Mapping[str, Any]) -> Layer:
    layer = {}
    for name, value in config.items():
        info = SETTINGS.get(name)
        if info is not None and info.trait and _present(value):
            layer[name] = Setting(_clean(value), f"%config {CONFIG_CLASS}.{name}")
    return layer


def _env_layer(env: Mapping[str, str]) -> Layer:
    layer = {}
    for info in SETTINGS.values():
        for var in info.env:
            if _present(env.get(var)):
                layer[info.name] = Setting(env[var].strip(), f"env {var}")
                break
    return layer


def _credentials_file_layer(env: Mapping[str, str], home: Path) -> Layer:
    path = Path(env.get("HUAWEICLOUD_SDK_CREDENTIALS_FILE") or home / ".huaweicloud" / "credentials")
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser(interpolation=None)
    shown = _shown_path(path, home)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(
            f"{shown} cannot be read ({type(err).__name__}); fix the INI file: a [basic] section "
            "with ak = ..., sk = ..., project_id = ..."
        ) from None
    if not parser.has_section("basic"):
        return {}
    section = parser["basic"]
    layer = {}
    for info in SETTINGS.values():
        if info.credentials_key and _present(section.get(info.credentials_key)):
            layer[info.name] = Setting(section[info.credentials_key].strip(), f"{shown} [basic]")
    return layer


def _clouds_yaml_path(env: Mapping[str, str], home: Path, cwd: Path) -> Path | None:
    explicit = env.get("OS_CLIENT_CONFIG_FILE")
    if explicit:
        if not Path(explicit).exists():  # exists, not is_file: /dev/null is a way to say "none"
            raise ConfigurationError(
                f"OS_CLIENT_CONFIG_FILE is {explicit!r} but that file does not exist; fix the path "
                "or unset OS_CLIENT_CONFIG_FILE"
            )
        return Path(explicit)
    for candidate in (
        cwd / "clouds.yaml",
        home / ".config" / "openstack" / "clouds.yaml",
        _SYSTEM_CLOUDS_YAML,
    ):
        if candidate.is_file():
            return candidate
    return None


def _clouds_yaml_layer(env: Mapping[str, str], home: Path, cwd: Path, cloud: Setting | None) -> Layer:
    """The settings of one cloud in clouds.yaml; `cloud` is the chosen name and where it came from."""
    path = _clouds_yaml_path(env, home, cwd)
    cloud_name = str(cloud.value) if cloud is not None else None
    chosen_by = cloud.source if cloud is not None else ""
    if path is None:
        if cloud_name:
            raise ConfigurationError(
                f"the cloud {cloud_name!r} (from {chosen_by}) needs a clouds.yaml but none was found; "
                "put one in the current folder or ~/.config/openstack/, or set OS_CLIENT_CONFIG_FILE"
            )
        return {}
    import yaml  # only when a clouds.yaml exists

    shown = _shown_path(path, home)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        how = "unset OS_CLIENT_CONFIG_FILE" if env.get("OS_CLIENT_CONFIG_FILE") else "move it away"
        raise ConfigurationError(
            f"{shown} cannot be read ({type(err).__name__}); fix its YAML or {how}"
        ) from None
    clouds = data.get("clouds") if isinstance(data, dict) else None
    if not isinstance(clouds, dict) or not clouds:
        return {}
    if cloud_name is None:
        if len(clouds) != 1:
            return {}  # several clouds and none chosen: take nothing rather than guess
        cloud_name = next(iter(clouds))
        label = f"clouds.yaml cloud {cloud_name!r} (the only one, {shown})"
    else:
        label = f"clouds.yaml cloud {cloud_name!r} ({shown})"
    entry = clouds.get(cloud_name)
    if not isinstance(entry, dict):
        names = ", ".join(map(str, clouds))
        raise ConfigurationError(
            f"{shown} has no such cloud {cloud_name!r} (the name comes from {chosen_by}); use one of: {names}"
        )
    auth_entry = entry.get("auth")
    auth: dict[str, Any] = auth_entry if isinstance(auth_entry, dict) else {}
    layer = {}
    for info in SETTINGS.values():
        for key in info.clouds_keys:
            source = auth if key.startswith("auth.") else entry
            value = source.get(key.removeprefix("auth."))
            if _present(value):
                layer[info.name] = Setting(_clean(str(value)), label)
                break
    return layer


def _notebook_layer(env: Mapping[str, str]) -> Layer:
    endpoint = env.get(_NOTEBOOK_ENDPOINT_VAR)
    if _present(endpoint):
        return {"endpoint": Setting(str(endpoint).strip(), f"ModelArts notebook ({_NOTEBOOK_ENDPOINT_VAR})")}
    return {}


# -----------------------------------------------------------------------------------------------
# The context
# -----------------------------------------------------------------------------------------------


@dataclass
class Context:
    """Every resolved setting with its source; builds (once) the client these settings describe."""

    settings: dict[str, Setting]
    _client: Any = field(default=None, repr=False, compare=False)
    #: The first problem found while resolving (only a lenient resolve keeps going past one).
    problem: str | None = field(default=None, compare=False)

    def get(self, name: str, default: Any = None) -> Any:
        """The value of a setting, or `default` when it is not set."""
        setting = self.settings.get(name)
        return setting.value if setting is not None else default

    def source(self, name: str) -> str | None:
        """Where a setting came from, or None when it is not set."""
        setting = self.settings.get(name)
        return setting.source if setting is not None else None

    @property
    def is_emulator(self) -> bool:
        """True when the endpoint is the local emulator's (not the real cloud)."""
        return self.source("endpoint") == "emulator"

    @property
    def auth_method(self) -> str | None:
        """'aksk', 'token', 'password', or None when no credentials were found."""
        if self.get("ak") and self.get("sk"):
            return "aksk"
        if self.get("token"):
            return "token"
        if self.get("username") or self.get("password"):
            return "password"
        return None

    @property
    def fingerprint(self) -> str:
        """A digest of every value: equal fingerprints mean the same client can be reused."""
        digest = hashlib.sha256()
        for name in sorted(self.settings):
            digest.update(f"{name}\0{self.settings[name].value!r}\0".encode())
        return digest.hexdigest()

    def require(self, name: str, fix: str = "") -> Any:
        """The value of a setting; `ConfigurationError` naming where to set it when it is missing."""
        value = self.get(name)
        if _present(value):
            return value
        info = SETTINGS[name]
        extra = f"; {fix}" if fix else ""
        raise ConfigurationError(f"{name} is not set: give {info.sources_hint()}{extra}")

    def client_kwargs(self) -> dict[str, Any]:
        """The `ModelArtsClient` arguments for these settings; `ConfigurationError` when incomplete."""
        if self.problem:
            raise ConfigurationError(self.problem)
        endpoint = self.require(
            "endpoint",
            "or give the region (--region, env MODELARTS_REGION) to derive it; "
            "`%modelarts emulator` uses a local emulator",
        )
        kwargs: dict[str, Any] = {
            "endpoint": endpoint,
            "project_id": self.get("project_id"),
            "timeout": float(self.get("timeout", DEFAULTS["timeout"])),
            "verify": self.get("verify", True),
            "allow_insecure_http": bool(self.get("allow_insecure_http", False)),
        }
        method = self.auth_method
        if method is None:
            half = "ak" if self.get("ak") else "sk" if self.get("sk") else None
            if half:
                other = "sk" if half == "ak" else "ak"
                raise ConfigurationError(
                    f"{half} is set ({self.source(half)}) but {other} is not: give both, "
                    f"e.g. env {SETTINGS[other].env[0]}, in the same place"
                )
            raise ConfigurationError(
                "no credentials found: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (or "
                "~/.huaweicloud/credentials [basic]), or OS_USERNAME, OS_PASSWORD and "
                "OS_USER_DOMAIN_NAME (or OS_CLOUD with clouds.yaml), or OS_AUTH_TOKEN; "
                "`%modelarts emulator` tries things out locally"
            )
        if method in ("aksk", "token"):
            self.require("project_id", "find it under My Credentials > Projects in the console")
        if method == "aksk":
            kwargs.update(ak=self.get("ak"), sk=self.get("sk"), security_token=self.get("security_token"))
        elif method == "token":
            kwargs.update(token=self.get("token"))
        else:
            kwargs.update(
                username=self.require("username"),
                password=self.require("password"),
                domain=self.require("domain", "the account name the user belongs to"),
                project_name=self.get("project_name"),
                iam_endpoint=self.get("iam_endpoint"),  # the client derives it from the endpoint
            )
        return kwargs

    def client(self) -> ModelArtsClient:
        """The client for these settings, built on first use and reused afterwards."""
        if self._client is None:
            from .client import ModelArtsClient

            self._client = ModelArtsClient(**self.client_kwargs())
        return self._client

    def close(self) -> None:
        """Close the cached client, if one was built."""
        client, self._client = self._client, None
        closer = getattr(client, "close", None)
        if callable(closer):
            closer()

    def describe(self) -> list[tuple[str, str, str]]:
        """(setting, masked value, source) rows, in `SETTINGS` order, for `%modelarts context`."""
        rows = []
        for name, info in SETTINGS.items():
            setting = self.settings.get(name)
            if setting is None:
                continue
            if info.secret:
                shown = HIDDEN
            elif name == "ak":
                shown = mask(setting.value)
            else:
                shown = str(setting.value)
            rows.append((name, shown, setting.source))
        method = self.auth_method
        labels = {"aksk": "AK/SK signing", "token": "IAM token", "password": "IAM user and password"}
        rows.append(("auth", labels.get(method or "", "none found"), "chosen from the credentials above"))
        return rows

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={shown!r} ({source})" for name, shown, source in self.describe())
        return f"Context({inner})"


def _rank_of(name: str, layers: list[Layer]) -> int:
    for rank, layer in enumerate(layers):
        if name in layer:
            return rank
    return len(layers)


def _pick(name: str, layers: list[Layer]) -> Setting | None:
    for layer in layers:
        if name in layer:
            return layer[name]
    return None


def _pick_credential_pair(layers: list[Layer]) -> dict[str, Setting]:
    """AK, SK and security token from the first layer that gives AK or SK: never a mix of places."""
    for layer in layers:
        if "ak" in layer or "sk" in layer:
            return {name: layer[name] for name in _CREDENTIAL_PAIR if name in layer}
    return {}


def _check_url(name: str, setting: Setting) -> Setting:
    text = str(setting.value).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"{name} {text!r} (from {setting.source}) is not a URL; write it as https://host[:port], "
            f"e.g. https://modelarts.eu-de.otc.t-systems.com"
        )
    return Setting(text, setting.source)


def _as_float(name: str, setting: Setting) -> Setting:
    try:
        value = float(setting.value)
    except (TypeError, ValueError):
        value = -1.0
    if not value > 0:
        raise ConfigurationError(
            f"{name} {setting.value!r} (from {setting.source}) is not a positive number of seconds; "
            f"e.g. %config {CONFIG_CLASS}.{name} = 60"
        )
    return Setting(value, setting.source)


def resolve_context(
    options: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    cwd: Path | None = None,
    *,
    emulator: Mapping[str, Any] | None = None,
    lenient: bool = False,
) -> Context:
    """Resolve every setting from options > emulator > %config > env > files > notebook > derived > defaults.

    `options` and `config` map setting names to values (None means not given); `emulator` is the
    settings `%modelarts emulator` supplies. Raises `ConfigurationError` for a contradictory or
    unreadable source (a bad URL, an unknown region without an endpoint, an OS_CLOUD not in clouds.yaml);
    with `lenient`, keeps what it could resolve and puts the first problem in `Context.problem`.
    """
    env = os.environ if env is None else env
    home = Path.home() if home is None else home
    cwd = Path.cwd() if cwd is None else cwd
    problems: list[str] = []

    def attempt(build: Callable[[], Any], fallback: Any) -> Any:
        """`build()`; when lenient, a `ConfigurationError` is noted and `fallback` used instead."""
        try:
            return build()
        except ConfigurationError as err:
            if not lenient:
                raise
            problems.append(str(err))
            return fallback

    config_layer = _config_layer(config or {})
    env_layer = _env_layer(env)
    cloud = _pick("os_cloud", [config_layer, env_layer])
    layers: list[Layer] = [
        _options_layer(options or {}),
        {name: Setting(value, "emulator") for name, value in (emulator or {}).items() if _present(value)},
        config_layer,
        env_layer,
        attempt(lambda: _credentials_file_layer(env, home), {}),
        attempt(lambda: _clouds_yaml_layer(env, home, cwd, cloud), {}),
        _notebook_layer(env),
    ]

    settings: dict[str, Setting] = {}
    for name in SETTINGS:
        if name in _CREDENTIAL_PAIR:
            continue
        picked = _pick(name, layers)
        if picked is not None:
            settings[name] = picked
    settings.update(_pick_credential_pair(layers))

    for name in ("endpoint", "iam_endpoint", "timeout", "wait_timeout", "poll_interval"):
        if name in settings:
            check = _check_url if name.endswith("endpoint") else _as_float
            settings[name] = attempt(partial(check, name, settings[name]), settings[name])

    attempt(lambda: _derive(settings, layers), None)
    if emulator:
        attempt(lambda: _check_emulator_credentials(settings, emulator), None)

    for name, value in DEFAULTS.items():
        settings.setdefault(name, Setting(value, "default"))
    return Context(settings, problem=problems[0] if problems else None)


def _check_emulator_credentials(settings: Mapping[str, Setting], emulator: Mapping[str, Any]) -> None:
    """Refuse the emulator's demo AK/SK for an endpoint that is not the emulator's (e.g. --region eu-de)."""
    endpoint = settings.get("endpoint")
    from_emulator = any(s.source == "emulator" for n, s in settings.items() if n in _CREDENTIAL_PAIR)
    if endpoint is None or not from_emulator:
        return
    if str(endpoint.value).rstrip("/") == str(emulator.get("endpoint", "")).rstrip("/"):
        return
    raise ConfigurationError(
        f"endpoint {endpoint.value!r} (from {endpoint.source}) is not the local emulator, which is on: "
        "its demo credentials are for the emulator only; run `%modelarts emulator --stop` first"
    )


def _derive(settings: dict[str, Setting], layers: list[Layer]) -> None:
    """Fill cloud, endpoint, IAM endpoint, region and project name from each other, ranked by source."""
    cloud = settings.get("cloud")
    if cloud is not None and cloud.value not in CLOUD_DOMAINS:
        raise ConfigurationError(
            f"cloud {cloud.value!r} (from {cloud.source}) is not known; use 'otc' or 'huaweicloud'"
        )
    region = settings.get("region")
    endpoint = settings.get("endpoint")

    if region is None and endpoint is not None:
        host = urlsplit(str(endpoint.value)).hostname or ""
        match = _HOST_REGION_RE.match(host)
        if match:
            settings["region"] = Setting(match.group(1), f"derived from endpoint {host}")
        return

    if region is None:
        return
    name = str(region.value)
    if not _REGION_RE.match(name):
        raise ConfigurationError(
            f"region {name!r} (from {region.source}) is not a region name; write e.g. eu-de or cn-north-4"
        )
    derived = endpoints_for_region(name, cloud.value if cloud else None)
    region_rank = _rank_of("region", layers)
    derived_source = f"derived from region {name}"
    if derived is None:
        if endpoint is None:
            known = ", ".join(REGION_ENDPOINTS)
            raise ConfigurationError(
                f"region {name!r} (from {region.source}) is not in the endpoint table; give --endpoint, "
                f"or %config {CONFIG_CLASS}.cloud = 'otc' or 'huaweicloud' to derive it (known: {known})"
            )
        return
    family, modelarts, iam = derived
    settings.setdefault("cloud", Setting(family, derived_source))
    for key, value in (("endpoint", modelarts), ("iam_endpoint", iam)):
        if key not in settings or _rank_of(key, layers) > region_rank:
            settings[key] = Setting(value, derived_source)
    if "project_name" not in settings:
        settings["project_name"] = Setting(name, derived_source)


def trait_config(magics: Any, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The `%config` layer from a configurable: each named trait's value when it is not None."""
    out: dict[str, Any] = {}
    for name in names or [n for n, i in SETTINGS.items() if i.trait]:
        value = getattr(magics, name, None)
        if value is not None:
            out[name] = value
    return out
