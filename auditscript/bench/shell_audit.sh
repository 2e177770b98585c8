#!/usr/bin/env bash
# Baseline (b): the common shell approach. Two AWS CLI calls (auto-paginated) joined with jq.
# Usage: shell_audit.sh REGION OUTPUT. Uses AWS_ENDPOINT_URL from the environment when set.
set -euo pipefail
region=$1 output=$2
aws=${AWS_CLI:-/usr/bin/aws}
endpoint=()
if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then endpoint=(--endpoint-url "$AWS_ENDPOINT_URL"); fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$aws" "${endpoint[@]}" --region "$region" ec2 describe-instances --output json \
  --filters Name=instance-state-name,Values=pending,running,stopping,stopped >"$tmp/instances.json"
"$aws" "${endpoint[@]}" --region "$region" ec2 describe-volumes --output json >"$tmp/volumes.json"
jq -r --slurpfile vols "$tmp/volumes.json" '
  ([$vols[0].Volumes[] | .Size as $s | .Attachments[] | {key: .InstanceId, value: $s}]
   | group_by(.key) | map({key: .[0].key, value: (map(.value) | add)}) | from_entries) as $ebs
  | ["InstanceID", "StartTime", "Size", "TotalDiskGiB"],
    (.Reservations[].Instances[] | [.InstanceId, .LaunchTime, .InstanceType, ($ebs[.InstanceId] // 0)])
  | @csv' "$tmp/instances.json" >"$output"
