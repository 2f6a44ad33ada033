import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { renderPrometheus } from './prometheus.js';
import { classOfStatus, createSignalStore } from './signals.js';

describe('Prometheus exposition', () => {
  it('renders counters by status class and a cumulative latency histogram', () => {
    const store = createSignalStore({ clock: createManualClock() });
    const rs = store.revision('shop', 'production', 'r"1\\');
    rs.record(classOfStatus(200), 300); // 0.3 ms
    rs.record(classOfStatus(200), 2_000); // 2 ms
    rs.record(classOfStatus(502), 20_000_000); // 20 s: only +Inf
    const text = renderPrometheus(store.all(), [
      { service: 'shop', environment: 'production', revision: 'r"1\\', instance: 'i\n1', inFlight: 2 },
    ]);
    const labels = 'service="shop",environment="production",revision="r\\"1\\\\"';
    expect(text).toContain('# TYPE flowline_router_requests_total counter\n');
    expect(text).toContain(`flowline_router_requests_total{${labels},code_class="2xx"} 2\n`);
    expect(text).toContain(`flowline_router_requests_total{${labels},code_class="5xx"} 1\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_bucket{${labels},le="0.0005"} 1\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_bucket{${labels},le="0.0025"} 2\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_bucket{${labels},le="10"} 2\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_bucket{${labels},le="+Inf"} 3\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_count{${labels}} 3\n`);
    expect(text).toContain(`flowline_router_request_duration_seconds_sum{${labels}} 20.0023\n`);
    expect(text).toContain(`flowline_router_in_flight{${labels},instance="i\\n1"} 2\n`);
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+\{.*\} [0-9.e+-]+$/);
    }
  });
});
