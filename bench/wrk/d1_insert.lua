-- D1 insert via exec: POST /api/storage/d1/{ns}/exec  INSERT INTO w (v, n) VALUES (?, ?)
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
local path = "/api/storage/d1/" .. os.getenv("BENCH_NS") .. "/exec"
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  bench.seed_random()
end

function request()
  local n = math.random(1, 1000000000)
  return wrk.format("POST", path, headers,
    '{"sql":"INSERT INTO w (v, n) VALUES (?, ?)","params":["value-' .. n .. '",' .. n .. ']}')
end
