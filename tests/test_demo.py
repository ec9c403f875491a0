"""``python -m skgen demo``: runs end to end, prints its four tables, writes its figures."""

import io
import re
import sys

import pytest

from skgen.__main__ import main

pytest.importorskip("matplotlib")

FIGURES = ["latent_codes.png", "latent_grids.png", "reconstructions.png", "vae_samples.png",
           "imputation.png", "loss_curves.png", "outlier_explanation.png"]


def test_demo_quick_end_to_end(tmp_path, capsys):
    output = tmp_path / "figures"
    assert main(["demo", "--quick", "--output", str(output)]) == 0
    out, err = capsys.readouterr()

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

    # measured numbers: ROC-AUCs in [0, 1], log-likelihoods negative, fit times
    aucs = [float(m) for m in re.findall(r"(?:Detector|Forest)\s+\S+.*?\s(\d\.\d{3})\s", out)]
    assert len(aucs) == 4 and all(0 <= a <= 1 for a in aucs)
    log_liks = [float(line.split()[-2]) for line in out.splitlines()
                if line.startswith(("GaussianMixture", "VAETransformer"))]
    assert len(log_liks) == 4 and all(v < 0 for v in log_liks)
    assert re.search(r"\(\s*\d+\.\ds\)", out)

    # progress on stderr: one line per step with the elapsed time
    assert re.search(r"\[\s*\d+\.\ds\] fitting AutoencoderTransformer\(n_components=2\) \.\.\. "
                     r"\d+\.\ds", err)
    assert "drawing figures" in err

    # the figures, in the folder the demo names
    assert f"Figures written to {output.resolve()}" in out
    for name in FIGURES:
        path = output / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert f"  {name}" in out


def test_demo_command_line_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--output DIR" in out and "--quick" in out


def test_demo_without_matplotlib_prints_tables_and_says_why_no_figures(tmp_path, monkeypatch):
    from skgen._demo import run

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    lines = []
    paths = run(tmp_path / "figures", quick=True, out=lines.append,
                progress_stream=io.StringIO())
    text = "\n".join(lines)
    assert paths == [] and not (tmp_path / "figures").exists()
    assert "pip install skgen[plots]" in text
    assert "4. Anomaly detection: AEOutlierDetector vs IsolationForest" in text
