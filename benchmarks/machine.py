"""What the numbers were measured on: they mean little without it."""

from __future__ import annotations

import os
import platform
import sys


def cpu_model() -> str:
    """The CPU model from ``/proc/cpuinfo`` (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe() -> str:
    """One line: CPUs, model, Python, OS."""
    return (
        f"Machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), "
        f"{cpu_model()}; Python {platform.python_version()} "
        f"({sys.implementation.name}); {platform.system()} {platform.release()}"
    )
