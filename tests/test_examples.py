"""The gallery examples run.

Only the fast ones (a few seconds each) run here; the docs build executes
every ``docs/examples/plot_*.py`` (sphinx-gallery stops the build on an
error), so the slower ones are exercised there:
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import runpy
import sys
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
FAST_EXAMPLES = [
    "plot_discriminative_sampling.py",
    "plot_kl_divergence.py",
    "plot_model_selection.py",
    "plot_vae_samples.py",
]


def test_every_example_is_a_gallery_script():
    scripts = sorted(EXAMPLES.glob("plot_*.py"))
    assert len(scripts) >= 8
    for script in scripts:
        text = script.read_text()
        # sphinx-gallery needs a docstring whose first line is a title over ===
        assert text.startswith('"""\n==='), script.name
        assert "shared/data" not in text, f"{script.name} must run offline"
    assert (EXAMPLES / "GALLERY_HEADER.rst").exists()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", FAST_EXAMPLES)
def test_fast_example_runs(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [name])  # no --save: docs/images stays untouched
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    plt.close("all")
    try:
        with threadpool_limits(1):  # BLAS threads fight torch's on small problems
            runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        figures = [plt.figure(n) for n in plt.get_fignums()]
        assert figures, f"{name} drew no figure"
        assert all(fig.axes for fig in figures)
    finally:
        plt.close("all")
