import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Gauge, Histogram, MetricRegistry } from '../../src/serve/prometheus.js';

describe('Prometheus exposition', () => {
  test('counters and gauges: HELP and TYPE lines, one sample per label set, escaped label values', () => {
    const registry = new MetricRegistry();
    const counter = registry.add(new Counter('requests_total', 'Requests.\nBy route.', ['route', 'status']));
    const gauge = registry.add(new Gauge('in_flight', 'In flight.'));
    counter.inc({ route: '/a', status: '200' });
    counter.inc({ route: '/a', status: '200' }, 2);
    counter.inc({ route: 'say "hi"\\\n', status: '404' });
    gauge.inc();
    gauge.inc({}, 4);
    gauge.inc({}, -2);
    assert.equal(
      registry.render(),
      [
        '# HELP requests_total Requests.\\nBy route.',
        '# TYPE requests_total counter',
        'requests_total{route="/a",status="200"} 3',
        'requests_total{route="say \\"hi\\"\\\\\\n",status="404"} 1',
        '# HELP in_flight In flight.',
        '# TYPE in_flight gauge',
        'in_flight 3',
        '',
      ].join('\n'),
    );
  });

  test('a metric without labels shows 0 before anything happened; one with labels shows no samples', () => {
    const registry = new MetricRegistry();
    registry.add(new Counter('plain_total', 'Plain.'));
    registry.add(new Counter('labelled_total', 'Labelled.', ['code']));
    assert.equal(registry.render(), '# HELP plain_total Plain.\n# TYPE plain_total counter\nplain_total 0\n# HELP labelled_total Labelled.\n# TYPE labelled_total counter\n');
  });

  test('histograms: cumulative buckets with +Inf, sum and count, labels before le', () => {
    const histogram = new Histogram('latency_seconds', 'Latency.', [0.1, 1], ['route']);
    for (const v of [0.05, 0.1, 0.5, 3]) histogram.observe(v, { route: '/p' });
    assert.equal(
      histogram.render(),
      [
        '# HELP latency_seconds Latency.',
        '# TYPE latency_seconds histogram',
        'latency_seconds_bucket{route="/p",le="0.1"} 2',
        'latency_seconds_bucket{route="/p",le="1"} 3',
        'latency_seconds_bucket{route="/p",le="+Inf"} 4',
        'latency_seconds_sum{route="/p"} 3.65',
        'latency_seconds_count{route="/p"} 4',
      ].join('\n'),
    );
    const plain = new Histogram('size', 'Size.', [1, 2]);
    plain.observe(2);
    assert.match(plain.render(), /^size_bucket\{le="1"\} 0\nsize_bucket\{le="2"\} 1\nsize_bucket\{le="\+Inf"\} 1\nsize_sum 2\nsize_count 1$/m);
  });

  test('refuses invalid names and buckets', () => {
    assert.throws(() => new Counter('bad-name', 'x'), /not a valid Prometheus name/);
    assert.throws(() => new Histogram('h', 'x', [1, 1]), /increasing/);
    assert.throws(() => new Histogram('h', 'x', []), /increasing/);
  });
});
