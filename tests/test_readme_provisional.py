"""The root README's citizen request on a day of December 2026 whose 20 working days run into
a year whose 调休 are not published yet: accepted, with a deadline marked provisional, and
/healthz saying so as a warning. Its body is read from README.md itself.

A module of its own: its services run on a clock of their own, and two Hosts of one service
share a queue group, so it must not run while the README runner's stack is up
(test_readme_examples.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import create_app
from govbus_kit.calendar import WorkingCalendar
from govbus_kit.clock import ManualClock
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, running
from govbus_testing import readme_examples as rx


@pytest.mark.servers
async def test_the_readme_request_is_accepted_in_december_with_a_provisional_deadline(settings):
    """The citizen's request, on a day of December 2026 whose 20 working days run into a
    year whose 调休 are not published yet: accepted, with a deadline marked provisional, and
    /healthz saying so as a warning."""
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_readme_{uuid.uuid4().hex[:8]}")
    # Monday 14 December 2026, 10:00 Beijing time.
    clock = ManualClock(datetime(2026, 12, 14, 2, 0, tzinfo=UTC))
    secret = settings.jwt_secret.get_secret_value()
    # Every installed service runs: /healthz asks each of them.
    async with running(own, disclosure, documents, supervision, clock=clock,
                       calendar=WorkingCalendar()):
        app = create_app(settings, secret=secret)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=30) as api:
                r = await api.post("/api/v1/disclosure/requests", json=rx.citizen_request_body())
                assert r.status_code == 201, r.text
                submitted = r.json()
                # 20 working days from 14 Dec 2026: 15–18 (4), 21–25 (9), 28–31 (13) |
                # 1 Jan 元旦 | 4–8 Jan (18), 11 (19), 12 (20) on the provisional 2027.
                assert submitted["due_on"] == "2027-01-12"
                assert submitted["due_on_provisional"] is True
                assert submitted["tracking_code"]

                health = await api.get("/healthz")
                assert health.status_code == 200, health.text
                assert health.json()["status"] == "ok"
                assert any("2027" in w for w in health.json()["warnings"])
