#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the repository's example fleet and
# fixtures (fuzz/corpus/ is not committed; libFuzzer adds what it finds to it).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
mkdir -p "$corpus/yaml_validate" "$corpus/resolve_merge" "$corpus/validate_repo"

# yaml_validate: one byte for the kind (0 tenant, 1 tier, 2 platform), then the file.
n=0
while IFS= read -r -d '' f; do
  case "$f" in
    */tenants/*|tenants/*) kind='\x00' ;;
    */tiers/*|tiers/*) kind='\x01' ;;
    *platform.yaml) kind='\x02' ;;
    *) continue ;;
  esac
  { printf "$kind"; cat "$f"; } > "$corpus/yaml_validate/seed-$n"
  n=$((n + 1))
done < <(find platform.yaml tiers tenants fixtures -name '*.yaml' -size -64k -print0 | sort -z)

# resolve_merge: a tier file, NUL, overrides, NUL, a quantity.
overrides=('' '{quota: {pods: "5", requests.cpu: 1500m}}' '{environments: null, quota: {requests.memory: 3Gi}}' '{limits: {container: {max: {cpu: "4"}}}}' '{network: {defaultDeny: false}}')
quantities=('500m' '1.5Gi' '1e3' '0.000000001' '100M' '+7Ki' '12345678901234567890')
n=0
while IFS= read -r -d '' f; do
  i=$((n % ${#overrides[@]}))
  j=$((n % ${#quantities[@]}))
  { cat "$f"; printf '\0%s\0%s' "${overrides[$i]}" "${quantities[$j]}"; } > "$corpus/resolve_merge/seed-$n"
  n=$((n + 1))
done < <(find tiers fixtures -path '*/tiers/*.yaml' -size -64k -print0 | sort -z)

# validate_repo: each fixture repository (and the example fleet) as up to eight files — the
# platform, three tiers, three tenants and a template — each its path, a newline and its
# content, separated by NUL.
n=0
for dir in . fixtures/*/ fixtures/invalid/*/; do
  [ -d "$dir/tenants" ] || continue
  out="$corpus/validate_repo/seed-$n"
  : > "$out"
  first=1
  while IFS= read -r -d '' rel; do
    [ "$first" = 1 ] || printf '\0' >> "$out"
    first=0
    { printf '%s\n' "$rel"; cat "$dir/$rel"; } >> "$out"
  done < <(cd "$dir" && {
    find platform.yaml -maxdepth 0 -type f -print0 2>/dev/null
    find tiers -type f -size -64k -print0 2>/dev/null | sort -z | head -z -n 3
    find tenants -type f -size -64k -print0 2>/dev/null | sort -z | head -z -n 3
    find templates -type f -size -64k -print0 2>/dev/null | sort -z | head -z -n 1
  })
  n=$((n + 1))
done
ls "$corpus"/* | wc -l
