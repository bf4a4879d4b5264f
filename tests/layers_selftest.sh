# The layer check (tests/layers.sh) can fail: on small trees made here it names each include
# that goes up a layer, to a sibling it must not know, or to an unknown layer, and passes a
# tree that keeps the rules.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
check=$TGSHOP_SOURCE_DIR/tests/layers.sh

# tree DIR: a small src/ that keeps the rules
tree() {
    mkdir -p "$1"/{core,db,shop,http,sandbox}
    cat >"$1/layers.txt" <<'TABLE'
# a comment
core
db      core
shop    core db
http    core
sandbox core http
TABLE
    printf '#include <stdio.h>\n#include "core/buf.h"\n' >"$1/core/buf.c"
    printf '#include "core/buf.h"\n#include <sys/stat.h>\n' >"$1/db/db.h"
    printf '#include "db/db.h"\n#include "core/buf.h"\n#include "shop/cart.h"\n' >"$1/shop/cart.c"
    printf '#include "core/buf.h"\n' >"$1/http/server.h"
    printf '#include "http/server.h"\n  #  include "core/buf.h"\n' >"$1/sandbox/sandbox.c"
}

tree good
expect 0 "a tree that keeps the rules passes" bash "$check" good
contains "says so" "$OUT" "every include of good follows good/layers.txt"

tree up
printf '#include "core/buf.h"\n\n#include "shop/cart.h"\n' >>up/db/db.h
expect 1 "db including shop (a layer above) fails" bash "$check" up
contains "names the file and line" "$OUT" "db/db.h:5: db/ may not include shop/"

tree sibling
printf '#include "shop/cart.h"\n' >>sibling/sandbox/sandbox.c
printf '# include <db/db.h>\n' >>sibling/http/server.h
expect 1 "sandbox including shop (not below it for sandbox) fails" bash "$check" sibling
contains "sandbox named" "$OUT" "sandbox/sandbox.c:3: sandbox/ may not include shop/"
contains "angle brackets and spaces caught" "$OUT" "http/server.h:2: http/ may not include db/"
contains "counted" "$OUT" "2 include(s) break the layering"

tree unknown
mkdir unknown/media
printf '#include "core/buf.h"\n' >unknown/media/upload.c
printf '#include "media/upload.h"\n' >>unknown/shop/cart.c
expect 1 "a layer missing from the table fails" bash "$check" unknown
contains "the directory is named" "$OUT" "media/upload.c: the directory src/media/ is not a layer"
contains "an include of it is named" "$OUT" 'shop/cart.c:4: includes "media/...", not a layer'

expect 2 "a tree without layers.txt is an error" bash "$check" nowhere
contains "explained" "$ERR" "cannot read nowhere/layers.txt"

finish
