"""Process-level mailing tests' toolkit (tests/jobs/mailing_e2e.py, tests/stack/stack.sh):
the sandbox as a process with its user API over one kept-alive connection, the database by
SQL (SQLite through the sqlite3 module, PostgreSQL through psql), a throwaway Redis
(tests/support/redis.sh), tgshop workers as processes, and the checks of a finished mailing
(every recipient exactly one message in the sandbox, the counters, the delivery rows).

A mailing starts as the admin panel's "Send now" leaves it (MAILING_CONTRACT.md): a row with
status 'scheduled', scheduled_at and total_count; the default worker's scheduler does the
rest. Recipients are customers inserted by SQL whose tg_id are sandbox users who started
the bot.

As a command, for shell tests (tests/stack/stack.sh):
  mailing.py recipients SANDBOX_URL DATABASE_URL FIRST COUNT LANG   users + customers
  mailing.py start DATABASE_URL LANG TOTAL                          prints the mailing id
  mailing.py delivered SANDBOX_URL FIRST COUNT                      messages those chats got
  mailing.py done DATABASE_URL ID                                   exit 0 when it is done
  mailing.py check SANDBOX_URL DATABASE_URL ID FIRST COUNT          the checks, "ok - ..." lines
"""
import http.client
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN = os.environ.get("TGSHOP_BIN", "")
SOURCE = os.environ.get("TGSHOP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TOKEN = "123456789:mailing-test-token-0123456789abcdef"
TEXT = "Spring sale: <b>-20%</b> on every tea"
BUTTON = ("Open the shop", "https://shop.example/sale")
# the environment a tgshop process gets: nothing of the developer's configuration
CLEAN = ("DATABASE_URL", "POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_HOST",
         "POSTGRES_PORT", "BOT_TOKEN", "REDIS_URL", "TGSHOP_ENV_FILE", "LOG_LEVEL", "LOG_FORMAT",
         "SEND_RATE", "TELEGRAM_API_URL", "OPS_LISTEN", "WEBHOOK_URL", "WEBHOOK_SECRET")


def wait_for(seconds, check, step=0.1):
    """Polls check() until it returns a true value (returned) or the deadline passes (None)."""
    end = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= end:
            return None
        time.sleep(step)


class Report:
    """ok/not ok lines as tests/support/lib.sh prints them, and the exit status."""

    def __init__(self):
        self.passed = self.failed = 0

    def check(self, good, what, detail=""):
        if good:
            self.passed += 1
            print(f"ok - {what}", flush=True)
        else:
            self.failed += 1
            print(f"not ok - {what}" + (f": {detail}" if detail else ""), flush=True)
        return good

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1


class Proc:
    """A tgshop process with its output in WORK/NAME.out and .err."""

    def __init__(self, work, name, args, env):
        self.name, self.work = name, work
        self.out_path = os.path.join(work, name + ".out")
        self.err_path = os.path.join(work, name + ".err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.p = subprocess.Popen([BIN] + args, stdout=out, stderr=err,
                                      stdin=subprocess.DEVNULL, env=env)

    def output(self):
        with open(self.out_path) as f:
            return f.read()

    def errors(self):
        with open(self.err_path) as f:
            return f.read()

    def line(self, pattern, seconds=30):
        """The first match of pattern in stdout, waiting for it; None if the process ends."""
        def seen():
            m = re.search(pattern, self.output(), re.M)
            return m or (self.p.poll() is not None and "gone")
        got = wait_for(seconds, seen)
        return got if got and got != "gone" else None

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()

    def stop(self, seconds=20):
        """SIGTERM; the exit status (None when it did not end in time and was killed)."""
        if self.p.poll() is not None:
            return self.p.returncode
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(seconds)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in CLEAN}
    env["LOG_FORMAT"] = "text"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


