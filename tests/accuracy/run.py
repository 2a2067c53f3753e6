"""Score the product's stateless check on the accuracy corpus.

    PYTHONPATH=. .venv/bin/python -m tests.accuracy.run [--family NAME] [--fast] [-j N] [--id ID …]

Each case's mail is checked with ``bot.check.check_message`` (what ``check --json`` prints) under a
config with the two rounds of the contract; the result is compared with the verdict the spec demands
(:func:`tests.accuracy.corpus.expected`).  Prints the overall figure, a per-family table and one line per
wrong case; writes everything to ``build/accuracy.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from tests.conftest import ROUNDS  # the contract's two rounds, as the other tests configure them

from . import corpus

ROOT = Path(__file__).resolve().parents[2]


def write_config(root: Path) -> Path:
    config = root / "intake.toml"
    config.write_text(
        'timezone = "Europe/Copenhagen"\n\n'
        f'[storage]\nurl = "sqlite:///{root}/intake.db"\nfiles = "{root}/files"\n\n'
        f'[mailbox]\nkind = "maildir"\npath = "{root}/inbox"\nanswer_from = "2025-01-01T00:00"\n\n'
        f'[delivery]\nkind = "maildir"\npath = "{root}/outbox"\n' + ROUNDS,
        encoding="utf-8",
    )
    return config


_SETTINGS = None


def _init(config: str) -> None:
    global _SETTINGS
    from config.settings import load_settings

    _SETTINGS = load_settings(config)


def _check(case_id: str) -> dict:
    from bot.check import check_message

    case = corpus.by_id(case_id)
    started = time.perf_counter()
    data = corpus.raw(case)
    built = time.perf_counter()
    try:
        out = check_message(data, _SETTINGS, case.now)
    except Exception as exc:  # a crash is a wrong answer, not the end of the run
        out = {"error": f"{type(exc).__name__}: {exc}"}
    return {"id": case_id, "out": out, "build_s": round(built - started, 2),
            "check_s": round(time.perf_counter() - built, 2)}


def compare(case: corpus.Case, out: dict) -> dict:
    """The case's result: expected vs got, which fields differ, and the counters it falls under."""
    exp = corpus.expected(case)
    checks_out = out.get("checks") or {}
    got = {"kind": out.get("kind"), "reply": out.get("reply"), "complete": out.get("complete"),
           "checks": {name: (checks_out.get(name) or {}).get("status") for name in corpus.CHECKS}}
    diffs: list[dict] = []
    if "error" in out:
        diffs.append({"field": "error", "expected": None, "got": out["error"]})
    for name in ("kind", "reply"):
        if got[name] != exp[name]:
            diffs.append({"field": name, "expected": exp[name], "got": got[name]})
    if exp["checks"] is not None:  # inquiries and automatic mail: only kind and reply are meaningful
        if got["complete"] != exp["complete"]:
            diffs.append({"field": "complete", "expected": exp["complete"], "got": got["complete"]})
        for name in corpus.CHECKS:
            if got["checks"][name] != exp["checks"][name]:
                diffs.append({"field": name, "expected": exp["checks"][name], "got": got["checks"][name],
                              "detail": (checks_out.get(name) or {}).get("detail")})
    application = exp["checks"] is not None
    false_complete = application and exp["complete"] is False and got["complete"] is True
    false_missing = application and (
        any(got["checks"][n] == "missing" and exp["checks"][n] != "missing" for n in corpus.CHECKS)
        or (got["reply"] == "missing_items" and exp["reply"] == "receipt"))
    return {"id": case.id, "family": case.family, "right": not diffs, "false_complete": false_complete,
            "false_missing": bool(false_missing), "wrong_kind": got["kind"] != exp["kind"], "expected": exp,
            "got": got, "diffs": diffs, "attachments": out.get("attachments")}


def _fmt_diff(d: dict) -> str:
    text = f"{d['field']}: {d['expected']} -> {d['got']}"
    if d.get("detail"):
        text += f" [{d['detail']}]"
    return text


