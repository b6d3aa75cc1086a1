// The grading screen: one output at a time, every criterion answered from the keyboard.
"use strict";

(() => {
  const { api, el, kbd, $ } = FE;
  const state = {
    grader: null,
    items: [], // this grader's order: {key, example_id, done}
    index: 0, // items.length means the "all graded" screen
    item: null, // the shown item, with its criteria and answers
    active: 0, // the highlighted criterion
    skipped: new Set(),
    editing: null, // {criterionId, value} while a note is being written
    loads: 0, // ignores item loads overtaken by a later one
  };

  // -- loading ---------------------------------------------------------------------------

  async function start(grader) {
    const [run, list] = await Promise.all([
      api("GET", "/api/grading/run"),
      api("GET", `/api/grading/items?grader=${encodeURIComponent(grader)}`),
    ]);
    if (!list.ok) return list.data.error || "cannot load the outputs";
    state.grader = list.data.grader;
    state.items = list.data.items;
    if (run.ok) $("task").textContent = run.data.run.task;
    showProgress(list.data.progress);
    $("work").hidden = false;
    const asked = FE.param("item");
    FE.setParam("item", null); // a reload lands on the first ungraded output, not here
    const wanted = state.items.findIndex((i) => i.key === asked);
    const first = state.items.findIndex((i) => !i.done);
    await go(wanted >= 0 ? wanted : first >= 0 ? first : state.items.length);
    return null;
  }

  async function go(index) {
    state.index = Math.max(0, Math.min(index, state.items.length));
    state.editing = null;
    const finished = state.index === state.items.length;
    $("item").hidden = finished;
    $("finished").hidden = !finished;
    if (finished) {
      state.item = null;
      $("position").textContent = "";
      $("example").textContent = "";
      $("item-state").textContent = "";
      const left = state.items.filter((i) => !i.done).length;
      $("finished-text").textContent = left
        ? `${left} outputs still need an answer: → or j from the first one, or s to jump.`
        : `All ${state.items.length} outputs have an answer for every criterion. Thank you.`;
      $("finished").querySelector("h1").textContent = left ? "End of the list" : "Every output is graded";
      return;
    }
    state.item = null; // a key pressed while the next one loads must not answer the last one
    const load = ++state.loads;
    const key = state.items[state.index].key;
    const response = await api("GET", `/api/grading/items/${key}?grader=${encodeURIComponent(state.grader)}`);
    if (load !== state.loads) return;
    if (!response.ok) {
      FE.banner(response.data.error);
      return;
    }
    state.item = response.data;
    const open = state.item.criteria.findIndex((c) => !(c.id in state.item.answers));
    state.active = open >= 0 ? open : 0;
    renderItem();
  }

  // -- rendering -------------------------------------------------------------------------

  function renderItem() {
    const item = state.item;
    $("position").textContent = `Output ${state.index + 1} of ${state.items.length}`;
    $("example").textContent = `· example ${item.example_id}${item.repeat ? ` · repeat ${item.repeat}` : ""}`;
    $("input").textContent = item.input;
    $("output").textContent = item.output;
    const hasReference = item.reference !== null && item.reference !== "";
    $("reference-box").hidden = !hasReference;
    $("reference").textContent = hasReference ? item.reference : "";
    renderCriteria();
    window.scrollTo(0, 0);
  }

  function renderCriteria() {
    const item = state.item;
    const list = $("criteria");
    list.replaceChildren(...item.criteria.map((c, i) => criterionNode(c, i, item.answers[c.id])));
    const answered = item.criteria.filter((c) => c.id in item.answers).length;
    const pill = $("item-state");
    const skipped = state.skipped.has(item.key);
    pill.textContent =
      answered === item.criteria.length ? "graded" : skipped ? "skipped" : `${answered} of ${item.criteria.length} answered`;
    pill.className = `pill ${answered === item.criteria.length ? "pill-done" : ""}`;
    if (state.editing) {
      const box = list.querySelector("textarea");
      if (box) {
        box.focus();
        box.selectionStart = box.selectionEnd = box.value.length;
      }
    }
  }

  function criterionNode(criterion, index, answer) {
    const active = index === state.active;
    const node = el("li", {
      className: `criterion${active ? " active" : ""}${answer ? " answered" : ""}`,
      attrs: { "data-criterion": criterion.id },
    });
    node.append(
      el("div", { className: "crit-head" }, [
        el("span", { className: "crit-id", text: criterion.id }),
        el("span", { className: `sev sev-${criterion.severity}`, text: criterion.severity }),
      ]),
      el("p", { className: "question", text: criterion.question }),
      el("div", { className: "choices" }, choices(criterion, answer, index)),
    );
    const examples = examplesNode(criterion);
    if (examples) node.append(examples);
    const editing = state.editing && state.editing.criterionId === criterion.id;
    if (editing) node.append(noteEditor(answer));
    else if (answer && answer.note) node.append(el("p", { className: "note-view", text: answer.note }));
    if (answer) {
      const status = answer.saving ? "saving…" : answer.failed ? "not saved" : "saved";
      node.append(el("p", { className: `crit-status ${answer.failed ? "bad" : ""}`, text: status }));
    }
    node.addEventListener("click", () => {
      if (state.active !== index && !state.editing) {
        state.active = index;
        renderCriteria();
      }
    });
    return node;
  }

  function choices(criterion, answer, index) {
    const value = answer ? answer.value : undefined;
    const button = (key, label, chosenValue, kind, detail) => {
      const chosen = answer !== undefined && value === chosenValue;
      const editing = state.editing;
      const pending = editing && editing.criterionId === criterion.id && editing.value === chosenValue;
      const node = el("button", {
        className: `choice choice-${kind}${chosen ? " chosen" : ""}${pending ? " pending" : ""}`,
        attrs: { type: "button", tabindex: "-1", "aria-pressed": String(chosen) },
      }, [kbd(key), el("span", { className: "choice-label", text: label })]);
      if (detail) node.append(el("span", { className: "anchor", text: detail }));
      node.addEventListener("click", (event) => {
        event.stopPropagation();
        state.active = index;
        choose(chosenValue);
      });
      return node;
    };
    const na = button("n", "N/A", null, "na");
    if (criterion.kind === "ordinal") {
      const levels = criterion.levels.map((level) =>
        button(String(level.value), level.label, level.value, level.passes ? "pass" : "fail", level.anchor),
      );
      return [el("div", { className: "levels" }, levels), na];
    }
    return [button("p", "Pass", 1, "pass"), button("f", "Fail", 0, "fail"), na];
  }

  function examplesNode(criterion) {
    if (!criterion.pass_example && !criterion.fail_example) return null;
    const parts = [el("summary", { text: "Examples" })];
    if (criterion.pass_example) parts.push(el("p", { className: "ex-label", text: "passes" }), el("pre", { className: "text small", text: criterion.pass_example }));
    if (criterion.fail_example) parts.push(el("p", { className: "ex-label", text: "fails" }), el("pre", { className: "text small", text: criterion.fail_example }));
    return el("details", { className: "examples" }, parts);
  }

  function noteEditor(answer) {
    const box = el("textarea", {
      className: "note-box",
      attrs: { rows: "3", maxlength: "4000", placeholder: "What went wrong? A few words are enough.", "aria-label": "note" },
    });
    box.value = state.editing.draft !== undefined ? state.editing.draft : answer && answer.note ? answer.note : "";
    box.addEventListener("input", () => (state.editing.draft = box.value));
    return el("div", { className: "note-edit" }, [
      box,
      el("p", { className: "hint" }, [kbd("Enter"), document.createTextNode(" saves the fail · "), kbd("Shift+Enter"), document.createTextNode(" new line · "), kbd("Esc"), document.createTextNode(" cancels")]),
      el("p", { className: "error note-error", text: state.editing.error || "", attrs: { role: "alert" } }),
    ]);
  }

  function showProgress(progress) {
    FE.setProgress(progress.done, progress.total, "graded");
  }

  // -- answering -------------------------------------------------------------------------

  function criterion() {
    return state.item ? state.item.criteria[state.active] : null;
  }

  function choose(value) {
    const c = criterion();
    if (!c) return;
    const fails = value !== null && (c.kind === "ordinal" ? !c.levels.find((l) => l.value === value).passes : value === 0);
    if (fails) {
      state.editing = { criterionId: c.id, value };
      renderCriteria();
      return;
    }
    save(c, value, null);
  }

  async function save(c, value, note) {
    const item = state.item;
    const previous = item.answers[c.id];
    // A fail with a blank note waits for the store's refusal, to show it by the note box;
    // every other answer moves on at once, so keys pressed next never land in the wrong place.
    const awaitVerdict = note !== null && note.trim() === "";
    if (!awaitVerdict) {
      item.answers[c.id] = { value, note, saving: true };
      state.editing = null;
    }
    const complete = item.criteria.every((x) => x.id in item.answers);
    $("save-state").textContent = "saving…";
    const request = api("POST", "/api/grading/grades", {
      grader: state.grader, key: item.key, criterion_id: c.id, value, note,
    });
    if (!awaitVerdict) moveOn(complete);
    const response = await request;
    if (!response.ok) {
      if (previous) item.answers[c.id] = previous;
      else delete item.answers[c.id];
      $("save-state").textContent = "not saved";
      if (awaitVerdict && state.item === item && state.editing) {
        state.editing.error = response.data.error;
        state.editing.sending = false;
        renderCriteria();
        return;
      }
      FE.banner(`Not saved (${c.id}): ${response.data.error}`);
      await refreshList();
      if (state.item === item) renderCriteria();
      return;
    }
    item.answers[c.id] = response.data.grade;
    const listed = state.items.find((i) => i.key === item.key);
    listed.done = response.data.item_done;
    if (listed.done) state.skipped.delete(item.key);
    showProgress(response.data.progress);
    $("save-state").textContent = "all answers saved";
    if (state.item !== item) return;
    if (awaitVerdict) {
      state.editing = null;
      moveOn(item.criteria.every((x) => x.id in item.answers));
    } else if (!state.editing) {
      renderCriteria();
    }
  }

  // The list as the store has it, after an answer did not save.
  async function refreshList() {
    const list = await api("GET", `/api/grading/items?grader=${encodeURIComponent(state.grader)}`);
    if (!list.ok) return;
    state.items = list.data.items;
    showProgress(list.data.progress);
  }

  // After an answer: the next open criterion, or once the output is complete, the next output.
  function moveOn(complete) {
    const item = state.item;
    if (complete) {
      state.items[state.index].done = true;
      state.skipped.delete(item.key);
      go(nextUngraded(state.index));
      return;
    }
    state.active = FE.nextOpenCriterion(item, state.active);
    renderCriteria();
  }

  // The next ungraded output after `from`, leaving skipped ones for last.
  function nextUngraded(from) {
    return FE.nextOpen(state.items, state.skipped, from);
  }

  function submitNote() {
    if (state.editing.sending) return;
    state.editing.sending = true;
    const box = $("criteria").querySelector("textarea");
    save(criterion(), state.editing.value, box.value);
  }

  function cancelNote() {
    state.editing = null;
    renderCriteria();
  }

  // -- keys ------------------------------------------------------------------------------

  function onKey(event) {
    if (!FE.plainKey(event) || $("work").hidden) return;
    if (FE.helpOpen()) {
      if (event.key === "?") FE.toggleHelp();
      return;
    }
    if (state.editing && event.target.tagName === "TEXTAREA") {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        submitNote();
      } else if (event.key === "Escape") {
        event.preventDefault();
        cancelNote();
      }
      return;
    }
    if (FE.typing(event)) return;
    const handled = handle(event.key, event.shiftKey);
    if (handled) event.preventDefault();
  }

  // One key, one action; true when the key was ours.
  function handle(key, shift) {
    const always = {
      "?": () => FE.toggleHelp(),
      ArrowRight: () => go(state.index + 1),
      j: () => go(state.index + 1),
      ArrowLeft: () => go(state.index - 1),
      k: () => go(state.index - 1),
      s: () => skip(),
    };
    if (key in always) {
      always[key]();
      return true;
    }
    if (!state.item) return false;
    const c = criterion();
    const n = state.item.criteria.length;
    const digit = /^[0-9]$/.test(key);
    if (key === "ArrowDown" || (key === "Tab" && !shift)) moveActive(1);
    else if (key === "ArrowUp" || (key === "Tab" && shift)) moveActive(n - 1);
    else if (key === "Escape" && state.editing) cancelNote();
    else if (key === "r") toggleReference();
    else if (key === "n") choose(null);
    else if (c.kind === "pass_fail" && (key === "p" || key === "f")) choose(key === "p" ? 1 : 0);
    else if (c.kind === "ordinal" && digit && c.levels.some((l) => l.value === Number(key))) {
      choose(Number(key));
    } else if (c.kind === "ordinal" && (digit || key === "p" || key === "f")) {
      hint(`${c.id} is a scale: press one of ${c.levels.map((l) => l.value).join(", ")}`);
    } else if (digit) hint(`${c.id} is pass or fail: p, f or n`);
    else return false;
    return true;
  }

  function moveActive(step) {
    state.editing = null;
    state.active = (state.active + step) % state.item.criteria.length;
    renderCriteria();
  }

  function skip() {
    if (state.index >= state.items.length) return go(nextUngraded(state.items.length - 1));
    const listed = state.items[state.index];
    if (!listed.done) state.skipped.add(listed.key);
    return go(nextUngraded(state.index));
  }

  function toggleReference() {
    const box = $("reference-box");
    if (!box.hidden) box.open = !box.open;
  }

  function hint(message) {
    $("save-state").textContent = message;
  }

  document.addEventListener("keydown", onKey);
  FE.withGrader(start);
})();
