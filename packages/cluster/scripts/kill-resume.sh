#!/bin/sh
# `fcm broadcast` survives kill -9: from a clone (after scripts/bootstrap.sh), starts an emulator answering after 50 ms,
# `fcm broadcast start`s a campaign of TOKENS (100,000) tokens on a SQLite file, kills it with SIGKILL once a quarter
# is in the ledger, runs `fcm broadcast resume`, and prints the campaign's final status and how many tokens the
# emulator received twice (those in flight at the kill).
#
#   sh packages/cluster/scripts/kill-resume.sh [TOKENS=100000]
set -u
TOKENS=${1:-100000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fcm-kill-resume-XXXXXX")
FCM="node --import tsx packages/cli/src/bin.ts"
node -e "for (let i = 0; i < $TOKENS; i++) console.log('device-' + i)" > "$WORK/tokens.txt"

$FCM emulator --port 0 --latency 50 --no-record --out "$WORK" > "$WORK/emulator.log" 2>&1 &
EMULATOR=$!
trap 'kill $EMULATOR 2>/dev/null; rm -rf "$WORK"' EXIT
URL=
while [ -z "$URL" ]; do
  sleep 0.2
  URL=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/emulator.log" | head -1)
  kill -0 $EMULATOR 2>/dev/null || { cat "$WORK/emulator.log"; exit 1; }
done
FLAGS="--db $WORK/campaigns.db --credentials $WORK/service-account.json --base-url $URL"
done_() {
  $FCM broadcast status --id kill-resume --db "$WORK/campaigns.db" --json 2>/dev/null |
    node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
      try { console.log(JSON.parse(s).done) } catch { console.log(0) } })'
}

# node itself, not a wrapper, so that SIGKILL reaches the runner
$FCM broadcast start --id kill-resume --tokens-file "$WORK/tokens.txt" --data wave=1 --collapse-key kill-resume \
  $FLAGS > "$WORK/start.log" 2>&1 &
RUNNER=$!
DONE=0
while [ "$DONE" -lt $((TOKENS / 4)) ]; do
  sleep 2
  kill -0 $RUNNER 2>/dev/null || { echo "the runner ended before the kill:"; cat "$WORK/start.log"; exit 1; }
  DONE=$(done_)
done
kill -9 $RUNNER
wait $RUNNER 2>/dev/null
echo "killed with SIGKILL at $(done_) of $TOKENS in the ledger"

$FCM broadcast resume --id kill-resume $FLAGS --json > "$WORK/resume.json" 2> "$WORK/resume.log"
CODE=$?
echo "fcm broadcast resume: exit $CODE"
cat "$WORK/resume.json"
curl -s "$URL/__emulator/counters" | node -e 'let s = ""; process.stdin.on("data", (d) => s += d).on("end", () => {
  const sent = JSON.parse(s).routes.v1
  console.log(`the emulator received ${sent} sends for ${process.argv[1]} tokens: ${sent - process.argv[1]} sent twice`)
})' "$TOKENS"
exit $CODE
