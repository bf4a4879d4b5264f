#include "tg/limits.h"

#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/banned.h"

int tg_check_bytes(const char *what, const char *s, size_t min, size_t max, struct buf *why)
{
    size_t len = s ? strlen(s) : 0;
    if (!utf8_valid(s ? s : "", len)) {
        buf_setf(why, "%s is not valid UTF-8", what);
        return ERR_INVALID;
    }
    if (len < min || len > max) {
        if (min > 0 && len == 0)
            buf_setf(why, "%s is empty", what);
        else
            buf_setf(why, "%s is %zu bytes long, it must be %zu-%zu bytes", what, len, min, max);
        return ERR_INVALID;
    }
    return 0;
}
