"""Withdrawing access codes (a leaked batch, a list posted online) and restoring them.

A withdrawal is an UPDATE of the code rows (``blocked_at``, ``blocked_reason``) and one
``AccessCodeBlock`` row recording who, when, why and how many. A booking locks its code row
FOR UPDATE before checking it (services/reservations.py): it either locked the code first and
commits before the withdrawal reaches that code, or it sees the code withdrawn and is refused.
Bookings already made are left alone and listed for review on the batch's page.

Up to ``BLOCK_INLINE_LIMIT`` codes change in the request, in one transaction. More (a big batch,
a long list) is a background run, a ``DataRun`` of kind *block* (services/data_runs.py): chunks
of ``CODE_BLOCK_CHUNK`` codes, each in its own transaction together with the record's count, so
a Cancel or a dead worker leaves the codes done so far withdrawn and the record exact. Running a
chunk again changes nothing: only codes not yet in the asked state are updated.

A list is checked whole before anything changes: a line that is no code, or a code that does
not exist, refuses the whole list, naming (the first few of) them.
"""

from collections.abc import Iterator
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from backoffice.campaign.codes import CODE_RE, access_code_normalise
from backoffice.campaign.models import AccessCode, AccessCodeBatch, AccessCodeBlock, DataRun, private_storage

#: Codes changed in the request; more go to the workers.
BLOCK_INLINE_LIMIT = 5_000
#: Codes per transaction in a background run (and per look-up when a list is checked).
CODE_BLOCK_CHUNK = 10_000
#: The longest list taken at once; a leaked batch is withdrawn by its number instead.
MAX_LIST = 200_000
#: Bad or unknown values named in a refusal; the count says how many there were.
SHOWN = 10

Action = AccessCodeBlock.Action
Scope = AccessCodeBlock.Scope


def code_list_parse(text: str) -> list[str]:
    """The codes of a pasted or uploaded list, as stored, each once, in the list's order.

    One code a line, typed loosely (see ``access_code_normalise``); a CSV (a batch's download)
    counts by its first column, and its ``code`` header and empty lines are skipped. A line that
    is no code refuses the whole list, naming the line.
    """
    values, bad = {}, []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",", 1)[0].strip().strip('"')
        if not cell or (number == 1 and cell.lower() == "code"):
            continue
        value = access_code_normalise(cell)
        if CODE_RE.match(value):
            values.setdefault(value, None)
        else:
            bad.append(f"line {number}: “{cell[:40]}”")
    if bad:
        raise ValidationError(
            f"{len(bad):,} line{'s are' if len(bad) > 1 else ' is'} not an access code ({_first(bad)}). "
            "A code has 16 digits or consonants, e.g. 7KPB-3XQ9-M2DT-8ZVR. Nothing was changed; correct the list."
        )
    if not values:
        raise ValidationError("The list holds no access code. Paste one code a line, or upload a file of them.")
    if len(values) > MAX_LIST:
        raise ValidationError(
            f"The list holds {len(values):,} codes; at most {MAX_LIST:,} are taken at once. Split it, "
            "or withdraw the whole batch by its number."
        )
    return list(values)


def code_list_check(values: list[str]) -> None:
    """Refuse a list with codes that do not exist, naming the first few: nothing is changed."""
    unknown = []
    for start in range(0, len(values), CODE_BLOCK_CHUNK):
        chunk = values[start : start + CODE_BLOCK_CHUNK]
        known = set(AccessCode.objects.filter(value__in=chunk).values_list("value", flat=True))
        unknown += [value for value in chunk if value not in known]
    if unknown:
        raise ValidationError(
            f"{len(unknown):,} of the {len(values):,} codes listed do not exist ({_first(unknown)}). "
            "Nothing was changed: correct the list and send it again."
        )


