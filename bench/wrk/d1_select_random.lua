-- D1 point select: POST /api/storage/d1/{ns}/query  SELECT * FROM t WHERE id = ?
-- with a random id in 1..BENCH_ROWS.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path = "/api/storage/d1/" .. os.getenv("BENCH_NS") .. "/query"
local rows = tonumber(os.getenv("BENCH_ROWS") or "10000")
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  bench.seed_random()
end

function request()
  return wrk.format("POST", path, headers,
    '{"sql":"SELECT * FROM t WHERE id = ?","params":[' .. math.random(1, rows) .. ']}')
end
