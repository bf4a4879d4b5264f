/*
 * .env files, the syntax of the seed's example and of docker-compose:
 *
 *   # comment                      KEY=value            KEY = value
 *   export KEY=value               KEY='literal $x'     KEY="a \"quoted\" \n value"
 *   KEY=value # trailing comment   KEY=                 (empty value)
 *
 * Single quotes keep everything literally; double quotes understand \n \t
 * \r \" \\ and \$. An unquoted value ends at " #" and loses surrounding
 * spaces. A later line for the same key wins. Any other line is an error
 * naming the file and line; nothing is guessed.
 */
#ifndef TGSHOP_CORE_DOTENV_H
#define TGSHOP_CORE_DOTENV_H

#include <stddef.h>

#include "core/buf.h"

struct dotenv_pair {
    char *key;
    char *value;
};

struct dotenv {
    struct dotenv_pair *pairs;
    size_t count;
};

#define DOTENV_INIT                                                                                \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* Parses text (name is used in error messages). On error returns ERR_INVALID,
 * writes "NAME:LINE: what is wrong" to err and leaves out empty. */
int dotenv_parse(struct dotenv *out, const char *text, size_t len, const char *name,
                 struct buf *err);
/* Reads and parses a file; a missing file is ERR_NOTFOUND (err says so). */
int dotenv_load(struct dotenv *out, const char *path, struct buf *err);
/* The value for key, or NULL. */
const char *dotenv_get(const struct dotenv *env, const char *key);
void dotenv_release(struct dotenv *env);

#endif
