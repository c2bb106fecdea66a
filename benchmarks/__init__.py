"""Stagecraft's benchmarks: each row measured against a named alternative in the same run.

Run them with ``make bench`` (``python -m benchmarks``); ``--quick`` is a fast
smoke run on tiny inputs whose verdicts mean nothing.  Every benchmark makes
its own inputs from a fixed seed in a temporary directory, reports medians of
several runs, and judges a *ratio* against its target, because absolute times
on a shared two-core machine say little.  See ``docs/performance.md``.
"""
