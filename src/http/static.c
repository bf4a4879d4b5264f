#include "http/static.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/banned.h"

struct content_type {
    const char *ext;
    const char *type;
    bool image;
};

static const struct content_type types[] = {
    {"css", "text/css; charset=utf-8", false},
    {"js", "text/javascript; charset=utf-8", false},
    {"html", "text/html; charset=utf-8", false},
    {"json", "application/json", false},
    {"txt", "text/plain; charset=utf-8", false},
    {"svg", "image/svg+xml", false},
    {"ico", "image/x-icon", false},
    {"woff2", "font/woff2", false},
    {"png", "image/png", true},
    {"jpg", "image/jpeg", true},
    {"jpeg", "image/jpeg", true},
    {"webp", "image/webp", true},
    {"gif", "image/gif", true},
};

static const struct content_type *find_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcasecmp(dot + 1, types[i].ext))
            return &types[i];
    return NULL;
}

const char *http_content_type(const char *name)
{
    const struct content_type *t = find_type(name);
    return t ? t->type : NULL;
}

bool http_safe_relpath(const char *relpath)
{
    const char *p = relpath;
    if (!*p)
        return false;
    while (*p) {
        size_t seg = strcspn(p, "/");
        if (!seg || p[0] == '.')
            return false;
        for (size_t i = 0; i < seg; i++) {
            char c = p[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
            if (!ok)
                return false;
        }
        p += seg;
        if (*p == '/' && !*++p)
            return false;
    }
    return true;
}

/* Answers 304 when the browser already has etag; otherwise sets the caching headers. */
static bool not_modified(struct http_request *req, struct http_response *res, const char *etag,
                         int64_t max_age_s)
{
    char cache[64] = "no-cache"; /* 0: the browser asks every time, sending the ETag */
    if (max_age_s > 0)
        snprintf(cache, sizeof cache, "public, max-age=%lld", (long long)max_age_s);
    http_response_header(res, "ETag", etag);
    http_response_header(res, "Cache-Control", cache);
    const char *match = http_header(req, "If-None-Match");
    if (match && strstr(match, etag)) {
        res->status = 304;
        return true;
    }
    return false;
}

void http_serve_embedded(struct http_request *req, struct http_response *res,
                         const struct embedded_file *files, const char *name, int64_t max_age_s)
{
    const struct embedded_file *f = strchr(name, '/') ? NULL : embedded_find(files, name);
    const char *type = f ? http_content_type(name) : NULL;
    if (!f || !type) {
        res->status = 404;
        return;
    }
    uint64_t hash = 14695981039346656037ull; /* FNV-1a: the content's fingerprint */
    for (size_t i = 0; i < f->len; i++)
        hash = (hash ^ (unsigned char)f->text[i]) * 1099511628211ull;
    char etag[24];
    snprintf(etag, sizeof etag, "\"%016llx\"", (unsigned long long)hash);
    if (not_modified(req, res, etag, max_age_s))
        return;
    res->content_type = type;
    buf_add(&res->body, f->text, f->len);
}

void http_serve_file(struct http_request *req, struct http_response *res, const char *dir,
                     const char *relpath, int64_t max_age_s)
{
    const struct content_type *t = find_type(relpath);
    res->status = 404;
    if (!http_safe_relpath(relpath) || !t || !t->image)
        return;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    int fd = openat(dfd, relpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dfd);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (unsigned long long)st.st_mtime);
    res->status = 200;
    if (not_modified(req, res, etag, max_age_s)) {
        close(fd);
        return;
    }
    res->content_type = t->type;
    res->fd = fd;
    res->fd_size = (uint64_t)st.st_size;
}
