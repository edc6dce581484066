-- Paces wrk for the fixed-rate latency test: after each response a connection waits
-- DELAY_MS milliseconds before it sends its next request, so C connections offer about
-- C * 1000 / (DELAY_MS + latency) requests per second. The latency wrk reports is still
-- send -> response of each request; the delay is not counted. bench/run.sh prints the rate
-- actually reached next to the percentiles (a target that cannot keep up shows a lower rate).
local delay_ms = tonumber(os.getenv("DELAY_MS") or "10")

function delay()
  return delay_ms
end
