"""Usage drawn as charts: server-rendered SVG, no JavaScript, readable on a phone.

Each chart is an accessible image (role="img" with <title> and <desc>) and comes with the same
numbers as a table (`rows`), which the template offers under "Show as a table". Charts scale
with their container (viewBox, width 100%); text sizes are chosen so that a 412 px wide
screen shows them at about 12–13 px.

Each past day is drawn against the limit recorded for that day (`DayLimit`, written when the
rules change and near each day's start, see `controls.rules.day_limits`) plus that day's grants;
a day with no record says so ("not recorded") rather than borrowing today's rules. Today uses the
rules in force. The charts start no earlier than the account and its first pairing. A day with a
little use keeps a visible bar (`MIN_BAR`) and, on the 7-day chart, its exact value above it.
Legends are HTML under the chart (`Chart.legend`), so they read at the page's text size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Min, Sum
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.models import GuardianLink
from controls.app_rules.describe import app_display_name
from controls.app_rules.selectors import labels_of
from controls.effective.selectors import day_limits_as_recorded, teen_today
from controls.models import DailyUsage, TeenDay
from controls.rules.selectors import rules_ensure_for_teen
from controls.wording import used_text

WIDTH = 360
ACCENT = "#2f5bea"
OVER = "#b3261e"
NOT_COUNTED = "#8a93a3"
GRID = "#d9dde6"
TEXT = "#1f2430"
MUTED = "#555d6b"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
UNKNOWN_APP = "Other apps"
TOP_APPS = 8
MIN_BAR = 3.0  # user units: a 2-minute day on a 4-hour axis is still seen
DAY_LEGEND = (("limit", "Daily limit that day"), ("used", "Used"), ("over", "Over the limit"))


@dataclass
class Chart:
    key: str
    title: str
    description: str
    svg: SafeString
    headers: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    empty: bool = False
    heading: str = ""
    legend: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Bar:
    label: str
    seconds: int
    note: str = ""
    muted: bool = False
    value_suffix: str = ""


@dataclass(frozen=True)
class DayColumn:
    day: date
    seconds: int
    limit_seconds: int | None  # None: no limit that day (or none recorded)
    recorded: bool = True  # False: no limit was recorded for that day


def _svg(
    *, key: str, title: str, description: str, height: int, body: list[str], kind: str = "days"
) -> SafeString:
    title_id, desc_id = f"chart-{key}-title", f"chart-{key}-desc"
    return mark_safe(  # noqa: S308  # nosec B308 B703 - every interpolated text below is escaped
        f'<svg class="chart chart-{kind}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="{FONT}" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def bar_chart(
    *,
    key: str,
    title: str,
    bars: list[Bar],
    empty_text: str,
    headers: tuple[str, ...] = ("App", "Time", ""),
) -> Chart:
    """Horizontal bars, one per row, label above the bar and the time at its end: long app
    names stay readable on a narrow screen."""
    rows = [(bar.label, used_text(bar.seconds), bar.note) for bar in bars]
    if not bars:
        svg = _svg(
            key=key,
            title=title,
            description=empty_text,
            height=40,
            body=[f'<text x="0" y="24" font-size="14" fill="{MUTED}">{escape(empty_text)}</text>'],
            kind="bars",
        )
        return Chart(key, title, empty_text, svg, headers, [], empty=True)
    longest = max(bar.seconds for bar in bars) or 1
    row_height, bar_height = 40, 14
    value_room = 100 + 8 * max(len(bar.value_suffix) for bar in bars)  # "1 h 08 min today" fits
    body: list[str] = []
    for index, bar in enumerate(bars):
        top = index * row_height
        width = max(2.0, (WIDTH - value_room) * bar.seconds / longest)
        colour = NOT_COUNTED if bar.muted else ACCENT
        label = bar.label + (f" · {bar.note}" if bar.note else "")
        body.append(
            f'<text x="0" y="{top + 14}" font-size="14" fill="{TEXT}">{escape(label[:48])}</text>'
            f'<rect x="0" y="{top + 20}" width="{width:.1f}" height="{bar_height}" rx="3" '
            f'fill="{colour}"/>'
            f'<text x="{width + 6:.1f}" y="{top + 32}" font-size="13" fill="{MUTED}">'
            f"{escape(used_text(bar.seconds) + bar.value_suffix)}</text>"
        )
    description = "; ".join(
        f"{bar.label}: {used_text(bar.seconds)}" + (f" ({bar.note})" if bar.note else "")
        for bar in bars
    )
    svg = _svg(
        key=key,
        title=title,
        description=description,
        height=len(bars) * row_height,
        body=body,
        kind="bars",
    )
    return Chart(key, title, description, svg, headers, rows)


def days_chart(*, key: str, title: str, columns: list[DayColumn], today: date) -> Chart:
    """Columns per day against each day's limit (a dark tick across the column); days over
    the limit are drawn in red, and today's label is bold."""
    count = len(columns)
    top_pad, axis, left, right = 22, 24, 30, 18
    plot_height = 150
    height = top_pad + plot_height + axis
    highest = max([c.seconds for c in columns] + [c.limit_seconds or 0 for c in columns] + [3600])
    scale_hours = -(-highest // 3600)  # round up to whole hours
    scale = plot_height / (scale_hours * 3600)
    slot = (WIDTH - left - right) / max(count, 1)
    bar_width = min(max(3.0, slot * 0.62), 40.0)  # a 2-day-old account gets no slabs
    body: list[str] = []
    step = 1 if scale_hours <= 4 else 2 if scale_hours <= 8 else 4
    for hour in range(0, scale_hours + 1, step):
        y = top_pad + plot_height - hour * 3600 * scale
        body.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
            f'stroke-width="1"/><text x="{left - 4}" y="{y + 4:.1f}" font-size="12" '
            f'text-anchor="end" fill="{MUTED}">{hour} h</text>'
        )
    label_every = 1 if count <= 7 else 7
    for index, column in enumerate(columns):
        x = left + index * slot + (slot - bar_width) / 2
        bar_h = column.seconds * scale
        if column.seconds > 0:
            bar_h = max(bar_h, MIN_BAR)
        over = column.limit_seconds is not None and column.seconds > column.limit_seconds
        bar_y = top_pad + plot_height - bar_h
        value = used_text(column.seconds)
        hours, minutes = divmod(column.seconds // 60, 60)
        # compact above the bar so neighbours never overlap: "1 h 35", "12 min" (exact in the table)
        compact = f"{hours} h {minutes:02d}" if hours and minutes else value
        body.append(
            f'<rect x="{x:.1f}" y="{bar_y:.1f}" width="{bar_width:.1f}" '
            f'height="{bar_h:.1f}" rx="2" fill="{OVER if over else ACCENT}">'
            f"<title>{escape(f'{column.day:%a} {column.day.day} {column.day:%b}: {value}')}</title>"
            "</rect>"
        )
        if count <= 7 and column.seconds > 0:
            # the exact value above each bar, inside the plot even for the tallest
            body.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{max(bar_y - 4, top_pad - 2):.1f}" '
                f'font-size="12" text-anchor="middle" fill="{TEXT}">{escape(compact)}</text>'
            )
        if column.limit_seconds is not None:
            limit_y = top_pad + plot_height - min(column.limit_seconds, scale_hours * 3600) * scale
            body.append(
                f'<line x1="{x - 2:.1f}" x2="{x + bar_width + 2:.1f}" y1="{limit_y:.1f}" '
                f'y2="{limit_y:.1f}" stroke="{TEXT}" stroke-width="2.5"/>'
            )
        from_end = count - 1 - index
        if count <= 7 or from_end % label_every == 0:
            label = f"{column.day:%a}" if count <= 7 else f"{column.day.day} {column.day:%b}"
            weight = ' font-weight="700"' if column.day == today else ""
            # The newest label of a long chart ends at its bar, so it never runs off the edge.
            anchor, label_x = "middle", x + bar_width / 2
            if count > 7 and from_end == 0:
                anchor, label_x = "end", x + bar_width + 2
            body.append(
                f'<text x="{label_x:.1f}" y="{top_pad + plot_height + 17}" font-size="13" '
                f'text-anchor="{anchor}" fill="{TEXT}"{weight}>{escape(label)}</text>'
            )
    rows = [
        (
            f"{column.day:%a} {column.day.day} {column.day:%b}",
            used_text(column.seconds),
            _limit_text(column),
        )
        for column in columns
    ]
    over_days = sum(
        1 for c in columns if c.limit_seconds is not None and c.seconds > c.limit_seconds
    )
    total = sum(c.seconds for c in columns)
    description = (
        f"{count} days, {used_text(total)} in all, about "
        f"{used_text(total // max(count, 1))} a day; over the limit on {over_days} "
        f"day{'s' if over_days != 1 else ''}. "
        + "; ".join(f"{r[0]}: {r[1]} of {r[2]}" for r in rows[-7:])
    )
    svg = _svg(key=key, title=title, description=description, height=height, body=body)
    return Chart(key, title, description, svg, ("Day", "Used", "Limit"), rows, legend=DAY_LEGEND)


