"""The OpenAPI document as a client generator needs it, built from the route table.

FastAPI knows nothing of the contract models (an endpoint reads the raw request and builds
the model itself, so that every error has the govbus shape), so the document is completed
here from the same ``Route`` objects that mount the endpoints; a new route is described
without further work:

- path parameters (the ``{names}`` of the URL) and, on GET, query parameters, each from the
  query or command model's field: type, bounds, default and description;
- request bodies with only what the body carries (path fields left out);
- every schema once under ``components.schemas`` with a unique name (two contract models
  of one name, e.g. 收文 and 发文 ``ReviewDecision``, are named after their modules), so
  every ``$ref`` resolves;
- the bearer scheme (JWT): staff routes require it; public routes take it optionally;
- ``Idempotency-Key`` on every command route, and what a 504 means for a command.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from govbus_contracts.errors import ErrorReply
from govbus_gateway.routing import Route

REF = "#/components/schemas/"
BEARER = "bearerAuth"
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_MIN, IDEMPOTENCY_MAX = 8, 200

#: error statuses every bus route may answer (401/403 only where a token matters)
ERROR_STATUSES: dict[int, str] = {
    401: "unauthenticated: no or an invalid bearer token",
    403: "forbidden: the role may not do this",
    404: "not_found: unknown, or not visible to the caller",
    409: "conflict, invalid_transition or deadline_passed",
    413: "payload_too_large: the body is over the limit",
    422: "validation_failed (which field and why in message and details) or "
         "idempotency_key_reused",
    429: "rate_limited (public routes): wait Retry-After seconds",
    503: "unavailable: the service or the bus is not running",
    504: "timeout: the service did not answer in time",
}
COMMAND_TIMEOUT = (
    "timeout: the service did not answer in time. The command may have completed: repeat "
    "it with the same Idempotency-Key (given in details.idempotency_key and in the "
    "Idempotency-Key header if the request had none) after Retry-After seconds to get its "
    "result; it does not act twice."
)
#: descriptions of the paging parameters where the query model gives none
PAGINATION = {"offset": "分页: 跳过前 offset 条 (how many items to skip)",
              "limit": "分页: 每页最多 limit 条 (at most this many items)"}
RETRY_AFTER = {"description": "seconds to wait before repeating the request",
               "schema": {"type": "integer", "minimum": 1}}


def path_fields(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def complete_openapi(document: dict[str, Any], table: list[Route], prefix: str) -> dict[str, Any]:
    """Fill in the bus routes of ``document`` (FastAPI's, without their models)."""
    document = copy.deepcopy(document)
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorReply, "serialization")]
    for r in table:
        models.append((r.spec.request, "validation"))
        if r.download is None:
            models.append((r.spec.reply, "serialization"))
    refs, defs = _schemas(list(dict.fromkeys(models)))
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(defs)
    document["components"]["securitySchemes"] = {BEARER: {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "a JWT of the identity provider (RS256) or the local secret (HS256); "
                       "claims: sub, roles, department"}}
    error = refs[(ErrorReply, "serialization")]

    for r in table:
        operation = document["paths"][prefix + r.path][r.method.lower()]
        request = _definition(schemas, refs[(r.spec.request, "validation")])
        in_path = path_fields(r.path)
        parameters = [_parameter(name, "path", request, True, schemas) for name in in_path]
        if r.method == "GET":
            required = set(request.get("required", []))
            parameters += [_parameter(name, "query", request, name in required, schemas)
                           for name in request.get("properties", {}) if name not in in_path]
        else:
            body = _without(request, in_path)
            if in_path:
                name = _unique(schemas, f"{request.get('title', r.spec.request.__name__)}Body")
                schemas[name] = {**body, "title": name}
                body_schema = {"$ref": REF + name}
            else:
                body_schema = refs[(r.spec.request, "validation")]
            operation["requestBody"] = {"required": bool(body.get("required")), "content": {
                "application/json": {"schema": body_schema}}}
        if r.is_command:
            parameters.append({
                "name": IDEMPOTENCY_KEY, "in": "header", "required": False,
                "description": "the command's id: a retry with the same key returns the first "
                               "result instead of acting twice (also after a 504); without "
                               "it the gateway makes one and names it in a 504",
                "schema": {"type": "string", "minLength": IDEMPOTENCY_MIN,
                           "maxLength": IDEMPOTENCY_MAX}})
        if parameters:
            operation["parameters"] = parameters
        operation["security"] = [{}, {BEARER: []}] if r.public else [{BEARER: []}]
        if r.public:
            operation["x-govbus-public"] = True
        responses = operation.setdefault("responses", {})
        ok = responses.setdefault(str(r.status), {"description": "done"})
        if r.download is None:
            ok["content"] = {"application/json": {"schema": refs[(r.spec.reply,
                                                                  "serialization")]}}
        for status, description in _errors(r).items():
            answer: dict[str, Any] = {"description": description,
                                      "content": {"application/json": {"schema": error}}}
            if status == 429:
                answer["headers"] = {"Retry-After": RETRY_AFTER}
            if status == 504 and r.is_command:
                answer["headers"] = {"Retry-After": RETRY_AFTER, IDEMPOTENCY_KEY: {
                    "description": "the key to repeat the command with",
                    "schema": {"type": "string"}}}
            responses[str(status)] = answer

    for path in document["paths"].values():
        for operation in path.values():
            operation.setdefault("security", [])  # operations routes (livez, healthz)
    _prune(document)
    return document


