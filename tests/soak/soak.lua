-- soak.lua: wrk's request mix for `make soak` (scripts/soak.sh) on the
-- example app: 70 % GET /users/<name>, 25 % PUT /users/<name> (a new body
-- each time), 5 % GET /users?limit=10, over SOAK_USERS users that the soak
-- script created beforehand (so every GET finds its user: any non-2xx answer
-- is a failure).  done() prints one machine-readable line.
local users = tonumber(os.getenv("SOAK_USERS") or "200")
local counter = 0
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("id", threads)
end

function init(args)
    math.randomseed(os.time() * 100 + (id or 0)) -- each thread its own sequence
end

function request()
    counter = counter + 1
    local name = string.format("soak-user-%d", math.random(users))
    local pick = math.random(100)
    if pick <= 25 then
        local body = string.format(
            '{"email":"%s@example.com","visits":%d,"score":%d.50,"tags":["soak","n%d"]}',
            name, counter, counter % 1000, counter % 7)
        return wrk.format("PUT", "/users/" .. name,
                          {["Content-Type"] = "application/json"}, body)
    elseif pick <= 30 then
        return wrk.format("GET", "/users?limit=10")
    end
    return wrk.format("GET", "/users/" .. name)
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "SOAK requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
        "p50_us=%d p99_us=%d max_us=%d\n",
        summary.requests, e.status, e.connect, e.read, e.write, e.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
