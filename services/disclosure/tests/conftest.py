"""What the disclosure tests share: the service running on the real servers on a database of
its own (its own registers, lists and search index), with the clock, calendar or office
settings a test gives it (``service_settings={"disclosure": DisclosureSettings(...)}``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime
from typing import Any

import pytest

from govbus_disclosure.plugin import service
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.runtime import Host
from govbus_testing import IsolatedSettings, running

Disclosure = Callable[..., AbstractAsyncContextManager[tuple[Host, Any]]]
Office = Callable[..., AbstractAsyncContextManager[tuple[Host, ManualClock]]]


@pytest.fixture
def disclosure(settings: Any) -> Disclosure:
    """``async with disclosure(label, **host_kwargs) as (host, db)``: the service on a
    database of its own; ``host_kwargs`` go to the Host (``clock``, ``calendar``,
    ``service_settings``)."""

    @asynccontextmanager
    async def start(label: str = "office", **host_kwargs: Any
                    ) -> AsyncIterator[tuple[Host, Any]]:
        own = IsolatedSettings(**settings.model_dump(),
                               database=f"govbus_disclosure_{label}_{uuid.uuid4().hex[:8]}")
        async with running(own, service, **host_kwargs) as host:
            yield host, host.contexts[service.name].db

    return start


@pytest.fixture
def office(disclosure: Disclosure) -> Office:
    """``async with office(day, **host_kwargs) as (host, clock)``: the service on a manual
    clock at 10:00 (Beijing) of ``day``, which the test moves."""

    @asynccontextmanager
    async def start(day: date, label: str = "office", **host_kwargs: Any
                    ) -> AsyncIterator[tuple[Host, ManualClock]]:
        clock = ManualClock(datetime(day.year, day.month, day.day, 10, tzinfo=OFFICE_TZ))
        async with disclosure(label, clock=clock, **host_kwargs) as (host, _):
            yield host, clock

    return start
