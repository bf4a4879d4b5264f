#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/err.h"
#include "shop/admin_user.h"
#include "core/banned.h"

/* Longest line accepted as a password: the policy's maximum plus room to detect overlong. */
enum { PASSWORD_LINE_MAX = ADMIN_PASSWORD_MAX_BYTES + 2 };

static int tty_fd = -1;
static struct termios tty_saved;

/* Ctrl-C at the prompt must not leave the terminal without echo. */
static void restore_tty_and_exit(int sig)
{
    if (tty_fd >= 0)
        tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reads one line (without its newline) from fd into out (PASSWORD_LINE_MAX bytes).
 * Returns 0, ERR_TOOBIG for a line too long, ERR_IO at end of input with nothing read. */
static int read_line(int fd, char *out)
{
    size_t n = 0;
    bool too_long = false, any = false;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        any = true;
        if (c == '\n')
            break;
        if (n + 1 < PASSWORD_LINE_MAX)
            out[n++] = c;
        else
            too_long = true;
    }
    if (n && out[n - 1] == '\r')
        n--;
    out[n] = '\0';
    if (too_long)
        return ERR_TOOBIG;
    return any ? 0 : ERR_IO;
}

static int prompt_hidden(int fd, const char *prompt, char *out)
{
    if (write(fd, prompt, strlen(prompt)) < 0)
        return ERR_IO;
    struct termios quiet = tty_saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(fd, TCSAFLUSH, &quiet);
    int rc = read_line(fd, out);
    tcsetattr(fd, TCSAFLUSH, &tty_saved);
    return rc;
}

/* Gets the new password from standard input or, asked twice, from the terminal. */
static int read_password(struct cmd_env *env, bool from_stdin, char *out)
{
    if (from_stdin) {
        int rc = read_line(STDIN_FILENO, out);
        if (rc == ERR_TOOBIG)
            return cmd_usage_error(env, "the password on standard input is longer than %d bytes",
                                   ADMIN_PASSWORD_MAX_BYTES);
        if (rc)
            return cmd_usage_error(env, "no password on standard input");
        return EXIT_OK;
    }
    tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (tty_fd < 0 || tcgetattr(tty_fd, &tty_saved) != 0) {
        if (tty_fd >= 0)
            close(tty_fd);
        tty_fd = -1;
        return cmd_usage_error(env, "no terminal to ask for the password; pipe it in with "
                                    "--password-stdin");
    }
    struct sigaction sa = {0};
    sa.sa_handler = restore_tty_and_exit;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char again[PASSWORD_LINE_MAX];
    int status = EXIT_OK;
    if (prompt_hidden(tty_fd, "Password: ", out) ||
        prompt_hidden(tty_fd, "Password (again): ", again))
        status = cmd_usage_error(env, "no password entered");
    else if (strcmp(out, again))
        status = cmd_usage_error(env, "the two passwords differ; nothing changed");
    sodium_memzero(again, sizeof again);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    close(tty_fd);
    tty_fd = -1;
    return status;
}

/* Maps a domain error to the exit status: bad input is the user's to fix (2). */
static int report(struct cmd_env *env, int rc, const struct buf *err)
{
    if (rc == ERR_INVALID || rc == ERR_CONFLICT || rc == ERR_NOTFOUND)
        return cmd_usage_error(env, "%s", err->data);
    return cmd_fail(env, "%s", err->data);
}

static int user_create(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {
        {"username", required_argument, NULL, 'u'},
        {"superuser", no_argument, NULL, 's'},
        {"password-stdin", no_argument, NULL, 'p'},
        {0},
    };
    const char *username = NULL;
    bool superuser = false, from_stdin = false;
    int c;
    while ((c = cmd_getopt(env, argc, argv, ":u:", options)) != -1) {
        switch (c) {
        case 'u':
            username = optarg;
            break;
        case 's':
            superuser = true;
            break;
        case 'p':
            from_stdin = true;
            break;
        default:
            return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (!username)
        return cmd_usage_error(env, "--username is required");
    struct buf err = BUF_INIT;
    if (admin_username_check(username, &err)) {
        int status = cmd_usage_error(env, "%s", err.data);
        buf_release(&err);
        return status;
    }
    char password[PASSWORD_LINE_MAX];
    int status = read_password(env, from_stdin, password);
    if (status == EXIT_OK)
        status = cmd_database(env);
    if (status == EXIT_OK) {
        int64_t id;
        int rc = admin_user_create(env->db, username, password, superuser, &id, &err);
        if (rc)
            status = report(env, rc, &err);
        else
            printf("created %s \"%s\" (id %lld)\n", superuser ? "superuser" : "user", username,
                   (long long)id);
    }
    sodium_memzero(password, sizeof password);
    buf_release(&err);
    return status;
}

static int user_passwd(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {{"password-stdin", no_argument, NULL, 'p'}, {0}};
    bool from_stdin = false;
    int c;
    while ((c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == '?')
            return EXIT_USAGE;
        from_stdin = true;
    }
    if (argc - optind != 1)
        return cmd_usage_error(env, "passwd takes exactly one user name");
    const char *username = argv[optind];
    char password[PASSWORD_LINE_MAX];
    int status = read_password(env, from_stdin, password);
    if (status == EXIT_OK)
        status = cmd_database(env);
    if (status == EXIT_OK) {
        struct buf err = BUF_INIT;
        int rc = admin_user_set_password(env->db, username, password, &err);
        if (rc)
            status = report(env, rc, &err);
        else
            printf("password of \"%s\" changed\n", username);
        buf_release(&err);
    }
    sodium_memzero(password, sizeof password);
    return status;
}

static int print_user(const struct admin_user *u, void *ctx)
{
    int *count = ctx;
    char created[32], login[32] = "never";
    clock_format_iso(u->created_at, created, sizeof created);
    if (u->last_login)
        clock_format_iso(u->last_login, login, sizeof login);
    if ((*count)++ == 0)
        printf("%-6s %-24s %-10s %-8s %-21s %s\n", "ID", "USERNAME", "ROLE", "ACTIVE", "CREATED",
               "LAST LOGIN");
    printf("%-6lld %-24s %-10s %-8s %-21s %s\n", (long long)u->id, u->username,
           u->is_superuser ? "superuser" : "staff", u->is_active ? "yes" : "no", created, login);
    return 0;
}

static int user_list(int argc, char **argv, struct cmd_env *env)
{
    if (cmd_no_arguments(env, argc, argv))
        return EXIT_USAGE;
    if (cmd_database(env))
        return EXIT_FAIL;
    struct buf err = BUF_INIT;
    int count = 0;
    int status = EXIT_OK;
    if (admin_user_list(env->db, print_user, &count, &err))
        status = cmd_fail(env, "%s", err.data);
    else if (!count)
        printf("no accounts yet; create one with: tgshop user create --username NAME "
               "--superuser\n");
    buf_release(&err);
    return status;
}

int cmd_user(int argc, char **argv, struct cmd_env *env)
{
    static const struct {
        const char *name;
        cmd_fn *fn;
    } subcommands[] = {{"create", user_create}, {"passwd", user_passwd}, {"list", user_list}};
    if (argc < 2)
        return cmd_usage_error(env, "say what to do: create, passwd or list");
    for (size_t i = 0; i < sizeof subcommands / sizeof *subcommands; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].fn(argc - 1, argv + 1, env);
    return cmd_usage_error(env, "'%s' is not a user subcommand (create, passwd, list)", argv[1]);
}
