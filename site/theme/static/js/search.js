/* Search over the static index (affiche/publish/search_index.py): fetched on the first search,
   matched here. Words match the start of an item's words, accents and case aside; every word
   must match. Results are built with textContent: nothing from the index becomes markup. */
(function () {
  "use strict";
  var script = document.currentScript;
  var shards = Number(script.getAttribute("data-shards"));
  var form = document.getElementById("search-form");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var kinds = { event: "Event", group: "Group", post: "Post" };
  var loading = null;

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function terms(text) { return fold(text).match(/[\p{L}\p{N}]+/gu) || []; }

  function load() {
    if (!loading) {
      var parts = [];
      for (var n = 0; n < shards; n++) {
        parts.push(fetch("/search/index/" + (n < 10 ? "0" : "") + n + ".json")
          .then(function (r) { return r.ok ? r.json() : { docs: [] }; })
          .catch(function () { return { docs: [] }; }));
      }
      loading = Promise.all(parts).then(function (all) {
        var docs = [];
        all.forEach(function (part) {
          part.docs.forEach(function (d) { d.terms = d.words.split(" "); docs.push(d); });
        });
        var tags = {};
        docs.forEach(function (d) { d.tags.forEach(function (t) { tags[t] = true; }); });
        var datalist = document.getElementById("search-tags");
        Object.keys(tags).sort().forEach(function (t) {
          var option = document.createElement("option");
          option.value = t;
          datalist.appendChild(option);
        });
        return docs;
      });
    }
    return loading;
  }

  function score(doc, words) {
    var title = terms(doc.title), total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i], hit = 0;
      if (title.some(function (t) { return t.indexOf(w) === 0; })) hit += 3;
      if (doc.terms.some(function (t) { return t.indexOf(w) === 0; })) hit += 1;
      if (!hit) return 0;
      total += hit;
    }
    return total || 1;
  }

  function search(query) {
    var words = terms(query.get("q"));
    var tag = fold(query.get("tag")).replace(/^#/, "").trim();
    var from = query.get("from") || "", to = query.get("to") || "", kind = query.get("kind") || "";
    if (!words.length && !tag && !from && !to) { status.textContent = ""; list.textContent = ""; return; }
    status.textContent = "Searching…";
    load().then(function (docs) {
      var found = [];
      docs.forEach(function (d) {
        if (kind && d.kind !== kind) return;
        if (tag && d.tags.indexOf(tag) < 0) return;
        if ((from || to) && !d.date) return;
        if (from && d.date < from) return;
        if (to && d.date > to) return;
        var s = score(d, words);
        if (s) found.push([s, d]);
      });
      found.sort(function (a, b) {
        return b[0] - a[0] || (a[1].start < b[1].start ? -1 : a[1].start > b[1].start ? 1 : 0);
      });
      show(found.map(function (pair) { return pair[1]; }));
    });
  }

  function show(docs) {
    list.textContent = "";
    status.textContent = docs.length ? docs.length + (docs.length === 1 ? " result" : " results")
      : "Nothing matches. Try fewer words, or another tag or date.";
    docs.slice(0, 100).forEach(function (d) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = d.url;
      link.textContent = d.title;
      var meta = document.createElement("small");
      meta.textContent = [kinds[d.kind], d.cancelled ? "cancelled" : "", d.when, d.where,
                          d.kind === "group" ? "" : "@" + d.group].filter(Boolean).join(" · ");
      item.append(link, " ", meta);
      if (d.summary) {
        var summary = document.createElement("p");
        summary.textContent = d.summary;
        item.append(summary);
      }
      list.appendChild(item);
    });
  }

  var params = new URLSearchParams(location.search);
  params.forEach(function (value, name) {
    if (form.elements[name]) form.elements[name].value = value;
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = new URLSearchParams(new FormData(form));
    history.replaceState(null, "", "?" + query.toString());
    search(query);
  });
  search(params);
})();
