"""The admin's front page dashboard, each chart's numbers as CSV, and the end-of-campaign report.

The figures come from ``services/dashboard.py`` (cached, shared by all staff) and the report from
``services/campaign_report.py``; this module decides what each staff member may see of them.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst
from tablib import Dataset

from backoffice.campaign.resources.campaign_report import CampaignReportResource
from backoffice.campaign.resources.formats import CSV, XLSX
from backoffice.campaign.services.campaign_report import REPORT_PERMISSIONS, ReportRow, campaign_report_get
from backoffice.campaign.services.dashboard import (
    VIEW_ACCESS_CODE,
    VIEW_CODE_BATCH,
    VIEW_EMAIL,
    VIEW_RESERVATION,
    VIEW_SCREENING,
    VIEW_TICKET,
    Chart,
    Dashboard,
    dashboard_get,
)

REPORT_FORMATS = {"csv": CSV, "xlsx": XLSX}
REPORT_SECTIONS = [
    ("Campaign", "The whole campaign"),
    ("Film", "By film"),
    ("Cinema", "By cinema"),
    ("Code batch", "By code batch"),
]
NOT_APPLICABLE = "\N{EN DASH}"
REPORT_SHEET = "Campaign report"  # the workbook's sheet name (the library's default is "Tablib Dataset")
# Staff holding none of these see the admin index as before, without the dashboard.
DASHBOARD_PERMISSIONS = [VIEW_RESERVATION, VIEW_SCREENING, VIEW_TICKET, VIEW_ACCESS_CODE, VIEW_CODE_BATCH, VIEW_EMAIL]


def dashboard_urls(site) -> list:
    view = site.admin_view
    return [
        path("dashboard/<slug:key>.csv", view(chart_csv_view), name="campaign_dashboard_csv"),
        path("campaign-report/", view(lambda request: campaign_report_view(request, site)), name="campaign_report"),
    ]


def dashboard_context(request: HttpRequest) -> dict:
    """What the admin index shows of the dashboard to this staff member (nothing without a view permission)."""
    user = request.user
    if not any(user.has_perm(perm) for perm in DASHBOARD_PERMISSIONS):
        return {}
    dashboard = dashboard_get()
    may = user.has_perms
    return {
        "dashboard": dashboard,
        "dashboard_figures": [figure for figure in dashboard.figures if may(figure.permissions)],
        "dashboard_charts": [_chart_context(chart) for chart in dashboard.charts if may(chart.permissions)],
        "dashboard_stock": dashboard.stock if may((VIEW_SCREENING, VIEW_TICKET)) else (),
        "dashboard_notices": [notice for notice in dashboard.notices if may(notice.permissions)],
        "campaign_report_url": reverse("admin:campaign_report") if may(REPORT_PERMISSIONS) else "",
    }


def _chart_context(chart: Chart) -> dict:
    return {
        "chart": chart,
        "csv_url": reverse("admin:campaign_dashboard_csv", args=[chart.key]),
        "data_id": f"chart-{chart.key}",
        # What the script draws from (json_script): the chart's first ``drawn`` value columns.
        "data": {
            "kind": chart.kind,
            "horizontal": chart.horizontal,
            "percent": chart.percent,
            "labels": [row[0] for row in chart.rows],
            "links": list(chart.row_links),
            "series": [
                {"label": chart.columns[n], "values": [row[n] for row in chart.rows]} for n in range(1, chart.drawn + 1)
            ],
        },
    }


def chart_csv_view(request: HttpRequest, key: str) -> HttpResponse:
    dashboard: Dashboard = dashboard_get()
    chart = dashboard.chart(key)
    if chart is None:
        raise Http404(f"The dashboard has no chart {key!r}.")
    if not request.user.has_perms(chart.permissions):
        raise PermissionDenied
    csv = CSV()
    data = csv.export_data(Dataset(*chart.rows, headers=list(chart.columns)))
    response = HttpResponse(data, content_type=csv.get_content_type())
    response["Content-Disposition"] = f'attachment; filename="{key}-{dashboard.taken_at:%Y-%m-%d-%H%M}.csv"'
    return response


def campaign_report_view(request: HttpRequest, site) -> HttpResponse:
    if not request.user.has_perms(REPORT_PERMISSIONS):
        raise PermissionDenied
    report = campaign_report_get()
    requested = request.GET.get("format")
    if requested is not None:
        if requested not in REPORT_FORMATS:
            return HttpResponseBadRequest(
                f"There is no report format {requested!r}: choose csv or xlsx.", content_type="text/plain"
            )
        file_format = REPORT_FORMATS[requested]()
        # Numbers stay numbers in a workbook; CSV writes them as text anyway.
        dataset = CampaignReportResource().export(queryset=report.rows, force_native_type=file_format.is_binary())
        dataset.title = REPORT_SHEET
        response = HttpResponse(file_format.export_data(dataset), content_type=file_format.get_content_type())
        name = f"campaign-report-{report.taken_at:%Y-%m-%d-%H%M}.{file_format.get_extension()}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    # The columns after the group, each heading once; every row's cells written here, where a
    # thousand cinemas' rows through the template's number filters took longer than the
    # report's queries at ten times the campaign.
    headers = [capfirst(header) for header in CampaignReportResource().get_export_headers()[1:]]
    context = {
        **site.each_context(request),
        "title": "End-of-campaign report",
        "report": report,
        "headers": headers,
        "sections": [
            (
                [(row.name, list(zip(headers[1:], _report_cells(row), strict=True))) for row in report.section(group)],
                caption,
            )
            for group, caption in REPORT_SECTIONS
        ],
    }
    return TemplateResponse(request, "admin/campaign/campaign_report.html", context)


def _report_cells(row: ReportRow) -> list[str]:
    """A row's figures as the page shows them: thousands grouped, the rate to one decimal, and a
    dash where a figure does not apply."""
    counts = [row.seats_offered, row.seats_booked, row.bookings_cancelled, row.codes_issued, row.codes_redeemed]
    rate = row.redemption_rate
    return [NOT_APPLICABLE if n is None else f"{n:,}" for n in counts] + [
        NOT_APPLICABLE if rate is None else f"{rate:.1f}"
    ]
