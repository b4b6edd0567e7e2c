"""Object-level probes through the gateway (issue 9, item 1: OWASP API1).

Generated from the gateway's route table: every route with an object id in its path
(``{id}`` or ``{..._id}``) is called, by every identity the office has (each role, with and
without a department, and a caller without a token), once with an existing object that
identity may not see and once with an id that does not exist. The two answers must be the
same — status, code, message and details — apart from the id itself and the
request/correlation ids. A route added tomorrow is probed the day it is added: a route
whose objects this test does not know how to create fails here until it does.

Whether an identity may see an object is asked of the service itself, through the route
that reads it (the GET of that object, or the listing when there is no such GET). Only
identities that may not see an object are probed with it, so the probes change nothing.
Published catalogue entries are public: everybody sees them, and the test asserts so.

Real servers (session fixture), the documents, disclosure and supervision services in one Host, the
gateway over ASGI — as in tests/test_e2e_*.py.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import types
import typing
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_gateway.app import create_app
from govbus_gateway.routes import all_routes
from govbus_gateway.routing import Route
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, OfficeClock, bearer, running

SECRET = "probe-secret-" + "p" * 40
API = "/api/v1"
UNKNOWN = "00000000-0000-4000-8000-00000000dead"
ID_PARAM = re.compile(r"\{(id|[a-z_]*_id)\}")
# Fields of the error envelope that name the call rather than the object.
CALL_FIELDS = {"request_id", "correlation_id", "trace_id", "message_id"}


def staff(role: str, department: str | None) -> dict[str, str]:
    sub = f"probe-{role}-{department or 'office'}"
    # Every identity bears the name of a leader a copy is circulated to: names prove nothing.
    return bearer(SECRET, role, sub, "王副市长", department)


def identities() -> dict[str, dict[str, str]]:
    roles = sorted({role for r in all_routes() for role in r.roles})
    found = {"anonymous": {}}
    for role in roles:
        found[f"{role}"] = staff(role, None)
        found[f"{role}@外部科"] = staff(role, "外部科")
    return found


def object_routes() -> list[Route]:
    return [r for r in all_routes() if ID_PARAM.search(r.path)]


# --- a schema-valid body for any command, from its contract -------------------------------


def sample(annotation: Any, meta: list[Any]) -> Any:  # noqa: PLR0911, PLR0912
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *more = typing.get_args(annotation)
        return sample(inner, [*meta, *more])
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        return sample(options[0], meta)
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, set, frozenset, tuple):
        least = next((getattr(m, "min_length", None) for m in meta
                      if getattr(m, "min_length", None)), 0)
        (item, *_) = typing.get_args(annotation) or (str,)
        return [sample(item, []) for _ in range(least)]
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return body_of(annotation, set())
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if annotation is bool:
        return False
    if annotation is int:
        least = next((getattr(m, "ge", None) for m in meta
                      if getattr(m, "ge", None) is not None), 1)
        return max(least, 1)
    if annotation is float:
        return 1.0
    if annotation is dt.datetime:
        return "2026-03-10T09:00:00+08:00"
    if annotation is dt.date:
        return "2026-03-10"
    least = next((getattr(m, "min_length", None) for m in meta
                  if getattr(m, "min_length", None)), 1)
    return "探" * max(least, 4)


def body_of(model: type[BaseModel], skip: set[str]) -> dict[str, Any]:
    body = {name: sample(f.annotation, list(f.metadata))
            for name, f in model.model_fields.items() if f.is_required() and name not in skip}
    # A rule across fields (a result that needs a date, ...): try the other enum members.
    choices = [(name, member.value) for name, f in model.model_fields.items()
               if name in body and isinstance(f.annotation, type)
               and issubclass(f.annotation, enum.Enum) for member in f.annotation]
    for name, value in [(None, None), *choices]:
        candidate = body if name is None else {**body, name: value}
        try:
            model.model_validate({**candidate, **{p: "x" for p in skip}})
        except ValueError:
            continue
        return candidate
    return body


# --- calling a route ---------------------------------------------------------------------


def path_of(route: Route, object_id: str) -> str:
    path = ID_PARAM.sub(object_id, route.path)
    return API + re.sub(r"\{year\}", "2026", re.sub(r"\{[a-z_]+\}", "x", path))


async def call(api: httpx.AsyncClient, route: Route, object_id: str,
               who: dict[str, str]) -> httpx.Response:
    path = path_of(route, object_id)
    if route.method == "GET":
        return await api.get(path, headers=who)
    params = set(re.findall(r"\{([a-z_]+)\}", route.path))
    body = body_of(route.spec.request, params)
    return await api.request(route.method, path, json=body,
                             headers={**who, "Idempotency-Key": uuid.uuid4().hex})


def answer(response: httpx.Response, object_id: str) -> tuple[int, Any]:
    """What a caller learns, with the id it sent and the call's own ids left out."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text

    def scrub(value: Any, top: bool = False) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items()
                    if not (top and k in CALL_FIELDS)}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        if isinstance(value, str):
            return value.replace(object_id, "<id>")
        return value

    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {**body, "error": scrub(body["error"], top=True)}
    return response.status_code, scrub(body, top=True)


