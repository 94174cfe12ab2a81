#!/usr/bin/env bash
# Makes sure what `npm test` needs beyond npm is here: PostgreSQL on 127.0.0.1:5432, Redis on
# 127.0.0.1:6379, a Chromium and a Firefox ESR for the browser tests, nginx for the README's proxy recipe. Starts or installs what is missing, or
# fails with a message that says what to do. Never skips anything.
set -euo pipefail

fail() { echo "sessionwatch tests: $*" >&2; exit 1; }

# --- PostgreSQL ------------------------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "Starting PostgreSQL…"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  fi
  pg_up || fail "PostgreSQL is not reachable on 127.0.0.1:5432 (set it up with trust auth and a database 'test', or set PG_TEST_URL)."
fi

# --- Redis -----------------------------------------------------------------------------------
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "Starting Redis…"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
  fi
  redis_up || fail "Redis is not reachable on 127.0.0.1:6379 (install redis-server or start it)."
fi

# --- Chromium --------------------------------------------------------------------------------
chrome="${CHROME_PATH:-}"
if [ -z "$chrome" ]; then
  for candidate in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
    [ -x "$candidate" ] && chrome="$candidate" && break
  done
fi
if [ -z "$chrome" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    chrome=/usr/bin/chromium
  fi
  [ -x "${chrome:-/nonexistent}" ] || fail "no Chromium found: install Debian's 'chromium' package (apt-get install chromium) or set CHROME_PATH."
fi

# --- Firefox ESR (the multi-tab browser tests also run in Firefox, over WebDriver BiDi) ------------
firefox="${FIREFOX_PATH:-}"
if [ -z "$firefox" ]; then
  for candidate in /usr/bin/firefox-esr /usr/bin/firefox; do
    [ -x "$candidate" ] && firefox="$candidate" && break
  done
fi
if [ -z "$firefox" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's firefox-esr for the browser tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null
    firefox=/usr/bin/firefox-esr
  fi
  [ -x "${firefox:-/nonexistent}" ] || fail "no Firefox found: install Debian's 'firefox-esr' package (apt-get install firefox-esr) or set FIREFOX_PATH."
fi

# --- nginx (the README's recipe runs as pasted in front of the app: puppeteer-tests/push-proxies) ----
# Only the binary is used: the tests run it in a folder of their own, on a free port (not the system's service).
nginx="${NGINX_PATH:-/usr/sbin/nginx}"
if [ ! -x "$nginx" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's nginx for the proxy tests…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
    nginx=/usr/sbin/nginx
  fi
  [ -x "$nginx" ] || fail "no nginx found: install Debian's 'nginx' package (apt-get install nginx) or set NGINX_PATH."
fi
