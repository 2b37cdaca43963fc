#!/usr/bin/env bash
# Dumps an AWS account with the aws CLI into the snapshot folder format trailhound reads
# (docs/snapshot-format.md): the same files `trailhound collect` writes, read-only calls only.
#
#   scripts/snapshot.sh [--out DIR] [--regions us-east-1,eu-west-1] [--all-regions] [--jobs 4]
#
# Credentials, profile and endpoint come from the aws CLI's usual environment (AWS_PROFILE,
# AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, ...). Regions: --regions, else AWS_REGION,
# else AWS_DEFAULT_REGION, else every enabled region. A call that fails is recorded in
# DIR/_gaps.json (with the IAM permission it needs) and the dump goes on; the exit code is 2 when
# there were gaps. Up to --jobs calls run at once. Set AWS_CLI to use another aws binary.
set -uo pipefail

out="snapshot"
regions=""
max_jobs=4
all_regions=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --regions) regions="$2"; shift 2 ;;
    --regions=*) regions="${1#--regions=}"; shift ;;
    --all-regions) all_regions=1; shift ;;
    --jobs) max_jobs="$2"; shift 2 ;;
    --jobs=*) max_jobs="${1#--jobs=}"; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "snapshot.sh: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done

aws_bin="${AWS_CLI:-aws}"
if ! command -v "$aws_bin" >/dev/null; then
  echo "snapshot.sh: the aws CLI ($aws_bin) is not installed" >&2
  exit 64
fi
mkdir -p "$out" || exit 64
gaps_file="$(mktemp)"
err_file="$(mktemp)"
trap 'rm -f "$gaps_file" "$err_file"' EXIT

# Resource names become part of file names: the same rule as the collector.
sanitise() { printf '%s' "$1" | tr -c 'A-Za-z0-9._@+=-' '_'; }

json_string() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\t'/ }"
  s="${s//$'\r'/}"
  printf '"%s"' "$s"
}

# `describe-instances` → `DescribeInstances`; IAM spells a few acronyms in capitals.
permission() {
  local service="$1" op="$2" action="" part
  IFS='-' read -ra parts <<<"$op"
  for part in "${parts[@]}"; do
    case "$part" in
      ssh) action+="SSH" ;;
      mfa) action+="MFA" ;;
      *) action+="${part^}" ;;
    esac
  done
  printf '%s:%s' "$service" "$action"
}

# call REGION FILE [--absent CODE] SERVICE OPERATION [ARGS...]
# Runs one aws CLI call and writes its JSON to FILE (in DIR, or DIR/REGION). REGION "-" means a
# global call. A failure is a gap, except the error code named by --absent ("there is none").
call() {
  local region="$1" file="$2"; shift 2
  local absent=""
  if [ "$1" = "--absent" ]; then absent="$2"; shift 2; fi
  local service="$1" op="$2"; shift 2
  local dir="$out" region_args=()
  if [ "$region" != "-" ]; then
    dir="$out/$region"
    region_args=(--region "$region")
  fi
  mkdir -p "$dir"
  local target="$dir/$(sanitise "${file%.json}").json"
  # Calls run concurrently: each keeps its own stderr.
  local err_file="$target.err"
  if "$aws_bin" "$service" "$op" "$@" "${region_args[@]}" --output json >"$target.part" 2>"$err_file"; then
    rm -f "$err_file"
    # Some calls print nothing on success; keep the file a JSON object.
    if [ ! -s "$target.part" ]; then echo '{}' >"$target.part"; fi
    mv "$target.part" "$target"
    return 0
  fi
  rm -f "$target.part"
  local message code
  # The CLI's own "An error occurred (Code) when calling ..." line, else its last line without
  # markup (an endpoint answering HTML).
  message="$(grep -m 1 'An error occurred' "$err_file")"
  if [ -z "$message" ]; then
    message="$(grep -v '^[[:space:]]*$' "$err_file" | tail -n 1 | sed -e 's/<[^>]*>//g' -e 's/\\n/ /g' | cut -c 1-300)"
  fi
  code="$(sed -n 's/.*An error occurred (\([^)]*\)).*/\1/p' "$err_file" | head -n 1)"
  rm -f "$err_file"
  if [ -n "$absent" ] && [ "$code" = "$absent" ]; then
    return 1
  fi
  local denied=false
  case "$code" in
    AccessDenied|AccessDeniedException|UnauthorizedOperation|Client.UnauthorizedOperation|UnauthorizedAccess|AuthorizationError|AuthFailure) denied=true ;;
  esac
  local perm where=""
  perm="$(permission "$service" "$op")"
  [ "$region" != "-" ] && where="$region: "
  if [ "$denied" = true ]; then
    echo "warning: $where$service $op: access denied; grant $perm to collect it" >&2
  else
    echo "warning: $where$service $op failed: $message" >&2
  fi
  {
    printf '{"region": %s, "operation": %s, "permission": %s, "access_denied": %s, "error_code": %s, "error": %s}\n' \
      "$([ "$region" = "-" ] && echo null || json_string "$region")" \
      "$(json_string "$service $op")" "$(json_string "$perm")" "$denied" \
      "$([ -n "$code" ] && json_string "$code" || echo null)" "$(json_string "${message:-exit status}")"
  } >>"$gaps_file"
  return 1
}

