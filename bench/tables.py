"""Rows straight into tables, for the benchmark's data set: one statement per table and chunk
(PostgreSQL `COPY ... FROM STDIN`, SQLite `executemany`), primary keys handed out here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from django.core.management.color import no_style
from django.db import connection, models

from accounts.devices import services as devices

# --- Device tokens: the devices service's own format and hash ---------------------------------


def device_token_maker() -> Callable[[], tuple[str, str, str]]:
    """A function returning (token, prefix, hash) exactly as the devices service stores them."""

    def make() -> tuple[str, str, str]:
        token, prefix = devices.token_new()
        return token, prefix, devices.token_hash(token)

    return make


# --- Writing rows fast --------------------------------------------------------------------------


class TableWriter:
    """Insert tuples into a model's table in one statement per call, values adapted once per
    column (PostgreSQL: COPY; others: executemany of a plain INSERT)."""

    def __init__(self) -> None:
        self.vendor = connection.vendor

    def _converter(self, model_field: models.Field) -> Callable | None:
        kind = model_field.get_internal_type()
        if kind == "JSONField":
            return lambda value: None if value is None else json.dumps(value)
        if self.vendor == "postgresql":
            return None  # psycopg adapts datetimes, dates, times, UUIDs and booleans itself
        if kind in {"DateTimeField", "DateField", "TimeField", "UUIDField", "DecimalField"}:
            return lambda value: model_field.get_db_prep_save(value, connection)
        return None

    def write(self, model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> int:
        if not rows:
            return 0
        meta = model._meta
        model_fields = [meta.get_field(name) for name in fields]
        # Columns added to the model since this seed was written: NOT NULL ones get their
        # default (one value per call), nullable ones stay NULL.
        named = {f.attname for f in model_fields}
        for extra in meta.concrete_fields:
            if extra.attname in named or extra.null or extra.primary_key:
                continue
            default = extra.get_default()
            model_fields.append(extra)
            rows = [(*row, default) for row in rows]
        columns = [f.column for f in model_fields]
        converters = [self._converter(f) for f in model_fields]
        if any(converters):
            rows = [
                tuple(
                    value if convert is None else convert(value)
                    for value, convert in zip(row, converters, strict=True)
                )
                for row in rows
            ]
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        column_sql = ", ".join(quote(c) for c in columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({column_sql}) VALUES ({placeholders})",  # noqa: S608  # nosec B608 - names from the model
                    rows,
                )
        return len(rows)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


class Ids:
    """Next primary key per model, handed out in order."""

    def __init__(self, model_list: Iterable[type[models.Model]]) -> None:
        self._next = {model: next_id(model) for model in model_list}

    def take(self, model: type[models.Model]) -> int:
        value = self._next[model]
        self._next[model] = value + 1
        return value
