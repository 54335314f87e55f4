# Counts the staff pages read instead of counting millions of rows at ten times a campaign
# (docs/admin.md): each film's free, held and void tickets, and each screening's bookings by the
# batch and film of their codes. Kept by triggers in the transaction of each write, as the seats
# reserved of migration 0025 are, and counted once here from the rows already there.
# SQLite: a later migration that remakes campaign_ticket or campaign_reservation drops their
# triggers with the old table and must create them again (test_campaign_counts.py checks them).

import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models

# A ticket's state (Ticket.state): free, held, void, each as 1 or 0.
TICKET_STATES = (
    "{row}reservation_id IS NULL AND {row}issued_at IS NULL",
    "{row}reservation_id IS NOT NULL",
    "{row}reservation_id IS NULL AND {row}issued_at IS NOT NULL",
)


def ticket_changes(rows: str, sign: str) -> str:
    states = ", ".join(f"{sign}({state.format(row='')})::int" for state in TICKET_STATES)
    return f"SELECT film_id, {states} FROM {rows}"


# PostgreSQL: one trigger per statement, which adds up each film's change over all the rows the
# statement wrote (an import of thousands of tickets, a COPY, a booking's four) and applies it in
# film order, so two writers lock the films' counts in the same order. Films whose counts do not
# move (an email stamping issued_at on held tickets) are not touched, nor locked.
POSTGRESQL_CHANGES = {
    "insert": ticket_changes("new_tickets", ""),
    "delete": ticket_changes("old_tickets", "-"),
    "update": f"{ticket_changes('new_tickets', '')} UNION ALL {ticket_changes('old_tickets', '-')}",
}
POSTGRESQL_TRANSITIONS = {
    "insert": "NEW TABLE AS new_tickets",
    "delete": "OLD TABLE AS old_tickets",
    "update": "OLD TABLE AS old_tickets NEW TABLE AS new_tickets",
}
POSTGRESQL_TICKETS = [
    statement
    for event, changes in POSTGRESQL_CHANGES.items()
    for statement in (
        f"""
        CREATE FUNCTION campaign_ticket_count_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO campaign_ticketcount AS kept (film_id, free, held, void)
            SELECT film_id, SUM(free), SUM(held), SUM(void)
            FROM ({changes}) AS change (film_id, free, held, void)
            GROUP BY film_id HAVING SUM(free) <> 0 OR SUM(held) <> 0 OR SUM(void) <> 0
            ORDER BY film_id
            ON CONFLICT (film_id) DO UPDATE
            SET free = kept.free + EXCLUDED.free, held = kept.held + EXCLUDED.held, void = kept.void + EXCLUDED.void;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER campaign_ticket_count_{event} AFTER {event.upper()} ON campaign_ticket
        REFERENCING {POSTGRESQL_TRANSITIONS[event]} FOR EACH STATEMENT EXECUTE FUNCTION campaign_ticket_count_{event}()
        """,
    )
]
POSTGRESQL_TICKETS_UNDO = [
    statement
    for event in POSTGRESQL_CHANGES
    for statement in (
        f"DROP TRIGGER IF EXISTS campaign_ticket_count_{event} ON campaign_ticket",
        f"DROP FUNCTION IF EXISTS campaign_ticket_count_{event}()",
    )
]


# SQLite: a trigger per row (it has no other kind), the row's state taken away or added.
def sqlite_ticket_change(row: str, sign: str) -> str:
    states = ", ".join(f"{sign}({state.format(row=f'{row}.')})" for state in TICKET_STATES)
    return f"""
        INSERT INTO campaign_ticketcount (film_id, free, held, void) VALUES ({row}.film_id, {states})
        ON CONFLICT (film_id) DO UPDATE
        SET free = free + excluded.free, held = held + excluded.held, void = void + excluded.void;
    """


