// Carbon-intensity world map: countries from world-atlas (Natural Earth, offline), coloured by intensity;
// cloud markers coloured by their zone and ringed when a job runs there; arrows for past migrations.
import * as L from '/lib/leaflet/leaflet-src.esm.js';

const maps = new Map();
let shapesPromise = null;

const SCALE = [
    [100, '#1b7837'], [200, '#5aae61'], [300, '#d9f0a3'], [400, '#fee08b'],
    [500, '#fdae61'], [600, '#f46d43'], [Infinity, '#a50026'],
];
const UNKNOWN = '#cfd8dc';

export function colour(value) {
    if (value === null || value === undefined) return UNKNOWN;
    for (const [limit, c] of SCALE) if (value < limit) return c;
    return UNKNOWN;
}

async function loadShapes() {
    if (!shapesPromise) {
        shapesPromise = (async () => {
            await import('/lib/topojson-client/topojson-client.js');
            const [world, codes] = await Promise.all([
                fetch('/lib/world-atlas/countries-110m.json').then(r => r.json()),
                fetch('/lib/i18n-iso-countries/codes.json').then(r => r.json()),
            ]);
            const numericToAlpha2 = new Map(codes.map(c => [c[2], c[0]]));
            const geo = window.topojson.feature(world, world.objects.countries);
            // Antarctica has no grid data and its ring spans every longitude, which Leaflet draws as a band.
            geo.features = geo.features.filter(f => String(f.id) !== '010');
            for (const f of geo.features) {
                f.properties.alpha2 = numericToAlpha2.get(String(f.id).padStart(3, '0')) ?? null;
                unwrapAntimeridian(f.geometry);
            }
            return geo;
        })();
    }
    return shapesPromise;
}

export async function create(element, id, options) {
    // The page may already have been left (fast navigation): then there is nothing to draw into.
    if (!element || !element.isConnected) return false;
    const map = L.map(element, { worldCopyJump: true, minZoom: 1, zoomSnap: 0.25, attributionControl: true }).setView([25, 10], 1.5);
    if (options?.tileUrl) {
        L.tileLayer(options.tileUrl, { attribution: options.tileAttribution ?? '' }).addTo(map);
    }
    map.attributionControl.addAttribution('Shapes: Natural Earth via world-atlas · Carbon: Electricity Maps, ODbL');
    const geo = await loadShapes();
    if (!element.isConnected) {
        map.remove();
        return false;
    }
    const values = new Map();
    const countries = L.geoJSON(geo, {
        style: f => ({ fillColor: colour(values.get(f.properties.alpha2)?.g), fillOpacity: options?.tileUrl ? 0.55 : 0.9, color: '#607d8b', weight: 0.5 }),
        onEachFeature: (f, layer) => layer.bindTooltip(() => {
            const v = values.get(f.properties.alpha2);
            return `${f.properties.name}: ${v ? `${v.g} g/kWh (${v.q}, ${v.s})` : 'no data'}`;
        }, { sticky: true }),
    }).addTo(map);
    const centres = new Map();
    countries.eachLayer(layer => {
        const code = layer.feature.properties.alpha2;
        if (code) centres.set(code, layer.getBounds().getCenter());
    });
    const overlay = L.layerGroup().addTo(map);
    addLegend(map);
    maps.set(id, { map, countries, values, centres, overlay });
    return true;
}

function addLegend(map) {
    const legend = L.control({ position: 'bottomleft' });
    legend.onAdd = () => {
        const div = L.DomUtil.create('div', 'gc-map-legend');
        let from = 0;
        const rows = SCALE.map(([limit, c]) => {
            const label = limit === Infinity ? `≥ ${from}` : `${from}–${limit}`;
            from = limit;
            return `<div><i style="background:${c}"></i>${label}</div>`;
        });
        rows.push(`<div><i style="background:${UNKNOWN}"></i>no data</div>`);
        div.innerHTML = '<strong>gCO₂eq/kWh</strong>' + rows.join('');
        return div;
    };
    legend.addTo(map);
}

export function update(id, snapshot) {
    const entry = maps.get(id);
    if (!entry) return;
    entry.values.clear();
    for (const c of snapshot.countries) entry.values.set(c.code, { g: c.gramsPerKwh, q: c.quality, s: c.source });
    entry.countries.setStyle(f => ({ fillColor: colour(entry.values.get(f.properties.alpha2)?.g) }));

    entry.overlay.clearLayers();
    const positions = new Map();
    const perPlace = new Map();
    for (const cloud of snapshot.clouds) {
        let at = cloud.lat !== null && cloud.lon !== null ? L.latLng(cloud.lat, cloud.lon) : entry.centres.get(cloud.countryCode);
        if (!at) continue;
        // Several clouds in one zone fan out slightly so each marker stays clickable.
        const key = `${at.lat.toFixed(2)},${at.lng.toFixed(2)}`;
        const n = perPlace.get(key) ?? 0;
        perPlace.set(key, n + 1);
        at = L.latLng(at.lat + 1.2 * Math.sin(n * 2.1), at.lng + 1.2 * Math.cos(n * 2.1) * (n > 0 ? 1 : 0));
        positions.set(cloud.id, at);
        const marker = L.circleMarker(at, {
            radius: cloud.jobRunning ? 9 : 7,
            fillColor: colour(cloud.gramsPerKwh),
            fillOpacity: 1,
            color: cloud.jobRunning ? '#1565c0' : (cloud.reachable === false ? '#b71c1c' : '#263238'),
            weight: cloud.jobRunning ? 4 : 1.5,
            className: 'gc-cloud-marker' + (cloud.jobRunning ? ' gc-cloud-busy' : ''),
        });
        const value = cloud.gramsPerKwh === null ? 'no data' : `${cloud.gramsPerKwh} g/kWh (${cloud.quality}, ${cloud.source})`;
        marker.bindTooltip(`<strong>${escapeHtml(cloud.name)}</strong><br>${escapeHtml(cloud.zone)}: ${value}` +
            (cloud.threshold ? `<br>threshold ${cloud.threshold} g/kWh` : '') + (cloud.jobRunning ? '<br>job running' : ''));
        marker.addTo(entry.overlay);
    }
    for (const m of snapshot.migrations) {
        const from = positions.get(m.fromCloudId);
        const to = positions.get(m.toCloudId);
        if (!from || !to) continue;
        L.polyline([from, to], { color: '#1565c0', weight: 2.5, dashArray: '6 4', className: 'gc-migration-arrow' })
            .bindTooltip(escapeHtml(m.label)).addTo(entry.overlay);
        const angle = Math.atan2(to.lat - from.lat, to.lng - from.lng) * 180 / Math.PI;
        L.marker(to, {
            interactive: false,
            icon: L.divIcon({ className: 'gc-arrow-head', html: `<div style="transform: rotate(${-angle}deg)">➤</div>`, iconSize: [16, 16] }),
        }).addTo(entry.overlay);
    }
}

export function dispose(id) {
    const entry = maps.get(id);
    if (entry) {
        entry.map.remove();
        maps.delete(id);
    }
}

// Rings that cross the 180th meridian (Russia, Fiji) would be drawn as stripes across the whole map; shifting
// their western points by 360 degrees keeps each ring contiguous.
function unwrapAntimeridian(geometry) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
    for (const polygon of polygons) {
        for (const ring of polygon) {
            let crosses = false;
            for (let i = 1; i < ring.length; i++) {
                if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) { crosses = true; break; }
            }
            if (crosses) {
                for (const point of ring) if (point[0] < 0) point[0] += 360;
            }
        }
    }
}

function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, ch => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[ch]));
}
