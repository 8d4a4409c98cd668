-- For benchmarks/pages.py: wrk counts only statuses from 400 up; this counts everything
-- that is not 2xx, and prints one JSON line for the script. With an argument N, each
-- request asks for the URL's path followed by a random id from 1 to N.
local threads = {}

function setup(thread)
  thread:set("number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  local largest = tonumber(args[1])
  if largest then
    math.randomseed(os.time() + number * 1000003)
    local prefix = wrk.path
    request = function()
      return wrk.format(nil, prefix .. math.random(largest))
    end
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d,'
      .. ' "timeout": %d, "non2xx": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.timeout, non2xx, latency:percentile(50), latency:percentile(99)))
end
