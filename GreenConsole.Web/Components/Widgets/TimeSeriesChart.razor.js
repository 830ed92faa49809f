// One uPlot chart per element: lines over time (or bars over categories). The server sends aligned columns
// (x plus one array per series, null where a series has no point); this module only draws them.
import uPlot from '/lib/uplot/uPlot.esm.js';

const charts = new Map();
const PALETTE = ['#1b5e20', '#0d47a1', '#b71c1c', '#6a1b9a', '#e65100', '#006064', '#4e342e', '#37474f', '#827717', '#ad1457'];

function options(el, spec, width) {
    const categories = spec.categories ?? null;
    const series = [{ label: spec.xLabel ?? (categories ? '' : 'time'), value: categories ? (u, v) => categories[v] ?? '' : undefined }];
    spec.series.forEach((s, i) => {
        const colour = s.colour ?? PALETTE[i % PALETTE.length];
        series.push({
            label: s.name,
            stroke: colour,
            width: s.pointsOnly ? 0 : 1.5,
            dash: s.dashed ? [6, 4] : undefined,
            fill: categories ? colour + 'cc' : undefined,
            points: { show: !!s.pointsOnly, size: 7, fill: colour },
            paths: categories ? uPlot.paths.bars({ size: [0.6, 80] }) : undefined,
            spanGaps: false,
        });
    });
    return {
        width,
        height: spec.height ?? 260,
        series,
        scales: { x: { time: spec.xIsTime !== false && !categories } },
        axes: [
            categories ? { values: (u, ticks) => ticks.map(t => categories[t] ?? ''), grid: { show: false } } : {},
            { label: spec.unit ?? '', size: 60 },
        ],
        legend: { show: true },
        cursor: { drag: { x: true, y: false } },
    };
}

function widthOf(el) {
    return Math.max(200, Math.floor(el.clientWidth || el.parentElement?.clientWidth || 600));
}

export function create(el, id, spec) {
    dispose(id);
    const chart = new uPlot(options(el, spec, widthOf(el)), spec.data, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: widthOf(el), height: spec.height ?? 260 }));
    resize.observe(el);
    charts.set(id, { chart, resize, el, shape: shapeOf(spec) });
    return true;
}

// A new set of series (names, styles) needs a new chart; new points for the same series only need setData.
function shapeOf(spec) {
    return JSON.stringify([spec.series.map(s => [s.name, !!s.dashed, !!s.pointsOnly]), spec.categories ?? null, spec.unit ?? '']);
}

export function update(id, spec) {
    const entry = charts.get(id);
    if (!entry) return false;
    if (entry.shape !== shapeOf(spec)) return create(entry.el, id, spec);
    entry.chart.setData(spec.data);
    return true;
}

export function dispose(id) {
    const entry = charts.get(id);
    if (!entry) return;
    entry.resize.disconnect();
    entry.chart.destroy();
    charts.delete(id);
}