# A row deleted was counted when it was written, so its film's row is there to take it from: an
# update, which writes no row where there is none. Django empties SQLite's tables between tests
# with DELETE (PostgreSQL's with TRUNCATE, which runs no trigger), the counts' tables first; an
# insert here would make rows again for films deleted next, which their keys then refuse.
SQLITE_TICKET_GONE = f"""
    UPDATE campaign_ticketcount SET
        free = free - ({TICKET_STATES[0].format(row="OLD.")}), held = held - ({TICKET_STATES[1].format(row="OLD.")}),
        void = void - ({TICKET_STATES[2].format(row="OLD.")})
    WHERE film_id = OLD.film_id;
"""
SQLITE_TICKETS = [
    f"CREATE TRIGGER campaign_ticket_count_insert AFTER INSERT ON campaign_ticket BEGIN"
    f" {sqlite_ticket_change('NEW', '')} END",
    f"CREATE TRIGGER campaign_ticket_count_delete AFTER DELETE ON campaign_ticket BEGIN {SQLITE_TICKET_GONE} END",
    "CREATE TRIGGER campaign_ticket_count_update AFTER UPDATE OF film_id, reservation_id, issued_at"
    f" ON campaign_ticket BEGIN {sqlite_ticket_change('OLD', '-')} {sqlite_ticket_change('NEW', '')} END",
]
SQLITE_TICKETS_UNDO = [f"DROP TRIGGER IF EXISTS campaign_ticket_count_{event}" for event in POSTGRESQL_CHANGES]

COUNT_TICKETS = [
    "DELETE FROM campaign_ticketcount",
    """
    INSERT INTO campaign_ticketcount (film_id, free, held, void)
    SELECT film_id,
        SUM(CASE WHEN reservation_id IS NULL AND issued_at IS NULL THEN 1 ELSE 0 END),
        SUM(CASE WHEN reservation_id IS NOT NULL THEN 1 ELSE 0 END),
        SUM(CASE WHEN reservation_id IS NULL AND issued_at IS NOT NULL THEN 1 ELSE 0 END)
    FROM campaign_ticket GROUP BY film_id
    """,
]


# A screening's bookings by the batch and film of their codes: seats, bookings holding seats,
# bookings cancelled, and codes redeemed (with a booking holding seats). A code is counted as it
# becomes redeemed or stops being so, on the row of the screening of the booking that made it
# so: only sums over screenings mean anything for codes, which the report and dashboard read.
# Every row a booking writes is its own screening's, whose row lock it holds: bookings queue for
# no row they did not already queue for.
# And bookings made in each hour (UTC), for the dashboard's bookings per day, per film of their
# screening: a booking waits there only for bookings of its film, which it queues behind for
# the film's ticket counts already. Only sums over films are read.
BOOKING_KEY = "screening_id, COALESCE(batch_id, 0), COALESCE(film_id, 0)"

POSTGRESQL_BOOKING_ROWS = {
    "insert": "SELECT screening_id, access_code_id, quantity, created_at, 1 FROM new_bookings",
    "delete": "SELECT screening_id, access_code_id, quantity, created_at, -1 FROM old_bookings",
    "update": "SELECT screening_id, access_code_id, quantity, created_at, 1 FROM new_bookings "
    "UNION ALL SELECT screening_id, access_code_id, quantity, created_at, -1 FROM old_bookings",
}
CHANGE = "change (screening_id, access_code_id, quantity, created_at, sign)"
POSTGRESQL_BOOKING_TRANSITIONS = {
    "insert": "NEW TABLE AS new_bookings",
    "delete": "OLD TABLE AS old_bookings",
    "update": "OLD TABLE AS old_bookings NEW TABLE AS new_bookings",
}


