-- POST /api/v1/device/usage as many devices: $BENCH_DATA lines are device tokens. Each request
-- carries $BENCH_EVENTS back-to-back events of one second each, with fresh UUIDs, started at a
-- random moment of the last two hours. One-second events never overlap another report by more
-- than the server's one-second tolerance, so no report is refused as more time than the clock
-- allows, whatever ran before (warm-up, earlier runs on a reused data set).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
response = common.response
done = common.done

local devices, n = {}, 0
local events = tonumber(os.getenv("BENCH_EVENTS") or "1")
local app = os.getenv("BENCH_APP") or "com.bench.load"

function init(args)
  common.init()
  for i, row in ipairs(common.rows()) do
    devices[i] = { ["Authorization"] = "Bearer " .. row[1], ["Content-Type"] = "application/json" }
  end
end

function request()
  n = n % #devices + 1
  local t = os.time() - math.random(120, 6900)
  local parts = {}
  for i = 1, events do
    parts[i] = string.format('{"id":"%s","started_at":"%s","seconds":1,"app":"%s"}',
      common.uuid4(), os.date("!%Y-%m-%dT%H:%M:%SZ", t + i - 1), app)
  end
  return wrk.format("POST", nil, devices[n], '{"events":[' .. table.concat(parts, ",") .. ']}')
end
