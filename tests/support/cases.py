"""Table-driven test cases that become pytest parameters."""
from __future__ import annotations

import pytest


class CaseParam:
    """Mixin for a dataclass case with an `id` and a `defect` text (empty when the case should pass).

    A case with a defect is a known failure: xfail(strict=True), so the suite turns red once the
    defect is fixed and the text is still there.
    """

    id: str
    defect: str

    def param(self):
        marks = [pytest.mark.xfail(strict=True, reason=self.defect)] if self.defect else []
        return pytest.param(self, id=self.id, marks=marks)