# values FILE KEY: the string values of "KEY" in a file the aws CLI wrote (one per line, sorted,
# unique). Reading the saved answer spares a second call; the CLI prints one key per line.
values() {
  [ -f "$1" ] || return 0
  grep -o "\"$2\": \"[^\"]*\"" "$1" | sed 's/.*: "\(.*\)"$/\1/' | sort -u
}

# list_values FILE KEY: the strings of a list of strings under "KEY".
list_values() {
  [ -f "$1" ] || return 0
  sed -n "/\"$2\": \[/,/\]/p" "$1" | grep -o '"[^"]*"' | grep -v "\"$2\"" | tr -d '"' | sort -u
}

# job FUNCTION ARGS...: runs one group of dependent calls in the background, at most $jobs at once.
job() {
  while [ "$(jobs -rp | wc -l)" -ge "$max_jobs" ]; do wait -n; done
  "$@" &
}

instances() {
  local r="$1" id attr
  call "$r" ec2-describe-instances.json ec2 describe-instances || return
  for id in $(values "$out/$r/ec2-describe-instances.json" InstanceId); do
    for attr in disableApiTermination instanceInitiatedShutdownBehavior; do
      call "$r" "ec2-describe-instance-attribute-$id-$attr.json" ec2 describe-instance-attribute \
        --instance-id "$id" --attribute "$attr"
    done
  done
}

prefix_lists() {
  local r="$1" id
  call "$r" ec2-describe-managed-prefix-lists.json ec2 describe-managed-prefix-lists || return
  for id in $(values "$out/$r/ec2-describe-managed-prefix-lists.json" PrefixListId); do
    call "$r" "ec2-get-managed-prefix-list-entries-$id.json" ec2 get-managed-prefix-list-entries --prefix-list-id "$id"
  done
}

launch_templates() {
  local r="$1" id
  call "$r" ec2-describe-launch-templates.json ec2 describe-launch-templates || return
  for id in $(values "$out/$r/ec2-describe-launch-templates.json" LaunchTemplateId); do
    call "$r" "ec2-describe-launch-template-versions-$id.json" ec2 describe-launch-template-versions --launch-template-id "$id"
  done
}

images() {
  local r="$1" id
  call "$r" ec2-describe-images.json ec2 describe-images --owners self || return
  for id in $(values "$out/$r/ec2-describe-images.json" ImageId); do
    call "$r" "ec2-describe-image-attribute-$id-launchPermission.json" ec2 describe-image-attribute \
      --image-id "$id" --attribute launchPermission
  done
}

snapshots() {
  local r="$1" id
  call "$r" ec2-describe-snapshots.json ec2 describe-snapshots --owner-ids self || return
  for id in $(values "$out/$r/ec2-describe-snapshots.json" SnapshotId); do
    call "$r" "ec2-describe-snapshot-attribute-$id-createVolumePermission.json" ec2 describe-snapshot-attribute \
      --snapshot-id "$id" --attribute createVolumePermission
  done
}

trails() {
  local r="$1" name
  # Trails whose home is this region; status and selector files are named by the trail's name.
  call "$r" cloudtrail-describe-trails.json cloudtrail describe-trails --no-include-shadow-trails || return
  for name in $(values "$out/$r/cloudtrail-describe-trails.json" Name); do
    call "$r" "cloudtrail-get-trail-status-$name.json" cloudtrail get-trail-status --name "$name"
    call "$r" "cloudtrail-get-event-selectors-$name.json" cloudtrail get-event-selectors --trail-name "$name"
  done
}

guardduty() {
  local r="$1" id
  call "$r" guardduty-list-detectors.json guardduty list-detectors || return
  for id in $(list_values "$out/$r/guardduty-list-detectors.json" DetectorIds); do
    call "$r" "guardduty-get-detector-$id.json" guardduty get-detector --detector-id "$id"
  done
}

