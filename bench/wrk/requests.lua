-- wrk driver for bench/load.mjs. BENCH_REQUESTS names a file of requests, one a line, fields
-- separated by tabs: method, path, body, then header name/value pairs. Requests are sent round
-- robin. With BENCH_TOKENS (a file of refresh tokens, one a line) the single request line is a
-- template: "%TOKEN%" in its body takes a token from this thread's pool, and every 2xx answer
-- gives its BENCH_CHAIN_FIELD back to the pool, so each token is used exactly once. With
-- BENCH_UNIQUE (a prefix of this run's own) the single request line is a template too: "%UNIQUE%"
-- in its body becomes prefix-thread-counter, so no two requests of any thread repeat it.
-- done() prints one line "BENCH_JSON {...}" (latencies in microseconds).

local requests_file = os.getenv("BENCH_REQUESTS")
local tokens_file = os.getenv("BENCH_TOKENS")
local unique_prefix = os.getenv("BENCH_UNIQUE")
local chain_field = os.getenv("BENCH_CHAIN_FIELD") or "refreshToken"
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

local function split(line)
  local fields = {}
  local start = 1
  while true do
    local tab = string.find(line, "\t", start, true)
    if not tab then
      table.insert(fields, string.sub(line, start))
      return fields
    end
    table.insert(fields, string.sub(line, start, tab - 1))
    start = tab + 1
  end
end

local function parse(line)
  local fields = split(line)
  local headers = {}
  for i = 4, #fields - 1, 2 do
    headers[fields[i]] = fields[i + 1]
  end
  local body = fields[3]
  if body == "" then
    body = nil
  end
  return { method = fields[1], path = fields[2], headers = headers, body = body }
end

local prepared = {}
local position = 0
local template = nil
local pool = {}
non2xx = 0

function init(_)
  local index = thread_index or 1
  for line in io.lines(requests_file) do
    if line ~= "" then
      local request = parse(line)
      if tokens_file or unique_prefix then
        template = request
      else
        table.insert(prepared, wrk.format(request.method, request.path, request.headers, request.body))
      end
    end
  end
  if tokens_file then
    local n = 0
    for line in io.lines(tokens_file) do
      if line ~= "" then
        n = n + 1
        if (n - 1) % thread_count == index - 1 then
          table.insert(pool, line)
        end
      end
    end
  end
  position = index - 1
end

if tokens_file then
  local pattern = '"' .. chain_field .. '":"([^"]+)"'

  function request()
    local token = table.remove(pool) or "exhausted"
    local body = string.gsub(template.body, "%%TOKEN%%", token)
    return wrk.format(template.method, template.path, template.headers, body)
  end

  function response(status, _, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      return
    end
    local token = string.match(body, pattern)
    if token then
      table.insert(pool, token)
    end
  end
elseif unique_prefix then
  local sequence = 0

  function request()
    sequence = sequence + 1
    local value = unique_prefix .. "-" .. (thread_index or 1) .. "-" .. sequence
    local body = string.gsub(template.body, "%%UNIQUE%%", value)
    return wrk.format(template.method, template.path, template.headers, body)
  end
else
  function request()
    position = position % #prepared + 1
    return prepared[position]
  end
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, _)
  local counted = 0
  for _, thread in ipairs(threads) do
    counted = counted + (thread:get("non2xx") or 0)
  end
  local errors = summary.errors
  -- Without response(), wrk's own count of statuses above 399 is the non-2xx count.
  if not tokens_file then
    counted = errors.status
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"durationUs":%d,"non2xx":%d,"connectErrors":%d,'
      .. '"readErrors":%d,"writeErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\n',
    summary.requests, summary.duration, counted, errors.connect, errors.read, errors.write,
    errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
