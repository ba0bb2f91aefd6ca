// seqplan trainer page: re-plan on every change, undo, the note's what-if, before and after,
// why / why-not, step-through, downloads.
// Vanilla JS, no network access beyond this server; all text from the server is escaped there
// (HTML fragments) or inserted with textContent (why text, firings).
(function () {
  "use strict";
  var original = JSON.parse(document.getElementById("assessment-data").textContent);
  // the plan of the assessment as opened, summarised: sent back so the server need not re-plan it
  var baseline = JSON.parse(document.getElementById("baseline-data").textContent);
  var controls = document.getElementById("controls");
  var status = document.getElementById("status");
  var pending = null, seq = 0, firings = [], layerStart = [], pos = 0;
  // with logins (or a case record), every JSON write carries the session's CSRF token
  var token = document.querySelector('meta[name="csrf-token"]');
  var headers = {"Content-Type": "application/json"};
  if (token) headers["X-CSRF-Token"] = token.content;

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o && typeof o === "object" ? o[k] : undefined; }, obj);
  }
  function words(text) { return text.split(",").map(function (w) { return w.trim(); }).filter(Boolean); }
  function same(a, b) { return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b); }

  function valueOf(el) {
    var field = el.dataset.field;
    if (field.indexOf("context.") === 0) return words(el.value);
    if (el.type === "range") {
      var box = controls.querySelector('input.rated[data-for="' + el.id + '"]');
      if (box && !box.checked) return null;
      if (!box && el.dataset.unset) return undefined;
      return Number(el.value);
    }
    if (el.type === "number") return Number(el.value);
    return el.value || null;
  }

  function edits() {
    var set = {};
    controls.querySelectorAll("[data-field]").forEach(function (el) {
      var v = valueOf(el), field = el.dataset.field;
      if (v === undefined) return;
      var was = get(original, field);
      if (field.indexOf("context.") === 0 && was === undefined && v.length === 0) return;
      if (!same(was, v)) set[field] = v === null ? "none" : v;
    });
    return set;
  }

  function post(url, body) {
    return fetch(url, {method: "POST", headers: headers, body: JSON.stringify(body)})
      .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); });
  }

  function markMap() {
    document.querySelectorAll("#map g.cell").forEach(function (cell) {
      var fn = cell.getAttribute("data-function");
      if (originalBands[fn] !== undefined && originalBands[fn] !== cell.getAttribute("data-band")) {
        cell.classList.add("changed");
      }
    });
  }
  var originalBands = {};
  document.querySelectorAll("#map g.cell").forEach(function (cell) {
    originalBands[cell.getAttribute("data-function")] = cell.getAttribute("data-band");
  });

  // the page's control for a field shows ``value`` (as edits() gives it; undefined: not in the assessment)
  function show(el, value) {
    var unset = value === undefined || value === null || value === "none";
    var box = controls.querySelector('input.rated[data-for="' + el.id + '"]');
    if (el.dataset.field.indexOf("context.") === 0) el.value = (value || []).join(", ");
    else if (el.type === "range") {
      if (box) box.checked = !unset;
      if (unset && !box) el.dataset.unset = "1"; else delete el.dataset.unset;
      if (!unset) el.value = value;
      el.nextElementSibling.textContent = unset ? "-" : el.value;
    } else el.value = unset ? "" : value;
  }
  // every control as the assessment with ``set`` applied (an earlier state, the note's what-if)
  function showSet(set) {
    controls.querySelectorAll("[data-field]").forEach(function (el) {
      var field = el.dataset.field;
      show(el, field in set ? set[field] : get(original, field));
    });
  }
  // the edits of each re-plan, oldest first: Undo goes back one
  var done = [{}];
  var undo = document.getElementById("undo");
  function remember(set) {
    if (!same(done[done.length - 1], set)) done.push(set);
    undo.disabled = done.length < 2;
  }
  function shown(set) {
    var edited = Object.keys(set).length > 0, caption = document.getElementById("after-caption");
    caption.textContent = edited ? caption.dataset.changed : caption.dataset.as;
    document.getElementById("dl-mark").hidden = !edited;
  }

  function update() {
    var mine = ++seq, set = edits();
    status.textContent = "planning...";
    post("/ui/update", {assessment: original, set: set, baseline: baseline}).then(function (res) {
      if (mine !== seq) return;
      if (!res.ok) { status.textContent = res.data.error.message; status.className = "error"; return; }
      status.className = "meta";
      status.textContent = res.data.changed ? "re-planned: differences marked" : "re-planned: plan unchanged";
      document.getElementById("map").innerHTML = res.data.map;
      document.getElementById("state").innerHTML = res.data.state;
      document.getElementById("plan").innerHTML = res.data.plan;
      document.getElementById("changes").innerHTML = res.data.changes;
      markMap();
      remember(set);
      shown(set);
      document.body.setAttribute("data-plan-version", String(mine));
      if (document.getElementById("stepper").open) loadSteps();
    }).catch(function () { status.textContent = "the server did not answer"; });
  }
  function schedule() { clearTimeout(pending); pending = setTimeout(update, 150); }

  controls.addEventListener("input", function (e) {
    var el = e.target;
    if (el.type === "range") {
      el.nextElementSibling.textContent = el.value;
      var box = controls.querySelector('input.rated[data-for="' + el.id + '"]');
      if (box) box.checked = true;
      delete el.dataset.unset;
    }
    if (el.type === "range" || el.type === "checkbox" || el.tagName === "SELECT") schedule();
  });
  controls.addEventListener("change", schedule);
  controls.addEventListener("submit", function (e) { e.preventDefault(); });
  function apply(set) { showSet(set); clearTimeout(pending); update(); }
  document.getElementById("reset").addEventListener("click", function () { apply({}); });
  undo.addEventListener("click", function () {
    if (done.length < 2) return;
    done.pop();
    apply(done[done.length - 1]);
  });
  var tryIt = document.getElementById("try");
  if (tryIt) tryIt.addEventListener("click", function () {
    apply(Object.assign(edits(), JSON.parse(tryIt.dataset.set)));
    document.getElementById("see").hidden = false;
  });
  document.getElementById("compare").addEventListener("click", function (e) {
    var on = e.currentTarget.getAttribute("aria-pressed") !== "true";
    e.currentTarget.setAttribute("aria-pressed", String(on));
    document.getElementById("before").hidden = !on;
    document.getElementById("map-panel").classList.toggle("comparing", on);
  });
  // on a phone the controls start folded, so the map comes first
  if (window.matchMedia("(max-width: 47.99rem)").matches) document.getElementById("controls-box").open = false;

  // why and why-not
  document.getElementById("plan").addEventListener("click", function (e) {
    var button = e.target.closest("button.why");
    if (!button) return;
    var body = {assessment: original, set: edits(), target: button.dataset.target, kind: button.dataset.kind};
    post("/api/why", body).then(function (res) {
      var panel = document.getElementById("why-panel");
      panel.hidden = false;
      // the sentence and the tree come rendered (and escaped) by the server, as the plan does
      document.getElementById("why-answer").innerHTML = res.ok ? res.data.html : "";
      document.getElementById("why").textContent = res.ok ? res.data.text : res.data.error.message;
      document.getElementById("why-rules").open = !res.ok;
      panel.scrollIntoView({block: "nearest"});
    });
  });
  document.getElementById("why-close").addEventListener("click", function () {
    document.getElementById("why-panel").hidden = true;
  });

  // step-through
  function showFiring() {
    var box = document.getElementById("firing");
    box.textContent = "";
    if (!firings.length) { box.textContent = "No firings."; return; }
    var f = firings[pos];
    var h = document.createElement("h3");
    h.textContent = "#" + f.n + " " + f.rule + ": " + f.title;
    var layer = document.createElement("p");
    layer.className = "meta";
    layer.textContent = "Layer " + f.layerNumber + ": " + f.layer;
    var because = document.createElement("p");
    because.textContent = f.because;
    var list = document.createElement("ul");
    f.matched.forEach(function (m) {
      var li = document.createElement("li"); li.textContent = "matched " + m.pattern + ": " + m.fact; list.appendChild(li);
    });
    var concl = document.createElement("li");
    concl.textContent = "concluded: " + (f.concluded.length ? f.concluded.join("; ") : "nothing new");
    list.appendChild(concl);
    box.append(layer, h, because, list);
    document.getElementById("step-count").textContent = (pos + 1) + " of " + firings.length;
    document.getElementById("step-layer").value = String(f.layerIndex);
  }
  // a firing is the same firing after a re-plan when its rule matched the same facts: the
  // stepper stays on it (else on the same rule in its layer, else at the start of the layer)
  function identity(f) { return f ? f.rule + "|" + f.matched.map(function (m) { return m.fact; }).join("|") : ""; }
  function loadSteps() {
    var was = firings[pos];
    post("/ui/steps", {assessment: original, set: edits()}).then(function (res) {
      if (!res.ok) return;
      firings = []; layerStart = [];
      res.data.layers.forEach(function (layer, i) {
        layerStart[i] = firings.length;
        layer.firings.forEach(function (f) {
          f.layer = layer.name; f.layerNumber = layer.number; f.layerIndex = i; firings.push(f);
        });
      });
      pos = Math.min(pos, Math.max(firings.length - 1, 0));
      if (was) {
        var same = firings.findIndex(function (f) { return identity(f) === identity(was); });
        var rule = firings.findIndex(function (f) { return f.rule === was.rule; });
        pos = same >= 0 ? same : rule >= 0 ? rule : (layerStart[was.layerIndex] || 0);
      }
      showFiring();
    });
  }
  document.getElementById("stepper").addEventListener("toggle", function (e) { if (e.target.open) loadSteps(); });
  document.getElementById("step-first").addEventListener("click", function () { pos = 0; showFiring(); });
  document.getElementById("step-prev").addEventListener("click", function () { if (pos > 0) pos--; showFiring(); });
  document.getElementById("step-next").addEventListener("click", function () {
    if (pos < firings.length - 1) pos++; showFiring();
  });
  document.getElementById("step-layer").addEventListener("change", function (e) {
    var start = layerStart[Number(e.target.value)];
    if (start !== undefined && start < firings.length) { pos = start; showFiring(); }
  });

  // downloads carry the assessment and the edits
  document.getElementById("download").addEventListener("submit", function () {
    document.getElementById("dl-assessment").value = JSON.stringify(original);
    document.getElementById("dl-set").value = JSON.stringify(edits());
  });
})();
