/*
 * The web chat page (docs/sandbox.md): HTML, CSS and JS built into the
 * binary from src/sandbox/webchat/ and served by the sandbox at "/" and
 * "/webchat/<file>". The page talks to the user API only.
 */
#ifndef TGSHOP_SANDBOX_WEBCHAT_H
#define TGSHOP_SANDBOX_WEBCHAT_H

#include <stddef.h>

struct webchat_asset {
    const char *content_type; /* with charset for text */
    const char *data;
    size_t len;
};

/* The asset a GET of path serves, or NULL when path is not a web chat page. */
const struct webchat_asset *webchat_find(const char *path, struct webchat_asset *out);

#endif
