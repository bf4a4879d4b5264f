#include "core/err.h"

#include "core/banned.h"

const char *err_str(int code)
{
    switch (code) {
    case ERR_OK:
        return "ok";
    case ERR_INVALID:
        return "invalid input";
    case ERR_NOTFOUND:
        return "not found";
    case ERR_CONFLICT:
        return "conflict";
    case ERR_TOOBIG:
        return "too big";
    case ERR_IO:
        return "I/O error";
    case ERR_DB:
        return "database error";
    case ERR_NETWORK:
        return "network error";
    case ERR_TIMEOUT:
        return "timed out";
    case ERR_FLOOD:
        return "rate limited";
    case ERR_FORBIDDEN:
        return "forbidden";
    case ERR_INTERNAL:
        return "internal error";
    }
    return "unknown error";
}
