"""benchmarks/bench_outlier_margins.py: the per-set tables it reads and the margins it gives."""

import numpy as np

from benchmarks.bench_outlier_margins import anomaly_types, margin, per_set_tables

_FILE = """# title

## 3 tables, one way

| data set | half | rows | p | anomalies | AE | KNN | PyOD-AE | AE auto % |
|---|---|---:|---:|---:|---:|---:|---:|---:|
| a | tune | 10 | 2 | 5% | **0.900 / 0.5** | 0.800 / 0.4 | - | 5.0 |
| b | confirm | 10 | 2 | 5% | 0.700 / 0.3 | **0.750 / 0.3** | 0.600 / 0.2 | 5.0 |
| local/c | confirm | 10 | 2 | 5% | 0.500 / 0.1 | 0.550 / 0.2 | - | 5.0 |

| method | confirm ROC-AUC |
|---|---:|
| AE | 0.6000 |
"""


def test_per_set_tables_reads_every_method_of_every_set_and_skips_what_did_not_run():
    tables = per_set_tables(_FILE)
    assert set(tables) == {("3 tables, one way", "tune"), ("3 tables, one way", "confirm")}
    confirm = tables[("3 tables, one way", "confirm")]
    assert confirm["AE"] == {"b": 0.7, "local/c": 0.5}
    assert confirm["KNN"] == {"b": 0.75, "local/c": 0.55}
    assert confirm["PyOD-AE"] == {"b": 0.6}  # '-' is not a figure
    assert "AE auto %" not in confirm  # a share, not a ROC-AUC
    assert tables[("3 tables, one way", "tune")]["AE"] == {"a": 0.9}


def test_margin_is_the_mean_paired_difference_with_an_interval_around_it():
    rng = np.random.RandomState(0)
    mean, low, high, ahead = margin([0.9, 0.8, 0.7], [0.8, 0.8, 0.9], rng)
    assert np.isclose(mean, (0.1 + 0.0 - 0.2) / 3) and ahead == 1
    assert low <= mean <= high and np.isclose(low, -0.2) and np.isclose(high, 0.1)
    mean, low, high, ahead = margin([0.9] * 4, [0.8] * 4, rng)  # no spread: no width
    assert np.isclose(low, 0.1) and np.isclose(high, 0.1) and ahead == 4


def test_anomaly_types_are_the_synthetic_ones_not_any_name_with_a_slash():
    names = ["local/6_cardio", "clustered/6_cardio", "local/14_glass", "AER/Affairs",
             "MASS/crabs", "plain"]
    assert anomaly_types(names) == ["clustered", "local"]
    assert anomaly_types(["AER/Affairs", "Ecdat/Benefits"]) == []