class Sandbox:
    """`tgshop sandbox` as a process (global_rate 0 = no limit), and its user API."""

    def __init__(self, work, global_rate=0, name="sandbox"):
        self.proc = Proc(work, name, ["sandbox", "--listen", "127.0.0.1:0", "--token", TOKEN,
                                      "--global-rate", str(global_rate), "--chat-rate", "1"],
                         base_env())
        m = self.proc.line(r"^Web chat: (http://[0-9.:]*)/$")
        if not m:
            raise SystemExit(f"the sandbox did not start: {self.proc.errors()}")
        self.url = m.group(1)
        self.conn = None

    @staticmethod
    def at(url):
        sb = Sandbox.__new__(Sandbox)
        sb.proc, sb.url, sb.conn = None, url, None
        return sb

    def api(self, method, path, body=None):
        host = urllib.parse.urlsplit(self.url).netloc
        data = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(host, timeout=60)
            try:
                self.conn.request(method, "/sandbox/api" + path, data,
                                  {"Content-Type": "application/json"})
                r = self.conn.getresponse()
                got = json.loads(r.read())
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        if not got.get("ok"):
            raise RuntimeError(f"sandbox {method} {path}: {got}")
        return got["result"]

    def add_users(self, first, count):
        for uid in range(first, first + count):
            self.api("POST", "/users", {"id": uid, "first_name": f"R{uid - first}",
                                        "language_code": "de", "started": True})

    def block(self, uid):
        self.api("POST", f"/users/{uid}/block", {})

    def stats(self):
        return self.api("GET", "/stats")

    def faults(self, rules):
        return self.api("POST", "/faults", {"rules": rules})

    def limits(self, **limits):
        return self.api("POST", "/limits", limits)

    def stop(self):
        if self.conn:
            self.conn.close()
        return self.proc.stop() if self.proc else 0


def sends(stats, field="ok"):
    """Sends (sendMessage + sendPhoto) the sandbox counted as field (ok, rate_limited, ...)."""
    methods = stats.get("methods", {})
    return sum(methods.get(m, {}).get(field, 0) for m in ("sendMessage", "sendPhoto"))


def delivered_to(stats, first, count):
    """Messages the chats first..first+count-1 received."""
    chats = stats.get("chats", {})
    return sum(chats.get(str(uid), {}).get("delivered", 0) for uid in range(first, first + count))


