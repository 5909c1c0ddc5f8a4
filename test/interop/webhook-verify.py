# A webhook receiver's check, written from the Standard Webhooks specification alone (no saraban code):
# reads {"secret", "headers", "body", "now"} as JSON on stdin, prints "ok" or "bad". Used by
# test/unit/events-webhook.test.ts on POSTs the node really sent; README "Notifications" shows the same.
import base64, hashlib, hmac, json, sys

def verify(secret, headers, body: bytes, now, tolerance=300):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(now - int(ts)) > tolerance:
        return False
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split(" "))

req = json.load(sys.stdin)
print("ok" if verify(req["secret"], req["headers"], req["body"].encode(), req["now"]) else "bad")
