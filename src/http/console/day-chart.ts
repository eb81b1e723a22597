import type { DashboardCounts } from '../../statistics/dashboard-statistics';

/** The drawing area of the dashboard's chart, in SVG units (it scales to the page's width). */
const WIDTH = 640;
const HEIGHT = 180;
const LEFT = 34;
const BOTTOM = 22;
const TOP = 8;

/**
 * Where the bars of the signups-and-unsubscribes chart go: one pair per day, heights scaled to a
 * round top value. Geometry only; the template draws it, so the SVG is made on the server and
 * needs neither a script nor a CDN.
 */
export function dayChart(days: DashboardCounts['days']) {
  const top = roundUp(Math.max(1, ...days.flatMap((d) => [d.signups, d.unsubscribes])));
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / days.length;
  const barWidth = round(slot * 0.38);
  const barAt = (value: number, x: number) => {
    const height = round((value / top) * plotHeight);
    return { x: round(x), y: round(TOP + plotHeight - height), width: barWidth, height };
  };
  const bars = days.map((d, i) => {
    const x = LEFT + i * slot + slot * 0.1;
    return { ...d, signup: barAt(d.signups, x), unsubscribe: barAt(d.unsubscribes, x + barWidth) };
  });
  // The first, middle and last day under the axis: enough to read the dates at a phone's width.
  // Anchored inwards at the ends, so no label runs past the drawing.
  const labels = [
    { i: 0, anchor: 'start', x: LEFT },
    { i: Math.floor(days.length / 2), anchor: 'middle', x: round(LEFT + Math.floor(days.length / 2) * slot + slot / 2) },
    { i: days.length - 1, anchor: 'end', x: WIDTH },
  ].map(({ i, anchor, x }) => ({ x, anchor, text: days[i]!.day.slice(5) }));
  return {
    width: WIDTH,
    height: HEIGHT,
    left: LEFT,
    baseline: HEIGHT - BOTTOM,
    top,
    topY: TOP,
    bars,
    labels,
    totals: {
      signups: days.reduce((n, d) => n + d.signups, 0),
      unsubscribes: days.reduce((n, d) => n + d.unsubscribes, 0),
    },
  };
}

/** 1, 2, 5, 10, 20, 50...: the smallest such value at or above n, so the axis reads easily. */
function roundUp(n: number): number {
  const power = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= n)!;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
