"""The fixture every site.yml fault test shares."""
from __future__ import annotations

import pytest

from reliability_harness import SiteUnderTest


@pytest.fixture(scope="module")
def site(tmp_path_factory, request):
    """One site under test per test module, whose tests run in order on the state the previous one
    left; stopped afterwards together with any background run a failed test left behind."""
    under_test = SiteUnderTest(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    try:
        yield under_test
    finally:
        under_test.stop()
