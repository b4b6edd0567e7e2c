"""/openapi.json as a client generator reads it, checked for every route of the table.

No servers: the document is built from the route table and the contract models, so a new
route is checked here without further work.
"""

from __future__ import annotations

import re
import types
from enum import Enum
from typing import Any, Union, get_args, get_origin

import pytest

from govbus_gateway.app import create_app
from govbus_gateway.openapi import BEARER, refs_in
from govbus_gateway.routes import all_routes
from govbus_gateway.routing import Route
from govbus_gateway.settings import GatewaySettings

SECRET = "openapi-test-secret-" + "x" * 32
PREFIX = "/api/v1"
ROUTES = all_routes()


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return create_app(GatewaySettings(), secret=SECRET).openapi()


def operation(spec: dict[str, Any], r: Route) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][PREFIX + r.path][r.method.lower()]
    return op


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].removeprefix(
            "#/components/schemas/")]
    return schema


def parameters(spec: dict[str, Any], r: Route, where: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation(spec, r).get("parameters", []) if p["in"] == where}


def ids(r: Route) -> str:
    return r.operation_id


def test_every_reference_resolves(spec):
    schemas = spec["components"]["schemas"]
    dangling = {ref for ref in refs_in(spec)
                if ref.removeprefix("#/components/schemas/") not in schemas}
    assert dangling == set()


@pytest.mark.parametrize("r", ROUTES, ids=ids)
def test_every_path_parameter_is_declared(spec, r):
    declared = parameters(spec, r, "path")
    for name in re.findall(r"{(\w+)}", r.path):
        assert name in declared, f"{r.operation_id}: path parameter {name} not declared"
        assert declared[name]["required"] is True
        assert declared[name]["schema"], name
        assert declared[name]["description"], name


@pytest.mark.parametrize("r", [r for r in ROUTES if r.method != "GET"], ids=ids)
def test_a_body_holds_only_what_the_body_carries(spec, r):
    in_path = set(re.findall(r"{(\w+)}", r.path))
    body = operation(spec, r)["requestBody"]
    schema = resolve(spec, body["content"]["application/json"]["schema"])
    assert not in_path & set(schema.get("required", [])), r.operation_id
    assert not in_path & set(schema.get("properties", {})), r.operation_id
    fields = set(r.spec.request.model_fields) - in_path
    assert set(schema.get("properties", {})) == fields
    assert body["required"] == bool(schema.get("required"))


@pytest.mark.parametrize("r", [r for r in ROUTES if r.method == "GET"], ids=ids)
def test_a_get_route_declares_its_query_parameters(spec, r):
    """q, status, limit, offset, ...: each field of the query model that is not in the path."""
    query = parameters(spec, r, "query")
    model = r.spec.request
    expected = set(model.model_fields) - set(re.findall(r"{(\w+)}", r.path))
    assert set(query) == expected, r.operation_id
    for name in expected:
        field = model.model_fields[name]
        assert query[name]["required"] == field.is_required(), name
        assert query[name]["description"], name
        schema = resolve(spec, query[name]["schema"])
        assert schema.get("type") in ("string", "integer", "number", "boolean", "array") \
            or "enum" in schema, f"{r.operation_id}: {name} cannot travel in a query string"
        for bound in field.metadata:
            for attribute, keyword in (("le", "maximum"), ("ge", "minimum"),
                                       ("max_length", "maxLength")):
                if getattr(bound, attribute, None) is not None:
                    assert schema[keyword] == getattr(bound, attribute), (name, keyword)


def test_list_routes_can_search_and_page(spec):
    by_id = {r.operation_id: r for r in ROUTES}
    search = parameters(spec, by_id["search_catalogue"], "query")
    assert {"q", "offset", "limit"} <= set(search)
    assert search["limit"]["schema"]["maximum"] == 50
    listing = parameters(spec, by_id["list_incoming"], "query")
    assert {"status", "offset", "limit"} <= set(listing)
    assert resolve(spec, listing["status"]["schema"])["enum"]


