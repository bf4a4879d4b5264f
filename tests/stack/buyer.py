#!/usr/bin/env python3
"""A sandbox customer who buys one product from the bot, as a person would: /catalog,
the PICK-th top category, down the tree to the first product in stock, add it to the cart, /cart, check out (name,
phone, address), confirm, pay the invoice. Every step waits for the bot's answer.

usage: buyer.py SANDBOX_URL USER_ID [CATEGORY]   (CATEGORY: the top category's index or name)
Prints "paid ORDER_TEXT" and exits 0, or prints what went wrong and exits 1.
"""
import json
import sys
import time
import urllib.request

API, USER = sys.argv[1] + "/sandbox/api", int(sys.argv[2])
PICK = sys.argv[3] if len(sys.argv) > 3 else "0"  # a top category: its index or its name
NAVIGATION = ("◀", "▶", "⬅", "🛒")
ADD_TO_CART = "🛒 Add to cart"  # src/bot/locales/en.json btn_add_to_cart


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=70) as r:
        return json.load(r)["result"]


def chat():
    return call("GET", f"/chats/{USER}")


def events_after(seq, wanted, deadline_s=30):
    """Events after seq until wanted(event) is true for one; returns that event."""
    end = time.time() + deadline_s
    while time.time() < end:
        got = call("GET", f"/chats/{USER}/events?after={seq}&timeout=5")
        for e in got["events"]:
            if wanted(e):
                return e
        seq = got["last_seq"]
    raise SystemExit(f"user {USER}: no answer in {deadline_s} s")


def say(text):
    seq = chat()["last_seq"]
    call("POST", f"/users/{USER}/messages", {"text": text})
    return events_after(seq, lambda e: e["type"] in ("message", "edited_message")
                        and e["message"].get("from", {}).get("is_bot"))


def describe(msg):
    text = msg.get("text") or msg.get("caption") or ""
    return f"{text[:80]!r} with {[b['text'] for b in buttons(msg)]}"


def buttons(msg):
    rows = (msg.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b for row in rows for b in row if "callback_data" in b]


def press(msg, data):
    seq = chat()["last_seq"]
    call("POST", f"/users/{USER}/callback", {"message_id": msg["message_id"], "callback_data": data})
    events_after(seq, lambda e: e["type"] == "callback_answer")
    return latest_with_buttons()


def latest_with_buttons():
    for m in reversed(chat()["messages"]):
        if m.get("from", {}).get("is_bot") and buttons(m):
            return m
    raise SystemExit(f"user {USER}: no message with buttons")


def choices(msg):
    return [b for b in buttons(msg) if not b["text"].startswith(NAVIGATION) and "/" not in b["text"]]


def find_card(msg, depth):
    """Down the tree to a product card that can be added to the cart (sold-out cards have
    no such button: back up and try the next entry); the top category PICK names first, or
    only it when PICK is a name."""
    entries = choices(msg)
    if depth == 0 and entries and not PICK.isdigit():
        entries = [b for b in entries if PICK in b["text"]]
    elif depth == 0 and entries:
        k = int(PICK) % len(entries)
        entries = entries[k:] + entries[:k]
    for entry in entries:
        shown = press(msg, entry["callback_data"])
        if any(b["text"] == ADD_TO_CART for b in buttons(shown)):
            return shown
        if depth < 4 and choices(shown):
            found = find_card(shown, depth + 1)
            if found:
                return found
        now = latest_with_buttons()
        back = [b for b in buttons(now) if b["text"].startswith("⬅")]
        if not back:
            return None
        msg = press(now, back[0]["callback_data"])
    return None


def message_with(data, deadline_s=30):
    """The newest bot message with a button of this callback data, waiting for it."""
    end = time.time() + deadline_s
    while time.time() < end:
        for m in reversed(chat()["messages"]):
            if m.get("from", {}).get("is_bot") and any(b["callback_data"] == data for b in buttons(m)):
                return m
        time.sleep(0.1)
    raise SystemExit(f"user {USER}: no button {data!r} in {deadline_s} s")


def main():
    say("/catalog")
    card = find_card(latest_with_buttons(), 0)
    if not card:
        raise SystemExit(f"user {USER}: no product to buy")
    press(card, next(b for b in buttons(card) if b["text"] == ADD_TO_CART)["callback_data"])
    say("/cart")
    press(message_with("ko"), "ko")
    say(f"Customer {USER}")
    say("+7 900 123 45 67")
    say("Lenina street 1, Moscow")
    summary = message_with("x:1")
    seq = chat()["last_seq"]
    call("POST", f"/users/{USER}/callback", {"message_id": summary["message_id"], "callback_data": "x:1"})
    invoice = events_after(seq, lambda e: e["type"] == "message" and "invoice" in e["message"])
    seq = chat()["last_seq"]
    call("POST", f"/users/{USER}/pay", {"message_id": invoice["message"]["message_id"]})
    payment = events_after(seq, lambda e: e["type"] == "payment" and e["status"] != "pending")
    if payment["status"] != "paid":
        raise SystemExit(f"user {USER}: payment {payment['status']}: {payment.get('error_message')}")
    print("paid", invoice["message"]["invoice"]["total_amount"])


if __name__ == "__main__":
    main()
