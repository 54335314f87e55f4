"""Cinemas and films from spreadsheets: matched by slug or name, validated like the admin forms."""

import pytest
import tablib

from backoffice.campaign.factories import CinemaFactory, FilmFactory
from backoffice.campaign.models import Cinema, Film
from backoffice.campaign.resources.catalogue import CinemaResource, FilmResource
from backoffice.campaign.resources.formats import CSV, XLSX

pytestmark = pytest.mark.django_db


def rows(headers: list[str], *values: list) -> tablib.Dataset:
    data = tablib.Dataset(headers=headers)
    for row in values:
        data.append(row)
    return data


def import_rows(resource, data: tablib.Dataset):
    return resource.import_data(data, dry_run=False, rollback_on_validation_errors=True)


def errors(result) -> dict[int, dict[str, list[str]]]:
    return {row.number: row.error_dict for row in result.invalid_rows}


def snapshot(model) -> list[dict]:
    return list(model.objects.order_by("slug").values())


def round_trip(resource_class, file_format):
    """Export every row, write the file, read it back and import it."""
    exported = file_format.export_data(resource_class().export(force_native_type=file_format.is_binary()))
    if not file_format.is_binary():
        exported = exported.encode()
        file_format.encoding = "utf-8"
    return import_rows(resource_class(), file_format.create_dataset(exported))


def test_new_cinemas_get_a_slug_from_their_name():
    result = import_rows(
        CinemaResource(),
        rows(["Name", "Address ", "lat", "lng"], ["Bath - Southgate", "1 Southgate, Bath", "51.38", "-2.36"]),
    )
    assert not result.has_validation_errors()
    cinema = Cinema.objects.get()
    assert (cinema.name, cinema.slug, cinema.lat, cinema.lng) == ("Bath - Southgate", "bath-southgate", 51.38, -2.36)


def test_a_row_with_a_slug_updates_that_cinema_even_renaming_it():
    cinema = CinemaFactory(name="York", address="Old address")
    import_rows(CinemaResource(), rows(["slug", "name", "address"], [cinema.slug, "York - Vangarde", "New address"]))
    cinema.refresh_from_db()
    assert (cinema.name, cinema.address) == ("York - Vangarde", "New address")
    assert Cinema.objects.count() == 1


def test_a_row_without_a_slug_updates_the_cinema_of_that_name_in_any_case():
    cinema = CinemaFactory(name="York - Vangarde", address="Old")
    import_rows(CinemaResource(), rows(["name", "address"], ["york - VANGARDE", "New"]))
    cinema.refresh_from_db()
    assert cinema.address == "New"
    assert Cinema.objects.count() == 1


def test_a_partial_file_changes_only_its_columns():
    cinema = CinemaFactory(name="York", address="Keep me", lat=1.0, lng=2.0)
    import_rows(CinemaResource(), rows(["slug", "lat", "lng"], [cinema.slug, "53.96", "-1.08"]))
    cinema.refresh_from_db()
    assert (cinema.name, cinema.address, cinema.lat, cinema.lng) == ("York", "Keep me", 53.96, -1.08)


def test_two_cinemas_of_the_same_name_need_the_slug():
    CinemaFactory(name="Leeds", slug="leeds")
    CinemaFactory(name="Leeds", slug="leeds-2")
    result = import_rows(CinemaResource(), rows(["name", "address"], ["Leeds", "Where?"]))
    assert "give the slug" in errors(result)[1]["slug"][0]
    assert not Cinema.objects.filter(address="Where?").exists()


def test_bad_cinema_rows_are_reported_and_nothing_is_written():
    before = snapshot(Cinema)
    result = import_rows(
        CinemaResource(),
        rows(
            ["name", "lat", "lng"], ["Good", "50", "0"], ["", "50", "0"], ["Far away", "95", "0"], ["Odd", "north", "0"]
        ),
    )
    found = errors(result)
    assert found[2]["name"] == ["This field cannot be blank."]
    assert "less than or equal to 90" in found[3]["lat"][0]
    assert found[4] == {"lat": ['"north" is not a number.']}
    assert snapshot(Cinema) == before


