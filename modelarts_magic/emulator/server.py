"""`Emulator`: one emulator instance (state + HTTP server), served by uvicorn in a background thread."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from ..masking import mask
from .app import Services, create_app
from .faults import Faults
from .gateway import Gateway, TokenIssuer
from .persistence import StateFile, resolve_state_file
from .settings import DEMO, EmulatorSettings
from .store import ImageStore
from .swr import SwrCatalogue, catalogue_entries

__all__ = ["Emulator"]


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Emulator:
    """A local ModelArts image service (and IAM) on `host:port`; `port=0` picks a free port.

    ```python
    with Emulator() as emu:          # DEMO credentials, short lifecycle delays
        print(emu.url)               # http://127.0.0.1:PORT, IAM at emu.url + "/v3"
        emu.faults.fail_next(2, status=503)
    ```
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ak: str = DEMO.ak,
        sk: str = DEMO.sk,
        project_id: str = DEMO.project_id,
        project_name: str = DEMO.project_name,
        region: str = DEMO.region,
        user: str = DEMO.user,
        password: str = DEMO.password,
        domain: str = DEMO.domain,
        init_seconds: float = 0.3,
        creating_seconds: float = 0.7,
        token_ttl: float = 86400.0,
        state_file: str | os.PathLike[str] | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        swr_catalogue: str | os.PathLike[str] | list[Any] | None = None,
        latency: float = 0.0,
        log_level: str = "warning",
    ) -> None:
        self.settings = EmulatorSettings(
            host=host,
            port=port,
            ak=ak,
            sk=sk,
            project_id=project_id,
            project_name=project_name,
            region=region,
            user=user,
            password=password,
            domain=domain,
            init_seconds=init_seconds,
            creating_seconds=creating_seconds,
            token_ttl=token_ttl,
            state_file=str(state_file) if state_file is not None else None,
            state_dir=state_dir if state_dir is None else Path(state_dir),
            latency=latency,
        )
        state_path = resolve_state_file(state_file, state_dir)
        self.state_path = state_path
        catalogue = SwrCatalogue(
            catalogue_entries(
                swr_catalogue if not isinstance(swr_catalogue, os.PathLike) else str(swr_catalogue)
            )
        )
        store = ImageStore(
            catalogue,
            init_seconds=init_seconds,
            creating_seconds=creating_seconds,
            state=StateFile(state_path) if state_path is not None else None,
        )
        faults = Faults()
        faults.latency = latency
        # Derived from the credentials, so tokens survive a restart with the same settings.
        secret = hashlib.sha256(f"{ak}\0{sk}\0{user}\0{password}\0{project_id}".encode()).digest()
        tokens = TokenIssuer(secret, token_ttl, store.extra_state)
        gateway = Gateway(self.settings, tokens, lambda: faults.clock_offset)
        self._services = Services(self.settings, store, faults, gateway)
        self.app = create_app(self._services)
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._port = port

    # --- the parts tests reach into -----------------------------------------------------------

    @property
    def store(self) -> ImageStore:
        """The images and the SWR catalogue (`images()`, `reset()`, `add_swr_image(...)`)."""
        return self._services.store

    @property
    def faults(self) -> Faults:
        """The faults in force (`latency`, `fail_next`, `error_rate`, `drop_after_commit`, ...)."""
        return self._services.faults

    @property
    def requests_seen(self) -> dict[str, int]:
        """How many requests each route received (`register`, `show`, `list`, `delete`, `group`,
        `iam_token`, `iam_projects`), plus `register_committed`, `register_dropped` and
        `<route>_injected_error`."""
        return dict(self._services.requests_seen)

    @property
    def state(self) -> dict[str, Any]:
        """A snapshot: registered images, faults, request counters."""
        return {
            "images": self.store.images(),
            "faults": self.faults.describe(),
            "requests_seen": self.requests_seen,
        }

    def expire_tokens(self) -> None:
        """Every token issued so far expires now (the next call with one gets 401 ModelArts.0202)."""
        self._services.gateway.tokens.expire_all()
        self.store.save()

    def reset(self) -> None:
        """Back to a fresh state: no registered images, seed SWR catalogue, no faults, zero counters."""
        self.store.reset()
        self.faults.clear()
        self.faults.latency = self.settings.latency
        self._services.requests_seen.clear()

    # --- addresses ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port served on (known once started, or when a fixed port was given)."""
        return self._port

    @property
    def url(self) -> str:
        """The base URL of the ModelArts API (and of IAM, under `/v3`)."""
        host = self.settings.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}"

    @property
    def iam_url(self) -> str:
        """The IAM (Keystone v3) endpoint."""
        return f"{self.url}/v3"

    def env(self, reveal_secret: bool | None = None) -> dict[str, str]:
        """The environment variables that point modelarts-magic (and Huawei's SDK) at this emulator.

        The SK is included only when it is the published demo SK (or `reveal_secret=True`).
        """
        show = self.settings.sk == DEMO.sk if reveal_secret is None else reveal_secret
        return {
            "MODELARTS_ENDPOINT": self.url,
            "MODELARTS_IAM_ENDPOINT": self.iam_url,
            "MODELARTS_PROJECT_ID": self.settings.project_id,
            "MODELARTS_REGION": self.settings.region,
            "HUAWEICLOUD_SDK_AK": self.settings.ak,
            "HUAWEICLOUD_SDK_SK": self.settings.sk if show else "<your SK>",
            "HUAWEICLOUD_SDK_PROJECT_ID": self.settings.project_id,
        }

    # --- serving ------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> Emulator:
        """Serve in a background thread; return once the port accepts connections."""
        if self._thread is not None:
            return self
        host = self.settings.host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and without
        # it every answer (headers and body written apart) waits ~40 ms for a delayed ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        # A restarted emulator can take the same port at once (TIME_WAIT connections allowed).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, self.settings.port))
        except OSError as err:
            sock.close()
            raise OSError(
                err.errno,
                f"cannot listen on {host}:{self.settings.port} ({err.strerror}); choose another --port",
            ) from None
        sock.set_inheritable(True)
        self._socket = sock
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=30,
            backlog=1024,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name=f"modelarts-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the emulator did not start on {host}:{self._port}")
            time.sleep(0.005)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the port and flush the state file."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
        self.store.save()

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), for the command line."""
        self.start()
        if threading.current_thread() is threading.main_thread():
            # `kill` stops it as cleanly as Ctrl-C (the state file is flushed).
            signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        ak = mask(self.settings.ak) or "****"
        return f"Emulator(url={self.url!r}, ak={ak}, project_id={self.settings.project_id!r})"
