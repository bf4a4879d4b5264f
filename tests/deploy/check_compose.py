#!/usr/bin/env python3
"""Checks docker-compose.yml for the production topology of README "Production".

usage: check_compose.py FILE

Prints one line per problem and exits 1 when there is any, 0 otherwise. YAML anchors
and merge keys are resolved as compose resolves them (PyYAML).
"""
import sys

import yaml

APP_DEPS = {
    "postgres": "service_healthy",
    "redis": "service_healthy",
    "migrate": "service_completed_successfully",
}
# service -> (command, database-and-broker dependencies, mounts media)
ROLES = {
    "migrate": (["migrate"], {"postgres": "service_healthy"}, False),
    "web": (["web"], APP_DEPS, True),
    "bot": (["bot"], APP_DEPS, False),
    "worker": (["worker", "--queue", "default"], APP_DEPS, True),
    "sender": (["worker", "--queue", "telegram_sending_queue"], APP_DEPS, True),
}
# named volume -> (service, where it is mounted); "media" is checked per role below
VOLUMES = {"pgdata": ("postgres", "/var/lib/postgresql/data"),
           "redisdata": ("redis", "/data")}


def as_list(command):
    return command.split() if isinstance(command, str) else list(command or [])


def depends(svc):
    deps = svc.get("depends_on") or {}
    if isinstance(deps, list):  # the short form has no conditions
        return {name: "service_started" for name in deps}
    return {name: (d or {}).get("condition", "service_started") for name, d in deps.items()}


def mounts(svc):
    """{target: source} of a service's volumes (short syntax or long)."""
    out = {}
    for v in svc.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            if len(parts) >= 2:
                out[parts[1]] = parts[0]
        else:
            out[v.get("target")] = v.get("source")
    return out


def check(doc):
    problems = []
    services = doc.get("services") or {}
    for name in ["nginx", "postgres", "redis", *ROLES]:
        if name not in services:
            problems.append(f"service {name} is missing")
    volumes = doc.get("volumes") or {}
    if "media" not in volumes:
        problems.append("named volume media is not declared")
    for vol, (svc_name, target) in VOLUMES.items():
        if vol not in volumes:
            problems.append(f"named volume {vol} is not declared")
        svc = services.get(svc_name) or {}
        if mounts(svc).get(target) != vol:
            problems.append(f"{svc_name} does not keep {target} on the volume {vol}")

    redis = services.get("redis") or {}
    cmd = as_list(redis.get("command"))
    if "--appendonly" not in cmd or cmd[cmd.index("--appendonly") + 1:][:1] != ["yes"]:
        problems.append("redis does not run with --appendonly yes (queued jobs would not "
                        "survive a restart)")

    for name, (want_cmd, want_deps, wants_media) in ROLES.items():
        svc = services.get(name)
        if svc is None:
            continue
        if as_list(svc.get("command")) != want_cmd:
            problems.append(f"{name} runs {as_list(svc.get('command'))}, wanted {want_cmd}")
        have = depends(svc)
        for dep, cond in want_deps.items():
            if have.get(dep) != cond:
                problems.append(f"{name} must depend on {dep} with condition {cond}, "
                                f"has {have.get(dep)}")
        if wants_media and mounts(svc).get("/var/lib/tgshop/media") != "media":
            problems.append(f"{name} does not mount the media volume")
        if "build" not in svc and "image" not in svc:
            problems.append(f"{name} has neither build nor image")

    if depends(services.get("nginx") or {}).get("web") != "service_healthy":
        problems.append("nginx must depend on web with condition service_healthy")
    nginx_mounts = mounts(services.get("nginx") or {})
    if nginx_mounts.get("/var/lib/tgshop/media") != "media":
        problems.append("nginx does not mount the media volume (it serves /media/)")

    for name, svc in services.items():
        restart = str(svc.get("restart", "no"))
        if name == "migrate":
            if restart not in ("no", "on-failure"):
                problems.append(f"migrate must not restart after it is done (restart: {restart})")
            continue
        if restart != "unless-stopped":
            problems.append(f"{name} has restart: {restart}, wanted unless-stopped")
        hc = svc.get("healthcheck") or {}
        test = hc.get("test")
        if hc.get("disable") or not test or test == ["NONE"]:
            problems.append(f"{name} has no healthcheck")
        elif name in ROLES and not any("/healthz" in str(t) for t in as_list(test)):
            problems.append(f"{name}'s healthcheck does not ask /healthz")
        if svc.get("ports") and name != "nginx":
            problems.append(f"{name} publishes ports; only nginx should")

    sender = services.get("sender") or {}
    if "container_name" in sender or sender.get("ports"):
        problems.append("sender cannot be scaled (container_name or ports)")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        print(f"cannot read {sys.argv[1]}: {e}")
        return 1
    problems = check(doc if isinstance(doc, dict) else {})
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
