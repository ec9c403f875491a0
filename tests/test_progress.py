"""Progress output: a tqdm bar when it is installed and watched, lines otherwise."""

import io
import re
import sys
import types

import numpy as np
import pytest

from skgen import AutoencoderTransformer
from skgen._progress import Progress

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as ``sys.stdout`` is in a shell."""

    def isatty(self):
        return True


@pytest.fixture
def without_tqdm(monkeypatch):
    """Make ``import tqdm`` fail, as when it is not installed."""
    for name in ("tqdm", "tqdm.auto"):
        monkeypatch.setitem(sys.modules, name, None)


def _run_steps(progress):
    progress.begin("fitting A")
    progress.step("0.5s")
    progress.step("Epoch 2: loss=1", short="loss=1")
    progress.write("drawing figures ...")
    progress.close()


def test_lines_when_the_output_is_not_a_terminal():
    file = io.StringIO()
    _run_steps(Progress(2, desc="demo", file=file, stamp=True))
    lines = file.getvalue().splitlines()
    assert len(lines) == 3
    # begin() starts the line that step() ends; each line starts with the elapsed time
    assert re.fullmatch(r"\[\s*\d+\.\ds\] fitting A \.\.\. 0\.5s", lines[0])
    assert re.fullmatch(r"\[\s*\d+\.\ds\] Epoch 2: loss=1", lines[1])
    assert re.fullmatch(r"\[\s*\d+\.\ds\] drawing figures \.\.\.", lines[2])


def test_lines_when_no_bar_is_asked_for_even_on_a_terminal():
    file = Terminal()
    progress = Progress(2, file=file, bar=False)
    assert progress.bar is None
    _run_steps(progress)
    assert file.getvalue() == "fitting A ... 0.5s\nEpoch 2: loss=1\ndrawing figures ...\n"


def test_tqdm_bar_on_a_terminal():
    pytest.importorskip("tqdm", reason="the bar path needs tqdm (pip install skgen[progress])")
    file = Terminal()
    progress = Progress(2, desc="demo", file=file)
    assert progress.bar is not None
    _run_steps(progress)
    out = file.getvalue()
    assert "fitting A" in out and "2/2" in out  # the description and the count
    assert "loss=1" in out and "Epoch 2" not in out  # the short form is the postfix
    assert "drawing figures ...\n" in out  # written on its own line, above the bar


def test_paused_clears_the_bar_for_other_output_and_redraws_it():
    pytest.importorskip("tqdm", reason="the bar path needs tqdm (pip install skgen[progress])")
    file = Terminal()
    with Progress(3, desc="demo", file=file) as progress:
        progress.step("first")
        before = len(file.getvalue())
        with progress.paused():
            pass
        redrawn = file.getvalue()[before:]
    assert "\r" in redrawn and "1/3" in redrawn  # cleared, then drawn again


def test_notebook_output_gets_a_bar_other_streams_lines(monkeypatch):
    pytest.importorskip("tqdm", reason="the bar path needs tqdm (pip install skgen[progress])")
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    # in a Jupyter kernel the cell's output is watched although it is no terminal
    with Progress(1, file=sys.stdout) as progress:
        assert progress.bar is not None
    with Progress(1, file=io.StringIO()) as progress:
        assert progress.bar is None


def test_without_tqdm_a_terminal_gets_lines(without_tqdm):
    file = Terminal()
    progress = Progress(2, file=file)
    assert progress.bar is None
    _run_steps(progress)
    assert file.getvalue() == "fitting A ... 0.5s\nEpoch 2: loss=1\ndrawing figures ...\n"


# ------------------------------------------------------ verbose in the estimators


@pytest.fixture
def X():
    return np.random.RandomState(0).normal(size=(60, 4))


def _fit_on_terminal(monkeypatch, X, verbose):
    terminal = Terminal()
    with monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", terminal)
        AutoencoderTransformer(2, hidden_layer_sizes=(4,), max_iter=3, verbose=verbose,
                               early_stopping=False, random_state=0, device="cpu").fit(X)
    return terminal.getvalue()


EPOCH_LINE = r"Epoch {}: loss=\S+, time=\d+\.\d{{3}}s"


def test_verbose_1_draws_a_tqdm_bar_on_a_terminal(monkeypatch, X):
    pytest.importorskip("tqdm", reason="the bar path needs tqdm (pip install skgen[progress])")
    out = _fit_on_terminal(monkeypatch, X, verbose=1)
    assert "AutoencoderTransformer" in out and "3/3" in out and "loss=" in out
    assert not re.search(EPOCH_LINE.format(1), out)


def test_verbose_1_without_tqdm_writes_a_line_per_epoch(monkeypatch, X, without_tqdm):
    out = _fit_on_terminal(monkeypatch, X, verbose=1)
    lines = out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        assert re.fullmatch(EPOCH_LINE.format(epoch), line)


def test_verbose_2_writes_lines_even_with_tqdm_on_a_terminal(monkeypatch, X):
    out = _fit_on_terminal(monkeypatch, X, verbose=2)
    assert [re.fullmatch(EPOCH_LINE.format(i), line) is not None
            for i, line in enumerate(out.splitlines(), start=1)] == [True] * 3


def test_verbose_0_is_silent(monkeypatch, X):
    assert _fit_on_terminal(monkeypatch, X, verbose=0) == ""
