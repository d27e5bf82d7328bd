"""A class on the real server: ``python -m bench server`` runs this after its Chromium sections.

Which client measured what:

- Every figure here comes from ``bench/_client.Student``, a light client speaking Streamlit's own
  websocket protocol (one asyncio loop in the bench process: sixty Chromium tabs on the 2 cores
  would measure the browser). Its times are when a message arrives, not when a browser has drawn
  it; the ``concurrency`` section (bench/server.py) measures real Chromium tabs on the same page and
  says how far drawing lags arrival there.
- The server is ``python -m bench._served`` (``streamlit run app.py`` in a process that also answers
  a memory probe on a second port: bench/_served.py); its CPU is read from /proc (all threads).

Sections:

- ``class_on_one_link``: a warm server; the teacher opens the Elman lesson and clicks Train; the
  link (the address bar, with ``l2_model_trained=``) goes to N students, who open it together and
  then click "Continue training" within one second of each other (the teacher too, first).
  First loss point (the progress text ``step N: loss`` arriving), time to the final numbers (the
  full rerun after the run finished), whether every student's final page (every text, every chart's
  JSON) is identical to the teacher's, and the server's CPU seconds for the class's clicks against
  the teacher's own first click (the same 150 steps from step 0, one session alone, its page's
  rerun included). Every session redraws its page after the run, which costs CPU whoever trained:
  ``rerun_only_cpu_s`` is the same crowd rerunning the page once more with nothing to train, and
  ``training_cpu_vs_one_run`` the class's CPU beyond that against the one run alone (1 = the run
  was computed once for everyone). A student whose click arrives after the run ended is served from
  the store and sees no progress at all: ``first_loss_never_seen`` counts those.
- ``class_exploring``: N students each on their own seed (``?seed=k``), clicking Train together:
  every run is different, so each is computed, two at a time, taking turns.
- ``memory``: N students, a few at a time, each visiting every page and clicking each page's Train
  (the Playground is visited, not played); resident memory after the first and after all, per further
  session, and where it goes (the probe: session_state by key, Streamlit's own, the page namespaces
  a session keeps reachable, malloc).
  ``page_namespaces_pruned`` tries the fix proposed for app.py in the server process: drop from every
  page namespace that outlived its run the names no function of the page can look up, then collect.
- ``cold_link``: from spawning the server to a lesson deep link with trained steps rendered with its
  trained model, as the first request after start.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import course
from bench import _live, _served
from bench._client import Student

PAGE = "elman-rnn"
CLASS_SIZES = (30, 60)
EXPLORERS = 30
MEMORY_SESSIONS = 30
MEMORY_AT_ONCE = 5
RUN_TIMEOUT_S = 300
COPIED = "This run was computed once for everyone"  # ui/training.SHARED_NOTE
TRAIN = {  # url path -> the button that trains the page's model(s), as a student finds it first
    "why-recurrence": "Train these examples",
    "elman-rnn": "Train",
    "char-lm": "Train",
    "vanishing-gradients": "Train",
    "lstm-cell": "Train",
    "gru-highway": "Train",
    "rnns-today": "Train",
    "seq2seq-attention": "Train",
    "pointer-networks": "Train both",
    "word-embeddings": "Train",
}


@contextmanager
def served(log, timeout_s: float = 90):
    """The app under bench/_served.py on free ports: yields (server, probe port, seconds to health)."""
    browser = _live.helpers()
    port, probe = browser.free_port(), browser.free_port()
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "bench._served", str(_live.APP), str(port), str(probe)]
    process = subprocess.Popen(cmd, cwd=_live.ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = browser.AppServer(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the served app did not start; see {log.name}")
            try:
                with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.2)
        yield server, probe, time.perf_counter() - start
    finally:
        server.stop()


def screen_digest(student: Student) -> str:
    """Every text and chart on the student's screen, hashed (equal digests: the same numbers)."""
    h = hashlib.sha256()
    for text in student.texts():
        if not text.startswith(COPIED):  # the one line that says this session's run was a copy
            h.update(text.encode())
    for spec in student.figures():
        h.update(spec.encode())
    return h.hexdigest()[:16]


