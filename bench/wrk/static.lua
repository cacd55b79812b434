-- One fixed request (method/path/body from the environment), built once by wrk.
local bench = dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
bench.configure()
