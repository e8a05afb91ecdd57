"""500 registrations with the emulator adding 20 ms to every API call (a real network's round trip).

Huawei's SDK in a sequential loop (how its synchronous client is used) vs our
`AsyncModelArtsClient.register_many` (bounded concurrency, per-item results). The emulator runs
in a separate process, images ACTIVE at once. After every run the emulator's own state is read
(not through either client): exactly the 500 images asked for, each once, or the run fails.

    python benchmarks/bench_batch.py [--quick] [--json PATH] [--concurrency 16]
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import statistics
import time
from typing import Any

import _harness as h

from modelarts_magic.emulator.settings import DEMO

LATENCY = 0.020


def _paths(label: str, count: int) -> list[str]:
    return [h.sandbox_path(label, index) for index in range(count)]


def _check(emulator: h.EmulatorProcess, paths: list[str], who: str) -> dict[str, int]:
    """Zero losses and zero duplicates, from the emulator's own state; the counts found."""
    images = emulator.images()
    seen = collections.Counter(f"{image['namespace']}/{image['name']}:{image['tag']}" for image in images)
    wanted = collections.Counter(path.split("/", 1)[1] for path in paths)
    duplicates = sum(count - 1 for count in seen.values() if count > 1)
    losses = sum(1 for key in wanted if key not in seen)
    strays = sum(1 for key in seen if key not in wanted)
    posts = emulator.requests_seen().get("register", 0)
    if duplicates or losses or strays:
        raise SystemExit(
            f"{who}: {len(images)} images for {len(paths)} requests: "
            f"{duplicates} duplicates, {losses} lost, {strays} unexpected"
        )
    return {"images": len(images), "duplicates": duplicates, "losses": losses, "register_posts": posts}


def run_huawei(url: str, paths: list[str]) -> float:
    """Seconds for Huawei's SDK to register `paths` one after the other."""
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
    start = time.perf_counter()
    for path in paths:
        client.register_image(RegisterImageRequest(body=ImageRegRequest(swr_path=path)))
    return time.perf_counter() - start


def run_ours(url: str, paths: list[str], concurrency: int) -> float:
    """Seconds for `AsyncModelArtsClient.register_many` to register `paths` (client creation included)."""
    from modelarts_magic.client import AsyncModelArtsClient

    async def batch() -> float:
        start = time.perf_counter()
        async with AsyncModelArtsClient(
            endpoint=url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk
        ) as client:
            results = await client.register_many([{"swr_path": path} for path in paths], concurrency)
        elapsed = time.perf_counter() - start
        failed = [result for result in results if not result.ok]
        if failed:
            raise SystemExit(f"register_many: {len(failed)} failed, e.g. {failed[0]}")
        if len({result.image.id for result in results if result.image}) != len(paths):
            raise SystemExit("register_many: image ids are not distinct")
        return elapsed

    return asyncio.run(batch())


