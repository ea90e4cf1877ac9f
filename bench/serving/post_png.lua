-- wrk script for bench/serving/run.sh: every request is a POST of one image
-- as multipart/form-data (a single part named "file"), as `curl -F
-- file=@IMAGE` sends it.
--
--   IMAGE=examples/digits/sample-digit.png \
--     wrk -t2 -c16 -d15s --latency -s bench/serving/post_png.lua http://127.0.0.1:8000/predict
--
-- Environment: IMAGE (required) the file to post; COUNT_STATUS (default 1)
-- 0 leaves out the response() callback (wrk then parses fewer responses in
-- Lua and goes a little faster; its own "status" error count still counts
-- non-2xx/3xx answers).
-- At the end it prints one line of "key=value" words for scripts, after
-- wrk's own report:
--   RESULT requests=N duration_s=S rps=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
--          non2xx=N connect_errors=N read_errors=N write_errors=N timeouts=N
-- non2xx is the count of answers outside 200..299 from response() (or wrk's
-- own count of status >= 400 with COUNT_STATUS=0).

local path = os.getenv("IMAGE") or error("post_png.lua: set IMAGE to the file to post")
local f = assert(io.open(path, "rb"))
local image = f:read("*a")
f:close()

local boundary = "----conveyorbench7f3a9c2e"
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. 'Content-Disposition: form-data; name="file"; filename="sample.png"\r\n'
  .. "Content-Type: image/png\r\n\r\n"
  .. image .. "\r\n--" .. boundary .. "--\r\n"

local threads = {}

function setup(thread)
  thread:set("non2xx", 0)
  table.insert(threads, thread)
end

if os.getenv("COUNT_STATUS") ~= "0" then
  non2xx = 0
  function response(status, headers, body)
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
      if non2xx <= 3 then
        io.stderr:write("post_png.lua: HTTP " .. status .. ": " .. (body or "") .. "\n")
      end
    end
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  if os.getenv("COUNT_STATUS") ~= "0" then
    for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
    end
  else
    non2xx_total = summary.errors.status
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
      .. "max_ms=%.3f non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, non2xx_total,
    e.connect, e.read, e.write, e.timeout))
end
