-- Shared wrk glue for the era-emu benchmark (bench/bench.py drives it).
--
-- Request shape comes from the environment so one script serves every static case:
--   BENCH_METHOD        GET|PUT|POST            (default GET)
--   BENCH_PATH          path + query            (default /)
--   BENCH_BODY_FILE     file whose bytes are the request body (optional)
--   BENCH_CONTENT_TYPE  Content-Type header     (optional)
--   BENCH_SEED          base seed for math.random (per-thread seed = base + thread index)
-- done() prints ONE line "BENCH_JSON {...}" with requests, duration, latency
-- percentiles (microseconds) and every error counter wrk keeps; bench.py refuses
-- any run in which one of them is non-zero.

local M = {}

function M.read_file(path)
  local f = assert(io.open(path, "rb"), "cannot open body file " .. tostring(path))
  local data = f:read("*a")
  f:close()
  return data
end

function M.configure()
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  wrk.path = os.getenv("BENCH_PATH") or "/"
  local body_file = os.getenv("BENCH_BODY_FILE")
  if body_file and body_file ~= "" then
    wrk.body = M.read_file(body_file)
  end
  local ct = os.getenv("BENCH_CONTENT_TYPE")
  if ct and ct ~= "" then
    wrk.headers["Content-Type"] = ct
  end
end

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function M.seed_random()
  local base = tonumber(os.getenv("BENCH_SEED") or "12345")
  math.randomseed(base + (tid or 0) * 7919)
  -- LuaJIT's first draws after seeding are poorly mixed; discard a few.
  for _ = 1, 10 do math.random() end
end

function done(summary, latency, requests)
  local e = summary.errors
  local p = function(q) return latency:percentile(q) end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f,"stdev":%.1f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"threads":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    p(50), p(90), p(99), p(99.9), latency.max, latency.mean, latency.stdev,
    e.connect, e.read, e.write, e.status, e.timeout, #threads))
end

return M