def postgresql_booking_function(event: str) -> str:
    # A code's bookings holding seats now, less the statement's change to them, is how many it
    # had before: redeemed is whether each is above 0.
    return f"""
        CREATE FUNCTION campaign_booking_count_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            WITH {CHANGE} AS ({POSTGRESQL_BOOKING_ROWS[event]}),
            by_code AS (
                SELECT access_code_id, MIN(screening_id) AS screening_id,
                    SUM(sign * (quantity > 0)::int) AS active
                FROM change GROUP BY access_code_id
            ),
            redeemed AS (
                SELECT by_code.screening_id, by_code.access_code_id,
                    (held.active > 0)::int - (held.active - by_code.active > 0)::int AS redeemed
                FROM by_code CROSS JOIN LATERAL (
                    SELECT COUNT(*) AS active FROM campaign_reservation
                    WHERE access_code_id = by_code.access_code_id AND quantity > 0
                ) AS held
            ),
            delta (screening_id, access_code_id, seats, active, cancelled, redeemed) AS (
                SELECT screening_id, access_code_id, sign * quantity, sign * (quantity > 0)::int,
                    sign * (quantity = 0)::int, 0
                FROM change
                UNION ALL SELECT screening_id, access_code_id, 0, 0, 0, redeemed FROM redeemed
            )
            INSERT INTO campaign_bookingcount AS kept
                (screening_id, batch_id, film_id, seats, active, cancelled, redeemed)
            SELECT delta.screening_id, code.batch_id, code.valid_for_id,
                SUM(delta.seats), SUM(delta.active), SUM(delta.cancelled), SUM(delta.redeemed)
            FROM delta JOIN campaign_accesscode AS code ON code.id = delta.access_code_id
            GROUP BY delta.screening_id, code.batch_id, code.valid_for_id
            HAVING SUM(delta.seats) <> 0 OR SUM(delta.active) <> 0 OR SUM(delta.cancelled) <> 0
                OR SUM(delta.redeemed) <> 0
            ORDER BY 1, 2, 3
            ON CONFLICT ({BOOKING_KEY}) DO UPDATE SET
                seats = kept.seats + EXCLUDED.seats, active = kept.active + EXCLUDED.active,
                cancelled = kept.cancelled + EXCLUDED.cancelled, redeemed = kept.redeemed + EXCLUDED.redeemed;
            INSERT INTO campaign_bookinghour AS kept (hour, film_id, bookings)
            SELECT date_trunc('hour', change.created_at, 'UTC'), screening.film_id, SUM(change.sign)
            FROM ({POSTGRESQL_BOOKING_ROWS[event]}) AS {CHANGE}
            JOIN campaign_screening AS screening ON screening.id = change.screening_id
            GROUP BY 1, 2 HAVING SUM(change.sign) <> 0 ORDER BY 1, 2
            ON CONFLICT (hour, film_id) DO UPDATE SET bookings = kept.bookings + EXCLUDED.bookings;
            RETURN NULL;
        END
        $$
    """


POSTGRESQL_BOOKINGS = [
    statement
    for event in POSTGRESQL_BOOKING_ROWS
    for statement in (
        postgresql_booking_function(event),
        f"""
        CREATE TRIGGER campaign_booking_count_{event} AFTER {event.upper()} ON campaign_reservation
        REFERENCING {POSTGRESQL_BOOKING_TRANSITIONS[event]}
        FOR EACH STATEMENT EXECUTE FUNCTION campaign_booking_count_{event}()
        """,
    )
]
POSTGRESQL_BOOKINGS_UNDO = [
    statement
    for event in POSTGRESQL_BOOKING_ROWS
    for statement in (
        f"DROP TRIGGER IF EXISTS campaign_booking_count_{event} ON campaign_reservation",
        f"DROP FUNCTION IF EXISTS campaign_booking_count_{event}()",
    )
]


# The hour a booking was made in, in UTC, as Django writes datetimes on SQLite.
SQLITE_HOUR = "strftime('%Y-%m-%d %H:00:00', {row}.created_at)"


# SQLite's row triggers run as each row is written, so the code's bookings holding seats, read
# in the trigger, are those after this row's change: ``active`` is this row's change to them.
def sqlite_booking_change(row: str, sign: str, active: str) -> str:
    return f"""
        INSERT INTO campaign_bookingcount (screening_id, batch_id, film_id, seats, active, cancelled, redeemed)
        SELECT {row}.screening_id, code.batch_id, code.valid_for_id, {sign}{row}.quantity, {sign}({row}.quantity > 0),
            {sign}({row}.quantity = 0), (held.active > 0) - (held.active - ({active}) > 0)
        FROM campaign_accesscode AS code, (
            SELECT COUNT(*) AS active FROM campaign_reservation
            WHERE access_code_id = {row}.access_code_id AND quantity > 0
        ) AS held
        WHERE code.id = {row}.access_code_id
        ON CONFLICT ({BOOKING_KEY}) DO UPDATE SET
            seats = seats + excluded.seats, active = active + excluded.active,
            cancelled = cancelled + excluded.cancelled, redeemed = redeemed + excluded.redeemed;
        INSERT INTO campaign_bookinghour (hour, film_id, bookings)
        SELECT {SQLITE_HOUR.format(row=row)}, film_id, {sign}1 FROM campaign_screening WHERE id = {row}.screening_id
        ON CONFLICT (hour, film_id) DO UPDATE SET bookings = bookings + excluded.bookings;
    """


