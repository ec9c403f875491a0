"""Sphinx configuration of the skgen documentation.

Build it (warnings are errors) from the repository root with::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery (``docs/examples/plot_*.py``) is executed during the build; every
example uses scikit-learn's built-in digits, so the build needs no network.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

# The examples train small networks: one torch thread is the fastest on a
# shared machine, and keeps the build from oversubscribing the cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

torch.set_num_threads(1)

import skgen  # noqa: E402

project = "skgen"
author = "The skgen developers"
copyright = "the skgen developers"  # noqa: A001
release = skgen.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
    "skgen_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples/GALLERY_HEADER.rst"]
templates_path = ["_templates"]

# API reference: one page per public object, generated from the docstrings.
autosummary_generate = True
autodoc_default_options = {"members": True}

#: Inherited members documented elsewhere: scikit-learn's plumbing (its docstrings
#: link into scikit-learn's own docs) and torch.nn.Module's or Exception's methods.
_SKIPPED_MEMBERS = {"set_output", "get_metadata_routing"}


def _skip_foreign_members(app, what, name, obj, skip, options):
    if skip or what != "class":
        return None
    module = getattr(obj, "__module__", None) or ""
    if name in _SKIPPED_MEMBERS or not module or module.startswith(("torch", "builtins")):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# Markdown pages (MyST): $...$ and $$...$$ math, ::: fences.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    "download_all_examples": False,
    "show_memory": False,
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"skgen {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
}
html_static_path = []
