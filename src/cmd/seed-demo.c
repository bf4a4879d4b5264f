#include <stdio.h>

#include "cmd/cmd.h"
#include "media/demo_pictures.h"
#include "core/banned.h"

int cmd_demo_seed(struct cmd_env *env, const char *hint)
{
    struct demo_report report;
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (media_demo_seed(env->db, env->cfg.media_dir, env->cfg.currency, NULL, &report, &err))
        status = cmd_fail(env, "cannot seed the demo catalogue: %s", err.data);
    else if (!report.skipped)
        printf("Seeded the demo catalogue: %d categories, %d products, %d FAQ entries%s.\n",
               report.categories, report.products, report.faqs, hint);
    else if (!*hint)
        printf("The catalogue is not empty: nothing seeded.\n");
    buf_release(&err);
    return status;
}

int cmd_seed_demo(int argc, char **argv, struct cmd_env *env)
{
    if (cmd_no_arguments(env, argc, argv))
        return EXIT_USAGE;
    if (cmd_database(env))
        return EXIT_FAIL;
    return cmd_demo_seed(env, "");
}
