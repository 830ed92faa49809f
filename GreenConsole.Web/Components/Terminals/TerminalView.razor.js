// One xterm.js instance per terminal id. Keystrokes are batched for a few milliseconds so that a paste or fast
// typing crosses the circuit as one call instead of one per character.
import { Terminal } from '/lib/xterm/xterm.mjs';
import { FitAddon } from '/lib/xterm/addon-fit.mjs';

const terminals = new Map();

export function create(element, id, dotnet) {
    const style = getComputedStyle(document.body);
    const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontSize: 14,
        scrollback: 5000,
        theme: { background: '#1e1e1e', foreground: style.getPropertyValue('--gc-terminal-fg') || '#e0e0e0' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(element);
    safeFit(fit);

    let pending = '';
    let timer = null;
    term.onData(data => {
        pending += data;
        if (timer === null) {
            timer = setTimeout(() => {
                const text = pending;
                pending = '';
                timer = null;
                dotnet.invokeMethodAsync('OnInput', text).catch(() => { /* the circuit is gone; dispose follows */ });
            }, 8);
        }
    });
    term.onResize(({ rows, cols }) => {
        dotnet.invokeMethodAsync('OnResize', rows, cols).catch(() => { /* the circuit is gone; dispose follows */ });
    });
    const observer = new ResizeObserver(() => safeFit(fit));
    observer.observe(element);
    terminals.set(id, { term, fit, observer });
    term.focus();
    return [term.rows, term.cols];
}

export function write(id, text) {
    terminals.get(id)?.term.write(text);
}

export function focus(id) {
    const entry = terminals.get(id);
    if (entry) {
        safeFit(entry.fit);
        entry.term.focus();
    }
}

export function dispose(id) {
    const entry = terminals.get(id);
    if (entry) {
        entry.observer.disconnect();
        entry.term.dispose();
        terminals.delete(id);
    }
}

function safeFit(fit) {
    try {
        fit.fit();
    } catch {
        // A hidden tab has no size; it is fitted again when shown.
    }
}
