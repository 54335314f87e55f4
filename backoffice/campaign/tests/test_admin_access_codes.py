"""The admin side of access codes: "Generate access codes", batch downloads, Export."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.admin.access_codes import ADMIN_MAX_COUNT
from backoffice.campaign.factories import AccessCodeFactory, FilmFactory, ScreeningFactory
from backoffice.campaign.models import AccessCode, AccessCodeBatch, run_stale_after
from backoffice.campaign.resources.access_codes import AccessCodeCsv
from backoffice.campaign.resources.formats import CSV
from backoffice.campaign.services.access_codes import access_codes_generate
from backoffice.campaign.tests.codes_support import batch_values, code_batches_fail_after, csv_records, csv_values
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks", "private_files")]

GENERATE = reverse("admin:campaign_accesscode_generate")


@pytest.fixture
def admin_user(django_user_model):
    # No password: hashing one costs half a second a test, and force_login needs none.
    return django_user_model.objects.create_superuser("admin", email=None, password=None)


@pytest.fixture
def admin_client(client, admin_user):
    verified_login(client, admin_user)
    return client


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


def generate(client, data: dict):
    """Ask for a run, as the admin form does; the task runs in this process once the request commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(GENERATE, data)


def run_csv(client, response) -> str:
    """The CSV a run wrote, downloaded from the batch page the request led to."""
    assert response.status_code == 302, response.content[:500]
    batch = AccessCodeBatch.objects.get(pk=response["Location"].rstrip("/").split("/")[-2])
    return content(client.get(reverse("admin:campaign_accesscodebatch_result", args=[batch.pk])))


def staff(django_user_model, client, *codenames: str):
    user = django_user_model.objects.create_user("staff", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="campaign", codename__in=codenames))
    verified_login(client, user)
    return user


def test_changelist_offers_generate_and_export(admin_client):
    response = admin_client.get(reverse("admin:campaign_accesscode_changelist"))
    assert GENERATE.encode() in response.content
    assert b"Generate access codes" in response.content
    assert reverse("admin:campaign_accesscode_export").encode() in response.content


def test_generate_form_renders_in_the_themed_admin(admin_client):
    response = admin_client.get(GENERATE)
    assert response.status_code == 200
    assert b"admin-interface" in response.content
    assert b'name="count"' in response.content
    assert b'name="film"' in response.content
    assert b'name="max_usages"' in response.content


def test_generating_hands_over_the_csv_of_exactly_the_new_batch(admin_client, admin_user):
    film = FilmFactory(slug="elf")
    ScreeningFactory(film=film)
    AccessCodeFactory.create_batch(3)
    response = generate(admin_client, {"count": 120, "film": film.pk, "max_usages": 2})
    batch = AccessCodeBatch.objects.get()
    assert response["Location"] == reverse("admin:campaign_accesscodebatch_change", args=[batch.pk])
    download = admin_client.get(reverse("admin:campaign_accesscodebatch_result", args=[batch.pk]))
    assert download["Content-Type"] == "text/csv"
    assert download["Content-Disposition"] == f'attachment; filename="access-codes-batch-{batch.pk}.csv"'
    assert "no-store" in download["Cache-Control"]
    text = content(download)
    assert text.startswith(AccessCodeCsv().header())
    assert csv_values(text) == batch_values(batch)
    assert len(batch_values(batch)) == 120
    assert {(r["film"], r["max_usages"], r["batch"]) for r in csv_records(text)} == {("elf", "2", str(batch.pk))}
    assert (batch.source, batch.created_by, batch.status) == ("admin", admin_user, "completed")
    assert AccessCode.objects.count() == 123


def test_a_film_without_an_upcoming_screening_is_warned_about_then_generated_for_once_confirmed(admin_client):
    film = FilmFactory(name="Elf")
    ScreeningFactory(film=film, starts_at=timezone.now() - timedelta(days=1))  # last season's
    ScreeningFactory(film=film, cancelled_at=timezone.now())
    asked = {"count": 5, "film": film.pk, "max_usages": 1}
    response = generate(admin_client, asked)
    assert response.status_code == 200
    assert not AccessCodeBatch.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "Elf has no upcoming screening taking bookings: codes valid only for it cannot be booked until one is "
        "scheduled. Generate them anyway, or choose another film."
    ]
    assert response.context["submit_label"] == "Generate anyway"
    confirmed = response.context["form"]["confirmed_film"].value()
    response = generate(admin_client, {**asked, "confirmed_film": confirmed})
    assert response.status_code == 302
    assert AccessCodeBatch.objects.get().film == film


