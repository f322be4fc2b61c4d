"""Choose the calibration, combination, threshold and aggregation of a checkpoint on cached scores (issue 27).

    python recipes/natural/choose.py CACHE_DIR [--write CHECKPOINT] [--json OUT.json]

CACHE_DIR holds `recipes/natural/score.py`'s output for the files of `build_data.py`. Everything is fitted
or chosen on the selection files (`sel_nat_*`, `sel_omni150`, `sel_omni_rest`, `rr_sel`) and printed for the report files
(`rep_nat_*`, `sel_omni_more`: 350 Omni-MATH rows held out, `rep_prmbench` apart as planted errors,
`rr_rep`), which no choice reads. `--write` stores the
calibration (`minos_calibration.json`), the thresholds and the first-error rule (`minos_verifier.json`) in
CHECKPOINT.
"""

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

from minos.core.answers import answers_equal
from minos.core.data import load_labelled
from minos.core.votes import AGGREGATIONS, aggregate
from minos.solver.rerank import rerank_candidates, rerank_metrics
from minos.solver.strategies import vote_on
from minos.verifier.base import Assessment
from minos.verifier.calibration import (
    Calibration,
    Logistic,
    expected_calibration_error,
    fit_logistic,
    solution_verdicts,
)
from minos.verifier.evaluate import (
    best_no_error_bias,
    best_threshold,
    by_source,
    labelled_steps,
    load_rerank,
    processbench_metrics,
)
from minos.verifier.scheme import StepTagScheme
from minos.verifier.symbolic import given_used

DATA = Path("data")
# the Omni-MATH rows chosen on are 650 of the ProcessBench selection set (`sel_omni150`, `sel_omni_rest`); 350
# others (`sel_omni_more`, a fixed random draw) are kept out of every choice: the natural MATH-style report half
# holds 20 rows, too few to tell verifiers apart, so those 350 are the held-out MATH-style figure
SELECT = ["sel_nat_gsm8k", "sel_nat_math", "sel_omni150", "sel_omni_rest"]
REPORT = ["rep_nat_gsm8k", "rep_nat_math", "rep_prmbench", "sel_omni_more"]
SYMBOLIC_SCORE = {"ok": 1.0, "unknown": 0.5, "wrong": 0.0}


def cached(cache: Path, name: str):
    path = cache / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def step_examples(rows, prm, symbolic):
    """(score, status, label) of every labelled step (`labelled_steps` decides which steps are labelled: it is
    handed each step's index into the flat list, NaN kept where a step went unread)."""
    flat = [(s, st) for r, sts in zip(prm, symbolic, strict=True) for s, st in zip(r, sts, strict=True)]
    index, keys = iter(range(len(flat))), []  # a shared iterator: each row takes the next len(row) indices
    for r in prm:
        keys.append([float(i) if s == s else math.nan for s, i in zip(r, index, strict=False)])
    return [(*flat[int(i)], label) for i, label in labelled_steps(rows, keys)]


def style_of(name: str) -> str:
    """GSM8K-style or MATH-style (Omni-MATH is MATH-style): the issue's floors are per style, so every choice
    weighs the two styles alike, each pooling its selection files (a 16-row file then does not count as much as
    650 Omni-MATH rows)."""
    return "gsm8k" if "gsm8k" in name else "math"


def by_style(select: list[str], rows_of, scores_of) -> list[tuple[list, list]]:
    """(rows, scores) of each style, its selection files pooled."""
    pooled: dict[str, tuple[list, list]] = {}
    for name in select:
        rows, scores = pooled.setdefault(style_of(name), ([], []))
        rows += rows_of(name)
        scores += scores_of(name)
    return list(pooled.values())


