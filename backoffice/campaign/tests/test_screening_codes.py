"""A screening's short code: made on create, unique, readable, found by the admin's search and picker."""

import datetime as dt

import pytest
import tablib

from backoffice.campaign.codes import SCREENING_CODE_ALPHABET, SCREENING_CODE_LENGTH
from backoffice.campaign.factories import CinemaFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.models import LONDON, Screening
from backoffice.campaign.resources.screenings import ScreeningResource

pytestmark = pytest.mark.django_db

PICKER_URL = "/admin/autocomplete/"
CHANGELIST_URL = "/admin/campaign/screening/"


@pytest.fixture
def wonka_at_york():
    return ScreeningFactory(
        film=FilmFactory(name="Wonka"),
        cinema=CinemaFactory(name="York - Vangarde"),
        starts_at=dt.datetime(2027, 12, 6, 14, 40, tzinfo=LONDON),
    )


def test_each_new_screening_gets_a_short_code_without_look_alikes():
    screenings = ScreeningFactory.create_batch(30)

    found = [screening.code for screening in Screening.objects.all()]
    assert len(set(found)) == 30
    for code in found:
        assert len(code) == SCREENING_CODE_LENGTH
        assert set(code) <= set(SCREENING_CODE_ALPHABET)
    assert not set("0O1IL2Z5S8BAEU") & set(SCREENING_CODE_ALPHABET)
    # Saving again (a capacity change) keeps it: customers may have written it down.
    first = screenings[0]
    code = first.code
    first.capacity += 1
    first.save(update_fields=["capacity"])
    first.refresh_from_db()
    assert first.code == code


def test_a_code_already_taken_is_drawn_again(wonka_at_york, monkeypatch):
    taken = wonka_at_york.code
    draws = iter([taken, "JKMNPQ"])
    monkeypatch.setattr("backoffice.campaign.models.screening_code", lambda: next(draws))

    screening = Screening(
        film=wonka_at_york.film,
        cinema=wonka_at_york.cinema,
        starts_at=wonka_at_york.starts_at + dt.timedelta(days=1),
        capacity=10,
        code=taken,  # drawn on creation, as the field's default does
    )
    screening.save()

    assert screening.code == "JKMNPQ"
    assert Screening.objects.get(pk=wonka_at_york.pk).code == taken


def picker(client, term: str) -> list[str]:
    params = {"app_label": "campaign", "model_name": "reservation", "field_name": "screening", "term": term}
    response = client.get(PICKER_URL, params)
    assert response.status_code == 200
    return [result["id"] for result in response.json()["results"]]


@pytest.mark.parametrize(
    "typed", [str.upper, str.lower, lambda code: f" {code[:3].lower()} {code[3:]} "], ids=["upper", "lower", "spaced"]
)
def test_the_picker_and_the_screening_list_find_a_screening_by_its_code(admin_client, wonka_at_york, typed):
    ScreeningFactory.create_batch(5)

    assert picker(admin_client, typed(wonka_at_york.code)) == [str(wonka_at_york.pk)]
    page = admin_client.get(CHANGELIST_URL, {"q": typed(wonka_at_york.code)}).content.decode()
    assert "1 result" in page
    assert f">{wonka_at_york.code}<" in page


def test_a_code_matches_exactly_and_other_words_still_search_names(admin_client, wonka_at_york):
    assert picker(admin_client, wonka_at_york.code[:5]) == []
    assert picker(admin_client, "wonka") == [str(wonka_at_york.pk)]


def test_the_change_form_shows_the_code_and_cannot_change_it(admin_client, wonka_at_york):
    page = admin_client.get(f"{CHANGELIST_URL}{wonka_at_york.pk}/change/").content.decode()

    assert wonka_at_york.code in page
    assert 'name="code"' not in page


def test_imported_screenings_get_codes_and_an_exported_schedule_imports_back(wonka_at_york):
    data = tablib.Dataset(headers=["film", "cinema", "start", "capacity"])
    data.append(["Wonka", "York - Vangarde", "2027-12-07 18:30", 40])
    data.append(["Wonka", "York - Vangarde", "2027-12-08 18:30", 40])

    result = ScreeningResource().import_data(data, dry_run=False, rollback_on_validation_errors=True)
    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert len(set(Screening.objects.values_list("code", flat=True))) == 3
    before = dict(Screening.objects.values_list("pk", "code"))

    exported = ScreeningResource().export(queryset=Screening.objects.all())
    again = ScreeningResource().import_data(exported, dry_run=False, rollback_on_validation_errors=True)
    assert not again.has_errors()
    assert not again.has_validation_errors()
    assert dict(Screening.objects.values_list("pk", "code")) == before
