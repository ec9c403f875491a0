"""Sphinx extension of the skgen docs: benchmark tables included from their result files.

The benchmark scripts write their tables to ``benchmarks/results/<name>.md``;
the docs include those files, so no number in the docs is typed by hand. In
reStructuredText::

    .. benchmark-results:: outliers

and in MyST Markdown::

    ```{benchmark-results} outliers
    ```

The file is parsed as Markdown where the directive stands; its headings become
rubrics, so it fits under any section. A results file that does not exist yet
(its benchmark has not been run) is replaced in the built page by a note
saying which script writes it: the build does not fail, and no number is made
up.
"""

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.utils import new_document

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


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
        path = RESULTS / f"{name}.md"
        env.note_dependency(str(path))
        if not path.exists():
            note = nodes.note()
            note += nodes.paragraph(
                text=f"Not yet run: python -m benchmarks.bench_{name} writes "
                f"benchmarks/results/{name}.md; build the documentation again after it."
            )
            return [note]
        document = new_document(str(path), self.state.document.settings)
        MystParser().parse(path.read_text(encoding="utf-8"), document)
        container = nodes.container(classes=["benchmark-results"])
        container.extend(_flatten_sections(document))
        return [container]


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
