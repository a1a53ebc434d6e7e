/** Percentile (nearest rank) of an ascending-sorted array of numbers. */
export function percentile(sorted, pct) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((pct / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Growable Float64 sample buffer (latencies in ms) without per-sample allocation. */
export class Samples {
  constructor(capacity = 1 << 16) {
    this.values = new Float64Array(capacity);
    this.length = 0;
  }
  push(value) {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.length++] = value;
  }
  summary() {
    const sorted = this.values.slice(0, this.length).sort();
    let sum = 0;
    for (const v of sorted) sum += v;
    return {
      count: this.length,
      avg: this.length ? sum / this.length : null,
      p50: percentile(sorted, 50),
      p75: percentile(sorted, 75),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: this.length ? sorted[sorted.length - 1] : null,
    };
  }
}

export const round = (value, digits = 2) => (value === null || value === undefined ? null : Number(value.toFixed(digits)));
