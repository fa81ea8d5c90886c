"""Benchmarks of mtls.clb (`make bench`, i.e. `python -m bench`); results go to docs/benchmarks.md.

Each benchmark is a module with NAME, TITLE, HELP, add_arguments(parser) and run(options) -> str
(a Markdown section body), registered in bench/__main__.py. report.py keeps one marked section per
benchmark in docs/benchmarks.md, so adding a benchmark adds a section and rewrites nothing else.
"""
