"""Open a lesson file in Firefox and drag one of its controls: a check by hand, not part of the test suite.

Usage: .venv/bin/python -m scripts.firefox_lesson FILE.html [--control "input[aria-label=t]"] [--firefox firefox-esr]

Playwright drives only its own patched Firefox, which cannot be downloaded here, so this talks WebDriver BiDi (built
into Firefox) to the system's Firefox (Debian's firefox-esr) with the websockets package. It opens the file from
file:// in a fresh profile whose proxy points at a closed local port (nothing can leave), waits for data-ready,
drags the control from 10% to 90% in 30 real pointer moves, waiting for each picture, and prints how many moves
changed the picture, the time to data-ready, and every request the browser reported (data: URLs never leave the
page: Firefox reports the file's own thumbnails and a font of its own as such).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import websockets

PORT = 9333
MOVES = 30
DIGEST_JS = """(() => { const c = document.querySelector('canvas.decoded');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 2166136261;
  for (let i = 0; i < d.length; i++) { h ^= d[i]; h = Math.imul(h, 16777619); }
  return h >>> 0; })()"""
STATUS_JS = "document.getElementById('aelab-status').textContent"
PROFILE = """user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("browser.shell.checkDefaultBrowser", false);
"""


class Bidi:
    """A WebDriver BiDi session: call(method, params) -> result; events are kept in .events."""

    def __init__(self, socket):
        self.socket, self.events, self.next_id = socket, [], 0

    async def call(self, method: str, params: dict) -> dict:
        self.next_id += 1
        asked = self.next_id
        await self.socket.send(json.dumps({"id": asked, "method": method, "params": params}))
        while True:
            message = json.loads(await self.socket.recv())
            if message.get("type") == "event":
                self.events.append(message)
            elif message.get("id") == asked:
                if message.get("type") == "error":
                    raise RuntimeError(f"{method}: {message.get('message')}")
                return message["result"]


async def check(path: Path, control: str, firefox: str) -> None:
    profile = tempfile.mkdtemp(prefix="aelab-firefox-")
    Path(profile, "user.js").write_text(PROFILE)
    browser = subprocess.Popen([firefox, "--headless", "--no-remote", "--profile", profile,
                                f"--remote-debugging-port={PORT}", "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        for _ in range(100):
            try:
                socket = await websockets.connect(f"ws://127.0.0.1:{PORT}/session", max_size=None)
                break
            except OSError:
                await asyncio.sleep(0.3)
        else:
            raise SystemExit(f"{firefox} did not open its WebDriver BiDi port")
        bidi = Bidi(socket)
        session = await bidi.call("session.new", {"capabilities": {}})
        print(f"{session['capabilities']['browserName']} {session['capabilities']['browserVersion']}")
        await bidi.call("session.subscribe", {"events": ["network.beforeRequestSent", "log.entryAdded"]})
        context = (await bidi.call("browsingContext.getTree", {}))["contexts"][0]["context"]
        await drag(bidi, context, path, control)
    finally:
        os.killpg(browser.pid, signal.SIGTERM)


async def drag(bidi: Bidi, context: str, path: Path, control: str) -> None:
    async def value(expression: str):
        answer = await bidi.call("script.evaluate", {"expression": expression, "target": {"context": context},
                                                     "awaitPromise": True})
        return answer["result"].get("value")

    async def pointer(*actions):
        await bidi.call("input.performActions", {"context": context, "actions": [
            {"type": "pointer", "id": "mouse", "actions": list(actions)}]})

    async def picture():
        for _ in range(500):  # until the last code asked for is drawn (10 s at most)
            if await value("window.aelabLive.drawnSeq === window.aelabLive.inputSeq"):
                break
            await asyncio.sleep(0.02)
        return await value(DIGEST_JS)

    await bidi.call("browsingContext.setViewport", {"context": context, "viewport": {"width": 1400, "height": 1000}})
    started = time.perf_counter()
    await bidi.call("browsingContext.navigate", {"context": context, "url": path.resolve().as_uri(),
                                                 "wait": "complete"})
    while not await value("document.body.dataset.ready === '1'"):
        if time.perf_counter() - started > 60:
            raise SystemExit(f"not ready after 60 s: {await value(STATUS_JS)}")
        await asyncio.sleep(0.1)
    print(f"data-ready {time.perf_counter() - started:.1f} s after navigating; "
          f"status: {await value(STATUS_JS)}")
    box = json.loads(await value(f"JSON.stringify(document.querySelector({json.dumps(control)})"
                                 ".getBoundingClientRect())"))
    y, left, width = box["y"] + box["height"] / 2, box["x"] + 0.1 * box["width"], 0.8 * box["width"]
    await pointer({"type": "pointerMove", "x": int(left), "y": int(y)}, {"type": "pointerDown", "button": 0})
    digests = [await picture()]
    for k in range(1, MOVES + 1):
        await pointer({"type": "pointerMove", "x": int(left + width * k / MOVES), "y": int(y)})
        digests.append(await picture())
    await pointer({"type": "pointerUp", "button": 0})
    print(f"the picture changed at {sum(a != b for a, b in zip(digests, digests[1:]))} of {MOVES} moves")
    requests = [e["params"]["request"]["url"] for e in bidi.events if e["method"] == "network.beforeRequestSent"]
    left_page = [url for url in requests if not url.startswith(("data:", "blob:"))]
    print(f"requests: {len(requests)}, of which not data: or blob: {left_page}")
    print(f"console: {[e['params'].get('text', '')[:200] for e in bidi.events if e['method'] == 'log.entryAdded']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--control", default=".rank-0 input[type=range]", help="CSS selector of what to drag")
    parser.add_argument("--firefox", default="firefox-esr")
    args = parser.parse_args()
    asyncio.run(check(args.file, args.control, args.firefox))


if __name__ == "__main__":
    main()
