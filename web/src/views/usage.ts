/**
 * Usage of one key (`GET /manage/v1/api-keys/{id}/usage`): requests over time
 * and by status class with 429s in their own, highlighted colour; top routes;
 * granted scopes no request needed. Every chart has a text equivalent.
 */
import { ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip } from 'chart.js';
import { ApiProblem, type ApiKey, api } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { lastUsed, number } from '../format.js';
import { errorBox } from './common.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip, DoughnutController, ArcElement);

type StatusClass = '2xx' | '3xx' | '4xx' | '5xx';

export interface KeyUsage {
  total: number;
  by_status: Record<StatusClass, number>;
  rate_limited: number;
  routes: { route: string; count: number }[];
  /** `by_status` and `rate_limited` per point are used when the server provides them. */
  series: { t: string; count: number; by_status?: Record<StatusClass, number>; rate_limited?: number }[];
  unused_scopes: string[];
  interval?: 'minute' | 'hour' | 'day';
  last_used_at?: string | null;
}

// Colour-blind-safe hues with 3:1 contrast against white; 429 is the loud one.
const COLOURS = { ok: '#1a7f37', redirect: '#6e7781', client: '#9a6700', limited: '#cf222e', server: '#8250df' };
const WINDOWS = [
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '1h', label: 'Last hour' },
];

const charts = new WeakMap<HTMLCanvasElement, Chart>();

export function usageSection(key: ApiKey): HTMLElement {
  const body = h('div', { class: 'usage-body' }, h('p', { class: 'muted', text: 'Loading usage…' }));
  const windowSelect = h('select', { id: 'usage-window', onchange: () => void load() }, WINDOWS.map((w) => h('option', { value: w.value, text: w.label })));
  const refresh = h('button', { type: 'button', class: 'secondary', text: 'Refresh', onclick: () => void load() });
  const load = async () => {
    try {
      const usage = await api<KeyUsage>('GET', `/api-keys/${key.id}/usage?since=${windowSelect.value}&detail=true`);
      replaceChildren(body, ...renderUsage(usage, key));
      // Usage is read after the key, so its last use may be newer than the details above show.
      const lastUsedNow = document.getElementById('key-last-used');
      if (lastUsedNow && usage.last_used_at) lastUsedNow.textContent = lastUsed(usage.last_used_at);
    } catch (error) {
      const missing = error instanceof ApiProblem && error.problem.status === 404 && error.problem.code === 'not_found' && /no route/.test(error.problem.detail);
      replaceChildren(body, missing ? h('p', { class: 'muted', text: 'This server does not report usage yet.' }) : errorBox(error));
    }
  };
  void load();
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'usage-heading' },
    h('div', { class: 'title-row' }, h('h2', { id: 'usage-heading', text: 'Usage' }), h('div', { class: 'toolbar' }, h('label', { for: 'usage-window', text: 'Period' }), windowSelect, refresh)),
    body,
  );
}

