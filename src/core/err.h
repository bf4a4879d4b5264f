/*
 * Error codes shared by every layer. Functions return 0 on success and one of
 * these negative values on failure; the message that goes with a failure is
 * kept next to it by the module that failed (a struct buf the caller passes,
 * or the module's own last-error field). Only src/cmd/ ends the process.
 */
#ifndef TGSHOP_CORE_ERR_H
#define TGSHOP_CORE_ERR_H

enum {
    ERR_OK = 0,
    ERR_INVALID = -1,    /* bad input: the caller can fix it */
    ERR_NOTFOUND = -2,   /* the thing asked for does not exist */
    ERR_CONFLICT = -3,   /* a uniqueness or state conflict (duplicate, already done) */
    ERR_TOOBIG = -4,     /* a size limit was reached */
    ERR_IO = -5,         /* file or socket failure */
    ERR_DB = -6,         /* database failure other than the above */
    ERR_NETWORK = -7,    /* peer unreachable, connection dropped */
    ERR_TIMEOUT = -8,    /* a deadline passed */
    ERR_FLOOD = -9,      /* rate limited: retry later */
    ERR_FORBIDDEN = -10, /* refused by the peer (blocked bot, wrong credentials) */
    ERR_INTERNAL = -11,  /* a bug or an impossible state */
};

/* A short constant name for an error code ("not found"), for messages. */
const char *err_str(int code);

#endif
