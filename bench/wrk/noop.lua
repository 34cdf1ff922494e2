-- GET the URL wrk was given (the no-op reference view), nothing else.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

setup = common.setup
response = common.response
done = common.done

function init(args)
  common.init()
  req = wrk.format("GET", nil, { ["Accept"] = "*/*" })
end

function request()
  return req
end
