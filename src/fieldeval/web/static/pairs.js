// Side by side: one input, two outputs labelled only Left and Right, a choice per criterion.
"use strict";

(() => {
  const { api, el, kbd, $ } = FE;
  const WINNERS = { 1: "left", 2: "right", t: "tie" };
  const LABELS = { left: "Left is better", right: "Right is better", tie: "Tie" };
  const state = {
    grader: null,
    items: [],
    index: 0,
    item: null,
    active: 0,
    skipped: new Set(),
    notes: {}, // criterion id -> a note written before choosing
    editing: null, // criterion id whose note box is open
    loads: 0,
  };

  async function start(grader) {
    const [run, list] = await Promise.all([
      api("GET", "/api/grading/run"),
      api("GET", `/api/grading/pairs?grader=${encodeURIComponent(grader)}`),
    ]);
    if (!list.ok) return list.data.error || "cannot load the pairs";
    state.grader = list.data.grader;
    state.items = list.data.items;
    if (run.ok) $("task").textContent = run.data.run.task;
    FE.setProgress(list.data.progress.done, list.data.progress.total, "judged");
    $("work").hidden = false;
    const first = state.items.findIndex((i) => !i.done);
    await go(first >= 0 ? first : state.items.length);
    return null;
  }

  async function go(index) {
    state.index = Math.max(0, Math.min(index, state.items.length));
    state.editing = null;
    state.notes = {};
    const finished = state.index === state.items.length;
    $("item").hidden = finished;
    $("finished").hidden = !finished;
    if (finished) {
      state.item = null;
      const left = state.items.filter((i) => !i.done).length;
      $("position").textContent = "";
      $("item-state").textContent = "";
      $("finished-text").textContent = left
        ? `${left} inputs still need a choice: s jumps to the next one.`
        : `All ${state.items.length} inputs are judged. ← goes back to review.`;
      return;
    }
    state.item = null; // a key pressed while the next one loads must not answer the last one
    const load = ++state.loads;
    const key = state.items[state.index].key;
    const response = await api("GET", `/api/grading/pairs/${key}?grader=${encodeURIComponent(state.grader)}`);
    if (load !== state.loads) return;
    if (!response.ok) return FE.banner(response.data.error);
    state.item = response.data;
    const open = state.item.criteria.findIndex((c) => !(c.id in state.item.answers));
    state.active = open >= 0 ? open : 0;
    const item = state.item;
    $("position").textContent = `Input ${state.index + 1} of ${state.items.length}`;
    $("example").textContent = `· example ${item.example_id}`;
    $("input").textContent = item.input;
    $("left").textContent = item.left_output;
    $("right").textContent = item.right_output;
    const hasReference = item.reference !== null && item.reference !== "";
    $("reference-box").hidden = !hasReference;
    $("reference").textContent = hasReference ? item.reference : "";
    render();
    window.scrollTo(0, 0);
  }

  function render() {
    const item = state.item;
    $("criteria").replaceChildren(...item.criteria.map((c, i) => criterionNode(c, i, item.answers[c.id])));
    const answered = item.criteria.filter((c) => c.id in item.answers).length;
    $("item-state").textContent = answered === item.criteria.length ? "judged" : `${answered} of ${item.criteria.length} chosen`;
    $("item-state").className = `pill ${answered === item.criteria.length ? "pill-done" : ""}`;
    const box = $("criteria").querySelector("textarea");
    if (box) {
      box.focus();
      box.selectionStart = box.selectionEnd = box.value.length;
    }
  }

  function criterionNode(criterion, index, answer) {
    const node = el("li", {
      className: `criterion${index === state.active ? " active" : ""}${answer ? " answered" : ""}`,
      attrs: { "data-criterion": criterion.id },
    });
    const buttons = Object.entries(WINNERS).map(([key, winner]) => {
      const chosen = answer !== undefined && answer.winner === winner;
      const button = el("button", {
        className: `choice choice-${winner}${chosen ? " chosen" : ""}`,
        attrs: { type: "button", tabindex: "-1", "aria-pressed": String(chosen), "data-winner": winner },
      }, [kbd(key), el("span", { className: "choice-label", text: LABELS[winner] })]);
      button.addEventListener("click", () => {
        state.active = index;
        choose(winner);
      });
      return button;
    });
    node.append(
      el("div", { className: "crit-head" }, [el("span", { className: "crit-id", text: criterion.id })]),
      el("p", { className: "question", text: criterion.question }),
      el("div", { className: "choices" }, buttons),
    );
    const note = criterion.id in state.notes ? state.notes[criterion.id] : answer ? answer.note : null;
    if (state.editing === criterion.id) {
      const box = el("textarea", { className: "note-box", attrs: { rows: "2", maxlength: "4000", "aria-label": "note", placeholder: "Why? (optional)" } });
      box.value = note || "";
      node.append(el("div", { className: "note-edit" }, [
        box,
        el("p", { className: "hint" }, [kbd("Enter"), document.createTextNode(" keeps the note · "), kbd("Esc"), document.createTextNode(" cancels")]),
      ]));
    } else if (note) {
      node.append(el("p", { className: "note-view", text: note }));
    }
    if (answer) node.append(el("p", { className: "crit-status", text: answer.saving ? "saving…" : "saved" }));
    return node;
  }

  async function choose(winner, advance = true) {
    const item = state.item;
    const c = item.criteria[state.active];
    const note = c.id in state.notes ? state.notes[c.id] : item.answers[c.id] ? item.answers[c.id].note : null;
    const previous = item.answers[c.id];
    item.answers[c.id] = { winner, note, saving: true };
    $("save-state").textContent = "saving…";
    const request = api("POST", "/api/grading/pair-grades", {
      grader: state.grader, key: item.key, criterion_id: c.id, winner, note: note || null,
    });
    if (advance) moveOn();
    else render();
    const response = await request;
    if (!response.ok) {
      if (previous) item.answers[c.id] = previous;
      else delete item.answers[c.id];
      $("save-state").textContent = "not saved";
      FE.banner(`Not saved (${c.id}): ${response.data.error}`);
      if (state.item === item) render();
      return;
    }
    item.answers[c.id] = response.data.choice;
    const listed = state.items.find((i) => i.key === item.key);
    listed.done = response.data.item_done;
    FE.setProgress(response.data.progress.done, response.data.progress.total, "judged");
    $("save-state").textContent = "all choices saved";
    if (state.item === item) render();
  }

  function moveOn() {
    const item = state.item;
    if (item.criteria.every((c) => c.id in item.answers)) {
      state.items[state.index].done = true;
      state.skipped.delete(item.key);
      go(nextUnjudged(state.index));
      return;
    }
    state.active = FE.nextOpenCriterion(item, state.active);
    render();
  }

  function nextUnjudged(from) {
    return FE.nextOpen(state.items, state.skipped, from);
  }

  // A note typed after the choice is saved with it; before the choice, it waits for one.
  function keepNote() {
    const c = state.item.criteria[state.active];
    state.notes[c.id] = $("criteria").querySelector("textarea").value;
    state.editing = null;
    const answer = state.item.answers[c.id];
    if (answer) choose(answer.winner, false);
    else render();
  }

  function onKey(event) {
    if (!FE.plainKey(event) || $("work").hidden) return;
    if (FE.helpOpen()) {
      if (event.key === "?") FE.toggleHelp();
      return;
    }
    if (state.editing && event.target.tagName === "TEXTAREA") {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        keepNote();
      } else if (event.key === "Escape") {
        event.preventDefault();
        state.editing = null;
        render();
      }
      return;
    }
    if (FE.typing(event)) return;
    const key = event.key;
    const n = state.item ? state.item.criteria.length : 0;
    if (key === "?") FE.toggleHelp();
    else if (key === "ArrowRight" || key === "j") go(state.index + 1);
    else if (key === "ArrowLeft" || key === "k") go(state.index - 1);
    else if (key === "s") {
      if (state.item && !state.items[state.index].done) state.skipped.add(state.item.key);
      go(nextUnjudged(Math.min(state.index, state.items.length - 1)));
    } else if (!state.item) return;
    else if (key in WINNERS) choose(WINNERS[key]);
    else if (key === "ArrowDown" || (key === "Tab" && !event.shiftKey)) {
      state.active = (state.active + 1) % n;
      render();
    } else if (key === "ArrowUp" || (key === "Tab" && event.shiftKey)) {
      state.active = (state.active + n - 1) % n;
      render();
    } else if (key === "n") {
      state.editing = state.item.criteria[state.active].id;
      render();
    } else if (key === "r") {
      if (!$("reference-box").hidden) $("reference-box").open = !$("reference-box").open;
    } else return;
    event.preventDefault();
  }

  document.addEventListener("keydown", onKey);
  FE.withGrader(start);
})();
