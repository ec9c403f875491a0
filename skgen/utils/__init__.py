"""Utilities for users and for the test suite."""

# SPDX-License-Identifier: BSD-3-Clause

from ._persistence import trusted_types
from .discovery import all_estimators

__all__ = ["all_estimators", "trusted_types"]