def reader_of(route: Route) -> tuple[Route, bool]:
    """The route that tells whether a caller sees the object of ``route``: the GET of the
    object (True), or else the listing of its collection (False)."""
    prefix = route.path[:ID_PARAM.search(route.path).end()]  # type: ignore[union-attr]
    for r in all_routes():
        if r.method == "GET" and r.path == prefix:
            return r, True
    collection = prefix.rsplit("/", 1)[0]
    for r in all_routes():
        if r.method == "GET" and r.path == collection:
            return r, False
    raise AssertionError(f"nothing reads the objects of {route.path}")


async def sees(api: httpx.AsyncClient, route: Route, object_id: str,
               who: dict[str, str]) -> bool:
    reader, by_id = reader_of(route)
    if by_id:
        return (await call(api, reader, object_id, who)).status_code == 200
    r = await api.get(API + reader.path, headers=who, params={"limit": 200})
    return r.status_code == 200 and object_id in r.text


# --- the objects -------------------------------------------------------------------------


REGISTRAR = staff("registrar", "办公室")
DRAFTER = staff("drafter", "秘书科")
CATALOGUE_OFFICER = staff("disclosure_officer", "审计局")
CENTRAL_OFFICER = staff("disclosure_officer", None)
SUPERVISOR = staff("supervisor", "督查室")


async def created(api: httpx.AsyncClient, path: str, body: dict[str, Any],
                  who: dict[str, str], key: str = "id") -> str:
    r = await api.post(API + path, json=body, headers=who)
    assert r.status_code == 201, r.text
    return str(r.json()[key])


async def objects(api: httpx.AsyncClient) -> dict[str, str]:
    """One existing object behind each id-bearing path prefix."""
    incoming = await created(api, "/documents/incoming", {
        "issuer": "江西省人民政府办公厅", "issuer_doc_number": "赣府厅字〔2026〕9号",
        "doc_type": "通知", "urgency": "特急", "received_on": "2026-03-09", "copies": 1,
        "classification": {"level": "机密", "period": "10年"},
        "title": "关于做好重大活动安全保卫工作的通知", "body": "(机密正文)"}, REGISTRAR)
    # Circulated to a leader by user id: whoever else bears the leader's name holds nothing.
    r = await api.post(f"{API}/documents/incoming/{incoming}/review",
                       json={"decision": "受理"}, headers=REGISTRAR)
    assert r.status_code == 200, r.text
    r = await api.post(f"{API}/documents/incoming/{incoming}/circulate", json={
        "leader_readers": [{"subject": "u-wang", "name": "王副市长"}]}, headers=REGISTRAR)
    assert r.status_code == 200, r.text
    outgoing = await created(api, "/documents/outgoing", {
        "doc_type": "通知", "title": "关于开展春季爱国卫生运动的通知",
        "body": "各科室: 现就开展春季爱国卫生运动有关事项通知如下。",
        "main_recipients": ["秘书科"], "recipient_departments": ["秘书科"],
        "disclosure": "依申请公开", "issuer_code": "宜府办字",
        "issuing_organ": "宜春市人民政府办公室"}, DRAFTER, key="document_id")
    request = await created(api, "/disclosure/requests", {
        "applicant_type": "自然人", "applicant": {"name": "张三"},
        "contact": {"phone": "13907950000"},
        "information": {"description": "2025年度老旧小区改造项目清单"},
        "form": "电子", "delivery": "在线查看"}, {})
    entry = await created(api, "/disclosure/catalogue", {
        "category": "预决算", "title": "审计局2026年部门预算", "summary": "部门预算公开",
        "information_date": "2026-03-02",
        "issuing_organ": "宜春市审计局", "department": "审计局", "publish": False},
        CATALOGUE_OFFICER, key="entry_id")
    case = await created(api, "/disclosure/review-cases", {
        "kind": "行政复议", "case_number": "市府复〔2026〕3号", "filed_on": "2026-03-02"},
        CENTRAL_OFFICER)
    # A 督查事项 registered and assigned to 住建局 with 财政局: 外部科 is neither.
    item = await created(api, "/supervision/items", {
        "title": "关于老旧小区改造进度滞后问题的督办",
        "content": "报道反映改造进度滞后, 请核实整改。",
        "source": {"kind": "其他督查事项", "manual": {"manual_kind": "媒体报道",
                                                  "origin": "宜春日报2026年3月2日第4版"}}},
        SUPERVISOR)
    for step, body in (("register", {}), ("assign", {"lead_department": "住建局",
                                                     "co_departments": ["财政局"],
                                                     "due_on": "2026-04-30"})):
        r = await api.post(f"{API}/supervision/items/{item}/{step}", json=body,
                           headers=SUPERVISOR)
        assert r.status_code == 200, r.text
    return {"/documents/incoming/{id}": incoming,
            "/supervision/items/{id}": item,
            "/documents/outgoing/{document_id}": outgoing,
            "/disclosure/requests/{request_id}": request,
            "/disclosure/catalogue/{entry_id}": entry,
            "/disclosure/review-cases/{case_id}": case}


