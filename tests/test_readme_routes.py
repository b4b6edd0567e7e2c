"""Every route a README names exists, with the method and the query parameters it shows.

A README is read as a promise (the disclosure README once showed ``date_from`` for the
catalogue search, which the API refuses: the parameters are ``information_from/to`` and
``published_from/to``). Each `` `GET /api/v1/…?a=…&b=…` `` in any README of the repository is
checked against the gateway's own OpenAPI document: the path (path parameters by position),
the method, and every query parameter's name.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from govbus_gateway.app import create_app
from govbus_gateway.settings import GatewaySettings

ROOT = Path(__file__).resolve().parents[1]
READMES = sorted(p for p in ROOT.rglob("README.md")
                 if not any(part.startswith(".") or part in {"var", "node_modules"}
                            for part in p.relative_to(ROOT).parts))
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`\s?]+)(\?[^`\s]*)?`")
SECRET = "readme-routes-secret-" + "x" * 32


def mentions() -> list[tuple[str, str, str, list[str]]]:
    found = []
    for readme in READMES:
        for method, path, query in ROUTE.findall(readme.read_text(encoding="utf-8")):
            names = [part.split("=")[0] for part in query.lstrip("?").split("&") if part]
            found.append((str(readme.relative_to(ROOT)), method, path, names))
    return found


def template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"\\{[^}]+\\}", re.escape(path)) + "$")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(GatewaySettings(), secret=SECRET).openapi()


def test_the_readmes_name_routes_at_all():
    assert len(mentions()) >= 5, [str(p) for p in READMES]


@pytest.mark.parametrize(("readme", "method", "path", "names"), mentions(),
                         ids=[f"{r}:{m} {p}" for r, m, p, _ in mentions()])
def test_a_route_a_readme_names_exists_with_its_query_parameters(spec, readme, method, path,
                                                                 names):
    matching = [p for p in spec["paths"] if template(path).match(p)]
    assert matching, f"{readme}: {method} {path} is not a route of the gateway"
    operation = spec["paths"][matching[0]].get(method.lower())
    assert operation is not None, f"{readme}: {path} has no {method}"
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    unknown = [n for n in names if n not in declared]
    assert not unknown, (f"{readme}: {method} {path} shows {unknown}, which the API does not "
                         f"take; it takes {sorted(declared)}")
