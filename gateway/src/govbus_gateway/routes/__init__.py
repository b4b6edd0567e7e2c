"""Route tables of the installed services: entry points in group ``govbus.routes``.

A service's distribution names its route table (a list of ``Route``) there, as
gateway/pyproject.toml does for the office's services whose tables live in this package
(one module per service, each with ``ROUTES``); nothing here lists the services.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from govbus_gateway.routing import Route

GROUP = "govbus.routes"


def all_routes() -> list[Route]:
    """Every installed route table, by service name."""
    table: list[Route] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name):
        obj = ep.load()
        routes = obj() if callable(obj) else obj
        if not isinstance(routes, list) or not all(isinstance(r, Route) for r in routes):
            raise TypeError(f"entry point {ep.name} = {ep.value} ({GROUP}) is no list of Route")
        table += routes
    return table
