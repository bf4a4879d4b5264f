#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/err.h"
#include "export/export.h"
#include "core/banned.h"

struct export_flags {
    struct order_filter filter;
    struct export_options opt;
    bool has_format;
    const char *output; /* NULL: standard output */
    const char *from, *to;
};

static void show_progress(int64_t done, int64_t total, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "\rexporting orders: %lld of %lld", (long long)done, (long long)total);
}

static int parse_flags(struct cmd_env *env, int argc, char **argv, struct export_flags *out)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'}, {"status", required_argument, NULL, 's'},
        {"from", required_argument, NULL, 'F'},   {"to", required_argument, NULL, 'T'},
        {"search", required_argument, NULL, 'q'}, {"bom", no_argument, NULL, 'b'},
        {"output", required_argument, NULL, 'o'}, {0}};
    int c;
    while ((c = cmd_getopt(env, argc, argv, ":o:", options)) != -1) {
        switch (c) {
        case 'f':
            if (export_format_parse(optarg, &out->opt.format))
                return cmd_usage_error(env, "--format must be csv or xlsx, got \"%s\"", optarg);
            out->has_format = true;
            break;
        case 's':
            if (order_status_parse(optarg, &out->filter.status))
                return cmd_usage_error(env,
                                       "--status must be one of new, awaiting_payment, paid, "
                                       "shipped, delivered, cancelled, refunded; got \"%s\"",
                                       optarg);
            out->filter.has_status = true;
            break;
        case 'F':
        case 'T': {
            bool to = c == 'T';
            int64_t *t = to ? &out->filter.created_to : &out->filter.created_from;
            if (order_filter_parse_date(optarg, to, t))
                return cmd_usage_error(env, "%s must be a date YYYY-MM-DD (UTC), got \"%s\"",
                                       to ? "--to" : "--from", optarg);
            *(to ? &out->to : &out->from) = optarg;
            break;
        }
        case 'q':
            if (strlen(optarg) > ORDER_SEARCH_MAX)
                return cmd_usage_error(env, "--search is longer than %d bytes", ORDER_SEARCH_MAX);
            out->filter.search = optarg;
            break;
        case 'b':
            out->opt.bom = true;
            break;
        case 'o':
            out->output = optarg;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cmd_usage_error(env, "what to export? (orders)");
    if (strcmp(argv[optind], "orders"))
        return cmd_usage_error(env, "cannot export \"%s\"; only orders", argv[optind]);
    if (optind + 1 < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind + 1]);
    if (!out->has_format)
        return cmd_usage_error(env, "--format csv or --format xlsx is needed");
    if (out->filter.created_from && out->filter.created_to &&
        out->filter.created_from > out->filter.created_to)
        return cmd_usage_error(env, "--from %s is after --to %s", out->from, out->to);
    if (out->output && !*out->output)
        return cmd_usage_error(env, "-o needs a file name");
    if (!out->output && out->opt.format == EXPORT_XLSX && isatty(STDOUT_FILENO))
        return cmd_usage_error(env, "an XLSX file on a terminal is unreadable: use -o FILE or "
                                    "redirect the output");
    if (out->opt.bom && out->opt.format != EXPORT_CSV)
        return cmd_usage_error(env, "--bom is for CSV only");
    return EXIT_OK;
}

/* The export goes to FILE.XXXXXX next to FILE, renamed over FILE when complete: a failed
 * export leaves neither a half file nor a clobbered old one. */
static int open_partial(struct cmd_env *env, const char *output, struct buf *partial, int *out_fd)
{
    buf_setf(partial, "%s.XXXXXX", output);
    int fd = mkstemp(partial->data);
    if (fd < 0)
        return cmd_fail(env, "cannot create %s: %s", partial->data, strerror(errno));
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask)) {
        int status = cmd_fail(env, "cannot create %s: %s", output, strerror(errno));
        close(fd);
        unlink(partial->data);
        return status;
    }
    *out_fd = fd;
    return EXIT_OK;
}

int cmd_export(int argc, char **argv, struct cmd_env *env)
{
    struct export_flags flags = {0};
    int status = parse_flags(env, argc, argv, &flags);
    if (status)
        return status;
    if (cmd_database(env))
        return EXIT_FAIL;
    bool terminal = isatty(STDERR_FILENO);
    if (terminal)
        flags.opt.progress = show_progress;

    struct buf partial = BUF_INIT, err = BUF_INIT;
    int fd = STDOUT_FILENO;
    if (flags.output && (status = open_partial(env, flags.output, &partial, &fd)))
        return status;
    int64_t started = clock_mono_ms(), rows = 0;
    int rc = export_orders(env->db, &flags.filter, &flags.opt, fd, &rows, &err);
    if (flags.output) {
        if (close(fd) && !rc) {
            buf_setf(&err, "cannot write %s: %s", flags.output, strerror(errno));
            rc = ERR_IO;
        }
        if (!rc && rename(partial.data, flags.output)) {
            buf_setf(&err, "cannot write %s: %s", flags.output, strerror(errno));
            rc = ERR_IO;
        }
        if (rc)
            unlink(partial.data);
    }
    if (terminal && flags.opt.progress)
        fputc('\n', stderr);
    if (rc)
        status = cmd_fail(env, "%s", err.data);
    else if (terminal)
        fprintf(stderr, "exported %lld order%s to %s in %.1f s\n", (long long)rows,
                rows == 1 ? "" : "s", flags.output ? flags.output : "standard output",
                (double)(clock_mono_ms() - started) / 1000.0);
    buf_release(&partial);
    buf_release(&err);
    return status;
}
