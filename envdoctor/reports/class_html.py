"""The class page: one self-contained HTML file (inline CSS and JS, no external assets, works
offline and from file://). Everything is rendered here; the script only filters rows, so the
page reads the same with JavaScript off."""
from __future__ import annotations

import datetime
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envdoctor.classroom.aggregate import Cell, ClassData

STATUS_LABEL = {"ok": "ok", "warn": "warn", "fail": "fail", "error": "error", "missing": "missing"}
STATUS_MARK = {"ok": "\u2713", "warn": "!", "fail": "\u2717", "error": "\u203c", "missing": "\u2014"}

CSS = """
:root{--ok:#1a7f37;--warn:#9a6700;--fail:#cf222e;--error:#8250df;--missing:#6e7781;--bg:#fff;--fg:#1f2328;--line:#d0d7de}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:var(--fg);background:var(--bg)}
header{padding:16px 24px;border-bottom:1px solid var(--line);background:#f6f8fa}h1{font-size:20px;margin:0 0 4px}
main{padding:8px 24px 48px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.summary span{display:inline-block;margin:4px 8px 0 0;padding:2px 8px;border-radius:10px;color:#fff;font-weight:600;cursor:pointer}
.controls{position:sticky;top:0;background:#fff;padding:8px 0;z-index:2;border-bottom:1px solid var(--line)}
.controls input{width:22em;padding:4px 6px}.controls select{padding:3px}.controls output{margin-left:12px;color:var(--missing)}
table{border-collapse:collapse;margin-top:6px}th,td{border:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:44px}
td.cell{text-align:center;font-weight:600;min-width:6.5em}td.cell a{color:inherit;text-decoration:none}
.s-ok{background:#dafbe1;color:var(--ok)}.s-warn{background:#fff8c5;color:var(--warn)}.s-fail{background:#ffebe9;color:var(--fail)}
.s-error{background:#fbefff;color:var(--error)}.s-missing{background:#f6f8fa;color:var(--missing)}
.b-ok{background:var(--ok)}.b-warn{background:var(--warn)}.b-fail{background:var(--fail)}.b-error{background:var(--error)}.b-missing{background:var(--missing)}
.badge{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px;font-weight:600}
small{color:var(--missing);font-weight:400}pre{background:#f6f8fa;padding:6px 8px;margin:4px 0;white-space:pre-wrap;font-size:12.5px}
code{font-size:12.5px}details{margin:4px 0;border:1px solid var(--line);border-radius:6px;padding:4px 10px}
details>summary{cursor:pointer;font-weight:600}.problem{margin:6px 0 10px 12px}.muted{color:var(--missing)}
.hidden{display:none!important}ul{margin:4px 0;padding-left:20px}.why{margin:2px 0}.fix{margin:2px 0}
/* Fit the window, never scroll sideways: long why texts, commands, paths and names wrap
   anywhere; the wide tables share the width in fixed proportions, so "announce to the class"
   stays on screen at 1,400 px. */
body,td,th,li,p,pre,code,summary,h3{overflow-wrap:anywhere;word-break:break-word}
pre{white-space:pre-wrap}main{max-width:100%}
#grid th,#grid td.cell{overflow-wrap:normal;word-break:normal;white-space:nowrap}td.none{color:var(--missing);text-align:center}
table.wide{width:100%;table-layout:fixed}
#faults col.rank{width:3em}#faults col.check{width:17%}#faults col.students{width:12%}#faults col.platforms{width:10%}
#faults col.why{width:24%}#faults col.announce{width:auto}
#bad col.file{width:35%}#bad col.kind{width:8em}#bad col.what{width:auto}
.controls input{max-width:100%}
#warnings{border:1px solid var(--warn);background:#fff8c5;border-radius:6px;padding:6px 12px 6px 28px}
"""

