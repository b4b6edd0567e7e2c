"""MongoDB access: one ``AsyncMongoClient`` per event loop, one database per service."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from govbus_kit.settings import Settings

Document = dict[str, Any]


def make_client(url: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back in UTC with their zone, as they went in.
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=10_000)


def service_database(
    client: AsyncMongoClient[Document], settings: Settings, service: str
) -> AsyncDatabase[Document]:
    return client[settings.database_name(service)]
