-- KV put to random keys: PUT /api/storage/kv/{ns}/k<random> with a fixed JSON body.
--   BENCH_NS  namespace;  BENCH_BODY_FILE  the JSON body {"value":"<100 bytes>"}
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.configure()
local prefix = "/api/storage/kv/" .. os.getenv("BENCH_NS") .. "/k"
local headers = { ["Content-Type"] = "application/json" }
local body = wrk.body

function init(args)
  bench.seed_random()
end

function request()
  return wrk.format("PUT", prefix .. math.random(1, 1000000000), headers, body)
end
