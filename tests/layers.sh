#!/usr/bin/env bash
# The layer check (DESIGN §3): every #include "x/..." in SRC_DIR (default: this checkout's
# src/) must name the file's own layer or one that SRC_DIR/layers.txt lets its layer include.
# Prints one line per violation (file:line: what) and exits 1 when there is any, 0 otherwise.
# A directory of SRC_DIR missing from layers.txt, or an #include of an unknown "x/", is a
# violation too: a new layer must be placed in the table first.
set -euo pipefail

src=${1:-$(dirname "$0")/../src}
table=$src/layers.txt
[ -r "$table" ] || { echo "layers: cannot read $table" >&2; exit 2; }

problems=$(
    find "$src" -mindepth 2 -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z |
        xargs -0 awk -v table="$table" -v src="$src/" '
            BEGIN {
                while ((getline line < table) > 0) {
                    if (line ~ /^[ \t]*(#|$)/)
                        continue
                    n = split(line, f, /[ \t]+/)
                    known[f[1]] = 1
                    for (i = 1; i <= n; i++)
                        allowed[f[1], f[i]] = 1
                }
                close(table)
            }
            FNR == 1 {
                rel = substr(FILENAME, length(src) + 1)
                split(rel, parts, "/")
                layer = parts[1]
                if (!(layer in known) && !(layer in reported)) {
                    reported[layer] = 1
                    printf "%s: the directory src/%s/ is not a layer of layers.txt\n", rel, layer
                }
            }
            match($0, /^[ \t]*#[ \t]*include[ \t]*["<][a-z0-9_]+\//) {
                inc = substr($0, RSTART, RLENGTH - 1)
                sub(/.*["<]/, "", inc)
                quoted = $0 ~ /^[ \t]*#[ \t]*include[ \t]*"/
                if (!(inc in known)) {
                    if (quoted)
                        printf "%s:%d: includes \"%s/...\", not a layer of layers.txt\n", rel, FNR, inc
                } else if ((layer in known) && !((layer, inc) in allowed)) {
                    printf "%s:%d: %s/ may not include %s/ (layers.txt: %s may include only what its line lists)\n",
                        rel, FNR, layer, inc, layer
                }
            }'
)
if [ -n "$problems" ]; then
    printf '%s\n' "$problems"
    echo "layers: $(printf '%s\n' "$problems" | wc -l) include(s) break the layering of $table"
    exit 1
fi
echo "layers: every include of $src follows $table"