JS = """
(function(){
  'use strict';
  var input=document.getElementById('filter'), select=document.getElementById('status-filter'),
      shown=document.getElementById('shown');
  var rows=Array.prototype.slice.call(document.querySelectorAll('#grid tbody tr'));
  var details=Array.prototype.slice.call(document.querySelectorAll('#students details'));
  var faults=Array.prototype.slice.call(document.querySelectorAll('#faults tbody tr'));
  function match(el,text,status){
    if(text && el.getAttribute('data-search').indexOf(text)<0) return false;
    if(status && (' '+el.getAttribute('data-statuses')+' ').indexOf(' '+status+' ')<0) return false;
    return true;
  }
  function apply(){
    var text=input.value.trim().toLowerCase(), status=select.value, n=0;
    rows.forEach(function(r){var ok=match(r,text,status); r.classList.toggle('hidden',!ok); if(ok) n++;});
    details.forEach(function(d){d.classList.toggle('hidden',!match(d,text,status));});
    faults.forEach(function(f){f.classList.toggle('hidden',!match(f,text,''));});
    shown.value=n+' of '+rows.length+(rows.length===1?' student':' students');
    shown.textContent=shown.value;
  }
  input.addEventListener('input',apply); select.addEventListener('change',apply);
  Array.prototype.forEach.call(document.querySelectorAll('.summary span[data-status]'),function(s){
    s.addEventListener('click',function(){select.value=s.getAttribute('data-status'); apply();});
  });
  Array.prototype.forEach.call(document.querySelectorAll('a[href^="#u-"]'),function(a){
    a.addEventListener('click',function(){var d=document.getElementById(a.getAttribute('href').slice(1)); if(d) d.open=true;});
  });
  apply();
})();
"""


def render(data: ClassData, title: str = "envdoctor class report", generated: str | None = None) -> str:
    generated = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    counts = data.counts()
    out: list[str] = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        # The page must never reach out: no fetches, no fonts, no images but inline ones.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        "<link rel=\"icon\" href=\"data:,\">",
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{escape(title)}</h1><div class=\"muted\">{_n(len(data.students), 'student')} &middot; "
        f"{_n(len(data.platforms), 'platform')} ({escape(', '.join(data.platforms)) or 'none'}) &middot; "
        f"{_n(data.files, 'report file')} &middot; generated {escape(generated)}</div>",
        "<div class=\"summary\" id=\"summary\">",
    ]
    for s in ("ok", "warn", "fail", "error", "missing"):
        out.append(f"<span class=\"b-{s}\" data-status=\"{s}\" data-count=\"{counts[s]}\" "
                   f"title=\"show students with a {s} cell\">{counts[s]} {s}</span>")
    if data.bad:
        out.append(f"<span class=\"b-error\" data-bad=\"{len(data.bad)}\">{_n(len(data.bad), 'unreadable report')}</span>")
    if data.warnings:
        out.append(f"<span class=\"b-warn\" data-warnings=\"{len(data.warnings)}\">"
                   f"{_n(len(data.warnings), 'warning')} about the shared directory</span>")
    out.append("</div></header><main>")
    out.append("<div class=\"controls\"><label>Filter <input id=\"filter\" type=\"search\" "
               "placeholder=\"user, name, check id, platform\" autocomplete=\"off\"></label> "
               "<label>Status <select id=\"status-filter\"><option value=\"\">any</option>"
               + "".join(f"<option value=\"{s}\">{s}</option>" for s in ("ok", "warn", "fail", "error", "missing"))
               + "</select></label><output id=\"shown\"></output></div>")
    _warnings(out, data)
    _grid(out, data)
    _faults(out, data)
    _missing(out, data)
    _bad(out, data)
    _students(out, data)
    out.append(f"</main><script>{JS}</script></body></html>\n")
    return "".join(out)


def _n(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else word + 's'}"


def _warnings(out: list[str], data: ClassData) -> None:
    """First on the page: who wrote what in the shared directory, when it disagrees with
    whose report it says it is, and names hidden with a leading dot."""
    if not data.warnings:
        return
    out.append("<h2>Warnings about the shared directory</h2><ul id=\"warnings\">"
               + "".join(f"<li>{escape(w)}</li>" for w in data.warnings) + "</ul>")


def _search(*parts: str) -> str:
    return escape(" ".join(p for p in parts if p).lower())


