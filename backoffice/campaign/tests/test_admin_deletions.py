"""Delete confirmations count what goes with an object and never list it; a used batch stays."""

import re
import time

import pytest
from django.contrib.auth.models import Permission
from django.test import TestCase
from django.urls import reverse

from backoffice.campaign.codes import CODE_PATTERN
from backoffice.campaign.factories import (
    AccessCodeFactory,
    CinemaFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
)
from backoffice.campaign.models import AccessCode, AccessCodeBatch, AccessCodeBlock, DataRun
from backoffice.campaign.services import code_deletions
from backoffice.campaign.services.code_blocks import access_codes_block
from backoffice.campaign.services.data_runs import data_run_execute
from backoffice.campaign.tests.codes_support import codes_bulk_insert
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

ANY_CODE = re.compile(CODE_PATTERN.strip("^$"))


@pytest.fixture
def admin_client(client, django_user_model):
    verified_login(client, django_user_model.objects.create_superuser("admin", email=None, password=None))
    return client


def delete_url(obj) -> str:
    return reverse(f"admin:campaign_{obj._meta.model_name}_delete", args=[obj.pk])


def batch_of(count: int) -> AccessCodeBatch:
    batch = AccessCodeBatch.objects.create(requested_count=count, status=AccessCodeBatch.Status.COMPLETED)
    AccessCodeFactory.create_batch(count, batch=batch)
    AccessCodeBatch.objects.filter(pk=batch.pk).update(created_count=count)
    batch.refresh_from_db()
    return batch


@pytest.mark.timing
@pytest.mark.postgresql
def test_the_delete_page_of_a_300000_code_batch_is_small_quick_and_shows_no_code(admin_client):
    batch = AccessCodeBatch.objects.create(requested_count=0, status=AccessCodeBatch.Status.COMPLETED)
    first, last = codes_bulk_insert(batch, 300_000)
    admin_client.get(delete_url(batch))  # the session and the templates, loaded once
    started = time.monotonic()
    response = admin_client.get(delete_url(batch))
    took = time.monotonic() - started
    page = response.content.decode()
    assert response.status_code == 200
    assert took < 1, f"the page took {took:.2f} s"
    assert len(response.content) < 100_000, f"the page is {len(response.content):,} bytes"
    assert first not in page
    assert last not in page
    assert not ANY_CODE.search(page), "a code value is on the page"
    assert "300,000" in page


def test_a_batch_with_a_used_code_cannot_be_deleted_and_the_page_says_why(admin_client):
    batch = batch_of(3)
    ReservationFactory(access_code=batch.codes.first())
    ReservationFactory(access_code=batch.codes.last(), quantity=0)
    page = admin_client.get(delete_url(batch))
    assert page.context["protected"] == [
        f"2 bookings (1 active) were made with codes of batch {batch.pk}. Bookings are never deleted and keep "
        "their code, so the batch stays. To stop its codes being used, withdraw them instead."
    ]
    assert "Cannot delete" in page.content.decode()
    admin_client.post(delete_url(batch), {"post": "yes"})
    assert AccessCode.objects.filter(batch=batch).count() == 3


def test_a_batch_page_offers_no_save_and_delete_only_while_the_batch_can_be_deleted(admin_client, django_user_model):
    batch = batch_of(2)
    page = reverse("admin:campaign_accesscodebatch_change", args=[batch.pk])
    html = admin_client.get(page).content.decode()
    assert 'name="_save"' not in html
    assert 'name="_continue"' not in html
    assert f'href="{delete_url(batch)}"' in html

    ReservationFactory(access_code=batch.codes.first())
    html = admin_client.get(page).content.decode()
    assert f'href="{delete_url(batch)}"' not in html
    assert f"Cannot be deleted: 1 booking (1 active) was made with a code of batch {batch.pk}." in html

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_accesscodebatch", "view_accesscode"]))
    verified_login(admin_client, viewer)
    html = admin_client.get(page).content.decode()
    assert 'name="_save"' not in html
    assert "Delete" not in html
    assert "Cannot be deleted" not in html


def test_an_unused_small_batch_is_deleted_with_its_codes_at_once(admin_client):
    batch = batch_of(4)
    other = batch_of(2)
    AccessCodeBlock.objects.create(action="block", scope="batch", batch=batch, requested=4)
    response = admin_client.post(delete_url(batch), {"post": "yes"})
    assert response["Location"] == reverse("admin:campaign_accesscodebatch_changelist")
    assert not AccessCodeBatch.objects.filter(pk=batch.pk).exists()
    assert set(AccessCode.objects.values_list("batch", flat=True)) == {other.pk}
    assert AccessCodeBlock.objects.get().batch is None  # the history stays


