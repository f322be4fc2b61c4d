"""Does a middle layer know more about natural mistakes than the PRM's head? (issue 27, "a head that also reads a
middle layer"). A logistic probe on frozen features; the shipped verifier reads steps through the one `write`
stored (`minos.verifier.probe`).

    python recipes/natural/probe.py features CHECKPOINT OUT_DIR FILE [FILE ...] [--limit-per-source N]
    python recipes/natural/probe.py fit OUT_DIR TRAIN_STEM SELECT_STEM [SELECT_STEM ...] --report STEM [STEM ...]
    python recipes/natural/probe.py write OUT_DIR TRAIN_STEM CHECKPOINT --l2 L2

`features` runs the checkpoint once over each step-labelled FILE and keeps, at every step tag, the hidden state of
a middle layer and of the last layer, and the PRM's own p(good) (OUT_DIR/STEM.npz; a file done is skipped, so a
killed run resumes). `fit` trains a logistic probe on the labelled steps of TRAIN (the steps up to the first wrong
one), chooses its L2 strength by mean step AUROC over the SELECT files, and prints the step AUROC of the probe
and of the PRM on every file, the REPORT ones read by no choice. `write` stores the probe at the chosen L2
beside CHECKPOINT (`minos_probe.json`): the verifier then reads steps through it.
"""

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

import numpy as np
from minos.core.data import load_labelled
from minos.verifier.evaluate import step_auroc


def _rows(path: Path, limit_per_source: int | None, seed: int = 0):
    rows = load_labelled(path)
    if limit_per_source is None:
        return rows
    by_source = defaultdict(list)
    for row in rows:
        by_source[row.problem.source].append(row)
    rng = random.Random(seed)
    kept = []
    for source in sorted(by_source):
        group = by_source[source]
        kept += rng.sample(group, min(limit_per_source, len(group)))
    return kept


def features(checkpoint: str, out_dir: Path, files: list[Path], limit_per_source: int | None, max_tokens: int) -> None:
    import torch
    from minos.verifier.neural import NeuralVerifier, length_batches

    out_dir.mkdir(parents=True, exist_ok=True)
    verifier = None
    for path in files:
        target = out_dir / f"{path.stem}.npz"
        if target.exists():
            continue
        verifier = verifier or NeuralVerifier(checkpoint, mode="prm", calibrated=False)
        model, layers = verifier.model, verifier.model.config.num_hidden_layers
        middle = layers // 2
        rows = _rows(path, limit_per_source)
        encoded = [verifier.encode(r.problem.question, list(r.steps)) for r in rows]
        keep = [i for i, (ids, at) in enumerate(encoded) if len(ids) <= max_tokens and len(at) == len(rows[i].steps)]
        feats, prm, where = [], [], []
        pad = verifier.tokenizer.pad_token_id
        for batch in length_batches([len(encoded[i][0]) for i in keep], verifier.batch_size, verifier.max_batch_tokens):
            idx = [keep[b] for b in batch]
            width = max(len(encoded[i][0]) for i in idx)
            ids = torch.tensor([encoded[i][0] + [pad] * (width - len(encoded[i][0])) for i in idx])
            mask = torch.tensor([[1] * len(encoded[i][0]) + [0] * (width - len(encoded[i][0])) for i in idx])
            tags = sorted({p for i in idx for p in encoded[i][1]})
            column = {p: j for j, p in enumerate(tags)}
            with torch.inference_mode():  # the LM head only at the tags, as the verifier reads it
                out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True, logits_to_keep=torch.tensor(tags))
            probs = out.logits[..., [verifier.good_id, verifier.bad_id]].float().softmax(-1)[..., 0]
            for row, i in enumerate(idx):
                for step, p in enumerate(encoded[i][1]):
                    feats.append(torch.cat([out.hidden_states[middle][row, p], out.hidden_states[-1][row, p]]).float().numpy())
                    prm.append(float(probs[row, column[p]]))
                    where.append((i, step))
        np.savez(target, features=np.array(feats), prm=np.array(prm), where=np.array(where),
                 ids=np.array([r.problem.id for r in rows]), kept=np.array(keep))
        print(f"{path.name}: {len(keep)} of {len(rows)} rows, {len(feats)} steps", flush=True)


def _load(out_dir: Path, stem: str, data: Path):
    saved = np.load(out_dir / f"{stem}.npz")
    rows = {r.problem.id: r for r in load_labelled(data / f"{stem}.jsonl")}
    return saved, [rows[i] for i in saved["ids"]]


def _per_row(saved, rows, values) -> tuple[list, list]:
    """The rows kept and, per row, the value of each of its steps (the labelled-steps helpers read these)."""
    scores = defaultdict(dict)
    for (i, step), v in zip(saved["where"], values, strict=True):
        scores[int(i)][int(step)] = float(v)
    kept = [int(i) for i in saved["kept"]]
    return [rows[i] for i in kept], [[scores[i][s] for s in range(len(rows[i].steps))] for i in kept]


