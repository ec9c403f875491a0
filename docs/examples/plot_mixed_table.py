"""
========================================================
A mixed table straight into the detector and the imputer
========================================================

A small staff table is built here: a ``category`` column (the department), a
string column (the grade), a ``bool`` flag (remote work) and two numbers
(salary, tenure) that depend on them. :class:`~skgen.AEOutlierDetector` and
:class:`~skgen.DenoisingAutoencoder` read it as it is, with no encoder in
front: ``column_types='auto'`` types the category, string and bool columns
(``column_types_``, ``levels_``) and leaves the numbers continuous.

Three held-out rows are made abnormal: a junior in support paid like a lead,
a lead engineer hired last month, and a department that training never saw.
The bars are :meth:`~skgen.AEOutlierDetector.feature_contributions`, one per
original column (a level column's one-hot inputs add up), drawn by
:class:`~skgen.plotting.FeatureContributionDisplay`. Then a tenth of the
held-out cells are hidden, strings and numbers alike, and the denoiser fills
them: its accuracy on the hidden grades and departments is printed beside
that of the most frequent level.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

from skgen import AEOutlierDetector, DenoisingAutoencoder
from skgen.plotting import FeatureContributionDisplay

rng = np.random.RandomState(0)
n = 1500
department = rng.choice(["sales", "engineering", "support", "finance"], n,
                        p=[0.35, 0.3, 0.25, 0.1])
grade = rng.choice(["junior", "senior", "lead"], n, p=[0.5, 0.35, 0.15])
base = pd.Series({"sales": 50, "engineering": 70, "support": 40, "finance": 60})
factor = pd.Series({"junior": 1.0, "senior": 1.4, "lead": 1.9})
years = pd.Series({"junior": 0.0, "senior": 4.0, "lead": 8.0})
staff = pd.DataFrame({
    "department": pd.Categorical(department),
    "grade": grade,
    "remote": rng.rand(n) < np.where(department == "engineering", 0.6, 0.2),
    "salary_k": (base[department].to_numpy() * factor[grade].to_numpy()
                 * rng.lognormal(0.0, 0.08, n)).round(1),
    "tenure_years": (years[grade].to_numpy() + rng.gamma(2.0, 1.5, n)).round(1),
})
train, test = staff[:1200], staff[1200:].reset_index(drop=True)

# %%
# The detector, fitted without labels on the table as it is.

detector = AEOutlierDetector(random_state=0).fit(train)
print(dict(zip(staff.columns, detector.column_types_)))

odd = test[:3].copy()
odd["department"] = odd["department"].cat.add_categories("legal")
odd.loc[0, ["department", "grade", "salary_k"]] = ["support", "junior", 130.0]
odd.loc[1, ["department", "grade", "tenure_years"]] = ["engineering", "lead", 0.1]
odd.loc[2, "department"] = "legal"  # never seen in training
scores = detector.score_samples(odd)
print(f"typical held-out score {np.median(detector.score_samples(test)):.2f}; "
      f"the three rows {np.round(scores, 2)}; flagged {detector.predict(odd)}")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
titles = ["junior paid like a lead", "lead hired last month", "unseen department"]
for row, (ax, title) in enumerate(zip(axes, titles)):
    FeatureContributionDisplay.from_estimator(detector, odd, row=row, ax=ax, max_features=5)
    ax.set_title(title)

# %%
# The denoiser fills hidden cells of every type, in the table's dtypes.

hidden = rng.rand(*test.shape) < 0.1
holes = test.mask(hidden)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    imputer = DenoisingAutoencoder(random_state=0, keep_observed=True).fit(train)
filled = imputer.transform(holes)
assert filled.notna().all().all() and filled.dtypes.equals(test.dtypes)
for column in ["department", "grade"]:
    at = hidden[:, staff.columns.get_loc(column)]
    right = (filled[column][at] == test[column][at]).mean()
    mode = (test[column][at] == train[column].mode()[0]).mean()
    print(f"{column}: {right:.0%} of {at.sum()} hidden cells filled right "
          f"(the most frequent level: {mode:.0%})")
plt.show()
