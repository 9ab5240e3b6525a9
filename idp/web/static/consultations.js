// 问题描述's live counter (0/500): the characters typed, counted as the server counts them
// (code points, a line break as one), shown in red beyond the limit. The server enforces the
// limit anyway. A file of our own origin: the Content-Security-Policy allows no inline script.
document.querySelectorAll("textarea[data-max][data-counter]").forEach(function (area) {
  var max = parseInt(area.getAttribute("data-max"), 10);
  var count = document.getElementById(area.getAttribute("data-counter"));
  function update() {
    var n = Array.from(area.value.trim()).length;
    count.textContent = String(n);
    count.parentNode.classList.toggle("over", n > max);
  }
  area.addEventListener("input", update);
  update();
});