def _grid(out: list[str], data: ClassData) -> None:
    out.append("<h2>Students by platform</h2><table id=\"grid\"><thead><tr><th>student</th><th>name</th>")
    out.extend(f"<th>{escape(p)}</th>" for p in data.platforms)
    out.append("</tr></thead><tbody>")
    for user in data.students:
        name, email = data.row(user)
        cells = [data.cells.get((user, p)) for p in data.platforms]
        statuses = sorted({c.status for c in cells if c})
        ids = [pr["id"] for c in cells if c and c.report for pr in c.report.problems]
        out.append(f"<tr data-user=\"{escape(user)}\" data-statuses=\"{' '.join(statuses)}\" "
                   f"data-search=\"{_search(user, name, email, *data.platforms, *ids)}\">"
                   f"<td><a href=\"#u-{escape(user)}\">{escape(user)}</a></td><td>{escape(name)}</td>")
        for _platform, c in zip(data.platforms, cells):
            out.append(_cell(c) if c else "<td class=\"none\" data-status=\"\" title=\"not expected on this platform\">&middot;</td>")
        out.append("</tr>")
    out.append("</tbody></table>")


def _cell(c: Cell) -> str:
    detail = ""
    if c.report is not None:
        n = c.report.counts
        bits = [f"{n[s]} {s}" for s in ("fail", "error", "warn") if n[s]] or [f"{n['ok']} ok"]
        if c.report.trust:  # who wrote it disagrees with whose it says it is, or a hidden name
            bits.append(_n(len(c.report.trust), "ownership warning"))
        detail = f"<br><small>{escape(', '.join(bits))}</small>"
    elif c.note:
        detail = f"<br><small>{escape(c.note)}</small>"
    return (f"<td class=\"cell s-{c.status}\" data-status=\"{c.status}\" data-platform=\"{escape(c.platform)}\">"
            f"<a href=\"#u-{escape(c.user)}\">{STATUS_MARK[c.status]} {STATUS_LABEL[c.status]}</a>{detail}</td>")


def _faults(out: list[str], data: ClassData) -> None:
    out.append("<h2>Faults, by how many students they hit</h2>")
    if not data.faults:
        out.append("<p class=\"muted\">No check found a problem in any report.</p>")
        return
    out.append("<table id=\"faults\" class=\"wide\"><colgroup><col class=\"rank\"><col class=\"check\">"
               "<col class=\"students\"><col class=\"platforms\"><col class=\"why\"><col class=\"announce\"></colgroup>"
               "<thead><tr><th>#</th><th>check</th><th>students</th><th>platforms</th>"
               "<th>why</th><th>announce to the class</th></tr></thead><tbody>")
    for rank, f in enumerate(data.faults, 1):
        fix, commands = f.fix
        students = sorted(f.students)
        shown = ", ".join(escape(s) for s in students[:30]) + (f" &hellip; +{len(students) - 30}" if len(students) > 30 else "")
        cmd = f"<pre>{escape(chr(10).join(commands))}</pre>" if commands else ""
        out.append(
            f"<tr data-check=\"{escape(f.id)}\" data-students=\"{len(students)}\" "
            f"data-search=\"{_search(f.id, f.title, f.category, *f.platforms, *students)}\">"
            f"<td>{rank}</td><td><span class=\"badge b-{f.worst}\">{f.worst}</span> <code>{escape(f.id)}</code>"
            f"<br>{escape(f.title)} <small>({escape(f.category)})</small></td>"
            f"<td><b>{len(students)}</b><br><small>{shown}</small></td>"
            f"<td>{escape(', '.join(f'{p} ({n})' for p, n in f.platforms.most_common()))}</td>"
            f"<td>{escape(f.why)}</td><td>{escape(fix)}{cmd}</td></tr>")
    out.append("</tbody></table>")


def _missing(out: list[str], data: ClassData) -> None:
    out.append("<h2 id=\"missing-title\">On the roster, no report</h2>")
    if data.roster is None:
        out.append("<p class=\"muted\">No roster given (--roster roster.csv lists who is expected).</p>")
    elif not data.missing:
        out.append("<p class=\"muted\">Every student on the roster has sent a report.</p>")
    else:
        out.append("<ul id=\"missing\">" + "".join(
            f"<li data-user=\"{escape(u)}\">{escape(u)} {escape(data.row(u)[0])} <small>{escape(data.row(u)[1])}</small></li>"
            for u in data.missing) + "</ul>")
    if data.not_on_roster:
        out.append("<p>Reports from users not on the roster: " + escape(", ".join(data.not_on_roster)) + "</p>")
    if data.roster is not None and data.roster_problems:
        out.append(f"<h2>Roster problems <small>({escape(data.roster.path)}, {escape(data.roster.encoding)})</small></h2>"
                   "<ul id=\"roster-problems\">" + "".join(f"<li>{escape(p.text())}</li>" for p in data.roster_problems)
                   + "</ul>")


