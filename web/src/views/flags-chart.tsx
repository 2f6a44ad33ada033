import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { plural } from '../format.js';
import { totals } from './flags-logic.js';

/** Distinct hues with a dash pattern each, so variants differ by more than colour. */
const STYLES: readonly { readonly stroke: string; readonly dash: number[] }[] = [
  { stroke: '#0a58ca', dash: [] },
  { stroke: '#a40e26', dash: [6, 3] },
  { stroke: '#116329', dash: [2, 2] },
  { stroke: '#7d4e00', dash: [10, 3, 2, 3] },
  { stroke: '#6f42c1', dash: [1, 4] },
];

/**
 * Evaluations per variant per hour, as lines (uPlot). A table of totals follows the chart, so the
 * numbers are readable without it (screen readers, keyboard) and without telling colours apart.
 */
export function CountsChart(props: {
  readonly hours: readonly string[];
  readonly series: Readonly<Record<string, readonly number[]>>;
  readonly label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const variants = Object.keys(props.series).sort();

  useEffect(() => {
    const element = box.current;
    if (element === null || variants.length === 0) return;
    const xs = props.hours.map((hour) => Date.parse(hour) / 1000);
    const data: uPlot.AlignedData = [xs, ...variants.map((v) => [...(props.series[v] ?? [])])];
    const width = () => Math.max(280, Math.min(element.clientWidth, 900));
    const plot = new uPlot(
      {
        width: width(),
        height: 220,
        series: [
          { label: 'hour' },
          ...variants.map((variant, i) => {
            const style = STYLES[i % STYLES.length] as (typeof STYLES)[number];
            return { label: variant, stroke: style.stroke, dash: style.dash, width: 2 };
          }),
        ],
        axes: [{}, { label: 'evaluations / hour', size: 60 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [props.hours, props.series]);

  const sums = totals(props.series);
  const all = sums.reduce((sum, [, n]) => sum + n, 0);
  return (
    <figure class="flag-chart" data-testid="flag-counts-chart">
      {variants.length === 0 ? (
        <p class="muted">No evaluations counted {props.label}.</p>
      ) : (
        <div ref={box} role="img" aria-label={`Evaluations per variant per hour, ${props.label}`} />
      )}
      {sums.length > 0 && (
        <figcaption>
          {plural(all, 'evaluation')} {props.label}:
        </figcaption>
      )}
      {sums.length > 0 && (
        <table class="flag-totals">
          <thead>
            <tr>
              <th scope="col">variant</th>
              <th scope="col">evaluations</th>
            </tr>
          </thead>
          <tbody>
            {sums.map(([variant, count]) => (
              <tr key={variant}>
                <th scope="row">
                  <code>{variant}</code>
                </th>
                <td>{count.toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