def _enum(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        found = [e for a in get_args(annotation) if (e := _enum(a)) is not None]
        return found[0] if found else None
    return None


@pytest.mark.parametrize("r", ROUTES, ids=ids)
def test_model_names_are_unique(spec, r):
    """Two contract models of one name (收文 and 发文 ``ReviewDecision``) each keep their own
    schema: every enum field of a request resolves to its own members."""
    op = operation(spec, r)
    if r.method == "GET":
        fields = {name: p["schema"] for name, p in parameters(spec, r, "query").items()}
    else:
        schema = resolve(spec, op["requestBody"]["content"]["application/json"]["schema"])
        fields = schema.get("properties", {})
    for name, field in r.spec.request.model_fields.items():
        enum = _enum(field.annotation)
        if enum is None or name not in fields:
            continue
        declared = fields[name]
        options = [resolve(spec, o) for o in declared.get("anyOf", [declared])]
        members = [o["enum"] for o in options if "enum" in o]
        assert members == [[m.value for m in enum]], (r.operation_id, name)


@pytest.mark.parametrize("r", ROUTES, ids=ids)
def test_security_is_declared(spec, r):
    assert BEARER in spec["components"]["securitySchemes"]
    assert spec["components"]["securitySchemes"][BEARER]["scheme"] == "bearer"
    security = operation(spec, r)["security"]
    if r.public:
        assert {} in security, "a public route needs no token"
    else:
        assert security == [{BEARER: []}], "a staff route requires the bearer token"


def test_operations_routes_are_public(spec):
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert spec["paths"]["/livez"]["get"]["security"] == []


@pytest.mark.parametrize("r", [r for r in ROUTES if r.is_command], ids=ids)
def test_every_command_route_accepts_an_idempotency_key(spec, r):
    header = {p["name"].lower(): p for p in operation(spec, r).get("parameters", [])
              if p["in"] == "header"}
    assert "idempotency-key" in header
    assert header["idempotency-key"]["required"] is False
    timeout = operation(spec, r)["responses"]["504"]
    assert "Idempotency-Key" in timeout["description"]
    assert "Retry-After" in timeout["headers"]


@pytest.mark.parametrize("r", ROUTES, ids=ids)
def test_replies_and_errors_are_described(spec, r):
    responses = operation(spec, r)["responses"]
    if r.download is None:
        reply = resolve(spec, responses[str(r.status)]["content"]["application/json"]["schema"])
        assert set(reply.get("properties", {})) == set(r.spec.reply.model_fields)
    error = resolve(spec, responses["422"]["content"]["application/json"]["schema"])
    assert "error" in error["properties"]


@pytest.mark.parametrize("r", ROUTES, ids=lambda r: r.spec.name)
def test_a_routes_roles_are_its_services_own_roles(r: Route):
    """The roles a route admits are members of its service's ``Role`` enum in the contracts,
    never strings restated in the gateway (a renamed role would silently lock a route)."""
    import importlib

    roles = importlib.import_module(f"govbus_contracts.services.{r.spec.service}.common").Role
    assert all(isinstance(role, roles) for role in r.roles), (
        r.spec.name, sorted(str(x) for x in r.roles if not isinstance(x, roles)))


#: Commands no HTTP caller may reach: a service asks them of another as itself (its system
#: principal, signed with its own key), so the gateway has no route to them.
SERVICES_ONLY = {
    # 代拟 (issue 13): supervision asks documents to draft an item's 督办通知书; the office's
    # staff then take the draft through the ordinary routes of 发文.
    "gov.documents.cmd.draft_requested_outgoing.v1",
}


def test_services_only_commands_have_no_route(spec):
    from govbus_contracts.registry import all_contracts

    known = {c.subject for contract in all_contracts() for c in contract.commands}
    assert SERVICES_ONLY <= known, sorted(SERVICES_ONLY - known)
    routed = {r.spec.subject for r in ROUTES}
    assert not SERVICES_ONLY & routed
    operations = {op.get("operationId") for path in spec["paths"].values()
                  for op in path.values() if isinstance(op, dict)}
    assert not {s.split(".")[3] for s in SERVICES_ONLY} & operations
