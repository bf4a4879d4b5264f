/*
 * Files built into the binary at build time by cmake/embed.cmake (schema
 * migrations, locale texts, web assets): an array of {name, text} sorted by
 * name and ending with {NULL, NULL}. The text is NUL-terminated.
 */
#ifndef TGSHOP_CORE_EMBED_H
#define TGSHOP_CORE_EMBED_H

#include <stddef.h>

struct embedded_file {
    const char *name; /* the file's base name */
    const char *text;
    size_t len;
};

/* The file called name in files, or NULL. */
const struct embedded_file *embedded_find(const struct embedded_file *files, const char *name);

#endif
