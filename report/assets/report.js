// Minos report: draws the page from the data blocks above. Data go in through textContent only (never as
// HTML), so a solution's text cannot inject markup. Blocks of problem details are decoded when first shown.
(function () {
  "use strict";

  const SMALL = 20; // a run this small opens with every problem and its steps shown
  const PAGE = 25; // problems listed per page otherwise

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function block(id) {
    const node = document.getElementById(id);
    if (!node) throw new Error("report data block missing: " + id);
    if (node.dataset.encoding === "json") return JSON.parse(node.textContent);
    const text = atob(JSON.parse(node.textContent));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  const chunks = new Map();
  function chunk(n) {
    if (!chunks.has(n)) chunks.set(n, block("minos-chunk-" + n));
    return chunks.get(n);
  }

  // ------------------------------------------------------------------------------------------ formatting

  const pct = (x) => (x === null || x === undefined ? "-" : (100 * x).toFixed(1) + "%");
  const num = (x) => (x === null || x === undefined ? "-" : Number(x).toLocaleString("en"));
  const fixed = (x, d) => (x === null || x === undefined ? "-" : Number(x).toFixed(d));
  // one no-error bias for every question, or one per question style (a style without one: first step under the threshold)
  const biasText = (b) => (typeof b === "object"
    ? Object.entries(b).map(([style, v]) => `${style}-style ${fixed(v, 3)}`).join(", ") + "; other styles: first step under the threshold"
    : fixed(b, 3));

  // step scores are probabilities: one fixed scale for every report, red (0) through yellow to green (1)
  function scoreColour(p) {
    if (p === null || p === undefined) return "#eceff3";
    return "hsl(" + Math.round(120 * Math.max(0, Math.min(1, p))) + ",75%,86%)";
  }

  function legend(threshold) {
    return el("span", { class: "legend" }, "step score 0", el("span", { class: "bar" }), "1",
      threshold === undefined ? null : "; \u2717: under the threshold " + fixed(threshold, 4));
  }

  // $...$ is TeX in MATH-style text but money in GSM8K-style text ("$5 and $10"): it counts as a delimiter
  // only where some $...$ span holds TeX markup
  const TEX_DOLLARS = /\$[^$\n]*[\\^_{}][^$\n]*\$/;
  function typeset(node) {
    if (typeof renderMathInElement !== "function") return;
    const delimiters = [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ];
    if (TEX_DOLLARS.test(node.textContent)) delimiters.push({ left: "$", right: "$", display: false });
    renderMathInElement(node, { delimiters, throwOnError: false, errorCallback: () => {}, ignoredTags: ["script", "style", "textarea"] });
  }

  function texts(tag, cls, value) {
    const node = el(tag, { class: cls, text: value === null || value === undefined ? "" : String(value) });
    typeset(node);
    return node;
  }

  // --------------------------------------------------------------------------------------------- charts

  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children.flat()) if (child) node.append(child);
    return node;
  }
  const PALETTE = ["#2f5fb3", "#c2571a", "#1f7a3d", "#8a3fb3", "#b3261e", "#0f7d8c", "#7a6a00", "#555"];

  // series: {name: [[x, y], ...]}; x on a log2 axis when asked, y in [0, 1]
  function lineChart(series, { xlabel, ylabel, log2 }) {
    const W = 420, H = 240, L = 44, R = 110, T = 12, B = 34;
    const names = Object.keys(series);
    const xs = names.flatMap((n) => series[n].map((p) => p[0]));
    const fx = log2 ? Math.log2 : (v) => v;
    const x0 = Math.min(...xs.map(fx)), x1 = Math.max(...xs.map(fx));
    const X = (v) => L + (x1 > x0 ? ((fx(v) - x0) / (x1 - x0)) * (W - L - R) : (W - L - R) / 2);
    const Y = (v) => T + (1 - v) * (H - T - B);
    const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": ylabel + " against " + xlabel });
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      chart.append(svg("line", { x1: L, x2: W - R, y1: Y(t), y2: Y(t), stroke: "#e3e6ea" }));
      chart.append(svg("text", { x: L - 6, y: Y(t) + 4, "text-anchor": "end", text: t.toFixed(2) }));
    }
    for (const v of [...new Set(xs)].sort((a, b) => a - b)) {
      chart.append(svg("text", { x: X(v), y: H - B + 15, "text-anchor": "middle", text: String(v) }));
    }
    chart.append(svg("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", text: xlabel }));
    chart.append(svg("text", { x: 12, y: (T + H - B) / 2, transform: `rotate(-90 12 ${(T + H - B) / 2})`, "text-anchor": "middle", text: ylabel }));
    names.forEach((name, i) => {
      const colour = PALETTE[i % PALETTE.length];
      const points = series[name].filter((p) => p[1] !== null);
      chart.append(svg("polyline", { points: points.map((p) => X(p[0]) + "," + Y(p[1])).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
      for (const p of points) chart.append(svg("circle", { cx: X(p[0]), cy: Y(p[1]), r: 3, fill: colour }, svg("title", { text: `${name}: ${p[0]} -> ${pct(p[1])}` })));
      chart.append(svg("text", { x: W - R + 8, y: T + 12 + 15 * i, fill: colour, text: name }));
    });
    return chart;
  }

  // two histograms over [0, 1] on one axis, each scaled to its own total (shares, not counts)
  function histogram(groups) {
    const W = 420, H = 200, L = 40, R = 10, T = 10, B = 30;
    const names = Object.keys(groups);
    const bins = groups[names[0]].counts.length;
    const shares = names.map((n) => { const total = groups[n].counts.reduce((a, b) => a + b, 0) || 1; return groups[n].counts.map((c) => c / total); });
    const top = Math.max(0.01, ...shares.flat());
    const bw = (W - L - R) / bins;
    const chart = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "score distributions" });
    names.forEach((name, g) => {
      shares[g].forEach((s, b) => {
        const h = (s / top) * (H - T - B);
        chart.append(svg("rect", { x: L + b * bw + (g * bw) / names.length, y: H - B - h, width: bw / names.length - 1, height: h, fill: groups[name].colour },
          svg("title", { text: `${name}, scores ${(b / bins).toFixed(2)}-${((b + 1) / bins).toFixed(2)}: ${groups[name].counts[b]} steps` })));
      });
      chart.append(svg("text", { x: L + 8, y: T + 12 + 14 * g, fill: groups[name].colour, text: `${name} (${groups[name].counts.reduce((a, b) => a + b, 0)})` }));
    });
    for (const t of [0, 0.5, 1]) chart.append(svg("text", { x: L + t * (W - L - R), y: H - B + 14, "text-anchor": "middle", text: t.toFixed(1) }));
    chart.append(svg("text", { x: (L + W - R) / 2, y: H - 3, "text-anchor": "middle", text: "step score" }));
    return chart;
  }

  function table(headers, rows) {
    return el("table", {}, el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => (c instanceof Node ? el("td", {}, c) : el("td", { text: c })))))));
  }

  // ---------------------------------------------------------------------------------------- run reports

  function runSummary(head) {
    const panels = el("div", { class: "panels" });
    panels.append(el("div", { class: "panel" }, el("h3", { text: "Per strategy" }),
      table(["strategy", "problems", "accuracy", "right / graded", "failed", "tokens", "tokens / problem", "seconds", "s / problem"],
        head.summary.map((s) => [s.label, num(s.problems), s.graded ? pct(s.right / s.graded) : "-", `${s.right} / ${s.graded}`,
          num(s.failed), num(s.tokens), num(Math.round(s.tokens / Math.max(1, s.problems))), fixed(s.seconds, 1),
          fixed(s.seconds / Math.max(1, s.problems), 2)]))));
    if (Object.keys(head.accuracy_vs_n).length) {
      panels.append(el("div", { class: "panel", id: "accuracy-chart" }, el("h3", { text: "Accuracy against n" }),
        lineChart(head.accuracy_vs_n, { xlabel: "n (first n samples, re-voted)", ylabel: "accuracy", log2: true })));
    }
    if (head.overrule.length) {
      panels.append(el("div", { class: "panel", id: "overrule" }, el("h3", { text: "Majority against the verifier's pick" }),
        table(["strategy", "compared", "verifier overruled the majority", "graded overrules", "verifier right", "majority right", "both wrong"],
          head.overrule.map((o) => [o.label, num(o.compared), `${num(o.overruled)} (${pct(o.overruled / Math.max(1, o.compared))})`,
            num(o.graded), `${num(o.verifier_right)} (${o.graded ? pct(o.verifier_right / o.graded) : "-"})`,
            num(o.majority_right), num(o.neither)])),
        el("p", { class: "note", text: "Overruled: the strategy picked another answer than a plain majority vote over the same candidates. Of the overrules on problems with a reference answer: how often the verifier's pick was right (and the majority's wrong), the majority's right, or neither." })));
    }
    return panels;
  }

  const RUN_FILTERS = [["wrong", "wrong answers"], ["disagree", "strategies disagree"], ["overruled", "verifier overruled majority"], ["error", "errors"]];

  function runChips(entry) {
    const chips = el("span", { class: "chips" });
    for (const [label, [answer, correct, error]] of Object.entries(entry.answers)) {
      const cls = error ? "chip wrong" : correct === true ? "chip right" : correct === false ? "chip wrong" : "chip";
      chips.append(el("span", { class: cls, title: error || "" }, `${label}: ${error ? "error" : answer === null ? "no answer" : answer}`));
    }
    for (const f of entry.flags) if (f !== "wrong" && f !== "error") chips.append(el("span", { class: "chip flag", text: f }));
    return chips;
  }

  function steps(candidate, threshold, extra) {
    const list = el("ol", { class: "steps" });
    const critique = candidate.critique;
    candidate.steps.forEach((text, i) => {
      const score = candidate.step_scores ? candidate.step_scores[i] : undefined;
      const has = score !== null && score !== undefined;
      const flagged = has && score < threshold;
      const item = el("li", { class: "step" + (flagged ? " flagged" : "") + (extra && extra(i) ? " " + extra(i) : ""),
        style: "background:" + scoreColour(has ? score : null), "data-score": has ? score : "", title: has ? `step ${i + 1}: score ${score}` : `step ${i + 1}: not scored` },
        el("span", { class: "score", text: has ? score.toFixed(2) : "-" }), texts("span", "text", text));
      list.append(item);
      if (critique && critique.first_error === i) list.append(critiqueNote(critique, `critic, step ${i + 1}`));
    });
    if (critique && (critique.first_error === -1 || critique.first_error === null)) {
      list.append(critiqueNote(critique, critique.first_error === -1 ? "critic found no wrong step" : "critic gave no readable verdict"));
    }
    return list;
  }

  function critiqueNote(critique, title) {
    const agree = (critique.votes || []).filter((v) => v === critique.first_error).length;
    return el("li", { class: "critique" }, el("b", { text: `${title} (${agree} of ${(critique.votes || []).length} critiques): ` }), critique.text || "");
  }

  function runCard(detail) {
    const card = el("div", { class: "card" });
    card.append(texts("div", "question", detail.problem.question));
    card.append(el("div", { class: "reference" }, el("b", { text: "Reference answer: " }),
      detail.problem.reference === null || detail.problem.reference === undefined ? "none" : texts("span", "", detail.problem.reference)));
    card.append(table(["strategy", "answer", "right", "support", "confidence", "tokens", "seconds", "chosen candidate"],
      detail.rows.map((r) => [r.label, r.error ? el("span", { class: "error", text: r.error }) : texts("span", "", r.answer === null ? "no answer" : r.answer),
        r.correct === true ? "\u2713" : r.correct === false ? "\u2717" : "-", fixed(r.support, 3), fixed(r.confidence, 3),
        num(r.usage ? r.usage.completion_tokens : 0), fixed(r.seconds, 2), r.chosen >= 0 ? `#${r.chosen}` : "-"])));
    detail.draws.forEach((draw, d) => {
      const base = detail.rows[draw.row];
      const voters = detail.rows.filter((r) => r.draw === d);
      if (!base.candidates.length) return;
      card.append(el("h3", { text: `Vote: candidates drawn by ${base.label}` + (voters.length > 1 ? `, voted on by ${voters.map((r) => r.label).join(", ")}` : "") }));
      const total = draw.answers.reduce((a, x) => a + x.votes, 0) || 1;
      const weight = draw.answers.reduce((a, x) => a + x.weight, 0) || 1;
      card.append(el("div", { class: "votes" }, table(["answer", "votes", "share", "verifier weight (share)", "best candidate score", "right", "picked by"],
        draw.answers.map((a, c) => [texts("span", "", a.answer), num(a.votes), pct(a.votes / total), `${fixed(a.weight, 3)} (${pct(a.weight / weight)})`,
          fixed(a.best, 3), a.correct === true ? "\u2713" : a.correct === false ? "\u2717" : "-",
          [...voters.filter((r) => r.picked === c).map((r) => r.label), ...(draw.majority === c ? ["(majority)"] : [])].join(", ")]))));
      const threshold = base.threshold;
      card.append(el("div", {}, legend(threshold), draw.named ? " \u00b7 solid outline: the verifier's likeliest first wrong step" : ""));
      const grid = el("div", { class: "candidates" });
      base.candidates.forEach((cand, i) => {
        const choosers = voters.filter((r) => r.chosen === i).map((r) => r.label);
        grid.append(el("div", { class: "candidate" + (choosers.length ? " chosen" : ""), "data-index": i },
          el("h4", {}, `candidate #${i}`, choosers.length ? el("span", { class: "tag", text: "chosen by " + choosers.join(", ") }) : null),
          steps(cand, threshold, draw.named ? (j) => (j === draw.named[i] ? "named" : "") : undefined),
          el("div", { class: "answer-line" }, "answer: ", texts("b", "", cand.answer === null ? "none" : cand.answer),
            draw.classes[i] >= 0 && draw.answers[draw.classes[i]].correct === true ? " \u2713" : draw.classes[i] >= 0 && draw.answers[draw.classes[i]].correct === false ? " \u2717" : "",
            `  \u00b7 ${num(cand.usage ? cand.usage.completion_tokens : 0)} tokens`, cand.finished ? "" : `  \u00b7 unfinished (${cand.finish_reason})`)));
      });
      card.append(grid);
    });
    return card;
  }

  // ------------------------------------------------------------------------------- ProcessBench reports

  const VERDICTS = [["exact", "exact"], ["early", "flagged early"], ["late", "flagged late"], ["never", "never flagged"], ["clean", "right, nothing flagged"], ["false alarm", "right, flagged"]];

  function benchSummary(head) {
    const f = head.figures;
    const panels = el("div", { class: "panels" });
    panels.append(el("div", { class: "panel" }, el("h3", { text: "Figures" }),
      table(["metric", "value"], [["threshold", fixed(head.threshold, 5)],
        ...(head.no_error_bias === null || head.no_error_bias === undefined ? [] : [["first flag: the likeliest first wrong step, no-error bias", biasText(head.no_error_bias)]]),
        ["error accuracy (exact first wrong step)", fixed(f.error_acc, 4)],
        ["correct accuracy (nothing flagged)", fixed(f.correct_acc, 4)], ["F1", fixed(f.f1, 4)], ["step AUROC", fixed(f.auroc, 4)], ["calibration error (ECE)", fixed(f.ece, 4)],
        ["wrong / right solutions", `${num(f.erroneous)} / ${num(f.correct)}`]])));
    panels.append(el("div", { class: "panel", id: "verdicts" }, el("h3", { text: "First flag against the labelled first wrong step" }),
      table(["verdict", "solutions"], VERDICTS.map(([v, text]) => [text, num(head.verdicts[v] || 0)]))));
    panels.append(el("div", { class: "panel", id: "distributions" }, el("h3", { text: "Step scores" }),
      histogram({ "right steps": { counts: head.histogram.right, colour: "#1f7a3d" }, "first wrong steps": { counts: head.histogram.wrong, colour: "#b3261e" } })));
    if (head.calibration.length) {
      panels.append(el("div", { class: "panel", id: "calibration" }, el("h3", { text: "Calibration" }),
        lineChart({ "share right": head.calibration.map((c) => [c.predicted, c.observed]), ideal: [[0, 0], [1, 1]] }, { xlabel: "mean step score in bin", ylabel: "share of steps right" }),
        el("p", { class: "note", text: "Step scores read as probabilities, in ten bins: a calibrated verifier lies on the diagonal. Steps: right ones and first wrong ones (those with a label)." })));
    }
    return panels;
  }

  function benchCard(detail) {
    const card = el("div", { class: "card" });
    card.append(texts("div", "question", detail.problem.question));
    const k = detail.first_error, flag = detail.flag;
    card.append(el("p", {}, el("span", { class: "verdict " + detail.verdict.replace(" ", "-"), text: detail.verdict }),
      ` \u00b7 labelled first wrong step: ${k < 0 ? "none" : "step " + (k + 1)} \u00b7 verifier's first flag: ${flag < 0 ? "none" : "step " + (flag + 1)}`));
    card.append(el("div", {}, legend(detail.threshold), " \u00b7 dashed outline: the labelled first wrong step"));
    const cand = { steps: detail.steps, step_scores: detail.scores, critique: null };
    card.append(el("div", { class: "candidate" }, steps(cand, detail.threshold, (i) => (i === k ? "labelled-wrong" : "")),
      detail.critique ? el("p", { class: "note", text: "Label's reason: " + detail.critique }) : null));
    return card;
  }

  // ------------------------------------------------------------------------------------------- the list

  function benchChips(entry) {
    return el("span", { class: "chips" }, el("span", { class: "chip " + (entry.verdict === "exact" || entry.verdict === "clean" ? "right" : "wrong"), text: entry.verdict }),
      entry.source ? el("span", { class: "chip", text: entry.source }) : null);
  }

  async function main() {
    const head = await block("minos-head");
    const bench = head.kind === "processbench";
    document.getElementById("meta").textContent = bench
      ? `${head.problems.length} labelled solutions \u00b7 threshold ${fixed(head.threshold, 5)}`
      : `${head.problems.length} problems \u00b7 ${head.labels.join(", ")} \u00b7 files: ${head.files.join(", ")} \u00b7 candidate score: ${head.aggregation} of step scores`;
    document.getElementById("summary").append(el("h2", { text: "Summary" }), bench ? benchSummary(head) : runSummary(head));
    if (bench) document.getElementById("list-title").textContent = "Solutions";

    const filters = bench ? VERDICTS : RUN_FILTERS;
    const checked = new Set();
    const box = document.getElementById("filters");
    for (const [key, text] of filters) {
      box.append(el("label", {}, el("input", { type: "checkbox", "data-filter": key, onchange: (e) => { e.target.checked ? checked.add(key) : checked.delete(key); page = 0; draw(); } }), " " + text));
    }
    const search = document.getElementById("search");
    search.addEventListener("input", () => { page = 0; draw(); });
    const haystack = head.problems.map((p) => (p.id + " " + p.q + " " + (p.ref || "") + " " + (p.source || "") + " " +
      (p.answers ? Object.values(p.answers).map((a) => a[0]).join(" ") : "")).toLowerCase());
    // several filters: the problems that match any of them (bench: a verdict each; run: a flag each)
    const matches = (p) => !checked.size || (bench ? checked.has(p.verdict) : p.flags.some((f) => checked.has(f)));

    const small = head.problems.length <= SMALL;
    let page = 0;
    const list = document.getElementById("problems");
    const pager = document.getElementById("pager");

    async function open(details, entry) {
      if (details.dataset.drawn) return;
      details.dataset.drawn = "1";
      const detail = (await chunk(entry.chunk))[entry.at];
      details.append(bench ? benchCard(detail) : runCard(detail));
    }

    function item(entry) {
      const details = el("details", { class: "problem", "data-id": entry.id });
      details.append(el("summary", {}, el("span", { class: "pid", text: entry.id }), el("span", { class: "q", text: entry.q.length > 160 ? entry.q.slice(0, 157) + "..." : entry.q }),
        bench ? benchChips(entry) : runChips(entry)));
      details.addEventListener("toggle", () => { if (details.open) open(details, entry).catch(report); });
      return details;
    }

    async function draw() {
      const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      const shown = [];
      head.problems.forEach((p, i) => { if (matches(p) && words.every((w) => haystack[i].includes(w))) shown.push(p); });
      const pages = Math.max(1, Math.ceil(shown.length / PAGE));
      page = Math.min(page, pages - 1);
      const slice = small ? shown : shown.slice(page * PAGE, (page + 1) * PAGE);
      document.getElementById("count").textContent = `${shown.length} of ${head.problems.length} shown`;
      pager.replaceChildren();
      if (!small && pages > 1) {
        pager.append(el("button", { disabled: page === 0, onclick: () => { page--; draw(); }, text: "\u2190 previous" }),
          el("span", { text: `page ${page + 1} of ${pages}` }),
          el("button", { disabled: page >= pages - 1, onclick: () => { page++; draw(); }, text: "next \u2192" }));
      }
      const items = slice.map(item);
      list.replaceChildren(...items);
      if (!slice.length) list.append(el("div", { class: "empty", text: "nothing matches" }));
      if (small) {
        await Promise.all(items.map((d, i) => { d.open = true; return open(d, slice[i]); }));
      }
    }
    await draw();
    document.body.dataset.ready = "1";
  }

  function report(error) {
    document.body.append(el("pre", { class: "error", text: "The report could not be drawn: " + (error && error.stack || error) }));
    console.error(error);
  }

  main().catch(report);
})();
