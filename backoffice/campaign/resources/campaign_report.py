"""The end-of-campaign report out to a spreadsheet (CSV or XLSX). Export only."""

from import_export import resources
from import_export.fields import Field
from import_export.widgets import FloatWidget, IntegerWidget


class CampaignReportResource(resources.Resource):
    """One row per ``ReportRow``; figures that do not apply to a row (a cinema's codes) stay empty."""

    group = Field(attribute="group", column_name="group")
    name = Field(attribute="name", column_name="name")
    seats_offered = Field(attribute="seats_offered", column_name="seats offered", widget=IntegerWidget())
    seats_booked = Field(attribute="seats_booked", column_name="seats booked", widget=IntegerWidget())
    bookings_cancelled = Field(attribute="bookings_cancelled", column_name="bookings cancelled", widget=IntegerWidget())
    codes_issued = Field(attribute="codes_issued", column_name="codes issued", widget=IntegerWidget())
    codes_redeemed = Field(attribute="codes_redeemed", column_name="codes redeemed", widget=IntegerWidget())
    redemption_rate = Field(attribute="redemption_rate", column_name="redemption rate (%)", widget=FloatWidget())

    class Meta:
        fields = [
            "group",
            "name",
            "seats_offered",
            "seats_booked",
            "bookings_cancelled",
            "codes_issued",
            "codes_redeemed",
            "redemption_rate",
        ]
        export_order = fields
