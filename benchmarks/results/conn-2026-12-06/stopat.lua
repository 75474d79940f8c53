-- stops the (single) wrk thread after N responses
local n = 0
local limit = tonumber(os.getenv("N") or "2000")
response = function(status, headers, body)
  n = n + 1
  if n >= limit then wrk.thread:stop() end
end
