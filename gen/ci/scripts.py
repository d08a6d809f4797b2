"""The shell the workflow steps run. Every value from outside the workflow (branch names, pull
request numbers, matrix entries) reaches a script through `env:`, never through `${{ }}` in
the script text, so no title or branch name can become shell code.

Each script runs under GitHub's `bash -e -o pipefail`; a command whose exit status carries
meaning (terraform's -detailed-exitcode, gen's exit 3) runs between `set +e` and `set -e`.
Under pipefail a reader that stops early (`head -n 1`) can fail the step by breaking its
writer's pipe, so the first line is taken with `sed -n 1p`, which reads to the end.
"""

from __future__ import annotations

COMMENT_LIMIT = 60000  # GitHub refuses comments over 65,536 characters; room for the header and notice

SYNTH = 'gen synth "$GEN_APP" --env "$GEN_ENV" ${GEN_PREVIEW:+--from "$GEN_PREVIEW"}\n'

PLAN = """\
dir="out/stacks/$STACK"
terraform -chdir="$dir" init -input=false -no-color
set +e
terraform -chdir="$dir" plan -input=false -no-color -lock=false -detailed-exitcode -out=plan.tfplan
status=$?
set -e
case "$status" in
  0) echo "changes=false" >> "$GITHUB_OUTPUT" ;;
  2) echo "changes=true" >> "$GITHUB_OUTPUT" ;;
  *) exit "$status" ;;
esac
terraform -chdir="$dir" show -json plan.tfplan > "$RUNNER_TEMP/plan.json"
"""

# gen review exits 0 (no approval needed), 3 (a person must approve) or 2 (bad plan). Where
# gen review has --max-chars (it shortens Markdown to fit a comment by default), the job
# summary asks for the whole review with --max-chars 0.
REVIEW = """\
whole=()
if gen review --help | grep -e --max-chars > /dev/null; then whole=(--max-chars 0); fi
set +e
gen review "$RUNNER_TEMP/plan.json" ${REVIEW_ENV:+--app "$GEN_APP" --env "$REVIEW_ENV"} --format markdown "${whole[@]}" > "$RUNNER_TEMP/review.md"
status=$?
set -e
case "$status" in
  0) echo "approval=false" >> "$GITHUB_OUTPUT" ;;
  3) echo "approval=true" >> "$GITHUB_OUTPUT" ;;
  *) exit "$status" ;;
esac
gen review "$RUNNER_TEMP/plan.json" ${REVIEW_ENV:+--app "$GEN_APP" --env "$REVIEW_ENV"} --format json \\
  > "$RUNNER_TEMP/review.json" || [ "$?" = 3 ]
digest=$(sha256sum < "$RUNNER_TEMP/review.json" | cut -d ' ' -f 1)
echo "digest=$digest" >> "$GITHUB_OUTPUT"
{
  echo "## $GEN_ENV"; echo; cat "$RUNNER_TEMP/review.md"; echo
  echo "Approval digest of this review: \\`$digest\\` (docs/ci.md: approval without required reviewers)."
} >> "$GITHUB_STEP_SUMMARY"
"""

# The comment: `gen review --max-chars` shortens the review to fit where gen has it (it
# keeps the verdict, the reasons and the riskiest resources); the cut below is the safety
# net, and all there is with a gen without it: whole lines only, counted in UTF-16 code units
# as GitHub counts them, open code fences and <details> closed, and a link to the job
# summary, which holds the full review.
COMMENT = f"""\
review="$RUNNER_TEMP/review.md"
if gen review --help | grep -e --max-chars > /dev/null; then
  gen review "$RUNNER_TEMP/plan.json" ${{REVIEW_ENV:+--app "$GEN_APP" --env "$REVIEW_ENV"}} --format markdown \\
    --max-chars {COMMENT_LIMIT} > "$RUNNER_TEMP/short.md" || [ "$?" = 3 ]
  review="$RUNNER_TEMP/short.md"
fi
python3 - "$review" "$RUNNER_TEMP/comment.md" <<'PY'
import os, sys
limit = {COMMENT_LIMIT}
text = open(sys.argv[1], encoding="utf-8").read()
head = os.environ["MARKER"] + "\\n### gen plan: " + os.environ["GEN_ENV"] + "\\n\\n"
kept, size, fence, details = [], 0, False, 0
lines = text.splitlines(keepends=True)
for line in lines:
    units = len(line.encode("utf-16-le")) // 2
    if size + units > limit:
        break
    kept.append(line)
    size += units
    if line.lstrip().startswith("```"):
        fence = not fence
    details += line.count("<details") - line.count("</details>")
body = "".join(kept)
if len(kept) < len(lines):
    run = os.environ["GITHUB_SERVER_URL"] + "/" + os.environ["GITHUB_REPOSITORY"] + "/actions/runs/" + os.environ["GITHUB_RUN_ID"]
    body += ("\\n```\\n" if fence else "\\n") + "</details>\\n" * max(details, 0)
    body += f"\\n**Cut to fit a comment: the full review is in the [job summary]({{run}}).**\\n"
open(sys.argv[2], "w", encoding="utf-8").write(head + body)
PY
"""

