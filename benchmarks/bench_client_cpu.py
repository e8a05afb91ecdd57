"""Client CPU per register call against the same emulator on loopback: ours vs raw httpx vs Huawei's SDK.

CPU, not wall time: `time.process_time()` of this process over a block of calls, divided by the
number of calls. The emulator runs in a separate process (images ACTIVE at once, no latency),
so its CPU is not counted. Every call registers a distinct image of the `sandbox` namespace.

- raw httpx: `httpx.Client.post` with a prebuilt JSON body and prebuilt headers. The headers
  carry a valid AK/SK signature made *before* the timer starts (one per body), so the server does
  the same work as for the others while the client does nothing but the POST: the httpx floor.
- ours: `ModelArtsClient(ak=, sk=).register_image(swr_path=...)`: validation (pydantic), JSON,
  AK/SK signing, the POST, and parsing the answer into an `Image`.
- Huawei: `huaweicloudsdkmodelarts` `register_image(RegisterImageRequest(body=ImageRegRequest(...)))`
  with `BasicCredentials` (AK/SK), endpoint = the emulator.

    python benchmarks/bench_client_cpu.py [--quick] [--json PATH]
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import _harness as h
import httpx

from modelarts_magic.auth import AkSkAuth
from modelarts_magic.client import ModelArtsClient
from modelarts_magic.emulator.settings import DEMO


def _raw_httpx(
    url: str,
) -> tuple[Callable[[int], object], Callable[[int, int], None], Callable[[], None]]:
    """(call, prepare, close): POSTs of bodies and headers signed in `prepare`, outside the timer."""
    client = httpx.Client(timeout=30)
    endpoint = f"{url}/v1/{DEMO.project_id}/images"
    signer = AkSkAuth(DEMO.ak, DEMO.sk, DEMO.project_id, allow_insecure_http=True)
    prepared: dict[int, tuple[bytes, dict[str, str]]] = {}

    def presign(index: int) -> tuple[bytes, dict[str, str]]:
        body = json.dumps({"swr_path": h.sandbox_path("raw", index)}, separators=(",", ":")).encode()
        request = httpx.Request("POST", endpoint, content=body, headers={"Content-Type": "application/json"})
        signer.sign(request)
        return body, dict(request.headers)

    def prepare(start: int, size: int) -> None:
        # The signed requests of the next block, made now, not timed.
        prepared.clear()
        for index in range(start, start + size):
            prepared[index] = presign(index)

    def call(index: int) -> object:
        body, headers = prepared[index]
        response = client.post(endpoint, content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"raw httpx register failed: {response.status_code} {response.text[:200]}")
        return response

    return call, prepare, client.close


def _ours(url: str) -> tuple[Callable[[int], object], Callable[[], None]]:
    client = ModelArtsClient(endpoint=url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk)

    def call(index: int) -> object:
        return client.register_image(swr_path=h.sandbox_path("ours", index))

    return call, client.close


def _huawei(url: str) -> Callable[[int], object]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkmodelarts.v1 import ImageRegRequest, ModelArtsClient, RegisterImageRequest

    config = HttpConfig.get_default_config()
    config.timeout = (10, 30)
    client = (
        ModelArtsClient.new_builder()
        .with_http_config(config)
        .with_credentials(BasicCredentials(DEMO.ak, DEMO.sk, DEMO.project_id))
        .with_endpoints([url])
        .build()
    )

    def call(index: int) -> object:
        body = ImageRegRequest(swr_path=h.sandbox_path("huawei", index))
        return client.register_image(RegisterImageRequest(body=body))

    return call


def measure(calls: int, repeats: int) -> dict[str, h.Stats]:
    """Per-call client CPU (ms) of each variant, blocks interleaved so that noise hits all alike."""
    results: dict[str, list[float]] = {"raw": [], "ours": [], "huawei": []}
    with h.emulator_process() as emulator:
        raw_call, raw_prepare, raw_close = _raw_httpx(emulator.url)
        ours_call, ours_close = _ours(emulator.url)
        huawei_call = _huawei(emulator.url)
        variants: dict[str, tuple[Callable[[int], object], Callable[[int, int], None] | None]] = {
            "raw": (raw_call, raw_prepare),
            "ours": (ours_call, None),
            "huawei": (huawei_call, None),
        }
        counters = dict.fromkeys(variants, 0)

        def block(name: str, size: int) -> float:
            call, prepare = variants[name]
            emulator.reset()  # a small store for every block: the server answers alike throughout
            index = counters[name]
            if prepare is not None:
                prepare(index, size)
            start = time.process_time()
            for offset in range(size):
                call(index + offset)
            cpu = time.process_time() - start
            counters[name] = index + size
            return cpu / size * 1e3

        for name in variants:  # warm-up: imports, connections, caches
            block(name, 30)
        for _ in range(repeats):
            for name in variants:
                results[name].append(block(name, calls))
        raw_close()
        ours_close()
    return {name: h.Stats(samples) for name, samples in results.items()}


def rows(quick: bool = False) -> list[h.Row]:
    """Two rows: ours vs raw httpx (target <= 1.2x) and ours vs Huawei's SDK (target < 1x)."""
    stats = measure(calls=100 if quick else 150, repeats=3 if quick else 15)
    ours, raw, huawei = stats["ours"], stats["raw"], stats["huawei"]
    # Blocks run side by side (raw, ours, Huawei, raw, ...): the median of the per-round ratios
    # is steadier than the ratio of medians when the machine's load changes during the run.
    paired = statistics.median(o / r for o, r in zip(ours.samples, raw.samples, strict=True))
    paired_huawei = statistics.median(o / r for o, r in zip(ours.samples, huawei.samples, strict=True))
    how = (
        f"process CPU per call, {len(ours.samples)} blocks of calls each, emulator in another process; "
        "raw httpx posts bodies and AK/SK headers signed before the timer"
    )
    return [
        h.Row(
            key="client_cpu_vs_httpx",
            what="client CPU per register call (vs raw httpx)",
            ours=ours,
            peer_name="raw httpx.post",
            peer=raw,
            target="<= 1.2x",
            passed=ours.median <= 1.2 * raw.median,
            note=f"{how}; median of per-round ratios: {paired:.2f}x",
            extra={"paired_ratio": paired},
        ),
        h.Row(
            key="client_cpu_vs_huawei",
            what="client CPU per register call (vs Huawei SDK)",
            ours=ours,
            peer_name="huaweicloudsdkmodelarts",
            peer=huawei,
            target="< 1x",
            passed=ours.median < huawei.median,
            note=(
                "Huawei: register_image(RegisterImageRequest(body=ImageRegRequest(...))), BasicCredentials; "
                f"median of per-round ratios: {paired_huawei:.2f}x"
            ),
            extra={"paired_ratio": paired_huawei},
        ),
    ]


def main(argv: Any = None) -> None:
    args = h.parser(__doc__.splitlines()[0]).parse_args(argv)
    h.emit(rows(args.quick), args)


if __name__ == "__main__":
    main()