# An update changes the old code's bookings holding seats by what the row held before (taken
# away) and, when the code stays, what it holds now; the new code's, by what it holds now,
# counted on the new row unless the code stayed.
SQLITE_UPDATE_OLD = "(NEW.access_code_id = OLD.access_code_id) * (NEW.quantity > 0) - (OLD.quantity > 0)"
SQLITE_UPDATE_NEW = "(NEW.access_code_id <> OLD.access_code_id) * (NEW.quantity > 0)"
# A booking deleted is taken from rows that are there, as a ticket is (SQLITE_TICKET_GONE).
SQLITE_BOOKING_GONE = f"""
    UPDATE campaign_bookingcount SET
        seats = seats - OLD.quantity, active = active - (OLD.quantity > 0), cancelled = cancelled - (OLD.quantity = 0),
        redeemed = redeemed + (
            SELECT (COUNT(*) > 0) - (COUNT(*) + (OLD.quantity > 0) > 0) FROM campaign_reservation
            WHERE access_code_id = OLD.access_code_id AND quantity > 0
        )
    WHERE screening_id = OLD.screening_id AND EXISTS (
        SELECT 1 FROM campaign_accesscode AS code WHERE code.id = OLD.access_code_id
            AND COALESCE(code.batch_id, 0) = COALESCE(campaign_bookingcount.batch_id, 0)
            AND COALESCE(code.valid_for_id, 0) = COALESCE(campaign_bookingcount.film_id, 0)
    );
    UPDATE campaign_bookinghour SET bookings = bookings - 1
    WHERE hour = {SQLITE_HOUR.format(row="OLD")}
        AND film_id = (SELECT film_id FROM campaign_screening WHERE id = OLD.screening_id);
"""
SQLITE_BOOKINGS = [
    "CREATE TRIGGER campaign_booking_count_insert AFTER INSERT ON campaign_reservation BEGIN"
    f" {sqlite_booking_change('NEW', '', 'NEW.quantity > 0')} END",
    "CREATE TRIGGER campaign_booking_count_delete AFTER DELETE ON campaign_reservation"
    f" BEGIN {SQLITE_BOOKING_GONE} END",
    "CREATE TRIGGER campaign_booking_count_update AFTER UPDATE OF screening_id, access_code_id, quantity, created_at"
    f" ON campaign_reservation BEGIN {sqlite_booking_change('OLD', '-', SQLITE_UPDATE_OLD)}"
    f" {sqlite_booking_change('NEW', '', SQLITE_UPDATE_NEW)} END",
]
SQLITE_BOOKINGS_UNDO = [f"DROP TRIGGER IF EXISTS campaign_booking_count_{event}" for event in POSTGRESQL_BOOKING_ROWS]


# A code given another film (or batch) takes its bookings from the old kind of code to the new.
# Rare (staff editing a typed code's film), so a trigger per row, and only when either changes.
def code_move(row: str, new: str, sign: str) -> str:
    first_active = f"(SELECT MIN(id) FROM campaign_reservation WHERE access_code_id = {new}.id AND quantity > 0)"
    return f"""
        SELECT screening_id, {row}.batch_id, {row}.valid_for_id, {sign}SUM(quantity),
            {sign}SUM(CASE WHEN quantity > 0 THEN 1 ELSE 0 END), {sign}SUM(CASE WHEN quantity = 0 THEN 1 ELSE 0 END),
            {sign}SUM(CASE WHEN id = {first_active} THEN 1 ELSE 0 END)
        FROM campaign_reservation WHERE access_code_id = {new}.id GROUP BY screening_id
    """


def code_move_statement(row: str, sign: str, table: str) -> str:
    return f"""
        INSERT INTO campaign_bookingcount {table} (screening_id, batch_id, film_id, seats, active, cancelled, redeemed)
        {code_move(row, "NEW", sign)} {"ORDER BY screening_id" if table else "HAVING TRUE"}
        ON CONFLICT ({BOOKING_KEY}) DO UPDATE SET
            seats = {table and "kept."}seats + excluded.seats, active = {table and "kept."}active + excluded.active,
            cancelled = {table and "kept."}cancelled + excluded.cancelled,
            redeemed = {table and "kept."}redeemed + excluded.redeemed;
    """


