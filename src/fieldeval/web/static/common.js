// Shared by every page: the API, the grader's name, progress, help, and safe DOM building.
// Untrusted text (inputs, outputs, notes, names) only ever goes into textContent.
"use strict";

const FE = (() => {
  const token = document.querySelector('meta[name="fieldeval-token"]').content;
  const STORAGE_KEY = "fieldeval.grader";

  // One request at a time, in the order given: two quick answers to one criterion must
  // reach the store in the order they were pressed.
  let chain = Promise.resolve();

  function api(method, path, body) {
    const options = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-Fieldeval-Token"] = token;
      options.body = JSON.stringify(body);
    }
    const call = () =>
      fetch(path, options).then(
        async (response) => {
          let data = {};
          try {
            data = await response.json();
          } catch (_) {
            data = { error: `unexpected answer from the app (HTTP ${response.status})` };
          }
          return { ok: response.ok, status: response.status, data };
        },
        () => ({
          ok: false,
          status: 0,
          data: { error: "cannot reach the app: is `fieldeval grade` still running?" },
        }),
      );
    if (method === "GET") return call();
    chain = chain.then(call);
    return chain;
  }

  function el(tag, options = {}, children = []) {
    const node = document.createElement(tag);
    if (options.className) node.className = options.className;
    if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
    for (const [name, value] of Object.entries(options.attrs || {})) node.setAttribute(name, value);
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function kbd(key) {
    return el("kbd", { text: key });
  }

  function $(id) {
    return document.getElementById(id);
  }

  function param(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  function setParam(name, value) {
    const url = new URL(window.location.href);
    if (value === null) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
    window.history.replaceState(null, "", url);
  }

  // -- the grader's name -------------------------------------------------------------

  function knownGrader() {
    return param("grader") || document.body.dataset.defaultGrader || localStorage.getItem(STORAGE_KEY);
  }

  // Calls start(name) once a name is known; start's promise resolving to an error
  // message sends the grader back to the name screen with it.
  function withGrader(start) {
    const form = $("name-form");
    const begin = async (name) => {
      const problem = await start(name);
      if (!problem) {
        localStorage.setItem(STORAGE_KEY, name);
        setParam("grader", name);
        $("grader-name").textContent = name;
        $("who").hidden = false;
        $("name-screen").hidden = true;
        keepGraderInLinks(name);
        return;
      }
      askName(problem);
    };
    const askName = (problem) => {
      $("name-screen").hidden = false;
      $("name-error").textContent = problem || "";
      $("name-input").focus();
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("name-input").value.trim();
      if (name) begin(name);
      else askName("type your name to start");
    });
    $("switch-grader").addEventListener("click", () => {
      localStorage.removeItem(STORAGE_KEY);
      setParam("grader", null);
      window.location.reload();
    });
    const name = knownGrader();
    if (name) begin(name.trim());
    else askName("");
  }

  function keepGraderInLinks(name) {
    for (const link of document.querySelectorAll("a[data-keep-grader]")) {
      const url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("grader", name);
      link.setAttribute("href", url.pathname + url.search);
    }
  }

  // -- progress, banner, help ----------------------------------------------------------

  function setProgress(done, total, verb) {
    $("progress-text").textContent = `${done} of ${total} ${verb}`;
    $("progress-bar").style.width = total ? `${(100 * done) / total}%` : "0";
  }

  function banner(message) {
    const node = $("banner");
    node.textContent = message || "";
    node.hidden = !message;
  }

  function toggleHelp() {
    const help = $("help");
    if (help.open) help.close();
    else help.showModal();
  }

  function helpOpen() {
    return $("help").open;
  }

  function typing(event) {
    const tag = event.target && event.target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  // Keys with Ctrl, Cmd or Alt belong to the browser (reload, copy, find).
  function plainKey(event) {
    return !(event.ctrlKey || event.metaKey || event.altKey);
  }

  // The next unfinished item after `from`, leaving skipped ones for last; items.length when
  // every item is done.
  function nextOpen(items, skipped, from) {
    const n = items.length;
    for (const allowSkipped of [false, true]) {
      for (let step = 1; step <= n; step++) {
        const i = (from + step) % n;
        if (!items[i].done && (allowSkipped || !skipped.has(items[i].key))) return i;
      }
    }
    return n;
  }

  // The next criterion of `item` after `active` without an answer; `active` if there is none.
  function nextOpenCriterion(item, active) {
    const n = item.criteria.length;
    for (let step = 1; step <= n; step++) {
      const i = (active + step) % n;
      if (!(item.criteria[i].id in item.answers)) return i;
    }
    return active;
  }

  return {
    api, el, kbd, $, param, setParam, withGrader, setProgress, banner, toggleHelp, helpOpen,
    typing, plainKey, nextOpen, nextOpenCriterion,
  };
})();
