-- GET a page as a signed-in user: $BENCH_DATA holds "cookie header value" lines.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
response = common.response
done = common.done

local requests, n = {}, 0

function init(args)
  common.init()
  for _, row in ipairs(common.rows()) do
    table.insert(requests, wrk.format("GET", nil, { ["Cookie"] = row[1], ["Accept"] = "text/html" }))
  end
end

function request()
  n = n % #requests + 1
  return requests[n]
end
