#!/usr/bin/env bash
# A persona's life in curl: made, talked to, given a file, put to sleep, saved as a diary,
# deleted, and brought back from the diary. Run it against a daemon and an Ollama (the fake
# one is enough: `npm run fake-ollama -- --port 11435`):
#
#   API=http://127.0.0.1:5000 OLLAMA_URL=http://127.0.0.1:11435 bash examples/curl-walkthrough.sh
#
# Every step stops the script if the daemon refuses it (curl --fail-with-body shows why).
set -euo pipefail
API=${API:-http://127.0.0.1:5000}
OLLAMA_URL=${OLLAMA_URL:-http://127.0.0.1:11435}
MODEL=${MODEL:-llama3.2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
call() { curl -sS --fail-with-body "$@"; echo; }
field() { node -pe "JSON.parse(require('fs').readFileSync(0, 'utf8'))$1"; }

echo "== Create Ada (her recovery phrase is shown this once)"
created=$(call -X POST "$API/api/persona/create" -H 'content-type: application/json' \
  -d "{\"name\":\"Ada\",\"organs\":{\"thinking\":{\"provider\":\"ollama\",\"model\":\"$MODEL\",\"url\":\"$OLLAMA_URL\"}}}")
ID=$(echo "$created" | field .persona.id)
PHRASE=$(echo "$created" | field .recovery_phrase)
echo "Ada is $ID"

echo "== Talk to her, and wait up to 30 s for her answer"
call -X POST "$API/api/persona/$ID/read?wait=30" -H 'content-type: application/json' -d '{"message":"hello Ada"}'

echo "== Give her a text file, then read today's conversation"
printf 'Buy oat milk\nCall mum\n' > "$work/list.txt"
call -X POST "$API/api/persona/$ID/attach" -F "file=@$work/list.txt" -F caption='my list'
call "$API/api/persona/$ID/conversation"

echo "== A kind of file no plugin takes is refused before its body is read"
code=$(curl -s -o "$work/refused.json" -w '%{http_code}' -X POST "$API/api/persona/$ID/attach" -F "file=@$work/list.txt;filename=setup.exe")
echo "$code $(cat "$work/refused.json")"
[ "$code" = 415 ]

echo "== Her night, now: the day is archived and her diary written"
call -X POST "$API/api/persona/$ID/sleep"

echo "== Save her diary, delete her, and bring her back from it with her phrase"
curl -sS --fail-with-body -o "$work/ada.diary" "$API/api/persona/$ID/export"
call -X POST "$API/api/persona/$ID/delete"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/api/persona/$ID")
[ "$code" = 404 ] && echo "gone: $code"
call -X POST "$API/api/persona/migrate" -F "diary=@$work/ada.diary" -F "phrase=$PHRASE"
call "$API/api/persona/$ID/diagnose" | field '.state'
call -X POST "$API/api/persona/$ID/delete"
echo "== Done"