def run_sharded(url: str, paths: list[str], concurrency: int, pool: int = 4) -> float:
    """Seconds for the same batch spread over several clients of `pool` connections each.

    Not the shipped code: a prototype of the fix proposed for `register_many` (httpcore's pool
    does work quadratic in its connections on every request, so 4 pools of 4 cost less CPU than
    one pool of 16). Reported as an information row next to the real one.
    """
    from modelarts_magic.client import AsyncModelArtsClient

    shards = max(1, concurrency // pool)

    async def batch() -> float:
        start = time.perf_counter()
        tls = ssl.create_default_context()  # one TLS context for all pools, as the fix would share it
        clients = [
            AsyncModelArtsClient(endpoint=url, project_id=DEMO.project_id, ak=DEMO.ak, sk=DEMO.sk, verify=tls)
            for _ in range(shards)
        ]
        parts = await asyncio.gather(
            *(
                client.register_many([{"swr_path": path} for path in paths[index::shards]], pool)
                for index, client in enumerate(clients)
            )
        )
        for client in clients:
            await client.aclose()
        elapsed = time.perf_counter() - start
        if not all(result.ok for part in parts for result in part):
            raise SystemExit("sharded register_many: some registrations failed")
        return elapsed

    return asyncio.run(batch())


def measure(
    count: int, repeats: int, concurrency: int, prototype: bool = False
) -> tuple[h.Stats, h.Stats, h.Stats | None, dict[str, Any]]:
    """Wall seconds of each side over `repeats` runs (interleaved), and the checks of the last runs."""
    ours: list[float] = []
    huawei: list[float] = []
    sharded: list[float] = []
    cpu: dict[str, list[float]] = {"ours": [], "sharded": []}
    checks: dict[str, Any] = {}
    with h.emulator_process(LATENCY) as emulator:
        emulator.reset()  # warm-up: imports and first connections, not counted
        run_ours(emulator.url, _paths("warm-ours", 20), concurrency)
        run_huawei(emulator.url, _paths("warm-huawei", 5))
        for attempt in range(repeats):
            paths = _paths(f"batch-ours-{attempt}", count)
            emulator.reset()
            before = time.process_time()
            ours.append(run_ours(emulator.url, paths, concurrency))
            cpu["ours"].append((time.process_time() - before) / count * 1e3)
            checks["ours"] = _check(emulator, paths, "register_many")
            paths = _paths(f"batch-huawei-{attempt}", count)
            emulator.reset()
            huawei.append(run_huawei(emulator.url, paths))
            checks["huawei"] = _check(emulator, paths, "Huawei SDK loop")
            if not prototype:
                continue
            paths = _paths(f"batch-sharded-{attempt}", count)
            emulator.reset()
            before = time.process_time()
            sharded.append(run_sharded(emulator.url, paths, concurrency))
            cpu["sharded"].append((time.process_time() - before) / count * 1e3)
            checks["sharded"] = _check(emulator, paths, "sharded register_many")
    checks["client_cpu_ms_per_registration"] = {key: min(values) for key, values in cpu.items() if values}
    return h.Stats(ours, "s"), h.Stats(huawei, "s"), (h.Stats(sharded, "s") if sharded else None), checks


def rows(quick: bool = False, concurrency: int = 16, prototype: bool = False) -> list[h.Row]:
    """One row: wall time of 500 registrations, ours / Huawei's (target <= 0.1, i.e. >= 10x faster)."""
    count, repeats = (200, 1) if quick else (500, 5)
    ours, huawei, sharded, checks = measure(count, repeats, concurrency, prototype)
    speedup = huawei.median / ours.median
    # Runs alternate (ours, Huawei, ours, ...): per-round ratios are steadier on a busy machine.
    paired = statistics.median(theirs / o for o, theirs in zip(ours.samples, huawei.samples, strict=True))
    rate = count / ours.median
    result = [
        h.Row(
            key="batch",
            what=f"{count} registrations, +{LATENCY * 1000:.0f} ms per call",
            ours=ours,
            peer_name="Huawei SDK, sequential loop",
            peer=huawei,
            target="<= 0.1x (>= 10x faster), 0 dup, 0 lost",
            passed=speedup >= 10 and checks["ours"]["duplicates"] == 0 and checks["ours"]["losses"] == 0,
            note=(
                f"AsyncModelArtsClient.register_many(concurrency={concurrency}): {speedup:.1f}x faster "
                f"(median of per-round speed-ups {paired:.1f}x), "
                f"{rate:.0f} registrations/s; emulator state after each run: {checks['ours']['images']} "
                f"images, 0 duplicates, 0 lost ({checks['ours']['register_posts']} POSTs); client CPU "
                f"{checks['client_cpu_ms_per_registration']['ours']:.2f} ms per registration (best run)"
            ),
            extra={
                "count": count,
                "concurrency": concurrency,
                "rate_per_s": rate,
                "speedup": speedup,
                **checks,
            },
        ),
    ]
    if sharded is not None:
        result.append(
            h.Row(
                key="batch_sharded_prototype",
                what=f"{count} registrations, prototype fix: {concurrency // 4} pools x 4",
                ours=sharded,
                peer_name="Huawei SDK, sequential loop",
                peer=huawei,
                target="(information)",
                passed=None,
                note=(
                    f"NOT the shipped code: the same {concurrency} in flight spread over "
                    f"{concurrency // 4} AsyncModelArtsClient of 4 connections each: "
                    f"{huawei.median / sharded.median:.1f}x faster than the SDK loop, client CPU "
                    f"{checks['client_cpu_ms_per_registration']['sharded']:.2f} ms per registration "
                    "(best run); a fix proposed for register_many in BENCHMARKS.md"
                ),
            )
        )
    return result


def main(argv: Any = None) -> None:
    parser = h.parser(__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16, help="register_many's bound (default 16)")
    parser.add_argument(
        "--prototype", action="store_true", help="also time the sharded-pool prototype of a fix"
    )
    args = parser.parse_args(argv)
    h.emit(rows(args.quick, args.concurrency, args.prototype), args)


if __name__ == "__main__":
    main()
