/*
 * Static files for the HTTP server: assets built into the binary (core/embed.h) and
 * uploaded images from a directory (MEDIA_DIR). Both answer with an ETag and
 * Cache-Control, and 304 Not Modified when the browser's If-None-Match matches.
 *
 * Names from the URL are never trusted as paths: an embedded asset is looked up by its
 * plain name (no '/'), and a file path must be relative, made of segments of
 * [A-Za-z0-9._-] that do not start with '.', so "..", absolute paths and hidden files
 * are refused with 404. Files from a directory are served only when their extension is
 * an image type (png, jpeg, webp, gif), so an upload is never served as HTML or script.
 */
#ifndef TGSHOP_HTTP_STATIC_H
#define TGSHOP_HTTP_STATIC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/embed.h"
#include "http/server.h"

/* The Content-Type for a file name's extension ("text/css; charset=utf-8"), or NULL. */
const char *http_content_type(const char *name);
/* True when relpath is a safe relative path (see above). */
bool http_safe_relpath(const char *relpath);

/* Serves files[name]; 404 when there is no such asset. max_age_s: Cache-Control max-age; 0 =
 * no-cache (revalidated with the ETag on every use: pages that must change with a rebuild). */
void http_serve_embedded(struct http_request *req, struct http_response *res,
                         const struct embedded_file *files, const char *name, int64_t max_age_s);
/* Serves dir/relpath when it is a regular image file; 404 otherwise. */
void http_serve_file(struct http_request *req, struct http_response *res, const char *dir,
                     const char *relpath, int64_t max_age_s);

#endif