def _logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _design(saved, mean=None, std=None):
    x = np.concatenate([saved["features"], _logit(saved["prm"])[:, None]], axis=1)
    if mean is None:
        mean, std = x.mean(0), x.std(0) + 1e-6
    return (x - mean) / std, mean, std


def _train(x, y, l2: float, steps: int = 300):
    import torch

    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(xt @ w + b, yt) + l2 * (w @ w) / 2
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), float(b.detach())


def _train_set(out_dir: Path, data: Path, train: str):
    """The standardised design of TRAIN's labelled steps (those up to the first wrong one), their labels, and
    the standardisation."""
    saved, rows = _load(out_dir, train, data)
    labels = []
    for (i, step) in saved["where"]:
        k = rows[int(i)].first_error
        labels.append(-1.0 if (k >= 0 and step > k) else (0.0 if step == k else 1.0))
    labels = np.array(labels)
    use = labels >= 0
    x, mean, std = _design(saved)
    return x[use], labels[use], mean, std


L2S = (1e-3, 1e-2, 1e-1, 1.0)  # the probe strengths every fit sweeps


def probe_per_l2(out_dir: Path, data: Path, train: str, stems: list[str]) -> tuple[int, dict]:
    """The probe fitted on TRAIN at each of L2S, and each stem's (rows, per-step probe scores) under it:
    (train steps, {l2: {stem: (rows, scores)}})."""
    x, labels, mean, std = _train_set(out_dir, data, train)
    sets = {stem: _load(out_dir, stem, data) for stem in stems}
    scored = {}
    for l2 in L2S:
        w, b = _train(x, labels, l2)
        scored[l2] = {stem: _per_row(s, r, 1 / (1 + np.exp(-(_design(s, mean, std)[0] @ w + b))))
                      for stem, (s, r) in sets.items()}
    return len(labels), scored


def fit(out_dir: Path, data: Path, train: str, select: list[str], report: list[str]) -> None:
    n_steps, scored = probe_per_l2(out_dir, data, train, select + report)
    results = {l2: {stem: step_auroc(*kept_scores) for stem, kept_scores in per_stem.items()} for l2, per_stem in scored.items()}
    chosen = max(results, key=lambda l2: np.mean([results[l2][s] or 0.5 for s in select]))
    print(json.dumps({"train_steps": n_steps, "chosen_l2": chosen}))
    for stem in select + report:
        s, r = _load(out_dir, stem, data)
        kept, scores = _per_row(s, r, s["prm"])
        print(f"{stem:16s} {'select' if stem in select else 'report':6s} PRM AUROC {step_auroc(kept, scores):.3f}  "
              f"probe AUROC {results[chosen][stem]:.3f}  (every L2: "
              + " ".join(f"{l2:g}:{results[l2][stem]:.3f}" for l2 in results) + ")")


def write(out_dir: Path, data: Path, train: str, l2: float, checkpoint: Path) -> None:
    """Fit the probe at `l2` (the strength `fit` chose) and store it beside CHECKPOINT (`minos_probe.json`),
    the standardisation folded into its weights, so the verifier reads steps through it."""
    from minos.verifier.neural import NeuralVerifier
    from minos.verifier.probe import StepProbe

    x, labels, mean, std = _train_set(out_dir, data, train)
    w, b = _train(x, labels, l2)
    layers = NeuralVerifier(checkpoint, calibrated=False).model.config.num_hidden_layers
    probe = StepProbe(layers=(layers // 2, layers), weight=tuple(float(v) for v in w / std),
                      bias=float(b - (w * mean / std).sum()),
                      fitted_on=f"{len(labels)} labelled steps of {train} (frozen features), L2 {l2:g}")
    probe.save(checkpoint)
    print(f"written to {checkpoint}: {probe.fitted_on}")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("features")
    f.add_argument("checkpoint")
    f.add_argument("out_dir", type=Path)
    f.add_argument("files", type=Path, nargs="+")
    f.add_argument("--limit-per-source", type=int)
    f.add_argument("--max-tokens", type=int, default=1024)
    g = sub.add_parser("fit")
    g.add_argument("out_dir", type=Path)
    g.add_argument("train")
    g.add_argument("select", nargs="+")
    g.add_argument("--report", nargs="+", default=[])
    g.add_argument("--data", type=Path, default=Path("data"))
    h = sub.add_parser("write")
    h.add_argument("out_dir", type=Path)
    h.add_argument("train")
    h.add_argument("checkpoint", type=Path)
    h.add_argument("--l2", type=float, required=True)
    h.add_argument("--data", type=Path, default=Path("data"))
    args = parser.parse_args()
    if args.command == "features":
        features(args.checkpoint, args.out_dir, args.files, args.limit_per_source, args.max_tokens)
    elif args.command == "write":
        write(args.out_dir, args.data, args.train, args.l2, args.checkpoint)
    else:
        fit(args.out_dir, args.data, args.train, args.select, args.report)


if __name__ == "__main__":
    main()
