"""Entry point of `make bench`: `python -m bench [--quick] [BENCHMARK [--quick]]`, run from the repository root."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench import pki_clients, report, scale, site_e2e

# Add new benchmarks here (site.yml cold/warm, scale, ...): each one gets a sub-command and a section.
BENCHMARKS = {module.NAME: module for module in (pki_clients, site_e2e, scale)}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run mtls.clb benchmarks and write their results into docs/benchmarks.md.")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and one run each: checks that the benchmark works, not how fast")
    parser.add_argument("--output", type=Path, default=Path("docs/benchmarks.md"),
                        help="Markdown file whose sections are updated (default: %(default)s)")
    parser.add_argument("--no-write", action="store_true", help="print the results instead of writing them")
    sub = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK",
                                help="one of: all (default), " + ", ".join(BENCHMARKS))
    subparsers = [sub.add_parser("all", help="every benchmark below, with its default options")]
    for name, module in BENCHMARKS.items():
        subparsers.append(sub.add_parser(name, help=module.HELP, description=module.HELP))
        module.add_arguments(subparsers[-1])
    # The docs list --quick among each benchmark's options: accept it after the name too. SUPPRESS keeps a
    # --quick given before the name when it is not repeated after it.
    for subparser in subparsers:
        subparser.add_argument("--quick", action="store_true", default=argparse.SUPPRESS,
                               help="the same as --quick before the benchmark's name")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    names = list(BENCHMARKS) if options.benchmark in (None, "all") else [options.benchmark]
    for name in names:
        module = BENCHMARKS[name]
        body = module.run(options)
        if options.quick:
            body = ("> Quick mode (`--quick`): small sizes, one run; a smoke test of the benchmark, "
                    "not a measurement.\n\n" + body)
        if options.no_write:
            print("## %s\n\n%s" % (module.TITLE, body))
        else:
            report.update_section(options.output, name, module.TITLE, body)
            print("%s: results written to %s" % (name, options.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
