#!/usr/bin/env bash
# Source checks that the compiler cannot do (STYLE.md B.2, B.7, B.9):
#  - banned libc functions anywhere in src/ (raw malloc/free outside common/alloc.c);
#  - include layering: a module includes only lcw/ headers of modules below it;
#  - bare TODO/XXX without an issue number;
#  - every .c under src/ opens with an SPDX line.
set -u
cd "$(dirname "$0")/.."
fail=0
say() { echo "lint: $*"; fail=1; }

banned='\b(sprintf|vsprintf|strcpy|strcat|strncpy|strncat|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime|mktime|strptime|rand|srand|strerror|system|popen|alloca)[[:space:]]*\('
while IFS= read -r hit; do say "banned function: $hit"; done < <(
  grep -rnE "$banned" src --include='*.c' --include='*.h' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' )
while IFS= read -r hit; do say "raw allocation outside common/alloc.c: $hit"; done < <(
  grep -rnE '(^|[^_a-z.>])(malloc|calloc|realloc|free)[[:space:]]*\(' src --include='*.c' \
    | grep -v '^src/common/alloc.c:' | grep -vE 'lcw_(x?malloc|calloc|realloc|free)|_free\(|json_|sqlite3_free|PQfreemem|curl_free|MHD_free' \
    | grep -vE '^\S+:[0-9]+:\s*(/\*|\*)' )

# Layer order: each module may include lcw/<m>.h only for modules at or below it.
layers=(common jsonx model odata store dir tasks engine api http daemon)
header_module() {
  case "$1" in
    common|config) echo common ;; *) echo "$1" ;;
  esac
}
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }
for dir in src/*/; do
  mod=$(basename "$dir")
  [ "$mod" = cli ] && continue
  r=$(rank "$mod")
  while IFS= read -r line; do
    file=${line%%:*}
    hdr=$(echo "$line" | sed -E 's/.*#include "lcw\/([a-z_]+)\.h".*/\1/')
    hr=$(rank "$(header_module "$hdr")")
    if [ "$hr" -lt 0 ] || [ "$hr" -gt "$r" ]; then
      say "$file includes lcw/$hdr.h, which is above module '$mod' in the layer order"
    fi
  done < <(grep -rnE '#include "lcw/[a-z_]+\.h"' "$dir" || true)
done
# Only the drivers include the database and HTTP headers.
while IFS= read -r hit; do say "sqlite3.h outside src/store/sqlite: $hit"; done < <(
  grep -rln '#include <sqlite3.h>' src | grep -v '^src/store/sqlite/')
while IFS= read -r hit; do say "libpq-fe.h outside src/store/postgres: $hit"; done < <(
  grep -rln '#include <libpq-fe.h>' src | grep -v '^src/store/postgres/')
while IFS= read -r hit; do say "microhttpd.h outside src/http: $hit"; done < <(
  grep -rln '#include <microhttpd.h>' src | grep -v '^src/http/')

while IFS= read -r hit; do say "TODO/XXX without an issue number: $hit"; done < <(
  grep -rnE '\b(TODO|XXX)\b' src include | grep -vE '(TODO|XXX)\(#[0-9]+\)')

for f in $(find src -name '*.c'); do
  head -n 1 "$f" | grep -q 'SPDX-License-Identifier' || say "$f: first line is not an SPDX line"
done

# Formatting (STYLE.md B.8): clang-format 14 must have nothing to change.
if command -v clang-format >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include tests -name '*.[ch]')
  if [ -n "$files" ] && ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
    say "clang-format would change: $(clang-format --dry-run $files 2>&1 | grep -oE '^[^:]+\.[ch]' | sort -u | tr '\n' ' ')(run 'make fmt')"
  fi
fi

if [ $fail -ne 0 ]; then
  echo "lint: FAILED"
  exit 1
fi
echo "lint: ok"
