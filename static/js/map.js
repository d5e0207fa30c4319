// Progressive enhancement: draws the listed results on a Leaflet map. The list stays the default.
// Pins closer than a few pixels are gathered into numbered clusters (Leaflet.markercluster):
// a click zooms in, and pins that share one spot (one ZIP code's centre) spread out, so every
// pin and its popup can be reached.
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || typeof L === "undefined") return;
  var points = JSON.parse(document.getElementById("map-points").textContent);
  var tiles = JSON.parse(document.getElementById("map-tiles").textContent);
  // A page asked for in a language (?lang=es) keeps it in the popups' links, like its others.
  var lang = new URLSearchParams(window.location.search).get("lang");
  var map = L.map(element, { scrollWheelZoom: false }).setView([39.5, -98.35], 4);
  L.tileLayer(tiles.url, { maxZoom: 18, attribution: tiles.attribution }).addTo(map);
  var layer = typeof L.markerClusterGroup === "function"
    ? L.markerClusterGroup({ maxClusterRadius: 40 })
    : L.featureGroup();
  var bounds = [];
  points.forEach(function (p) {
    var link = document.createElement("a");
    link.href = lang ? p.url + "?lang=" + encodeURIComponent(lang) : p.url;
    link.textContent = p.title;
    var box = document.createElement("div");
    box.appendChild(link);
    if (p.place) {
      var place = document.createElement("div");
      place.textContent = p.place;
      box.appendChild(place);
    }
    layer.addLayer(L.marker([p.lat, p.lon], { title: p.title, alt: p.title }).bindPopup(box));
    bounds.push([p.lat, p.lon]);
  });
  map.addLayer(layer);
  if (bounds.length) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 11 });
})();
