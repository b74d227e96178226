-- wrk script for `transformer serve`: each request is LibreTranslate's POST /translate with one
-- sentence, taken in turn from the file in SENTENCES (default: Multi30k's test_2016_flickr.de),
-- each wrk thread starting at its own place. Non-2xx answers are counted and printed at the end.
-- wrk -t2 -c64 -d30s --latency -s scripts/loadtest.lua http://127.0.0.1:8080
local sentences = {}
local counter = 0
local threads = {}

local function escape(s)
  return (s:gsub('\\', '\\\\'):gsub('"', '\\"'))
end

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("SENTENCES") or "../shared/data/multi30k/test_2016_flickr.de"
  for line in io.lines(path) do
    if #line > 0 then table.insert(sentences, line) end
  end
  next_index = (id * 97) % #sentences
  failures = 0
end

function request()
  next_index = next_index % #sentences + 1
  local body = '{"q": "' .. escape(sentences[next_index]) .. '", "source": "de", "target": "en"}'
  return wrk.format("POST", "/translate", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  local failed = 0
  for _, t in ipairs(threads) do failed = failed + t:get("failures") end
  io.write(string.format("non-200 answers: %d\n", failed))
  io.write(string.format("latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; %.1f requests/s\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
