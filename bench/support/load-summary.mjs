/**
 * What the closed-loop load generators print once done: latency percentiles of the completed requests (or jobs) and
 * the share of one CPU the generator itself used (near 100 %: the generator, not the server, was the limit).
 */
export function summarise(latenciesMicros, elapsedSeconds, cpuBefore) {
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latenciesMicros).sort();
  const percentile = (p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] / 1000);
  return {
    perSecond: latenciesMicros.length / elapsedSeconds,
    p50Ms: percentile(50),
    p99Ms: percentile(99),
    generatorCpuPercent: ((cpu.user + cpu.system) / 1e6 / elapsedSeconds) * 100,
  };
}
