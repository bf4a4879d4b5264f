#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "db/migrate.h"
#include "core/banned.h"

static int print_status(struct cmd_env *env)
{
    int n = migrate_count();
    struct migration_status *list = xcalloc((size_t)n, sizeof *list);
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (migrate_status(env->db, list, &err)) {
        status = cmd_fail(env, "%s", err.data);
    } else {
        int pending = 0;
        for (int i = 0; i < n; i++) {
            char when[32] = "pending";
            if (list[i].applied)
                clock_format_iso(list[i].applied_at, when, sizeof when);
            else
                pending++;
            printf("%04lld  %-28s %s\n", (long long)list[i].version, list[i].name, when);
        }
        printf("%d of %d applied%s\n", n - pending, n, pending ? "; run tgshop migrate" : "");
    }
    buf_release(&err);
    free(list);
    return status;
}

int cmd_migrate(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {{"status", no_argument, NULL, 's'}, {0}};
    bool status_only = false;
    int c;
    while ((c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == '?')
            return EXIT_USAGE;
        status_only = true;
    }
    if (optind < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (cmd_database(env))
        return EXIT_FAIL;
    if (status_only)
        return print_status(env);

    struct buf err = BUF_INIT;
    int applied = 0;
    if (migrate_apply(env->db, &applied, &err)) {
        int status = cmd_fail(env, "%s", err.data);
        buf_release(&err);
        return status;
    }
    if (applied)
        printf("applied %d migration%s; the schema is up to date\n", applied,
               applied == 1 ? "" : "s");
    else
        printf("the schema is up to date; nothing to apply\n");
    return EXIT_OK;
}
