#!/usr/bin/env bash
# Temporary PostgreSQL firewall access for the runner that runs `pulumi up`.
#
# The database layer (Kong's role, the `kong` database, its grants) connects to the servers from
# the machine that runs `pulumi up`. GitHub-hosted runners have no fixed address, so a deploy job
#
#   deploy-firewall.sh open     # before `pulumi up`: a rule for this runner's public IPv4 address
#   deploy-firewall.sh close    # after it, whatever happened (the step runs with `if: always()`)
#
# on the primary AND the read replica (a replica copies the primary's rules only when it is
# created, so each server gets its own rule). Server names come from the stack outputs
# `resourceGroupName`, `serverName` and `replicaServerName`.
#
# Environment:
#   STACK        Pulumi stack (required)
#   RULE_NAME    firewall rule name, unique per run: gha-<run_id>-<run_attempt> (required)
#   STATE_FILE   where `open` records the servers for `close`
#                (default: $RUNNER_TEMP/deploy-firewall-<stack>.txt)
#   RUNNER_IP    this runner's public IPv4 address; looked up with api.ipify.org when unset
#   RETRY_DELAY  seconds between retries of a busy server (default 20)
#
# `open` also deletes stale `gha-<digits>-<digits>` rules left by a run whose cleanup never ran (a
# runner that died): deployments of one stack never overlap (the deploy jobs' concurrency
# groups), so any such rule other than ours is stale.
#
# The Azure CLI renamed this command group's arguments (2.86, announced for May 2026): the server
# was `--name` and the rule `--rule-name`; now the server is `--server-name` and the rule `--name`.
# The flavour is read from the installed CLI's help, so the script works on either side.
set -euo pipefail

die() { echo "::error::deploy-firewall: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: deploy-firewall.sh open|close"
MODE=$1
: "${STACK:?STACK is required}"
: "${RULE_NAME:?RULE_NAME is required}"
[[ $RULE_NAME =~ ^gha-[0-9]+-[0-9]+$ ]] || die "RULE_NAME must look like gha-<run_id>-<run_attempt>, not '$RULE_NAME'"
STATE_FILE=${STATE_FILE:-${RUNNER_TEMP:-/tmp}/deploy-firewall-${STACK}.txt}
RETRY_DELAY=${RETRY_DELAY:-20}
ATTEMPTS=5

summary() { if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then echo "$*" >>"$GITHUB_STEP_SUMMARY"; fi; }

# Prints "<resourceGroupName> <serverName> <replicaServerName>" (missing values as "-") from
# `pulumi stack output --json` read on stdin.
parse_outputs() {
  node -e '
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const o = text.trim() === "" ? {} : JSON.parse(text);
      const pick = (k) => (typeof o[k] === "string" && o[k] !== "" ? o[k] : "-");
      console.log([pick("resourceGroupName"), pick("serverName"), pick("replicaServerName")].join(" "));
    });'
}

SERVER_FLAG=""
RULE_FLAG=""
detect_cli_flavour() {
  [[ -n $SERVER_FLAG ]] && return 0
  local help
  help=$(az postgres flexible-server firewall-rule create --help 2>&1 || true)
  # Argument lines look like "    --server-name -s [Required] : Name of the server."; the
  # deprecation notice mentions --server-name in prose, which must not count.
  local arg='([[:space:]]+-[a-z])?([[:space:]]+\[[^]]*\])*[[:space:]]*:'
  if grep -Eq -- "^[[:space:]]*--server-name$arg" <<<"$help"; then
    SERVER_FLAG=--server-name RULE_FLAG=--name
  elif grep -Eq -- "^[[:space:]]*--rule-name$arg" <<<"$help"; then
    SERVER_FLAG=--name RULE_FLAG=--rule-name
  else
    die "cannot tell how this Azure CLI names the server and rule arguments of 'az postgres flexible-server firewall-rule'"
  fi
}

# Runs an az command, retrying while the server is busy (Azure rejects concurrent operations on a
# server with ServerBusy) or the request fails transiently.
az_retry() {
  local attempt
  for ((attempt = 1; attempt <= ATTEMPTS; attempt++)); do
    if az "$@"; then return 0; fi
    if ((attempt < ATTEMPTS)); then
      echo "az $1 $2 $3 $4 failed (attempt $attempt of $ATTEMPTS); retrying in ${RETRY_DELAY}s" >&2
      sleep "$RETRY_DELAY"
    fi
  done
  return 1
}

rule_names() { # <rg> <server>
  az_retry postgres flexible-server firewall-rule list --resource-group "$1" "$SERVER_FLAG" "$2" \
    --query "[].name" --output tsv --only-show-errors
}

