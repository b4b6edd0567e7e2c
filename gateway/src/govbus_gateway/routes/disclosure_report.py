"""Routes of the disclosure service: report. Filled by its slice."""

from __future__ import annotations

from govbus_gateway.routing import Route

ROUTES: list[Route] = []
