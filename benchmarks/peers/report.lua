-- wrk script for compare.sh: prints one machine-readable line at the end of a run.
-- Latencies are wrk's own (closed loop, NOT corrected for coordinated omission), in microseconds.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "LBDPEER requests=%d duration_us=%d bytes=%d errors=%d p50_us=%.1f p99_us=%.1f p999_us=%.1f\n",
      summary.requests, summary.duration, summary.bytes,
      e.connect + e.read + e.write + e.status + e.timeout,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