CODE_MOVED = "OLD.valid_for_id IS DISTINCT FROM NEW.valid_for_id OR OLD.batch_id IS DISTINCT FROM NEW.batch_id"
POSTGRESQL_CODES = [
    f"""
    CREATE FUNCTION campaign_booking_count_code() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {code_move_statement("OLD", "-", "AS kept")}
        {code_move_statement("NEW", "", "AS kept")}
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER campaign_booking_count_code AFTER UPDATE OF valid_for_id, batch_id ON campaign_accesscode
    FOR EACH ROW WHEN ({CODE_MOVED}) EXECUTE FUNCTION campaign_booking_count_code()
    """,
]
POSTGRESQL_CODES_UNDO = [
    "DROP TRIGGER IF EXISTS campaign_booking_count_code ON campaign_accesscode",
    "DROP FUNCTION IF EXISTS campaign_booking_count_code()",
]
SQLITE_CODES = [
    "CREATE TRIGGER campaign_booking_count_code AFTER UPDATE OF valid_for_id, batch_id ON campaign_accesscode"
    f" WHEN {CODE_MOVED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN"
    f" {code_move_statement('OLD', '-', '')} {code_move_statement('NEW', '', '')} END"
]
SQLITE_CODES_UNDO = ["DROP TRIGGER IF EXISTS campaign_booking_count_code"]

COUNT_BOOKINGS = [
    "DELETE FROM campaign_bookingcount",
    "DELETE FROM campaign_bookinghour",
    """
    INSERT INTO campaign_bookingcount (screening_id, batch_id, film_id, seats, active, cancelled, redeemed)
    SELECT booking.screening_id, code.batch_id, code.valid_for_id, SUM(booking.quantity),
        SUM(CASE WHEN booking.quantity > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN booking.quantity = 0 THEN 1 ELSE 0 END),
        SUM(CASE WHEN booking.quantity > 0 AND booking.id = (
            SELECT MIN(id) FROM campaign_reservation WHERE access_code_id = booking.access_code_id AND quantity > 0
        ) THEN 1 ELSE 0 END)
    FROM campaign_reservation AS booking JOIN campaign_accesscode AS code ON code.id = booking.access_code_id
    GROUP BY booking.screening_id, code.batch_id, code.valid_for_id
    """,
    """
    INSERT INTO campaign_bookinghour (hour, film_id, bookings)
    SELECT {hour}, screening.film_id, COUNT(*)
    FROM campaign_reservation AS booking JOIN campaign_screening AS screening ON screening.id = booking.screening_id
    GROUP BY 1, 2
    """,
]
HOURS = {"postgresql": "date_trunc('hour', booking.created_at, 'UTC')", "sqlite": SQLITE_HOUR.format(row="booking")}


def create_count_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    triggers = (
        [*POSTGRESQL_TICKETS, *POSTGRESQL_BOOKINGS, *POSTGRESQL_CODES]
        if postgresql
        else [*SQLITE_TICKETS, *SQLITE_BOOKINGS, *SQLITE_CODES]
    )
    hour = HOURS[schema_editor.connection.vendor]
    for statement in [*triggers, *COUNT_TICKETS, *(statement.format(hour=hour) for statement in COUNT_BOOKINGS)]:
        schema_editor.execute(statement)
    if postgresql:  # planned from their real sizes at once, not after autovacuum's first look
        schema_editor.execute("ANALYZE campaign_ticketcount, campaign_bookingcount, campaign_bookinghour")


def drop_count_triggers(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    undo = (
        [*POSTGRESQL_TICKETS_UNDO, *POSTGRESQL_BOOKINGS_UNDO, *POSTGRESQL_CODES_UNDO]
        if postgresql
        else [*SQLITE_TICKETS_UNDO, *SQLITE_BOOKINGS_UNDO, *SQLITE_CODES_UNDO]
    )
    for statement in undo:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("campaign", "0025_ten_times_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketCount",
            fields=[
                (
                    "film",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="campaign.film",
                    ),
                ),
                ("free", models.IntegerField(default=0)),
                ("held", models.IntegerField(default=0)),
                ("void", models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="BookingCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seats", models.IntegerField(default=0)),
                ("active", models.IntegerField(default=0)),
                ("cancelled", models.IntegerField(default=0)),
                ("redeemed", models.IntegerField(default=0)),
                (
                    "batch",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="campaign.accesscodebatch",
                    ),
                ),
                (
                    "film",
                    models.ForeignKey(
                        null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="campaign.film"
                    ),
                ),
                (
                    "screening",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="campaign.screening",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        models.F("screening"),
                        django.db.models.functions.comparison.Coalesce("batch", 0),
                        django.db.models.functions.comparison.Coalesce("film", 0),
                        name="booking_count_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="BookingHour",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("bookings", models.IntegerField(default=0)),
                (
                    "film",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="campaign.film",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("hour", "film"), name="booking_hour_key")],
            },
        ),
        migrations.RunPython(create_count_triggers, drop_count_triggers, elidable=False),
    ]
