#include "sandbox/webchat.h"

#include <string.h>

#include "core/embed.h"
#include "core/banned.h"

extern const struct embedded_file webchat_files[];

static const char *content_type(const char *name)
{
    static const struct {
        const char *suffix, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".svg", "image/svg+xml"},
    };
    size_t len = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        size_t n = strlen(types[i].suffix);
        if (len > n && !strcmp(name + len - n, types[i].suffix))
            return types[i].type;
    }
    return "application/octet-stream";
}

const struct webchat_asset *webchat_find(const char *path, struct webchat_asset *out)
{
    static const char prefix[] = "/webchat/";
    const char *name;
    if (!strcmp(path, "/") || !strcmp(path, "/chat"))
        name = "index.html";
    else if (!strncmp(path, prefix, sizeof prefix - 1))
        name = path + sizeof prefix - 1;
    else
        return NULL;
    const struct embedded_file *file = embedded_find(webchat_files, name);
    if (!file)
        return NULL;
    *out = (struct webchat_asset){content_type(name), file->text, file->len};
    return out;
}
