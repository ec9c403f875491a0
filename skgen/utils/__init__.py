"""Utilities for users and for the test suite."""

# SPDX-License-Identifier: BSD-3-Clause

from .discovery import all_estimators

__all__ = ["all_estimators"]