def test_a_confirmation_for_one_film_does_not_cover_another(admin_client):
    elf, klaus = FilmFactory(name="Elf"), FilmFactory(name="Klaus")
    response = generate(admin_client, {"count": 5, "film": klaus.pk, "max_usages": 1, "confirmed_film": elf.pk})
    assert response.status_code == 200
    [message] = response.context["messages"]
    assert str(message).startswith("Klaus has no upcoming screening")
    assert not AccessCodeBatch.objects.exists()


def test_a_film_with_an_upcoming_screening_or_any_film_is_generated_without_a_warning(admin_client):
    film = FilmFactory(name="Elf")
    ScreeningFactory(film=film)
    assert generate(admin_client, {"count": 5, "film": film.pk, "max_usages": 1}).status_code == 302
    assert generate(admin_client, {"count": 5, "max_usages": 1}).status_code == 302
    assert AccessCodeBatch.objects.count() == 2


def test_success_message_appears_on_the_next_page(admin_client):
    response = generate(admin_client, {"count": 5, "max_usages": 1})
    response = admin_client.get(response["Location"])
    assert "Generating 5 access codes as batch" in response.content.decode()
    assert "5 of 5 codes: Completed" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"count": 0, "max_usages": 1}, "count", "Enter at least 1 code."),
        ({"count": "abc", "max_usages": 1}, "count", "Enter a whole number."),
        ({"count": "", "max_usages": 1}, "count", "This field is required."),
        ({"count": ADMIN_MAX_COUNT + 1, "max_usages": 1}, "count", "At most 20,000,000 codes at a time"),
        ({"count": 5, "max_usages": 0}, "max_usages", "Ensure this value is greater than or equal to 1."),
        ({"count": 5, "max_usages": 1, "film": 999999}, "film", "Select a valid choice."),
    ],
)
def test_invalid_form_shows_errors_and_creates_nothing(admin_client, data, field, message):
    response = admin_client.post(GENERATE, data)
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in response.content.decode()
    assert not AccessCodeBatch.objects.exists()
    assert not AccessCode.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_run_is_reported_on_the_form(admin_client):
    with code_batches_fail_after(0):
        response = admin_client.post(GENERATE, {"count": 50, "max_usages": 1}, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Stopped after 0 of 50 codes: injected failure: no space left on device." in text
    batch = AccessCodeBatch.objects.get()
    assert (batch.status, batch.created_count) == ("failed", 0)
    assert not AccessCode.objects.exists()


def test_generating_needs_add_permission(client, django_user_model):
    staff(django_user_model, client, "view_accesscode", "change_accesscode")
    assert client.get(GENERATE).status_code == 403
    assert client.post(GENERATE, {"count": 5, "max_usages": 1}).status_code == 403
    assert not AccessCodeBatch.objects.exists()
    changelist = client.get(reverse("admin:campaign_accesscode_changelist"))
    assert GENERATE.encode() not in changelist.content


def test_add_permission_is_enough_to_generate(client, django_user_model):
    staff(django_user_model, client, "add_accesscode")
    response = generate(client, {"count": 5, "max_usages": 1})
    assert response.status_code == 302
    assert AccessCodeBatch.objects.get().created_count == 5


def test_anonymous_users_are_sent_to_the_login(client):
    response = client.get(GENERATE)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def download_url(batch) -> str:
    return reverse("admin:campaign_accesscodebatch_download", args=[batch.pk])


def test_a_batch_can_be_downloaded_again(admin_client):
    first = run_csv(admin_client, generate(admin_client, {"count": 30, "max_usages": 1}))
    batch = AccessCodeBatch.objects.get()
    changelist = admin_client.get(reverse("admin:campaign_accesscodebatch_changelist"))
    assert download_url(batch).encode() in changelist.content
    again = content(admin_client.get(download_url(batch)))
    assert again.splitlines()[0] == first.splitlines()[0]
    assert sorted(again.splitlines()) == sorted(first.splitlines())


def test_downloading_a_batch_needs_permission_to_view_codes(client, django_user_model):
    batch = access_codes_generate(count=3, source=AccessCodeBatch.Source.COMMAND)
    staff(django_user_model, client, "view_accesscodebatch")
    assert client.get(download_url(batch)).status_code == 403
    changelist = client.get(reverse("admin:campaign_accesscodebatch_changelist"))
    assert changelist.status_code == 200
    assert download_url(batch).encode() not in changelist.content


def test_download_of_a_missing_batch_is_a_404(admin_client):
    assert admin_client.get(reverse("admin:campaign_accesscodebatch_download", args=[404])).status_code == 404


@pytest.mark.parametrize("bad", ["abc", "1.5", "-1", "99999999999999999999999"])
def test_download_of_a_batch_that_cannot_exist_is_a_404(admin_client, bad):
    assert admin_client.get(f"/admin/campaign/accesscodebatch/{bad}/download/").status_code == 404


def test_download_action_needs_exactly_one_batch(admin_client):
    one = access_codes_generate(count=4, source=AccessCodeBatch.Source.COMMAND)
    two = access_codes_generate(count=4, source=AccessCodeBatch.Source.COMMAND)
    url = reverse("admin:campaign_accesscodebatch_changelist")
    response = admin_client.post(url, {"action": "download_csv", "_selected_action": [one.pk]})
    assert csv_values(content(response)) == batch_values(one)
    response = admin_client.post(url, {"action": "download_csv", "_selected_action": [one.pk, two.pk]}, follow=True)
    assert "Select exactly one batch to download its codes." in response.content.decode()


def csv_export(client, url: str, resource_prefix: str, fields: list[str]) -> str:
    formats = admin.site.get_model_admin(AccessCode).get_export_formats()
    format_index = next(i for i, fmt in enumerate(formats) if fmt is CSV)
    data = {"format": format_index, "resource": 0, **{f"{resource_prefix}_{name}": "on" for name in fields}}
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_admin_export_has_the_same_columns_and_rows_as_the_generated_csv(admin_client):
    generated = run_csv(admin_client, generate(admin_client, {"count": 12, "max_usages": 1}))
    exported = csv_export(
        admin_client,
        reverse("admin:campaign_accesscode_export"),
        "accesscoderesource",
        ["value", "max_usages", "film", "batch", "created_at"],
    )
    assert exported.splitlines()[0] == generated.splitlines()[0]
    assert sorted(exported.splitlines()) == sorted(generated.splitlines())


def test_batches_export_through_the_admin(admin_client):
    batch = access_codes_generate(count=2, source=AccessCodeBatch.Source.COMMAND)
    exported = csv_export(
        admin_client,
        reverse("admin:campaign_accesscodebatch_export"),
        "accesscodebatchresource",
        ["id", "status", "requested_count", "created_count"],
    )
    assert csv_records(exported) == [
        {"id": str(batch.pk), "status": "completed", "requested_count": "2", "created_count": "2"}
    ]


def test_exporting_codes_needs_permission_to_view_them(client, django_user_model):
    staff(django_user_model, client, "view_accesscodebatch")
    assert client.get(reverse("admin:campaign_accesscode_export")).status_code == 403


def test_a_running_batch_without_progress_for_a_while_shows_as_stale(admin_client):
    stale, fresh = (AccessCodeBatch.objects.create(requested_count=10) for _ in range(2))
    done = AccessCodeBatch.objects.create(requested_count=10, status=AccessCodeBatch.Status.COMPLETED)
    long_ago = timezone.now() - run_stale_after() - timedelta(minutes=1)
    AccessCodeBatch.objects.filter(pk__in=[stale.pk, done.pk]).update(updated_at=long_ago)
    page = admin_client.get(reverse("admin:campaign_accesscodebatch_changelist")).content.decode()
    shown = re.findall(r'<td class="field-state">([^<]*)</td>', page)
    since = f"{timezone.localtime(long_ago):%Y-%m-%d %H:%M}"
    assert sorted(shown) == ["Completed", "Running", f"Running, stale: no progress since {since}"]
    assert fresh.status == stale.status == AccessCodeBatch.Status.RUNNING
