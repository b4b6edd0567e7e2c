"""Routes that answer with a file: the reply's base64 field becomes the response body.

A test-only service ``filebox`` answers on the real bus with a file in its reply; the gateway
route declares a ``DownloadSpec`` and the client gets the bytes, the media type and a
``Content-Disposition`` with the (Chinese) file name, and errors stay JSON.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator
from urllib.parse import unquote

import httpx
import jwt
import pytest
from pydantic import Field

from govbus_contracts import Query, Reply, ServiceContract
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_gateway.app import create_app
from govbus_gateway.routing import DownloadSpec, route
from govbus_kit.service import QueryContext, Service
from govbus_testing import running

pytestmark = pytest.mark.servers

SECRET = "download-test-secret-" + "z" * 32
CONTRACT = ServiceContract("filebox", "test-only: files in replies")
CONTENT = "报表\n".encode() + bytes(range(256))


class GetFile(Query):
    name: str = Field(max_length=50)


class FileReply(Reply):
    filename: str
    kind: str | None = None
    content_base64: str | None


GET_FILE = CONTRACT.query("get_file", GetFile, FileReply)
GET_TYPED_FILE = CONTRACT.query("get_typed_file", GetFile, FileReply)
GET_FILE_JSON = CONTRACT.query("get_file_json", GetFile, FileReply)
service = Service(CONTRACT)


@service.query(GET_FILE)
@service.query(GET_TYPED_FILE)
@service.query(GET_FILE_JSON)
async def get_file(query: GetFile, ctx: QueryContext) -> FileReply:
    if query.name == "missing":
        raise GovbusError(ErrorCode.not_found, "无此文件")
    if query.name == "empty":
        return FileReply(filename="x.bin", content_base64=None)
    if query.name == "broken":
        return FileReply(filename="x.bin", content_base64="not base64!")
    return FileReply(filename=f"{query.name}年度报告 \"草稿\".xlsx", kind="text/csv",
                     content_base64=base64.b64encode(CONTENT).decode())


ROUTES = [
    route(GET_FILE, "GET", "/filebox/files/{name}", roles={"clerk"},
          download=DownloadSpec(field="content_base64", media_type="application/x-test",
                                filename_field="filename")),
    route(GET_TYPED_FILE, "GET", "/filebox/typed/{name}", roles={"clerk"},
          download=DownloadSpec(field="content_base64", media_type_field="kind")),
    route(GET_FILE_JSON, "GET", "/filebox/json/{name}", roles={"clerk"}),
]


def bearer(role: str = "clerk") -> dict[str, str]:
    claims = {"sub": "u-1", "roles": [role], "exp": int(time.time()) + 600}
    return {"Authorization": "Bearer " + jwt.encode(claims, SECRET, algorithm="HS256")}


@pytest.fixture
async def client(settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings, service):
        app = create_app(settings, secret=SECRET, routes=ROUTES, contracts=[CONTRACT])
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as c:
                yield c


async def test_a_download_route_answers_with_the_file_and_its_name(client):
    r = await client.get("/api/v1/filebox/files/2026", headers=bearer())
    assert r.status_code == 200, r.text
    assert r.content == CONTENT
    assert r.headers["content-type"] == "application/x-test"
    disposition = r.headers["content-disposition"]
    ascii_part, utf8_part = disposition.split("; filename*=UTF-8''")
    assert ascii_part == 'attachment; filename="2026____ ____.xlsx"'
    assert unquote(utf8_part) == '2026年度报告 "草稿".xlsx'
    assert r.headers["x-request-id"]


async def test_the_media_type_may_come_from_the_reply_and_the_name_defaults(client):
    r = await client.get("/api/v1/filebox/typed/a", headers=bearer())
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="download"')


async def test_the_same_query_without_download_stays_json(client):
    r = await client.get("/api/v1/filebox/json/a", headers=bearer())
    assert r.json()["content_base64"] == base64.b64encode(CONTENT).decode()


async def test_errors_of_a_download_route_stay_json(client):
    missing = await client.get("/api/v1/filebox/files/missing", headers=bearer())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/v1/filebox/files/a")).status_code == 401
    assert (await client.get("/api/v1/filebox/files/a", headers=bearer("other"))
            ).status_code == 403
    for name in ("empty", "broken"):
        r = await client.get(f"/api/v1/filebox/files/{name}", headers=bearer())
        assert r.status_code == 500 and r.json()["error"]["code"] == "internal", name


async def test_openapi_describes_the_file_response(client):
    spec = (await client.get("/openapi.json")).json()
    ok = spec["paths"]["/api/v1/filebox/files/{name}"]["get"]["responses"]["200"]
    assert ok["content"]["application/x-test"]["schema"]["format"] == "binary"
    assert spec["paths"]["/api/v1/filebox/files/{name}"]["get"]["operationId"] == "get_file"