async def _run_click(student: Student, label: str, at: float) -> dict:
    """Click ``label`` at monotonic time ``at``; wait for the full rerun that follows the run."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    before, before_fragment = student.finished, student.fragment_runs
    sent = await student.click(label)
    # a training panel reruns the page when its run ends; a button of a section that trains on its
    # own (lesson 8's transfer experiment) ends with that section's run
    ok = await student.until(
        lambda: student.finished > before or student.fragment_runs > before_fragment, RUN_TIMEOUT_S
    )
    arrived = student.first_loss_at
    return {
        "sent": sent,
        "first_loss_s": None if arrived is None else arrived - sent,
        "final_s": time.monotonic() - sent if ok else None,
        "busy": any("server is busy" in t for t in student.texts()),
    }


def _figures(rows: list[dict], n: int) -> dict:
    first = [r["first_loss_s"] for r in rows if r["first_loss_s"] is not None]
    final = [r["final_s"] for r in rows if r["final_s"] is not None]
    sent = [r["sent"] for r in rows]
    return {
        "sessions": n,
        "click_spread_s": round(max(sent) - min(sent), 2),
        "first_loss_s": _live.summary(first),
        "first_loss_never_seen": n - len(first),
        "final_numbers_s": _live.summary(final),
        "finished": len(final),
        "busy_warnings": sum(r["busy"] for r in rows),
    }


async def _class_on_one_link(url: str, pid: int, sizes) -> dict:
    teacher = Student(url)
    await teacher.open(PAGE)
    cpu = _live.process_cpu_seconds(pid)
    alone = await _run_click(teacher, "Train", time.monotonic())
    one_run_cpu = _live.process_cpu_seconds(pid) - cpu
    link = teacher.query
    out = {"teacher_link_query": link, "one_run_alone": {**alone, "cpu_s": round(one_run_cpu, 2)}}
    out["one_run_alone"].pop("sent")
    for n in sizes:
        students = [Student(url) for _ in range(n)]
        start = time.monotonic()
        await asyncio.gather(*(s.open(PAGE, link) for s in students))
        opened = time.monotonic() - start
        crowd = [teacher, *students]
        label = "Continue training"
        cpu = _live.process_cpu_seconds(pid)
        t0 = time.monotonic() + 0.2
        rows = await asyncio.gather(*(_run_click(s, label, t0 + i / len(crowd)) for i, s in enumerate(crowd)))
        cpu = _live.process_cpu_seconds(pid) - cpu
        digests = [screen_digest(s) for s in crowd]
        # the same crowd rerunning the page once more, nothing to train: what drawing N pages costs
        rerun_cpu = _live.process_cpu_seconds(pid)
        await asyncio.gather(*(s.open(PAGE, s.query) for s in crowd))
        rerun_cpu = _live.process_cpu_seconds(pid) - rerun_cpu
        out[str(n)] = {
            **_figures(rows[1:], n),
            "all_opened_the_link_s": round(opened, 2),
            "finals_identical_to_the_teachers": sum(d == digests[0] for d in digests[1:]),
            "teacher_first_loss_s": round(rows[0]["first_loss_s"] or -1, 2),
            "server_cpu_s": round(cpu, 2),
            "cpu_vs_one_run": round(cpu / max(one_run_cpu, 1e-9), 2),
            "rerun_only_cpu_s": round(rerun_cpu, 2),
            # the class's CPU beyond drawing its pages: the training it did, against one run alone
            "training_cpu_vs_one_run": round((cpu - rerun_cpu) / max(one_run_cpu, 1e-9), 2),
        }
        link = teacher.query  # the next class opens the link as it now is
        for s in students:
            await s.close()
    await teacher.close()
    return out


async def _class_exploring(url: str, pid: int, n: int) -> dict:
    students = [Student(url) for _ in range(n)]
    await asyncio.gather(*(s.open(PAGE, f"seed={k + 1}") for k, s in enumerate(students)))
    cpu = _live.process_cpu_seconds(pid)
    t0 = time.monotonic() + 0.2
    rows = await asyncio.gather(*(_run_click(s, "Train", t0 + i / n) for i, s in enumerate(students)))
    result = {**_figures(rows, n), "server_cpu_s": round(_live.process_cpu_seconds(pid) - cpu, 2)}
    for s in students:
        await s.close()
    return result


async def _student_everywhere(url: str) -> Student:
    s = Student(url)
    for lesson in course.available():
        path = "" if lesson.file == course.HOME_FILE else lesson.url_path
        await s.open(path)
        label = TRAIN.get(lesson.url_path)
        if label and s.button(label):
            await _run_click(s, label, 0.0)
    return s


async def _memory(url: str, pid: int, probe: int, n: int, at_once: int) -> dict:
    kept, rss, heap = [], [], []  # resident memory; bytes malloc has handed out and not had back
    while len(kept) < n:
        wave = min(at_once, n - len(kept)) if kept else 1  # the first alone: what one student costs
        kept += await asyncio.gather(*(_student_everywhere(url) for _ in range(wave)))
        rss.append((len(kept), _live.memory_mib(pid)["rss_mib"]))
        heap.append((len(kept), round(_served.ask(probe, "malloc")["in_use_bytes"] / 2**20, 1)))
    sessions = _served.ask(probe, "sessions")
    later = sessions[1:] or sessions
    fields = ("session_state_python", "session_state_tensors", "streamlit_python")
    mean = {f: sum(s[f] for s in later) / len(later) / 2**20 for f in fields}
    keys: dict = {}
    for s in later:
        for k, v in s["by_key"].items():
            keys[k] = keys.get(k, 0) + (v["python"] + v["tensors"]) / len(later) / 2**20
    try:  # a walk from every session: minutes at 30 sessions
        spaces = _served.ask(probe, "globals", timeout=600)
    except TimeoutError:
        spaces = []
    held = {}
    for s in spaces[1:] or spaces:
        for page, v in s["pages"].items():
            held[page] = held.get(page, 0) + (v["python"] + v["tensors"]) / max(len(spaces) - 1, 1) / 2**20
    if not spaces:
        held = {"not measured": "the walk from every session took over 600 s"}
    first, last = rss[0][1], rss[-1][1]
    result = {
        "sessions": n,
        "rss_mib_after_sessions": rss,
        "rss_mb_after_all": _live.mb(last),
        "per_further_session_mib": round((last - first) / max(n - 1, 1), 1),
        "heap_in_use_mib_after_sessions": heap,
        "heap_per_further_session_mib": round((heap[-1][1] - heap[0][1]) / max(n - 1, 1), 1),
        "peak_mib": _live.memory_mib(pid)["hwm_mib"],
        "per_further_session_reachable_mib": {k: round(v, 2) for k, v in mean.items()},
        "largest_session_state_keys_mib": {
            k: round(v, 2) for k, v in sorted(keys.items(), key=lambda kv: -kv[1])[:8]
        },
        "page_namespaces_kept_per_session_mib": {
            k: round(v, 2) if isinstance(v, float) else v for k, v in held.items()
        },
        "malloc": _served.ask(probe, "malloc"),
        # the fix proposed for app.py, tried in the server process: page namespaces pruned
        "page_namespaces_pruned": _served.ask(probe, "prune"),
        "rss_mib_after_pruning": _live.memory_mib(pid)["rss_mib"],
        "media": _served.ask(probe, "media"),
    }
    for s in kept:
        await s.close()
    return result


async def _visit_home(url: str) -> None:
    s = Student(url)
    await s.open("")
    await s.close()


async def _cold_link(url: str, link: str) -> dict:
    s = Student(url)
    start = time.monotonic()
    await s.open(PAGE, link)
    shown = time.monotonic() - start
    said = [t for t in s.texts() if "training steps so far" in t]
    await s.close()
    return {"link_rendered_s": round(shown, 2), "panel_says": said[:1]}


LOG = _live.ROOT / "tests" / "artifacts" / "bench_classroom.log"


def run(sizes=CLASS_SIZES, explorers=EXPLORERS, sessions=MEMORY_SESSIONS) -> dict:
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "w") as log:
        return _run(log, sizes, explorers, sessions)


class _Report(dict):
    """The figures so far, written to PARTIAL after each section (a later section failing keeps them)."""

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        PARTIAL.write_text(json.dumps(self, indent=1, default=str))


PARTIAL = _live.ROOT / "tests" / "artifacts" / "bench_classroom_partial.json"


def _run(log, sizes, explorers, sessions) -> dict:
    report: dict = _Report(load_average_before=_live.load(), server_log=str(LOG))
    with served(log) as (server, probe, _):
        pid = server.process.pid
        asyncio.run(_visit_home(server.url))  # the router runs once before any lesson URL
        report["class_on_one_link"] = asyncio.run(_class_on_one_link(server.url, pid, sizes))
        report["class_exploring"] = asyncio.run(_class_exploring(server.url, pid, explorers))
        report["load_average_after_classes"] = _live.load()
    with served(log) as (server, probe, _):
        report["memory"] = asyncio.run(
            _memory(server.url, server.process.pid, probe, sessions, MEMORY_AT_ONCE)
        )
    link = report["class_on_one_link"]["teacher_link_query"]
    with served(log) as (server, probe, health_s):
        cold = asyncio.run(_cold_link(server.url, link))
        report["cold_link"] = {"health_s": round(health_s, 2), **cold, "link": link}
        report["cold_link"]["spawn_to_rendered_s"] = round(health_s + cold["link_rendered_s"], 2)
    report["load_average_after"] = _live.load()
    return report
