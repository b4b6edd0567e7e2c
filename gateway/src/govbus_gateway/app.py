"""The HTTP gateway: authentication, authorisation, validation, translation to bus requests.

No business rules and no database: a route checks who calls, builds the contract model from
the request and forwards it; the service decides on whose data the caller may act.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from faststream.nats import NatsBroker
from pydantic import ValidationError

from govbus_contracts.envelope import Principal, new_id
from govbus_contracts.errors import ErrorBody, ErrorCode, GovbusError
from govbus_contracts.registry import CommandSpec, ServiceContract, all_contracts
from govbus_gateway.auth import Authenticator
from govbus_gateway.buslink import BUS_DOWN, BUS_RETRY_AFTER, BusLink, down
from govbus_gateway.callers import (
    Caller,
    ClientAddresses,
    caller_kind,
    parse_networks,
    scoped_command_id,
)
from govbus_gateway.limits import BodySizeLimit, RateLimiter
from govbus_gateway.openapi import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_MAX,
    IDEMPOTENCY_MIN,
    complete_openapi,
)
from govbus_gateway.routes import all_routes
from govbus_gateway.routing import DownloadSpec, Route
from govbus_gateway.settings import GatewaySettings
from govbus_kit.bus import make_broker, stop_broker
from govbus_kit.bus import request as bus_request
from govbus_kit.logging import get_logger

log = get_logger("govbus.gateway")
API_PREFIX = "/api/v1"
#: an X-Request-Id the gateway passes on: printable ASCII without spaces, at most 128
REQUEST_ID = re.compile(r"[!-~]{1,128}")
#: seconds a client is asked to wait before repeating a command that timed out, at most
RETRY_AFTER_MAX = 10

STATUS = {
    ErrorCode.validation_failed: 422,
    ErrorCode.unauthenticated: 401,
    ErrorCode.forbidden: 403,
    ErrorCode.not_found: 404,
    ErrorCode.conflict: 409,
    ErrorCode.invalid_transition: 409,
    ErrorCode.deadline_passed: 409,
    ErrorCode.idempotency_key_reused: 422,
    ErrorCode.payload_too_large: 413,
    ErrorCode.rate_limited: 429,
    ErrorCode.unavailable: 503,
    ErrorCode.overloaded: 503,
    ErrorCode.timeout: 504,
    ErrorCode.expired: 504,
    ErrorCode.internal: 500,
}


#: what a client hears of an unexpected error: nothing of its cause (that is in the log)
INTERNAL_MESSAGE = "internal error; the office can find it by its request id"


def internal_error(request_id: str | None) -> GovbusError:
    """``internal`` with a generic message and the request (correlation) id, nothing else:
    no exception class, no service detail reaches a client."""
    return GovbusError(ErrorCode.internal, INTERNAL_MESSAGE,
                       **({"request_id": request_id} if request_id else {}))


def error_response(exc: GovbusError, request_id: str | None = None) -> JSONResponse:
    if exc.code is ErrorCode.internal and exc.message != INTERNAL_MESSAGE:
        # A service's internal error, or a reply the gateway cannot use: logged, not told.
        log.error("internal_error_answered", reason=exc.message, details=exc.details)
        exc = internal_error(request_id)
    headers = {"X-Request-Id": request_id} if request_id else {}
    if (exc.code in (ErrorCode.rate_limited, ErrorCode.timeout, ErrorCode.unavailable,
                     ErrorCode.overloaded, ErrorCode.expired)
            and "retry_after" in exc.details):
        headers["Retry-After"] = str(exc.details["retry_after"])
    if (exc.code in (ErrorCode.timeout, ErrorCode.unavailable, ErrorCode.expired)
            and "idempotency_key" in exc.details):
        headers[IDEMPOTENCY_KEY] = str(exc.details["idempotency_key"])
    return JSONResponse(exc.to_reply().model_dump(mode="json"),
                        status_code=STATUS.get(exc.code, 500), headers=headers)


def create_app(
    settings: GatewaySettings,
    *,
    secret: str | None = None,
    routes: list[Route] | None = None,
    contracts: list[ServiceContract] | None = None,
    broker: NatsBroker | None = None,
    trusted_proxies: Sequence[str] | None = None,
) -> FastAPI:
    """The gateway application. ``routes`` and ``contracts`` add to the office's own;
    ``trusted_proxies`` (default: ``GOVBUS_TRUSTED_PROXIES``) are the peers whose
    forwarding header names the client."""
    authenticator = Authenticator(
        secret=secret if secret is not None else (
            settings.jwt_secret.get_secret_value() if settings.jwt_secret else None),
        jwks_url=settings.jwt_jwks_url, issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    table = [*all_routes(), *(routes or [])]
    known = {c.name: c for c in [*all_contracts(), *(contracts or [])]}
    limiter = RateLimiter(settings.public_rate_limit_per_minute)
    addresses = ClientAddresses(
        parse_networks(settings.trusted_proxies if trusted_proxies is None else trusted_proxies),
        settings.trusted_proxy_header)
    # The roles some route requires: a token carrying one is staff; any other token (an
    # identity provider's default roles such as offline_access) is limited like the public.
    staff_roles = frozenset(role for r in table for role in r.roles)
    link = BusLink()
    # A broker given by the caller is refused to while down, but its requests already
    # waiting when it drops wait out their timeout: only ours tells the link at once.
    bus = broker or make_broker(settings, disconnected_cb=link.dropped,
                                reconnected_cb=link.restored)
    link.broker = bus

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await bus.connect()
        log.info("gateway_started", routes=len(table))
        try:
            yield
        finally:
            await stop_broker(bus)  # also while the broker is away

    app = FastAPI(
        title="govbus gateway",
        version="1",
        description=(
            "HTTP edge of govbus, the message bus of a government general office (政府办公室). "
            "Staff authenticate with a bearer JWT (roles and department in its claims); the "
            "public reaches only the routes marked public (x-govbus-public; a token there is "
            "optional). Every route's operationId is the command or query it forwards. "
            "Idempotency-Key on a command makes a retry return the first result; a command "
            "that timed out (504), or was cut off by a lost bus connection (503 naming its key), "
            "may have completed: repeat it with the same key after Retry-After seconds. While "
            "the bus is away every route answers 503 with Retry-After at once. "
            "Errors: {error: {code, message, details}}."
        ),
        lifespan=lifespan,
    )
    app.state.bus = bus
    app.state.link = link

    @app.middleware("http")
    async def request_ids(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                          ) -> Response:
        given = request.headers.get("x-request-id", "")
        # It becomes the work's correlation id on the bus (headers of commands and events):
        # a client's own id is kept when it is a short token, else the gateway makes one.
        request_id = given if REQUEST_ID.fullmatch(given) else new_id()
        request.state.request_id = request_id
        with structlog.contextvars.bound_contextvars(request_id=request_id,
                                                     path=request.url.path):
            response = await call_next(request)
        response.headers["X-Request-Id"] = request_id
        return response

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    @app.exception_handler(GovbusError)
    async def on_error(request: Request, exc: GovbusError) -> JSONResponse:
        return error_response(exc, getattr(request.state, "request_id", None))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Logged with its stack; the client gets the request id to quote, nothing more.
        request_id = getattr(request.state, "request_id", None)
        log.error("gateway_failed", request_id=request_id, path=request.url.path,
                  exc_info=exc)
        return error_response(internal_error(request_id), request_id)

    @app.get("/livez", operation_id="livez", tags=["operations"])
    async def livez() -> dict[str, str]:
        """The gateway process answers (for liveness and readiness probes: it does not
        depend on the services, so one service down does not take the API away)."""
        return {"status": "ok"}

    @app.get("/healthz", operation_id="healthz", tags=["operations"])
    async def healthz() -> JSONResponse:
        """Whether the gateway, the bus and each service answer: each service's own reply
        (its checks and figures) as it gave it; at once, without asking, while the bus is
        down."""
        bus_ok = link.up()

        async def ask(contract: ServiceContract) -> tuple[str, dict[str, Any]]:
            try:
                reply = await link.ask(bus_request(bus, contract.health, {}, timeout=2.0))
                return contract.name, reply
            except GovbusError as exc:
                return contract.name, {"status": "down", "error": exc.code.value}

        answers = dict(await asyncio.gather(*(ask(c) for c in known.values()))) if bus_ok else {
            name: {"status": "down", "error": "bus unreachable"} for name in known}
        healthy = bus_ok and all(a.get("status") == "ok" for a in answers.values())
        # Warnings (next year's calendar only provisional, say) do not make it unhealthy.
        warnings = sorted({w for a in answers.values() for w in a.get("warnings") or []})
        body = {"status": "ok" if healthy else "degraded", "gateway": "ok",
                "bus": "ok" if bus_ok else "down", "services": answers, "warnings": warnings}
        return JSONResponse(body, status_code=200 if healthy else 503)

    for r in table:
        _mount(app, r, authenticator, limiter, settings, addresses, staff_roles)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete_openapi(
                get_openapi(title=app.title, version=app.version,
                            description=app.description, routes=app.routes),
                table, API_PREFIX)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _mount(app: FastAPI, r: Route, authenticator: Authenticator, limiter: RateLimiter,
           settings: GatewaySettings, addresses: ClientAddresses, staff_roles: frozenset[str]
           ) -> None:
    spec = r.spec
    model = spec.request
    is_command = isinstance(spec, CommandSpec)

    async def endpoint(request: Request) -> Response:
        request_id = request.state.request_id
        principal = await authenticator.principal(request.headers.get("authorization"))
        address = addresses(request)
        token_holder = principal
        if r.public:
            # Limited by what the caller is: only staff pass unlimited (issue 9).
            if caller_kind(principal, staff_roles) is not Caller.staff:
                wait = limiter.take(address)
                if wait:
                    raise GovbusError(ErrorCode.rate_limited, "too many requests; slow down",
                                      retry_after=wait)
            principal = principal or Principal.anonymous()
        else:
            if principal is None:
                raise GovbusError(ErrorCode.unauthenticated, "this route needs a bearer token")
            if not principal.roles.intersection(r.roles):
                raise GovbusError(ErrorCode.forbidden, "your role may not do this",
                                  needs=sorted(r.roles))
        data = await _input(request, model)
        try:
            payload = model.model_validate(data)
        except ValidationError as exc:
            raise _invalid(exc, request) from exc
        message_id = request.headers.get("idempotency-key") if is_command else None
        if message_id is not None and not (
                IDEMPOTENCY_MIN <= len(message_id) <= IDEMPOTENCY_MAX):
            raise GovbusError(
                ErrorCode.validation_failed,
                f"the request is not valid: header.Idempotency-Key: must have "
                f"{IDEMPOTENCY_MIN} to {IDEMPOTENCY_MAX} characters",
                problems=[{"field": "Idempotency-Key", "in": "header",
                           "problem": "length out of range"}])
        if is_command and message_id is None:
            # The command's id all the same: a 504 can then name the key to repeat it with.
            message_id = new_id()
        # A stored reply belongs to the caller who caused it: the key is scoped by caller.
        command_id = (scoped_command_id(message_id, token_holder, address)
                      if message_id is not None else None)
        timeout = r.timeout or settings.request_timeout_seconds
        try:
            # While the bus is away: 503 at once, not 504 after the timeout (issue 11).
            reply = await request.app.state.link.ask(
                bus_request(request.app.state.bus, spec, payload.model_dump(mode="json"),
                            principal=principal, message_id=command_id,
                            correlation_id=request_id, timeout=timeout),
                message_id=message_id)
        except GovbusError as exc:
            if is_command and exc.code is ErrorCode.timeout and message_id is not None:
                raise _command_timeout(exc, message_id, timeout) from exc
            if is_command and exc.code is ErrorCode.expired and message_id is not None:
                # Not started (its deadline passed while it queued): as safe to repeat with
                # its key as a timeout, and the client hears the key alike.
                raise _command_expired(exc, message_id, timeout) from exc
            if exc.code is ErrorCode.unavailable:
                raise _unavailable(exc) from exc
            raise
        if r.download is not None:
            return download_response(reply, r.download, r.status)
        return JSONResponse(reply, status_code=r.status)

    # Parameters, bodies, replies and security are described by complete_openapi.
    success: dict[str, Any] = {"description": "done"}
    if r.download is not None:
        success = {"description": "the file", "content": {
            r.download.media_type: {"schema": {"type": "string", "format": "binary"}}}}
    app.add_api_route(
        API_PREFIX + r.path, endpoint, methods=[r.method], operation_id=r.operation_id,
        summary=r.summary or spec.summary.strip().split("\n")[0] or r.operation_id,
        tags=list(r.tags), status_code=r.status,
        responses={r.status: success},
    )


def _unavailable(exc: GovbusError) -> GovbusError:
    """503 ``unavailable`` always with ``Retry-After``: the bus is away, the service is not
    running (being restarted) or not ready yet; each passes within seconds."""
    details = {**exc.details}
    details.setdefault("retry_after", BUS_RETRY_AFTER)
    message, said = exc.message, down().message
    if message.startswith(BUS_DOWN) and message != said and "Idempotency-Key" not in message:
        # The bus layer names the driver's exception: logged, not told (issue 9).
        log.warning("bus_unavailable", reason=message)
        message = said
    return GovbusError(ErrorCode.unavailable, message, **details)


def _command_timeout(exc: GovbusError, key: str, timeout: float) -> GovbusError:
    """A command the service did not answer in time may still complete (it was only slow):
    the client must hear that, and how to learn its result without acting twice."""
    wait = min(RETRY_AFTER_MAX, max(1, math.ceil(timeout)))
    return GovbusError(
        ErrorCode.timeout,
        f"{exc.message}; the command may have completed: repeat it with the same "
        f"Idempotency-Key ({key}) to get its result, it does not act twice",
        **{**exc.details, "idempotency_key": key, "retry_after": wait})


def _command_expired(exc: GovbusError, key: str, timeout: float) -> GovbusError:
    """A command the service never started (its caller's deadline passed while it queued):
    504 ``expired`` naming the Idempotency-Key to repeat it with, like a timeout."""
    wait = min(RETRY_AFTER_MAX, max(1, math.ceil(timeout)))
    return GovbusError(
        ErrorCode.expired,
        f"{exc.message}; the command was not carried out: repeat it with the same "
        f"Idempotency-Key ({key})",
        **{**exc.details, "idempotency_key": key, "retry_after": wait})


#: problems named in an error's message; all of them are in its details
MESSAGE_PROBLEMS = 5


def _invalid(exc: ValidationError, request: Request) -> GovbusError:
    """``validation_failed`` naming each field (``body.applicant.name``, ``query.limit``,
    ``path.id``) and why, in the message and in ``details.problems``."""
    problems = []
    for e in exc.errors(include_url=False, include_input=False):
        field = ".".join(str(p) for p in e["loc"])
        top = str(e["loc"][0]) if e["loc"] else ""
        where = ("path" if top in request.path_params
                 else "query" if request.method == "GET" else "body")
        problems.append({"field": field, "in": where, "problem": e["msg"]})
    said = "; ".join(f"{p['in']}.{p['field']}: {p['problem']}" if p["field"]
                     else f"{p['in']}: {p['problem']}" for p in problems[:MESSAGE_PROBLEMS])
    if len(problems) > MESSAGE_PROBLEMS:
        said += f"; and {len(problems) - MESSAGE_PROBLEMS} more (see details.problems)"
    return GovbusError(ErrorCode.validation_failed, f"the request is not valid: {said}",
                       problems=problems)


def download_response(reply: dict[str, Any], download: DownloadSpec, status: int) -> Response:
    """A reply carrying a file in a base64 field, answered as the file itself."""
    encoded = reply.get(download.field)
    if not isinstance(encoded, str):
        raise GovbusError(ErrorCode.internal, "the service's reply holds no file",
                          field=download.field)
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise GovbusError(ErrorCode.internal, "the service's file is not valid base64",
                          field=download.field) from exc
    name = reply.get(download.filename_field) if download.filename_field else None
    filename = name if isinstance(name, str) and name else download.filename
    kind = reply.get(download.media_type_field) if download.media_type_field else None
    media_type = kind if isinstance(kind, str) and kind else download.media_type
    # RFC 6266 / 5987: an ASCII fallback, and the real (Chinese) name percent-encoded.
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(content, status_code=status, media_type=media_type,
                    headers={"Content-Disposition": disposition})


#: levels of arrays and objects a body may nest; the deepest contract needs a handful
MAX_BODY_DEPTH = 32


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request body, or ``validation_failed``: a body that is not UTF-8
    (RFC 8259 §8.1), not JSON (NaN and Infinity are not), not an object, nests deeper than
    ``MAX_BODY_DEPTH`` or holds a number Python will not convert is bad input, never a 500."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GovbusError(ErrorCode.validation_failed,
                          f"body is not UTF-8 (byte {exc.start} is not valid)") from exc
    try:
        body = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise GovbusError(ErrorCode.validation_failed,
                          f"body nests deeper than {MAX_BODY_DEPTH} levels") from exc
    except json.JSONDecodeError as exc:
        raise GovbusError(ErrorCode.validation_failed, f"body is not JSON: {exc}") from exc
    except ValueError as exc:  # NaN, Infinity, an integer of more than 4300 digits
        raise GovbusError(ErrorCode.validation_failed,
                          "body is not valid JSON: it holds NaN, Infinity or a number of "
                          "more than 4300 digits") from exc
    if not isinstance(body, dict):
        raise GovbusError(ErrorCode.validation_failed, "body must be a JSON object")
    if _depth(body) > MAX_BODY_DEPTH:
        raise GovbusError(ErrorCode.validation_failed,
                          f"body nests deeper than {MAX_BODY_DEPTH} levels")
    return body


def _depth(value: Any) -> int:
    """Levels of nesting of a parsed JSON value, without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_BODY_DEPTH:
                level += [(v, depth + 1) for v in (
                    node.values() if isinstance(node, dict) else node)]
    return deepest


async def _input(request: Request, model: type[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if request.method in ("POST", "PUT", "DELETE"):
        raw = await request.body()
        if raw:
            data.update(parse_body(raw))
    else:
        fields = getattr(model, "model_fields", {})
        for key in request.query_params:
            values = request.query_params.getlist(key)
            annotation = str(fields[key].annotation) if key in fields else ""
            data[key] = values if ("list" in annotation or "tuple" in annotation) else values[-1]
    for key, value in request.path_params.items():
        if key in data and data[key] != value:
            raise GovbusError(ErrorCode.validation_failed,
                              f"{key} in the path and in the body differ")
        data[key] = value
    return data


__all__ = ["ErrorBody", "create_app", "download_response", "error_response"]
