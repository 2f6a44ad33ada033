import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';
import { alignedData, type ChartSeries, chartSummary, lastValue, timeRange } from './chart-data.js';

export type { ChartSeries } from './chart-data.js';

const PALETTE = ['#0a58ca', '#57606a', '#a40e26', '#116329', '#7d4e00'];

/**
 * A time series chart of several named series (uPlot, so thousands of points stay cheap). For
 * assistive technology the canvas is one `role="img"` with a summary, and a visually hidden
 * table lists each series' last value; series differ by dash as well as colour.
 * Import it only from lazily loaded views: uPlot must not weigh on the first page.
 */
export function TimeChart(props: {
  /** What the chart shows, e.g. `error-rate`: the start of its accessible summary. */
  readonly label: string;
  /** Times in epoch milliseconds, ascending, shared by all series. */
  readonly times: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly height?: number;
  readonly format?: (value: number) => string;
  readonly testId?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const { times, series, format } = props;
  const shape = series.map((s) => s.name).join('\u0000');

  // Built again when the series change by name; otherwise only the data is replaced.
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 240),
      height: props.height ?? 180,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.name,
          stroke: s.color ?? PALETTE[i % PALETTE.length] ?? '#000',
          width: 2,
          ...(s.dash === undefined ? (i === 0 ? {} : { dash: [6, 4] }) : { dash: [...s.dash] }),
          points: { show: true, size: 5 },
          spanGaps: false,
          ...(format === undefined
            ? {}
            : { value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) }),
        })),
      ],
      axes: [{}, format === undefined ? {} : { values: (_u: uPlot, ticks: number[]) => ticks.map(format) }],
      // From the data itself: uPlot stretches a single instant over 1,000 days.
      scales: {
        x: {
          time: true,
          range: (u: uPlot) => {
            const xs = u.data[0];
            return timeRange(xs[0] ?? null, xs[xs.length - 1] ?? null);
          },
        },
      },
      legend: { show: true },
    };
    const chart = new uPlot(opts, alignedData(times, series) as uPlot.AlignedData, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(el.clientWidth, 240), height: props.height ?? 180 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [shape, props.height]);

  useEffect(() => {
    plot.current?.setData(alignedData(times, series) as uPlot.AlignedData);
  }, [times, series]);

  const show = format ?? String;
  return (
    <div class="chart" data-testid={props.testId}>
      <div ref={box} role="img" aria-label={chartSummary(props.label, times, series, show)} />
      <table class="visually-hidden">
        <caption>{props.label}: last values</caption>
        <thead>
          <tr>
            <th scope="col">Series</th>
            <th scope="col">Last value</th>
            <th scope="col">At</th>
          </tr>
        </thead>
        <tbody>
          {series.map((s) => {
            const last = lastValue(times, s);
            return (
              <tr key={s.name}>
                <th scope="row">{s.name}</th>
                <td>{last === null ? 'none' : show(last.value)}</td>
                <td>{last === null ? '' : new Date(last.at).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
