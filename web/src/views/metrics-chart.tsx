import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * A uPlot chart in a Preact component. Only the metrics view imports this module, so uPlot is in
 * that view's lazy chunk, never in the first load. The canvas is not readable by a screen
 * reader: every chart on the page has its numbers in a table beside it, and `label` names it.
 */
export function Chart(props: {
  readonly label: string;
  readonly data: uPlot.AlignedData;
  readonly series: uPlot.Series[];
  readonly bands?: uPlot.Band[];
  readonly height?: number;
  readonly yLabel?: string;
  readonly testid?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { data, series, bands, height = 200, yLabel } = props;

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const width = () => Math.max(240, element.clientWidth);
    const options: uPlot.Options = {
      width: width(),
      height,
      series: [{}, ...series],
      axes: [{}, yLabel === undefined ? {} : { label: yLabel }],
      scales: { x: { time: true } },
      ...(bands === undefined ? {} : { bands }),
    };
    const plot = new uPlot(options, data, element);
    // Follow the container's width (window resize, side panel); uPlot does not by itself.
    const observer = new ResizeObserver(() => plot.setSize({ width: width(), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, series, bands, height, yLabel]);

  return <div ref={box} class="chart" role="img" aria-label={props.label} data-testid={props.testid} />;
}
