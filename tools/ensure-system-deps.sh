#!/usr/bin/env bash
# Installs the Debian packages that building and testing geste need, when they are missing, so
# that `make test` (and CI) pass on a bare Debian machine with no step before them.
#
#   bash tools/ensure-system-deps.sh [GROUP...]     (default groups: build test)
#
# As root it runs `apt-get update` (only when something is missing) and `apt-get install`.
# Not root, it stops at once with one line naming the command to run.
# GESTE_ASSUME_MISSING="pkg ..." treats those packages as missing whatever their probe says
# (to exercise the missing-package path in tests).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-python3.11}"

# One entry per package: "group|Debian package|probe". The probe is a shell test that succeeds
# when what the package provides is here (commands rather than dpkg, so another way of installing
# it counts too). Add a line here for any new system need.
DEPS=(
  "build|python3-venv|test -x .venv/bin/python || $PY -c 'import ensurepip, venv'"
  "test|chromium|test -x /usr/bin/chromium"  # browser tests drive /usr/bin/chromium
  "test|dcmtk|command -v findscu"            # DICOM tests talk to dcmtk's tools
  "test|gettext|command -v xgettext"         # catalogue tests and `make messages`
  "test|nodejs|command -v node"              # DICOM (dcmjs-dimse) and FHIR (Medplum) tests
  "test|npm|command -v npm"                  # `make node-deps` installs their npm packages
  "ci|postgresql-client|command -v pg_isready"
)

groups=("$@")
[ "${#groups[@]}" -gt 0 ] || groups=(build test)
forced=" ${GESTE_ASSUME_MISSING:-} "

missing=()
for entry in "${DEPS[@]}"; do
  IFS='|' read -r group package probe <<<"$entry"
  case " ${groups[*]} " in *" $group "*) ;; *) continue ;; esac
  if [[ "$forced" != *" $package "* ]] && bash -c "$probe" >/dev/null 2>&1; then
    continue
  fi
  missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing ${missing[*]}: run 'sudo apt-get update && sudo apt-get install -y ${missing[*]}'" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing ${missing[*]}: install these Debian packages (no apt-get on this machine)" >&2
  exit 1
fi
echo "== installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
for entry in "${DEPS[@]}"; do
  IFS='|' read -r _ package probe <<<"$entry"
  if [[ " ${missing[*]} " == *" $package "* ]] && ! bash -c "$probe" >/dev/null 2>&1; then
    echo "installed $package but its probe still fails: $probe" >&2
    exit 1
  fi
done