def readings(cal: Calibration | None, prm, symbolic):
    """Per-step scores under each reading."""
    zeroed = [[0.0 if st == "wrong" else s for s, st in zip(r, sts, strict=True)] for r, sts in zip(prm, symbolic, strict=True)]
    out = {"prm": prm, "hybrid_zero": zeroed,
           "symbolic": [[SYMBOLIC_SCORE[st] for st in sts] for sts in symbolic]}
    if cal is not None:
        out["prm_cal"] = [[cal.prm(s) for s in r] for r in prm]
        out["hybrid_cal"] = [[cal.hybrid(s, st) for s, st in zip(r, sts, strict=True)] for r, sts in zip(prm, symbolic, strict=True)]
    return out


def per_problem(rows, flat) -> list[list]:
    it = iter(flat)
    return [[next(it) for _ in r["solutions"]] for r in rows]


def load_rerank_part(name: str):
    """A rerank file's rows and their candidates, split and read once."""
    rows = load_rerank(DATA / f"{name}.jsonl")
    return rows, [rerank_candidates(r) for r in rows]


def given_of(rows, built) -> list[float]:
    """`given_used` of every recorded solution, flat in file order."""
    return [given_used(row["question"], c.steps) for row, cs in zip(rows, built, strict=True) for c in cs]


def solution_examples(rows, built, hybrid, symbolic, how: str):
    """(aggregated hybrid step score, the solution's checker features, whether its answer is right) per
    recorded solution."""
    out = []
    given = iter(given_of(rows, built))
    for row, cs, h, st in zip(rows, built, per_problem(rows, hybrid), per_problem(rows, symbolic), strict=True):
        for cand, steps, statuses in zip(cs, h, st, strict=True):
            out.append((aggregate(steps, how), solution_verdicts(statuses, next(given)), float(answers_equal(cand.answer, row["answer"]))))
    return out


def solution_scores(cal: Calibration, rows, built, hybrid, symbolic) -> list[float | None]:
    return [cal.solution_score(h, st, g) for h, st, g in zip(hybrid, symbolic, given_of(rows, built), strict=True)]


def assessments(rows, steps_flat, solutions_flat=None) -> list[list[Assessment]]:
    solutions_flat = solutions_flat or [None] * len(steps_flat)
    return per_problem(rows, [Assessment(tuple(s), w) for s, w in zip(steps_flat, solutions_flat, strict=True)])


