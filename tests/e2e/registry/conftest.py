"""Fixtures of the registry's e2e tests (each test module gets its own API client and shared agency)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.helpers import (
    Api,
)
from tests.e2e.registry.support import Accounts, AgencyMade, admitted_agency
from tests.support import Infra


@pytest.fixture(scope="module")
def api(stack: Infra) -> Api:
    return Api(stack)


@pytest.fixture
def accounts(stack: Infra) -> Iterator[Accounts]:
    tracked = Accounts(stack)
    yield tracked
    tracked.cleanup()


@pytest.fixture(scope="module")
def shared_agency(stack: Infra, api: Api) -> Iterator[AgencyMade]:
    """One admitted agency for the tests that only need *an* admitted agency (permits, contracts)."""
    tracked = Accounts(stack)
    try:
        yield admitted_agency(api, tracked)
    finally:
        tracked.cleanup()
