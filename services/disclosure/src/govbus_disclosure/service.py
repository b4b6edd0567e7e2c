"""The disclosure service object; handler modules register on it. Its settings are the
office's (``DisclosureSettings``), read when a host starts it and reached from the context."""

from __future__ import annotations

from govbus_contracts.services.disclosure.common import CONTRACT
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit.service import Service, ServiceContext

service = Service(CONTRACT, version="0.1.0", settings=DisclosureSettings)


def sweep_seconds(ctx: ServiceContext) -> float:
    """How often the deadline sweeps run (``GOVBUS_DISCLOSURE_SWEEP_SECONDS``)."""
    return ctx.own_settings(DisclosureSettings).sweep_seconds
