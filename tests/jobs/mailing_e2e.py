#!/usr/bin/env python3
"""Mailings end to end, as processes (ctest mailing_*): `tgshop sandbox` as Telegram,
`tgshop migrate`, one `tgshop worker --queue default` (the scheduler and the fan-out) and
sender workers (`--queue telegram_sending_queue`: one on the database queue, whose send
rate is the process's, two on Redis, which share it). Recipients are sandbox users who
started the bot, inserted as customers by SQL; the mailing starts as "Send now" leaves it
(tests/support/mailing.py).

  mailing_e2e.py CASE BACKEND      BACKEND: sqlite, postgres or redis (PostgreSQL + Redis)

cases
  limited    2000 recipients, the sandbox's rate limit on and SEND_RATE below it, 5% of the
             sends answered 5xx, 20 users who blocked the bot: every other user gets exactly
             one message, the blocked ones are marked, the counters add up, zero 429s
  flood      1000 recipients, SEND_RATE eight times a limit of a quarter of MAILING_LIMIT,
             5xx and blocked users as above: 429s happen and are honoured (zero flood
             violations), still exactly one message each
  crash      5000 recipients; a sender is killed with SIGKILL in the middle and a new one
             started: the mailing completes, nobody missed, nobody twice
  restart    (redis) Redis restarted in the middle of a mailing: it completes, nothing lost,
             nothing twice
  scheduled  a mailing scheduled a few seconds ahead starts at its time, not before

Rates (environment, for slower machines): MAILING_LIMIT (sandbox limit, 200/s), and the
recipients of each case; every wait is a poll with a deadline.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import mailing as M  # noqa: E402

LIMIT = float(os.environ.get("MAILING_LIMIT", "200"))
FIRST = 700000000
THREADS = 4  # a sender's threads (tgshop worker's default --concurrency)


class Run:
    """One case's servers and processes; stop() ends every one of them."""

    def __init__(self, case, backend):
        self.rep = M.Report()
        self.work = tempfile.mkdtemp(prefix=f"tgshop-mailing-{case}-")
        self.procs, self.senders, self.redis = [], [], None
        self.case, self.backend = case, backend

    def setup(self, global_rate):
        if self.backend == "sqlite":
            self.db_url = "sqlite:" + os.path.join(self.work, "shop.db")
        else:
            self.db_url = M.pg_database(f"mailing_{self.case}_{self.backend}")
        if self.backend == "redis":
            self.redis = M.Redis(self.work)
        self.sb = M.Sandbox(self.work, global_rate)
        self.procs.append(self.sb.proc)
        self.db = M.Db(self.db_url)
        env = self.env()
        got = subprocess.run([M.BIN, "migrate"], env=env, capture_output=True, text=True)
        if got.returncode != 0:
            raise SystemExit(f"tgshop migrate: {got.stderr}")

    def env(self, **extra):
        return M.base_env(DATABASE_URL=self.db_url, TELEGRAM_API_URL=self.sb.url,
                          BOT_TOKEN=M.TOKEN, REDIS_URL=self.redis.url if self.redis else None,
                          OPS_LISTEN="127.0.0.1:0", **extra)

    def worker(self, name, queue, send_rate=None):
        p = M.Proc(self.work, name, ["worker", "--queue", queue], self.env(SEND_RATE=send_rate))
        self.procs.append(p)
        m = p.line(r"^tgshop worker: /healthz and /metrics at (http://[0-9.:]*)$")
        if not m:
            raise SystemExit(f"{name} did not start: {p.errors()}")
        p.ops = m.group(1)
        return p

    def sender(self, send_rate):
        p = self.worker(f"sender{len(self.senders) + 1}", "telegram_sending_queue", send_rate)
        self.senders.append(p)
        return p

    def recipients(self, count, blocked=0):
        """count sandbox users and customers, blocked of them spread evenly blocked the bot."""
        t0 = time.monotonic()
        self.sb.add_users(FIRST, count)
        self.db.add_customers(FIRST, count)
        step = count // blocked if blocked else 0
        gone = [FIRST + step // 2 + step * k for k in range(blocked)]
        for uid in gone:
            self.sb.block(uid)
        print(f"# {count} recipients made in {time.monotonic() - t0:.1f} s", flush=True)
        return gone

    def progress(self, mid):
        m = self.db.mailing(mid)
        return m, M.delivered_to(self.sb.stats(), FIRST, int(m.get("total_count") or 0))

    def until_done(self, mid, seconds, what="the mailing completes"):
        t0 = time.monotonic()
        last = [0.0]

        def done():
            m = self.db.mailing(mid)
            if time.monotonic() - last[0] > 5:
                last[0] = time.monotonic()
                print(f"# {time.monotonic() - t0:.0f} s: {m}", flush=True)
            return m.get("status") == "done"
        ok = M.wait_for(seconds, done, 0.2)
        took = time.monotonic() - t0
        self.rep.check(ok, f"{what} in {took:.1f} s", str(self.db.mailing(mid)))
        return took

    def stop(self):
        for p in reversed(self.procs):
            status = p.stop()
            self.rep.check(status == 0, f"{p.name} stops cleanly (exit 0)",
                           f"exit {status}: {p.errors()[-2000:]}")
        if self.redis:
            self.redis.stop()
        shutil.rmtree(self.work, ignore_errors=True)


def senders_for(run, send_rate):
    """One sender on the database queue (its rate is the process's), two on Redis."""
    for _ in range(2 if run.backend == "redis" else 1):
        run.sender(send_rate)


def sent_by(run):
    return [int(M.metric(p.ops, "tgshop_messages_total", 'result="sent"')) for p in run.senders]


def case_limited(run, above):
    """Below the limit: 2000 recipients at 3/4 of it. Above: 1000 at eight times a limit of a
    quarter (50/s), so that even a slow, loaded machine sends faster than the sandbox allows."""
    count = int(os.environ.get("MAILING_RECIPIENTS", "1000" if above else "2000"))
    blocked = 20
    limit = LIMIT / 4 if above else LIMIT
    send_rate = limit * (8 if above else 0.75)
    run.sb.limits(global_rate=limit)
    gone = run.recipients(count, blocked)
    run.sb.faults([{"method": "sendMessage", "status": 500, "share": 0.05}])
    run.worker("default", "default")
    senders_for(run, send_rate)
    mid = run.db.start_mailing("de", count)
    took = run.until_done(mid, 60 + 3 * count / limit)
    stats = M.check_mailing(run.rep, run.sb, run.db, mid, FIRST, count, gone)
    M.check_message(run.rep, run.sb, FIRST)
    injected = stats.get("faults_injected", 0)
    run.rep.check(injected >= count // 25, f"{injected} sends were answered 500 and retried",
                  str(injected))
    retried = run.db.value(f"SELECT count(*) FROM mailing_delivery WHERE mailing_id = {mid} "
                           "AND status = 'sent' AND attempts > 1")
    run.rep.check(int(retried) > 0, f"{retried} deliveries were sent at a later attempt", retried)
    limited = M.sends(stats, "rate_limited")
    violations = stats.get("flood_violations", -1)
    if above:
        seen = sum(int(M.metric(p.ops, "tgshop_telegram_429_total")) for p in run.senders)
        run.rep.check(limited > 0 and seen > 0, f"SEND_RATE {send_rate:g} above the limit "
                      f"{limit:g}: {limited} sends refused with 429, the senders saw {seen}",
                      f"sandbox {limited}, senders {seen}")
    else:
        run.rep.check(limited == 0, f"SEND_RATE {send_rate:g} below the limit {limit:g}: "
                      "zero 429s", f"{limited} 429s")
    run.rep.check(violations == 0, "zero flood violations (no call before retry_after ended)",
                  str(violations))
    reached = count - blocked
    print(f"# {reached} messages in {took:.1f} s = {reached / took:.0f} msg/s "
          f"(limit {limit:g}, SEND_RATE {send_rate:g}), sent by senders: {sent_by(run)}")
    if run.backend == "redis":
        each = sent_by(run)
        run.rep.check(all(n > 0 for n in each), f"both senders sent ({each})", str(each))


def midway(run, count):
    """A mailing to count recipients, once 30% of it is sent: its id and how many were."""
    run.recipients(count)
    run.worker("default", "default")
    senders_for(run, LIMIT * 0.75)
    mid = run.db.start_mailing("de", count)
    M.wait_for(60 + count / LIMIT,
               lambda: M.delivered_to(run.sb.stats(), FIRST, count) >= count * 0.3, 0.2)
    return mid, M.delivered_to(run.sb.stats(), FIRST, count)


def case_crash(run):
    count = int(os.environ.get("MAILING_CRASH_RECIPIENTS", "5000"))
    mid, before = midway(run, count)
    victim = run.senders[0]
    victim.kill9()
    run.procs.remove(victim)
    run.rep.check(count * 0.3 <= before < count, f"a sender killed with SIGKILL after {before} "
                  f"of {count} messages", f"{before} delivered")
    run.sender(LIMIT * 0.75)
    run.until_done(mid, 120 + 3 * count / LIMIT, "the mailing completes with a new sender")
    M.check_mailing(run.rep, run.sb, run.db, mid, FIRST, count, window=THREADS)


def case_restart(run):
    count = int(os.environ.get("MAILING_RESTART_RECIPIENTS", "3000"))
    mid, before = midway(run, count)
    run.redis.restart()
    run.rep.check(count * 0.3 <= before < count, f"Redis restarted after {before} of {count} "
                  "messages", f"{before} delivered")
    run.until_done(mid, 120 + 3 * count / LIMIT, "the mailing completes after the restart")
    M.check_mailing(run.rep, run.sb, run.db, mid, FIRST, count)


def case_scheduled(run):
    count, ahead = 20, 4
    run.recipients(count)
    run.worker("default", "default")
    senders_for(run, LIMIT * 0.75)
    at = int(time.time()) + ahead
    mid = run.db.start_mailing("de", count, at=at)
    early = 0
    while time.time() < at - 0.5:
        early = max(early, M.delivered_to(run.sb.stats(), FIRST, count))
        time.sleep(0.1)
    run.rep.check(early == 0, f"nothing sent before the scheduled time ({ahead} s ahead)",
                  f"{early} early")
    run.until_done(mid, 30, "the scheduled mailing is sent")
    m = run.db.mailing(mid)
    started = int(m.get("started_at") or 0)
    run.rep.check(at <= started <= at + 5, "it started at its time (within 5 s)",
                  f"scheduled {at}, started {started}")
    M.check_mailing(run.rep, run.sb, run.db, mid, FIRST, count)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("sqlite", "postgres", "redis"):
        print(__doc__, file=sys.stderr)
        return 2
    case, backend = sys.argv[1], sys.argv[2]
    cases = {"limited": lambda r: case_limited(r, False), "flood": lambda r: case_limited(r, True),
             "crash": case_crash, "restart": case_restart, "scheduled": case_scheduled}
    if case not in cases or (case == "restart" and backend != "redis"):
        print(__doc__, file=sys.stderr)
        return 2
    t0 = time.monotonic()
    # ctest's timeout or Ctrl-C: still stop every server and process this run started
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    run = Run(case, backend)
    try:
        run.setup(0)
        cases[case](run)
    finally:
        run.stop()
    print(f"# mailing {case} on {backend}: {time.monotonic() - t0:.0f} s")
    return run.rep.finish()


if __name__ == "__main__":
    sys.exit(main())
