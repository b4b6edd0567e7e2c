"""Provisioning of the JetStream streams from the contracts.

Streams are provisioned once, by ``govbus streams sync`` (or deploy/), never by a service at
start-up: with services deployed independently, the last one started would win.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from govbus_contracts.registry import ServiceContract
from govbus_contracts.subjects import DLQ_PREFIX, DLQ_STREAM
from govbus_kit.settings import Settings

DAY = 86_400.0


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
    configs.append(config(DLQ_STREAM, [f"{DLQ_PREFIX}.>"], "dead letters with their errors"))
    return configs


_COMPARED = ("subjects", "num_replicas", "max_age", "duplicate_window", "storage", "retention")


async def sync_streams(
    js: JetStreamContext, contracts: list[ServiceContract], settings: Settings
) -> list[StreamChange]:
    changes: list[StreamChange] = []
    for wanted in stream_configs(contracts, settings):
        assert wanted.name is not None
        try:
            info = await js.stream_info(wanted.name)
        except NotFoundError:
            await js.add_stream(wanted)
            changes.append(StreamChange(wanted.name, "created"))
            continue
        current = info.config
        if any(getattr(current, f) != getattr(wanted, f) for f in _COMPARED):
            await js.update_stream(wanted)
            changes.append(StreamChange(wanted.name, "updated"))
        else:
            changes.append(StreamChange(wanted.name, "unchanged"))
    return changes
