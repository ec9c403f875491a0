"""Sphinx extension of the skgen docs: benchmark tables included from their result files.

The benchmark scripts write their tables to ``benchmarks/results/<name>.md``;
the docs include those files, so no number in the docs is typed by hand. In
reStructuredText::

    .. benchmark-results:: outliers

and in MyST Markdown::

    ```{benchmark-results} outliers
    ```

The file is parsed as Markdown where the directive stands; its headings become
rubrics, so it fits under any section. Its own header line says which command
wrote it and at which commit (``benchmarks/_report.py`` writes it), so the
page shows how to regenerate the table. A current results file whose header
does not name a ``python -m benchmarks.<script>`` command is a build warning
(an error under ``-W``). Archived results, which the current code no longer
writes, are named by their path under ``benchmarks/results/``::

    ```{benchmark-results} archive/outliers_1200e44
    ```

and ``benchmarks/results/archive/README.md`` says what each measured, with
which command and commit. A results file that does not exist yet (its
benchmark has not been run) is replaced in the built page by a note: the build
does not fail, and no number is made up.
"""

import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.utils import new_document

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the header's writer, benchmarks/_report.py, reads it too
    sys.path.insert(0, str(ROOT))
from benchmarks import _report  # noqa: E402

RESULTS = _report.RESULTS_DIR
ARCHIVE = "archive"


def results_path(name):
    """The file ``benchmarks/results/<name>.md`` (``name`` may be ``archive/<file>``).

    Raises ``ValueError`` for a name that leads outside ``benchmarks/results/``.
    """
    path = (RESULTS / f"{name}.md").resolve()
    if RESULTS.resolve() not in path.parents:
        raise ValueError(f"benchmark results {name!r} are not under {RESULTS}")
    return path


def header_problem(name, text):
    """Why the header of results ``name`` does not say how to regenerate them, or None.
    Archived results keep the header of their time; their index says the rest."""
    if name.split("/")[0] == ARCHIVE:
        return None
    return _report.header_problem(text)


def _flatten_sections(node):
    """Replace every section by a rubric with its title, followed by its content."""
    out = []
    for child in node.children:
        if isinstance(child, nodes.section):
            title = child.next_node(nodes.title)
            if title is not None:
                out.append(nodes.rubric("", "", *title.children))
            out.extend(_flatten_sections(
                nodes.Element("", *[c for c in child.children if c is not title])))
        else:
            out.append(child)
    return out


class BenchmarkResults(Directive):
    """Include ``benchmarks/results/<name>.md``, or a "not yet run" note."""

    required_arguments = 1
    has_content = False

    def run(self):
        from myst_parser.parsers.sphinx_ import MystParser

        name = self.arguments[0]
        env = self.state.document.settings.env
        try:
            path = results_path(name)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        env.note_dependency(str(path))
        if not path.exists():
            # which command writes it is said by the file's own header, which is missing;
            # a guess from the name would be wrong for the files a script writes under
            # another name (bench_outliers --results, bench_scale --copy)
            note = nodes.note()
            note += nodes.paragraph(
                text=f"Not yet run: benchmarks/results/{name}.md does not exist. The script "
                "in benchmarks/ that writes it (run from the repository root as "
                "python -m benchmarks.<script>) heads it with its command; build the "
                "documentation again after it."
            )
            return [note]
        text = path.read_text(encoding="utf-8")
        problem = header_problem(name, text)
        messages = []
        if problem is not None:
            messages.append(self.state.document.reporter.warning(
                f"benchmarks/results/{name}.md {problem}", line=self.lineno))
        document = new_document(str(path), self.state.document.settings)
        MystParser().parse(text, document)
        container = nodes.container(classes=["benchmark-results"])
        container.extend(_flatten_sections(document))
        return [container, *messages]


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
