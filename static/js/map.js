// Progressive enhancement: draws the listed results on a Leaflet map. The list stays the default.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") return;
  var points = JSON.parse(document.getElementById("map-points").textContent);
  var tiles = JSON.parse(document.getElementById("map-tiles").textContent);
  var map = L.map(element, { scrollWheelZoom: false }).setView([39.5, -98.35], 4);
  L.tileLayer(tiles.url, { maxZoom: 18, attribution: tiles.attribution }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.title;
    var box = document.createElement("div");
    box.appendChild(link);
    if (p.place) {
      var place = document.createElement("div");
      place.textContent = p.place;
      box.appendChild(place);
    }
    L.marker([p.lat, p.lon], { title: p.title, alt: p.title }).addTo(map).bindPopup(box);
    bounds.push([p.lat, p.lon]);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
})();
