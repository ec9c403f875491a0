"""
======================================================
Export a pipeline to ONNX and score it without PyTorch
======================================================

A pipeline holding an skgen step converts to ONNX like any scikit-learn
pipeline once :mod:`skgen.onnx` is imported, and the exported file runs in
`onnxruntime <https://onnxruntime.ai>`_ alone: no PyTorch, no scikit-learn,
no skgen where the model is served.

This example trains an outlier detector on the digits, exports it, scores the
digits with onnxruntime and checks the scores against skgen's own. It needs
the ``onnx`` extra: ``pip install skgen[onnx]``.
"""

# %%
# Train and export
# ----------------
# ``import skgen.onnx`` registers the converters with skl2onnx; then
# ``to_onnx`` takes the fitted pipeline and one row of X (for the input's type
# and width). The option ``score_samples`` adds that output next to ``label``
# (``predict``) and ``scores`` (``decision_function``), as skl2onnx does for
# :class:`~sklearn.ensemble.IsolationForest`.

import tempfile
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from skl2onnx import to_onnx
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import skgen.onnx  # noqa: F401  (registers the converters)
from skgen import AEOutlierDetector

X = load_digits().data.astype(np.float32)
with warnings.catch_warnings():  # the default 50 epochs do not quite converge on the digits
    warnings.simplefilter("ignore", ConvergenceWarning)
    pipeline = make_pipeline(MinMaxScaler(), AEOutlierDetector(random_state=0)).fit(X)

onx = to_onnx(pipeline, X[:1], options={AEOutlierDetector: {"score_samples": True}})
path = Path(tempfile.gettempdir()) / "digits_outliers.onnx"
path.write_bytes(onx.SerializeToString())
print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB, outputs",
      [output.name for output in onx.graph.output])

# %%
# Score with onnxruntime alone
# ----------------------------
# This is all the serving side needs: numpy and onnxruntime.

import onnxruntime as ort  # noqa: E402

session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
label, decision, scores = session.run(None, {session.get_inputs()[0].name: X})
print(f"{(label == -1).mean():.1%} of the digits flagged as outliers")

# %%
# The same scores as skgen
# ------------------------
# The graph computes in float32 like skgen does on float32 input, so the
# scores agree to float32 rounding (printed below; ``tests/test_onnx.py``
# checks every output to 1e-5). On the right, the digits onnxruntime ranks as
# the most abnormal.

expected = pipeline.score_samples(X)
difference = np.abs(scores.ravel() - expected).max() / np.abs(expected).max()
print(f"largest difference: {difference:.1e} of the largest score")
lowest = np.argsort(scores.ravel())[:8]
print(f"{np.isin(lowest, np.argsort(expected)[:8]).sum()} of the 8 lowest are skgen's 8 lowest")

fig = plt.figure(figsize=(9, 4), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1, 1])
ax = left.subplots()
ax.scatter(expected, scores.ravel(), s=6, alpha=0.5)
ax.axline((expected.min(), expected.min()), slope=1, color="grey", lw=0.8)
ax.set_xlabel("skgen score_samples")
ax.set_ylabel("onnxruntime score_samples")
ax.set_title("one score per digit")
axes = right.subplots(2, 4)
for ax, row in zip(axes.ravel(), lowest):
    ax.imshow(X[row].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{scores[row, 0]:.1f}", fontsize=9)
    ax.set_axis_off()
right.suptitle("lowest scores (onnxruntime)")
plt.show()