def access_codes_block(
    *,
    block: bool,
    reason: str,
    created_by,
    code: AccessCode | None = None,
    batch: AccessCodeBatch | None = None,
    values: list[str] | None = None,
) -> AccessCodeBlock:
    """Withdraw (``block``) or restore one code, a batch or a checked list of codes.

    Small: done at once, in the caller's transaction. Big: the record is returned with its
    ``run`` queued, published once the caller's transaction commits. Call inside a transaction.
    """
    if sum(x is not None for x in (code, batch, values)) != 1:
        raise ValueError("Name one code, one batch or one list.")
    if block and not reason.strip():
        raise ValidationError({"reason": "Say why the codes are withdrawn; bookings refused will show it."})
    scope = Scope.CODE if code else Scope.BATCH if batch else Scope.LIST
    requested = 1 if code else batch.created_count if batch else len(values)
    record = AccessCodeBlock.objects.create(
        created_by=created_by,
        action=Action.BLOCK if block else Action.UNBLOCK,
        scope=scope,
        code=code,
        batch=batch,
        requested=requested,
        reason=reason.strip(),
    )
    if requested <= BLOCK_INLINE_LIMIT:
        if code is not None:
            chunks = iter([AccessCode.objects.filter(pk=code.pk)])
        elif batch is not None:
            chunks = iter([AccessCode.objects.filter(batch=batch)])
        else:
            chunks = _list_chunks(values)
        for codes in chunks:
            code_block_chunk(record, codes)
        record.refresh_from_db(fields=["count"])
        return record
    record.run = _run_request(record, values=values)
    record.save(update_fields=["run"])
    return record


def code_block_chunk(record: AccessCodeBlock, codes: QuerySet) -> int:
    """Withdraw or restore ``codes`` and add them to ``record``'s count, in one transaction."""
    with transaction.atomic():
        if record.action == Action.BLOCK:
            changed = codes.filter(blocked_at__isnull=True).update(
                blocked_at=timezone.now(), blocked_reason=record.reason
            )
        else:
            changed = codes.filter(blocked_at__isnull=False).update(blocked_at=None, blocked_reason="")
        if changed:
            AccessCodeBlock.objects.filter(pk=record.pk).update(count=F("count") + changed)
    return changed


def _run_request(record: AccessCodeBlock, *, values: list[str] | None) -> DataRun:
    from backoffice.campaign.services.data_runs import data_run_publish

    run = DataRun.objects.create(
        kind=DataRun.Kind.BLOCK,
        content_type=ContentType.objects.get_for_model(AccessCode),
        parameters={"block": record.pk, "file_name": f"codes-{record.action}-{record.pk}.txt"},
        total=record.requested,
        created_by=record.created_by,
    )
    if values is not None:
        # The list is kept in private storage for the run (the codes are secrets); its file is
        # deleted with the run's others after DATA_RUN_FILE_RETENTION_DAYS.
        content = ContentFile("\n".join(values).encode())
        run.upload_file.name = private_storage().save(f"data-runs/{run.pk}/codes.txt", content)
        run.save(update_fields=["upload_file", "updated_at"])
    transaction.on_commit(partial(data_run_publish, run.pk))
    return run


def code_block_run(run: DataRun, heartbeat) -> str:
    """A background withdrawal or restoring, chunk by chunk; returns the run's closing message."""
    record = AccessCodeBlock.objects.select_related("batch").get(pk=run.parameters["block"])
    if record.scope == Scope.BATCH:
        chunks = _batch_chunks(record.batch_id)
    else:
        with private_storage().open(run.upload_file.name, "rb") as file:
            values = file.read().decode().split("\n")
        chunks = _list_chunks(values)
    done = 0
    for codes in chunks:
        # The codes' count, not the changed count: already withdrawn codes are done as well.
        size = codes.count()
        code_block_chunk(record, codes)
        done += size
        heartbeat.beat(done)
    record.refresh_from_db(fields=["count"])
    return code_block_summary(record)


def code_block_summary(record: AccessCodeBlock) -> str:
    verb = "Withdrew" if record.action == Action.BLOCK else "Restored"
    state = "withdrawn" if record.action == Action.BLOCK else "in use"
    already = record.requested - record.count
    rest = f"; {already:,} already were {state}" if already > 0 else ""
    return f"{verb} {record.count:,} access code{'s' if record.count != 1 else ''}{rest}."


def _list_chunks(values: list[str]) -> Iterator[QuerySet]:
    for start in range(0, len(values), CODE_BLOCK_CHUNK):
        yield AccessCode.objects.filter(value__in=values[start : start + CODE_BLOCK_CHUNK])


def _batch_chunks(batch_id: int) -> Iterator[QuerySet]:
    # Walked by primary key, a chunk at a time: each chunk is the next CODE_BLOCK_CHUNK codes.
    last = 0
    codes = AccessCode.objects.filter(batch_id=batch_id).order_by("pk")
    while pks := list(codes.filter(pk__gt=last).values_list("pk", flat=True)[:CODE_BLOCK_CHUNK]):
        yield AccessCode.objects.filter(pk__in=pks)
        last = pks[-1]


def _first(items: list[str]) -> str:
    more = f", and {len(items) - SHOWN:,} more" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
