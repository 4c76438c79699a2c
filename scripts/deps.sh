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

# Python test tooling: boto3, botocore, the AWS CLI and moto's server.
PY=${PYTHON:-python3}
if ! $PY -c 'import boto3, botocore, moto, flask' 2>/dev/null ||
   ! command -v aws >/dev/null 2>&1; then
	echo "deps: installing Python test tooling (boto3, awscli, moto[server])" >&2
	if ! $PY -m pip install -q 'moto[server]' boto3 awscli; then
		echo "deps: could not install moto[server], boto3 and awscli for $PY;" \
			"the integration tests and 'make demo' need them (pip install 'moto[server]' boto3 awscli)" >&2
		exit 1
	fi
fi
exit 0