def test_an_unused_big_batch_is_deleted_by_a_run(admin_client, monkeypatch):
    monkeypatch.setattr(code_deletions, "BLOCK_INLINE_LIMIT", 4)
    monkeypatch.setattr(code_deletions, "CODE_BLOCK_CHUNK", 2)
    batch = batch_of(5)
    with TestCase.captureOnCommitCallbacks(execute=False):
        response = admin_client.post(delete_url(batch), {"post": "yes"})
    run = DataRun.objects.get()
    assert response["Location"] == reverse("admin:campaign_datarun_change", args=[run.pk])
    assert (run.kind, run.total) == ("delete", 5)
    assert AccessCode.objects.count() == 5, "nothing is deleted in the request"
    assert "already being deleted" in admin_client.get(delete_url(batch)).context["protected"][0]
    assert data_run_execute(run.pk)
    run.refresh_from_db()
    assert (run.status, run.message) == ("completed", f"Deleted batch {batch.pk} and its 5 access codes.")
    assert not AccessCode.objects.exists()
    assert not AccessCodeBatch.objects.exists()


def test_a_batch_still_making_codes_cannot_be_deleted(admin_client):
    batch = AccessCodeBatch.objects.create(requested_count=10, status=AccessCodeBatch.Status.RUNNING)
    assert "still making codes" in admin_client.get(delete_url(batch)).context["protected"][0]


def test_batches_have_no_delete_selected_action(admin_client):
    response = admin_client.get(reverse("admin:campaign_accesscodebatch_changelist"))
    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__repr__()


def test_film_cinema_and_screening_pages_count_what_refers_to_them(admin_client):
    film, cinema = FilmFactory(name="Elf"), CinemaFactory(name="York")
    screening = ScreeningFactory(film=film, cinema=cinema)
    ReservationFactory.create_batch(3, screening=screening)
    AccessCodeFactory.create_batch(2, valid_for=film)
    assert admin_client.get(delete_url(screening)).context["protected"] == [
        "3 reservations refer to it: bookings are never deleted; cancel them or move them to another screening first."
    ]
    assert admin_client.get(delete_url(cinema)).context["protected"] == [
        "1 screening refers to it: delete or change them first."
    ]
    protected = admin_client.get(delete_url(film)).context["protected"]
    assert "1 screening refers to it: delete or change them first." in protected
    assert "2 access codes refer to it: delete or change them first." in protected


def test_a_film_nothing_refers_to_is_deleted(admin_client):
    film = FilmFactory()
    page = admin_client.get(delete_url(film))
    assert page.context["protected"] == []
    assert dict(page.context["model_count"]) == {"films": 1}
    admin_client.post(delete_url(film), {"post": "yes"})
    assert not type(film).objects.exists()


def test_delete_selected_names_twenty_and_counts_the_rest(admin_client):
    cinemas = [CinemaFactory() for _ in range(25)]
    response = admin_client.post(
        reverse("admin:campaign_cinema_changelist"),
        {"action": "delete_selected", "_selected_action": [c.pk for c in cinemas]},
    )
    listed = response.context["deletable_objects"][0]
    assert listed[-1] == "and 5 more cinemas"
    assert len(listed) == 21


def test_withdrawing_a_used_batch_does_not_make_it_deletable(admin_client):
    batch = batch_of(2)
    ReservationFactory(access_code=batch.codes.first())
    access_codes_block(block=True, reason="Leaked", created_by=None, batch=batch)
    assert admin_client.get(delete_url(batch)).context["protected"]


def test_a_batch_used_by_more_bookings_than_are_counted_says_more_than(monkeypatch):
    monkeypatch.setattr(code_deletions, "BOOKINGS_COUNTED", 2)
    batch = AccessCodeBatch.objects.create(requested_count=3, created_count=3, status="completed")
    for quantity in (1, 0, 2):
        ReservationFactory(quantity=quantity, access_code=AccessCodeFactory(batch=batch))
    refusal = code_deletions.code_batch_delete_refusal(batch)
    assert refusal.startswith(f"More than 2 bookings were made with codes of batch {batch.pk}.")
