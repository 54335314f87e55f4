"""References checked once a statement instead of once a row, for the bulk-loaded code table.

A declared foreign key makes PostgreSQL look up the referenced row once for every row written:
for a run of a million access codes, a million lookups of the same batch row, about a third of
the server's work. The access code table's references (to its batch, to its film) are declared
without a database constraint (``db_constraint=False``) and enforced by triggers instead:

PostgreSQL
    After each statement that inserts or updates codes, one query over the statement's
    transition table finds any batch or film the new rows name that does not exist, and locks
    the ones that do ``FOR KEY SHARE``, as a foreign key check does, so that none can be deleted
    before the writing transaction ends. Deleting a referenced batch or film (or changing its
    id) is refused the other way round, row by row: such changes are rare. A failure raises
    SQLSTATE 23503, ``foreign_key_violation``, which Django reports as an ``IntegrityError``.
    The check is immediate, where Django declares foreign keys deferred: the referenced row must
    exist when the statement ends, not just at commit. Deletions are checked under READ
    COMMITTED, the isolation Django uses; a REPEATABLE READ transaction deleting a batch would not
    see codes committed after it began.
SQLite
    Row triggers refuse a code naming a batch or film that does not exist. Deleting a referenced
    batch or film is left to ``on_delete=PROTECT``: SQLite has no deferred triggers, and an
    immediate one would break Django's flush, which empties tables in no particular order.
Other databases
    A declared foreign key.

``TRUNCATE`` fires no triggers, so it is not checked. The triggers name the tables and columns:
a migration that renames them, or that rebuilds the access code table on SQLite (Django does for
most column changes, dropping the table's triggers), must create them again (``create_sql``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Reference:
    """``table.column`` points at ``target.id``."""

    table: str
    column: str
    target: str

    @property
    def name(self) -> str:
        return f"{self.table}_{self.column}_ref"


# The access code table's references, by table and column names fixed by migrations.
ACCESS_CODE_REFERENCES = (
    Reference("campaign_accesscode", "batch_id", "campaign_accesscodebatch"),
    Reference("campaign_accesscode", "valid_for_id", "campaign_film"),
)


def create_sql(reference: Reference, vendor: str) -> list[str]:
    """The statements that enforce ``reference`` on a database of ``vendor``."""
    if vendor == "postgresql":
        return _postgresql_create(reference)
    if vendor == "sqlite":
        return _sqlite_create(reference)
    r = reference
    return [f"ALTER TABLE {r.table} ADD CONSTRAINT {r.name} FOREIGN KEY ({r.column}) REFERENCES {r.target} (id)"]


def drop_sql(reference: Reference, vendor: str) -> list[str]:
    """The statements that undo ``create_sql``."""
    r = reference
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER {r.name}_insert ON {r.table}",
            f"DROP TRIGGER {r.name}_update ON {r.table}",
            f"DROP TRIGGER {r.name}_protect ON {r.target}",
            f"DROP FUNCTION {r.name}_check()",
            f"DROP FUNCTION {r.name}_protect()",
        ]
    if vendor == "sqlite":
        return [f"DROP TRIGGER {r.name}_insert", f"DROP TRIGGER {r.name}_update"]
    return [f"ALTER TABLE {r.table} DROP CONSTRAINT {r.name}"]


def _postgresql_create(r: Reference) -> list[str]:
    violation = f'insert or update on table "{r.table}" violates foreign key "{r.name}"'
    still_used = f'update or delete on table "{r.target}" violates foreign key "{r.name}" on table "{r.table}"'
    return [
        f"""
        CREATE FUNCTION {r.name}_check() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            missing bigint;
        BEGIN
            SELECT named.{r.column} INTO missing
            FROM (SELECT DISTINCT {r.column} FROM new_rows WHERE {r.column} IS NOT NULL) AS named
            LEFT JOIN (
                SELECT id FROM {r.target} WHERE id IN (SELECT {r.column} FROM new_rows) FOR KEY SHARE
            ) AS present ON present.id = named.{r.column}
            WHERE present.id IS NULL
            LIMIT 1;
            IF FOUND THEN
                RAISE foreign_key_violation USING
                    MESSAGE = '{violation}',
                    DETAIL = format('Key ({r.column})=(%s) is not present in table "{r.target}".', missing);
            END IF;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {r.name}_insert AFTER INSERT ON {r.table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {r.name}_check()
        """,
        f"""
        CREATE TRIGGER {r.name}_update AFTER UPDATE ON {r.table}
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {r.name}_check()
        """,
        f"""
        CREATE FUNCTION {r.name}_protect() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
                RETURN NULL;
            END IF;
            IF EXISTS (SELECT 1 FROM {r.table} WHERE {r.column} = OLD.id) THEN
                RAISE foreign_key_violation USING
                    MESSAGE = '{still_used}',
                    DETAIL = format('Key (id)=(%s) is still referenced from table "{r.table}".', OLD.id);
            END IF;
            RETURN NULL;
        END
        $$
        """,
        f"""
        CREATE TRIGGER {r.name}_protect AFTER DELETE OR UPDATE OF id ON {r.target}
        FOR EACH ROW EXECUTE FUNCTION {r.name}_protect()
        """,
    ]


def _sqlite_create(r: Reference) -> list[str]:
    missing = f"NEW.{r.column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {r.target} WHERE id = NEW.{r.column})"
    # RAISE(ABORT) is SQLITE_CONSTRAINT: an IntegrityError, as a declared foreign key gives.
    refuse = f"BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: {r.name}'); END"
    return [
        f"CREATE TRIGGER {r.name}_insert BEFORE INSERT ON {r.table} WHEN {missing} {refuse}",
        f"CREATE TRIGGER {r.name}_update BEFORE UPDATE OF {r.column} ON {r.table} WHEN {missing} {refuse}",
    ]
