"""Provisioning of the JetStream streams from the contracts.

Streams are provisioned once, by ``govbus streams sync`` (or deploy/), never by a service at
start-up: with services deployed independently, the last one started would win.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError, ServiceUnavailableError

from govbus_contracts.registry import ServiceContract
from govbus_contracts.subjects import (
    DEPARTMENTS_PREFIX,
    DEPARTMENTS_STREAM,
    DLQ_PREFIX,
    DLQ_STREAM,
)
from govbus_kit.logging import get_logger
from govbus_kit.settings import Settings

log = get_logger("govbus.streams")

DAY = 86_400.0
#: How long a stream may stay silent before the sync gives up: after a node's loss the
#: streams it led have no leader until the others elect one (4-9 s seen with kill -9 in
#: tests/test_cluster.py), and JetStream answers nothing about them meanwhile.
PATIENCE_SECONDS = 60.0
RETRY_SECONDS = 1.0


class StreamsUnavailable(RuntimeError):
    """JetStream did not answer about a stream within the sync's patience."""


@dataclass(frozen=True)
class StreamChange:
    name: str
    action: str  # created | updated | unchanged


def stream_configs(contracts: list[ServiceContract], settings: Settings) -> list[StreamConfig]:
    def config(name: str, subjects: list[str], description: str) -> StreamConfig:
        return StreamConfig(
            name=name,
            description=description,
            subjects=subjects,
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=settings.stream_replicas,
            max_age=settings.stream_max_age_days * DAY,
            duplicate_window=settings.duplicate_window_seconds,
            discard=DiscardPolicy.OLD,
            allow_direct=True,
        )

    configs = [
        config(c.stream, c.stream_subjects, f"facts published by the {c.name} service")
        for c in contracts
    ]
    configs.append(config(DEPARTMENTS_STREAM, [f"{DEPARTMENTS_PREFIX}.>"],
                          "copies of the facts addressed to departments, by department code"))
    configs.append(config(DLQ_STREAM, [f"{DLQ_PREFIX}.>"], "dead letters with their errors"))
    return configs


_COMPARED = ("subjects", "num_replicas", "max_age", "duplicate_window", "storage", "retention")


async def sync_streams(
    js: JetStreamContext, contracts: list[ServiceContract], settings: Settings,
    *, patience: float = PATIENCE_SECONDS,
) -> list[StreamChange]:
    changes: list[StreamChange] = []
    for wanted in stream_configs(contracts, settings):
        assert wanted.name is not None
        deadline = time.monotonic() + patience
        while True:
            try:
                changes.append(await _sync_one(js, wanted))
                break
            except (TimeoutError, ServiceUnavailableError) as exc:
                # Electing a leader (or the meta group is): asked again from the start, so a
                # creation or update that took effect without its answer is seen as done.
                # (No responders at all is no election: a server without JetStream.)
                if time.monotonic() >= deadline:
                    raise StreamsUnavailable(
                        f"JetStream did not answer about stream {wanted.name} for "
                        f"{patience:g} s ({exc!r}): are a majority of the NATS nodes up?"
                    ) from exc
                log.warning("stream_sync_waiting", stream=wanted.name, error=repr(exc))
                await asyncio.sleep(RETRY_SECONDS)
    return changes


async def _sync_one(js: JetStreamContext, wanted: StreamConfig) -> StreamChange:
    assert wanted.name is not None
    try:
        info = await js.stream_info(wanted.name)
    except NotFoundError:
        await js.add_stream(wanted)
        return StreamChange(wanted.name, "created")
    current = info.config
    if any(getattr(current, f) != getattr(wanted, f) for f in _COMPARED):
        await js.update_stream(wanted)
        return StreamChange(wanted.name, "updated")
    return StreamChange(wanted.name, "unchanged")
