"""Withdrawing leaked access codes and restoring them: at booking, in the service, in the admin."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from backoffice.campaign.factories import (
    AccessCodeFactory,
    FilmFactory,
    ReservationFactory,
    ScreeningFactory,
    TicketFactory,
)
from backoffice.campaign.models import AccessCode, AccessCodeBatch, AccessCodeBlock, DataRun, Reservation
from backoffice.campaign.services import code_blocks
from backoffice.campaign.services.code_blocks import access_codes_block, code_list_check, code_list_parse
from backoffice.campaign.services.dashboard import CACHE_KEY
from backoffice.campaign.services.data_runs import data_run_execute
from backoffice.campaign.tasks import runs_sweep
from backoffice.campaign.tests.booking_support import refused
from backoffice.campaign.tests.codes_support import codes_bulk_insert
from backoffice.campaign.tests.otp_support import verified_login

pytestmark = pytest.mark.django_db

BLOCK = reverse("admin:campaign_accesscode_block")
WITHDRAWN = "This code has been withdrawn"


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", email=None, password=None)


@pytest.fixture
def admin_client(client, admin_user):
    verified_login(client, admin_user)
    return client


@pytest.fixture
def screening():
    film = FilmFactory(name="Elf")
    TicketFactory.create_batch(8, film=film)
    return ScreeningFactory(film=film, capacity=20)


def batch_of(count: int) -> AccessCodeBatch:
    batch = AccessCodeBatch.objects.create(requested_count=count, status=AccessCodeBatch.Status.COMPLETED)
    AccessCode.objects.bulk_create(AccessCodeFactory.build(batch=batch, max_usages=2) for _ in range(count))
    AccessCodeBatch.objects.filter(pk=batch.pk).update(created_count=count)
    batch.refresh_from_db()
    return batch


def withdraw(*, user=None, **target) -> AccessCodeBlock:
    with TestCase.captureOnCommitCallbacks(execute=False):
        return access_codes_block(block=True, reason="Posted on a forum", created_by=user, **target)


def book(screening, code, **kwargs) -> Reservation:
    fields = {"screening": screening, "access_code": code, "quantity": 1, "name": "Holly", "email": "h@example.com"}
    return Reservation.objects.create(**{**fields, **kwargs})


# --- at booking -----------------------------------------------------------------------------


def test_a_withdrawn_code_is_refused_at_booking_with_its_own_message(screening):
    code = AccessCodeFactory()
    withdraw(code=code)
    errors = refused(book, screening, code)
    assert errors["access_code"][0].startswith(f"{WITHDRAWN}: {code.value} was withdrawn on ")
    assert "(Posted on a forum)" in errors["access_code"][0]
    assert "Ask the customer for another code." in errors["access_code"][0]


def test_a_restored_code_books_again(screening):
    code = AccessCodeFactory()
    withdraw(code=code)
    access_codes_block(block=False, reason="", created_by=None, code=code)
    assert book(screening, code).pk is not None


def test_a_booking_made_before_keeps_its_code_and_can_still_be_corrected(screening):
    code = AccessCodeFactory()
    reservation = book(screening, code)
    withdraw(code=code)
    Reservation.objects.update_booking(reservation, name="Holly Ivy")
    assert Reservation.objects.get(pk=reservation.pk).name == "Holly Ivy"


def test_changing_to_a_withdrawn_code_or_reactivating_with_one_is_refused(screening):
    reservation = book(screening, AccessCodeFactory())
    withdrawn = AccessCodeFactory()
    withdraw(code=withdrawn)
    assert (
        WITHDRAWN in refused(Reservation.objects.update_booking, reservation, access_code=withdrawn)["access_code"][0]
    )
    cancelled = book(screening, withdrawn_before := AccessCodeFactory(), email="c@example.com")
    Reservation.objects.update_booking(cancelled, quantity=0)
    withdraw(code=withdrawn_before)
    cancelled.refresh_from_db()
    assert WITHDRAWN in refused(Reservation.objects.update_booking, cancelled, quantity=1)["access_code"][0]


# --- the service ----------------------------------------------------------------------------


def test_a_small_batch_is_withdrawn_at_once_and_recorded_as_one_row(admin_user):
    batch = batch_of(30)
    AccessCode.objects.filter(pk=batch.codes.first().pk).update(blocked_at="2026-12-01T10:00Z", blocked_reason="old")
    record = withdraw(batch=batch, user=admin_user)
    assert record.run is None
    assert (record.requested, record.count, record.scope, record.created_by) == (30, 29, "batch", admin_user)
    assert batch.codes.filter(blocked_at__isnull=True).count() == 0
    assert batch.codes.filter(blocked_reason="Posted on a forum").count() == 29  # the earlier one keeps its reason
    assert AccessCodeBlock.objects.count() == 1
    restored = access_codes_block(block=False, reason="False alarm", created_by=admin_user, batch=batch)
    assert (restored.action, restored.count) == ("unblock", 30)
    assert not batch.codes.filter(blocked_at__isnull=False).exists()
    assert set(batch.codes.values_list("blocked_reason", flat=True)) == {""}


def test_withdrawing_needs_a_reason():
    code = AccessCodeFactory()
    errors = refused(access_codes_block, block=True, reason="  ", created_by=None, code=code)
    assert errors == {"reason": ["Say why the codes are withdrawn; bookings refused will show it."]}
    assert not AccessCodeBlock.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("7kpb 3xq9 m2dt 8zvr", "7KPB-3XQ9-M2DT-8ZVR"),
        ("7KPB3XQ9M2DT8ZVR", "7KPB-3XQ9-M2DT-8ZVR"),
        ("OIBC-DFGH-JKLM-NPQR", "01BC-DFGH-JKLM-NPQR"),
    ],
)
def test_a_list_is_read_as_people_type_codes(typed, stored):
    assert code_list_parse(f"code\n{typed}\n\n{stored},2,elf\n") == [stored]


def test_a_list_with_a_line_that_is_no_code_is_refused_naming_the_line():
    with pytest.raises(ValidationError) as error:
        code_list_parse("7KPB-3XQ9-M2DT-8ZVR\nhello world\n7KPB-3XQ9-M2DT")
    assert error.value.messages == [
        "2 lines are not an access code (line 2: “hello world”, line 3: “7KPB-3XQ9-M2DT”). A code has 16 digits or "
        "consonants, e.g. 7KPB-3XQ9-M2DT-8ZVR. Nothing was changed; correct the list."
    ]


def test_a_list_with_unknown_codes_is_refused_whole_naming_the_first_few():
    known = [code.value for code in AccessCodeFactory.create_batch(3)]
    unknown = [f"BBBB-CCCC-DDDD-{n:04d}" for n in range(12)]
    with pytest.raises(ValidationError) as error:
        code_list_check(known + unknown)
    message = error.value.messages[0]
    assert message.startswith("12 of the 15 codes listed do not exist (BBBB-CCCC-DDDD-0000, ")
    assert "BBBB-CCCC-DDDD-0009, and 2 more)" in message
    assert "BBBB-CCCC-DDDD-0010" not in message


# --- the admin ------------------------------------------------------------------------------


def post(client, data: dict, *, execute: bool = False):
    with TestCase.captureOnCommitCallbacks(execute=execute):
        return client.post(BLOCK, data)


def test_the_form_withdraws_a_pasted_list_typed_loosely(admin_client):
    codes = AccessCodeFactory.create_batch(3)
    typed = "\n".join(code.value.lower().replace("-", " ") for code in codes)
    response = post(admin_client, {"action": "block", "codes": typed, "reason": "Leaked on social media"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:campaign_accesscodeblock_changelist")
    assert AccessCode.objects.filter(blocked_reason="Leaked on social media").count() == 3
    record = AccessCodeBlock.objects.get()
    assert (record.scope, record.requested, record.count) == ("list", 3, 3)
    assert "Withdrew 3 access codes." in admin_client.get(response["Location"]).content.decode()


def test_the_form_takes_one_code_as_the_scope_of_one_code(admin_client):
    code = AccessCodeFactory()
    post(admin_client, {"action": "block", "codes": code.value, "reason": "Lost"})
    record = AccessCodeBlock.objects.get()
    assert (record.scope, record.code) == ("code", code)


def test_the_form_refuses_unknown_codes_and_changes_nothing(admin_client):
    code = AccessCodeFactory()
    upload = SimpleUploadedFile("codes.csv", f"code\n{code.value}\nBBBB-CCCC-DDDD-FFFF\n".encode())
    response = post(admin_client, {"action": "block", "file": upload, "reason": "Leaked"})
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "1 of the 2 codes listed do not exist (BBBB-CCCC-DDDD-FFFF). Nothing was changed: correct the list and "
        "send it again."
    ]
    assert not AccessCode.objects.filter(blocked_at__isnull=False).exists()
    assert not AccessCodeBlock.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"action": "block", "reason": "x"}, None, "Give one of: a batch number, a list of codes, or a file of codes."),
        ({"action": "block", "batch": 999, "reason": "x"}, "batch", "There is no batch 999."),
        ({"action": "block", "batch": 1, "reason": "x"}, "batch", "Batch 1 is still making codes."),
        ({"action": "block", "batch": 1, "codes": "x", "reason": "x"}, None, "Give one of"),
        ({"action": "block", "codes": "7KPB-3XQ9-M2DT-8ZVR"}, "reason", "Say why the codes are withdrawn"),
        (
            {"action": "block", "codes": "7KPB-3XQ9-M2DT-8ZVR", "reason": "Posted\x0bonline"},
            "reason",
            "Keep this on one line",
        ),
    ],
)
def test_the_form_refuses_bad_input_with_a_specific_error(admin_client, data, field, message):
    AccessCodeFactory(value="7KPB-3XQ9-M2DT-8ZVR")
    AccessCodeBatch.objects.create(pk=1, requested_count=10, status=AccessCodeBatch.Status.RUNNING)
    response = post(admin_client, data)
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field or "__all__")
    assert errors
    assert errors[0].startswith(message)
    assert not AccessCodeBlock.objects.exists()


@pytest.mark.timing
@pytest.mark.postgresql
def test_a_batch_of_100000_codes_is_withdrawn_off_the_request_in_chunks(admin_client, private_files):
    batch = AccessCodeBatch.objects.create(requested_count=0, status=AccessCodeBatch.Status.COMPLETED)
    codes_bulk_insert(batch, 100_000)
    started = time.monotonic()
    response = post(admin_client, {"action": "block", "batch": batch.pk, "reason": "Leaked"})
    answered = time.monotonic() - started
    record = AccessCodeBlock.objects.get()
    assert response["Location"] == reverse("admin:campaign_datarun_change", args=[record.run.pk])
    assert answered < 1, f"the request took {answered:.2f} s"
    assert not batch.codes.filter(blocked_at__isnull=False).exists(), "nothing changes in the request"
    run = record.run
    assert (run.kind, run.status, run.total) == ("block", "queued", 100_000)

    assert data_run_execute(run.pk)
    run.refresh_from_db()
    record.refresh_from_db()
    assert (run.status, run.done, run.message) == ("completed", 100_000, "Withdrew 100,000 access codes.")
    assert record.count == 100_000
    assert not batch.codes.filter(blocked_at__isnull=True).exists()
    page = admin_client.get(reverse("admin:campaign_datarun_change", args=[run.pk])).content.decode()
    assert "Withdrew 100,000 access codes." in page


@pytest.mark.django_db(transaction=True)  # the run's heartbeat reads Cancel on a connection of its own
def test_a_long_list_runs_on_the_workers_and_a_cancel_keeps_what_was_done_and_counted(
    admin_client, private_files, monkeypatch
):
    monkeypatch.setattr(code_blocks, "BLOCK_INLINE_LIMIT", 4)
    monkeypatch.setattr(code_blocks, "CODE_BLOCK_CHUNK", 3)
    codes = AccessCodeFactory.create_batch(7)
    response = post(admin_client, {"action": "block", "codes": "\n".join(c.value for c in codes), "reason": "x"})
    record = AccessCodeBlock.objects.get()
    assert response["Location"] == reverse("admin:campaign_datarun_change", args=[record.run.pk])
    DataRun.objects.filter(pk=record.run.pk).update(cancel_requested=True)  # read after the first chunk
    assert data_run_execute(record.run.pk)
    record.refresh_from_db()
    record.run.refresh_from_db()
    assert record.run.status == "cancelled"
    assert AccessCode.objects.filter(blocked_at__isnull=False).count() == record.count == 3


def test_withdrawing_needs_permission_to_change_codes(client, django_user_model):
    manager = django_user_model.objects.create_user("data", is_staff=True)
    manager.groups.add(Group.objects.get(name="Data manager"))
    verified_login(client, manager)
    assert client.get(BLOCK).status_code == 403
    assert b"Withdraw or restore codes" not in client.get(reverse("admin:campaign_accesscode_changelist")).content
    campaign = django_user_model.objects.create_user("campaign", is_staff=True)
    campaign.groups.add(Group.objects.get(name="Campaign manager"))
    verified_login(client, campaign)
    assert client.get(BLOCK).status_code == 200


def test_withdrawing_needs_the_second_factor(client, django_user_model, settings):
    settings.OTP_REQUIRED = True
    user = django_user_model.objects.create_user("changer", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_accesscode", "change_accesscode"]))
    client.force_login(user)
    assert client.get(BLOCK).status_code == 302  # to the second factor's setup, not the form
    verified_login(client, user)
    assert client.get(BLOCK).status_code == 200


def test_the_batch_page_lists_bookings_made_with_its_withdrawn_codes(admin_client, screening):
    batch = batch_of(4)
    codes = list(batch.codes.order_by("pk"))
    made = [ReservationFactory(screening=screening, access_code=code) for code in codes[:3]]
    ReservationFactory(screening=screening, access_code=codes[0], quantity=0)  # cancelled: nothing to review
    withdraw(code=codes[0])
    withdraw(code=codes[1])
    page = admin_client.get(reverse("admin:campaign_accesscodebatch_change", args=[batch.pk]))
    withdrawn = page.context["withdrawn"]
    assert (withdrawn["codes"], withdrawn["bookings"]) == (2, 2)
    assert {r.pk for r in withdrawn["shown"]} == {made[0].pk, made[1].pk}
    assert made[2].reference not in page.content.decode()
    listed = admin_client.get(withdrawn["list_url"])
    assert {r.pk for r in listed.context["cl"].result_list} == {made[0].pk, made[1].pk}


def test_the_dashboard_counts_withdrawn_codes(admin_client):
    cache.delete(CACHE_KEY)
    withdraw(batch=batch_of(5))
    page = admin_client.get(reverse("admin:index"))
    figure = next(f for f in page.context["dashboard_figures"] if f.key == "codes_blocked")
    assert figure.value == "5"


def test_a_withdrawal_run_is_cancelled_only_by_who_may_withdraw(client, django_user_model, monkeypatch):
    monkeypatch.setattr(code_blocks, "BLOCK_INLINE_LIMIT", 1)
    record = withdraw(batch=batch_of(3))
    page = reverse("admin:campaign_datarun_change", args=[record.run.pk])
    for role, may_cancel in (("Data manager", False), ("Campaign manager", True)):
        user = django_user_model.objects.create_user(role, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        verified_login(client, user)
        run = client.get(page).context["run"]
        assert bool(run["cancel_url"]) is may_cancel, role
        assert run["unit"] == "codes"
    runs = client.get(reverse("admin:runs")).context["rows"]
    assert "Withdraw or restore codes: 3" in [row["what"] for row in runs]


def test_a_withdrawal_whose_worker_died_is_resumed_by_the_sweeper_keeping_what_it_did(monkeypatch, eager_tasks):
    monkeypatch.setattr(code_blocks, "BLOCK_INLINE_LIMIT", 1)
    batch = batch_of(4)
    record = withdraw(batch=batch)
    done = list(batch.codes.order_by("pk")[:2])
    code_blocks.code_block_chunk(record, AccessCode.objects.filter(pk__in=[c.pk for c in done]))
    DataRun.objects.filter(pk=record.run.pk).update(
        status="running", done=2, attempts=1, updated_at=timezone.now() - timedelta(minutes=11)
    )
    assert runs_sweep() == 1
    run = DataRun.objects.get(pk=record.run.pk)
    assert (run.status, run.done, run.attempts) == ("completed", 4, 2)
    record.refresh_from_db()
    # The two done before the worker died were left as they were and counted once.
    assert record.count == batch.codes.filter(blocked_at__isnull=False).count() == 4
