#include "core/util.h"

#include <stdarg.h>
#include <stdlib.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/banned.h"

_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
{
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    log_error("BUG: %s:%d: %s", file, line, msg.data);
    abort();
}
