"""The supervision service object; handler modules register on it. Its settings are the
office's (``SupervisionSettings``), read when a host starts it and reached from the context."""

from __future__ import annotations

from govbus_contracts.services.supervision.common import CONTRACT
from govbus_kit.service import Service, ServiceContext
from govbus_supervision.settings import SupervisionSettings

service = Service(CONTRACT, version="0.1.0", settings=SupervisionSettings)


def sweep_seconds(ctx: ServiceContext) -> float:
    """How often the deadline sweeps run (``GOVBUS_SUPERVISION_SWEEP_SECONDS``)."""
    return ctx.own_settings(SupervisionSettings).sweep_seconds
