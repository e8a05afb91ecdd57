"""The emulator keeps up with many concurrent clients and never loses or doubles a registration."""

from __future__ import annotations

import asyncio
import time

import httpx
from emulator_http import SignedAuth, images_path

from modelarts_magic.emulator import Emulator

CLIENTS, PER_CLIENT = 16, 25


def test_sixteen_concurrent_clients_register_distinct_images(fast_emulator: Emulator) -> None:
    async def one_client(index: int) -> list[int]:
        async with httpx.AsyncClient(base_url=fast_emulator.url, auth=SignedAuth(), timeout=30) as client:
            statuses = []
            for n in range(PER_CLIENT):
                path = f"swr.eu-de.otc.t-systems.com/sandbox/load-{index}:{n}"
                statuses.append((await client.post(images_path(), json={"swr_path": path})).status_code)
            return statuses

    async def main() -> list[list[int]]:
        return await asyncio.gather(*(one_client(i) for i in range(CLIENTS)))

    start = time.perf_counter()
    results = asyncio.run(main())
    seconds = time.perf_counter() - start
    total = CLIENTS * PER_CLIENT
    assert [s for statuses in results for s in statuses] == [200] * total
    images = fast_emulator.store.images()
    assert len({(i["name"], i["tag"]) for i in images}) == len(images) == total
    rate = total / seconds
    print(
        f"emulator: {total} registrations by {CLIENTS} concurrent clients in {seconds:.2f} s ({rate:.0f}/s)"
    )
    # Client and server share this process's GIL; even so the emulator must not be the slow part.
    assert rate > 40


def test_duplicate_registrations_racing_commit_once(fast_emulator: Emulator) -> None:
    async def main() -> list[int]:
        async with httpx.AsyncClient(base_url=fast_emulator.url, auth=SignedAuth()) as client:
            body = {"swr_path": "swr.eu-de.otc.t-systems.com/sandbox/race:1"}
            answers = await asyncio.gather(*(client.post(images_path(), json=body) for _ in range(20)))
        return sorted(a.status_code for a in answers)

    assert asyncio.run(main()) == [200] + [400] * 19
    assert len(fast_emulator.store.images()) == 1