# When a plan fails, its comment says so, so nobody reads the last good plan as this one.
FAILED_COMMENT = """\
run="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
printf '%s\\n### gen plan: %s\\n\\n**The plan failed**: see [the run](%s).\\n' "$MARKER" "$GEN_ENV" "$run" > "$RUNNER_TEMP/comment.md"
"""

UPSERT_COMMENT = """\
id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" \\
  --jq '.[] | select(.user.login == "github-actions[bot]" and (.body | startswith(env.MARKER))) | .id' | sed -n 1p)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$BODY" > /dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments" -F "body=@$BODY" > /dev/null
fi
"""

# What the apply job checks before it applies the saved plan: same commit, same stack file,
# same state (lineage and serial), and terraform itself refuses a plan whose state moved on.
SAVE_PLAN = """\
dir="out/stacks/$STACK"
saved="$RUNNER_TEMP/saved"
mkdir -p "$saved"
mv "$dir/plan.tfplan" "$saved/plan.tfplan"
terraform -chdir="$dir" state pull > "$RUNNER_TEMP/state.json"
jq -n --arg commit "$GITHUB_SHA" --arg stack "$(sha256sum < "$dir/cdk.tf.json" | cut -d ' ' -f 1)" \\
  --arg serial "$(jq -r '.serial // ""' < "$RUNNER_TEMP/state.json")" \\
  --arg lineage "$(jq -r '.lineage // ""' < "$RUNNER_TEMP/state.json")" \\
  '{commit: $commit, stack_sha256: $stack, serial: $serial, lineage: $lineage}' > "$saved/meta.json"
cat "$saved/meta.json"
"""

CHECK_SAVED = """\
dir="out/stacks/$STACK"
meta="$RUNNER_TEMP/saved/meta.json"
if [ "$(jq -r .commit "$meta")" != "$GITHUB_SHA" ]; then
  echo "::error::The saved plan was made for commit $(jq -r .commit "$meta"), not $GITHUB_SHA."
  exit 1
fi
if [ "$(sha256sum < "$dir/cdk.tf.json" | cut -d ' ' -f 1)" != "$(jq -r .stack_sha256 "$meta")" ]; then
  echo "::error::The stack synthesized here differs from the one that was planned."
  exit 1
fi
terraform -chdir="$dir" init -input=false -no-color
terraform -chdir="$dir" state pull > "$RUNNER_TEMP/state-now.json"
now="$(jq -r '.lineage // ""' < "$RUNNER_TEMP/state-now.json")/$(jq -r '.serial // ""' < "$RUNNER_TEMP/state-now.json")"
then="$(jq -r .lineage "$meta")/$(jq -r .serial "$meta")"
if [ "$now" != "$then" ]; then
  echo "::error::The state changed since the plan (lineage/serial $then, now $now): run the workflow again."
  exit 1
fi
"""

# Approval is enforced twice: by the GitHub environment's required reviewers (the job waits),
# and here, where the run's recorded approvals are read back. Where the environment has no
# required reviewers (docs/ci.md), the only other way past is a person dispatching the
# workflow with `approve` set to the digest of the review they read (gen review's JSON is
# deterministic): that person is the approver, of exactly the changes they read. Only an
# explicit `false` skips the check: a missing or garbled approval output fails closed.
CHECK_APPROVAL = """\
if [ "$APPROVAL_REQUIRED" = false ]; then
  echo "No approval needed."
  exit 0
fi
approved=$(gh api "repos/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID/approvals" \\
  --jq '[.[] | select(.state == "approved") | .environments[].name | select(. == env.GATE)] | length')
if [ "$approved" -gt 0 ]; then
  echo "Approved in the GitHub environment $GATE."
elif [ "$GITHUB_EVENT_NAME" = workflow_dispatch ] && [ -n "$DISPATCH_APPROVE" ]; then
  if [ "$DISPATCH_APPROVE" != "$REVIEW_DIGEST" ]; then
    echo "::error::The plan's review changed since the one approved (approved $DISPATCH_APPROVE, this plan's $REVIEW_DIGEST)."
    exit 1
  fi
  echo "Approved by $GITHUB_ACTOR, who dispatched this run with this review's digest." | tee -a "$GITHUB_STEP_SUMMARY"
else
  echo "::error::This plan needs approval, and the environment $GATE recorded none (does it have required reviewers?). See docs/ci.md: approval."
  exit 1
fi
"""

APPLY = 'terraform -chdir="out/stacks/$STACK" apply -input=false -no-color "$RUNNER_TEMP/saved/plan.tfplan"\n'

