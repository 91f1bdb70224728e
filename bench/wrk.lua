-- wrk script for bench/run: POSTs a GraphQL request and counts failures.
--
-- Environment:
--   BENCH_TOKEN      bearer token (optional: no authorization header without it)
--   BENCH_BODY_FILE  a JSON request body sent on every request, or
--   BENCH_MODE=write one reportIndicatorValue mutation per request, with a random
--                    indicator of ecology_environment_branch and a random year 2001..2025.
--
-- A response counts as a success only if it is 2xx and its body has no "errors" key;
-- done() prints BENCH_* lines that bench/measure parses.

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

local mode = os.getenv("BENCH_MODE") or "static"
if mode == "static" then
  local path = assert(os.getenv("BENCH_BODY_FILE"), "BENCH_BODY_FILE is not set")
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
end

local mutation = "mutation($input: ReportIndicatorValueInput!) "
  .. "{ reportIndicatorValue(input: $input) { value { id revision } } }"
local choices = {
  { "information_disclosure_rate", "98.5" },
  { "hazardous_waste_safe_disposal_rate", "100" },
  { "industrial_solid_waste_utilization_rate", "91.2" },
  { "village_drinking_water_sanitation_rate", "100" },
  { "contaminated_site_risk_accidents", "0" },
  { "major_environmental_incidents", "0" },
  { "protected_ecological_space_area", "1200.5" },
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  body_errors = 0
  non2xx = 0
  sample = ""
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

if mode == "write" then
  function request()
    local c = choices[math.random(#choices)]
    local period = tostring(2000 + math.random(25))
    local body = string.format(
      '{"query":"%s","variables":{"input":{"indicatorCode":"%s","period":"%s","value":"%s"}}}',
      mutation, c[1], period, c[2])
    return wrk.format("POST", nil, nil, body)
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if sample == "" then sample = string.sub(body or "", 1, 300) end
  elseif body and string.find(body, '"errors"', 1, true) then
    body_errors = body_errors + 1
    if sample == "" then sample = string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local be, n2, s = 0, 0, ""
  for _, t in ipairs(threads) do
    be = be + t:get("body_errors")
    n2 = n2 + t:get("non2xx")
    local ts = t:get("sample")
    if s == "" and ts then s = ts end
  end
  local e = summary.errors
  io.write(string.format("BENCH_REQUESTS %d\n", summary.requests))
  io.write(string.format("BENCH_DURATION_US %d\n", summary.duration))
  io.write(string.format("BENCH_BODY_ERRORS %d\n", be))
  io.write(string.format("BENCH_NON2XX %d\n", n2))
  io.write(string.format("BENCH_SOCKET_ERRORS %d\n", e.connect + e.read + e.write + e.timeout))
  if s ~= "" then io.write("BENCH_SAMPLE_ERROR " .. string.gsub(s, "\n", " ") .. "\n") end
end
