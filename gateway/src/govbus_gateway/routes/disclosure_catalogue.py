"""Routes of the disclosure service: the catalogue (主动公开, 公开目录) and its public search.

Search and reading a published entry are public (no account, rate-limited by the gateway);
the rest is for disclosure staff. Roles are checked here coarsely; the service checks the
department scope and what the public may see.
"""

from __future__ import annotations

from govbus_contracts.services.disclosure import catalogue as c
from govbus_contracts.services.disclosure.common import Role as R
from govbus_gateway.routing import Route, route

STAFF = {R.officer, R.admin}
P = "/disclosure/catalogue"

ROUTES: list[Route] = [
    # Public. /search before /{entry_id}: routes match in order.
    route(c.SEARCH_CATALOGUE, "GET", f"{P}/search", public=True,
          summary="公开目录检索 Chinese full text, category and date filters, paginated"),
    route(c.GET_CATALOGUE_ENTRY, "GET", f"{P}/{{entry_id}}", public=True,
          summary="one catalogue entry (public: published ones; staff: all within scope)"),
    # Staff.
    route(c.LIST_CATALOGUE, "GET", P, roles=STAFF,
          summary="公开目录 staff list by status, late, category, source"),
    route(c.REGISTER_CATALOGUE_ENTRY, "POST", P, roles=STAFF, status=201,
          summary="登记 information that is not a 公文 (预决算, 规划计划, 统计信息)"),
    route(c.PUBLISH_CATALOGUE_ENTRY, "POST", f"{P}/{{entry_id}}/publish", roles=STAFF,
          summary="公开 a 待公开 entry"),
    route(c.WITHDRAW_CATALOGUE_ENTRY, "POST", f"{P}/{{entry_id}}/withdraw", roles=STAFF,
          summary="撤回 with its reason"),
    route(c.REPEAL_CATALOGUE_ENTRY, "POST", f"{P}/{{entry_id}}/repeal", roles=STAFF,
          summary="废止 a 规章 or 行政规范性文件 (stays listed, marked)"),
    route(c.CORRECT_CATALOGUE_ENTRY, "POST", f"{P}/{{entry_id}}/correct", roles=STAFF,
          summary="更正 with its reason; every version kept"),
]