PREVIEW_RISKS = """\
flagged=$(jq '[.resources[].risks[].class | select(. == "security" or . == "exposure")] | length > 0' "$RUNNER_TEMP/review.json")
echo "flagged=$flagged" >> "$GITHUB_OUTPUT"
"""

PREVIEW_URL = """\
url=$(terraform -chdir="out/stacks/$STACK" output -json | jq -r '.url.value // empty')
echo "url=$url" >> "$GITHUB_OUTPUT"
printf '%s\\n### gen preview: %s\\n\\n%s\\n' "$MARKER" "$GEN_ENV" "${url:-The preview has no public URL.}" > "$RUNNER_TEMP/comment.md"
"""

DESTROY = """\
dir="out/stacks/$STACK"
terraform -chdir="$dir" init -input=false -no-color
terraform -chdir="$dir" destroy -auto-approve -input=false -no-color
"""

REMOVE_STATE = {
    "aws": 'aws s3 rm "s3://$STATE_BUCKET/$STATE_OBJECT"',
    "gcp": 'gcloud storage rm "gs://$STATE_BUCKET/$STATE_OBJECT"',
}

# Previews whose state is still in the bucket: the pull request numbers, one a line.
LIST_PREVIEWS = {
    "aws": """\
aws s3api list-objects-v2 --bucket "$STATE_BUCKET" --prefix "$STATE_PREFIX" --query 'Contents[].Key' --output text \\
  | tr '\\t' '\\n' | sed -n 's|^.*/pr-\\([0-9][0-9]*\\)/terraform.tfstate$|\\1|p' | sort -un > "$RUNNER_TEMP/previews.txt"
""",
    "gcp": """\
gcloud storage ls "gs://$STATE_BUCKET/$STATE_PREFIX*/default.tfstate" 2> /dev/null \\
  | sed -n 's|^.*/pr-\\([0-9][0-9]*\\)/default.tfstate$|\\1|p' | sort -un > "$RUNNER_TEMP/previews.txt" || true
""",
}

# The list is read on descriptor 3, so that nothing in the loop (gh, gen, terraform) can
# swallow the numbers still to come from standard input.
SWEEP = """\
while read -r number <&3; do
  state=$(gh pr view "$number" --repo "$GITHUB_REPOSITORY" --json state --jq .state)
  if [ "$state" = OPEN ]; then continue; fi
  echo "Pull request $number is $state: destroying its preview."
  out="$RUNNER_TEMP/sweep-$number"
  gen synth "$GEN_APP" --env "pr:$number" --from "$GEN_PREVIEW" --out "$out"
  dir=$(find "$out/stacks" -mindepth 1 -maxdepth 1 -type d | sed -n 1p)
  terraform -chdir="$dir" init -input=false -no-color
  terraform -chdir="$dir" destroy -auto-approve -input=false -no-color
  STATE_OBJECT="${STATE_PATTERN//\\*/$number}"
  @REMOVE@
done 3< "$RUNNER_TEMP/previews.txt"
"""

DRIFT = f"""\
dir="out/stacks/$STACK"
terraform -chdir="$dir" init -input=false -no-color
set +e
terraform -chdir="$dir" plan -refresh-only -detailed-exitcode -lock=false -input=false -no-color > "$RUNNER_TEMP/drift.txt" 2>&1
status=$?
set -e
run="$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID"
number=$(gh issue list --repo "$GITHUB_REPOSITORY" --label gen-drift --state open --json number,title \\
  --jq '.[] | select(.title == env.TITLE) | .number' | sed -n 1p)
case "$status" in
  0)
    echo "No drift in $GEN_ENV."
    if [ -n "$number" ]; then
      gh issue close "$number" --repo "$GITHUB_REPOSITORY" --comment "No drift any more ([this run]($run))."
    fi
    exit 0 ;;
  2) ;;
  *) cat "$RUNNER_TEMP/drift.txt"; exit "$status" ;;
esac
{{
  echo "Resources of \\`$GEN_ENV\\` changed outside Terraform (seen by [this run]($run))."
  echo
  echo '```'
  head -c {COMMENT_LIMIT} "$RUNNER_TEMP/drift.txt" | iconv -c -f utf-8 -t utf-8
  echo
  echo '```'
}} > "$RUNNER_TEMP/issue.md"
cat "$RUNNER_TEMP/issue.md" >> "$GITHUB_STEP_SUMMARY"
gh label create gen-drift --repo "$GITHUB_REPOSITORY" --color d93f0b --description "gen: infrastructure drift" --force
if [ -n "$number" ]; then
  gh issue edit "$number" --repo "$GITHUB_REPOSITORY" --body-file "$RUNNER_TEMP/issue.md"
else
  gh issue create --repo "$GITHUB_REPOSITORY" --title "$TITLE" --label gen-drift --body-file "$RUNNER_TEMP/issue.md"
fi
"""
