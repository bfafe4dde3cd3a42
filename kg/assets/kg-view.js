/* kg HTML views: builds the network, legend/filters, search and evidence panel from #kg-data.
   Every string from the graph reaches the DOM through textContent, never innerHTML. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kg-data").textContent);
  var GLYPH = { dot: "\u25cf", diamond: "\u25c6", square: "\u25a0", triangle: "\u25b2", triangleDown: "\u25bc", star: "\u2605", hexagon: "\u2b22" };
  var view = window.kgView = { ready: false, data: D };
  var t0 = performance.now();

  // ---- helpers: every string from the graph goes into the DOM through textContent
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "cls") node.className = attrs[k];
      else if (k === "style") node.style.cssText = attrs[k];
      else if (k === "onclick") node.addEventListener("click", attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c != null) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  var T2S = {};
  var chars = Array.from(D.t2s);
  for (var i = 0; i + 1 < chars.length; i += 2) T2S[chars[i]] = chars[i + 1];
  function norm(s) {
    return Array.from(String(s).toLowerCase().replace(/\s+/g, "")).map(function (c) { return T2S[c] || c; }).join("");
  }
  function name(e) { return e.l[0] || e.l[1] || e.l[2] || e.id; }
  function pageHref(e) { return D.href + encodeURIComponent(e.id) + ".html"; }

  var E = D.entities, C = D.classes, P = D.predicates;
  E.forEach(function (e, i) {
    e.i = i;
    e.key = norm([e.l[0], e.l[1], e.l[2], e.id].concat(e.a || []).join("\u0001"));
    e.drawn = typeof e.x === "number";
    e.rels = [];
  });
  D.edges.forEach(function (r, k) { E[r[0]].rels.push(k); if (r[2] !== r[0]) E[r[2]].rels.push(k); });

  // ---- header
  document.getElementById("title").textContent = D.title;
  document.getElementById("note").textContent = D.note || "";
  document.title = document.title || D.title;
  var nav = document.getElementById("nav");
  if (D.focus !== null) nav.appendChild(el("a", { href: "../graph.html", text: "\u2190 全圖 Overview" }));

  // ---- network data
  var nodeRows = [], edgeRows = [], pairKey = {};
  E.forEach(function (e) {
    if (!e.drawn) return;
    var c = C[e.c];
    var focus = D.focus === e.id;
    nodeRows.push({ id: e.i, x: e.x, y: e.y, label: name(e), value: e.d, shape: c[3],
      color: { background: c[2], border: focus ? "#000" : c[2], highlight: { background: c[2], border: "#000" }, hover: { background: c[2], border: "#333" } },
      borderWidth: focus ? 4 : 1 });
  });
  D.edges.forEach(function (r, k) {
    var key = r[0] + ">" + r[2];
    if (pairKey[key] === undefined) { pairKey[key] = edgeRows.length; edgeRows.push({ id: key, from: r[0], to: r[2], facts: [] }); }
    edgeRows[pairKey[key]].facts.push(k);
  });
  edgeRows.forEach(function (row) {
    var back = pairKey[row.to + ">" + row.from] !== undefined && row.to !== row.from;
    row.arrows = "to";
    row.color = { color: P[D.edges[row.facts[0]][1]][2], opacity: 0.75 };
    row.smooth = back ? { enabled: true, type: "curvedCW", roundness: 0.2 } : false;
    row.width = Math.min(1 + row.facts.length, 4);
  });
  var nodes = new vis.DataSet(nodeRows), edges = new vis.DataSet(edgeRows);
  var big = nodeRows.length > 400;
  var network = new vis.Network(document.getElementById("network"), { nodes: nodes, edges: edges }, {
    autoResize: true,
    physics: false,
    layout: { improvedLayout: false, randomSeed: 1 },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, multiselect: false },
    nodes: { scaling: { min: 7, max: 34, label: { enabled: true, min: 12, max: 22, drawThreshold: 3 } },
             font: { size: 13, face: "sans-serif", strokeWidth: 3, strokeColor: "#ffffff" } },
    edges: { selectionWidth: 2, arrows: { to: { scaleFactor: 0.5 } } }
  });
  view.network = network; view.nodes = nodes; view.edges = edges;
  network.once("afterDrawing", function () {
    view.drawMs = performance.now() - t0;       // script start -> first complete frame
    view.readyAt = performance.now();           // navigation start -> first complete frame
    view.ready = true;
    document.body.setAttribute("data-ready", "1");
    if (D.focus !== null) { var f = E.filter(function (e) { return e.id === D.focus; })[0]; if (f) showEntity(f.i, false); }
  });

  // ---- filters and legend
  var hiddenClass = {}, hiddenPred = {};
  function count(list, f) { var n = {}; list.forEach(function (x) { var k = f(x); if (k !== undefined) n[k] = (n[k] || 0) + 1; }); return n; }
  var classCount = count(E.filter(function (e) { return e.drawn; }), function (e) { return e.c; });
  var predCount = count(D.edges, function (r) { return r[1]; });
  function checkbox(id, on, change) {
    var box = el("input", { type: "checkbox", id: id });
    box.checked = on;
    box.addEventListener("change", function () { change(box.checked); });
    return box;
  }
  C.forEach(function (c, k) {
    if (!classCount[k]) return;
    document.getElementById("class-filters").appendChild(el("label", null, [
      checkbox("class-" + c[0], true, function (on) { hiddenClass[k] = !on; applyFilters(); }),
      el("span", { cls: "glyph", style: "color:" + c[2], text: GLYPH[c[3]] || "\u25cf" }),
      el("span", { text: c[1] + " " + c[0] }), el("span", { cls: "count", text: String(classCount[k]) })]));
  });
  P.forEach(function (p, k) {
    if (!predCount[k]) return;
    document.getElementById("pred-filters").appendChild(el("label", null, [
      checkbox("pred-" + p[0], true, function (on) { hiddenPred[k] = !on; applyFilters(); }),
      el("span", { cls: "line", style: "background:" + p[2] }),
      el("span", { text: p[1] + " " + p[0] }), el("span", { cls: "count", text: String(predCount[k]) })]));
  });
  function applyFilters() {
    nodes.update(nodeRows.map(function (n) { return { id: n.id, hidden: !!hiddenClass[E[n.id].c] }; }));
    edges.update(edgeRows.map(function (row) {
      var shown = row.facts.some(function (k) { return !hiddenPred[D.edges[k][1]]; });
      return { id: row.id, hidden: !shown || !!hiddenClass[E[row.from].c] || !!hiddenClass[E[row.to].c] };
    }));
  }

  // ---- search
  var search = document.getElementById("search"), results = document.getElementById("results");
  function runSearch(q) {
    results.textContent = "";
    var nq = norm(q);
    if (!nq) { network.unselectAll(); return []; }
    var hits = E.filter(function (e) { return e.key.indexOf(nq) >= 0; });
    hits.sort(function (a, b) { return (b.drawn - a.drawn) || (b.d - a.d) || (a.id < b.id ? -1 : 1); });
    hits.slice(0, 40).forEach(function (e) {
      var c = C[e.c];
      var li = el("li", { "data-id": e.id }, [
        el("span", { cls: "glyph", style: "color:" + c[2], text: GLYPH[c[3]] || "\u25cf" }),
        el("b", { text: name(e) }), " ",
        el("span", { cls: "sub", text: [e.l[1], e.l[2], c[1]].filter(Boolean).join(" · ") + (e.drawn ? "" : " · 未畫出 not drawn \u2197") })]);
      li.addEventListener("click", function () { goTo(e); });
      results.appendChild(li);
    });
    if (hits.length > 40) results.appendChild(el("li", { cls: "sub", text: "… " + (hits.length - 40) + " more" }));
    network.selectNodes(hits.filter(function (e) { return e.drawn; }).map(function (e) { return e.i; }), false);
    view.lastHits = hits.map(function (e) { return e.id; });
    return hits;
  }
  search.addEventListener("input", function () { runSearch(search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { var first = results.querySelector("li[data-id]"); if (first) first.click(); }
    if (ev.key === "Escape") { results.textContent = ""; }
  });
  function goTo(e) {
    results.textContent = "";
    if (!e.drawn) { window.location.href = pageHref(e); return; }
    showEntity(e.i);
  }
  document.getElementById("reset").addEventListener("click", function () {
    search.value = ""; results.textContent = "";
    hiddenClass = {}; hiddenPred = {};
    document.querySelectorAll("aside input[type=checkbox]").forEach(function (b) { b.checked = true; });
    applyFilters(); closePanel(); network.unselectAll(); network.fit({ animation: false });
  });

  // ---- panel
  var panel = document.getElementById("panel");
  function openPanel() {
    if (!panel.classList.contains("open")) { panel.classList.add("open"); network.setSize("100%", "100%"); network.redraw(); }
  }
  function closePanel() {
    if (panel.classList.contains("open")) { panel.classList.remove("open"); network.setSize("100%", "100%"); network.redraw(); }
    panel.textContent = "";
  }
  var UNDATED = "無日期 undated";
  function dateOf(s) { var doc = D.docs[D.sentences[s][1]]; return doc ? doc[2] || "" : ""; }
  function source(s) {
    var doc = D.docs[D.sentences[s][1]];
    return doc ? [doc[1] ? "《" + doc[1] + "》" : "", doc[0], doc[2] || UNDATED].filter(Boolean).join(" · ") : "";
  }
  // evidence sentences in date order, undated last (then by file and sentence)
  function byDate(a, b) {
    var da = dateOf(a), db = dateOf(b);
    if (da !== db) return !da ? 1 : !db ? -1 : (da < db ? -1 : 1);
    var fa = source(a), fb = source(b);
    return fa !== fb ? (fa < fb ? -1 : 1) : (D.sentences[a][0] < D.sentences[b][0] ? -1 : 1);
  }
  function evidence(ids) {
    if (!ids || !ids.length) return el("p", { cls: "muted", text: "（無證據句 no evidence sentence）" });
    var box = el("div");
    ids.slice().sort(byDate).forEach(function (s) {
      box.appendChild(el("div", { cls: "ev" }, [el("p", { cls: "sentence", text: D.sentences[s][0] }), el("p", { cls: "src", text: source(s) })]));
    });
    return box;
  }
  // when a fact was first and last stated, over its evidence sentences' document dates
  function when(ids) {
    var dates = [], undated = 0;
    (ids || []).forEach(function (s) { var d = dateOf(s); if (d) dates.push(d); else undated++; });
    dates.sort();
    var text;
    if (!dates.length) text = ids && ids.length ? "來源無日期 no dated source" : "";
    else if (dates[0] === dates[dates.length - 1]) text = "陳述於 stated " + dates[0];
    else text = "首次 first stated " + dates[0] + " · 最近 last stated " + dates[dates.length - 1];
    if (dates.length && undated) text += " · 另有 " + undated + " 句無日期 " + undated + " undated";
    return text ? el("p", { cls: "when", "data-first": dates[0] || "", "data-last": dates[dates.length - 1] || "", text: text }) : null;
  }
  function entButton(e) {
    return el("button", { cls: "ent", type: "button", "data-id": e.id, text: name(e) + (e.l[2] && e.l[2] !== name(e) ? " (" + e.l[2] + ")" : ""),
      onclick: function () { showEntity(e.i); } });
  }
  function predText(p) { return P[p][1] + " " + P[p][0]; }
  function showEntity(i, move) {
    var e = E[i], c = C[e.c];
    panel.textContent = "";
    panel.setAttribute("data-entity", e.id);
    panel.appendChild(el("button", { cls: "close", type: "button", text: "\u00d7", title: "close", onclick: closePanel }));
    panel.appendChild(el("h2", { text: name(e) }));
    panel.appendChild(el("div", { cls: "labels", text: [e.l[1] && "简 " + e.l[1], e.l[2] && "EN " + e.l[2]].filter(Boolean).join(" · ") }));
    if (e.a) panel.appendChild(el("div", { cls: "alts", text: "別名 also: " + e.a.join("、") }));
    panel.appendChild(el("p", null, [el("span", { cls: "swatch", style: "background:" + c[2] }), el("span", { cls: "class", text: c[1] + " " + c[0] })]));
    if (e.te) { panel.appendChild(el("h4", { text: "類別證據 type evidence" })); panel.appendChild(evidence(e.te)); }
    if (D.focus !== e.id) panel.appendChild(el("p", null, [el("a", { href: pageHref(e), text: "實體頁 entity page \u2197" })]));
    var timeline = [];   // [sentence id, fact text] for every statement about the entity
    if (e.at && e.at.length) {
      panel.appendChild(el("h3", { text: "數據 Figures" }));
      e.at.forEach(function (a) {
        panel.appendChild(el("h4", { text: a[0] + " = " + a[1] }));
        var w = when(a[2]);
        if (w) panel.appendChild(w);
        panel.appendChild(evidence(a[2]));
        a[2].forEach(function (s) { timeline.push([s, a[0] + " = " + a[1]]); });
      });
    }
    var groups = {}, order = [];
    e.rels.forEach(function (k) {
      var r = D.edges[k], out = r[0] === i, key = r[1] + (out ? ">" : "<");
      if (!groups[key]) { groups[key] = []; order.push(key); }
      groups[key].push({ other: E[out ? r[2] : r[0]], ev: r[3] });
      var fact = name(E[r[0]]) + " \u2014 " + predText(r[1]) + " \u2192 " + name(E[r[2]]);
      r[3].forEach(function (s) { timeline.push([s, fact]); });
    });
    order.sort(function (a, b) { return parseInt(a, 10) - parseInt(b, 10) || (a < b ? 1 : -1); });
    panel.appendChild(el("h3", { text: "關係 Relations (" + e.rels.length + ")" }));
    if (!order.length) panel.appendChild(el("p", { cls: "muted", text: "（無 none）" }));
    order.forEach(function (key) {
      var p = parseInt(key, 10), out = key.slice(-1) === ">";
      panel.appendChild(el("h4", { "data-predicate": P[p][0], text: out ? predText(p) + " \u2192" : "\u2190 " + predText(p) }));
      var ul = el("ul");
      groups[key].sort(function (a, b) { return b.other.d - a.other.d || (a.other.id < b.other.id ? -1 : 1); });
      groups[key].forEach(function (g) { ul.appendChild(el("li", { cls: "rel" }, [entButton(g.other), when(g.ev), evidence(g.ev)])); });
      panel.appendChild(ul);
    });
    // ---- timeline: every statement about the entity by its document's date, undated last
    panel.appendChild(el("h3", { text: "時間線 Timeline (" + timeline.length + ")" }));
    if (!timeline.length) panel.appendChild(el("p", { cls: "muted", text: "（無 none）" }));
    timeline.sort(function (a, b) { return byDate(a[0], b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0); });
    var tl = el("ol", { cls: "timeline" }), lastDate = null;
    timeline.forEach(function (t) {
      var d = dateOf(t[0]) || UNDATED;
      if (d !== lastDate) { tl.appendChild(el("li", { cls: "date", text: d })); lastDate = d; }
      tl.appendChild(el("li", { cls: "stmt", "data-date": dateOf(t[0]) }, [
        el("p", { cls: "fact", text: t[1] }),
        el("div", { cls: "ev" }, [el("p", { cls: "sentence", text: D.sentences[t[0]][0] }), el("p", { cls: "src", text: source(t[0]) })])]));
    });
    panel.appendChild(tl);
    if (e.d > countNeighbours(e)) {
      panel.appendChild(el("p", { cls: "muted" }, [(e.d - countNeighbours(e)) + " 個鄰居不在本圖中 neighbours not drawn here: ", el("a", { href: pageHref(e), text: "實體頁 entity page \u2197" })]));
    }
    openPanel();
    view.panelEntity = e.id;
    if (e.drawn) {
      network.selectNodes([i], false);
      if (move !== false) network.focus(i, { scale: Math.max(network.getScale(), 0.9), animation: { duration: 300, easingFunction: "easeInOutQuad" } });
      else network.fit({ animation: false });
    }
  }
  function countNeighbours(e) {
    var seen = {};
    e.rels.forEach(function (k) { var r = D.edges[k]; seen[r[0] === e.i ? r[2] : r[0]] = 1; });
    return Object.keys(seen).length;
  }
  function showEdge(id) {
    var row = edges.get(id);
    if (!row) return;
    panel.textContent = "";
    panel.setAttribute("data-entity", "");
    panel.appendChild(el("button", { cls: "close", type: "button", text: "\u00d7", title: "close", onclick: closePanel }));
    panel.appendChild(el("h2", { text: "關係證據 Evidence" }));
    row.facts.forEach(function (k) {
      var r = D.edges[k];
      panel.appendChild(el("h4", { "data-predicate": P[r[1]][0] }, [entButton(E[r[0]]), " \u2014 " + predText(r[1]) + " \u2192 ", entButton(E[r[2]])]));
      panel.appendChild(evidence(r[3]));
    });
    openPanel();
  }
  view.showEntity = function (id) { var e = E.filter(function (x) { return x.id === id; })[0]; if (e) showEntity(e.i); };
  view.search = runSearch;

  // ---- network events
  var tooltip = document.getElementById("tooltip");
  network.on("click", function (p) {
    if (p.nodes.length) showEntity(p.nodes[0]);
    else if (p.edges.length) showEdge(p.edges[0]);
    else closePanel();
  });
  network.on("doubleClick", function (p) { if (p.nodes.length && D.focus !== E[p.nodes[0]].id) window.location.href = pageHref(E[p.nodes[0]]); });
  network.on("hoverNode", function (p) {
    var e = E[p.node], c = C[e.c];
    tooltip.textContent = "";
    tooltip.appendChild(el("b", { text: name(e) }));
    [["简", e.l[1]], ["EN", e.l[2]], ["", c[1] + " " + c[0] + " · " + e.d + " links"]].forEach(function (kv) {
      if (kv[1]) tooltip.appendChild(el("div", { text: (kv[0] ? kv[0] + " " : "") + kv[1] }));
    });
    tooltip.style.left = (p.pointer.DOM.x + 12) + "px"; tooltip.style.top = (p.pointer.DOM.y + 12) + "px";
    tooltip.style.display = "block";
  });
  network.on("hoverEdge", function (p) {
    var row = edges.get(p.edge);
    tooltip.textContent = "";
    row.facts.forEach(function (k) { var r = D.edges[k]; tooltip.appendChild(el("div", { text: name(E[r[0]]) + " \u2014 " + predText(r[1]) + " \u2192 " + name(E[r[2]]) })); });
    tooltip.style.left = (p.pointer.DOM.x + 12) + "px"; tooltip.style.top = (p.pointer.DOM.y + 12) + "px";
    tooltip.style.display = "block";
  });
  network.on("blurNode", function () { tooltip.style.display = "none"; });
  network.on("blurEdge", function () { tooltip.style.display = "none"; });
  network.on("dragStart", function () { tooltip.style.display = "none"; });
})();
