# Shared by the fake az scripts: check the arguments like the real CLI would, and record them.
# Sets: RESOURCE, TENANT_ARG.
[ -n "$FAKE_AZ_CALLS" ] && echo "$*" >> "$FAKE_AZ_CALLS"
if [ "$1" != "account" ] || [ "$2" != "get-access-token" ]; then
  echo "ERROR: fake az only knows 'account get-access-token'" >&2
  exit 2
fi
shift 2
RESOURCE=""
TENANT_ARG=""
OUTPUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --resource-type) RESOURCE="$2"; shift 2 ;;
    --resource) RESOURCE="$2"; shift 2 ;;
    --tenant) TENANT_ARG="$2"; shift 2 ;;
    --output|-o) OUTPUT="$2"; shift 2 ;;
    *) echo "ERROR: unrecognized arguments: $1" >&2; exit 2 ;;
  esac
done
if [ -z "$RESOURCE" ]; then
  # The real CLI would default to ARM, which Graph refuses: fail loudly instead.
  echo "ERROR: fake az: no --resource-type/--resource given (would mint an ARM token)" >&2
  exit 2
fi
if [ "$OUTPUT" != "json" ]; then
  echo "ERROR: fake az: expected --output json" >&2
  exit 2
fi
SIGNED_IN_TENANT="${FAKE_AZ_TENANT:-72f988bf-86f1-41af-91ab-2d7cd011db47}"
TOKEN="${FAKE_AZ_TOKEN:-fake-az-token-for-$RESOURCE}"
