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
  // The driver each product's timeline shows, by product, once one was picked (null: none).
  const picks = new Map();

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

  const { sig3, signed, interval, amount, tick: tickText } = globalThis.millraceFormat;

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

  // "output +0.412 units/hour when its mean is 5 higher": the effect for a typical change of
  // the parameter, as the report states it.
  function effectText(finding) {
    return 'output ' + signed(finding.effect) + ' units/hour when its ' + finding.summary
      + ' is ' + amount(finding.summary, finding.typical_change) + ' higher';
  }

  // A chart drawn once its holder is on the page and again when its width changes, at the
  // holder's own width: one SVG unit is one pixel, so its text is as large as the page's.
  function chart(testid, draw) {
    const holder = el('div', { class: 'chart', 'data-testid': testid });
    holder.draw = draw;
    return holder;
  }

  function drawCharts(root) {
    for (const holder of root.querySelectorAll('.chart')) {
      const width = Math.floor(holder.clientWidth);
      if (width > 0 && holder.drawnAt !== width) {
        holder.replaceChildren(...holder.draw(width));
        holder.drawnAt = width;
      }
    }
  }

  function topItem(finding, t) {
    const reliable = finding.reliable === true;
    const lag = finding.lag > 0
      ? 'output follows ' + finding.lag + ' interval' + (finding.lag === 1 ? '' : 's') + ' later'
      : 'lag 0 (same interval)';
    const redundant = finding.redundant_with === null || finding.redundant_with === undefined
      ? null
      : el('div', { class: 'small' }, 'moves with parameter ' + finding.redundant_with);
    const driver = t && t.drivers.find((d) => d.parameter === finding.parameter);
    return el('li', { 'data-testid': 'top-item', 'data-parameter': finding.parameter },
      el('div', {},
        el('span', { class: 'name', 'data-testid': 'top-parameter' }, 'parameter ' + finding.parameter),
        ' ',
        el('span', { class: 'small' }, finding.summary)),
      el('div', { class: 'effect', 'data-testid': 'effect' },
        effectText(finding),
        el('br'),
        el('span', { class: 'small' }, '95 % CI ' + interval(finding.effect_ci))),
      el('div', {},
        el('span', { class: 'badge ' + (reliable ? 'reliable' : 'weak'), 'data-testid': 'reliability' },
          reliable ? 'reliable' : 'not reliable'),
        ' ',
        el('span', { class: 'small', 'data-testid': 'q-value' }, qValue(finding.q_value))),
      el('div', { class: 'small', 'data-testid': 'lag' }, lag),
      redundant,
      driver ? chart('scatter', (width) => scatter(t, driver, finding, width)) : null);
  }

  // A path through the points, broken where a point is missing.
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

  // A range widened by a twentieth on each side, so that no point sits on an axis.
  function padded([lo, hi]) {
    const pad = (hi - lo) / 20;
    return [lo - pad, hi + pad];
  }

  // Whether intervals `from` to `to` of the timeline follow one another without a gap (each
  // starts where the one before it ended).
  function joined(t, from, to) {
    for (let i = from; i < to; i += 1) if (t.end[i] !== t.start[i + 1]) return false;
    return true;
  }

  // Round ticks over [lo, hi]: multiples of the largest 1, 2 or 5 times a power of ten that
  // gives at least `count` of them.
  function ticks(lo, hi, count) {
    const raw = (hi - lo) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [5, 2, 1].map((m) => m * power).find((s) => s <= raw) || power;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  // Centred moving average over `window` values of each gap-free stretch (`breaks[i]`: a
  // new stretch begins at i), of the values there are: a few missing ones leave no hole.
  function smooth(values, breaks, window) {
    if (window <= 1) return values;
    const half = Math.floor(window / 2);
    const out = values.map(() => null);
    let from = 0;
    for (let i = 1; i <= values.length; i += 1) {
      if (i < values.length && !breaks[i]) continue;
      for (let k = from; k < i; k += 1) {
        let sum = 0;
        let count = 0;
        for (let j = Math.max(from, k - half); j <= Math.min(i - 1, k + half); j += 1) {
          if (values[j] !== null && Number.isFinite(values[j])) { sum += values[j]; count += 1; }
        }
        if (count > 0) out[k] = sum / count;
      }
      from = i;
    }
    return out;
  }

  // A plot frame of `width` × `height` pixels: scales from the data ranges, and the axes
  // with round ticks drawn.
  function frame(svg, width, height, xRange, yRange, margin) {
    const [L, R, T, B] = margin;
    const x = (v) => L + ((v - xRange[0]) / (xRange[1] - xRange[0])) * (width - L - R);
    const y = (v) => T + (1 - (v - yRange[0]) / (yRange[1] - yRange[0])) * (height - T - B);
    for (const v of ticks(yRange[0], yRange[1], 3)) {
      svg.append(
        el('svg:line', { class: 'grid', x1: L, x2: width - R, y1: y(v), y2: y(v) }),
        el('svg:text', { x: L - 5, y: y(v) + 4, 'text-anchor': 'end' }, tickText(v)));
    }
    svg.append(
      el('svg:line', { class: 'axis', x1: L, y1: T, x2: L, y2: height - B }),
      el('svg:line', { class: 'axis', x1: L, y1: height - B, x2: width - R, y2: height - B }));
    return { x, y, box: [L, width - R, T, height - B] };
  }

  // Intervals per moving-average window of the timeline: about 80 windows across.
  function smoothing(n) {
    return Math.max(1, Math.round(n / 80));
  }

  // The output rate over recent intervals, and the driver picked with the buttons above it
  // rescaled to the rate's axis and shifted by its lag, so that a driver that leads the
  // output lines up with it. Many intervals are smoothed by a moving average (the rate's own
  // values drawn faintly behind), and every line breaks wherever the intervals have a gap.
  function timeline(t, picked, width) {
    const height = Math.round(Math.min(240, Math.max(180, width * 0.42)));
    const n = t.rate_per_hour.length;
    const svg = el('svg:svg', {
      class: 'timeline', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'data-testid': 'timeline',
      'aria-label': 'output (units/hour) over the last ' + n + ' intervals',
    });
    const rateRange = extent(t.rate_per_hour);
    if (n < 2 || rateRange === null) {
      svg.append(el('svg:text', { x: 10, y: height / 2 }, 'not enough intervals to draw yet'));
      return [svg];
    }
    const mid = (i) => (t.start[i] + t.end[i]) / 2;
    const breaks = t.start.map((s, i) => i > 0 && t.end[i - 1] !== s);
    const window = smoothing(n);
    const [lo, hi] = rateRange;
    const f = frame(svg, width, height, [mid(0), Math.max(mid(n - 1), mid(0) + 1)], padded(rateRange), [46, 10, 10, 26]);
    svg.append(
      el('svg:text', { x: f.box[0], y: height - 6 }, when(t.start[0]).slice(0, 16)),
      el('svg:text', { x: f.box[1], y: height - 6, 'text-anchor': 'end' }, when(t.end[n - 1]).slice(0, 16)));
    // The points of a series over the intervals, a break before each new stretch.
    const line = (values, y) => {
      const points = [];
      values.forEach((v, i) => {
        if (breaks[i]) points.push(null);
        points.push(v === null || !Number.isFinite(v) ? null : [f.x(mid(i)), y(v)]);
      });
      return path(points);
    };
    if (window > 1) svg.append(el('svg:path', { class: 'rate-raw', d: line(t.rate_per_hour, f.y) }));
    const driver = t.drivers.find((d) => d.parameter === picked);
    if (driver) {
      const range = extent(driver.values) || [0, 1];
      // Shifted by the lag: interval i shows the driver's value lag intervals before, where
      // no gap lies between the two.
      const shifted = t.rate_per_hour.map((_, i) => {
        const v = i >= driver.lag ? driver.values[i - driver.lag] : null;
        return v !== null && v !== undefined && joined(t, i - driver.lag, i) ? v : null;
      });
      const scaled = (v) => f.y(lo + ((v - range[0]) / (range[1] - range[0])) * (hi - lo));
      const k = t.drivers.indexOf(driver);
      svg.append(el('svg:path', {
        class: 'driver c' + k, d: line(smooth(shifted, breaks, window), scaled), 'data-parameter': driver.parameter,
      }));
    }
    svg.append(el('svg:path', { class: 'rate', d: line(smooth(t.rate_per_hour, breaks, window), f.y) }));
    return [svg];
  }

  // The buttons that pick which driver the timeline overlays: one line at a time reads,
  // four at once tangle.
  function picker(t, product, redraw) {
    const picked = pickedDriver(t, product);
    const options = t.drivers.map((d, k) => ({ value: d.parameter, label: 'parameter ' + d.parameter, key: 'c' + k }));
    options.push({ value: null, label: 'output only', key: 'rate-key' });
    return el('div', { class: 'picker', role: 'group', 'aria-label': 'driver drawn over the output' },
      ...options.map((o) => {
        const button = el('button', {
          type: 'button', class: o.key, 'aria-pressed': String(o.value === picked),
          'data-testid': 'pick-driver',
        }, o.label);
        button.addEventListener('click', () => { picks.set(product, o.value); redraw(); });
        return button;
      }));
  }

  // The driver the timeline shows for a product: the one picked, else the strongest.
  function pickedDriver(t, product) {
    if (picks.has(product)) {
      const value = picks.get(product);
      if (value === null || t.drivers.some((d) => d.parameter === value)) return value;
    }
    return t.drivers.length > 0 ? t.drivers[0].parameter : null;
  }

  function legend(t, picked) {
    const window = smoothing(t.rate_per_hour.length);
    const smoothed = window > 1 ? ', moving average of ' + window + ' intervals' : '';
    const items = [el('li', { class: 'rate-key' }, 'output, units/hour (axis)' + smoothed)];
    t.drivers.forEach((d, k) => {
      if (d.parameter !== picked) return;
      const shift = d.lag > 0 ? ', shifted ' + d.lag + ' later' : '';
      items.push(el('li', { class: 'c' + k, 'data-testid': 'legend-driver' },
        driverName(d) + ', scaled' + shift));
    });
    return el('ul', { class: 'legend' }, ...items);
  }

  // The timeline with its picker and legend, redrawn in place when another driver is picked.
  function timelineBlock(t) {
    const block = el('div', { class: 'timeline-block' });
    const draw = () => {
      const picked = pickedDriver(t, t.product);
      const holder = chart('timeline-chart', (width) => timeline(t, picked, width));
      block.replaceChildren(picker(t, t.product, draw), holder, legend(t, picked));
      drawCharts(block);
    };
    block.draw = draw;
    return block;
  }

  // Output rate against one driver's summary `lag` intervals before, over the timeline's
  // intervals, with the finding's slope drawn through the middle of the dots.
  function scatter(t, driver, finding, width) {
    const height = Math.round(Math.min(200, Math.max(150, width * 0.55)));
    const points = [];
    for (let i = driver.lag; i < t.rate_per_hour.length; i += 1) {
      const x = driver.values[i - driver.lag];
      const y = t.rate_per_hour[i];
      if (x !== null && Number.isFinite(x) && Number.isFinite(y) && joined(t, i - driver.lag, i)) {
        points.push([x, y]);
      }
    }
    const svg = el('svg:svg', {
      class: 'scatter', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
      'aria-label': 'output (units/hour) against ' + driverName(driver),
    });
    const caption = el('p', { class: 'small' }, 'dots: output (units/hour) against its ' + driver.summary
      + (driver.lag > 0 ? ' ' + driver.lag + ' interval' + (driver.lag === 1 ? '' : 's') + ' before' : '')
      + ', last ' + t.rate_per_hour.length + ' intervals; line: the fitted slope');
    const xSpan = extent(points.map((p) => p[0]));
    const ySpan = extent(points.map((p) => p[1]));
    if (points.length < 2 || xSpan === null || ySpan === null) {
      svg.append(el('svg:text', { x: 10, y: height / 2 }, 'too few intervals to draw yet'));
      return [svg];
    }
    const [xRange, yRange] = [padded(xSpan), padded(ySpan)];
    const f = frame(svg, width, height, xRange, yRange, [46, 10, 8, 24]);
    for (const v of ticks(xRange[0], xRange[1], 3)) {
      // A tick label at either end is kept inside the plot.
      const anchor = f.x(v) > width - 24 ? 'end' : 'middle';
      svg.append(el('svg:text', { x: f.x(v), y: height - 6, 'text-anchor': anchor }, tickText(v)));
    }
    for (const [x, y] of points) {
      svg.append(el('svg:circle', { class: 'dot', cx: f.x(x).toFixed(1), cy: f.y(y).toFixed(1), r: 2.5 }));
    }
    const line = slopeLine(points, finding.slope, xRange, yRange);
    if (line) {
      svg.append(el('svg:line', {
        class: 'slope', 'data-testid': 'slope',
        x1: f.x(line[0][0]), y1: f.y(line[0][1]), x2: f.x(line[1][0]), y2: f.y(line[1][1]),
      }));
    }
    return [svg, caption];
  }

  // The line of `slope` through the centroid of the points, cut to the plotted ranges.
  function slopeLine(points, slope, xRange, yRange) {
    if (!Number.isFinite(slope) || points.length === 0) return null;
    const mx = points.reduce((s, p) => s + p[0], 0) / points.length;
    const my = points.reduce((s, p) => s + p[1], 0) / points.length;
    const at = (x) => my + slope * (x - mx);
    let [from, to] = xRange;
    if (slope !== 0) {
      const a = (yRange[0] - my) / slope + mx;
      const b = (yRange[1] - my) / slope + mx;
      from = Math.max(from, Math.min(a, b));
      to = Math.min(to, Math.max(a, b));
    }
    return from < to ? [[from, at(from)], [to, at(to)]] : null;
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
      el('ol', { class: 'top', 'data-testid': 'top' }, ...p.top.map((f) => topItem(f, t))));
    if (t) section.append(timelineBlock(t));
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
    for (const block of holder.querySelectorAll('.timeline-block')) block.draw();
    drawCharts(holder);
    holder.dataset.updatedAt = String(doc.updated_at);
  }

  function renderStreams(doc) {
    for (const name of STREAMS) {
      const box = document.querySelector(`[data-stream="${name}"]`);
      box.querySelector('[data-testid="records"]').textContent = doc.streams[name].records.toLocaleString('en');
      box.querySelector('[data-testid="newest"]').textContent = when(doc.streams[name].newest_time);
    }
    tick();
  }

  // Once a second: how old the analysis is, and each stream's rate of arrival as the server
  // measured it (idle once nothing new has come for a while).
  function tick() {
    if (!latest) return;
    const age = Math.max(0, Math.round(Date.now() / 1000 - latest.updated_at));
    document.getElementById('updated').textContent = 'updated ' + age + ' s ago';
    for (const name of STREAMS) {
      const node = document.querySelector(`[data-stream="${name}"] [data-testid="rate"]`);
      const rate = latest.streams[name].per_second;
      if (typeof rate !== 'number' || !Number.isFinite(rate)) { node.textContent = '—'; continue; }
      node.textContent = age > IDLE_AFTER_S ? '0' : rate.toFixed(rate >= 10 ? 0 : 1);
    }
  }

  function apply(doc) {
    latest = doc;
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

  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => drawCharts(document), 100);
  });
  setInterval(tick, 1000);
  connect();
})();