function renderUsage(usage: KeyUsage, key: ApiKey): HTMLElement[] {
  const limited = usage.rate_limited;
  const classes: { label: string; value: number; colour: string }[] = [
    { label: '2xx success', value: usage.by_status['2xx'], colour: COLOURS.ok },
    { label: '3xx redirect', value: usage.by_status['3xx'], colour: COLOURS.redirect },
    { label: '4xx refused (not 429)', value: usage.by_status['4xx'] - limited, colour: COLOURS.client },
    { label: '429 rate limited', value: limited, colour: COLOURS.limited },
    { label: '5xx server error', value: usage.by_status['5xx'], colour: COLOURS.server },
  ];
  const summary = h(
    'ul',
    { class: 'stats', 'aria-label': 'Requests by status class' },
    h('li', null, h('strong', { text: number.format(usage.total) }), ' requests'),
    classes.map((c) => h('li', { class: c.label.startsWith('429') && c.value > 0 ? 'stat-alert' : '' }, h('span', { class: 'swatch', 'aria-hidden': 'true', 'data-colour': c.colour }), h('strong', { text: number.format(c.value) }), ` ${c.label}`)),
  );
  for (const swatch of summary.querySelectorAll<HTMLElement>('.swatch')) swatch.style.background = swatch.dataset.colour ?? '';
  const timeline = h('canvas', { id: 'usage-chart', role: 'img', 'aria-label': timelineDescription(usage) });
  const split = h('canvas', { id: 'status-chart', role: 'img', 'aria-label': `Status classes: ${classes.map((c) => `${c.value} ${c.label}`).join(', ')}` });
  queueMicrotask(() => {
    drawTimeline(timeline, usage, classes);
    drawSplit(split, classes);
  });
  const grantedUnused = usage.unused_scopes;
  return [
    summary,
    h('div', { class: 'charts' }, h('figure', { class: 'chart' }, h('div', { class: 'chart-box' }, timeline), h('figcaption', { text: `Requests per ${usage.interval ?? 'hour'}${hasClassSeries(usage) ? ' by status class' : ''}` })), h('figure', { class: 'chart small' }, h('div', { class: 'chart-box' }, split), h('figcaption', { text: 'Share by status class (429 in red)' }))),
    h(
      'div',
      { class: 'two-col' },
      h('div', null, h('h3', { text: 'Top routes' }), usage.routes.length ? routesTable(usage.routes.slice(0, 10)) : h('p', { class: 'muted', text: 'No requests in this period.' })),
      h(
        'div',
        null,
        h('h3', { text: 'Unused scopes' }),
        key.scopes.length === 0
          ? h('p', { class: 'muted', text: 'The key has no scopes.' })
          : grantedUnused.length
            ? [h('p', { class: 'muted', text: 'Granted but not needed by any request in this period. Consider removing them (least privilege).' }), h('ul', { class: 'chips' }, grantedUnused.map((s) => h('li', { text: s })))]
            : h('p', { text: 'Every granted scope was used.' }),
      ),
    ),
  ];
}

function routesTable(routes: KeyUsage['routes']): HTMLElement {
  return h('table', null, h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Route' }), h('th', { scope: 'col', class: 'num', text: 'Requests' }))), h('tbody', null, routes.map((r) => h('tr', null, h('td', null, h('code', { text: r.route })), h('td', { class: 'num', text: number.format(r.count) })))));
}

function hasClassSeries(usage: KeyUsage): boolean {
  return usage.series.some((p) => p.by_status !== undefined);
}

function label(iso: string, interval: KeyUsage['interval']): string {
  const d = new Date(iso);
  return interval === 'day' ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function timelineDescription(usage: KeyUsage): string {
  const busiest = usage.series.reduce((m, p) => (p.count > m.count ? p : m), { t: '', count: 0 });
  return `Bar chart of ${usage.total} requests per ${usage.interval ?? 'hour'}${busiest.count ? `; busiest ${label(busiest.t, usage.interval)} with ${busiest.count}` : ''}; ${usage.rate_limited} were rate limited (429).`;
}

function drawTimeline(canvas: HTMLCanvasElement, usage: KeyUsage, classes: { label: string; colour: string }[]): void {
  charts.get(canvas)?.destroy();
  const labels = usage.series.map((p) => label(p.t, usage.interval));
  const datasets = hasClassSeries(usage)
    ? (['2xx', '3xx', '4xx', '429', '5xx'] as const).map((cls, i) => ({
        label: classes[i]!.label,
        backgroundColor: classes[i]!.colour,
        data: usage.series.map((p) => (cls === '429' ? (p.rate_limited ?? 0) : cls === '4xx' ? (p.by_status?.['4xx'] ?? 0) - (p.rate_limited ?? 0) : (p.by_status?.[cls] ?? 0))),
      }))
    : [{ label: 'Requests', backgroundColor: '#0b57d0', data: usage.series.map((p) => p.count) }];
  charts.set(
    canvas,
    new Chart(canvas, {
      type: 'bar',
      data: { labels, datasets },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkipPadding: 12 } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: datasets.length > 1, position: 'bottom' } },
      },
    }),
  );
}

function drawSplit(canvas: HTMLCanvasElement, classes: { label: string; value: number; colour: string }[]): void {
  charts.get(canvas)?.destroy();
  const shown = classes.filter((c) => c.value > 0);
  charts.set(
    canvas,
    new Chart(canvas, {
      type: 'doughnut',
      data: { labels: shown.map((c) => c.label), datasets: [{ data: shown.map((c) => c.value), backgroundColor: shown.map((c) => c.colour), borderWidth: shown.map((c) => (c.label.startsWith('429') ? 4 : 1)), borderColor: shown.map((c) => (c.label.startsWith('429') ? '#82071e' : '#ffffff')) }] },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: 'bottom' } } },
    }),
  );
}
