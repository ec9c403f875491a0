"""``python -m skgen demo``: runs end to end, prints its four tables, writes its figures.

The quick demo runs once for the module (``demo_run``) and each test reads what
that run printed and wrote.
"""

import contextlib
import io
import re
import sys
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skgen.__main__ import main

pytest.importorskip("matplotlib")

FIGURES = ["latent_codes.png", "latent_grids.png", "reconstructions.png", "vae_samples.png",
           "imputation.png", "loss_curves.png", "outlier_explanation.png"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``python -m skgen demo --quick --output DIR``, run once with torch on two threads:
    (status, stdout, stderr, DIR, torch's threads after it)."""
    output = tmp_path_factory.mktemp("demo") / "figures"
    out, err = io.StringIO(), io.StringIO()
    previous = torch.get_num_threads()
    torch.set_num_threads(2)  # the demo runs on one thread, then gives the caller's back
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(["demo", "--quick", "--output", str(output)])
        threads_after = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)
    return status, out.getvalue(), err.getvalue(), output, threads_after


def test_demo_quick_runs_and_prints_one_table_per_estimator(demo_run):
    status, out, _, _, threads_after = demo_run
    assert threads_after == 2  # the caller's torch threads, not the demo's one
    assert status == 0
    # one table per estimator, next to its baseline
    for title in ["1. Dimensionality reduction: AutoencoderTransformer vs PCA",
                  "2. Density estimation: VAETransformer vs GaussianMixture and PCA",
                  "3. Imputation: DenoisingAutoencoder vs KNNImputer",
                  "4. Anomaly detection: AEOutlierDetector vs IsolationForest"]:
        assert title in out
    rows = {line.split()[0] for line in out.splitlines() if line.strip()}
    for model in ["PCA", "AutoencoderTransformer", "GaussianMixture", "VAETransformer",
                  "KNNImputer", "DenoisingAutoencoder"]:
        assert model in rows
    # the quick settings are declared in the tables, and the anomalies are named
    assert "max_iter=3 (--quick)" in out
    assert "digit 0 among 1-9" in out and "shuffled pixels" in out


def test_demo_tables_hold_measured_numbers(demo_run):
    _, out, _, _, _ = demo_run
    # ROC-AUCs in [0, 1], log-likelihoods negative, fit times
    aucs = [float(m) for m in re.findall(r"(?:Detector|Forest)\s+\S+.*?\s(\d\.\d{3})\s", out)]
    assert len(aucs) == 4 and all(0 <= a <= 1 for a in aucs)
    log_liks = [float(line.split()[-2]) for line in out.splitlines()
                if line.startswith(("GaussianMixture", "VAETransformer"))]
    assert len(log_liks) == 4 and all(v < 0 for v in log_liks)
    assert re.search(r"\(\s*\d+\.\ds\)", out)


def test_demo_reports_progress_on_stderr(demo_run):
    _, _, err, _, _ = demo_run
    # one line per step with the elapsed time
    assert re.search(r"\[\s*\d+\.\ds\] fitting AutoencoderTransformer\(n_components=2\) \.\.\. "
                     r"\d+\.\ds", err)
    assert "drawing figures" in err


@pytest.mark.parametrize("name", FIGURES)
def test_demo_writes_each_figure_where_it_says(demo_run, name):
    _, out, _, output, _ = demo_run
    assert f"Figures written to {output.resolve()}" in out
    path = output / name
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert f"  {name}" in out


def test_demo_writes_no_other_figure(demo_run):
    _, _, _, output, _ = demo_run
    assert sorted(p.name for p in output.iterdir()) == sorted(FIGURES)


def test_demo_latent_grids_decode_where_the_codes_are_and_say_so():
    """Each grid covers its model's codes (1st to 99th percentile), the box drawn on
    the codes; a fixed [-1.5, 1.5]^2 was a sliver of the autoencoder's codes."""
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_digits

    from skgen import AutoencoderTransformer, VAETransformer
    from skgen._demo import latent_figures

    X, y = load_digits(return_X_y=True)
    fast = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = [AutoencoderTransformer(2, **fast).fit(X[:300]),
                  VAETransformer(2, n_importance_samples=5, **fast).fit(X[:300])]
    codes, grids = latent_figures(*models, X[300:500], y[300:500])
    try:
        for est, code_ax, grid_ax in zip(models, codes.axes, grids.axes):
            low, high = np.percentile(est.transform(X[300:500]), [1, 99], axis=0)
            (box,) = code_ax.patches  # the dashed box
            assert box.get_xy() == pytest.approx(low)
            assert (box.get_width(), box.get_height()) == pytest.approx(high - low)
            left, right, bottom, top = grid_ax.images[0].get_extent()
            # the grid's first and last images are centred on the box's edges
            dx, dy = (right - left - (high[0] - low[0])) / 2, (top - bottom - (high[1] - low[1])) / 2
            assert (left + dx, right - dx, bottom + dy, top - dy) == pytest.approx(
                (low[0], high[0], low[1], high[1]))
        for figure in (codes, grids):
            caption = figure.get_suptitle()
            assert "dashed box" in caption.lower() and "not made for sampling" in caption
    finally:
        plt.close(codes)
        plt.close(grids)


def test_demo_outlier_explanation_has_a_labelled_colour_bar():
    import matplotlib.pyplot as plt
    from sklearn.datasets import load_digits

    from skgen import AEOutlierDetector
    from skgen._demo import outlier_figure

    X, _ = load_digits(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        detector = AEOutlierDetector(hidden_layer_sizes=(16,), max_iter=3,
                                     random_state=0).fit(X[:300])
    figure = outlier_figure(detector, X[300:400])
    try:
        bars = [image.colorbar for ax in figure.axes for image in ax.images
                if image.colorbar is not None]
        assert len(bars) == 1
        assert "contribution to the anomaly score" in bars[0].ax.get_ylabel()
    finally:
        plt.close(figure)


def test_demo_command_line_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--output DIR" in out and "--quick" in out


def test_command_line_help_is_plain_text(capsys):
    for argv in (["--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "demo" in out and "``" not in out and ":class:" not in out, out


def test_demo_without_matplotlib_prints_tables_and_says_why_no_figures(tmp_path, monkeypatch):
    """Every table still prints; only the figures are left out, with the reason.

    The tables do not depend on the number of images, so this run takes every
    third digit (600 of them) to be quicker than the full demo above.
    """
    import skgen._demo
    from skgen._demo import run

    digits = skgen._demo.load_digits(return_X_y=True)
    monkeypatch.setattr(skgen._demo, "load_digits",
                        lambda return_X_y: tuple(np.asarray(a)[::3] for a in digits))
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = []
    with threadpool_limits(1):  # as the demo's command line runs it
        paths = run(tmp_path / "figures", quick=True, out=lines.append,
                    progress_stream=io.StringIO())
    text = "\n".join(lines)
    assert paths == [] and not (tmp_path / "figures").exists()
    assert "pip install skgen[plots]" in text
    assert "skgen demo on load_digits: 449 training and 150 held-out images" in text
    for title in ["1. Dimensionality reduction", "2. Density estimation", "3. Imputation",
                  "4. Anomaly detection: AEOutlierDetector vs IsolationForest"]:
        assert title in text