def object_of(route: Route, known: dict[str, str]) -> str:
    prefix = route.path[:ID_PARAM.search(route.path).end()]  # type: ignore[union-attr]
    assert prefix in known, f"{route.path}: the probes do not know how to create its object"
    return known[prefix]


@pytest.fixture
async def api(settings) -> AsyncIterator[httpx.AsyncClient]:
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_probes_{uuid.uuid4().hex[:8]}")
    async with running(own, documents, disclosure, supervision, clock=OfficeClock()):
        app = create_app(settings, secret=SECRET)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://gw", timeout=30) as client:
                yield client


async def test_who_may_not_see_an_object_learns_what_an_unknown_id_tells(api):
    known = await objects(api)
    routes = object_routes()
    assert {r.path[:ID_PARAM.search(r.path).end()] for r in routes} == set(known)  # type: ignore[union-attr]
    everyone = identities()
    differences: list[str] = []
    reached: dict[str, bool] = {}
    for route in routes:
        object_id = object_of(route, known)
        name = f"{route.method} {route.path}"
        reached.setdefault(name, False)
        for who, headers in everyone.items():
            unknown = await call(api, route, UNKNOWN, headers)
            # The body is valid: the probe reaches the lookup for somebody.
            reached[name] |= unknown.status_code == 404
            if await sees(api, route, object_id, headers):
                continue
            existing = await call(api, route, object_id, headers)
            if answer(existing, object_id) != answer(unknown, UNKNOWN):
                differences.append(f"{name} as {who}: {existing.status_code} "
                                   f"{existing.text[:300]} / unknown: {unknown.status_code} "
                                   f"{unknown.text[:200]}")
    assert not differences, "\n".join(differences)
    assert all(reached.values()), [n for n, ok in reached.items() if not ok]


async def test_the_impostor_of_a_circulated_leader_is_told_what_an_unknown_id_tells(api):
    known = await objects(api)
    incoming = known["/documents/incoming/{id}"]
    # A drafter of another department whose token name is the circulated leader's.
    impostor = bearer(SECRET, "drafter", "u-impostor", "王副市长", "财务科")
    path = f"{API}/documents/incoming/{{}}/confirm-reading"
    seen = await api.post(path.format(incoming), json={"comment": "阅"}, headers=impostor)
    none = await api.post(path.format(UNKNOWN), json={"comment": "阅"}, headers=impostor)
    assert seen.status_code == 404
    assert answer(seen, incoming) == answer(none, UNKNOWN)
    # A leader with the same name but another user id holds nothing either.
    namesake = bearer(SECRET, "leader", "u-wang-2", "王副市长")
    r = await api.post(path.format(incoming), json={}, headers=namesake)
    assert r.status_code == 403 and "王副市长" not in r.text
    # The leader it was sent to, by user id, confirms.
    leader = bearer(SECRET, "leader", "u-wang", "王副市长")
    r = await api.post(path.format(incoming), json={"comment": "已阅"}, headers=leader)
    assert r.status_code == 200, r.text
    assert r.json()["holders"] == []


async def test_a_published_catalogue_entry_is_public_and_only_its_department_manages_it(api):
    known = await objects(api)
    entry = known["/disclosure/catalogue/{entry_id}"]
    r = await api.get(f"{API}/disclosure/catalogue/{entry}")
    assert r.status_code == 404  # not yet published: not there for the public
    r = await api.post(f"{API}/disclosure/catalogue/{entry}/publish", json={},
                       headers=CATALOGUE_OFFICER)
    assert r.status_code == 200, r.text
    assert (await api.get(f"{API}/disclosure/catalogue/{entry}")).status_code == 200
    # Public now: an officer of another department sees it, and may not manage it.
    other = staff("disclosure_officer", "外部科")
    r = await api.post(f"{API}/disclosure/catalogue/{entry}/withdraw",
                       json={"reason": "探探探探"}, headers=other)
    assert r.status_code == 403, r.text
