// Tables on a phone: each row becomes a card whose cells carry their column's name (geste.css
// shows it before the value under 40rem). This script writes that name on each cell
// (data-label) and keeps the table's meaning for screen readers once CSS stacks it (explicit
// table roles: a table displayed as blocks loses them in some browsers). Without the script
// the table stays a table. Run on load and on each htmx swap.
(function () {
  "use strict";
  function label(root) {
    var tables = (root.querySelectorAll ? root : document).querySelectorAll("main table");
    if (root.matches && root.matches("main table")) { tables = [root]; }
    Array.prototype.forEach.call(tables, function (table) {
      var head = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
      if (!head) { return; }
      var names = [];
      Array.prototype.forEach.call(head.cells, function (th) {
        for (var i = 0; i < (th.colSpan || 1); i++) { names.push(th.textContent.trim()); }
      });
      table.setAttribute("role", "table");
      Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (g) {
        g.setAttribute("role", "rowgroup");
      });
      Array.prototype.forEach.call(table.rows, function (tr) {
        tr.setAttribute("role", "row");
        var col = 0;
        Array.prototype.forEach.call(tr.cells, function (cell) {
          if (tr.parentNode === table.tHead) {
            cell.setAttribute("role", "columnheader");
          } else {
            cell.setAttribute("role", cell.tagName === "TH" ? "rowheader" : "cell");
            cell.setAttribute("data-label", names[col] || "");
          }
          col += cell.colSpan || 1;
        });
      });
      table.classList.add("stack");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { label(document); });
  document.addEventListener("htmx:afterSettle", function (event) { label(event.target); });
})();
