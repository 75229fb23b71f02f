// The live dashboard: renders each analysis the server sends on /api/events. No framework,
// and nothing fetched from anywhere but this origin (the Content-Security-Policy enforces it).
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const STREAMS = ['metrics', 'workorder'];
  // After this long without an analysis, a stream's rate is shown as idle: a new record
  // would have brought a new analysis.
  const IDLE_AFTER_S = 10;
  const RECONNECT_MS = 2000;

  let latest = null;
  const anchors = {};
  const rates = {};

  // An element with attributes and children (strings become text).
  function el(tag, attrs, ...children) {
    const node = tag.startsWith('svg:')
      ? document.createElementNS(SVG, tag.slice(4))
      : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function num(x) {
    if (x === null || x === undefined || !Number.isFinite(x)) return '—';
    const a = Math.abs(x);
    if (a !== 0 && (a < 0.001 || a >= 1e6)) return x.toExponential(2);
    return x.toFixed(a < 1 ? 3 : a < 100 ? 2 : 1);
  }

  function signed(x) {
    const text = num(x);
    return Number.isFinite(x) && x > 0 ? '+' + text : text;
  }

  function qValue(q) {
    if (!Number.isFinite(q)) return 'q —';
    return q < 0.001 ? 'q < 0.001' : 'q = ' + q.toPrecision(2);
  }

  function when(unix) {
    if (unix === null || unix === undefined) return '—';
    return new Date(unix * 1000).toISOString().slice(0, 19).replace('T', ' ') + ' UTC';
  }

  function setConnection(state, text) {
    const node = document.getElementById('connection');
    node.dataset.state = state;
    node.textContent = text;
  }

  function driverName(d) {
    return 'parameter ' + d.parameter + ' (' + d.summary + ')';
  }

  function topItem(finding) {
    const reliable = finding.reliable === true;
    const ci = Array.isArray(finding.slope_ci) ? finding.slope_ci : [null, null];
    const lag = finding.lag > 0
      ? 'output follows ' + finding.lag + ' interval' + (finding.lag === 1 ? '' : 's') + ' later'
      : 'lag 0 (same interval)';
    const redundant = finding.redundant_with === null || finding.redundant_with === undefined
      ? null
      : el('div', { class: 'small' }, 'moves with parameter ' + finding.redundant_with);
    return el('li', { 'data-testid': 'top-item', 'data-parameter': finding.parameter },
      el('div', {},
        el('span', { class: 'name', 'data-testid': 'top-parameter' }, 'parameter ' + finding.parameter),
        ' ',
        el('span', { class: 'small' }, finding.summary)),
      el('div', { class: 'effect', 'data-testid': 'effect' },
        signed(finding.slope) + ' output/h per unit',
        el('br'),
        el('span', { class: 'small' }, '95 % CI ' + signed(ci[0]) + ' to ' + signed(ci[1]))),
      el('div', {},
        el('span', { class: 'badge ' + (reliable ? 'reliable' : 'weak'), 'data-testid': 'reliability' },
          reliable ? 'reliable' : 'not reliable'),
        ' ',
        el('span', { class: 'small', 'data-testid': 'q-value' }, qValue(finding.q_value))),
      el('div', { class: 'small', 'data-testid': 'lag' }, lag),
      redundant);
  }

  // A path through the points, broken where a value is missing.
  function path(points) {
    let d = '';
    let pen = false;
    for (const p of points) {
      if (p === null) { pen = false; continue; }
      d += (pen ? 'L' : 'M') + p[0].toFixed(1) + ' ' + p[1].toFixed(1);
      pen = true;
    }
    return d;
  }

  function extent(values) {
    const finite = values.filter((v) => v !== null && Number.isFinite(v));
    if (finite.length === 0) return null;
    let lo = Math.min(...finite);
    let hi = Math.max(...finite);
    if (lo === hi) { lo -= 1; hi += 1; }
    return [lo, hi];
  }

  // The output rate over recent intervals, with each top driver rescaled to the rate's axis
  // and shifted by its lag, so that a driver that leads the output lines up with it.
  function timeline(t) {
    const W = 600, H = 210, L = 48, R = 10, T = 10, B = 24;
    const n = t.rate_per_hour.length;
    const svg = el('svg:svg', {
      class: 'timeline', viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-testid': 'timeline',
      'aria-label': 'output per hour over the last ' + n + ' intervals, with the top drivers',
    });
    const rateRange = extent(t.rate_per_hour);
    if (n < 2 || rateRange === null) {
      svg.append(el('svg:text', { x: L, y: H / 2 }, 'not enough intervals to draw yet'));
      return svg;
    }
    const mid = (i) => (t.start[i] + t.end[i]) / 2;
    const t0 = mid(0), t1 = mid(n - 1);
    const x = (i) => L + ((mid(i) - t0) / Math.max(1, t1 - t0)) * (W - L - R);
    const [lo, hi] = rateRange;
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    svg.append(
      el('svg:line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
      el('svg:line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
      el('svg:text', { x: L - 4, y: T + 10, 'text-anchor': 'end' }, num(hi)),
      el('svg:text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, num(lo)),
      el('svg:text', { x: L, y: H - 6 }, when(t.start[0]).slice(0, 16)),
      el('svg:text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, when(t.end[n - 1]).slice(0, 16)));
    t.drivers.forEach((d, k) => {
      const range = extent(d.values);
      if (range === null) return;
      const points = [];
      for (let i = 0; i + d.lag < n; i += 1) {
        const v = d.values[i];
        points.push(v === null || !Number.isFinite(v)
          ? null
          : [x(i + d.lag), y(lo + ((v - range[0]) / (range[1] - range[0])) * (hi - lo))]);
      }
      svg.append(el('svg:path', { class: 'driver c' + k, d: path(points), 'data-parameter': d.parameter }));
    });
    const rate = t.rate_per_hour.map((v, i) => (Number.isFinite(v) ? [x(i), y(v)] : null));
    svg.append(el('svg:path', { class: 'rate', d: path(rate) }));
    return svg;
  }

  function legend(t) {
    const items = [el('li', { class: 'rate-key' }, 'output per hour (axis)')];
    t.drivers.forEach((d, k) => {
      const shift = d.lag > 0 ? ', shifted ' + d.lag + ' later' : '';
      items.push(el('li', { class: 'c' + k, 'data-testid': 'legend-driver' },
        driverName(d) + ', scaled' + shift));
    });
    return el('ul', { class: 'legend' }, ...items);
  }

  function productSection(p, t) {
    const section = el('section', {
      class: 'product', id: 'product-' + p.product, 'data-product': p.product,
    });
    section.append(
      el('h2', {}, 'Product ' + p.product),
      el('p', { class: 'verdict', 'data-testid': 'verdict' }, p.verdict),
      el('p', { class: 'counts' },
        el('span', { 'data-testid': 'interval-count' }, String(p.intervals)),
        ' intervals in ' + p.runs + ' run' + (p.runs === 1 ? '' : 's')),
      el('ol', { class: 'top', 'data-testid': 'top' }, ...p.top.map(topItem)));
    if (t) section.append(timeline(t), legend(t));
    return section;
  }

  function renderProducts(doc) {
    const holder = document.getElementById('products');
    const timelines = new Map((doc.timelines || []).map((t) => [t.product, t]));
    const sections = doc.products.map((p) => productSection(p, timelines.get(p.product)));
    if (sections.length === 0) {
      sections.push(el('p', { 'data-testid': 'no-products' }, 'No work orders stored yet.'));
    }
    holder.replaceChildren(...sections);
    holder.dataset.updatedAt = String(doc.updated_at);
  }

  function measureRates(doc) {
    for (const name of STREAMS) {
      const now = { records: doc.streams[name].records, at: doc.updated_at };
      const before = anchors[name];
      if (before && now.at > before.at) {
        rates[name] = { perSecond: (now.records - before.records) / (now.at - before.at), over: now.at - before.at };
      }
      if (!before || now.at > before.at) anchors[name] = now;
    }
  }

  function renderStreams(doc) {
    for (const name of STREAMS) {
      const box = document.querySelector(`[data-stream="${name}"]`);
      box.querySelector('[data-testid="records"]').textContent = doc.streams[name].records.toLocaleString('en');
      box.querySelector('[data-testid="newest"]').textContent = when(doc.streams[name].newest_time);
    }
    tick();
  }

  // Once a second: how old the analysis is, and each stream's rate (idle once nothing new
  // has come for a while).
  function tick() {
    if (!latest) return;
    const age = Math.max(0, Math.round(Date.now() / 1000 - latest.updated_at));
    document.getElementById('updated').textContent = 'updated ' + age + ' s ago';
    for (const name of STREAMS) {
      const node = document.querySelector(`[data-stream="${name}"] [data-testid="rate"]`);
      const rate = rates[name];
      if (!rate) { node.textContent = '—'; continue; }
      const idle = age > Math.max(IDLE_AFTER_S, 2 * rate.over);
      node.textContent = idle ? '0' : rate.perSecond.toFixed(rate.perSecond >= 10 ? 0 : 1);
    }
  }

  function apply(doc) {
    latest = doc;
    measureRates(doc);
    renderProducts(doc);
    renderStreams(doc);
  }

  function connect() {
    const source = new EventSource('/api/events');
    source.addEventListener('open', () => setConnection('live', 'live'));
    source.addEventListener('report', (event) => {
      apply(JSON.parse(event.data));
      setConnection('live', 'live');
    });
    source.addEventListener('error', () => {
      setConnection('reconnecting', 'reconnecting…');
      // The browser retries by itself unless the server answered with an error status;
      // then the stream is closed for good and a new one is opened here.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, RECONNECT_MS);
    });
  }

  setInterval(tick, 1000);
  connect();
})();
