#!/usr/bin/env python3
"""patch-mopidy.py - one fix to Debian's Mopidy 3.4.1, applied at build time.

Mopidy's gapless playback asks the core actor for the next track from a
GStreamer streaming thread ("about-to-finish") and blocks until it answers.
When a stop or a track change (the core waiting for the audio actor, which
waits for that streaming thread) coincides with that signal, Mopidy
deadlocks for good: every MPD command then times out. On a busy host this
happens in a few percent of stops (clear, next, load-and-play, stop). The
patch bounds the wait to 5 s: the streaming thread then goes on, the state
change completes, and the core answers the queued request afterwards (a
no-op once stopped; after a change it picks the track that follows the
new one, as gapless playback would). Nothing else changes. Fails the
build if the code it patches is not there.
"""

import sys

PATH = "/usr/lib/python3/dist-packages/mopidy/core/playback.py"
OLD = """        self.core.actor_ref.ask(
            ProxyCall(
                attr_path=["playback", "_on_about_to_finish"],
                args=[],
                kwargs={},
            )
        )
"""
NEW = """        try:
            self.core.actor_ref.ask(
                ProxyCall(
                    attr_path=["playback", "_on_about_to_finish"],
                    args=[],
                    kwargs={},
                ),
                timeout=5,
            )
        except pykka.Timeout:
            logger.warning(
                "about-to-finish: the core is busy (a stop or track change); "
                "not waiting for it (detgen: avoids Mopidy's deadlock)"
            )
"""

with open(PATH) as fh:
    src = fh.read()
if OLD not in src:
    sys.exit(f"patch-mopidy: the about-to-finish callback is not in {PATH}")
src = src.replace(OLD, NEW).replace(
    "from pykka.messages import ProxyCall\n", "import pykka\nfrom pykka.messages import ProxyCall\n"
)
with open(PATH, "w") as fh:
    fh.write(src)
print("patch-mopidy: about-to-finish waits at most 5 s for the core")
