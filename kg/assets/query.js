/* kg serve's query page: named queries from /query/named.json, answers from /sparql shown as a table.
   Every string from the graph or the server reaches the DOM through textContent, never innerHTML. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var state = window.kgQuery = { ready: false, library: [], prefixes: {}, running: false, last: null };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function shorten(iri) {
    var best = "", base = "";
    Object.keys(state.prefixes).forEach(function (name) {
      var b = state.prefixes[name];
      if (iri.indexOf(b) === 0 && b.length > base.length && /^[\w\-.]*$/.test(iri.slice(b.length))) {
        best = name; base = b;
      }
    });
    return base ? best + ":" + iri.slice(base.length) : "<" + iri + ">";
  }

  function cell(term) {
    var td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      var span = el("span", "iri", shorten(term.value));
      span.title = term.value;
      td.appendChild(span);
      td.setAttribute("data-iri", term.value);
    } else if (term.type === "bnode") {
      td.appendChild(el("span", "iri", "_:" + term.value));
    } else {
      td.appendChild(document.createTextNode(term.value));
      if (term["xml:lang"]) td.appendChild(el("span", "lang", "@" + term["xml:lang"]));
      else if (term.datatype) td.appendChild(el("span", "dt", shorten(term.datatype)));
    }
    return td;
  }

  function clear() {
    $("error").hidden = true;
    $("error").textContent = "";
    $("graph").hidden = true;
    $("graph").textContent = "";
    var table = $("results");
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren();
  }

  function showTable(data) {
    var table = $("results"), head = el("tr"), body = table.tBodies[0];
    if (typeof data.boolean === "boolean") {
      head.appendChild(el("th", null, "ASK"));
      table.tHead.appendChild(head);
      var tr = el("tr");
      tr.appendChild(el("td", null, data.boolean ? "yes (true)" : "no (false)"));
      body.appendChild(tr);
      return 1;
    }
    var vars = data.head.vars || [];
    head.appendChild(el("th", "num", "#"));
    vars.forEach(function (v) { head.appendChild(el("th", null, "?" + v)); });
    table.tHead.appendChild(head);
    var fragment = document.createDocumentFragment();
    data.results.bindings.forEach(function (row, i) {
      var tr = el("tr");
      tr.appendChild(el("td", "num", i + 1));
      vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
      fragment.appendChild(tr);
    });
    body.appendChild(fragment);
    return data.results.bindings.length;
  }

  // labels for the entities in a table: one more query, built from IRIs the server returned
  // (an IRI cannot hold "<", ">", quotes or spaces, so it is safe between angle brackets)
  function addLabels() {
    var cells = Array.from(document.querySelectorAll("#results td[data-iri]"));
    var iris = [];
    cells.forEach(function (td) {
      var iri = td.getAttribute("data-iri");
      if (iris.indexOf(iri) < 0 && iris.length < 300 && !/[<>"{}|^`\\\s]/.test(iri)) iris.push(iri);
    });
    if (!iris.length) return Promise.resolve();
    var text = "SELECT ?s ?l WHERE { VALUES ?s { " + iris.map(function (i) { return "<" + i + ">"; }).join(" ") +
      " } ?s rdfs:label ?l }";
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json" },
      body: new URLSearchParams({ query: text }).toString()
    }).then(function (response) { return response.ok ? response.json() : null; }).then(function (data) {
      if (!data) return;
      var labels = {}, rank = { "zh-hant": 0, "zh-hans": 1, "en": 2 };
      data.results.bindings.forEach(function (b) {
        var r = rank[(b.l["xml:lang"] || "").toLowerCase()];
        r = r === undefined ? 3 : r;
        var seen = labels[b.s.value];
        if (!seen || r < seen.r) labels[b.s.value] = { r: r, text: b.l.value };
      });
      cells.forEach(function (td) {
        var label = labels[td.getAttribute("data-iri")];
        if (label) td.appendChild(el("div", "label", label.text));
      });
    }).catch(function () {});
  }

  function updateCsvLink() {
    var params = new URLSearchParams({ query: $("text").value, format: "csv" });
    $("csv").href = "/sparql?" + params.toString();
  }

  function run() {
    if (state.running) return Promise.resolve();
    var text = $("text").value;
    state.running = true;
    $("run").disabled = true;
    $("status").textContent = "Running…";
    clear();
    var started = performance.now();
    return fetch("/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
      body: new URLSearchParams({ query: text }).toString()
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      return response.text().then(function (body) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) {
          $("error").textContent = "HTTP " + response.status + ": " + body;
          $("error").hidden = false;
          $("status").textContent = "Failed after " + ms + " ms";
          state.last = { ok: false, status: response.status };
          return;
        }
        if (type.indexOf("json") >= 0) {
          var rows = showTable(JSON.parse(body));
          $("status").textContent = rows + (rows === 1 ? " row" : " rows") + " in " + ms + " ms";
          return addLabels().then(function () { state.last = { ok: true, rows: rows }; });
        } else {
          $("graph").textContent = body;
          $("graph").hidden = false;
          $("status").textContent = "Graph answer (" + type.split(";")[0] + ") in " + ms + " ms";
          state.last = { ok: true, rows: null };
        }
      });
    }).catch(function (error) {
      $("error").textContent = "The server did not answer: " + error;
      $("error").hidden = false;
      $("status").textContent = "";
      state.last = { ok: false, status: 0 };
    }).then(function () {
      state.running = false;
      $("run").disabled = false;
    });
  }
  state.run = run;

  function pick(name) {
    var query = state.library.filter(function (q) { return q.name === name; })[0];
    $("named").value = query ? name : "";
    $("question").textContent = query ? query.question : "";
    if (query) $("text").value = query.text;
    updateCsvLink();
  }
  state.pick = pick;

  $("named").addEventListener("change", function () {
    pick($("named").value);
    if ($("named").value) history.replaceState(null, "", "#" + encodeURIComponent($("named").value));
  });
  $("text").addEventListener("input", updateCsvLink);
  $("text").addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); run(); }
  });
  $("run").addEventListener("click", function () { run(); });

  fetch("/query/named.json", { headers: { "Accept": "application/json" } })
    .then(function (response) { return response.json(); })
    .then(function (info) {
      state.library = info.queries || [];
      state.prefixes = info.prefixes || {};
      var select = $("named");
      state.library.forEach(function (q) {
        var option = el("option", null, "@" + q.name + (q.question ? " — " + q.question : ""));
        option.value = q.name;
        select.appendChild(option);
      });
      $("about").textContent = info.triples + " triples · " + state.library.length + " named queries · time limit " +
        info.timeout + " s · at most " + info.max_rows + " rows. Read-only.";
      var wanted = decodeURIComponent(location.hash.slice(1));
      if (wanted) pick(wanted); else updateCsvLink();
    })
    .catch(function (error) { $("about").textContent = "Could not load the named queries: " + error; })
    .then(function () { state.ready = true; });
})();
