"""Fixtures of the client tests: clients on the shared emulator, with short backoffs so faults heal fast."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clienthelpers import fast_backoff

from modelarts_magic.client import ModelArtsClient
from modelarts_magic.emulator import DEMO, Emulator


@pytest.fixture
def make_client(emulator: Emulator) -> Iterator[Callable[..., ModelArtsClient]]:
    """Build AK/SK clients on the shared emulator (keyword overrides allowed); all closed afterwards."""
    made: list[ModelArtsClient] = []

    def make(**overrides: Any) -> ModelArtsClient:
        settings: dict[str, Any] = {
            "endpoint": emulator.url,
            "project_id": DEMO.project_id,
            "ak": DEMO.ak,
            "sk": DEMO.sk,
        }
        settings.update(overrides)
        client = fast_backoff(ModelArtsClient(**settings))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., ModelArtsClient]) -> ModelArtsClient:
    """An AK/SK client on the shared emulator."""
    return make_client()