def report(results: list[dict], seconds: float, stream=sys.stdout) -> dict:
    n = len(results)
    right = sum(r["right"] for r in results)
    fc = sum(r["false_complete"] for r in results)
    fm = sum(r["false_missing"] for r in results)
    wk = sum(r["wrong_kind"] for r in results)
    print(f"{right}/{n} right, {fc} false complete, {fm} false missing, {wk} wrong kind   ({seconds:.0f} s)",
          file=stream)
    print(file=stream)
    families = {}
    header = f"{'family':<26} {'cases':>5} {'right':>5} {'false complete':>14} {'false missing':>13} {'wrong kind':>10}"
    print(header, file=stream)
    print("-" * len(header), file=stream)
    for family in corpus.FAMILIES:
        rs = [r for r in results if r["family"] == family]
        if not rs:
            continue
        row = {"cases": len(rs), "right": sum(r["right"] for r in rs), "false_complete": sum(r["false_complete"] for r in rs),
               "false_missing": sum(r["false_missing"] for r in rs), "wrong_kind": sum(r["wrong_kind"] for r in rs)}
        families[family] = row
        print(f"{family:<26} {row['cases']:>5} {row['right']:>5} {row['false_complete']:>14} {row['false_missing']:>13} "
              f"{row['wrong_kind']:>10}", file=stream)
    wrong = [r for r in results if not r["right"]]
    if wrong:
        print(file=stream)
        print(f"wrong cases ({len(wrong)}):", file=stream)
        for r in wrong:
            print(f"  {r['id']}  [{r['family']}]  " + "; ".join(_fmt_diff(d) for d in r["diffs"]), file=stream)
    return {"right": right, "cases": n, "false_complete": fc, "false_missing": fm, "wrong_kind": wk,
            "seconds": round(seconds, 1), "families": families}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.accuracy.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", choices=corpus.FAMILIES, help="only this family")
    parser.add_argument("--fast", action="store_true", help="skip the scanned cases (OCR)")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--id", action="append", default=[], help="only these case ids (repeatable)")
    parser.add_argument("--json", default=str(ROOT / "build" / "accuracy.json"), help="where to write the results")
    parser.add_argument("--seed", default="", help="draw another corpus of the same families (a held-out check)")
    args = parser.parse_args(argv)
    if args.seed:
        os.environ["TASKFORCE_ACCURACY_SEED"] = args.seed  # read by the corpus, in this process and the workers

    selected = [c for c in corpus.iter_cases(args.family, args.fast) if not args.id or c.id in args.id]
    if not selected:
        print("no cases selected", file=sys.stderr)
        return 2
    selected.sort(key=lambda c: not c.scanned)  # the slow (OCR) ones first, so the pool ends evenly
    started = time.perf_counter()
    outputs: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="tf-accuracy-") as tmp:
        config = str(write_config(Path(tmp)))
        if args.jobs <= 1:
            _init(config)
            for c in selected:
                outputs[c.id] = _check(c.id)
        else:
            with ProcessPoolExecutor(max_workers=args.jobs, initializer=_init, initargs=(config,)) as pool:
                futures = [pool.submit(_check, c.id) for c in selected]
                for future in as_completed(futures):
                    res = future.result()
                    outputs[res["id"]] = res
    seconds = time.perf_counter() - started
    order = {c.id: i for i, c in enumerate(corpus.cases())}
    results = []
    for c in sorted(selected, key=lambda c: order[c.id]):
        r = compare(c, outputs[c.id]["out"])
        r.update(build_s=outputs[c.id]["build_s"], check_s=outputs[c.id]["check_s"])
        results.append(r)
    summary = report(results, seconds)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    selection = {"family": args.family, "fast": args.fast, "ids": args.id}
    path.write_text(json.dumps({"summary": summary, "selection": selection, "cases": results}, ensure_ascii=False,
                               indent=1, default=str), encoding="utf-8")
    print(f"\nresults: {os.path.relpath(path, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
