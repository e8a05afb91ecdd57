"""AK/SK signing cost per request: our `AkSkAuth.sign` vs `huaweicloudsdkcore`'s `Signer.sign`.

The same request for both: `POST <emulator-like URL>/v1/<project>/images` with a JSON register
body, `Content-Type: application/json` and `X-Project-Id`; each signer adds `X-Sdk-Date` (now),
`Host` and `Authorization`. A fresh request object per call is built before the timer starts
(an `httpx.Request` for ours, an `SdkRequest` for the SDK), so only signing is timed.

    python benchmarks/bench_signing.py [--quick] [--json PATH]
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import _harness as h
import httpx

from modelarts_magic import signing
from modelarts_magic.auth import AkSkAuth
from modelarts_magic.emulator.settings import DEMO

HOST = "127.0.0.1:8000"
PATH = f"/v1/{DEMO.project_id}/images"
BODY = json.dumps(
    {
        "swr_path": "swr.eu-de.otc.t-systems.com/sandbox/signed-image:1.0",
        "arch": "X86_64",
        "resource_category": ["CPU", "GPU"],
        "services": ["NOTEBOOK", "SSH"],
        "description": "a custom image registered from a notebook",
    },
    separators=(",", ":"),
).encode()


@contextmanager
def _no_gc() -> Iterator[None]:
    # As timeit does: thousands of prebuilt requests make the collector's passes costly, and
    # whichever signer happens to trigger one would pay for the other's garbage.
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _ours(size: int) -> float:
    auth = AkSkAuth(DEMO.ak, DEMO.sk, DEMO.project_id, allow_insecure_http=True)
    requests = [
        httpx.Request(
            "POST",
            f"http://{HOST}{PATH}",
            content=BODY,
            headers={"Content-Type": "application/json", "X-Project-Id": DEMO.project_id},
        )
        for _ in range(size)
    ]
    sign = auth.sign
    with _no_gc():
        start = time.perf_counter()
        for request in requests:
            sign(request)
        return (time.perf_counter() - start) / size * 1e6


def _huawei(size: int) -> float:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    signer = Signer(BasicCredentials(DEMO.ak, DEMO.sk, DEMO.project_id))
    requests = [
        SdkRequest(
            method="POST",
            schema="http",
            host=HOST,
            resource_path=PATH,
            query_params=[],
            header_params={"Content-Type": "application/json", "X-Project-Id": DEMO.project_id},
            body=BODY,
        )
        for _ in range(size)
    ]
    sign = signer.sign
    with _no_gc():
        start = time.perf_counter()
        for request in requests:
            sign(request)
        return (time.perf_counter() - start) / size * 1e6


def _check_same_signature() -> None:
    """Both sign the same canonical request: their Authorization values agree for the same date."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    date = signing.sdk_date()
    headers = {"Content-Type": "application/json", "X-Project-Id": DEMO.project_id, "X-Sdk-Date": date}
    ours = httpx.Request("POST", f"http://{HOST}{PATH}", content=BODY, headers=headers)
    AkSkAuth(DEMO.ak, DEMO.sk, DEMO.project_id, allow_insecure_http=True).sign(ours)
    theirs = SdkRequest(
        method="POST",
        schema="http",
        host=HOST,
        resource_path=PATH,
        query_params=[],
        header_params=dict(headers),
        body=BODY,
    )
    Signer(BasicCredentials(DEMO.ak, DEMO.sk)).sign(theirs)
    if ours.headers["Authorization"] != theirs.header_params["Authorization"]:
        raise SystemExit("the two signers disagree on the same request: the comparison would be unfair")


def rows(quick: bool = False) -> list[h.Row]:
    """One row: microseconds per signature, ours vs the SDK's (target <= 0.5x)."""
    _check_same_signature()
    size, repeats = (2000, 5) if quick else (5000, 11)
    ours_samples: list[float] = []
    huawei_samples: list[float] = []
    _ours(500), _huawei(500)  # warm-up
    for _ in range(repeats):  # interleaved, so a noisy moment hits both
        ours_samples.append(_ours(size))
        huawei_samples.append(_huawei(size))
    paired = statistics.median(o / t for o, t in zip(ours_samples, huawei_samples, strict=True))
    ours = h.Stats(ours_samples, "us")
    huawei = h.Stats(huawei_samples, "us")
    return [
        h.Row(
            key="signing",
            what="AK/SK signing per request",
            ours=ours,
            peer_name="huaweicloudsdkcore Signer.sign",
            peer=huawei,
            target="<= 0.5x",
            passed=ours.median <= 0.5 * huawei.median,
            note=(
                f"AkSkAuth.sign(httpx.Request) vs Signer.sign(SdkRequest), same POST, {repeats} blocks of "
                f"{size}, garbage collector off as in timeit; both give the same Authorization (checked); "
                f"median of per-round ratios: {paired:.2f}x"
            ),
        )
    ]


def main(argv: Any = None) -> None:
    args = h.parser(__doc__.splitlines()[0]).parse_args(argv)
    h.emit(rows(args.quick), args)


if __name__ == "__main__":
    main()
