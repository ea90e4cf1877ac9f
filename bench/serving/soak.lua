-- wrk script for bench/serving/soak.sh: POSTs the sample PNG as multipart to
-- /predict like post_png.lua, except that every MALFORMED_EVERY-th request
-- of a thread (default 100: 1%) carries the PNG cut off after 40 bytes, which
-- the server must refuse with 422; and each connection waits DELAY_MS
-- (default 0) after each answer, to hold the load below capacity. With TOKEN
-- set, requests carry it as a bearer token.
--
-- At the end it prints one line for scripts:
--   SOAK requests=N rps=R p50_ms=A p99_ms=B max_ms=C ok=N malformed_sent=N
--        got_422=N other_non2xx=N socket_errors=N
-- Answers are told apart by status alone: 2xx (ok), 422 (expected for the
-- malformed requests; more 422s than malformed requests sent means good
-- requests were refused), anything else (other_non2xx, the soak's goal is
-- zero). A malformed request still in flight when wrk stops has no answer.

local path = os.getenv("IMAGE") or error("soak.lua: set IMAGE to the file to post")
local f = assert(io.open(path, "rb"))
local image = f:read("*a")
f:close()
local every = tonumber(os.getenv("MALFORMED_EVERY") or "100")
local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")

local boundary = "----conveyorsoak5d1e"
local function body(content)
  return "--" .. boundary .. "\r\n"
    .. 'Content-Disposition: form-data; name="file"; filename="sample.png"\r\n'
    .. "Content-Type: image/png\r\n\r\n"
    .. content .. "\r\n--" .. boundary .. "--\r\n"
end
local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}
if os.getenv("TOKEN") then
  headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
end
local good = wrk.format("POST", nil, headers, body(image))
local bad = wrk.format("POST", nil, headers, body(image:sub(1, 40)))

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- Globals of each thread's Lua state, read back in done().
sent, malformed_sent, ok, got_422, other_non2xx = 0, 0, 0, 0, 0

function request()
  sent = sent + 1
  if every > 0 and sent % every == 0 then
    malformed_sent = malformed_sent + 1
    return bad
  end
  return good
end

function response(status, hdrs, answer)
  if status >= 200 and status <= 299 then
    ok = ok + 1
  elseif status == 422 then
    got_422 = got_422 + 1
  else
    other_non2xx = other_non2xx + 1
    if other_non2xx <= 3 then
      io.stderr:write("soak.lua: HTTP " .. status .. ": " .. (answer or "") .. "\n")
    end
  end
end

function delay()
  return delay_ms
end

function done(summary, latency, requests)
  local sum = {ok = 0, malformed_sent = 0, got_422 = 0, other_non2xx = 0}
  for _, thread in ipairs(threads) do
    for key, _ in pairs(sum) do
      sum[key] = sum[key] + thread:get(key)
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "SOAK requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f ok=%d malformed_sent=%d "
      .. "got_422=%d other_non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, sum.ok, sum.malformed_sent,
    sum.got_422, sum.other_non2xx, e.connect + e.read + e.write + e.timeout))
end
