// Runs before the page is drawn: the theme the person chose, so a dark page never flashes light.
try {
  var t = localStorage.getItem("eternego.theme");
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
} catch (e) {}