class Db:
    """SQL on SQLite (sqlite3 module) or PostgreSQL (psql); values are trusted test data."""

    def __init__(self, url):
        self.url = url
        self.sqlite = url.startswith("sqlite:")

    def rows(self, sql):
        if self.sqlite:
            path = self.url[len("sqlite:"):]
            with sqlite3.connect(path, timeout=60) as c:
                got = c.execute(sql).fetchall()
            c.close()
            return [tuple("" if v is None else str(v) for v in r) for r in got]
        out = subprocess.run(["psql", "-Atq", "-v", "ON_ERROR_STOP=1", self.url, "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def value(self, sql):
        got = self.rows(sql)
        return got[0][0] if got else ""

    def add_customers(self, first, count, language="de"):
        self.rows("INSERT INTO customer (tg_id, first_name, language_code) "
                  f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {count - 1}) "
                  f"SELECT {first} + i, 'R' || i, '{language}' FROM n")

    def start_mailing(self, language, total, at=None, text=TEXT):
        """A mailing to the customers of language, as "Send now" (or a schedule at a time)
        leaves it; returns its id."""
        at = int(time.time()) if at is None else at
        self.rows("INSERT INTO mailing (text, button_text, button_url, audience, language, status, "
                  f"scheduled_at, total_count) VALUES ('{text}', '{BUTTON[0]}', '{BUTTON[1]}', "
                  f"'all', '{language}', 'scheduled', {at}, {total})")
        return int(self.value(f"SELECT max(id) FROM mailing WHERE language = '{language}'"))

    def mailing(self, mid):
        cols = ("status", "total_count", "sent_count", "failed_count", "blocked_count",
                "scheduled_at", "started_at", "finished_at")
        got = self.rows(f"SELECT {', '.join(cols)} FROM mailing WHERE id = {mid}")
        return dict(zip(cols, got[0])) if got else {}

    def deliveries(self, mid):
        return dict(self.rows("SELECT status, count(*) FROM mailing_delivery "
                              f"WHERE mailing_id = {mid} GROUP BY status"))


class Redis:
    """A Redis of its own (tests/support/redis.sh) in a state directory under work."""

    def __init__(self, work):
        self.state = os.path.join(work, "redis-state")
        self.script = os.path.join(SOURCE, "tests", "support", "redis.sh")
        self.url = self._run("start").strip()

    def _run(self, action):
        return subprocess.run([self.script, action, self.state], check=True,
                              capture_output=True, text=True).stdout

    def restart(self):
        self._run("restart")

    def stop(self):
        self._run("stop")


def pg_database(name):
    """A new empty database on the suite's PostgreSQL (the "postgres" fixture); its URL."""
    state = os.environ["TGSHOP_TEST_STATE"]
    with open(os.path.join(state, "pg.env")) as f:
        admin = re.search(r"^PG_URL=(.*)$", f.read(), re.M).group(1)
    subprocess.run(["psql", "-q", admin, "-c", f"DROP DATABASE IF EXISTS {name}", "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def metric(url, name, labels=""):
    """The sum of a metric's samples (whose labels contain labels) at url/metrics."""
    import urllib.request
    with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and labels in line and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def check_mailing(rep, sb, db, mid, first, count, blocked=(), stats=None, window=0):
    """The end state of a mailing to users first..first+count-1, of whom blocked blocked the
    bot: done, every other user exactly one message (or, with window, at most window users
    two: the documented duplicate window after a crash), the blocked ones none and marked,
    the counters equal to the delivery rows. Returns the sandbox stats it checked."""
    stats = stats or sb.stats()
    blocked = set(blocked)
    chats = stats.get("chats", {})
    got = {uid: chats.get(str(uid), {}).get("delivered", 0) for uid in range(first, first + count)}
    missed = [uid for uid, n in got.items() if n == 0 and uid not in blocked]
    extra = [(uid, n) for uid, n in got.items() if n > (0 if uid in blocked else 1)]
    reached = count - len(blocked)
    rep.check(not missed, f"none of the {reached} users who did not block the bot was missed"
              if blocked else f"none of the {count} recipients was missed",
              f"{len(missed)} missed, e.g. {missed[:5]}")
    if window:
        print(f"# duplicates after the crash: {len(extra)} {extra[:5]}", flush=True)
        rep.check(len(extra) <= window, f"{len(extra)} users got a message twice (expected 0; "
                  f"the documented window is one per sender thread, {window})", str(extra[:10]))
    else:
        rep.check(not extra, "nobody got a message twice" +
                  (", the blocked users none" if blocked else ""), str(extra[:10]))
    m = db.mailing(mid)
    rep.check(m.get("status") == "done" and m.get("finished_at") not in ("", "0"),
              "the mailing is done, finished_at set", str(m))
    want = {"total_count": str(count), "sent_count": str(reached), "failed_count": "0",
            "blocked_count": str(len(blocked))}
    rep.check(all(m.get(k) == v for k, v in want.items()),
              f"counters: total {count} = sent {reached} + failed 0 + blocked {len(blocked)}", str(m))
    d = db.deliveries(mid)
    want_rows = {"sent": str(reached)}
    if blocked:
        want_rows["blocked"] = str(len(blocked))
    rep.check(d == want_rows, f"delivery rows: {want_rows}", str(d))
    no_id = db.value(f"SELECT count(*) FROM mailing_delivery WHERE mailing_id = {mid} AND "
                     "status = 'sent' AND (message_id IS NULL OR sent_at IS NULL)")
    rep.check(no_id == "0", "every sent row has Telegram's message_id and sent_at", no_id)
    if blocked:
        marked = {int(r[0]) for r in db.rows("SELECT tg_id FROM customer WHERE is_blocked = 1")}
        rep.check(marked == blocked, f"the {len(blocked)} users who blocked the bot are marked "
                  "is_blocked, nobody else", f"marked {sorted(marked)[:5]}…")
    return stats


def check_message(rep, sb, uid):
    """One recipient's message as Telegram shows it: the text with its HTML applied and the
    URL button."""
    msgs = [m for m in sb.api("GET", f"/chats/{uid}")["messages"] if m["from"].get("is_bot")]
    got = msgs[0] if msgs else {}
    buttons = [b for row in (got.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
    rep.check(got.get("text") == "Spring sale: -20% on every tea"
              and any(e.get("type") == "bold" for e in got.get("entities", []))
              and buttons == [{"text": BUTTON[0], "url": BUTTON[1]}],
              "the message: the text with its bold part and the URL button", str(got)[:300])


def _main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "recipients" and len(argv) == 7:
        sb, db = Sandbox.at(argv[2]), Db(argv[3])
        first, count = int(argv[4]), int(argv[5])
        sb.add_users(first, count)
        db.add_customers(first, count, argv[6])
        return 0
    if cmd == "start" and len(argv) == 5:
        print(Db(argv[2]).start_mailing(argv[3], int(argv[4])))
        return 0
    if cmd == "delivered" and len(argv) == 5:
        print(delivered_to(Sandbox.at(argv[2]).stats(), int(argv[3]), int(argv[4])))
        return 0
    if cmd == "done" and len(argv) == 4:
        return 0 if Db(argv[2]).mailing(int(argv[3])).get("status") == "done" else 1
    if cmd == "check" and len(argv) == 7:
        rep = Report()
        sb = Sandbox.at(argv[2])
        stats = check_mailing(rep, sb, Db(argv[3]), int(argv[4]), int(argv[5]), int(argv[6]))
        first, count = int(argv[5]), int(argv[6])
        limited = sum(stats["chats"].get(str(u), {}).get("rate_limited", 0)
                      for u in range(first, first + count))
        rep.check(limited == 0, "no 429 for the mailing's sends (SEND_RATE below the limit)",
                  str(limited))
        check_message(rep, sb, first)
        # the summary line for lib.sh's counters
        return rep.finish()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
