"""Progress output, for the training loop and the demo alike.

A loop of steps is shown as a tqdm bar when a bar is wanted, tqdm is installed
(``pip install skgen[progress]``) and the output is a terminal or a notebook;
otherwise every step writes one line. tqdm is imported only here, and only when
a bar is about to be drawn.
"""

# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import sys
import time


def _import_tqdm():
    """``tqdm.auto.tqdm`` (a widget in a notebook, text elsewhere), or None without tqdm."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm


def _interactive(file):
    """Whether someone watches ``file`` live: a terminal, or a Jupyter kernel's output."""
    isatty = getattr(file, "isatty", None)
    if isatty is not None and isatty():
        return True
    return file in (sys.stdout, sys.stderr) and "ipykernel" in sys.modules


class Progress:
    """The progress of a loop, as a bar or as one line per step.

    Parameters
    ----------
    total : int, default=None
        Number of steps, if known.
    desc : str, default=None
        Names the loop on the bar.
    bar : bool, default=True
        Whether a bar is wanted. It is drawn with tqdm when tqdm is installed
        and ``file`` is watched live (a terminal or a notebook); otherwise, and
        always with False, each step writes a line.
    file : file-like, default=None
        Where the output goes; None means :data:`sys.stdout` at creation.
    stamp : bool, default=False
        Start each line with the seconds since the start, as ``[  12.3s]``.
    """

    def __init__(self, total=None, *, desc=None, bar=True, file=None, stamp=False):
        self.file = sys.stdout if file is None else file
        self.stamp = stamp
        self.start = time.perf_counter()
        tqdm = _import_tqdm() if bar and _interactive(self.file) else None
        self.bar = None if tqdm is None else tqdm(total=total, desc=desc, file=self.file)
        self._line_open = False  # begin() wrote the start of a line that step() ends

    def elapsed(self):
        """Seconds since the progress was created."""
        return time.perf_counter() - self.start

    def _prefix(self):
        return f"[{self.elapsed():6.1f}s] " if self.stamp else ""

    def _write(self, text):
        self.file.write(text)
        self.file.flush()

    def begin(self, label):
        """Say which step is under way: the bar's description, or the start of a line."""
        if self.bar is not None:
            self.bar.set_description_str(label)
        else:
            self._write(f"{self._prefix()}{label} ...")
            self._line_open = True

    def step(self, line, short=None):
        """One step done: the bar advances showing ``short`` (or ``line``), else ``line`` is written.

        After :meth:`begin`, ``line`` ends the line that it started.
        """
        if self.bar is not None:
            self.bar.set_postfix_str(line if short is None else short, refresh=False)
            self.bar.update()
        elif self._line_open:
            self._write(f" {line}\n")
            self._line_open = False
        else:
            self._write(f"{self._prefix()}{line}\n")

    def write(self, line):
        """A line of its own, written above the bar when there is one."""
        if self.bar is not None:
            self.bar.write(line, file=self.file)
        else:
            self._write(f"{self._prefix()}{line}\n")

    @contextlib.contextmanager
    def paused(self):
        """Clear the bar while other output (e.g. a table on stdout) is printed, then redraw it."""
        if self.bar is None:
            yield
        else:
            with self.bar.external_write_mode(file=self.file):
                yield

    def close(self):
        """End the bar, leaving it on screen."""
        if self.bar is not None:
            self.bar.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