def _errors(r: Route) -> dict[int, str]:
    """The error statuses this route may answer."""
    errors = dict(ERROR_STATUSES)
    if r.method == "GET":
        del errors[413]
    if r.public:
        del errors[403]
        errors[401] = "unauthenticated: an invalid bearer token (none is needed)"
    else:
        del errors[429]
    if r.is_command:
        errors[504] = COMMAND_TIMEOUT
    return errors


Refs = dict[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _schemas(models: list[tuple[type[BaseModel], JsonSchemaMode]]) -> tuple[Refs, dict[str, Any]]:
    """One JSON Schema per model; shared definitions once, with readable unique names."""
    refs: Refs
    refs, top = models_json_schema(models, ref_template=REF + "{model}")
    defs: dict[str, Any] = top.get("$defs", {})
    renames: dict[str, str] = {}
    taken = set(defs)
    for name in defs:
        if "__" not in name:
            continue
        *module, model = name.split("__")
        # govbus_contracts__services__documents__incoming__ReviewDecision → IncomingReviewDecision
        for depth in range(1, len(module) + 1):
            words = [w for part in module[-depth:] for w in part.split("_")]
            candidate = "".join(w[:1].upper() + w[1:] for w in words) + model
            if re.fullmatch(r"[A-Za-z0-9._-]+", candidate) and candidate not in taken:
                renames[name] = candidate
                taken.add(candidate)
                break
    if renames:
        refs, defs = _renamed((refs, defs), renames)
    return refs, defs


def _renamed(value: Any, renames: dict[str, str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith(REF):
                target = item[len(REF):]
                out[key] = REF + renames.get(target, target)
            else:
                out[renames.get(key, key) if isinstance(key, str) else key] = _renamed(
                    item, renames)
        return out
    if isinstance(value, tuple):
        return tuple(_renamed(v, renames) for v in value)
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    return value


def _definition(schemas: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    target: dict[str, Any] = schemas[ref["$ref"][len(REF):]]
    return target


def _without(schema: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    body = copy.deepcopy(schema)
    for name in fields:
        body.get("properties", {}).pop(name, None)
    required = [f for f in body.get("required", []) if f not in fields]
    if required:
        body["required"] = required
    else:
        body.pop("required", None)
    return body


def _parameter(name: str, where: str, model: dict[str, Any], required: bool,
               schemas: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(model.get("properties", {}).get(name, {"type": "string"}))
    description = schema.pop("description", None)
    title = schema.pop("title", None)
    options = schema.get("anyOf")
    if isinstance(options, list):  # X | None: the parameter is simply left out
        present = [o for o in options if o.get("type") != "null"]
        if len(present) == 1 and len(present) < len(options):
            del schema["anyOf"]
            schema = {**present[0], **schema}
            if schema.get("default", 0) is None:
                del schema["default"]
    if not description and "$ref" in schema:  # an enum: its own description says what it is
        description = schemas.get(schema["$ref"][len(REF):], {}).get("description")
    description = description or PAGINATION.get(name) or title or name
    parameter: dict[str, Any] = {"name": name, "in": where, "required": required,
                                 "schema": schema, "description": description}
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)  # ?k=a&k=b
    return parameter


def _unique(schemas: dict[str, Any], name: str) -> str:
    candidate, n = name, 2
    while candidate in schemas:
        candidate, n = f"{name}{n}", n + 1
    return candidate


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str):
                yield item
            else:
                yield from refs_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs_in(item)


def _prune(document: dict[str, Any]) -> None:
    """Drop component schemas no operation reaches (the request models whose body, without
    the path fields, is published under ``<Model>Body``)."""
    schemas = document["components"]["schemas"]
    reached: set[str] = set()
    todo = [r for r in refs_in(document["paths"]) if r.startswith(REF)]
    while todo:
        name = todo.pop()[len(REF):]
        if name in reached or name not in schemas:
            continue
        reached.add(name)
        todo += [r for r in refs_in(schemas[name]) if r.startswith(REF)]
    for name in list(schemas):
        if name not in reached:
            del schemas[name]
