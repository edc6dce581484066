-- wrk script: POST a body of N bytes (wrk ... -s tools/post.lua URL -- N), built once per thread.
local req

function init(args)
  local n = tonumber(args[1] or "4096")
  req = wrk.format("POST", nil, { ["Content-Type"] = "application/octet-stream" }, string.rep("a", n))
end

function request()
  return req
end
