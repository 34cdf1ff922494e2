-- GET /api/v1/device/policy as many devices: $BENCH_DATA lines are "token" (answered 200) or
-- "token<TAB>etag" (If-None-Match: answered 304 while nothing changed).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
response = common.response
done = common.done

local requests, n = {}, 0

function init(args)
  common.init()
  for _, row in ipairs(common.rows()) do
    local headers = { ["Authorization"] = "Bearer " .. row[1], ["Accept"] = "application/json" }
    if row[2] then headers["If-None-Match"] = row[2] end
    table.insert(requests, wrk.format("GET", nil, headers))
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end
