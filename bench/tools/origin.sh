# bench/tools/origin.sh - sourced by bench/ab.sh and bench/instructions.sh: the upstream both measure
# against. start_origin DIR PORT [CPU] starts nginx (one worker, keep-alive, no access log, 200 "ok")
# on 127.0.0.1:PORT in its own session (kill -TERM -- -$ORIGIN_PID stops it), pinned to CPU if given.
start_origin() {
  local dir=$1 port=$2 cpu=${3:-}
  mkdir -p "$dir"
  cat > "$dir/nginx.conf" <<C
daemon off; worker_processes 1; error_log $dir/error.log; pid $dir/nginx.pid;
events { worker_connections 4096; }
http { access_log off; keepalive_timeout 3600s; keepalive_requests 1000000;
  client_body_temp_path $dir; proxy_temp_path $dir; fastcgi_temp_path $dir; uwsgi_temp_path $dir; scgi_temp_path $dir;
  server { listen 127.0.0.1:$port backlog=4096; location / { default_type text/plain; return 200 "ok"; } } }
C
  if [ -n "$cpu" ]; then
    setsid taskset -c "$cpu" nginx -p "$dir" -c "$dir/nginx.conf" &
  else
    setsid nginx -p "$dir" -c "$dir/nginx.conf" &
  fi
  ORIGIN_PID=$!
}
