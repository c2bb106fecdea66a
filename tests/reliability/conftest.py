"""Loads ``helpers.py`` as the module ``reliability_helpers``.

``tests`` is not a package and pytest imports test files with
``--import-mode=importlib``, so sibling modules are not importable by name;
registering the helpers here, before the test modules of this directory are
collected, lets them ``import reliability_helpers``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "reliability_helpers"

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).with_name("helpers.py"))
    assert _spec is not None
    assert _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