dump_region() {
  local r="$1"
  mkdir -p "$out/$r"
  job instances "$r"
  job call "$r" ec2-describe-network-interfaces.json ec2 describe-network-interfaces
  job call "$r" ec2-describe-security-groups.json ec2 describe-security-groups
  job call "$r" ec2-describe-security-group-rules.json ec2 describe-security-group-rules
  job call "$r" ec2-describe-network-acls.json ec2 describe-network-acls
  job call "$r" ec2-describe-subnets.json ec2 describe-subnets
  job call "$r" ec2-describe-vpcs.json ec2 describe-vpcs
  job call "$r" ec2-describe-route-tables.json ec2 describe-route-tables
  job call "$r" ec2-describe-internet-gateways.json ec2 describe-internet-gateways
  job call "$r" ec2-describe-nat-gateways.json ec2 describe-nat-gateways
  job call "$r" ec2-describe-egress-only-internet-gateways.json ec2 describe-egress-only-internet-gateways
  job call "$r" ec2-describe-vpc-peering-connections.json ec2 describe-vpc-peering-connections
  job call "$r" ec2-describe-key-pairs.json ec2 describe-key-pairs --include-public-key
  job call "$r" ec2-describe-addresses.json ec2 describe-addresses
  job call "$r" ec2-describe-iam-instance-profile-associations.json ec2 describe-iam-instance-profile-associations
  job prefix_lists "$r"
  job launch_templates "$r"
  job call "$r" ec2-describe-volumes.json ec2 describe-volumes
  job call "$r" ec2-get-ebs-encryption-by-default.json ec2 get-ebs-encryption-by-default
  job images "$r"
  job snapshots "$r"
  job call "$r" ec2-describe-flow-logs.json ec2 describe-flow-logs
  job call "$r" ec2-get-instance-metadata-defaults.json ec2 get-instance-metadata-defaults
  job call "$r" ec2-get-serial-console-access-status.json ec2 get-serial-console-access-status
  job call "$r" autoscaling-describe-auto-scaling-groups.json autoscaling describe-auto-scaling-groups
  job call "$r" autoscaling-describe-launch-configurations.json autoscaling describe-launch-configurations
  job trails "$r"
  job guardduty "$r"
  job call "$r" ssm-describe-instance-information.json ssm describe-instance-information
}

iam_user() {
  local user="$1" key
  if call - "iam-list-ssh-public-keys-$user.json" iam list-ssh-public-keys --user-name "$user"; then
    for key in $(values "$out/$(sanitise "iam-list-ssh-public-keys-$user").json" SSHPublicKeyId); do
      # Public key body and fingerprint (not secret; the list call lacks them).
      call - "iam-get-ssh-public-key-$user-$key.json" iam get-ssh-public-key \
        --user-name "$user" --ssh-public-key-id "$key" --encoding SSH
    done
  fi
  if call - "iam-list-access-keys-$user.json" iam list-access-keys --user-name "$user"; then
    for key in $(values "$out/$(sanitise "iam-list-access-keys-$user").json" AccessKeyId); do
      call - "iam-get-access-key-last-used-$key.json" iam get-access-key-last-used --access-key-id "$key"
    done
  fi
  call - "iam-list-mfa-devices-$user.json" iam list-mfa-devices --user-name "$user"
  # No login profile means no console password: a fact, not a gap.
  call - "iam-get-login-profile-$user.json" --absent NoSuchEntity iam get-login-profile --user-name "$user"
}

credential_report() {
  # The report is generated asynchronously: ask until it is complete, then fetch it.
  local state="" tries=0
  while [ "$tries" -lt 10 ]; do
    state="$("$aws_bin" iam generate-credential-report --query State --output text 2>/dev/null)" || break
    [ "$state" = "COMPLETE" ] && break
    tries=$((tries + 1))
    sleep 1
  done
  call - iam-get-credential-report.json iam get-credential-report
}

dump_iam() {
  local user
  job call - sts-get-caller-identity.json sts get-caller-identity
  job call - iam-get-account-authorization-details.json iam get-account-authorization-details
  job call - iam-list-instance-profiles.json iam list-instance-profiles
  job call - iam-get-account-password-policy.json --absent NoSuchEntity iam get-account-password-policy
  job credential_report
  if call - iam-list-users.json iam list-users; then
    for user in $(values "$out/iam-list-users.json" UserName); do
      job iam_user "$user"
    done
  fi
}

if [ -z "$regions" ] && [ "$all_regions" = 0 ]; then
  regions="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
fi
if [ -z "$regions" ]; then
  regions="$("$aws_bin" ec2 describe-regions --region us-east-1 --query 'Regions[].RegionName' --output text 2>"$err_file" | tr '\t' ',')"
  if [ -z "$regions" ]; then
    echo "snapshot.sh: no region given and describe-regions failed: $(tail -n 1 "$err_file")" >&2
    echo "  pass --regions or set AWS_REGION" >&2
    exit 2
  fi
fi

dump_iam
IFS=',' read -ra region_list <<<"$regions"
for r in "${region_list[@]}"; do
  r="$(echo "$r" | tr -d '[:space:]')"
  [ -n "$r" ] && dump_region "$r"
done
wait

{
  echo "["
  sed '$!s/$/,/' "$gaps_file" | sed 's/^/  /'
  echo "]"
} >"$out/_gaps.json"
gaps="$(wc -l <"$gaps_file" | tr -d ' ')"
files="$(find "$out" -name '*.json' ! -name '_gaps.json' | wc -l | tr -d ' ')"
note=""
[ "$gaps" = 0 ] || note=" (listed in $out/_gaps.json)"
echo "wrote $files files to $out for regions $regions; $gaps gaps$note" >&2
[ "$gaps" = 0 ] || exit 2
