"""`make bench`'s command line: docs/benchmarks.md gives `--quick` among each benchmark's options
(`python -m bench pki-clients ... --quick`), so it must work there as well as before the name."""
from __future__ import annotations

import pytest

from bench.__main__ import BENCHMARKS, build_parser


@pytest.mark.parametrize("benchmark", ["all"] + sorted(BENCHMARKS))
@pytest.mark.parametrize("argv, quick", [
    (["{0}"], False),
    (["{0}", "--quick"], True),
    (["--quick", "{0}"], True),
    (["--quick", "{0}", "--quick"], True),
])
def test_quick_is_accepted_before_and_after_the_benchmark_name(benchmark, argv, quick):
    options = build_parser().parse_args([arg.format(benchmark) for arg in argv])

    assert options.benchmark == benchmark
    assert options.quick is quick


def test_without_a_benchmark_name_quick_still_works():
    assert build_parser().parse_args(["--quick"]).quick is True
    assert build_parser().parse_args([]).quick is False
