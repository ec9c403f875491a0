"""pytest configuration of the repository (the tests and the package's doctests)."""

import importlib.util

# skgen/onnx.py imports the packages of the optional ``onnx`` extra when it is imported,
# so its doctests cannot be collected without them; tests/test_onnx.py skips itself then,
# saying so.
_ONNX_EXTRA = ("onnx", "onnxruntime", "skl2onnx", "onnxscript")
collect_ignore = [] if all(importlib.util.find_spec(m) for m in _ONNX_EXTRA) else ["skgen/onnx.py"]
