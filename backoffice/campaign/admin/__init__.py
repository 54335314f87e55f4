"""Admin registrations, one module per part of the campaign."""

from backoffice.campaign.admin import (  # noqa: F401
    access_codes,
    catalogue,
    code_blocks,
    contact,
    data_exchange,
    emails,
    reservations,
    runs,
    screenings,
    theme,
    tickets,
)
