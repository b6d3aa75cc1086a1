// Disagreements: where graders answered differently, each answer and note, and a way to settle.
"use strict";

(() => {
  const { api, el, kbd, $ } = FE;
  const state = { adjudicator: null, cases: [], criteria: [], active: 0, filter: "" };

  async function start(name) {
    const check = await api("GET", `/api/grading/progress?grader=${encodeURIComponent(name)}`);
    if (!check.ok) return check.data.error; // a reserved or empty name, said on the name screen
    state.adjudicator = name;
    const loaded = await load();
    if (loaded) return loaded;
    $("work").hidden = false;
    return null;
  }

  async function load() {
    const query = state.filter ? `?criterion=${encodeURIComponent(state.filter)}` : "";
    const response = await api("GET", `/api/grading/disagreements${query}`);
    if (!response.ok) return response.data.error || "cannot load the disagreements";
    state.cases = response.data.disagreements;
    if (!state.criteria.length) {
      state.criteria = response.data.criteria;
      const select = $("criterion-filter");
      for (const c of state.criteria) select.append(el("option", { text: c.id, attrs: { value: c.id } }));
    }
    state.active = Math.min(state.active, Math.max(0, state.cases.length - 1));
    render();
    return null;
  }

  function render() {
    const settled = state.cases.filter((c) => c.settled).length;
    FE.setProgress(settled, state.cases.length, "settled");
    $("none").hidden = state.cases.length > 0;
    $("cases").replaceChildren(...state.cases.map(caseNode));
  }

  function valueText(criterion, value) {
    if (value === null) return "n/a";
    if (criterion.kind === "ordinal") {
      const level = criterion.levels.find((l) => l.value === value);
      return level ? `${value} · ${level.label}` : String(value);
    }
    return value === 1 ? "pass" : "fail";
  }

  function passes(criterion, value) {
    if (value === null) return "na";
    if (criterion.kind === "ordinal") {
      const level = criterion.levels.find((l) => l.value === value);
      return level && level.passes ? "pass" : "fail";
    }
    return value === 1 ? "pass" : "fail";
  }

  function caseNode(entry, index) {
    const c = entry.criterion;
    const node = el("li", {
      className: `case card${index === state.active ? " active" : ""}${entry.settled ? " settled" : ""}`,
      attrs: { "data-key": entry.key, "data-criterion": c.id },
    });
    const grades = el("table", { className: "grades" }, [
      el("tr", {}, [el("th", { text: "grader" }), el("th", { text: "answer" }), el("th", { text: "note" })]),
      ...entry.grades.map((g) =>
        el("tr", {}, [
          el("td", { text: g.grader }),
          el("td", {}, [el("span", { className: `verdict verdict-${passes(c, g.value)}`, text: valueText(c, g.value) })]),
          el("td", { className: "note-cell", text: g.note || "" }),
        ]),
      ),
    ]);
    const note = el("input", {
      className: "settle-note",
      attrs: { type: "text", maxlength: "4000", placeholder: "note (optional): why this answer", "aria-label": "note" },
    });
    note.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === "Escape") {
        event.preventDefault();
        note.blur();
      }
    });
    const options = c.kind === "ordinal"
      ? c.levels.map((l) => [String(l.value), `${l.value} · ${l.label}`, l.value])
      : [["p", "Pass", 1], ["f", "Fail", 0]];
    options.push(["n", "N/A", null]);
    const buttons = options.map(([key, label, value]) => {
      const chosen = entry.settled && entry.settled.value === value;
      const button = el("button", {
        className: `choice choice-${passes(c, value)}${chosen ? " chosen" : ""}`,
        attrs: { type: "button", tabindex: "-1" },
      }, [kbd(key), el("span", { className: "choice-label", text: label })]);
      button.addEventListener("click", () => {
        state.active = index;
        settle(value);
      });
      return button;
    });
    node.append(
      el("div", { className: "crit-head" }, [
        el("span", { className: "crit-id", text: c.id }),
        el("span", { className: "muted", text: `example ${entry.example_id}` }),
      ]),
      el("p", { className: "question", text: c.question }),
      el("div", { className: "case-texts" }, [
        el("section", { className: "pane" }, [el("h2", { text: "Input" }), el("pre", { className: "text", text: entry.input })]),
        el("section", { className: "pane output-pane" }, [el("h2", { text: "Output" }), el("pre", { className: "text", text: entry.output })]),
      ]),
      grades,
      el("p", { className: "settled-line", text: entry.settled ? `Settled: ${valueText(c, entry.settled.value)} — ${entry.settled.note}` : "Not settled yet" }),
      el("div", { className: "settle" }, [note, el("div", { className: "choices" }, buttons)]),
    );
    node.addEventListener("click", () => {
      if (state.active !== index) {
        state.active = index;
        highlight();
      }
    });
    return node;
  }

  function highlight() {
    const nodes = $("cases").children;
    for (let i = 0; i < nodes.length; i++) nodes[i].classList.toggle("active", i === state.active);
    const current = nodes[state.active];
    if (current) current.scrollIntoView({ block: "nearest" });
  }

  async function settle(value) {
    const entry = state.cases[state.active];
    if (!entry) return;
    const node = $("cases").children[state.active];
    const note = node.querySelector(".settle-note").value.trim();
    $("save-state").textContent = "saving…";
    const response = await api("POST", "/api/grading/settlements", {
      adjudicator: state.adjudicator, key: entry.key, criterion_id: entry.criterion.id, value, note: note || null,
    });
    if (!response.ok) {
      $("save-state").textContent = "not saved";
      FE.banner(`Not settled: ${response.data.error}`);
      return;
    }
    FE.banner("");
    $("save-state").textContent = "settled and saved";
    entry.settled = response.data.settled;
    const next = state.cases.findIndex((c, i) => i > state.active && !c.settled);
    if (next >= 0) state.active = next;
    render();
    highlight();
  }

  function onKey(event) {
    if (!FE.plainKey(event) || $("work").hidden) return;
    if (FE.helpOpen()) {
      if (event.key === "?") FE.toggleHelp();
      return;
    }
    if (FE.typing(event)) return;
    const key = event.key;
    const entry = state.cases[state.active];
    const c = entry ? entry.criterion : null;
    if (key === "?") FE.toggleHelp();
    else if (key === "j" || key === "ArrowDown") move(1);
    else if (key === "k" || key === "ArrowUp") move(-1);
    else if (!c) return;
    else if (key === "c") $("cases").children[state.active].querySelector(".settle-note").focus();
    else if (key === "n") settle(null);
    else if (c.kind === "pass_fail" && (key === "p" || key === "f")) settle(key === "p" ? 1 : 0);
    else if (c.kind === "ordinal" && c.levels.some((l) => String(l.value) === key)) settle(Number(key));
    else return;
    event.preventDefault();
  }

  function move(step) {
    if (!state.cases.length) return;
    state.active = Math.max(0, Math.min(state.cases.length - 1, state.active + step));
    highlight();
  }

  $("criterion-filter").addEventListener("change", (event) => {
    state.filter = event.target.value;
    state.active = 0;
    load();
    event.target.blur();
  });
  document.addEventListener("keydown", onKey);
  FE.withGrader(start);
})();