def _bad(out: list[str], data: ClassData) -> None:
    if not data.bad and not data.duplicates:
        return
    out.append("<h2>Reports that could not be used</h2><table id=\"bad\" class=\"wide\"><colgroup>"
               "<col class=\"file\"><col class=\"kind\"><col class=\"what\"></colgroup><thead><tr><th>file</th><th>problem</th>"
               "<th>what it says</th></tr></thead><tbody>")
    for b in data.bad:
        out.append(f"<tr data-kind=\"{escape(b.kind)}\"><td><code>{escape(b.path)}</code></td>"
                   f"<td><span class=\"badge b-error\">{escape(b.kind)}</span></td><td>{escape(b.message)}</td></tr>")
    for d in data.duplicates:
        out.append(f"<tr data-kind=\"superseded\"><td colspan=\"3\">{escape(d)}</td></tr>")
    out.append("</tbody></table>")


def _students(out: list[str], data: ClassData) -> None:
    out.append("<h2>Students</h2><div id=\"students\">")
    for user in data.students:
        name, email = data.row(user)
        cells = [data.cells[(user, p)] for p in data.platforms if (user, p) in data.cells]
        statuses = sorted({c.status for c in cells})
        worst = data.student_status(user)
        ids = [pr["id"] for c in cells if c.report for pr in c.report.problems]
        out.append(f"<details id=\"u-{escape(user)}\" data-user=\"{escape(user)}\" data-statuses=\"{' '.join(statuses)}\" "
                   f"data-search=\"{_search(user, name, email, *data.platforms, *ids)}\"><summary>"
                   f"<span class=\"badge b-{worst}\">{worst}</span> {escape(user)} {escape(name)} "
                   f"<small>{escape(email)}</small></summary>")
        for c in cells:
            out.append(_student_platform(c))
        out.append("</details>")
    out.append("</div>")


def _student_platform(c: Cell) -> str:
    head = f"<h3><span class=\"badge b-{c.status}\">{c.status}</span> {escape(c.platform)}"
    if c.report is None:
        why = c.bad.text() if c.bad else "no report received"
        return f"<div class=\"platform\">{head}</h3><p class=\"muted\">{escape(why)}</p></div>"
    r = c.report
    n = r.counts
    parts = [f"{head} <small>{escape(r.release)} on {escape(r.hostname or '?')} ({escape(r.node_role or '?')}, "
             f"{escape(r.target)}) &middot; " + ", ".join(f"{n[s]} {s}" for s in n if n[s]) + "</small></h3>"]
    for t in r.trust:
        parts.append(f"<p class=\"trust\"><span class=\"badge b-warn\">warning</span> {escape(t)}</p>")
    for note in r.notes:
        parts.append(f"<p class=\"muted\">note: {escape(note)}</p>")
    for p in r.problems:
        cmds = f"<pre>{escape(chr(10).join(p['commands']))}</pre>" if p["commands"] else ""
        ev = ("<ul>" + "".join(f"<li><code>{escape(e)}</code></li>" for e in p["evidence"]) + "</ul>") if p["evidence"] else ""
        parts.append(f"<div class=\"problem\" data-check=\"{escape(p['id'])}\"><span class=\"badge b-{p['status']}\">"
                     f"{p['status']}</span> <b>{escape(p['title'])}</b> <code>{escape(p['id'])}</code>"
                     f"<p class=\"why\">why: {escape(p['why'])}</p><p class=\"fix\">fix: {escape(p['fix'])}</p>{cmds}{ev}</div>")
    if r.others:
        ok = ", ".join(f"{i} ({s})" for i, _, _, s in r.others)
        parts.append(f"<p class=\"muted\"><small>{escape(ok)}</small></p>")
    owner = f" (file owned by {r.owner})" if r.owner else ""
    parts.append(f"<p class=\"muted\"><small>report: {escape(r.path)}{escape(owner)}</small></p>")
    return "<div class=\"platform\">" + "".join(parts) + "</div>"
