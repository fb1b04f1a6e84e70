/* Times in the visitor's own zone, beside the organiser's (which the page already shows in
   full): for each <time data-zone> whose zone gives another clock time than the visitor's. */
(function () {
  "use strict";
  var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var clock = { hour: "2-digit", minute: "2-digit" };
  document.querySelectorAll("time[data-zone]").forEach(function (el) {
    var start = new Date(el.getAttribute("datetime"));
    var zone = el.getAttribute("data-zone");
    if (!mine || zone === mine || isNaN(start)) return;
    var theirs = start.toLocaleString("en-GB", Object.assign({ timeZone: zone }, clock));
    var here = start.toLocaleString("en-GB", clock);
    if (theirs === here) return;
    var day = { weekday: "short", day: "numeric", month: "short" };
    var text = start.toLocaleString(undefined, Object.assign({}, day, clock));
    var end = el.getAttribute("data-end");
    if (end) {
      var until = new Date(end), sameDay = until.toDateString() === start.toDateString();
      text += " – " + until.toLocaleString(undefined, sameDay ? clock : Object.assign({}, day, clock));
    }
    var note = document.createElement("small");
    note.className = "local-time";
    note.textContent = " (" + text + " your time, " + mine.replace(/_/g, " ") + ")";
    el.after(note);
  });
})();
