-- POST /api/v1/device/usage as many devices: $BENCH_DATA lines are device tokens. Each request
-- carries $BENCH_EVENTS events with fresh UUIDs, 60 seconds of use in all (one event of 60 s,
-- or ten of 6 s), and each device's reports follow each other in time like a real device's,
-- starting $BENCH_BACK_SECONDS ago, so none is refused as more time than the clock allows.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
response = common.response
done = common.done

local devices, cursors, n = {}, {}, 0
local events = tonumber(os.getenv("BENCH_EVENTS") or "1")
local seconds = math.floor(60 / events)
local app = os.getenv("BENCH_APP") or "com.bench.load"
local back = tonumber(os.getenv("BENCH_BACK_SECONDS") or "7000")

function init(args)
  common.init()
  local start = os.time() - back
  for i, row in ipairs(common.rows()) do
    devices[i] = { ["Authorization"] = "Bearer " .. row[1], ["Content-Type"] = "application/json" }
    cursors[i] = start
  end
end

function request()
  n = n % #devices + 1
  local t = cursors[n]
  local parts = {}
  for i = 1, events do
    parts[i] = string.format('{"id":"%s","started_at":"%s","seconds":%d,"app":"%s"}',
      common.uuid4(), os.date("!%Y-%m-%dT%H:%M:%SZ", t), seconds, app)
    t = t + seconds
  end
  cursors[n] = t
  return wrk.format("POST", nil, devices[n], '{"events":[' .. table.concat(parts, ",") .. ']}')
end
