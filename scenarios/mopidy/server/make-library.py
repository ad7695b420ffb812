#!/usr/bin/env python3
"""make-library.py - the music library of the `mopidy` scenario.

Generates MUSIC_TRACKS short tagged audio files with GStreamer (through
PyGObject, both from Debian): tones from audiotestsrc - a drawn waveform,
pitch, volume and length per track - encoded as Ogg Vorbis, MP3 (LAME,
ID3v2 tags) or FLAC, tagged with title, artist, album, track number,
genre and year (taginject), under MUSIC_DIR/<artist>/<album>/. Then writes
MUSIC_PLAYLISTS m3u8 playlists of drawn tracks into PLAYLIST_DIR. The
playlists list mopidy-local URIs (local:track:...). The names, tones
and playlist contents come from MUSIC_SEED, so a run's
library is fixed by its drawn parameters.

Prints one line per track and per playlist, and writes
PLAYLIST_DIR/../library.txt (title<TAB>artist<TAB>album<TAB>seconds<TAB>file).
"""

import os
import random
import sys
import urllib.parse

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

WORDS = (
    "blue night river morning dream fire shadow light summer rain city "
    "echo golden silent electric velvet paper ocean winter stone wild "
    "neon garden highway honey mirror orbit thunder crystal ghost sugar"
).split()
ARTISTS = [
    "The Static Tones", "Sine Collective", "Marta Vale", "Low Frequency Club",
    "Oscar & the Waves", "Pink Noise Orchestra", "Juno Park", "Square Roots",
    "Harmonic Drift", "Ada Loop", "Triangle Kids", "Nils Oberg",
]
GENRES = ["Electronic", "Ambient", "Rock", "Pop", "Jazz", "Experimental", "Folk", "Techno"]
WAVES = ["sine", "square", "saw", "triangle", "pink-noise", "sine", "ticks"]
PLAYLIST_NAMES = [
    "Morning Run", "Focus", "Road Trip", "Chill Evening", "Party Mix",
    "Rainy Day", "Workout", "Sleep", "Favourites", "Discover Weekly",
    "Throwbacks", "Dinner",
]


def title(rng):
    n = rng.choice([1, 2, 2, 3])
    return " ".join(rng.choice(WORDS) for _ in range(n)).title()


def encode(path, fmt, wave, freq, volume, seconds, rate, tags):
    enc = {
        "ogg": "vorbisenc quality=0.3 ! oggmux",
        "mp3": "lamemp3enc target=bitrate bitrate=96 cbr=true ! xingmux ! id3v2mux",
        "flac": "flacenc ! flactag",
    }[fmt]
    samples = 1024
    buffers = max(1, int(seconds * rate / samples))
    desc = (
        f"audiotestsrc wave={wave} freq={freq} volume={volume} num-buffers={buffers} "
        f"samplesperbuffer={samples} ! audio/x-raw,rate={rate},channels=2 ! "
        f"audioconvert ! taginject name=tags ! {enc} ! filesink name=sink"
    )
    pipeline = Gst.parse_launch(desc)
    pipeline.get_by_name("tags").set_property("tags", tags)
    pipeline.get_by_name("sink").set_property("location", path)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR
    )
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        err = msg.parse_error()[0].message if msg else "timeout"
        sys.exit(f"make-library: encoding {path} failed: {err}")


def tagval(s):
    # taginject's syntax: key="value",...; keep values free of quotes/commas
    return s.replace('"', "").replace(",", "").replace("\\", "")


def main():
    Gst.init(None)
    music = os.environ.get("MUSIC_DIR", "/srv/music")
    pdir = os.environ.get("PLAYLIST_DIR", "/srv/playlists")
    rng = random.Random(int(os.environ.get("MUSIC_SEED", "1")))
    ntracks = int(os.environ.get("MUSIC_TRACKS", "8"))
    nlists = int(os.environ.get("MUSIC_PLAYLISTS", "2"))
    lo, hi = (float(x) for x in os.environ.get("MUSIC_SECONDS", "8:30").split(":"))
    formats = os.environ.get("MUSIC_FORMATS", "ogg,mp3,flac").split(",")
    rate = int(os.environ.get("MUSIC_RATE", "22050"))
    os.makedirs(pdir, exist_ok=True)

    artists = rng.sample(ARTISTS, k=min(len(ARTISTS), max(1, ntracks // 3)))
    albums = {a: (title(rng), rng.randint(1972, 2024), rng.choice(GENRES)) for a in artists}
    numbers = {}
    tracks = []
    used = set()
    for _ in range(ntracks):
        artist = rng.choice(artists)
        album, year, genre = albums[artist]
        name = title(rng)
        while (artist, name) in used:
            name = title(rng) + " " + rng.choice(["II", "Reprise", "Live", "Edit"])
        used.add((artist, name))
        numbers[artist] = numbers.get(artist, 0) + 1
        fmt = rng.choice(formats)
        seconds = round(rng.uniform(lo, hi), 1)
        wave = rng.choice(WAVES)
        freq = rng.choice([110, 147, 196, 220, 262, 294, 330, 349, 392, 440, 494, 523, 587, 659, 784])
        volume = round(rng.uniform(0.2, 0.6), 2)
        d = os.path.join(music, artist, album)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, f"{numbers[artist]:02d} {name}.{fmt}")
        tags = (
            f'title="{tagval(name)}",artist="{tagval(artist)}",album="{tagval(album)}",'
            f'track-number=(uint){numbers[artist]},genre="{genre}",date=(date){year}-01-01'
        )
        encode(path, fmt, wave, freq, volume, seconds, rate, tags)
        tracks.append((name, artist, album, seconds, path))
        print(f"track: {artist} - {name} ({album}, {year}) {seconds}s {fmt} {wave} {freq}Hz", flush=True)

    with open(os.path.join(os.path.dirname(pdir.rstrip("/")), "library.txt"), "w") as fh:
        for t in tracks:
            fh.write("\t".join(str(x) for x in t) + "\n")

    names = rng.sample(PLAYLIST_NAMES, k=min(nlists, len(PLAYLIST_NAMES)))
    for pname in names:
        k = rng.randint(min(2, ntracks), max(2, min(ntracks, 8)))
        chosen = rng.sample(tracks, k=min(k, len(tracks)))
        with open(os.path.join(pdir, f"{pname}.m3u8"), "w", encoding="utf-8") as fh:
            fh.write("#EXTM3U\n")
            for name, artist, _, seconds, path in chosen:
                # mopidy-local's URI of the track (its library resolves it
                # without a GStreamer scan at load time)
                uri = "local:track:" + urllib.parse.quote(os.path.relpath(path, music))
                fh.write(f"#EXTINF:{int(seconds)},{artist} - {name}\n")
                fh.write(uri + "\n")
        print(f"playlist: {pname} ({len(chosen)} tracks)", flush=True)


if __name__ == "__main__":
    main()
