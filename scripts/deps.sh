#!/bin/sh
# Install what sg-audit needs to build and test on a fresh Debian machine.
# Idempotent and quiet when everything is already there; called by `make deps`,
# which `make check` and `make demo` depend on.
set -eu

PKGS="build-essential pkg-config libcurl4-openssl-dev libssl-dev libxml2-dev \
libcjson-dev libcmocka-dev zlib1g-dev clang libclang-rt-14-dev valgrind \
python3 ca-certificates chromium"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	echo "deps: installing:$missing" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Python test tooling: boto3, botocore, the AWS CLI and moto's server. Where
# the machine's Python lacks them, they go into the project's own virtualenv,
# .venv/, which the Makefile puts first on PATH (Debian's system Python refuses
# a plain `pip install`: it is an externally managed environment).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV="$ROOT/.venv"
PATH="$VENV/bin:$PATH"
export PATH
PY=${PYTHON:-python3}

have_tooling() {
	"$1" -c 'import boto3, botocore, moto, flask' 2>/dev/null &&
		command -v aws >/dev/null 2>&1 && command -v moto_server >/dev/null 2>&1
}

if ! have_tooling "$PY"; then
	echo "deps: installing Python test tooling (boto3, awscli, moto[server]) into $VENV" >&2
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
		$SUDO apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
			python3-venv python3-pip >/dev/null
	fi
	if ! { python3 -m venv "$VENV" &&
	       "$VENV/bin/python3" -m pip install -q 'moto[server]' boto3 awscli; }; then
		echo "deps: could not install moto[server], boto3 and awscli into $VENV;" \
			"the integration tests and 'make demo' need them" >&2
		rm -rf "$VENV" # a half-made venv would shadow a working python3
		exit 1
	fi
	have_tooling "$VENV/bin/python3" || {
		echo "deps: $VENV lacks moto_server or aws after installing" >&2
		exit 1
	}
fi
exit 0
