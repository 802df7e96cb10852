-- wrk script of bench/load.py (bench/person.py, bench/api.py): every request is a call
-- prepared beforehand (a signed link of its own, a STOP with a fresh message id, a case…),
-- read from the file named after `--`.
-- Line: method TAB path TAB headers (name: value, separated by \031; or -) TAB body.
-- Thread n of N sends lines n, n+N, n+2N…; a thread that reaches its last line starts
-- again from its first, and `done` says how many times that happened (`wrapped`).
-- Every answer is checked: `non_200` counts the answers whose status is not 200 (wrk's
-- own `status` counts only those above 399), `problems` the 200s whose body holds a
-- problem (a batch answers 200 with a problem for each item it could not decide).
local threads = {}
local count = 0

function setup(thread)
  thread:set("id", count)
  count = count + 1
  table.insert(threads, thread)
end

function init(args)
  local path, total = args[1], tonumber(args[2])
  calls, index, wrapped, non_200, problems = {}, 0, 0, 0, 0
  local n = 0
  for line in io.lines(path) do
    if n % total == id then
      local method, target, fields, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local headers = {}
      if fields ~= "-" then
        for field in fields:gmatch("[^\031]+") do
          local name, value = field:match("^([^:]*): (.*)$")
          headers[name] = value
        end
      end
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

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  elseif body and body:find('"problem"', 1, true) then
    problems = problems + 1
  end
end

function done(summary, latency, requests)
  local wraps, others, wrong = 0, 0, 0
  for _, thread in ipairs(threads) do
    wraps = wraps + thread:get("wrapped")
    others = others + thread:get("non_200")
    wrong = wrong + thread:get("problems")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d,'
      .. ' "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d,'
      .. ' "wrapped": %d, "non_200": %d, "problems": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout, wraps,
    others, wrong))
end
