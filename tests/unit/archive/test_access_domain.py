"""Archive trust (issue 7), pure parts: a contract's scope stays inside its managing jurisdiction,
the visibility rule is the same in Python and in SQL, and links are absolute.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosteward.config import Settings, load_settings
from services.archive import links
from services.archive.access import Visibility
from services.archive.contract_scope import DISTRICT_KIND, ContractGrant, contract_grant, parse_uuids

TOWN_A, TOWN_B, DISTRICT = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
E_A, E_B = uuid.uuid4(), uuid.uuid4()
JURISDICTION_OF = {E_A: TOWN_A, E_B: TOWN_B}


def sees(grant: ContractGrant, enterprise: uuid.UUID, jurisdiction: uuid.UUID) -> bool:
    return Visibility(
        jurisdiction_ids=grant.jurisdiction_ids,
        enterprise_ids=grant.enterprise_ids,
        enterprises_within=grant.enterprises_within,
    ).allows(enterprise, jurisdiction)


# --------------------------------------------------------------------------- the rule, by example


def test_a_town_contract_listing_another_towns_enterprise_grants_nothing_there() -> None:
    grant = contract_grant(TOWN_A, "TOWN", [], [E_B])
    assert not sees(grant, E_B, TOWN_B)


def test_a_town_contract_listing_another_town_grants_nothing_there() -> None:
    grant = contract_grant(TOWN_A, "TOWN", [TOWN_B], [])
    assert grant.jurisdiction_ids == frozenset()
    assert not sees(grant, E_B, TOWN_B)


def test_a_town_contract_grants_its_own_jurisdiction_and_its_own_enterprises() -> None:
    assert sees(contract_grant(TOWN_A, "TOWN", [TOWN_A], []), E_A, TOWN_A)
    assert sees(contract_grant(TOWN_A, "STREET", [], [E_A]), E_A, TOWN_A)
    # Mixed lists keep the inside part only.
    grant = contract_grant(TOWN_A, "PARK", [TOWN_A, TOWN_B], [E_A, E_B])
    assert sees(grant, E_A, TOWN_A) and not sees(grant, E_B, TOWN_B)


def test_a_listed_enterprise_counts_only_while_it_lies_in_the_managing_jurisdiction() -> None:
    grant = contract_grant(TOWN_A, "TOWN", [], [E_A])
    assert sees(grant, E_A, TOWN_A)
    assert not sees(grant, E_A, TOWN_B)  # the same enterprise, were it in another town


def test_the_district_covers_the_whole_district() -> None:
    grant = contract_grant(DISTRICT, DISTRICT_KIND, [TOWN_A], [E_B])
    assert sees(grant, E_A, TOWN_A) and sees(grant, E_B, TOWN_B)


@pytest.mark.parametrize("kind", [None, "", "TOWN", "district", "UNKNOWN"])
def test_a_managing_jurisdiction_of_unknown_or_other_kind_covers_only_itself(kind: str | None) -> None:
    grant = contract_grant(DISTRICT, kind, [TOWN_A], [E_B])
    assert not sees(grant, E_A, TOWN_A) and not sees(grant, E_B, TOWN_B)


def test_a_contract_without_a_managing_jurisdiction_grants_nothing() -> None:
    # Rows kept from events before the managing jurisdiction was recorded.
    assert contract_grant(None, DISTRICT_KIND, [TOWN_A], [E_A]) == ContractGrant()


def test_malformed_stored_ids_grant_nothing() -> None:
    assert parse_uuids(["not-a-uuid", str(E_A), None, 7]) == [E_A]


# --------------------------------------------------------------------------- the rule, as properties

ids = st.sampled_from([uuid.UUID(int=i) for i in range(1, 7)])
kinds = st.none() | st.sampled_from([DISTRICT_KIND, "TOWN", "STREET", "PARK"])


@given(
    managing=st.none() | ids,
    kind=kinds,
    listed_jurisdictions=st.lists(ids, max_size=4),
    listed_enterprises=st.lists(ids, max_size=4),
    enterprise=ids,
    jurisdiction=ids,
)
def test_a_grant_never_reaches_outside_the_managing_jurisdiction(
    managing: uuid.UUID | None,
    kind: str | None,
    listed_jurisdictions: list[uuid.UUID],
    listed_enterprises: list[uuid.UUID],
    enterprise: uuid.UUID,
    jurisdiction: uuid.UUID,
) -> None:
    grant = contract_grant(managing, kind, listed_jurisdictions, listed_enterprises)
    visible = sees(grant, enterprise, jurisdiction)
    if visible and kind != DISTRICT_KIND:
        assert jurisdiction == managing
    # Never more than the scope as listed.
    if visible:
        assert jurisdiction in listed_jurisdictions or enterprise in listed_enterprises
    # Inside a town's own jurisdiction, exactly the scope as listed.
    if managing is not None and jurisdiction == managing:
        assert visible == (jurisdiction in listed_jurisdictions or enterprise in listed_enterprises)


# --------------------------------------------------------------------------- Python and SQL agree

visibilities = st.builds(
    Visibility,
    everything=st.booleans(),
    jurisdiction_ids=st.frozensets(ids, max_size=3),
    enterprise_ids=st.frozensets(ids, max_size=3),
    enterprises_within=st.frozensets(st.tuples(ids, ids), max_size=4),
)
rows = st.lists(st.tuples(ids, ids), max_size=8, unique_by=lambda r: r[0])

_metadata = sa.MetaData()
_sources = sa.Table(
    "sources", _metadata, sa.Column("id", sa.Uuid, primary_key=True), sa.Column("jurisdiction_id", sa.Uuid)
)
_engine = sa.create_engine("sqlite://")
_metadata.create_all(_engine)


@settings(max_examples=150)
@given(seen=visibilities, table=rows)
def test_the_sql_condition_selects_exactly_what_allows_allows(
    seen: Visibility, table: list[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    with _engine.begin() as conn:
        conn.execute(_sources.delete())
        if table:
            conn.execute(_sources.insert(), [{"id": e, "jurisdiction_id": j} for e, j in table])
        selected = set(
            conn.execute(
                sa.select(_sources.c.id).where(seen.where(_sources.c.id, _sources.c.jurisdiction_id))
            ).scalars()
        )
    assert selected == {e for e, j in table if seen.allows(e, j)}


# --------------------------------------------------------------------------- absolute links


def archive_settings(host: str = "127.0.0.1", port: int = 8102) -> Settings:
    return dataclasses.replace(load_settings("archive"), host=host, port=port)


def test_links_default_to_the_archive_services_own_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(links.PUBLIC_URL_ENV, raising=False)
    version = uuid.uuid4()
    assert links.content_url(archive_settings(port=18102), version) == (
        f"http://127.0.0.1:18102/archive/documents/{version}/content"
    )
    # Listening on every interface: the link still names a host a client can reach.
    assert links.public_base_url(archive_settings(host="0.0.0.0")) == "http://127.0.0.1:8102"
    assert links.public_base_url(archive_settings(host="::1")) == "http://[::1]:8102"


def test_links_honour_the_configured_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(links.PUBLIC_URL_ENV, "https://archive.example.gov.cn/eco/")
    enterprise, version = uuid.uuid4(), uuid.uuid4()
    assert links.content_url(archive_settings(), version) == (
        f"https://archive.example.gov.cn/eco/archive/documents/{version}/content"
    )
    assert links.upload_url(archive_settings(), enterprise, "2-1") == (
        f"https://archive.example.gov.cn/eco/archive/enterprises/{enterprise}/items/2-1/documents"
    )
    from services.archive.downloads import service as downloads

    assert downloads.public_base_url(archive_settings()) == "https://archive.example.gov.cn/eco"


@pytest.mark.parametrize("configured", ["archive.example.gov.cn", "/archive", "ftp://x.example", "https://"])
def test_a_public_url_that_is_not_absolute_is_ignored(
    monkeypatch: pytest.MonkeyPatch, configured: str
) -> None:
    monkeypatch.setenv(links.PUBLIC_URL_ENV, configured)
    assert links.public_base_url(archive_settings(port=9000)) == "http://127.0.0.1:9000"
