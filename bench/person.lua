-- wrk script of bench/person.py: every request is its own prepared call (a signed link of
-- its own, a signed STOP with a fresh message id), read from the file named after `--`.
-- Line: method TAB path TAB content-type TAB signature (or -) TAB body.
-- Thread n of N sends lines n, n+N, n+2N…; a thread that reaches its last line starts
-- again from its first, and `done` says how many times that happened (`wrapped`).
local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local path, total = args[1], tonumber(args[2])
  calls, index, wrapped = {}, 0, 0
  local n = 0
  for line in io.lines(path) do
    if n % total == id then
      local method, target, kind, mac, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if kind ~= "-" then headers["Content-Type"] = kind end
      if mac ~= "-" then headers["X-Licite-Signature"] = mac end
      if body == "" then body = nil end
      calls[#calls + 1] = wrk.format(method, target, headers, body)
    end
    n = n + 1
  end
end

function request()
  index = index + 1
  if index > #calls then
    index, wrapped = 1, wrapped + 1
  end
  return calls[index]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d,'
      .. ' "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d,'
      .. ' "wrapped": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, wraps))
end