def test_a_cinema_contact_email_is_imported_and_a_bad_one_is_a_row_error():
    york = CinemaFactory(name="York - Vangarde", contact_email="old@vue.example")
    bath = CinemaFactory(name="Bath - Southgate")
    before = snapshot(Cinema)

    result = import_rows(
        CinemaResource(),
        rows(
            ["slug", "Contact_Email"],
            [york.slug, " doors@vue.example "],
            [bath.slug, "doors at bath"],
        ),
    )

    assert errors(result) == {2: {"contact_email": ["Enter a valid email address."]}}
    assert snapshot(Cinema) == before
    result = import_rows(
        CinemaResource(), rows(["slug", "contact_email"], [york.slug, " doors@vue.example "], [bath.slug, ""])
    )
    assert not result.has_validation_errors()
    assert dict(Cinema.objects.values_list("name", "contact_email")) == {
        "York - Vangarde": "doors@vue.example",
        "Bath - Southgate": "",
    }


def test_a_file_without_a_slug_or_name_column_is_refused_once():
    result = import_rows(CinemaResource(), rows(["town", "address"], ["York", "x"], ["Bath", "y"]))
    assert [str(e.error) for e in result.base_errors] == [
        "The file has no slug or name column. Its columns are: town, address. "
        "Expected: name, slug, address, lat, lng, contact_email."
    ]
    assert not result.invalid_rows
    assert not result.rows
    assert not Cinema.objects.exists()


def test_film_flags_and_choices_are_checked():
    result = import_rows(
        FilmResource(),
        rows(
            ["name", "release_year", "certificate", "running_time", "live"],
            ["Elf", "2003", "PG", "97", "yes"],
            ["Klaus", "2019", "PG", "96", "NO"],
            ["Bad flag", "2019", "PG", "96", "maybe"],
            ["Bad cert", "2019", "X", "96", "1"],
            ["Bad year", "19", "PG", "96", "0"],
        ),
    )
    found = errors(result)
    assert found[3] == {"live": ['"maybe" is not yes or no.']}
    assert list(found[4]) == ["certificate"]
    assert found[5] == {"release_year": ["Enter the release year as four digits, e.g. 2003."]}
    assert not Film.objects.exists()
    result = import_rows(FilmResource(), rows(["name", "live"], ["Elf", "yes"], ["Klaus", "NO"], ["Hook", ""]))
    assert dict(Film.objects.values_list("name", "live")) == {"Elf": True, "Klaus": False, "Hook": False}


@pytest.mark.parametrize("file_format", [CSV(), XLSX()], ids=["csv", "xlsx"])
@pytest.mark.parametrize(("resource_class", "factory"), [(CinemaResource, CinemaFactory), (FilmResource, FilmFactory)])
def test_export_then_import_gives_the_same_rows(resource_class, factory, file_format, settings):
    settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
    factory.create_batch(3)
    factory(name='=HYPERLINK("http://evil.example")')
    if resource_class is CinemaResource:
        CinemaFactory(lat=None, lng=None, address="")
        CinemaFactory(contact_email="doors@vue.example")
    else:
        FilmFactory(running_time=None, certificate="", live=False)
    model = resource_class._meta.model
    before = snapshot(model)

    result = round_trip(resource_class, file_format)
    assert result.totals["skip"] == len(before), errors(result)
    assert snapshot(model) == before

    # Into an empty table the same file recreates the same rows (the ids aside).
    exported = resource_class().export(force_native_type=file_format.is_binary())
    model.objects.all().delete()
    import_rows(resource_class(), exported)
    assert [{k: v for k, v in row.items() if k != "id"} for row in snapshot(model)] == [
        {k: v for k, v in row.items() if k != "id"} for row in before
    ]
