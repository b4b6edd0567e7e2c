"""Route tables of the office's services: one module per service, each with ``ROUTES``."""

from __future__ import annotations

from govbus_gateway.routing import Route


def all_routes() -> list[Route]:
    from govbus_gateway.routes import disclosure, documents

    return [*documents.ROUTES, *disclosure.ROUTES]
