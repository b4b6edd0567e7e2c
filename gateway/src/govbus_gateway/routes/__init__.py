"""Route tables of the office's services: one module per service, each with ``ROUTES``."""

from __future__ import annotations

from govbus_gateway.routing import Route


def all_routes() -> list[Route]:
    # Service route modules are added here as the services arrive.
    return []