def weighted_picks(rows, built, assessed, how: str) -> list[tuple[float, bool]]:
    """(support, right) of the weighted vote's pick on each problem."""
    out = []
    for row, cs, a in zip(rows, built, assessed, strict=True):
        candidates = rerank_candidates(row, a, cs)
        pick = vote_on(candidates, "weighted_vote", how)
        out.append((pick.support, pick.index >= 0 and answers_equal(candidates[pick.index].answer, row["answer"])))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("cache", type=Path)
    parser.add_argument("--write", type=Path)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--aggregation", default=None, help="fix the aggregation the solution fit reads instead of choosing it")
    args = parser.parse_args()
    report: dict = {}

    labelled = {}
    for name in SELECT + REPORT:
        c = cached(args.cache, name)
        if c is not None and (DATA / f"{name}.jsonl").exists():
            labelled[name] = (load_labelled(DATA / f"{name}.jsonl"), c["prm"], c["symbolic"])
    select = [n for n in SELECT if n in labelled]

    # 1. step calibration on the natural selection rows, and 2. thresholds per reading (best mean F1 over the
    # two styles, each pooling its selection files). The fit either weighs every step alike (the larger
    # Omni-MATH files then count most) or each style alike; the one whose hybrid reading has the better mean
    # selection F1 is kept.
    def fitted(weigh: str):
        parts = {n: step_examples(*labelled[n]) for n in select}
        ex = [e for n in select for e in parts[n]]
        per_style = {style_of(n): 0 for n in select}
        for n in select:
            per_style[style_of(n)] += len(parts[n])
        weights = [1.0 if weigh == "steps" else len(ex) / len(per_style) / per_style[style_of(n)] for n in select for _ in parts[n]]
        scores, statuses, labels = zip(*ex, strict=True)
        cal = Calibration(fit_logistic(scores, labels, weights=weights), fit_logistic(scores, labels, statuses, weights=weights), Logistic())
        table = {name: readings(cal, prm, symbolic) for name, (_, prm, symbolic) in labelled.items()}
        thresholds, mean_f1 = {}, {}
        for reading in table[select[0]]:
            chosen = best_threshold(by_style(select, lambda n: labelled[n][0], lambda n, r=reading: table[n][r]))
            thresholds[reading], mean_f1[reading] = chosen["threshold"], chosen["f1"]
        print(f"fits on {len(ex)} selection steps, each {weigh[:-1]} alike: {cal.prm} {cal.hybrid}; "
              f"mean selection F1 (per style) of the hybrid reading {mean_f1['hybrid_cal']:.3f}")
        return mean_f1["hybrid_cal"], weigh, cal, table, thresholds

    _, weigh, cal, table, thresholds = max(fitted("steps"), fitted("styles"), key=lambda f: f[0])
    report["weigh"] = weigh

    # the first-error rule of each calibrated reading, per question style: the first step under its threshold,
    # or its likeliest first wrong step (`predict_first_error`) at a no-error bias, whichever has the better mean
    # selection F1 over the two styles, each row routed by its question as at inference (`question_style`:
    # LaTeX or not). One rule for both styles lost on held-out Omni-MATH (0.319 against 0.348).
    biases = {}
    for reading in ("prm_cal", "hybrid_cal"):
        styles = by_style(select, lambda n: labelled[n][0], lambda n, r=reading: table[n][r])
        chosen = best_no_error_bias(styles, thresholds[reading])
        print(f"{reading}: mean selection F1, first under the threshold {chosen['threshold_f1']:.3f}, per question "
              f"style {chosen['no_error_bias']} {chosen['f1']:.3f}")
        if chosen["f1"] > chosen["threshold_f1"]:
            biases[reading] = chosen["no_error_bias"]
    report["no_error_bias"] = biases

    for name, (rows, _, _) in labelled.items():
        for reading, sc in table[name].items():
            m = processbench_metrics(rows, sc, thresholds[reading], biases.get(reading))
            report.setdefault(name, {})[reading] = m
            rule = f"t={thresholds[reading]:.4g}" + (f" bias={biases[reading]}" if reading in biases else "")
            also = ""
            if reading in biases:  # the threshold rule's F1 beside it
                plain = processbench_metrics(rows, sc, thresholds[reading])
                also = f" [first under t: F1 {plain['f1']:.3f} (err {plain['error_acc']:.3f} ok {plain['correct_acc']:.3f})]"
            print(f"{name:14s} {reading:12s} {rule} F1 {m['f1']:.3f} (err {m['error_acc']:.3f} ok {m['correct_acc']:.3f}) "
                  f"AUROC {m['auroc'] or 0:.3f} ECE {m['ece'] or 0:.3f}{also}")

    # per source (natural and planted apart), at the same thresholds, for the two readings a user gets
    for name, (rows, _, _) in labelled.items():
        if len({r.problem.source for r in rows}) < 2:
            continue
        for reading in ("hybrid_cal", "prm_cal"):
            for source, m in by_source(rows, table[name][reading], thresholds[reading], biases.get(reading)).items():
                report.setdefault(f"{name}/{source}", {})[reading] = m
                print(f"{name + '/' + source:28s} {reading:10s} n={m['erroneous']}/{m['correct']} F1 {m['f1']:.3f} "
                      f"(err {m['error_acc']:.3f} ok {m['correct_acc']:.3f}) AUROC {m['auroc'] or 0:.3f} ECE {m['ece'] or 0:.3f}")

    # 3. the solution reading (the vote weight of `auto`): chance that a recorded solution is right from its
    # aggregated hybrid steps and its verdicts, fitted on rr_sel; the aggregation it reads is the one whose
    # fit votes best there
    sel_cache, rerank_parts = cached(args.cache, "rr_sel"), {}
    if sel_cache is not None:
        rows, built = rerank_parts["rr_sel"] = load_rerank_part("rr_sel")
        hybrid = readings(cal, sel_cache["prm"], sel_cache["symbolic"])["hybrid_cal"]
        fits = {}
        for how in AGGREGATIONS:
            scores, verdicts, labels = zip(*solution_examples(rows, built, hybrid, sel_cache["symbolic"], how), strict=True)
            fits[how] = replace(cal, solution=fit_logistic(scores, labels, verdicts), solution_aggregation=how)
        votes = {}
        for how, fitted in fits.items():
            weights = solution_scores(fitted, rows, built, hybrid, sel_cache["symbolic"])
            votes[how] = rerank_metrics(rows, assessments(rows, hybrid, weights), built)["weighted_vote_auto"]
        how = args.aggregation or max(AGGREGATIONS, key=lambda h: votes[h])
        cal = fits[how]
        print("solution fit: weighted vote on rr_sel by the aggregation it reads", votes, "->", how, cal.solution)

    # 4. the loop on the recorded GSM8K solutions: every strategy and vote weight per reading; `default` is the
    # calibrated hybrid steps with the solution reading (what `minos solve` votes with)
    for part in ("rr_sel", "rr_rep", "rr_rep150", "rr_rep_rest"):
        c = cached(args.cache, part)
        if c is None:
            continue
        if part not in rerank_parts:
            rerank_parts[part] = load_rerank_part(part)
        rows, built = rerank_parts[part]
        table = readings(cal, c["prm"], c["symbolic"])
        weights = solution_scores(cal, rows, built, table["hybrid_cal"], c["symbolic"])
        for reading, sc in table.items():
            acc = rerank_metrics(rows, assessments(rows, sc, weights if reading == "hybrid_cal" else None), built)
            report.setdefault(part, {})[reading] = acc
            shown = {k: v for k, v in acc.items() if k in ("self_consistency", "oracle") or k.endswith(("_auto", "_min", "_last"))}
            print(f"{part} {reading:12s} " + " ".join(f"{k} {v:.3f}" for k, v in shown.items()))

    if sel_cache is not None:
        # the vote's confidence: whether weighted voting under `auto` picked right, against its support, on rr_sel
        rows, built = rerank_parts["rr_sel"]
        hybrid = readings(cal, sel_cache["prm"], sel_cache["symbolic"])["hybrid_cal"]
        weights = solution_scores(cal, rows, built, hybrid, sel_cache["symbolic"])
        picked = weighted_picks(rows, built, assessments(rows, hybrid, weights), "auto")
        conf = fit_logistic([min(max(s, 1e-4), 1 - 1e-4) for s, _ in picked], [float(ok) for _, ok in picked])
        cal = replace(cal, confidence=conf, vote="weighted_vote", vote_aggregation="auto")
        report["chosen"] = {"solution_aggregation": cal.solution_aggregation, "thresholds": thresholds,
                            "confidence_ece_sel": expected_calibration_error([conf(s) for s, _ in picked], [float(ok) for _, ok in picked])}
        for part in ("rr_rep", "rr_rep150", "rr_rep_rest"):
            c = cached(args.cache, part)
            if c is None:
                continue
            rows, built = rerank_parts[part]
            hybrid = readings(cal, c["prm"], c["symbolic"])["hybrid_cal"]
            weights = solution_scores(cal, rows, built, hybrid, c["symbolic"])
            picked = weighted_picks(rows, built, assessments(rows, hybrid, weights), "auto")
            report["chosen"][f"confidence_ece_{part}"] = expected_calibration_error([conf(s) for s, _ in picked], [float(ok) for _, ok in picked])
        print("chosen:", report["chosen"], "confidence", conf)

    cal = replace(cal, fitted_on=f"natural selection rows (each {weigh[:-1]} alike): " + ", ".join(select) + "; solution reading and confidence: rr_sel")
    if args.write:
        cal.save(args.write)
        scheme = StepTagScheme.load(args.write)
        scheme = replace(scheme, threshold=thresholds["prm_cal"], hybrid_threshold=thresholds["hybrid_cal"],
                         no_error_bias=biases.get("prm_cal"), hybrid_no_error_bias=biases.get("hybrid_cal"))
        scheme.save(args.write)
        print("written to", args.write)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
