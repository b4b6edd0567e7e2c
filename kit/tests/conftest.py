"""Fixtures of the kit's own tests."""

from __future__ import annotations

import uuid

import pytest

from govbus_kit.store import make_client


@pytest.fixture
async def scratch_db(settings):
    """A database of its own on the test store, dropped afterwards."""
    client = make_client(settings.mongo_url)
    database = client[f"govbus_kittest_{uuid.uuid4().hex[:8]}"]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()
