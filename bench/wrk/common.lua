-- Shared by the benchmark's wrk scripts: per-thread data, status counting, a JSON summary.
-- Each wrk thread has its own Lua state; setup() and done() run in the main state.
local M = {}

local threads = {}
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

function M.setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

-- The lines of $BENCH_DATA that belong to this thread (line i goes to thread i mod threads),
-- split on tabs.
function M.rows()
  local rows, path, i = {}, os.getenv("BENCH_DATA"), 0
  if path == nil or path == "" then return rows end
  for line in io.lines(path) do
    if line ~= "" then
      if i % thread_count == thread_id then
        local fields = {}
        for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
        table.insert(rows, fields)
      end
      i = i + 1
    end
  end
  if #rows == 0 then error("no data for thread " .. thread_id .. " in " .. path) end
  return rows
end

function M.init()
  statuses = {}
  math.randomseed(os.time() + thread_id * 7919 + math.floor(os.clock() * 1000000))
end

function M.response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.uuid4()
  local r = math.random
  return string.format("%04x%04x-%04x-4%03x-%04x-%04x%04x%04x",
    r(0, 0xffff), r(0, 0xffff), r(0, 0xffff), r(0, 0xfff),
    r(0x8000, 0xbfff), r(0, 0xffff), r(0, 0xffff), r(0, 0xffff))
end

function M.done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses") or {}
    for status, n in pairs(seen) do
      local key = tostring(status)
      counts[key] = (counts[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(counts) do table.insert(parts, string.format('"%s":%d', key, n)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end

return M
