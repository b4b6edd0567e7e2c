"""Routes of the disclosure service (政府信息公开): one table per slice."""

from __future__ import annotations

from govbus_gateway.routes import disclosure_catalogue, disclosure_report, disclosure_requests
from govbus_gateway.routing import Route

ROUTES: list[Route] = [
    *disclosure_catalogue.ROUTES,
    *disclosure_requests.ROUTES,
    *disclosure_report.ROUTES,
]