delete_rule() { # <rg> <server> <rule>
  az_retry postgres flexible-server firewall-rule delete --resource-group "$1" "$SERVER_FLAG" "$2" \
    "$RULE_FLAG" "$3" --yes --only-show-errors --output none
}

runner_ip() {
  local ip=${RUNNER_IP:-}
  if [[ -z $ip ]]; then
    ip=$(curl -fsS --max-time 10 --retry 3 https://api.ipify.org) || die "could not look up this runner's public address"
  fi
  local octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
  [[ $ip =~ ^$octet\.$octet\.$octet\.$octet$ ]] || die "'$ip' is not a public IPv4 address"
  echo "$ip"
}

open_access() {
  local ip outputs parsed rg primary replica server names name
  ip=$(runner_ip)
  # Errors here (no such stack, no access to the state) fail the job: `pulumi up` would fail too.
  outputs=$(pulumi stack output --json --stack "$STACK")
  parsed=$(parse_outputs <<<"$outputs")
  read -r rg primary replica <<<"$parsed"
  : >"$STATE_FILE"
  if [[ $rg == "-" || $primary == "-" ]]; then
    echo "::warning::Stack '$STACK' has no serverName/resourceGroupName output (never deployed?): no temporary firewall rule was opened. The database layer connects from this runner, so this first 'pulumi up' succeeds only if the runner's address ($ip) is in deployerIpRanges (a self-hosted runner with a fixed address); otherwise run the first 'up' from a machine listed there (docs/ci.md)."
    summary "No temporary firewall rule: stack \`$STACK\` has no server outputs yet."
    return 0
  fi
  detect_cli_flavour
  for server in "$primary" "$replica"; do
    [[ $server == "-" ]] && continue
    # Recorded before the rule exists, so `close` also cleans up after a half-finished `open`.
    echo "$rg $server" >>"$STATE_FILE"
    names=$(rule_names "$rg" "$server") || die "could not list the firewall rules of $server"
    while read -r name; do
      if [[ $name =~ ^gha-[0-9]+-[0-9]+$ && $name != "$RULE_NAME" ]]; then
        echo "Deleting stale rule $name on $server (left by an earlier run)"
        delete_rule "$rg" "$server" "$name" || die "could not delete stale rule $name on $server"
      fi
    done <<<"$names"
    az_retry postgres flexible-server firewall-rule create --resource-group "$rg" "$SERVER_FLAG" "$server" \
      "$RULE_FLAG" "$RULE_NAME" --start-ip-address "$ip" --end-ip-address "$ip" \
      --only-show-errors --output none || die "could not create rule $RULE_NAME on $server"
    echo "::notice::Opened $RULE_NAME for $ip on $server"
    summary "Temporary firewall rule \`$RULE_NAME\` for \`$ip\` on \`$server\`."
  done
}

close_access() {
  local servers=() outputs parsed rg primary replica entry server names failed=0
  if [[ -f $STATE_FILE ]]; then
    while read -r rg server; do [[ -n ${server:-} ]] && servers+=("$rg $server"); done <"$STATE_FILE"
  fi
  # Servers this `up` may have created (a new replica copies the primary's rules, ours included).
  if outputs=$(pulumi stack output --json --stack "$STACK") && parsed=$(parse_outputs <<<"$outputs"); then
    read -r rg primary replica <<<"$parsed"
    if [[ $rg != "-" ]]; then
      [[ $primary != "-" ]] && servers+=("$rg $primary")
      [[ $replica != "-" ]] && servers+=("$rg $replica")
    fi
  else
    echo "::warning::Could not read the outputs of stack '$STACK'; closing only the servers recorded by 'open'."
  fi
  if [[ ${#servers[@]} -eq 0 ]]; then
    echo "No server to close a rule on."
    return 0
  fi
  detect_cli_flavour
  while read -r entry; do
    [[ -z $entry ]] && continue
    read -r rg server <<<"$entry"
    if ! names=$(rule_names "$rg" "$server"); then
      echo "::error::Could not list the firewall rules of $server: $RULE_NAME may still be open there."
      failed=1
      continue
    fi
    if grep -qxF -- "$RULE_NAME" <<<"$names"; then
      if delete_rule "$rg" "$server" "$RULE_NAME"; then
        echo "::notice::Removed $RULE_NAME from $server"
        summary "Removed temporary firewall rule \`$RULE_NAME\` from \`$server\`."
      else
        echo "::error::Could not remove $RULE_NAME from $server: delete it by hand."
        failed=1
      fi
    else
      echo "$RULE_NAME is not on $server"
    fi
  done < <(printf '%s\n' "${servers[@]}" | sort -u)
  return "$failed"
}

case $MODE in
  open) open_access ;;
  close) close_access ;;
  *) die "usage: deploy-firewall.sh open|close" ;;
esac