def _limit_text(column: DayColumn) -> str:
    if not column.recorded:
        return "not recorded"
    return "no limit" if column.limit_seconds is None else used_text(column.limit_seconds)


# --------------------------------------------------------------------------------------------
# Loading a teen's numbers
# --------------------------------------------------------------------------------------------


def _first_day(teen, today: date) -> date:
    """The teen's first day with an account and a guardian (no day drawn before either)."""
    since = GuardianLink.objects.filter(teen=teen).aggregate(first=Min("created_at"))["first"]
    start = max(filter(None, [teen.date_joined, since]))
    return min(start.astimezone(teen.tz).date(), today)


def _day_columns(*, teen, rules, days: list[date], today: date, totals) -> list[DayColumn]:
    """Today against the rules in force; each past day against its recorded limit plus that
    day's grants ("not recorded" without one)."""
    limits = day_limits_as_recorded(teen=teen, rules=rules, days=days, today=today)
    return [
        DayColumn(day, totals.get(day, 0), limits[day][0], recorded=limits[day][1]) for day in days
    ]


def usage_charts_for_teen(*, teen, now: datetime | None = None) -> dict[str, Chart]:
    """Today's use by app, the last 7 and 30 days against the limit, and per-device totals."""
    rules = rules_ensure_for_teen(teen=teen)
    today = teen_today(teen=teen, now=now).local_date
    first = max(today - timedelta(days=29), _first_day(teen, today))
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]

    totals = dict(
        TeenDay.objects.filter(teen=teen, local_date__range=(first, today)).values_list(
            "local_date", "counted_seconds"
        )
    )
    columns = _day_columns(teen=teen, rules=rules, days=days, today=today, totals=totals)

    usage = list(
        DailyUsage.objects.filter(teen=teen, local_date__range=(today - timedelta(days=6), today))
        .values("local_date", "app", "counted", "device__name")
        .annotate(total=Sum("seconds"))
    )
    labels = labels_of(teen)  # every app by its catalogue (or family) name (issue 13)
    by_app: dict[tuple[str, bool], int] = defaultdict(int)
    by_device_today: dict[str, int] = defaultdict(int)
    by_device_week: dict[str, int] = defaultdict(int)
    for row in usage:
        device = row["device__name"] or "Unknown device"
        by_device_week[device] += row["total"]
        if row["local_date"] == today:
            name = app_display_name(row["app"], labels) if row["app"] else UNKNOWN_APP
            by_app[(name, row["counted"])] += row["total"]
            by_device_today[device] += row["total"]

    app_bars = [
        Bar(app, seconds, "" if counted else "always allowed", muted=not counted)
        for (app, counted), seconds in sorted(by_app.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    if len(app_bars) > TOP_APPS:
        rest = app_bars[TOP_APPS - 1 :]
        others = Bar(f"{len(rest)} more apps", sum(b.seconds for b in rest))
        app_bars = [*app_bars[: TOP_APPS - 1], others]
    device_bars = [
        Bar(name, seconds, f"{used_text(by_device_week[name])} in 7 days", value_suffix=" today")
        for name, seconds in sorted(by_device_week.items(), key=lambda kv: (-kv[1], kv[0]))
        for seconds in [by_device_today.get(name, 0)]
    ]
    name = teen.display_name
    charts = {
        "today": bar_chart(
            key=f"today-{teen.pk}",
            title=f"{name}'s use today by app",
            bars=app_bars,
            empty_text="No use reported today yet.",
        ),
        "week": days_chart(
            key=f"week-{teen.pk}",
            title=f"{name}'s last 7 days against the daily limit",
            columns=columns[-7:],
            today=today,
        ),
        "month": days_chart(
            key=f"month-{teen.pk}",
            title=f"{name}'s last 30 days against the daily limit",
            columns=columns,
            today=today,
        ),
        "devices": bar_chart(
            key=f"devices-{teen.pk}",
            title=f"{name}'s use today per device",
            bars=device_bars,
            empty_text="No device has reported use in the last 7 days.",
            headers=("Device", "Today", "Last 7 days"),
        ),
    }
    headings = {
        "today": "Today by app",
        "week": "Last 7 days",
        "month": "Last 30 days",
        "devices": "Per device",
    }
    for key, chart in charts.items():
        chart.heading = headings[key]
    return charts
