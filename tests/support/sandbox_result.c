#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "sandbox_result.h"

json_t *sandbox_result(struct sandbox *sb, const char *method, const char *path, const char *body)
{
    struct buf out = BUF_INIT;
    int status = sandbox_user_api(sb, method, path, body, &out);
    if (status != 200)
        fail_msg("%s %s: %d %s", method, path, status, out.data);
    json_t *j = json_loads(out.data, 0, NULL);
    buf_release(&out);
    json_t *result = json_incref(json_object_get(j, "result"));
    json_decref(j);
    if (!result)
        fail_msg("%s %s: no result", method, path);
    return result;
}
