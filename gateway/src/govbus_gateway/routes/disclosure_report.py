"""Routes of the disclosure service: the annual report (年度报告) and 行政复议/行政诉讼 cases.

Staff only; the service checks the roles again.
"""

from __future__ import annotations

from govbus_contracts.services.disclosure import report as r
from govbus_contracts.services.disclosure.common import Role as R
from govbus_gateway.routing import DownloadSpec, Route, route

OFFICER = {R.officer}
STAFF = {R.officer, R.approver, R.admin}
P = "/disclosure"
#: A report reads every request and catalogue entry (on FerretDB ~5 s at 20 000 requests).
REPORT_TIMEOUT = 60.0

ROUTES: list[Route] = [
    route(r.ANNUAL_REPORT, "GET", f"{P}/reports/{{year}}", roles=STAFF,
          summary="年度报告 the year's statutory tables with their consistency checks",
          timeout=REPORT_TIMEOUT),
    route(r.EXPORT_ANNUAL_REPORT, "GET", f"{P}/reports/{{year}}/xlsx", roles=STAFF,
          summary="年度报告 as a spreadsheet (.xlsx) to file",
          download=DownloadSpec(field="content_base64", media_type=r.XLSX_MEDIA_TYPE,
                                filename_field="filename", media_type_field="media_type"),
          timeout=REPORT_TIMEOUT),
    route(r.RECORD_REPORT_FIGURES, "POST", f"{P}/reports/{{year}}/figures", roles=OFFICER,
          summary="填报 行政许可/处罚/强制 decisions and 行政事业性收费 of the year (versioned)"),
    route(r.EDIT_REPORT_SECTION, "POST", f"{P}/reports/{{year}}/sections", roles=OFFICER,
          summary="编辑 第一、五、六部分 of the year's report (every edit kept)"),
    route(r.PUBLISH_ANNUAL_REPORT, "POST", f"{P}/reports/{{year}}/publication", roles=OFFICER,
          summary="年度报告已向社会公布 (第四十九条): closes the report's deadline"),
    route(r.RECORD_REVIEW_CASE, "POST", f"{P}/review-cases", roles=OFFICER, status=201,
          summary="登记 a 行政复议 or 行政诉讼 case"),
    route(r.UPDATE_REVIEW_CASE, "POST", f"{P}/review-cases/{{case_id}}/update", roles=OFFICER,
          summary="the case's result as it concludes, or a correction with its reason"),
    route(r.LIST_REVIEW_CASES, "GET", f"{P}/review-cases", roles=STAFF,
          summary="行政复议 and 行政诉讼 cases, newest filing first"),
]
