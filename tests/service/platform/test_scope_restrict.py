"""Data scope: the SQL narrowing (``restrict``) selects exactly the records ``in_scope`` accepts (SQLite)."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from ecosteward.scope import Scope, in_scope, restrict
from tests.unit.platform.test_scope import CLAIMS, A, B, scopes

_metadata = sa.MetaData()
_records = sa.Table(
    "records",
    _metadata,
    sa.Column("n", sa.Integer, primary_key=True),
    sa.Column("jurisdiction_id", sa.Uuid),
    sa.Column("agency_id", sa.Uuid),
    sa.Column("enterprise_id", sa.Uuid),
)
_engine = sa.create_engine("sqlite://")
_metadata.create_all(_engine)
_OWNERS = [
    {"jurisdiction_id": j, "agency_id": a, "enterprise_id": e} for j in (A, B) for a in (A, B) for e in (A, B)
]
with _engine.begin() as _connection:
    _connection.execute(_records.insert(), [{"n": n, **owners} for n, owners in enumerate(_OWNERS)])


def _rows(statement: sa.Select[tuple[int]]) -> set[int]:
    with _engine.connect() as connection:
        return set(connection.scalars(statement))


@given(scopes, st.sets(st.sampled_from(CLAIMS)))
def test_restrict_selects_exactly_the_records_in_scope(scope: Scope, mapped: set[str]) -> None:
    columns = {claim: _records.c[claim] for claim in mapped}
    selected = _rows(restrict(sa.select(_records.c.n), scope, columns))
    expected = {
        n for n, owners in enumerate(_OWNERS) if in_scope(scope, {claim: owners[claim] for claim in mapped})
    }
    assert selected == expected


def test_restrict_leaves_an_unscoped_query_alone() -> None:
    statement = sa.select(_records.c.n)
    assert restrict(statement, {}, {}) is statement
    assert _rows(restrict(statement, {}, {})) == set(range(len(_OWNERS)))
